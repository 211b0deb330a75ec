package post_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/post"
)

// FuzzUnmarshal feeds arbitrary bytes to the proof decoder: no panic, and
// whatever decodes re-encodes to the same bytes.
func FuzzUnmarshal(f *testing.F) {
	s, _, _ := sector(f, 3, proof.Size2KiB, 9)
	proofs, _, err := post.Prove(context.Background(), proof.StackedDrgWindow2KiBV1_1, [32]byte{1}, []post.Sector{s})
	if err != nil {
		f.Fatal(err)
	}
	enc, _ := post.Marshal(proofs)
	f.Add(enc)
	f.Add([]byte{0x80})
	f.Add([]byte{0x81, 0x84, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := post.Unmarshal(b)
		if err != nil {
			return
		}
		again, err := post.Marshal(d)
		if err != nil {
			t.Fatalf("decoded proof does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("decode/encode changed the bytes")
		}
	})
}
