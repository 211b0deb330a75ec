package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/strata-sp/strata/daemon"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/internal/atomicfile"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/engine"
	"github.com/strata-sp/strata/proof/post"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/stage"
)

func benchCommand() *command {
	return &command{
		name:    "bench",
		summary: "measure this machine: bench seal|wallet|hub",
		subs: []*command{{
			name:    "seal",
			summary: "seal a sector of random data with the built-in engine, timing each stage",
			usage:   "--size 512MiB [--dir DIR] [--json]",
			run:     runBenchSeal,
		}, {
			name:    "wallet",
			summary: "sign chain messages through a running wallet with a scoped token, against bare signing",
			usage:   "[--home DIR] [--duration 10s] [--callers 16] [--http] [--json]",
			run:     runBenchWallet,
		}, {
			name:    "hub",
			summary: "simulate workers calling the hub's Sealer API over loopback against a hub holding many sectors",
			usage:   "[--workers 500] [--threads 4] [--sectors 100000] [--duration 10s] [--postgres URL] [--same-process] [--json]",
			run:     runBenchHub,
		}, {
			name:    "hub-workers",
			summary: "the simulated workers of bench hub, in a process of their own: bench hub runs it, with their workload on standard input",
			usage:   "< WORKLOAD",
			run:     runBenchHubWorkers,
		}},
	}
}

// runBenchSeal takes one sector of random data through the whole round trip
// with the built-in engine, through the engine interface: AddPieces, TreeD,
// PC1, PC2, C1, C2, seal verification, Unseal of every byte (compared with
// the data), Finalize, and WindowPoSt and WinningPoSt with their
// verification. It times each stage and reports the process's peak
// resident memory.
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
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		return err
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
	st := stage.SealTask{Sector: s, ParentCache: *parents}
	var eng engine.Engine = engine.Local{}
	ticket, seed := stage.Bytes32{1}, stage.Bytes32{2}
	window, _ := sp.WindowPoSt()
	winning, _ := sp.WinningPoSt()
	rnd := [32]byte{4}

	// The data: one piece filling the sector.
	pieceFile := filepath.Join(work, "piece")
	unpadded := int64(size) / 128 * 127
	if err := atomicfile.WriteFunc(pieceFile, 0o644, func(w io.Writer) error {
		_, err := io.Copy(w, io.LimitReader(rand.NewChaCha8([32]byte{3}), unpadded))
		return err
	}); err != nil {
		return fmt.Errorf("bench seal: write the data: %w", err)
	}

	type step struct {
		name string
		took time.Duration
	}
	var steps []step
	var commD, commR [32]byte
	var c1, c2 stage.ProofOutput
	var windowProof, winningProof stage.PoStOutput
	postTask := func(p proof.PoStProof) stage.PoStTask {
		return stage.PoStTask{Proof: p, Miner: s.Miner, Randomness: rnd, Sectors: []seal.Sector{s}}
	}
	postVerify := func(p proof.PoStProof, out stage.PoStOutput) engine.PoStVerifyInfo {
		return engine.PoStVerifyInfo{Proof: p, Miner: s.Miner, Randomness: rnd, Sectors: []post.Public{{Number: s.Number, CommR: commR}}, Bytes: out.Proof}
	}
	noFaults := func(out stage.PoStOutput, err error) error {
		if err == nil && len(out.Faults) > 0 {
			err = fmt.Errorf("sector faulty: %s", out.Faults[0].Reason)
		}
		return err
	}
	run := []struct {
		name string
		f    func() error
	}{
		{"addpieces", func() error {
			_, err := eng.AddPieces(ctx, stage.AddPiecesTask{Staged: s.Staged, SectorSize: piece.PaddedSize(size),
				Pieces: []stage.PieceFile{{Size: piece.PaddedSize(size), Path: pieceFile}}})
			return err
		}},
		{"treed", func() error {
			if err := os.MkdirAll(s.Cache, 0o755); err != nil {
				return err
			}
			out, err := eng.TreeD(ctx, stage.TreeDTask{Staged: s.Staged, Tree: filepath.Join(s.Cache, seal.TreeDFile)})
			if err == nil {
				commD, err = piece.DecodeV1(out.CommD)
			}
			return err
		}},
		{"pc1", func() error {
			_, err := eng.PC1(ctx, stage.PC1Task{SealTask: st, Ticket: ticket, CommD: commD})
			return err
		}},
		{"pc2", func() error { c, err := eng.PC2(ctx, st); commR = c.CommR; return err }},
		{"c1", func() (err error) {
			c1, err = eng.C1(ctx, stage.C1Task{SealTask: st, Ticket: ticket, Seed: seed, CommD: commD})
			return err
		}},
		{"c2", func() (err error) { c2, err = eng.C2(ctx, c1); return err }},
		{"verify", func() error {
			return eng.VerifySeal(ctx, engine.SealVerifyInfo{Proof: c2.Proof, PublicInputs: seal.PublicInputs{
				Proof: sp, Miner: s.Miner, Number: s.Number, Ticket: ticket, Seed: seed, CommD: commD, CommR: commR}})
		}},
		{"unseal", func() error {
			out := filepath.Join(work, "unsealed")
			if _, err := eng.Unseal(ctx, stage.UnsealTask{SealTask: st, Ticket: ticket, CommD: commD, Size: uint64(unpadded), Out: out}); err != nil {
				return err
			}
			defer os.Remove(out)
			return sameContent(out, pieceFile)
		}},
		{"finalize", func() error { _, err := eng.Finalize(ctx, stage.FinalizeTask{Sector: s, DropStaged: true}); return err }},
		{"windowpost", func() (err error) {
			windowProof, err = eng.GenerateWindowPoSt(ctx, postTask(window))
			return noFaults(windowProof, err)
		}},
		{"windowverify", func() error { return eng.VerifyWindowPoSt(ctx, postVerify(window, windowProof)) }},
		{"winningpost", func() (err error) {
			winningProof, err = eng.GenerateWinningPoSt(ctx, postTask(winning))
			return noFaults(winningProof, err)
		}},
		{"winningverify", func() error { return eng.VerifyWinningPoSt(ctx, postVerify(winning, winningProof)) }},
	}
	for _, r := range run {
		start := time.Now()
		if err := r.f(); err != nil {
			return fmt.Errorf("bench seal: %s: %w", r.name, err)
		}
		steps = append(steps, step{r.name, time.Since(start)})
		fmt.Fprintf(e.stderr, "%-13s %s\n", r.name, time.Since(start).Round(time.Millisecond))
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
	fmt.Fprintf(e.stdout, "%s sealed, unsealed and proven: CommR %x\n", sp, commR)
	for _, st := range steps {
		fmt.Fprintf(e.stdout, "  %-13s %s\n", st.name, st.took.Round(time.Millisecond))
	}
	fmt.Fprintf(e.stdout, "  peak RSS      %s (the parent cache is built on first use and kept)\n", bytesIEC(peak))
	return nil
}

// sameContent reports an error unless files a and b hold the same bytes.
func sameContent(a, b string) error {
	fa, err := os.Open(a)
	if err != nil {
		return err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return err
	}
	defer fb.Close()
	ba, bb := make([]byte, 1<<20), make([]byte, 1<<20)
	for off := int64(0); ; {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return fmt.Errorf("%s and %s differ in the MiB at %d", a, b, off)
		}
		if ea != nil || eb != nil {
			if (ea == io.EOF || ea == io.ErrUnexpectedEOF) && (eb == io.EOF || eb == io.ErrUnexpectedEOF) {
				return nil
			}
			return errors.Join(ea, eb)
		}
		off += int64(na)
	}
}
