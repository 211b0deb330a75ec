package poseidon

import (
	"errors"
	"math/big"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// FuzzHashBytes hashes fuzzed 32-byte inputs. The first byte picks the
// arity, the rest fills the inputs (zero-padded). Non-canonical inputs
// must be refused with ErrNonCanonical, judged by math/big against
// fr.Modulus; canonical ones must hash to what the textbook permutation
// gives, and decode and encode back to the same bytes.
func FuzzHashBytes(f *testing.F) {
	f.Add([]byte{0})
	f.Add(append([]byte{2}, make([]byte, 8*32)...))
	r := limbs(r0, r1, r2, r3)
	f.Add(append([]byte{0}, r[:]...))
	rm1 := limbs(r0-1, r1, r2, r3)
	f.Add(append(append([]byte{1}, rm1[:]...), rm1[:]...))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		a := arities[int(data[0])%len(arities)]
		data = data[1:]
		in := make([][32]byte, a)
		nonCanonical := false
		for i := range in {
			if len(data) > 0 {
				n := copy(in[i][:], data)
				data = data[n:]
			}
			var v big.Int
			v.SetBytes(reverse(in[i][:]))
			if v.Cmp(fr.Modulus()) >= 0 {
				nonCanonical = true
			}
		}
		got, err := HashBytes(in...)
		if nonCanonical {
			if !errors.Is(err, ErrNonCanonical) {
				t.Fatalf("non-canonical input accepted: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatalf("canonical input refused: %v", err)
		}
		els := make([]fr.Element, a)
		for i := range in {
			els[i], err = FromBytes(in[i])
			if err != nil {
				t.Fatal(err)
			}
			if back := ToBytes(&els[i]); back != in[i] {
				t.Fatalf("input %d: %x decodes and encodes to %x", i, in[i], back)
			}
		}
		want := referenceHash(paramsByArity[a](), els)
		if ToBytes(&want) != got {
			t.Fatalf("arity %d: HashBytes %x, reference %x", a, got, ToBytes(&want))
		}
		if !Canonical(&got) {
			t.Fatalf("output %x not canonical", got)
		}
	})
}
