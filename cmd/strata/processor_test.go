package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/strata-sp/strata/fil/commp"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/engine"
	"github.com/strata-sp/strata/proof/post"
	"github.com/strata-sp/strata/proof/processor"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/stage"
)

// startProcessor runs "strata processor STAGE" (this test binary as strata).
func startProcessor(t *testing.T, name string) *processor.Client {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c, err := processor.Start(context.Background(), processor.Config{
		Stage: name, Bin: exe, Args: []string{"processor", name},
		Env:            []string{envReexec + "=1"},
		RestartBackoff: 10 * time.Millisecond,
		Logger:         slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func sameFile(t *testing.T, a, b string) {
	t.Helper()
	x, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	y, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(x, y) {
		t.Errorf("%s and %s differ", a, b)
	}
}

func TestProcessor_MatchesInProcess(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var pieces []stage.PieceFile
	for i, size := range []piece.PaddedSize{256, 1024} {
		b := make([]byte, uint64(size)/128*127)
		_, _ = rand.NewChaCha8([32]byte{byte(i)}).Read(b)
		p := filepath.Join(dir, "piece"+string(rune('a'+i)))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		pieces = append(pieces, stage.PieceFile{Size: size, Path: p})
	}
	task := func(suffix string) stage.AddPiecesTask {
		return stage.AddPiecesTask{Staged: filepath.Join(dir, "staged-"+suffix), SectorSize: 2048, Pieces: pieces}
	}
	local, err := stage.RunAddPieces(ctx, task("local"))
	if err != nil {
		t.Fatal(err)
	}
	var remote stage.AddPiecesOutput
	if err := startProcessor(t, stage.AddPieces).Call(ctx, task("remote"), &remote); err != nil {
		t.Fatal(err)
	}
	lj, _ := json.Marshal(local)
	rj, _ := json.Marshal(remote)
	if !bytes.Equal(lj, rj) {
		t.Errorf("add_pieces in process %s, in a processor %s", lj, rj)
	}
	sameFile(t, filepath.Join(dir, "staged-local"), filepath.Join(dir, "staged-remote"))

	localD, err := stage.RunTreeD(ctx, stage.TreeDTask{Staged: filepath.Join(dir, "staged-local"), Tree: filepath.Join(dir, "tree-local")})
	if err != nil {
		t.Fatal(err)
	}
	var remoteD stage.TreeDOutput
	if err := startProcessor(t, stage.TreeD).Call(ctx, stage.TreeDTask{Staged: filepath.Join(dir, "staged-remote"), Tree: filepath.Join(dir, "tree-remote")}, &remoteD); err != nil {
		t.Fatal(err)
	}
	if !localD.CommD.Equals(remoteD.CommD) || !strings.HasPrefix(remoteD.CommD.String(), "baga") {
		t.Errorf("tree_d in process %s, in a processor %s", localD.CommD, remoteD.CommD)
	}
	sameFile(t, filepath.Join(dir, "tree-local"), filepath.Join(dir, "tree-remote"))

	// A stage error comes back as a remote error with its message.
	var out stage.TreeDOutput
	err = startProcessor(t, stage.TreeD).Call(ctx, stage.TreeDTask{Staged: filepath.Join(dir, "missing"), Tree: filepath.Join(dir, "t")}, &out)
	if !errors.Is(err, processor.ErrRemote) || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("tree_d of a missing file: %v", err)
	}
}

func TestProcessor_KilledMidRequestRestarts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	staged := filepath.Join(dir, "staged")
	if _, err := stage.RunAddPieces(ctx, stage.AddPiecesTask{Staged: staged, SectorSize: 256 << 20}); err != nil {
		t.Fatal(err)
	}
	c := startProcessor(t, stage.TreeD)
	task := stage.TreeDTask{Staged: staged, Tree: filepath.Join(dir, "tree-d")}
	errc := make(chan error, 1)
	go func() {
		var out stage.TreeDOutput
		errc <- c.Call(ctx, task, &out)
	}()
	// The stage is running once its temporary tree file exists.
	waitFor(t, func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, ".tree-d.*.tmp"))
		return len(m) > 0
	})
	pid := c.PID()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, processor.ErrProcessorExited) {
		t.Fatalf("request in flight when the processor died: %v", err)
	}
	var out stage.TreeDOutput
	if err := c.Call(ctx, task, &out); err != nil {
		t.Fatalf("retry after restart: %v", err)
	}
	if c.PID() == pid {
		t.Error("the processor was not restarted")
	}
	want, err := stage.RunTreeD(ctx, stage.TreeDTask{Staged: staged, Tree: filepath.Join(dir, "tree-local")})
	if err != nil || !want.CommD.Equals(out.CommD) {
		t.Errorf("CommD after restart %s, in process %s (%v)", out.CommD, want.CommD, err)
	}
}

func TestCLI_Processor(t *testing.T) {
	if code, _, errs := runCLI(t, nil, "processor"); code != 2 || !strings.Contains(errs, "want one STAGE (add_pieces, c1, c2, finalize, pc1, pc2, tree_d, unseal, window_post, winning_post)") {
		t.Errorf("no stage: %d %q", code, errs)
	}
	if code, _, errs := runCLI(t, nil, "processor", "pc9"); code != 2 || !strings.Contains(errs, `unknown stage "pc9"`) {
		t.Errorf("unknown stage: %d %q", code, errs)
	}
	// In process: the ready line, then one reply per request line.
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(`{"id":1,"task":{"Staged":"/nonexistent","Tree":"/nonexistent2"}}` + "\n"), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	if code := run(context.Background(), e, []string{"processor", "tree_d"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || lines[0] != "tree_d processor ready" || !strings.Contains(lines[1], `"id":1`) || !strings.Contains(lines[1], "no such file") {
		t.Errorf("processor output: %q", out.String())
	}
}

// TestEngine_ProcessorsMatchLocal takes the same 2 KiB sector through the
// whole round trip with the in-process engine and with every stage in a
// `strata processor`: identical outputs, replicas, proofs and unsealed
// bytes, and the proofs verify.
func TestEngine_ProcessorsMatchLocal(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := make([]byte, 2048/128*127)
	_, _ = rand.NewChaCha8([32]byte{5}).Read(data)
	pieceFile := filepath.Join(dir, "piece")
	if err := os.WriteFile(pieceFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ticket, seed, rnd := stage.Bytes32{1}, stage.Bytes32{2}, stage.Bytes32{3, 31: 0xff}
	type result struct {
		pc1             stage.PC1Output
		pc2             stage.PC2Output
		c2              stage.ProofOutput
		window, winning stage.PoStOutput
		unsealed        []byte
		sealed          []byte
		commD           [32]byte
		pieces          []piece.Info
	}
	run := func(name string, eng engine.Engine) result {
		t.Helper()
		d := filepath.Join(dir, name)
		s := seal.Sector{Proof: proof.StackedDrg2KiBV1_1, Miner: 1000, Number: 3,
			Staged: filepath.Join(d, "staged"), Cache: filepath.Join(d, "cache"), Sealed: filepath.Join(d, "sealed")}
		st := stage.SealTask{Sector: s, ParentCache: filepath.Join(dir, "parents")}
		if err := os.MkdirAll(s.Cache, 0o755); err != nil {
			t.Fatal(err)
		}
		var r result
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		ap, err := eng.AddPieces(ctx, stage.AddPiecesTask{Staged: s.Staged, SectorSize: 2048, Pieces: []stage.PieceFile{{Size: 2048, Path: pieceFile}}})
		must(err)
		r.pieces = ap.Pieces
		td, err := eng.TreeD(ctx, stage.TreeDTask{Staged: s.Staged, Tree: filepath.Join(s.Cache, seal.TreeDFile)})
		must(err)
		r.commD, err = piece.DecodeV1(td.CommD)
		must(err)
		r.pc1, err = eng.PC1(ctx, stage.PC1Task{SealTask: st, Ticket: ticket, CommD: r.commD})
		must(err)
		r.pc2, err = eng.PC2(ctx, st)
		must(err)
		c1, err := eng.C1(ctx, stage.C1Task{SealTask: st, Ticket: ticket, Seed: seed, CommD: r.commD})
		must(err)
		r.c2, err = eng.C2(ctx, c1)
		must(err)
		_, err = eng.Finalize(ctx, stage.FinalizeTask{Sector: s, DropStaged: true})
		must(err)
		out := filepath.Join(d, "unsealed")
		_, err = eng.Unseal(ctx, stage.UnsealTask{SealTask: st, Ticket: ticket, CommD: r.commD, Size: uint64(len(data)), Out: out})
		must(err)
		r.unsealed, err = os.ReadFile(out)
		must(err)
		r.sealed, err = os.ReadFile(s.Sealed)
		must(err)
		r.window, err = eng.GenerateWindowPoSt(ctx, stage.PoStTask{Proof: proof.StackedDrgWindow2KiBV1_1, Miner: 1000, Randomness: rnd, Sectors: []seal.Sector{s}})
		must(err)
		r.winning, err = eng.GenerateWinningPoSt(ctx, stage.PoStTask{Proof: proof.StackedDrgWinning2KiBV1, Miner: 1000, Randomness: rnd, Sectors: []seal.Sector{s}})
		must(err)
		return r
	}
	local := run("local", engine.Local{})
	procs := &engine.Processors{Stages: map[string]engine.Caller{}}
	for name := range stage.Handlers() {
		procs.Stages[name] = startProcessor(t, name)
	}
	remote := run("remote", procs)

	lj, _ := json.Marshal([]any{local.pc1, local.pc2, local.c2, local.window, local.winning})
	rj, _ := json.Marshal([]any{remote.pc1, remote.pc2, remote.c2, remote.window, remote.winning})
	if !bytes.Equal(lj, rj) {
		t.Errorf("in process %s\nin processors %s", lj, rj)
	}
	if !bytes.Equal(local.sealed, remote.sealed) {
		t.Error("the replicas differ")
	}
	if !bytes.Equal(local.unsealed, data) || !bytes.Equal(remote.unsealed, data) {
		t.Error("the data does not unseal back")
	}
	if len(remote.window.Faults)+len(remote.winning.Faults) != 0 {
		t.Fatalf("faults: %v %v", remote.window.Faults, remote.winning.Faults)
	}
	if want, _ := commp.UnsealedCID(2048, remote.pieces); !piece.CIDv1(remote.commD).Equals(want) {
		t.Errorf("CommD %x, the piece list's %s", remote.commD, want)
	}
	pub := seal.PublicInputs{Proof: proof.StackedDrg2KiBV1_1, Miner: 1000, Number: 3, Ticket: ticket, Seed: seed, CommD: remote.commD, CommR: remote.pc2.CommR}
	if err := procs.VerifySeal(ctx, engine.SealVerifyInfo{PublicInputs: pub, Proof: remote.c2.Proof}); err != nil {
		t.Errorf("seal proof from the processors: %v", err)
	}
	sectors := []post.Public{{Number: 3, CommR: remote.pc2.CommR}}
	if err := procs.VerifyWindowPoSt(ctx, engine.PoStVerifyInfo{Proof: proof.StackedDrgWindow2KiBV1_1, Miner: 1000, Randomness: rnd, Sectors: sectors, Bytes: remote.window.Proof}); err != nil {
		t.Errorf("WindowPoSt from the processors: %v", err)
	}
	if err := procs.VerifyWinningPoSt(ctx, engine.PoStVerifyInfo{Proof: proof.StackedDrgWinning2KiBV1, Miner: 1000, Randomness: rnd, Sectors: sectors, Bytes: remote.winning.Proof}); err != nil {
		t.Errorf("WinningPoSt from the processors: %v", err)
	}
}
