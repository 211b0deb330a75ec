package seal_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/unsealed"
)

// sealed2KiB seals a 2 KiB sector of random data and returns it with its
// public inputs.
func sealed2KiB(t *testing.T, p proof.SealProof) (seal.Sector, *seal.Engine, seal.PublicInputs) {
	t.Helper()
	ctx := context.Background()
	s, e := newSector(t, p)
	s.Miner, s.Number = 1000, 42
	data := make([]byte, 2032)
	_, _ = rand.NewChaCha8([32]byte{7}).Read(data)
	if _, err := unsealed.AddPieces(ctx, s.Staged, 2048, []unsealed.Piece{{Size: 2048, Data: bytes.NewReader(data)}}); err != nil {
		t.Fatal(err)
	}
	commD, err := e.TreeD(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	ticket := [32]byte{1, 2, 3}
	if _, err := e.PC1(ctx, s, ticket, commD); err != nil {
		t.Fatal(err)
	}
	c, err := e.PC2(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	return s, e, seal.PublicInputs{Proof: p, Miner: 1000, Number: 42, Ticket: ticket, Seed: [32]byte{9, 9}, CommD: commD, CommR: c.CommR}
}

func TestC1_VerifySeal(t *testing.T) {
	for _, p := range []proof.SealProof{proof.StackedDrg2KiBV1_1, proof.StackedDrg2KiBV1} {
		t.Run(p.String(), func(t *testing.T) {
			s, e, pub := sealed2KiB(t, p)
			pr, err := e.C1(context.Background(), s, pub.Ticket, pub.Seed, pub.CommD)
			if err != nil {
				t.Fatal(err)
			}
			if err := seal.VerifySeal(pub, pr); err != nil {
				t.Fatal(err)
			}
			if len(pr.Partitions) != 1 || len(pr.Partitions[0]) != 2 || len(pr.Partitions[0][0].Parents) != 14 {
				t.Errorf("proof shape: %d partitions", len(pr.Partitions))
			}
			refuse := func(name string, pub seal.PublicInputs, pr *seal.Proof) {
				t.Helper()
				if err := seal.VerifySeal(pub, pr); !errors.Is(err, seal.ErrInvalidProof) {
					t.Errorf("%s: VerifySeal = %v, want ErrInvalidProof", name, err)
				}
			}
			wrong := pub
			wrong.Seed[0] ^= 1
			refuse("wrong seed", wrong, pr)
			wrong = pub
			wrong.CommR[0] ^= 1
			refuse("wrong CommR", wrong, pr)
			wrong = pub
			wrong.CommD[3] ^= 1
			refuse("wrong CommD", wrong, pr)
			wrong = pub
			wrong.Ticket[0] ^= 1
			refuse("wrong ticket", wrong, pr)
			wrong = pub
			wrong.Number++
			refuse("other sector", wrong, pr)

			mutate := func(name string, f func(cp *seal.ChallengeProof)) {
				t.Helper()
				cp := pr.Partitions[0][1]
				clone := *pr
				clone.Partitions = [][]seal.ChallengeProof{{pr.Partitions[0][0], cloneChallenge(cp)}}
				f(&clone.Partitions[0][1])
				refuse(name, pub, &clone)
			}
			mutate("swapped parent columns", func(cp *seal.ChallengeProof) { cp.Parents[0], cp.Parents[1] = cp.Parents[1], cp.Parents[0] })
			mutate("parent column of another node", func(cp *seal.ChallengeProof) { cp.Parents[2] = cp.Column })
			mutate("changed label", func(cp *seal.ChallengeProof) { cp.Column.Labels[0][4] ^= 1 })
			mutate("changed data leaf", func(cp *seal.ChallengeProof) { cp.DataLeaf[0] ^= 1 })
			mutate("changed replica leaf", func(cp *seal.ChallengeProof) { cp.Replica.Leaf[1] ^= 1 })
			mutate("missing parent", func(cp *seal.ChallengeProof) { cp.Parents = cp.Parents[:13] })
			mutate("other node", func(cp *seal.ChallengeProof) { cp.Node++ })
		})
	}
}

// cloneChallenge deep-copies what the mutations touch.
func cloneChallenge(cp seal.ChallengeProof) seal.ChallengeProof {
	cp.Parents = append([]seal.Column(nil), cp.Parents...)
	cp.Column.Labels = append([][32]byte(nil), cp.Column.Labels...)
	r := *cp.Replica
	cp.Replica = &r
	return cp
}

func TestSealProof_Encoding(t *testing.T) {
	s, e, pub := sealed2KiB(t, proof.StackedDrg2KiBV1_1)
	pr, err := e.C1(context.Background(), s, pub.Ticket, pub.Seed, pub.CommD)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := pr.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var dec seal.Proof
	if err := dec.UnmarshalBinary(enc); err != nil {
		t.Fatal(err)
	}
	if err := seal.VerifySeal(pub, &dec); err != nil {
		t.Fatalf("decoded proof: %v", err)
	}
	if again, _ := dec.MarshalBinary(); !bytes.Equal(again, enc) {
		t.Error("re-encoding changed the bytes")
	}
	// Every tampered byte is refused by decoding or verifying.
	for i := 0; i < len(enc); i += 17 {
		mod := bytes.Clone(enc)
		mod[i] ^= 0x04
		var d seal.Proof
		if d.UnmarshalBinary(mod) == nil && seal.VerifySeal(pub, &d) == nil {
			t.Fatalf("flipping byte %d of %d went unnoticed", i, len(enc))
		}
	}
	var d seal.Proof
	if err := d.UnmarshalBinary(enc[:len(enc)-3]); !errors.Is(err, seal.ErrEncoding) {
		t.Errorf("truncated: %v", err)
	}
	if err := d.UnmarshalBinary(append(bytes.Clone(enc), 0)); !errors.Is(err, seal.ErrEncoding) {
		t.Errorf("trailing byte: %v", err)
	}
	if err := d.UnmarshalBinary(make([]byte, seal.MaxEncodedSize+1)); !errors.Is(err, seal.ErrEncoding) {
		t.Errorf("oversized: %v", err)
	}
}

// FuzzSealProofDecode: arbitrary bytes never panic the decoder, and what
// decodes re-encodes to the same bytes.
func FuzzSealProofDecode(f *testing.F) {
	f.Add([]byte{0x83, 0x58, 0x20})
	f.Add([]byte{0x83})
	f.Fuzz(func(t *testing.T, b []byte) {
		var p seal.Proof
		if p.UnmarshalBinary(b) != nil {
			return
		}
		again, err := p.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("decode/encode round trip differs: %v", err)
		}
	})
}

func TestUnseal(t *testing.T) {
	ctx := context.Background()
	s, e := newSector(t, proof.StackedDrg2KiBV1_1)
	data := make([]byte, 2032)
	_, _ = rand.NewChaCha8([32]byte{5}).Read(data)
	if _, err := unsealed.AddPieces(ctx, s.Staged, 2048, []unsealed.Piece{{Size: 2048, Data: bytes.NewReader(data)}}); err != nil {
		t.Fatal(err)
	}
	commD, _ := e.TreeD(ctx, s)
	ticket := [32]byte{4}
	if _, err := e.PC1(ctx, s, ticket, commD); err != nil {
		t.Fatal(err)
	}
	if _, err := e.PC2(ctx, s); err != nil {
		t.Fatal(err)
	}
	check := func(name string, off, size uint64) {
		t.Helper()
		var out bytes.Buffer
		if err := e.Unseal(ctx, s, ticket, commD, off, size, &out); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(out.Bytes(), data[off:off+size]) {
			t.Fatalf("%s: unsealed bytes differ", name)
		}
	}
	check("whole sector", 0, 2032)
	check("a middle range", 127*3, 127*5)
	// After Finalize drops the layers and the staged copy, unsealing
	// relabels and still gives every byte back.
	if err := e.Finalize(ctx, s, true); err != nil {
		t.Fatal(err)
	}
	check("after finalize", 0, 2032)
	if err := e.Unseal(ctx, s, ticket, commD, 1, 127, new(bytes.Buffer)); err == nil {
		t.Error("an unaligned range was accepted")
	}
	if err := e.Unseal(ctx, s, ticket, commD, 127*15, 127*2, new(bytes.Buffer)); err == nil {
		t.Error("a range past the sector was accepted")
	}
}
