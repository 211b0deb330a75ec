#!/usr/bin/env bash
# fuzz.sh [FUZZTIME] [PACKAGE-REGEXP]: run every Fuzz* target of the module
# (or of the packages matching the regexp) for FUZZTIME each (default 4s).
# Longer runs: scripts/fuzz.sh 10m, or make fuzz FUZZTIME=10m.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-4s}
filter=${2:-.}
count=0
# corpus counts the saved inputs of a target.
corpus() { if [ -d "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi; }
for pkg in $(go list ./... | grep -E "$filter"); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  grep -qs '^func Fuzz' "$dir"/*_test.go || continue
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz'); do
    echo "fuzz: $pkg $target ($fuzztime)"
    # Go's fuzzing coordinator sometimes gives up on a busy worker with
    # "context deadline exceeded" and no failing input; such a run (and only
    # such a run: nothing new under testdata/fuzz) is retried once.
    for attempt in 1 2; do
      before=$(corpus "$dir/testdata/fuzz/$target")
      if out=$(go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg" 2>&1); then
        grep -v -E '^fuzz: elapsed' <<<"$out" || true
        break
      fi
      grep -v -E '^fuzz: elapsed' <<<"$out" || true
      after=$(corpus "$dir/testdata/fuzz/$target")
      if [ "$attempt" = 1 ] && [ "$before" = "$after" ] && grep -q 'context deadline exceeded' <<<"$out"; then
        echo "fuzz: $pkg $target: the fuzzing engine timed out without a failing input; retrying once"
        continue
      fi
      echo "fuzz: $pkg $target FAILED (crasher saved under $dir/testdata/fuzz/$target)"
      exit 1
    done
    count=$((count + 1))
  done
done
echo "fuzz: $count targets ran for $fuzztime each, no failure"
