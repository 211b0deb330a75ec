package challenge_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math/big"
	"testing"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/proof/challenge"
)

func TestProverID(t *testing.T) {
	// The payload of the f0 address, padded: f01000 is uvarint 1000 = e8 07.
	id := challenge.ProverID(1000)
	a, _ := address.NewIDAddress(1000)
	if hex.EncodeToString(id[:2]) != "e807" || string(id[:len(a.Payload())]) != string(a.Payload()) {
		t.Errorf("ProverID(1000) = %x", id)
	}
	for _, b := range id[2:] {
		if b != 0 {
			t.Fatalf("ProverID(1000) not zero-padded: %x", id)
		}
	}
}

func TestInteractive(t *testing.T) {
	var rid, seed [32]byte
	for i := range rid {
		rid[i], seed[i] = byte(i), byte(255-i)
	}
	got, err := challenge.Interactive(rid, seed, 64, 1, 2)
	if err != nil || len(got) != 2 {
		t.Fatal(got, err)
	}
	// Recompute the second challenge of partition 1 (j = 3) longhand.
	msg := append(append(append([]byte{}, rid[:]...), seed[:]...), 3, 0, 0, 0)
	h := sha256.Sum256(msg)
	le := make([]byte, 32)
	for i := range le {
		le[i] = h[31-i]
	}
	want := new(big.Int).Mod(new(big.Int).SetBytes(le), big.NewInt(63)).Uint64() + 1
	if got[1] != want {
		t.Errorf("challenge = %d, want %d", got[1], want)
	}
	// Never node 0, always in range, over many seeds.
	for s := range 200 {
		seed[0] = byte(s)
		cs, _ := challenge.Interactive(rid, seed, 64, 0, 18)
		for _, c := range cs {
			if c == 0 || c >= 64 {
				t.Fatalf("challenge %d out of 1..63", c)
			}
		}
	}
	if _, err := challenge.Interactive(rid, seed, 1, 0, 1); !errors.Is(err, challenge.ErrInvalid) {
		t.Errorf("one node: %v", err)
	}
}

func TestPoSt(t *testing.T) {
	var prover, rand [32]byte
	prover[0], rand[5] = 7, 9
	secs, err := challenge.PoStSectors(prover, rand, 10, 5)
	if err != nil {
		t.Fatal(err)
	}
	msg := append(append(append([]byte{}, prover[:]...), rand[:]...), 4, 0, 0, 0, 0, 0, 0, 0)
	h := sha256.Sum256(msg)
	if secs[4] != binary.LittleEndian.Uint64(h[:8])%10 {
		t.Errorf("sector challenge 4 = %d", secs[4])
	}
	leaves, err := challenge.PoStLeaves(rand, 42, 64, 10, -1)
	if err != nil {
		t.Fatal(err)
	}
	legacy, _ := challenge.PoStLeaves(rand, 42, 64, 10, 0)
	if len(leaves) != 10 || leaves[3] != legacy[3] {
		t.Errorf("v1.2 and legacy index 0 must agree: %v %v", leaves, legacy)
	}
	msg = append(append([]byte{}, rand[:]...), 42, 0, 0, 0, 0, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0)
	h = sha256.Sum256(msg)
	legacy1, _ := challenge.PoStLeaves(rand, 42, 64, 10, 1)
	if legacy1[3] != binary.LittleEndian.Uint64(h[:8])%64 {
		t.Errorf("legacy leaf challenge = %d", legacy1[3])
	}
	if _, err := challenge.PoStSectors(prover, rand, 0, 1); !errors.Is(err, challenge.ErrInvalid) {
		t.Error("empty sector set accepted")
	}
}
