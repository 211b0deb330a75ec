package stage_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/stage"
)

// sealOne seals an all-zero 2 KiB sector with the built-in engine's stages
// and finalizes it, leaving what PoSt reads: the replica, p_aux and
// tree_r_last. It returns the sector and its CommR.
func sealOne(tb testing.TB, dir string) (seal.Sector, [32]byte) {
	tb.Helper()
	ctx := context.Background()
	s := seal.Sector{Proof: proof.StackedDrg2KiBV1_1, Miner: 1000, Number: 1,
		Staged: filepath.Join(dir, "staged"), Cache: filepath.Join(dir, "cache"), Sealed: filepath.Join(dir, "sealed")}
	if err := os.MkdirAll(s.Cache, 0o755); err != nil {
		tb.Fatal(err)
	}
	st := stage.SealTask{Sector: s, ParentCache: filepath.Join(dir, "parents")}
	if _, err := stage.RunAddPieces(ctx, stage.AddPiecesTask{Staged: s.Staged, SectorSize: piece.PaddedSize(proof.Size2KiB)}); err != nil {
		tb.Fatal(err)
	}
	td, err := stage.RunTreeD(ctx, stage.TreeDTask{Staged: s.Staged, Tree: filepath.Join(s.Cache, seal.TreeDFile)})
	if err != nil {
		tb.Fatal(err)
	}
	commD, err := piece.DecodeV1(td.CommD)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := stage.RunPC1(ctx, stage.PC1Task{SealTask: st, Ticket: stage.Bytes32{1}, CommD: commD}); err != nil {
		tb.Fatal(err)
	}
	c, err := stage.RunPC2(ctx, st)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := stage.RunFinalize(ctx, stage.FinalizeTask{Sector: s, DropStaged: true}); err != nil {
		tb.Fatal(err)
	}
	return s, c.CommR
}

// copySector copies the files PoSt reads of src (replica, p_aux,
// tree_r_last) under dir/<number>, as sector number. A PoSt's challenges
// depend on the number; the replica and its tree do not, and a verifier
// only needs the CommR, so the copy proves like a sector of its own.
func copySector(tb testing.TB, src seal.Sector, dir string, number uint64) seal.Sector {
	tb.Helper()
	d := filepath.Join(dir, fmt.Sprint(number))
	s := src
	s.Number, s.Staged = number, ""
	s.Cache, s.Sealed = filepath.Join(d, "cache"), filepath.Join(d, "sealed")
	if err := os.MkdirAll(s.Cache, 0o755); err != nil {
		tb.Fatal(err)
	}
	copyFile(tb, src.Sealed, s.Sealed)
	files := []string{seal.PAuxFile}
	_, sub, top, err := src.Proof.TreeShape()
	if err != nil {
		tb.Fatal(err)
	}
	for k := range max(sub, 1) * max(top, 1) {
		files = append(files, seal.TreeRLastFile(k))
	}
	for _, f := range files {
		copyFile(tb, filepath.Join(src.Cache, f), filepath.Join(s.Cache, f))
	}
	return s
}

func copyFile(tb testing.TB, from, to string) {
	tb.Helper()
	in, err := os.Open(from)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
}
