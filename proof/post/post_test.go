package post_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/challenge"
	"github.com/strata-sp/strata/proof/post"
	"github.com/strata-sp/strata/proof/ptree"
)

// sector builds a replica of random field elements and its tree_r_last.
func sector(t testing.TB, number uint64, size proof.SectorSize, seed byte) (post.Sector, post.Public, string) {
	t.Helper()
	dir := t.TempDir()
	replica := make([]byte, size)
	_, _ = rand.NewChaCha8([32]byte{seed}).Read(replica)
	for i := 31; i < len(replica); i += 32 {
		replica[i] &= 0x3f // a field element
	}
	sealedPath := filepath.Join(dir, "sealed")
	if err := os.WriteFile(sealedPath, replica, 0o644); err != nil {
		t.Fatal(err)
	}
	shape, err := ptree.ShapeFor(uint64(size))
	if err != nil {
		t.Fatal(err)
	}
	var stores []ptree.Store
	for i := range shape.BaseTrees() {
		f, err := os.Create(filepath.Join(dir, "tree-r-last-"+string(rune('0'+i))))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		stores = append(stores, f)
	}
	tree, err := ptree.Build(context.Background(), ptree.Config{Shape: shape, Leaves: uint64(size) / 32}, ptree.FromReader(bytes.NewReader(replica)), stores)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := os.Open(sealedPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sealed.Close() })
	var commC [32]byte
	commC[0], commC[1] = seed, 1
	commR, err := ptree.CommR(commC, tree.Root())
	if err != nil {
		t.Fatal(err)
	}
	return post.Sector{Number: number, CommC: commC, CommRLast: tree.Root(), TreeRLast: tree, Sealed: sealed},
		post.Public{Number: number, CommR: commR}, sealedPath
}

func TestWindowPoSt_RoundTrip(t *testing.T) {
	ctx := context.Background()
	p := proof.StackedDrgWindow2KiBV1_1
	a, pa, _ := sector(t, 10, proof.Size2KiB, 1)
	b, pb, _ := sector(t, 11, proof.Size2KiB, 2)
	var rnd [32]byte
	rnd[3] = 42
	proofs, faults, err := post.Prove(ctx, p, rnd, []post.Sector{a, b})
	if err != nil || len(faults) != 0 || len(proofs) != 2 {
		t.Fatalf("Prove: %d proofs, faults %v, %v", len(proofs), faults, err)
	}
	if len(proofs[0].Leaves) != 10 {
		t.Errorf("%d leaf proofs, want 10", len(proofs[0].Leaves))
	}
	pub := []post.Public{pa, pb}
	if err := post.Verify(p, rnd, pub, proofs); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	enc, err := post.Marshal(proofs)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := post.Unmarshal(enc)
	if err != nil {
		t.Fatal(err)
	}
	if err := post.Verify(p, rnd, pub, dec); err != nil {
		t.Fatalf("Verify after a CBOR round trip: %v", err)
	}
	again, _ := post.Marshal(dec)
	if !bytes.Equal(again, enc) {
		t.Error("re-encoding changed the bytes")
	}

	bad := func(name string, rnd [32]byte, pub []post.Public, proofs []post.SectorProof) {
		t.Helper()
		if err := post.Verify(p, rnd, pub, proofs); !errors.Is(err, post.ErrInvalid) {
			t.Errorf("%s: Verify = %v, want ErrInvalid", name, err)
		}
	}
	other := rnd
	other[0] ^= 1
	bad("other randomness", other, pub, proofs)
	wrongR := []post.Public{pa, {Number: pb.Number, CommR: pa.CommR}}
	bad("wrong comm_r", rnd, wrongR, proofs)
	bad("swapped sectors", rnd, []post.Public{pb, pa}, proofs)
	bad("missing sector", rnd, pub, proofs[:1])
	short := append([]post.SectorProof(nil), proofs...)
	short[1].Leaves = short[1].Leaves[:9]
	bad("missing challenge", rnd, pub, short)

	// Every tampered byte of the encoding is refused by decoding or verifying.
	for i := 0; i < len(enc); i += 13 {
		mod := bytes.Clone(enc)
		mod[i] ^= 0x01
		d, err := post.Unmarshal(mod)
		if err == nil && post.Verify(p, rnd, pub, d) == nil {
			t.Fatalf("flipping byte %d of %d went unnoticed", i, len(enc))
		}
	}
	if _, err := post.Unmarshal(enc[:len(enc)-1]); !errors.Is(err, post.ErrEncoding) {
		t.Errorf("truncated: %v", err)
	}
	if _, err := post.Unmarshal(append(bytes.Clone(enc), 0)); !errors.Is(err, post.ErrEncoding) {
		t.Errorf("trailing byte: %v", err)
	}
	if _, err := post.Unmarshal(make([]byte, post.MaxEncodedSize+1)); !errors.Is(err, post.ErrEncoding) {
		t.Errorf("oversized: %v", err)
	}
}

func TestPoSt_DamagedReplica(t *testing.T) {
	ctx := context.Background()
	p := proof.StackedDrgWindow2KiBV1_1
	a, pa, _ := sector(t, 7, proof.Size2KiB, 3)
	b, pb, sealedB := sector(t, 8, proof.Size2KiB, 4)
	var rnd [32]byte
	leaves, _ := challenge.PoStLeaves(rnd, 8, 64, 10, -1)
	touched := map[uint64]bool{}
	for _, c := range leaves {
		touched[c] = true
	}
	// A flipped byte in a node no challenge opens: the proof still holds.
	var untouched uint64
	for untouched = 0; touched[untouched]; untouched++ {
	}
	flip(t, sealedB, untouched)
	proofs, faults, err := post.Prove(ctx, p, rnd, []post.Sector{a, b})
	if err != nil || len(faults) != 0 {
		t.Fatalf("damage outside the challenges: faults %v, %v", faults, err)
	}
	if err := post.Verify(p, rnd, []post.Public{pa, pb}, proofs); err != nil {
		t.Fatal(err)
	}
	// A flipped byte in a challenged node: the sector is reported faulty,
	// the other one is still proven.
	flip(t, sealedB, leaves[4])
	proofs, faults, err = post.Prove(ctx, p, rnd, []post.Sector{a, b})
	if err != nil || len(faults) != 1 || faults[0].Number != 8 || !errors.Is(faults[0].Err, post.ErrFaulty) {
		t.Fatalf("damage at a challenge: faults %v, %v", faults, err)
	}
	if len(proofs) != 1 || post.Verify(p, rnd, []post.Public{pa}, proofs) != nil {
		t.Error("the healthy sector was not proven")
	}
	// A proof carrying the damaged leaf does not verify.
	good, _, _ := post.Prove(ctx, p, rnd, []post.Sector{a})
	forged := good[0]
	forged.Leaves[0].Leaf[0] ^= 1
	if err := post.Verify(p, rnd, []post.Public{pa}, []post.SectorProof{forged}); !errors.Is(err, post.ErrInvalid) {
		t.Errorf("damaged leaf: %v", err)
	}
}

func flip(t *testing.T, path string, node uint64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[node*32+5] ^= 0x10
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestWinningPoSt(t *testing.T) {
	ctx := context.Background()
	p := proof.StackedDrgWinning2KiBV1
	s, pub, _ := sector(t, 99, proof.Size2KiB, 5)
	var rnd [32]byte
	rnd[9] = 7
	proofs, faults, err := post.Prove(ctx, p, rnd, []post.Sector{s})
	if err != nil || len(faults) != 0 || len(proofs[0].Leaves) != 66 {
		t.Fatalf("winning: %v %v", faults, err)
	}
	if err := post.Verify(p, rnd, []post.Public{pub}, proofs); err != nil {
		t.Fatal(err)
	}
	if err := post.Verify(p, rnd, []post.Public{pub, pub}, append(proofs, proofs[0])); !errors.Is(err, post.ErrInvalid) {
		t.Errorf("a winning proof of two sectors: %v", err)
	}
	// A 2 KiB sector's tree does not prove an 8 MiB sector.
	if _, faults, _ := post.Prove(ctx, proof.StackedDrgWinning8MiBV1, rnd, []post.Sector{s}); len(faults) != 1 {
		t.Errorf("wrong-size sector proven: %v", faults)
	}
}

func TestCheckSector(t *testing.T) {
	p := proof.StackedDrgWindow2KiBV1_1
	s, pub, sealed := sector(t, 12, proof.Size2KiB, 6)
	var rnd [32]byte
	rnd[0] = 3
	if err := post.CheckSector(p, rnd, 0, s, pub.CommR); err != nil {
		t.Fatalf("healthy sector: %v", err)
	}
	if err := post.CheckSector(p, rnd, 64, s, [32]byte{}); err != nil {
		t.Fatalf("unknown comm_r, 64 challenges: %v", err)
	}
	wrongR := pub.CommR
	wrongR[0] ^= 1
	otherRoot := s
	otherRoot.CommRLast[0] ^= 1
	noTree := s
	noTree.TreeRLast = nil
	for name, err := range map[string]error{
		"wrong comm_r":      post.CheckSector(p, rnd, 0, s, wrongR),
		"wrong comm_r_last": post.CheckSector(p, rnd, 0, otherRoot, [32]byte{}),
		"no tree":           post.CheckSector(p, rnd, 0, noTree, pub.CommR),
	} {
		if !errors.Is(err, post.ErrFaulty) {
			t.Errorf("%s: %v, want ErrFaulty", name, err)
		}
	}
	if err := post.CheckSector(99, rnd, 0, s, pub.CommR); err == nil || errors.Is(err, post.ErrFaulty) {
		t.Errorf("unknown proof: %v, want an error that is not a fault", err)
	}
	// A damaged node is found by a check that opens it, whatever the
	// count, and missed by one that does not.
	leaves, _ := challenge.PoStLeaves(rnd, 12, 64, 3, -1)
	flip(t, sealed, leaves[2])
	if err := post.CheckSector(p, rnd, 2, s, pub.CommR); err != nil && !slices.Contains(leaves[:2], leaves[2]) {
		t.Errorf("damage outside 2 challenges: %v", err)
	}
	if err := post.CheckSector(p, rnd, 3, s, pub.CommR); !errors.Is(err, post.ErrFaulty) {
		t.Errorf("damage at challenge 3: %v", err)
	}
}
