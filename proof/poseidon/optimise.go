package poseidon

import (
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// The optimised evaluation (the Poseidon paper's appendix B, which
// neptune's hash_optimized_static follows) gives the same result as the
// textbook permutation; TestHash_MatchesReference checks it for every
// arity. The state is a row vector s and a linear layer is s ← s·A.
// A partial round is s ← E(s + c)·M, where E raises element 0 to the fifth
// power and leaves the others alone.
//
// Constants. Write c = (a, b) with a its first entry. Since E leaves
// elements 1.. alone, E(s + (a, b))·M = E(s + (a, 0))·M + (0, b)·M: the b
// part passes linearly through the round and can be added to the next
// round's constants instead. Carried forward through every partial round,
// each partial round adds one scalar, and the last carry joins the
// constants of the first full round after them.
//
// Matrices. Write a width×width matrix A as [[a00, v], [w, Â]] (v a row,
// w a column). Then A = P·S with P = [[1, 0], [0, Â]] and
// S = [[a00, v], [Â⁻¹w, I]], sparse. P keeps element 0 and mixes only the
// others, so it commutes with E and with a constant added to element 0:
// E(s)·P·S = E(s·P)·S. Moving P back into the previous round's matrix,
// from the last partial round to the first, leaves each partial round a
// sparse matrix, and the last full round before them the dense matrix M·P
// (neptune mds.rs, factor_to_sparse_matrixes, calls P and S m_prime and
// m_double_prime).

// optimise derives the optimised form of the constants (fullConstants,
// partialConstants, first0, preSparse, sparse) from the textbook ones.
func (p *params) optimise() {
	t, half := p.width, p.rf/2
	rc := p.roundConstants

	p.fullConstants = make([]fr.Element, p.rf*t)
	copy(p.fullConstants[:half*t], rc[:half*t])
	copy(p.fullConstants[half*t:], rc[(half+p.rp)*t:])
	partial := rc[half*t : (half+p.rp)*t]

	// Carry the constants forward through the partial rounds.
	p.partialConstants = make([]fr.Element, p.rp)
	d := make([]fr.Element, t)
	copy(d, partial[:t])
	for r := range p.rp {
		p.partialConstants[r] = d[0]
		carry := mulRowMatrix(d[1:], p.mds, t, 1) // (0, d[1:])·M
		next := p.fullConstants[half*t : (half+1)*t]
		if r+1 < p.rp {
			next = partial[(r+1)*t : (r+2)*t]
		}
		for j := range t {
			d[j].Add(&next[j], &carry[j])
		}
		if r+1 == p.rp {
			copy(p.fullConstants[half*t:], d)
		}
	}

	// The tag is the same for every hash, so is its first S-box.
	p.first0.Add(&p.tag, &p.fullConstants[0])
	sbox(&p.first0)

	// Factor the partial rounds' matrices, from the last round back.
	p.sparse = make([]sparseMatrix, p.rp)
	a := append([]fr.Element(nil), p.mds...)
	for r := p.rp - 1; r >= 0; r-- {
		hat := make([]fr.Element, (t-1)*(t-1))
		w := make([]fr.Element, t-1)
		for i := 1; i < t; i++ {
			w[i-1] = a[i*t]
			copy(hat[(i-1)*(t-1):i*(t-1)], a[i*t+1:(i+1)*t])
		}
		sp := sparseMatrix{
			col: make([]fr.Element, t),
			row: append([]fr.Element(nil), a[1:t]...),
		}
		sp.col[0] = a[0]
		copy(sp.col[1:], solve(hat, w, t-1))
		p.sparse[r] = sp

		// a = M·P, P = [[1, 0], [0, Â]]
		prime := make([]fr.Element, t*t)
		prime[0].SetOne()
		for i := 1; i < t; i++ {
			copy(prime[i*t+1:(i+1)*t], hat[(i-1)*(t-1):i*(t-1)])
		}
		a = matMul(p.mds, prime, t)
	}
	p.preSparse = transpose(a, t)
}

// mulRowMatrix returns (0,...,0, x)·A for the row vector x placed at
// offset off of a width-t vector, A t×t row-major.
func mulRowMatrix(x, a []fr.Element, t, off int) []fr.Element {
	out := make([]fr.Element, t)
	var tmp fr.Element
	for i := range x {
		for j := range t {
			tmp.Mul(&x[i], &a[(i+off)*t+j])
			out[j].Add(&out[j], &tmp)
		}
	}
	return out
}

// matMul returns a·b for n×n row-major matrices.
func matMul(a, b []fr.Element, n int) []fr.Element {
	out := make([]fr.Element, n*n)
	var tmp fr.Element
	for i := range n {
		for k := range n {
			for j := range n {
				tmp.Mul(&a[i*n+k], &b[k*n+j])
				out[i*n+j].Add(&out[i*n+j], &tmp)
			}
		}
	}
	return out
}

func transpose(a []fr.Element, n int) []fr.Element {
	out := make([]fr.Element, n*n)
	for i := range n {
		for j := range n {
			out[j*n+i] = a[i*n+j]
		}
	}
	return out
}

// solve returns x with a·x = y for an invertible n×n row-major matrix a
// (Gauss-Jordan elimination; a and y are not modified). The matrices
// factored here are products of Cauchy minors, all invertible, so a
// singular one is a bug and panics.
func solve(a, y []fr.Element, n int) []fr.Element {
	m := append([]fr.Element(nil), a...)
	x := append([]fr.Element(nil), y...)
	var inv, f, tmp fr.Element
	for col := range n {
		pivot := -1
		for r := col; r < n; r++ {
			if !m[r*n+col].IsZero() {
				pivot = r
				break
			}
		}
		if pivot < 0 {
			panic("poseidon: singular matrix while factoring the MDS matrix")
		}
		if pivot != col {
			for j := range n {
				m[pivot*n+j], m[col*n+j] = m[col*n+j], m[pivot*n+j]
			}
			x[pivot], x[col] = x[col], x[pivot]
		}
		inv.Inverse(&m[col*n+col])
		for j := range n {
			m[col*n+j].Mul(&m[col*n+j], &inv)
		}
		x[col].Mul(&x[col], &inv)
		for r := range n {
			if r == col || m[r*n+col].IsZero() {
				continue
			}
			f = m[r*n+col]
			for j := range n {
				tmp.Mul(&f, &m[col*n+j])
				m[r*n+j].Sub(&m[r*n+j], &tmp)
			}
			tmp.Mul(&f, &x[col])
			x[r].Sub(&x[r], &tmp)
		}
	}
	return x
}
