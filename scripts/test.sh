#!/usr/bin/env bash
# The test suite (`npm test`, after the build), in three runs of Node's test runner:
#   1. unit tests, several files at a time;
#   2. end-to-end tests (real processes on loopback against the sandbox), six
#      files at a time, and inside a file the cases that have a sandbox and a
#      probe of their own side by side: they mostly wait on timers and sockets,
#      on ports of their own (about 80 s on 2 cores, near what the CPU allows);
#   3. the soak, alone, since it measures the event loop of a busy process.
# Each run prints its own summary; one closing line counts all three:
#   tests: N passed, N failed
# Only *.test.js files run: helper modules under dist/test/ are never counted as tests.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

shopt -s nullglob
unit=(dist/test/unit/*.test.js)
soak=(dist/test/e2e/soak*.test.js)
e2e=()
for f in dist/test/e2e/*.test.js; do
  case "$f" in dist/test/e2e/soak*) ;; *) e2e+=("$f") ;; esac
done
if [ "${#unit[@]}" -eq 0 ] || [ "${#e2e[@]}" -eq 0 ]; then
  echo "no compiled tests under dist/test/: run 'npm run build' first" >&2
  exit 2
fi

rc=0
run() {
  local name=$1; shift
  printf '\n== %s\n' "$name"
  node --test "$@" 2>&1 | tee "$logs/$name"
  [ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
}
run unit --test-concurrency=4 "${unit[@]}"
run e2e --test-concurrency=6 "${e2e[@]}"
[ "${#soak[@]}" -eq 0 ] || run soak --test-concurrency=1 "${soak[@]}"

count() { cat "$logs"/* | awk -v key="$1" '$1 == "#" && $2 == key { n += $3 } END { print n + 0 }'; }
printf '\ntests: %s passed, %s failed\n' "$(count pass)" "$(count fail)"
exit "$rc"
