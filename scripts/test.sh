#!/usr/bin/env bash
# The test suite (`npm test`, after the build), in three runs of Node's test runner:
#   1. unit tests, several files at a time;
#   2. end-to-end tests (real processes on loopback against the sandbox), six
#      files at a time, and inside a file the cases that have a sandbox and a
#      probe of their own side by side: they mostly wait on timers and sockets,
#      on ports of their own (about 80 s on 2 cores, near what the CPU allows);
#   3. the soak, alone, since it measures the event loop of a busy process.
# Each run prints its own summary; one closing line counts them all:
#   tests: N passed, N failed
# Usage: scripts/test.sh [unit|e2e|soak|all]   (default all; `npm run test:unit`
# and `npm run test:e2e` run one group the same way).
# Only *.test.js files run: helper modules under dist/test/ are never counted as tests.
set -uo pipefail
cd "$(dirname "$0")/.."

group=${1:-all}
case "$group" in
  unit | e2e | soak | all) ;;
  *)
    echo "usage: scripts/test.sh [unit|e2e|soak|all] (got '$group')" >&2
    exit 2
    ;;
esac

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

shopt -s nullglob
unit=(dist/test/unit/*.test.js)
soak=(dist/test/e2e/soak*.test.js)
e2e=()
for f in dist/test/e2e/*.test.js; do
  case "$f" in dist/test/e2e/soak*) ;; *) e2e+=("$f") ;; esac
done
missing() {
  echo "no compiled $1 tests under dist/test/: run 'npm run build' first" >&2
  exit 2
}
case "$group" in
  unit) [ "${#unit[@]}" -gt 0 ] || missing unit ;;
  e2e) [ "${#e2e[@]}" -gt 0 ] || missing end-to-end ;;
  soak) [ "${#soak[@]}" -gt 0 ] || missing soak ;;
  all) [ "${#unit[@]}" -gt 0 ] && [ "${#e2e[@]}" -gt 0 ] || missing unit/end-to-end ;;
esac

rc=0
run() {
  local name=$1; shift
  printf '\n== %s\n' "$name"
  node --test "$@" 2>&1 | tee "$logs/$name"
  [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
}
wants() { [ "$group" = all ] || [ "$group" = "$1" ]; }
if wants unit; then run unit --test-concurrency=4 "${unit[@]}"; fi
if wants e2e; then run e2e --test-concurrency=6 "${e2e[@]}"; fi
if wants soak && [ "${#soak[@]}" -gt 0 ]; then run soak --test-concurrency=1 "${soak[@]}"; fi

count() { cat "$logs"/* </dev/null | awk -v key="$1" '$1 == "#" && $2 == key { n += $3 } END { print n + 0 }'; }
printf '\ntests: %s passed, %s failed\n' "$(count pass)" "$(count fail)"
exit "$rc"
