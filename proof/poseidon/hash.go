package poseidon

import (
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// hash runs the optimised permutation (optimise.go) on [tag, in...] and
// returns element 1, as neptune's Poseidon::hash does. len(in) must be
// p.arity. The state lives on the stack: hashing does not allocate.
func (p *params) hash(in []fr.Element) fr.Element {
	t, half := p.width, p.rf/2
	var st, tmp [MaxArity + 1]fr.Element
	s := st[:t]
	copy(s[1:], in)

	// First half of the full rounds. Round 0's element 0 is the tag, whose
	// S-box output is precomputed.
	rc := p.fullConstants
	for r := range half {
		if r == 0 {
			s[0] = p.first0
		} else {
			s[0].Add(&s[0], &rc[0])
			sbox(&s[0])
		}
		for i := 1; i < t; i++ {
			s[i].Add(&s[i], &rc[i])
			sbox(&s[i])
		}
		rc = rc[t:]
		m := p.mds // symmetric: row j lists the coefficients of output j
		if r == half-1 {
			m = p.preSparse
		}
		mix(tmp[:t], s, m)
		copy(s, tmp[:t])
	}

	// Partial rounds: one constant, one S-box, a sparse matrix.
	var prod fr.Element
	for r := range p.rp {
		s[0].Add(&s[0], &p.partialConstants[r])
		sbox(&s[0])
		sp := &p.sparse[r]
		var s0 fr.Element
		s0.Mul(&s[0], &sp.col[0])
		for i := 1; i < t; i++ {
			prod.Mul(&s[i], &sp.col[i])
			s0.Add(&s0, &prod)
		}
		for j := 1; j < t; j++ {
			prod.Mul(&s[0], &sp.row[j-1])
			s[j].Add(&s[j], &prod)
		}
		s[0] = s0
	}

	// Second half. Only element 1 of the last mix is returned, so only it
	// is computed.
	for r := range half {
		for i := range t {
			s[i].Add(&s[i], &rc[i])
			sbox(&s[i])
		}
		rc = rc[t:]
		if r == half-1 {
			return dot(s, p.mds[t:2*t])
		}
		mix(tmp[:t], s, p.mds)
		copy(s, tmp[:t])
	}
	panic("unreachable")
}

// sbox sets x to x^5.
func sbox(x *fr.Element) {
	var x2 fr.Element
	x2.Square(x)
	x2.Square(&x2)
	x.Mul(x, &x2)
}

// mix sets out_j = Σ_i s_i m[j*t+i]: s times the matrix whose transpose is
// m (row-major, t×t).
func mix(out, s, m []fr.Element) {
	t := len(s)
	for j := range out {
		out[j] = dot(s, m[j*t:(j+1)*t])
	}
}

// dot returns Σ_i a_i b_i.
func dot(a, b []fr.Element) fr.Element {
	var acc, prod fr.Element
	b = b[:len(a)]
	acc.Mul(&a[0], &b[0])
	for i := 1; i < len(a); i++ {
		prod.Mul(&a[i], &b[i])
		acc.Add(&acc, &prod)
	}
	return acc
}
