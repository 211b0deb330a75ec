package poseidon

import (
	"fmt"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// BenchmarkHash times one hash per arity with the optimised evaluation;
// BenchmarkReference times the textbook permutation for comparison.
//
//	go test -run='^$' -bench=Hash ./proof/poseidon/
func BenchmarkHash(b *testing.B) {
	for _, a := range arities {
		b.Run(fmt.Sprintf("arity=%d", a), func(b *testing.B) {
			h := MustNew(a)
			in := counting(a)
			b.ReportAllocs()
			for b.Loop() {
				out := h.Hash(in)
				in[0] = out // a dependency chain, as up a tree
			}
		})
	}
}

func BenchmarkReference(b *testing.B) {
	for _, a := range []int{2, 8, 11} {
		b.Run(fmt.Sprintf("arity=%d", a), func(b *testing.B) {
			p := paramsByArity[a]()
			in := counting(a)
			for b.Loop() {
				in[0] = referenceHash(p, in)
			}
		})
	}
}

// BenchmarkBatch times hashing 4096 inputs with a Batch, reported per hash.
func BenchmarkBatch(b *testing.B) {
	for _, a := range []int{2, 8, 11} {
		b.Run(fmt.Sprintf("arity=%d", a), func(b *testing.B) {
			const n = 4096
			bt := MustNew(a).NewBatch()
			in := counting(n * a)
			out := make([]fr.Element, n)
			b.ReportAllocs()
			for b.Loop() {
				bt.Hash(out, in)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/hash")
		})
	}
}
