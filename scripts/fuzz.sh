#!/usr/bin/env bash
# fuzz.sh [FUZZTIME] [PACKAGE-REGEXP]: run every Fuzz* target of the module
# (or of the packages matching the regexp) for FUZZTIME each (default 4s).
# Longer runs: scripts/fuzz.sh 10m, or make fuzz FUZZTIME=10m.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-4s}
filter=${2:-.}
count=0
for pkg in $(go list ./... | grep -E "$filter"); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  grep -qs '^func Fuzz' "$dir"/*_test.go || continue
  for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz'); do
    echo "fuzz: $pkg $target ($fuzztime)"
    go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" "$pkg" | grep -v -E '^fuzz: elapsed' || { echo "fuzz: $pkg $target FAILED (crasher saved under $dir/testdata/fuzz/$target)"; exit 1; }
    count=$((count + 1))
  done
done
echo "fuzz: $count targets ran for $fuzztime each, no failure"
