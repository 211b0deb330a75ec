package poseidon

import (
	"fmt"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// fullRounds is R_F, the same for every width: 4 full rounds before the
// partial ones and 4 after (neptune round_numbers.rs, calc_round_numbers
// with security_margin = true gives 6 + 2).
const fullRounds = 8

// partialRounds is R_P by width t = arity+1, from neptune's
// round_numbers.rs (test_round_numbers_against_known_values; sdr-spec.md
// §7 gives 55, 56, 57 and 57 for t = 3, 5, 9 and 12). TestRoundNumbers
// recomputes them with neptune's formula.
func partialRounds(width int) int {
	switch width {
	case 3:
		return 55
	case 5:
		return 56
	case 9, 12:
		return 57
	case 17, 25:
		return 59
	case 37:
		return 60
	}
	panic(fmt.Sprintf("poseidon: no round numbers for width %d", width))
}

// params are the constants of one arity, in two forms: as the textbook
// permutation uses them (kept for the tests that check the optimised form
// against it) and as hash uses them.
type params struct {
	arity, width int
	rf, rp       int
	// tag is the MerkleTree domain tag, 2^arity - 1 (neptune hash_type.rs,
	// Arity::tag: F::from((1 << arity) - 1) with a u64 shift).
	tag fr.Element

	// roundConstants are the (rf+rp)*width Grain constants, in the order
	// the rounds add them.
	roundConstants []fr.Element
	// mds is the width×width Cauchy matrix, row-major: mds[i*width+j] is
	// M[i][j]. It is symmetric, so row j also lists the coefficients of
	// output j.
	mds []fr.Element

	// The optimised form (optimise.go).

	// fullConstants are the constants of the 8 full rounds, width each; the
	// first of the second half also carries what the partial rounds pushed
	// forward.
	fullConstants []fr.Element
	// partialConstants is the one scalar each partial round adds to
	// element 0.
	partialConstants []fr.Element
	// first0 is element 0 after the first S-box: (tag + c_0)^5, the same
	// for every input.
	first0 fr.Element
	// preSparse replaces M in the last full round before the partial
	// rounds, transposed: preSparse[j*width+i] is its entry (i, j).
	preSparse []fr.Element
	// sparse are the partial rounds' matrices.
	sparse []sparseMatrix
}

// sparseMatrix is a matrix that is the identity except for its first row
// and first column, applied to the state as a row vector (s' = s·A):
//
//	s'_0 = Σ_i s_i col[i]
//	s'_j = s_0 row[j-1] + s_j   (j ≥ 1)
type sparseMatrix struct {
	col []fr.Element // width: the first column, A[i][0]
	row []fr.Element // width-1: the first row after its first entry, A[0][j]
}

// onceParams returns a function that builds the parameters of arity on its
// first call and returns them on every call.
func onceParams(arity int) func() *params {
	return sync.OnceValue(func() *params { return newParams(arity) })
}

func newParams(arity int) *params {
	t := arity + 1
	p := &params{
		arity: arity,
		width: t,
		rf:    fullRounds,
		rp:    partialRounds(t),
	}
	p.tag.SetUint64(uint64(1)<<arity - 1)
	p.roundConstants = grainConstants(t, p.rf, p.rp)
	p.mds = cauchyMDS(t)
	p.optimise()
	return p
}

// cauchyMDS returns neptune's MDS matrix (mds.rs, generate_mds):
// M[i][j] = 1 / (x_i + y_j) with x_i = i and y_j = t + j.
func cauchyMDS(t int) []fr.Element {
	m := make([]fr.Element, t*t)
	for i := range t {
		for j := range t {
			var d fr.Element
			d.SetUint64(uint64(i + t + j))
			m[i*t+j].Inverse(&d)
		}
	}
	return m
}

// grainConstants generates the round constants of width t the way neptune
// does (round_constants.rs, generate_constants, after the reference
// create_rcs_grain.sage):
//
//   - An 80-bit LFSR is seeded, most significant bit first, with field = 1
//     (2 bits), S-box = 1 (4 bits: neptune's SBOX for x^5, where the
//     reference script would use 0), the field size 255 (12 bits), t (12
//     bits), R_F (10 bits), R_P (10 bits) and thirty 1 bits.
//   - Each step outputs b62^b51^b38^b23^b13^b0 and shifts it in; the first
//     160 outputs are discarded.
//   - Outputs are filtered in pairs: a pair (1, b) yields b, a pair (0, b)
//     yields nothing.
//   - A constant is 255 filtered bits read as a big-endian integer, drawn
//     again while it is not below r.
func grainConstants(t, rf, rp int) []fr.Element {
	var g grain
	g.seed(t, rf, rp)
	out := make([]fr.Element, 0, (rf+rp)*t)
	for len(out) < cap(out) {
		// 255 bits: 7 in the first (most significant) byte, 8 in the others.
		var be [32]byte
		be[0] = g.byte(7)
		for i := 1; i < len(be); i++ {
			be[i] = g.byte(8)
		}
		var e fr.Element
		if e.SetBytesCanonical(be[:]) != nil {
			continue // not below r: rejected
		}
		out = append(out, e)
	}
	return out
}

// grain is the LFSR of grainConstants. s is a ring buffer: bit i of the
// state (bit 0 the oldest) is s[(head+i) % 80].
type grain struct {
	s    [80]bool
	head int
}

func (g *grain) seed(t, rf, rp int) {
	n := 0
	put := func(bits int, v int) {
		for i := bits - 1; i >= 0; i-- {
			g.s[n] = v>>i&1 == 1
			n++
		}
	}
	put(2, 1) // field: a prime field
	put(4, 1) // S-box: neptune's SBOX = 1 (x^5)
	put(12, fr.Bits)
	put(12, t)
	put(10, rf)
	put(10, rp)
	put(30, 1<<30-1)
	for range 160 {
		g.step()
	}
}

// step advances the LFSR by one bit and returns it.
func (g *grain) step() bool {
	at := func(i int) bool { return g.s[(g.head+i)%80] }
	b := at(62) != at(51) != at(38) != at(23) != at(13) != at(0)
	g.s[g.head] = b // the oldest bit's slot becomes the newest
	g.head = (g.head + 1) % 80
	return b
}

// bit returns the next filtered bit.
func (g *grain) bit() bool {
	for !g.step() {
		g.step()
	}
	return g.step()
}

// byte returns the next n filtered bits, the first one most significant.
func (g *grain) byte(n int) byte {
	var b byte
	for range n {
		b <<= 1
		if g.bit() {
			b |= 1
		}
	}
	return b
}
