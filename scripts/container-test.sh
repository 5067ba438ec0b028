#!/usr/bin/env bash
# Container test: builds the project's Dockerfile on a locally made Node.js 24 base
# (no container registry needed) and runs the image the way Kubernetes would —
# non-root, read-only root, no capabilities, no new privileges — against the sandbox
# started on the host:
#
#   1. /readyz turns 200 with the healthy scenario,
#   2. /readyz turns 503 after the sandbox switches to the wrong-subject scenario
#      (trust policy no longer matches the token's sub),
#   3. SIGTERM stops the container within 2 s, exit code 0.
#
# Prints `image size: ... app layer: ...` and writes .tmp/container-figures.json
# (image and app layer bytes, build/start/stop times, RSS and CPU while probing).
#
#   sudo scripts/container-test.sh          (Debian 12, root; installs podman if missing)
#
# Env: IRSA_PROBE_PODMAN_ROOT (podman config + storage, cached between runs),
# CONTAINER_TEST_KEEP=1 keeps the temp dir and container for debugging.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
cd "$ROOT"

IMAGE="localhost/irsa-probe:container-test"
STOP_BUDGET_MS=2000
READY_DEADLINE_S=90
BREAK_DEADLINE_S=60
PROBE_INTERVAL=200ms
# uid:gid the image runs as (Dockerfile USER).
PROBE_UID=65532

T0=$(date +%s%N)
PASSED=0
FAILED=0
log() { printf '[container-test] %s\n' "$*" >&2; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
pass() { PASSED=$((PASSED + 1)); log "ok: $*"; }
fail() { FAILED=$((FAILED + 1)); log "FAIL: $*"; summary; exit 1; }
summary() { printf 'container-test: %d steps ok, %d step failing\n' "$PASSED" "$FAILED"; }

[ "$(id -u)" -eq 0 ] || { log "must run as root (podman, debootstrap)"; exit 2; }

# ---------------------------------------------------------------- tools and base
"$HERE/install-tools.sh" containers
# shellcheck source=scripts/podman-env.sh
source "$HERE/podman-env.sh"

t=$(date +%s%N)
mapfile -t BASES < <("$HERE/make-node-base.sh")
BASE_IMAGE="${BASES[0]}"
BUILD_BASE_IMAGE="${BASES[1]}"
BASE_MS=$(ms_since "$t")
log "bases: $BASE_IMAGE, $BUILD_BASE_IMAGE (${BASE_MS} ms)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/container-test.XXXXXX")"
chmod 755 "$WORK"
SANDBOX_PID=""
CID=""
cleanup() {
  local rc=$?
  if [ -n "$CID" ] && [ "${CONTAINER_TEST_KEEP:-0}" != 1 ]; then podman rm -f -t 0 "$CID" >/dev/null 2>&1 || true; fi
  if [ -n "$SANDBOX_PID" ] && kill -0 "$SANDBOX_PID" 2>/dev/null; then
    kill -TERM "$SANDBOX_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$SANDBOX_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SANDBOX_PID" 2>/dev/null || true
  fi
  if [ "${CONTAINER_TEST_KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT

# ---------------------------------------------------------------- build
# Build-stage images stay as the layer cache for the next run; past a few GB of
# storage, drop the dangling ones.
if [ "$(du -sm "$IRSA_PROBE_PODMAN_ROOT/storage" 2>/dev/null | cut -f1)" -gt 4000 ]; then
  log "pruning dangling images (storage over 4 GB)"
  podman image prune -f >/dev/null 2>&1 || true
fi
# The sandbox runs from dist/ on the host: built every time, so it is never older
# than the source the image is built from (the image builds its own bundle).
log "building dist/ (npm run build)"
npm run build >"$WORK/npm-build.log" 2>&1 || { tail -40 "$WORK/npm-build.log" >&2; fail "npm run build failed"; }
[ -f dist/sandbox/main.js ] || fail "dist/sandbox/main.js missing after the build"

# npm inside the build trusts the host's CA bundle (a TLS-inspecting proxy may sit
# between this machine and the registry); passed as build secrets, never baked in.
SECRETS=()
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  printf 'cafile=/run/secrets/npm-ca\n' >"$WORK/npmrc"
  SECRETS=(--secret "id=npmrc,src=$WORK/npmrc" --secret "id=npm-ca,src=/etc/ssl/certs/ca-certificates.crt")
fi
t=$(date +%s%N)
podman build --network host --quiet \
  --build-arg "NODE_BASE=$BASE_IMAGE" --build-arg "NODE_BUILD_BASE=$BUILD_BASE_IMAGE" \
  "${SECRETS[@]}" -t "$IMAGE" -f Dockerfile . >"$WORK/build.log" 2>&1 \
  || { tail -40 "$WORK/build.log" >&2; fail "podman build failed"; }
BUILD_MS=$(ms_since "$t")
pass "image built from the Dockerfile on $BASE_IMAGE (${BUILD_MS} ms)"

IMAGE_BYTES=$(podman image inspect --format '{{.Size}}' "$IMAGE")
BASE_BYTES=$(podman image inspect --format '{{.Size}}' "$BASE_IMAGE")
APP_BYTES=$((IMAGE_BYTES - BASE_BYTES))
USER_IN_IMAGE=$(podman image inspect --format '{{.Config.User}}' "$IMAGE")
[ "$USER_IN_IMAGE" = "$PROBE_UID:$PROBE_UID" ] || fail "image user is '$USER_IN_IMAGE', expected $PROBE_UID:$PROBE_UID"
pass "image runs as $USER_IN_IMAGE"

# ---------------------------------------------------------------- sandbox
SANDBOX_DIR="$WORK/sandbox"
mkdir -p "$SANDBOX_DIR"
ENV_FILE="$WORK/sandbox.env"

# --env-out, not --env-file: Node.js itself claims a script argument --env-file
# naming a file that does not exist yet (nodejs/node#54232; see sandbox/main.ts).
log "starting the sandbox (healthy scenario)"
node dist/sandbox/main.js --scenario healthy --env-out "$ENV_FILE" --dir "$SANDBOX_DIR" >"$WORK/sandbox.log" 2>&1 &
SANDBOX_PID=$!
deadline=$(( $(date +%s) + 60 ))
until grep -q '^sandbox ready:' "$WORK/sandbox.log" 2>/dev/null; do
  kill -0 "$SANDBOX_PID" 2>/dev/null || { cat "$WORK/sandbox.log" >&2; fail "the sandbox exited before it was ready"; }
  [ "$(date +%s)" -lt "$deadline" ] || { cat "$WORK/sandbox.log" >&2; fail "the sandbox was not ready within 60 s"; }
  sleep 0.2
done
ADMIN_URL=$(sed -n 's/^sandbox ready:.* admin=\([^ ]*\).*$/\1/p' "$WORK/sandbox.log" | sed -n 1p)
[ -n "$ADMIN_URL" ] || fail "no admin URL in the sandbox's ready line: $(head -1 "$WORK/sandbox.log")"
grep -q '^AWS_WEB_IDENTITY_TOKEN_FILE=' "$ENV_FILE" || fail "the sandbox env has no AWS_WEB_IDENTITY_TOKEN_FILE"
log "sandbox up: admin $ADMIN_URL, files in $SANDBOX_DIR"

# ---------------------------------------------------------------- run
# The container gets the env file as the webhook would inject it (the sandbox's
# endpoints are on loopback: host networking) and the sandbox's files (projected
# token volume, empty AWS config) read-only at the same paths. The token files are
# world-readable, as fsGroup makes them for the pod's user on EKS.
cp "$ENV_FILE" "$WORK/container.env"
# Nothing may leave loopback: without the sandbox's metadata emulator the SDK's
# instance-metadata provider stays off.
grep -q '^AWS_EC2_METADATA_SERVICE_ENDPOINT=' "$WORK/container.env" || echo 'AWS_EC2_METADATA_DISABLED=true' >>"$WORK/container.env"
chmod 755 "$WORK"
# Port 0: the probe binds a free port itself and names it in its "started" log line
# (info level; at info the probe logs only that, readiness changes and shutdown). A
# port found free beforehand could be taken by the time the probe binds it.
t=$(date +%s%N)
CID=$(podman run -d --network host \
  --user "$PROBE_UID:$PROBE_UID" --read-only --cap-drop=ALL --security-opt no-new-privileges \
  --env-file "$WORK/container.env" \
  -e IRSA_PROBE_HOST=127.0.0.1 -e IRSA_PROBE_PORT=0 -e "IRSA_PROBE_INTERVAL=$PROBE_INTERVAL" \
  -e IRSA_PROBE_POD_NAME=container-test -e IRSA_PROBE_LOG_LEVEL=info \
  -v "$SANDBOX_DIR:$SANDBOX_DIR:ro" \
  "$IMAGE" serve)

running() { [ "$(podman inspect --format '{{.State.Running}}' "$CID")" = true ]; }
# The port from the "started" line; the logs are read whole into a variable first.
started_port() {
  local out
  out=$(podman logs "$CID" 2>/dev/null) || return 0
  sed -n 's/^.*"msg":"started".*"port":\([0-9][0-9]*\).*$/\1/p' <<<"$out" | sed -n 1p
}
PORT=""
deadline=$(( $(date +%s) + READY_DEADLINE_S ))
until PORT=$(started_port) && [ -n "$PORT" ]; do
  running || { podman logs "$CID" >&2 || true; fail "the container exited before it logged where it listens"; }
  [ "$(date +%s)" -lt "$deadline" ] || { podman logs --tail 20 "$CID" >&2 || true; fail "no \"started\" log line within ${READY_DEADLINE_S} s"; }
  sleep 0.2
done
log "container ${CID:0:12} on 127.0.0.1:$PORT"

readyz() { curl -s -o "$WORK/readyz.body" -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/readyz?verbose" || true; }
wait_for_readyz() {
  local want="$1" seconds="$2" code="" deadline=$(( $(date +%s) + $2 ))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    code=$(readyz)
    [ "$code" = "$want" ] && return 0
    running || { podman logs "$CID" >&2 || true; fail "the container exited (waiting for /readyz $want)"; }
    sleep 0.2
  done
  log "last /readyz: $code $(head -c 600 "$WORK/readyz.body" 2>/dev/null)"
  podman logs --tail 20 "$CID" >&2 || true
  fail "/readyz did not turn $want within ${seconds} s"
}

wait_for_readyz 200 "$READY_DEADLINE_S"
READY_MS=$(ms_since "$t")
pass "/readyz 200 with the healthy scenario (${READY_MS} ms from start)"

# Resource use while probing every $PROBE_INTERVAL (a stress rate: 300x the default).
sleep 3
PID_IN_HOST=$(podman inspect --format '{{.State.Pid}}' "$CID")
ticks() { awk '{print $14 + $15}' "/proc/$PID_IN_HOST/stat"; }
CLK_TCK=$(getconf CLK_TCK)
t1=$(ticks); s1=$(date +%s%N); sleep 5; t2=$(ticks); s2=$(date +%s%N)
CPU_MILLICORES=$(( (t2 - t1) * 1000 * 1000000000 / CLK_TCK / (s2 - s1) ))
RSS_KB=$(awk '/^VmRSS:/ {print $2}' "/proc/$PID_IN_HOST/status")
log "probing every $PROBE_INTERVAL: RSS $((RSS_KB / 1024)) MiB, CPU ${CPU_MILLICORES}m"

# One scrape, saved whole and then read: piping curl into `grep -q` under pipefail fails
# whenever grep stops reading before curl has written the last chunk (curl exits 23).
code=$(curl -s -o "$WORK/metrics.txt" -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/metrics" || true)
[ "$code" = 200 ] || fail "/metrics answered $code"
grep -q '^irsa_probe_success 1$' "$WORK/metrics.txt" \
  || fail "/metrics does not report irsa_probe_success 1 (it reports: $(grep -m1 '^irsa_probe_success ' "$WORK/metrics.txt" || echo 'no such line'))"
pass "/metrics reports irsa_probe_success 1"

log "switching the sandbox to the wrong-subject scenario"
curl -sf --max-time 5 -X POST -H 'content-type: application/json' -d '{"name":"wrong-subject"}' "$ADMIN_URL/scenario" >/dev/null \
  || fail "POST $ADMIN_URL/scenario failed"
t=$(date +%s%N)
wait_for_readyz 503 "$BREAK_DEADLINE_S"
BREAK_MS=$(ms_since "$t")
grep -q 'trust_policy_mismatch' "$WORK/readyz.body" || log "note: /readyz body does not name trust_policy_mismatch: $(head -c 300 "$WORK/readyz.body")"
pass "/readyz 503 after the sandbox broke the trust policy (${BREAK_MS} ms)"

# ---------------------------------------------------------------- SIGTERM
t=$(date +%s%N)
podman kill --signal TERM "$CID" >/dev/null
EXIT_CODE=$(timeout 10 podman wait "$CID" || echo timeout)
STOP_MS=$(ms_since "$t")
[ "$EXIT_CODE" != timeout ] || fail "the container ignored SIGTERM for 10 s"
[ "$STOP_MS" -le "$STOP_BUDGET_MS" ] || fail "SIGTERM took ${STOP_MS} ms to stop the container (budget ${STOP_BUDGET_MS} ms)"
[ "$EXIT_CODE" = 0 ] || fail "exit code after SIGTERM: $EXIT_CODE"
pass "SIGTERM stopped the container in ${STOP_MS} ms with exit code 0"

# ---------------------------------------------------------------- figures
human() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1000000 }'; }
echo "image size: $(human "$IMAGE_BYTES") app layer: $(human "$APP_BYTES")"
mkdir -p .tmp
NODE_VERSION=$(podman run --rm --network none --entrypoint node "$IMAGE" --version)
cat >.tmp/container-figures.json <<EOF
{
  "image": "$IMAGE",
  "base": "$BASE_IMAGE",
  "nodeVersion": "$NODE_VERSION",
  "imageBytes": $IMAGE_BYTES,
  "baseBytes": $BASE_BYTES,
  "appLayerBytes": $APP_BYTES,
  "baseMs": $BASE_MS,
  "buildMs": $BUILD_MS,
  "startToReadyMs": $READY_MS,
  "breakToNotReadyMs": $BREAK_MS,
  "sigtermStopMs": $STOP_MS,
  "probeInterval": "$PROBE_INTERVAL",
  "rssBytes": $((RSS_KB * 1024)),
  "cpuMillicores": $CPU_MILLICORES,
  "totalMs": $(ms_since "$T0")
}
EOF
log "figures written to .tmp/container-figures.json"
summary
