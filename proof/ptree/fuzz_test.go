package ptree

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// FuzzProof decodes fuzzed bytes as a proof and verifies it, for the leaf
// named by the first two bytes, against a 32 KiB-shaped tree (8/8/2, every
// level kind). It checks that decoding refuses anything longer than
// MaxEncodedSize, that a decoded proof encodes back to the same bytes, and
// that a proof that verifies is the tree's own proof of that leaf, holding
// the right leaf: anything else would be a forged inclusion.
func FuzzProof(f *testing.F) {
	tree, leaves := buildSmall(f)
	for _, i := range []uint64{0, 1, 517, 1023} {
		p, err := tree.Prove(i)
		if err != nil {
			f.Fatal(err)
		}
		b, err := p.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(binary.LittleEndian.AppendUint16(nil, uint16(i)), b)
		f.Add(binary.LittleEndian.AppendUint16(nil, uint16(i+1)), b)
	}
	f.Add([]byte{0, 0}, make([]byte, MaxEncodedSize+1))
	f.Fuzz(func(t *testing.T, idx, enc []byte) {
		if len(idx) < 2 {
			return
		}
		i := uint64(binary.LittleEndian.Uint16(idx)) % tree.Leaves()
		var p Proof
		err := p.UnmarshalBinary(enc)
		if len(enc) > MaxEncodedSize && !errors.Is(err, ErrEncoding) {
			t.Fatalf("%d-byte encoding not refused: %v", len(enc), err)
		}
		if err != nil {
			if !errors.Is(err, ErrEncoding) {
				t.Fatalf("decoding error without ErrEncoding: %v", err)
			}
			return
		}
		back, err := p.MarshalBinary()
		if err != nil || !bytes.Equal(back, enc) {
			t.Fatalf("decoded proof encodes to %x (%v), not the input", back, err)
		}
		_, _ = p.ComputeRoot() // must not panic, whatever the nodes
		if err := Verify(tree.Shape(), tree.Leaves(), tree.Root(), i, &p); err != nil {
			return
		}
		honest, err := tree.Prove(i)
		if err != nil {
			t.Fatal(err)
		}
		if p.Leaf != leaves[i] || !equalProofs(&p, honest) {
			t.Fatalf("a proof other than the tree's verifies for leaf %d", i)
		}
	})
}
