#!/usr/bin/env bash
# The test suite (`npm test`, after the build): unit tests in parallel, then the
# end-to-end tests (real processes on loopback) one file at a time, each
# runner's own summary, then one closing line for both:
#   tests: N passed, N failed
# Only *.test.js files run: helper modules under dist/test/ are never counted as tests.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

shopt -s nullglob
unit=(dist/test/unit/*.test.js)
e2e=(dist/test/e2e/*.test.js)
if [ "${#unit[@]}" -eq 0 ] || [ "${#e2e[@]}" -eq 0 ]; then
  echo "no compiled tests under dist/test/: run 'npm run build' first" >&2
  exit 2
fi

node --test "${unit[@]}" 2>&1 | tee "$logs/unit"
unit_rc=${PIPESTATUS[0]}
node --test --test-concurrency=1 "${e2e[@]}" 2>&1 | tee "$logs/e2e"
e2e_rc=${PIPESTATUS[0]}

count() { awk -v key="$1" '$1 == "#" && $2 == key { n += $3 } END { print n + 0 }' "$logs/unit" "$logs/e2e"; }
printf '\ntests: %s passed, %s failed\n' "$(count pass)" "$(count fail)"
[ "$unit_rc" -eq 0 ] && [ "$e2e_rc" -eq 0 ]
