package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/strata-sp/strata/daemon"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/unsealed"
)

func benchCommand() *command {
	return &command{
		name:    "bench",
		summary: "measure this machine: bench seal",
		subs: []*command{{
			name:    "seal",
			summary: "seal a sector of random data with the built-in engine, timing each stage",
			usage:   "--size 512MiB [--dir DIR] [--json]",
			run:     runBenchSeal,
		}},
	}
}

// runBenchSeal times AddPieces, TreeD, PC1, PC2, C1 and VerifySeal on one
// sector of random data and reports the process's peak resident memory.
func runBenchSeal(ctx context.Context, e *env, args []string) error {
	fs := newFlags("bench seal", e)
	sizeFlag := fs.String("size", "8MiB", "sector size: 2KiB, 8MiB, 512MiB, 32GiB or 64GiB")
	dir := fs.String("dir", "", "work directory (default: a temporary directory, removed)")
	parents := fs.String("parent-cache", "", "parent cache directory (default $STRATA_HOME/parents)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	sp, err := sealProofFor(*sizeFlag, "1.1")
	if err != nil {
		return usagef("bench seal: %v", err)
	}
	size, _ := sp.SectorSize()
	work := *dir
	if work == "" {
		if work, err = os.MkdirTemp("", "strata-bench-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	}
	if *parents == "" {
		h, err := daemon.DefaultHome("parents", e.getenv)
		if err != nil {
			return err
		}
		*parents = h.Dir
	}
	s := seal.Sector{Proof: sp, Miner: 1000, Number: 1, Staged: filepath.Join(work, "staged"),
		Cache: filepath.Join(work, "cache"), Sealed: filepath.Join(work, "sealed")}
	eng := &seal.Engine{ParentCacheDir: *parents}
	ticket, seed := [32]byte{1}, [32]byte{2}
	var commD [32]byte
	var commR [32]byte
	type step struct {
		name string
		took time.Duration
	}
	var steps []step
	timed := func(name string, f func() error) error {
		start := time.Now()
		if err := f(); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		steps = append(steps, step{name, time.Since(start)})
		fmt.Fprintf(e.stderr, "%-10s %s\n", name, time.Since(start).Round(time.Millisecond))
		return nil
	}
	data := io.LimitReader(rand.NewChaCha8([32]byte{3}), int64(size)/128*127)
	run := []struct {
		name string
		f    func() error
	}{
		{"addpieces", func() error {
			_, err := unsealed.AddPieces(ctx, s.Staged, piece.PaddedSize(size), []unsealed.Piece{{Size: piece.PaddedSize(size), Data: data}})
			return err
		}},
		{"treed", func() (err error) { commD, err = eng.TreeD(ctx, s); return err }},
		{"pc1", func() error { _, err := eng.PC1(ctx, s, ticket, commD); return err }},
		{"pc2", func() error { c, err := eng.PC2(ctx, s); commR = c.CommR; return err }},
		{"c1+verify", func() error { _, err := eng.C1(ctx, s, ticket, seed, commD); return err }},
	}
	for _, r := range run {
		if err := timed(r.name, r.f); err != nil {
			return err
		}
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	peak := ru.Maxrss * 1024
	if *asJSON {
		out := map[string]any{"proof": sp.String(), "commR": fmt.Sprintf("%x", commR), "peakRSSBytes": peak}
		for _, st := range steps {
			out[st.name+"Seconds"] = st.took.Seconds()
		}
		return printJSON(e.stdout, out)
	}
	fmt.Fprintf(e.stdout, "%s sealed: CommR %x\n", sp, commR)
	for _, st := range steps {
		fmt.Fprintf(e.stdout, "  %-10s %s\n", st.name, st.took.Round(time.Millisecond))
	}
	fmt.Fprintf(e.stdout, "  peak RSS   %s (the parent cache is built on first use and kept)\n", bytesIEC(peak))
	return nil
}
