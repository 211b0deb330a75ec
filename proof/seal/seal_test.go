package seal_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/unsealed"
)

func newSector(t *testing.T, p proof.SealProof) (seal.Sector, *seal.Engine) {
	t.Helper()
	dir := t.TempDir()
	s := seal.Sector{Proof: p, Staged: filepath.Join(dir, "staged"), Cache: filepath.Join(dir, "cache"), Sealed: filepath.Join(dir, "sealed")}
	return s, &seal.Engine{ParentCacheDir: filepath.Join(dir, "parents")}
}

// TestSeal_EndToEnd2KiBVector seals the sdr-spec §6(c) sector: 2 KiB, all
// zero data, prover 0, sector 0, ticket 0, porep_id of proof 5 (v1.1).
func TestSeal_EndToEnd2KiBVector(t *testing.T) {
	ctx := context.Background()
	s, e := newSector(t, proof.StackedDrg2KiBV1_1)
	if _, err := unsealed.AddPieces(ctx, s.Staged, 2048, nil); err != nil {
		t.Fatal(err)
	}
	commD, err := e.TreeD(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	replicaID, err := e.PC1(ctx, s, [32]byte{}, commD)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.PC2(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][32]byte{"comm_d": commD, "replica_id": replicaID, "comm_c": c.CommC, "comm_r_last": c.CommRLast, "comm_r": c.CommR} {
		want := map[string]string{
			"comm_d":      "fc7e928296e516faade986b28f92d44a4f24b935485223376a799027bc18f833",
			"replica_id":  "edf690d1b380c34e45eb64f5fe322903c59ddc2184f06cbe57ac519f8eccba16",
			"comm_c":      "21d8cba73e302bb5c90c24e55e2d26ab6687ba494827d16df16ab4f7eeddbe2e",
			"comm_r_last": "15b54a5f36daefa62518dbbecb9575e976cfb3562b897865005f311985cdfc13",
			"comm_r":      "b2298a51987c872ff986126b6c9a5b95e3f4fa076c04d5581fbe86a23441526d",
		}[name]
		if hex.EncodeToString(got[:]) != want {
			t.Errorf("%s = %x, want %s", name, got, want)
		}
	}
	// PC2 again (after a crash, say) gives the same commitments and replica.
	replica, _ := os.ReadFile(s.Sealed)
	again, err := e.PC2(ctx, s)
	if err != nil || again != c {
		t.Errorf("PC2 rerun: %+v, %v", again, err)
	}
	if r2, _ := os.ReadFile(s.Sealed); !bytes.Equal(r2, replica) {
		t.Error("PC2 rerun changed the replica")
	}
	paux, _ := os.ReadFile(filepath.Join(s.Cache, seal.PAuxFile))
	if !bytes.Equal(paux, append(c.CommC[:], c.CommRLast[:]...)) {
		t.Errorf("p_aux = %x", paux)
	}
}
