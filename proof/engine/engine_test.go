package engine_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/engine"
	"github.com/strata-sp/strata/proof/post"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/stage"
)

type sealed struct {
	s     seal.Sector
	commD [32]byte
	commR [32]byte
	proof []byte
}

// sealSector seals an all-zero 2 KiB sector with number n through the
// Sealer interface.
func sealSector(t *testing.T, eng engine.Engine, dir string, n uint64) sealed {
	t.Helper()
	ctx := context.Background()
	d := filepath.Join(dir, "s"+string(rune('a'+n)))
	s := seal.Sector{Proof: proof.StackedDrg2KiBV1_1, Miner: 1000, Number: n,
		Staged: filepath.Join(d, "staged"), Cache: filepath.Join(d, "cache"), Sealed: filepath.Join(d, "sealed")}
	if err := os.MkdirAll(s.Cache, 0o755); err != nil {
		t.Fatal(err)
	}
	st := stage.SealTask{Sector: s, ParentCache: filepath.Join(dir, "parents")}
	if _, err := eng.AddPieces(ctx, stage.AddPiecesTask{Staged: s.Staged, SectorSize: 2048}); err != nil {
		t.Fatal(err)
	}
	td, err := eng.TreeD(ctx, stage.TreeDTask{Staged: s.Staged, Tree: filepath.Join(s.Cache, seal.TreeDFile)})
	if err != nil {
		t.Fatal(err)
	}
	commD, err := piece.DecodeV1(td.CommD)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.PC1(ctx, stage.PC1Task{SealTask: st, Ticket: stage.Bytes32{1}, CommD: commD}); err != nil {
		t.Fatal(err)
	}
	c, err := eng.PC2(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	c1, err := eng.C1(ctx, stage.C1Task{SealTask: st, Ticket: stage.Bytes32{1}, Seed: stage.Bytes32{2}, CommD: commD})
	if err != nil {
		t.Fatal(err)
	}
	c2, err := eng.C2(ctx, c1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Finalize(ctx, stage.FinalizeTask{Sector: s}); err != nil {
		t.Fatal(err)
	}
	return sealed{s: s, commD: commD, commR: c.CommR, proof: c2.Proof}
}

func TestLocal_VerifyRefusals(t *testing.T) {
	ctx := context.Background()
	var eng engine.Engine = engine.Local{}
	x := sealSector(t, eng, t.TempDir(), 1)
	pub := seal.PublicInputs{Proof: proof.StackedDrg2KiBV1_1, Miner: 1000, Number: 1, Ticket: [32]byte{1}, Seed: [32]byte{2}, CommD: x.commD, CommR: x.commR}
	if err := eng.VerifySeal(ctx, engine.SealVerifyInfo{PublicInputs: pub, Proof: x.proof}); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name string
		v    func(v *engine.SealVerifyInfo)
	}{
		{"wrong seed", func(v *engine.SealVerifyInfo) { v.Seed[0]++ }},
		{"wrong ticket", func(v *engine.SealVerifyInfo) { v.Ticket[0]++ }},
		{"wrong CommR", func(v *engine.SealVerifyInfo) { v.CommR[0]++ }},
		{"wrong CommD", func(v *engine.SealVerifyInfo) { v.CommD[0]++ }},
		{"other sector", func(v *engine.SealVerifyInfo) { v.Number++ }},
		{"other miner", func(v *engine.SealVerifyInfo) { v.Miner++ }},
		{"truncated", func(v *engine.SealVerifyInfo) { v.Proof = v.Proof[:len(v.Proof)-1] }},
		{"empty", func(v *engine.SealVerifyInfo) { v.Proof = nil }},
	}
	for _, b := range bad {
		v := engine.SealVerifyInfo{PublicInputs: pub, Proof: append([]byte(nil), x.proof...)}
		b.v(&v)
		if err := eng.VerifySeal(ctx, v); !errors.Is(err, engine.ErrInvalid) {
			t.Errorf("%s: %v", b.name, err)
		}
	}
}

func TestLocal_PoSt(t *testing.T) {
	ctx := context.Background()
	var eng engine.Engine = engine.Local{}
	dir := t.TempDir()
	a, b := sealSector(t, eng, dir, 1), sealSector(t, eng, dir, 2)
	rnd := [32]byte{9, 31: 0xc1}
	task := stage.PoStTask{Proof: proof.StackedDrgWindow2KiBV1_1, Miner: 1000, Randomness: rnd, Sectors: []seal.Sector{a.s, b.s}}
	out, err := eng.GenerateWindowPoSt(ctx, task)
	if err != nil || len(out.Faults) != 0 {
		t.Fatalf("%v %v", out.Faults, err)
	}
	v := engine.PoStVerifyInfo{Proof: task.Proof, Miner: 1000, Randomness: rnd,
		Sectors: []post.Public{{Number: 1, CommR: a.commR}, {Number: 2, CommR: b.commR}}, Bytes: out.Proof}
	if err := eng.VerifyWindowPoSt(ctx, v); err != nil {
		t.Fatal(err)
	}
	// The top two bits of the randomness are not part of the challenge.
	v2 := v
	v2.Randomness[31] ^= 0x80
	if err := eng.VerifyWindowPoSt(ctx, v2); err != nil {
		t.Errorf("randomness differing in the masked bits: %v", err)
	}
	for name, mod := range map[string]func(v *engine.PoStVerifyInfo){
		"other randomness": func(v *engine.PoStVerifyInfo) { v.Randomness[0]++ },
		"wrong CommR": func(v *engine.PoStVerifyInfo) {
			v.Sectors = []post.Public{{Number: 1, CommR: b.commR}, {Number: 2, CommR: b.commR}}
		},
		"one sector missing": func(v *engine.PoStVerifyInfo) { v.Sectors = v.Sectors[:1] },
		"as a WinningPoSt":   func(v *engine.PoStVerifyInfo) { v.Proof = proof.StackedDrgWinning2KiBV1 },
		"truncated":          func(v *engine.PoStVerifyInfo) { v.Bytes = v.Bytes[:len(v.Bytes)-3] },
		"one byte changed": func(v *engine.PoStVerifyInfo) {
			v.Bytes = append([]byte(nil), v.Bytes...)
			v.Bytes[len(v.Bytes)/2] ^= 1
		},
		"sectors out of order": func(v *engine.PoStVerifyInfo) { v.Sectors = []post.Public{v.Sectors[1], v.Sectors[0]} },
	} {
		w := v
		mod(&w)
		if err := eng.VerifyWindowPoSt(ctx, w); !errors.Is(err, engine.ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}

	// A lost replica is a fault, not a failure: the other sector is proven.
	if err := os.Remove(a.s.Sealed); err != nil {
		t.Fatal(err)
	}
	out, err = eng.GenerateWindowPoSt(ctx, task)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Faults) != 1 || out.Faults[0].Number != 1 || !strings.Contains(out.Faults[0].Reason, "sealed") {
		t.Fatalf("faults %+v", out.Faults)
	}
	v.Sectors, v.Bytes = v.Sectors[1:], out.Proof
	if err := eng.VerifyWindowPoSt(ctx, v); err != nil {
		t.Errorf("proof of the remaining sector: %v", err)
	}
	if _, err := eng.GenerateWinningPoSt(ctx, task); err == nil {
		t.Error("a WindowPoSt proof type for GenerateWinningPoSt was accepted")
	}
}

func TestWinningPoStSectors(t *testing.T) {
	rnd := [32]byte{1, 2, 3}
	got, err := engine.WinningPoStSectors(proof.StackedDrgWinning2KiBV1, 1000, rnd, 10)
	if err != nil || len(got) != 1 || got[0] >= 10 {
		t.Fatalf("%v %v", got, err)
	}
	again, _ := engine.WinningPoStSectors(proof.StackedDrgWinning2KiBV1, 1000, rnd, 10)
	if again[0] != got[0] {
		t.Error("not deterministic")
	}
	seen := map[uint64]bool{}
	for i := range 64 {
		rnd[0] = byte(i)
		s, _ := engine.WinningPoStSectors(proof.StackedDrgWinning2KiBV1, 1000, rnd, 10)
		seen[s[0]] = true
	}
	if len(seen) < 5 {
		t.Errorf("64 draws picked only %d of 10 sectors", len(seen))
	}
	if _, err := engine.WinningPoStSectors(proof.StackedDrgWindow2KiBV1_1, 1000, rnd, 10); err == nil {
		t.Error("a WindowPoSt proof was accepted")
	}
	if _, err := engine.WinningPoStSectors(proof.StackedDrgWinning2KiBV1, 1000, rnd, 0); err == nil {
		t.Error("an empty sector set was accepted")
	}
}
