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
	if code, _, errs := runCLI(t, nil, "processor"); code != 2 || !strings.Contains(errs, "want one STAGE (add_pieces, c1, c2, pc1, pc2, tree_d)") {
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

// TestProcessor_SealStagesMatchInProcess seals the same 2 KiB sector in
// process and through pc1/pc2/c1/c2 processors: identical outputs, replicas
// and proofs.
func TestProcessor_SealStagesMatchInProcess(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	task := func(name string) stage.SealTask {
		d := filepath.Join(dir, name)
		return stage.SealTask{ParentCache: filepath.Join(dir, "parents"), Sector: seal.Sector{
			Proof: proof.StackedDrg2KiBV1_1, Miner: 1000, Number: 3,
			Staged: filepath.Join(d, "staged"), Cache: filepath.Join(d, "cache"), Sealed: filepath.Join(d, "sealed")}}
	}
	ticket, seed := stage.Bytes32{1}, stage.Bytes32{2}
	type result struct {
		pc1 stage.PC1Output
		pc2 stage.PC2Output
		c2  stage.ProofOutput
	}
	run := func(name string, call func(stageName string, in, out any) error) result {
		t.Helper()
		st := task(name)
		if err := os.MkdirAll(st.Sector.Cache, 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := stage.RunAddPieces(ctx, stage.AddPiecesTask{Staged: st.Sector.Staged, SectorSize: 2048}); err != nil {
			t.Fatal(err)
		}
		var d stage.TreeDOutput
		if err := call(stage.TreeD, stage.TreeDTask{Staged: st.Sector.Staged, Tree: filepath.Join(st.Sector.Cache, seal.TreeDFile)}, &d); err != nil {
			t.Fatal(err)
		}
		commD, _ := piece.DecodeV1(d.CommD)
		var r result
		if err := call(stage.PC1, stage.PC1Task{SealTask: st, Ticket: ticket, CommD: commD}, &r.pc1); err != nil {
			t.Fatal(err)
		}
		if err := call(stage.PC2, st, &r.pc2); err != nil {
			t.Fatal(err)
		}
		var c1 stage.ProofOutput
		if err := call(stage.C1, stage.C1Task{SealTask: st, Ticket: ticket, Seed: seed, CommD: commD}, &c1); err != nil {
			t.Fatal(err)
		}
		if err := call(stage.C2, c1, &r.c2); err != nil {
			t.Fatal(err)
		}
		return r
	}
	local := run("local", func(name string, in, out any) error {
		b, _ := json.Marshal(in)
		h := stage.Handlers()[name]
		res, err := h.Handle(ctx, b)
		if err != nil {
			return err
		}
		ob, _ := json.Marshal(res)
		return json.Unmarshal(ob, out)
	})
	clients := map[string]*processor.Client{}
	remote := run("remote", func(name string, in, out any) error {
		c := clients[name]
		if c == nil {
			c = startProcessor(t, name)
			clients[name] = c
		}
		return c.Call(ctx, in, out)
	})
	if local.pc1 != remote.pc1 || local.pc2 != remote.pc2 || !bytes.Equal(local.c2.Proof, remote.c2.Proof) {
		t.Errorf("in process %+v, in processors %+v", local.pc2, remote.pc2)
	}
	sameFile(t, filepath.Join(dir, "local", "sealed"), filepath.Join(dir, "remote", "sealed"))
	var pr seal.Proof
	if err := pr.UnmarshalBinary(remote.c2.Proof); err != nil {
		t.Fatal(err)
	}
	zero, _ := commp.ZeroCommitment(2048) // CommD of the all-zero sector
	pub := seal.PublicInputs{Proof: proof.StackedDrg2KiBV1_1, Miner: 1000, Number: 3, Ticket: ticket, Seed: seed, CommD: zero, CommR: remote.pc2.CommR}
	if err := seal.VerifySeal(pub, &pr); err != nil {
		t.Errorf("proof from the processors: %v", err)
	}
}
