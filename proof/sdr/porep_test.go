package sdr

import (
	"encoding/hex"
	"github.com/strata-sp/strata/proof"
	"testing"
)

// TestReplicaID checks the end-to-end replica_id of sdr-spec.md §6(c):
// prover_id 0, sector 0, ticket 0, comm_d of an empty 2 KiB sector (§6(d))
// and the porep_id of proof.StackedDrg2KiBV1_1. The spec computed it with the
// independent reimplementation, not with Rust; the formula (§4) is the one
// the label vectors depend on.
func TestReplicaID(t *testing.T) {
	var commD [32]byte
	copy(commD[:], unhex(t, "fc7e928296e516faade986b28f92d44a4f24b935485223376a799027bc18f833"))
	porepID, err := proof.StackedDrg2KiBV1_1.PoRepID()
	if err != nil {
		t.Fatal(err)
	}
	got := ReplicaID([32]byte{}, 0, [32]byte{}, commD, porepID)
	if want := "edf690d1b380c34e45eb64f5fe322903c59ddc2184f06cbe57ac519f8eccba16"; hex.EncodeToString(got[:]) != want {
		t.Errorf("replica_id = %x, want %s", got, want)
	}
	// The sector number is big-endian and the result a canonical Fr.
	a := ReplicaID([32]byte{}, 1, [32]byte{}, commD, porepID)
	b := ReplicaID([32]byte{}, 1<<56, [32]byte{}, commD, porepID)
	if a == b || a[31]&0xc0 != 0 || b[31]&0xc0 != 0 {
		t.Errorf("replica_id of sectors 1 and 1<<56: %x, %x", a, b)
	}
}

func TestPoRepID(t *testing.T) {
	id := PoRepID(9, 0x0102)
	if want := "09000000000000000201000000000000" + "0000000000000000" + "0000000000000000"; hex.EncodeToString(id[:]) != want {
		t.Errorf("PoRepID(9, 0x102) = %x", id)
	}
}
