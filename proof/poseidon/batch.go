package poseidon

import (
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
	"github.com/consensys/gnark-crypto/utils/cpu"
)

const (
	// batchSize is how many hashes a Batch runs side by side: on the
	// development machine 128 arity-8 hashes (a state of 2×9 vectors of
	// 4 KiB) took about 10% less time per hash than 64, 256 no less.
	batchSize = 128
	// minBatch is the smallest group worth the vector kernels: under 16
	// elements their fixed costs outweigh the gain (gnark-crypto's IFMA
	// kernels work on blocks of 8).
	minBatch = 16
)

// Batch hashes many inputs of one arity at once. Where the CPU has
// AVX-512 IFMA it runs up to 128 hashes in lock step, each field operation
// applied to a vector of 128 elements by gnark-crypto's vector kernels,
// which multiply at about half the cost of one Element.Mul each; elsewhere
// it hashes one input at a time. The results are those of Hasher.Hash.
//
// A Batch owns its scratch state (about 80 KiB for arity 8): it is not
// safe for concurrent use; give each goroutine its own.
type Batch struct {
	p *params
	// s and next are the state, element-major: s[i][k] is element i of
	// hash k. The linear layers write next, then the two swap.
	s, next []fr.Vector
	tmp     fr.Vector
	// all lists 0..width-1: the outputs a full mix computes.
	all []int
}

// NewBatch returns a Batch with the Hasher's arity.
func (h *Hasher) NewBatch() *Batch {
	t := h.p.width
	b := &Batch{
		p:    h.p,
		s:    make([]fr.Vector, t),
		next: make([]fr.Vector, t),
		tmp:  make(fr.Vector, batchSize),
		all:  make([]int, t),
	}
	for i := range t {
		b.all[i] = i
		b.s[i] = make(fr.Vector, batchSize)
		b.next[i] = make(fr.Vector, batchSize)
	}
	return b
}

// Arity returns the number of inputs of each hash.
func (b *Batch) Arity() int { return b.p.arity }

// Hash sets out[k] to the hash of in[k*Arity() : (k+1)*Arity()] for each k
// below len(out). len(in) must be len(out)*Arity(); other lengths are a
// programming error and panic.
func (b *Batch) Hash(out, in []fr.Element) {
	a := b.p.arity
	if len(in) != len(out)*a {
		panic(fmt.Sprintf("poseidon: Batch of arity %d given %d inputs for %d outputs", a, len(in), len(out)))
	}
	for len(out) > 0 {
		n := min(len(out), batchSize)
		if cpu.SupportAVX512IFMA && n >= minBatch {
			b.hashVectors(out[:n], in[:n*a])
		} else {
			for k := range n {
				out[k] = b.p.hash(in[k*a : (k+1)*a])
			}
		}
		out, in = out[n:], in[n*a:]
	}
}

// hashVectors is hash (hash.go) with every element operation applied to n
// = len(out) ≤ batchSize states at once.
func (b *Batch) hashVectors(out, in []fr.Element) {
	p := b.p
	t, a, half, n := p.width, p.arity, p.rf/2, len(out)
	s, next := b.s, b.next
	for i := range t {
		s[i], next[i] = s[i][:n], next[i][:n]
	}
	tmp := b.tmp[:n]
	for k := range n {
		for i := range a {
			s[i+1][k] = in[k*a+i]
		}
	}
	sbox := func(v fr.Vector) {
		tmp.Mul(v, v)
		tmp.Mul(tmp, tmp)
		v.Mul(v, tmp)
	}
	addConst := func(v fr.Vector, c *fr.Element) {
		for k := range v {
			v[k].Add(&v[k], c)
		}
	}
	// mix sets next_j = Σ_i s_i m[j*t+i] (see mix in hash.go) for j in js,
	// then swaps s and next.
	mix := func(m []fr.Element, js []int) {
		for _, j := range js {
			dst := next[j]
			dst.ScalarMul(s[0], &m[j*t])
			for i := 1; i < t; i++ {
				tmp.ScalarMul(s[i], &m[j*t+i])
				dst.Add(dst, tmp)
			}
		}
		s, next = next, s
	}
	all := b.all

	rc := p.fullConstants
	for r := range half {
		start := 0
		if r == 0 {
			for k := range n {
				s[0][k] = p.first0
			}
			start = 1
		}
		for i := start; i < t; i++ {
			addConst(s[i], &rc[i])
			sbox(s[i])
		}
		rc = rc[t:]
		if r == half-1 {
			mix(p.preSparse, all)
		} else {
			mix(p.mds, all)
		}
	}

	for r := range p.rp {
		addConst(s[0], &p.partialConstants[r])
		sbox(s[0])
		sp := &p.sparse[r]
		s0 := next[0]
		s0.ScalarMul(s[0], &sp.col[0])
		for i := 1; i < t; i++ {
			tmp.ScalarMul(s[i], &sp.col[i])
			s0.Add(s0, tmp)
		}
		for j := 1; j < t; j++ {
			tmp.ScalarMul(s[0], &sp.row[j-1])
			s[j].Add(s[j], tmp)
		}
		s[0], next[0] = s0, s[0]
	}

	for r := range half {
		for i := range t {
			addConst(s[i], &rc[i])
			sbox(s[i])
		}
		rc = rc[t:]
		if r == half-1 {
			mix(p.mds, all[1:2]) // only element 1 is returned
			break
		}
		mix(p.mds, all)
	}
	copy(out, s[1])
	// s and next may have swapped (an odd number of mixes): keep b's
	// vectors full length for the next call.
	for i := range t {
		b.s[i], b.next[i] = b.s[i][:batchSize], b.next[i][:batchSize]
	}
}
