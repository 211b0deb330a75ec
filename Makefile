# Strata: `make test` is the whole check, as CI runs it.
GO       ?= go
FUZZTIME ?= 4s
BENCH    ?= .
BENCHTIME ?= 1s
# Packages whose tests do real sealing work too heavy for the race detector
# on 2 cores (an extended regexp of import paths); they still run, without it.
NORACE   ?= /proof/seal$$
# Tests (an extended regexp of names) run without it: the multi-process
# acceptance runs whose 1,000 sectors and proving periods the race
# detector's slowdown would take past the suite's time; the components
# they run are race-tested in their own packages.
NORACE_TESTS ?= TestCluster_Proving

.PHONY: test build fuzz bench clean

## test: gofmt, vet, all tests (race detector on) with a throwaway PostgreSQL, fuzz smoke
test:
	FUZZTIME=$(FUZZTIME) NORACE='$(NORACE)' NORACE_TESTS='$(NORACE_TESTS)' scripts/with-postgres.sh scripts/test.sh

## build: the strata binary in ./bin
build:
	$(GO) build -o bin/strata ./cmd/strata

## fuzz: every fuzz target for FUZZTIME (e.g. make fuzz FUZZTIME=10m)
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

## bench: the benchmarks (e.g. make bench BENCH=RoundTrip BENCHTIME=3s)
bench:
	$(GO) test -run='^$$' -bench='$(BENCH)' -benchtime=$(BENCHTIME) -benchmem ./...

clean:
	rm -rf bin
