#!/usr/bin/env bash
# test.sh: everything `make test` checks, in order. Runs inside
# scripts/with-postgres.sh, which provides STRATA_TEST_POSTGRES_URL.
#   NORACE   extended regexp of packages run without the race detector
#   NORACE_TESTS  extended regexp of test names run without it (in
#            whichever package holds them), after the others
#   FUZZTIME how long each fuzz target runs (default 4s)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

# On a CPU with SHA-NI the SDR label kernels must be built and tested: their
# tests fail instead of skipping.
if grep -qw sha_ni /proc/cpuinfo 2>/dev/null; then
  export STRATA_REQUIRE_SHANI=1
fi

step "gofmt"
unformatted=$(gofmt -l $(find . -name '*.go' -not -path './.git/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go vet ./..."
go vet ./...

# Packages whose tests use PostgreSQL run verbosely, so the log shows each
# PostgreSQL test running (pgtest fails rather than skips under make test).
pg_pkgs=$(grep -rlE --include='*_test.go' 'store/postgres/pgtest"|enginetest\.(ForEach|All|Postgres)' . | xargs -r -n1 dirname | sort -u | sed 's#^\.#github.com/strata-sp/strata#')
all_pkgs=$(go list ./...)
other_pkgs=$(comm -23 <(echo "$all_pkgs" | sort) <(echo "$pg_pkgs" | sort))
race_pkgs=$other_pkgs
norace_pkgs=""
if [ -n "${NORACE:-}" ]; then
  race_pkgs=$(echo "$other_pkgs" | grep -v -E "$NORACE" || true)
  norace_pkgs=$(echo "$other_pkgs" | grep -E "$NORACE" || true)
fi

race_skip=()
norace_test_pkgs=""
if [ -n "${NORACE_TESTS:-}" ]; then
  race_skip=(-skip "^(${NORACE_TESTS})\$")
  norace_test_pkgs=$(grep -rlE --include='*_test.go' "^func (${NORACE_TESTS})\(" . | xargs -r -n1 dirname | sort -u)
fi

step "go test -race (PostgreSQL suites, verbose): $(echo $pg_pkgs)"
pg_log=$(mktemp)
trap 'rm -f "$pg_log"' EXIT
status=0
go test -race -count=1 -v "${race_skip[@]}" $pg_pkgs >"$pg_log" 2>&1 || status=$?
grep -E -- '^\s*--- (PASS|FAIL|SKIP)|^(ok|FAIL|PASS|panic)|postgres:' "$pg_log" || true
# The filter must not hide a failure: on one, the whole output.
if [ "$status" -ne 0 ]; then
  echo "PostgreSQL suites failed (exit $status); their output:"; cat "$pg_log"; exit 1
fi

step "go test -race ./... (the rest)"
go test -race -count=1 "${race_skip[@]}" $race_pkgs
if [ -n "$norace_pkgs" ]; then
  step "go test (no race detector): $(echo $norace_pkgs)"
  go test -count=1 $norace_pkgs
fi
if [ -n "$norace_test_pkgs" ]; then
  step "go test (no race detector): ${NORACE_TESTS} in $(echo $norace_test_pkgs)"
  go test -count=1 -v -run "^(${NORACE_TESTS})\$" $norace_test_pkgs
fi

step "fuzz smoke (${FUZZTIME:-4s} per target)"
scripts/fuzz.sh "${FUZZTIME:-4s}"
