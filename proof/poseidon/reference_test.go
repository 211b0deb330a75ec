package poseidon

import (
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// referenceHash is the textbook permutation, neptune's "correct" mode
// (poseidon_alt.rs, hash_correct; sdr-spec.md §7), written as plainly as
// possible from the spec so that the optimised hash can be checked against
// it:
//
//   - full round: s_i = (s_i + C[off+i])^5 for all i, off += t, then MDS;
//   - partial round: s_i += C[off+i] for all i, off += t, s_0 = s_0^5, MDS;
//   - 4 full, R_P partial, 4 full; MDS: s'_j = Σ_i s_i M[i][j].
func referenceHash(p *params, in []fr.Element) fr.Element {
	t := p.width
	s := make([]fr.Element, t)
	s[0] = p.tag
	copy(s[1:], in)
	off := 0
	addConstants := func() {
		for i := range s {
			s[i].Add(&s[i], &p.roundConstants[off+i])
		}
		off += t
	}
	pow5 := func(x *fr.Element) {
		var y fr.Element
		y.Set(x)
		for range 4 {
			x.Mul(x, &y)
		}
	}
	mds := func() {
		out := make([]fr.Element, t)
		for j := range t {
			for i := range t {
				var prod fr.Element
				prod.Mul(&s[i], &p.mds[i*t+j])
				out[j].Add(&out[j], &prod)
			}
		}
		copy(s, out)
	}
	full := func() {
		addConstants()
		for i := range s {
			pow5(&s[i])
		}
		mds()
	}
	for range p.rf / 2 {
		full()
	}
	for range p.rp {
		addConstants()
		pow5(&s[0])
		mds()
	}
	for range p.rf / 2 {
		full()
	}
	if off != len(p.roundConstants) {
		panic("reference: round constants not all used")
	}
	return s[1]
}
