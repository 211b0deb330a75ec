// Package poseidon is the Poseidon hash over the BLS12-381 scalar field
// exactly as Filecoin uses it: neptune 11 with the constants that
// filecoin-hashers builds (PoseidonConstants::new(), that is
// Strength::Standard and HashType::MerkleTree; sdr-spec.md §7).
//
// A hash of arity a runs the permutation of width t = a+1 on the state
// [2^a - 1, x_1, ..., x_a] (the MerkleTree domain tag first) and returns
// element 1 of the result. The S-box is x^5; there are 8 full rounds and
// 55 to 60 partial rounds depending on t; the round constants come from the
// Grain LFSR seeded with neptune's parameters (note its S-box seed bit is 1,
// so generic "standard" Poseidon constants do not match) and the MDS matrix
// is the Cauchy matrix 1/(i + t + j).
//
// Filecoin hashes with arity 2 (CommR, 2-layer column hashes, the top of
// the 8/2 and 8/8/2 tree shapes), 8 (every tree_c and tree_r_last node) and
// 11 (11-layer column hashes). Arities 4, 16, 24 and 36, for which
// filecoin-hashers also defines constants, are supported as well.
//
// Field elements travel as Filecoin "Domain" bytes: the 32-byte
// little-endian canonical representation (FromBytes, ToBytes).
//
// Hashing uses neptune's "optimised" evaluation, which gives the same
// result as the textbook one: the constants of the partial rounds are
// folded so that each adds one scalar, and the MDS step of each partial
// round becomes a sparse matrix (2t-1 products instead of t²); see
// optimise.go. A Batch runs many hashes side by side on AVX-512 IFMA
// vector kernels, about twice as fast per hash, for building trees.
// Everything here except a Batch is safe for concurrent use. The constants
// of an arity are computed on first use (a few milliseconds) and never
// change.
package poseidon

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// MaxArity is the largest supported arity.
const MaxArity = 36

var (
	// ErrArity means a hash was asked for a number of inputs that is not a
	// supported arity (see Supported).
	ErrArity = errors.New("poseidon: unsupported arity")
	// ErrNonCanonical means 32 bytes are not the little-endian encoding of a
	// field element: their value is at least the BLS12-381 scalar field
	// modulus r. rust-fil-proofs refuses such a Domain value too
	// (PoseidonDomain into Fr is from_repr_vartime(...).expect(...)).
	ErrNonCanonical = errors.New("poseidon: not a canonical field element")
)

// arities are those filecoin-hashers builds constants for
// (filecoin-hashers/src/poseidon_types.rs).
var arities = [...]int{2, 4, 8, 11, 16, 24, 36}

// paramsByArity holds, for each supported arity, the function that builds
// its parameters on first call and returns the same ones afterwards. It is
// filled when the package is initialised and never written again.
var paramsByArity = func() (t [MaxArity + 1]func() *params) {
	for _, a := range arities {
		t[a] = onceParams(a)
	}
	return t
}()

// Supported reports whether arity is one this package hashes.
func Supported(arity int) bool {
	return arity >= 0 && arity <= MaxArity && paramsByArity[arity] != nil
}

// Arities returns the supported arities, in increasing order.
func Arities() []int { return append([]int(nil), arities[:]...) }

// Hasher hashes a fixed number of field elements. It holds no mutable
// state, so one Hasher may be used by any number of goroutines at once, and
// hashing does not allocate.
type Hasher struct {
	p *params
}

// New returns the Hasher of an arity, or ErrArity.
func New(arity int) (*Hasher, error) {
	if !Supported(arity) {
		return nil, fmt.Errorf("%w: %d (supported: %v)", ErrArity, arity, arities)
	}
	return &Hasher{p: paramsByArity[arity]()}, nil
}

// MustNew is New for an arity known to be supported; it panics otherwise.
func MustNew(arity int) *Hasher {
	h, err := New(arity)
	if err != nil {
		panic(err)
	}
	return h
}

// Arity returns the number of inputs the Hasher takes.
func (h *Hasher) Arity() int { return h.p.arity }

// Hash returns the Poseidon hash of in, which must hold exactly Arity()
// elements: a different length is a programming error and panics, as
// indexing out of range would.
func (h *Hasher) Hash(in []fr.Element) fr.Element {
	if len(in) != h.p.arity {
		panic(fmt.Sprintf("poseidon: Hasher of arity %d given %d inputs", h.p.arity, len(in)))
	}
	return h.p.hash(in)
}

// HashBytes hashes inputs given as 32-byte little-endian field elements and
// returns the hash in the same encoding. len(in) must be Arity().
func (h *Hasher) HashBytes(in [][32]byte) ([32]byte, error) {
	if len(in) != h.p.arity {
		return [32]byte{}, fmt.Errorf("%w: Hasher of arity %d given %d inputs", ErrArity, h.p.arity, len(in))
	}
	var buf [MaxArity]fr.Element
	els := buf[:len(in)]
	for i := range in {
		e, err := FromBytes(in[i])
		if err != nil {
			return [32]byte{}, fmt.Errorf("input %d: %w", i, err)
		}
		els[i] = e
	}
	out := h.p.hash(els)
	return ToBytes(&out), nil
}

// Hash returns the Poseidon hash of in with the constants of arity
// len(in), or ErrArity if that arity is not supported.
func Hash(in []fr.Element) (fr.Element, error) {
	if !Supported(len(in)) {
		return fr.Element{}, fmt.Errorf("%w: %d inputs (supported: %v)", ErrArity, len(in), arities)
	}
	return paramsByArity[len(in)]().hash(in), nil
}

// HashBytes is Hash for inputs and output in the 32-byte little-endian
// encoding. It returns ErrArity for an unsupported number of inputs and
// ErrNonCanonical, naming the input, for bytes that are not a field
// element.
func HashBytes(in ...[32]byte) ([32]byte, error) {
	if !Supported(len(in)) {
		return [32]byte{}, fmt.Errorf("%w: %d inputs (supported: %v)", ErrArity, len(in), arities)
	}
	return (&Hasher{p: paramsByArity[len(in)]()}).HashBytes(in)
}

// FromBytes decodes a field element from its 32-byte little-endian
// canonical encoding (a Filecoin Domain value), or returns ErrNonCanonical.
func FromBytes(b [32]byte) (fr.Element, error) {
	e, err := fr.LittleEndian.Element(&b)
	if err != nil {
		return fr.Element{}, fmt.Errorf("%w: %x", ErrNonCanonical, b)
	}
	return e, nil
}

// ToBytes encodes a field element as 32 bytes, little-endian.
func ToBytes(e *fr.Element) [32]byte {
	var b [32]byte
	fr.LittleEndian.PutElement(&b, *e)
	return b
}

// Canonical reports whether b encodes a field element, that is whether its
// little-endian value is below the modulus r.
func Canonical(b *[32]byte) bool {
	limbs := [4]uint64{r0, r1, r2, r3}
	for i := 3; i >= 0; i-- {
		v := binary.LittleEndian.Uint64(b[8*i:])
		if v != limbs[i] {
			return v < limbs[i]
		}
	}
	return false
}

// The modulus r = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001
// (sdr-spec.md §4) as little-endian 64-bit limbs.
const (
	r0 = 0xffffffff00000001
	r1 = 0x53bda402fffe5bfe
	r2 = 0x3339d80809a1d805
	r3 = 0x73eda753299d7d48
)
