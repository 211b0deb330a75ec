package proof_test

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/strata-sp/strata/proof"
)

func TestSealProof_Table(t *testing.T) {
	tests := []struct {
		p                      proof.SealProof
		name                   string
		size                   proof.SectorSize
		layers, parts, perPart int
		sub, top               int
		window, winning        proof.PoStProof
		graph11                bool
	}{
		{proof.StackedDrg2KiBV1, "StackedDrg2KiBV1", 2048, 2, 1, 2, 0, 0, proof.StackedDrgWindow2KiBV1_1, proof.StackedDrgWinning2KiBV1, false},
		{proof.StackedDrg8MiBV1_1, "StackedDrg8MiBV1_1", 8 << 20, 2, 1, 2, 0, 0, proof.StackedDrgWindow8MiBV1_1, proof.StackedDrgWinning8MiBV1, true},
		{proof.StackedDrg512MiBV1_1, "StackedDrg512MiBV1_1", 512 << 20, 2, 1, 2, 0, 0, proof.StackedDrgWindow512MiBV1_1, proof.StackedDrgWinning512MiBV1, true},
		{proof.StackedDrg32GiBV1_1, "StackedDrg32GiBV1_1", 32 << 30, 11, 10, 18, 8, 0, proof.StackedDrgWindow32GiBV1_1, proof.StackedDrgWinning32GiBV1, true},
		{proof.StackedDrg64GiBV1_1_Feat_SyntheticPoRep, "StackedDrg64GiBV1_1_Feat_SyntheticPoRep", 64 << 30, 11, 10, 18, 8, 2, proof.StackedDrgWindow64GiBV1_1, proof.StackedDrgWinning64GiBV1, true},
		{proof.StackedDrg32GiBV1_2_Feat_NiPoRep, "StackedDrg32GiBV1_2_Feat_NiPoRep", 32 << 30, 11, 10, 18, 8, 0, proof.StackedDrgWindow32GiBV1_1, proof.StackedDrgWinning32GiBV1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.p.String() != tc.name {
				t.Errorf("String = %s", tc.p)
			}
			size, _ := tc.p.SectorSize()
			layers, _ := tc.p.Layers()
			parts, _ := tc.p.Partitions()
			per, _ := tc.p.InteractiveChallenges()
			base, sub, top, _ := tc.p.TreeShape()
			window, _ := tc.p.WindowPoSt()
			winning, _ := tc.p.WinningPoSt()
			nodes, _ := tc.p.Nodes()
			if size != tc.size || nodes != uint64(tc.size)/32 || layers != tc.layers || parts != tc.parts || per != tc.perPart ||
				base != 8 || sub != tc.sub || top != tc.top || window != tc.window || winning != tc.winning || tc.p.Graph1_1() != tc.graph11 {
				t.Errorf("%s: size %d layers %d partitions %d challenges %d shape %d/%d/%d window %s winning %s graph1.1 %v",
					tc.name, size, layers, parts, per, base, sub, top, window, winning, tc.p.Graph1_1())
			}
		})
	}
}

func TestSealProof_NetworkNumbers(t *testing.T) {
	// go-state-types abi: V1 0..4, V1_1 5..9, synthetic 10..14, NiPoRep 15..19.
	for n, want := range map[int64]string{0: "StackedDrg2KiBV1", 3: "StackedDrg32GiBV1", 8: "StackedDrg32GiBV1_1", 9: "StackedDrg64GiBV1_1",
		13: "StackedDrg32GiBV1_1_Feat_SyntheticPoRep", 18: "StackedDrg32GiBV1_2_Feat_NiPoRep"} {
		if got := proof.SealProof(n).String(); got != want {
			t.Errorf("SealProof(%d) = %s, want %s", n, got, want)
		}
	}
	for n, want := range map[int64]string{0: "StackedDrgWinning2KiBV1", 3: "StackedDrgWinning32GiBV1", 8: "StackedDrgWindow32GiBV1", 13: "StackedDrgWindow32GiBV1_1", 14: "StackedDrgWindow64GiBV1_1"} {
		if got := proof.PoStProof(n).String(); got != want {
			t.Errorf("PoStProof(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestSealProof_PoRepID(t *testing.T) {
	id, err := proof.StackedDrg32GiBV1_1.PoRepID()
	if err != nil || hex.EncodeToString(id[:]) != "0800000000000000"+"0000000000000000"+"0000000000000000"+"0000000000000000" {
		t.Errorf("porep_id = %x, %v", id, err)
	}
}

func TestProofs_Unknown(t *testing.T) {
	for _, p := range []proof.SealProof{-1, 20, 1 << 40} {
		if _, err := p.SectorSize(); !errors.Is(err, proof.ErrUnknownProof) || p.Valid() {
			t.Errorf("SealProof(%d): %v", p, err)
		}
		if _, err := p.PoRepID(); !errors.Is(err, proof.ErrUnknownProof) {
			t.Errorf("PoRepID of %d: %v", p, err)
		}
		if p.String() == "" {
			t.Error("empty name")
		}
	}
	for _, p := range []proof.PoStProof{-1, 15} {
		if _, err := p.SectorSize(); !errors.Is(err, proof.ErrUnknownProof) || p.Valid() {
			t.Errorf("PoStProof(%d): %v", p, err)
		}
	}
	if n, _ := proof.StackedDrgWindow32GiBV1_1.SectorsPerPartition(); n != 2349 {
		t.Errorf("32GiB window partition = %d", n)
	}
	if proof.StackedDrgWinning2KiBV1.Challenges() != 66 || proof.StackedDrgWindow2KiBV1_1.Challenges() != 10 {
		t.Error("challenge counts")
	}
}
