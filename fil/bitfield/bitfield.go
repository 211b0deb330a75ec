// Package bitfield implements Filecoin's RLE+ bitfield: a set of uint64 bit
// indices (sector numbers, partition indices, deal indices) with the chain's
// encodings, byte-compatible with go-bitfield and Lotus.
//
//   - RLE+ (Encode, Decode): the set as alternating runs of unset and set bits.
//     See "RLE+ Bitset Encoding" in the Filecoin spec's Data Structures
//     appendix (https://spec.filecoin.io), and the layout notes in rle.go.
//   - CBOR: a byte string holding the RLE+ bytes; the empty set is 0x40.
//   - JSON (Lotus): an array of run lengths that alternate unset/set and start
//     with a run of unset bits, so {0,1,2,8,9} is [0,3,5,2] and the empty set
//     is [0].
//
// A BitField is an immutable value: operations return new values and never
// modify their operands, so BitFields may be copied and shared freely,
// including across goroutines. The zero value is the empty set.
//
// # Limits
//
// Decoding enforces its limits before doing the work they bound:
//
//   - RLE+ and CBOR input is at most MaxEncodedSize (32 KiB) bytes, as in
//     go-bitfield and the FVM. Each run takes at least one bit, so a decoded
//     field has fewer than 8*MaxEncodedSize runs, at most 131,071 ranges of
//     set bits held in 16 bytes each (2 MiB).
//   - JSON input and NewFromRuns take at most MaxRuns run lengths.
//   - The run lengths must sum to at most math.MaxUint64 (go-bitfield's
//     overflow rule), so decoded sets never hold bit math.MaxUint64. NewFromSet
//     and Union can build a set holding it; such a set cannot be encoded, and
//     Encode, MarshalCBOR and MarshalJSON return ErrTooLarge.
//
// A few bytes can describe 2^63 set bits, so Count untrusted input before
// calling ForEach; All takes a bound.
//
// # Compatibility with go-bitfield
//
// Decode accepts exactly the byte strings go-bitfield can read (its RLE
// validator and run iterator) and rejects the rest; see rle.go for the rules.
// go-bitfield applies MaxEncodedSize only to CBOR; Decode applies it to raw
// bytes too, which no chain data exceeds.
// Where go-bitfield decodes lazily (UnmarshalCBOR only checks the version bits
// and errors surface at first use), this package decodes eagerly, so an
// invalid field fails UnmarshalCBOR. Encode always writes the canonical form,
// which is what go-bitfield and the FVM write; go-bitfield re-emits an
// unmodified decoded field's original bytes instead, which differ only when
// those bytes were not canonical. DecodeStrict accepts only canonical
// encodings, as the FVM (and so the builtin actors) does.
package bitfield

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
)

const (
	// MaxEncodedSize is the largest RLE+ encoding accepted or produced, in
	// bytes: go-bitfield's MaxEncodedSize and fvm_ipld_bitfield's
	// MAX_ENCODED_SIZE. CBOR decoding checks it against the byte string's
	// length before reading it.
	MaxEncodedSize = 32 << 10
	// MaxRuns bounds the run lengths NewFromRuns and UnmarshalJSON accept
	// (and MarshalJSON writes). Every run takes at least one bit, so no field
	// that fits in MaxEncodedSize has more runs; Lotus never sends more.
	MaxRuns = 8 * MaxEncodedSize
)

// span is a maximal range of set bits, first..last inclusive. Inclusive bounds
// let a span end at bit math.MaxUint64.
type span struct {
	first, last uint64
}

// BitField is an immutable set of uint64 bit indices. The zero value is empty.
type BitField struct {
	// spans are sorted, disjoint and never adjacent (there is at least one
	// unset bit between two spans), so equal sets have equal spans. The
	// slice is never modified after construction and may be shared.
	spans []span
}

// New returns an empty bitfield.
func New() BitField { return BitField{} }

// NewFromSet returns the bitfield holding the given bits, which may come in
// any order and repeat.
func NewFromSet(bits []uint64) BitField {
	if len(bits) == 0 {
		return BitField{}
	}
	sorted := slices.Clone(bits)
	slices.Sort(sorted)
	var spans []span
	for i, b := range sorted {
		if i > 0 {
			last := &spans[len(spans)-1]
			if b == last.last {
				continue // duplicate
			}
			if b == last.last+1 {
				last.last = b
				continue
			}
		}
		spans = append(spans, span{b, b})
	}
	return BitField{spans: spans}
}

// NewFromRuns builds a bitfield from run lengths in the Lotus JSON form:
// alternating runs of unset and set bits, starting with unset bits. Only the
// first run may be 0 (for a set holding bit 0); a trailing run of unset bits
// is allowed and ignored; an empty list is the empty set. The lengths must
// sum to at most math.MaxUint64 and there may be at most MaxRuns of them.
// Errors wrap ErrInvalid.
func NewFromRuns(runs []uint64) (BitField, error) {
	if len(runs) > MaxRuns {
		return BitField{}, fmt.Errorf("bitfield runs: %w: %w: %d runs, max %d", ErrInvalid, ErrTooLarge, len(runs), MaxRuns)
	}
	var spans []span
	var pos uint64 // bits covered so far
	for i, n := range runs {
		if n == 0 {
			if i != 0 {
				return BitField{}, fmt.Errorf("bitfield runs: %w: run %d has length 0 (only the first run may)", ErrInvalid, i)
			}
			continue
		}
		if n > math.MaxUint64-pos {
			return BitField{}, fmt.Errorf("bitfield runs: %w: run %d makes the total length overflow uint64", ErrInvalid, i)
		}
		if i%2 == 1 {
			spans = append(spans, span{pos, pos + n - 1})
		}
		pos += n
	}
	return BitField{spans: spans}, nil
}

// Count returns the number of set bits. It saturates at math.MaxUint64: only
// the full set of 2^64 bits, which Union can build but nothing can encode,
// has more.
func (b BitField) Count() uint64 {
	var n uint64
	for _, s := range b.spans {
		l := s.last - s.first
		if l == math.MaxUint64 || n > math.MaxUint64-l-1 {
			return math.MaxUint64
		}
		n += l + 1
	}
	return n
}

// IsSet reports whether bit i is set, in O(log runs).
func (b BitField) IsSet(i uint64) bool {
	k := sort.Search(len(b.spans), func(k int) bool { return b.spans[k].last >= i })
	return k < len(b.spans) && b.spans[k].first <= i
}

// IsEmpty reports whether no bit is set.
func (b BitField) IsEmpty() bool { return len(b.spans) == 0 }

// All returns the set bits in ascending order. It fails with ErrTooMany,
// before allocating, if more than max bits are set.
func (b BitField) All(max uint64) ([]uint64, error) {
	n := b.Count()
	if n > max {
		return nil, fmt.Errorf("bitfield: %w: %d set, max %d", ErrTooMany, n, max)
	}
	out := make([]uint64, 0, n)
	for _, s := range b.spans {
		for i := s.first; ; i++ {
			out = append(out, i)
			if i == s.last {
				break
			}
		}
	}
	return out, nil
}

// ForEach calls f for each set bit in ascending order, stopping at and
// returning (unwrapped) the first error f returns.
func (b BitField) ForEach(f func(uint64) error) error {
	for _, s := range b.spans {
		for i := s.first; ; i++ {
			if err := f(i); err != nil {
				return err
			}
			if i == s.last {
				break
			}
		}
	}
	return nil
}

// First returns the lowest set bit, or ErrNoBitsSet.
func (b BitField) First() (uint64, error) {
	if len(b.spans) == 0 {
		return 0, fmt.Errorf("first bit: %w", ErrNoBitsSet)
	}
	return b.spans[0].first, nil
}

// Last returns the highest set bit, or ErrNoBitsSet.
func (b BitField) Last() (uint64, error) {
	if len(b.spans) == 0 {
		return 0, fmt.Errorf("last bit: %w", ErrNoBitsSet)
	}
	return b.spans[len(b.spans)-1].last, nil
}

// Runs returns the set as run lengths in the Lotus JSON form: alternating
// runs of unset and set bits, starting with unset bits (0 when bit 0 is set),
// without a trailing run of unset bits. The empty set is [0]. NewFromRuns
// inverts it, except for a set holding bit math.MaxUint64, whose lengths sum
// past uint64 (and whose last run saturates at math.MaxUint64 for the full
// 2^64-bit set).
func (b BitField) Runs() []uint64 {
	if len(b.spans) == 0 {
		return []uint64{0}
	}
	runs := make([]uint64, 0, 2*len(b.spans))
	var next uint64 // first bit after the previous span
	for _, s := range b.spans {
		l := s.last - s.first
		if l < math.MaxUint64 {
			l++
		}
		runs = append(runs, s.first-next, l)
		next = s.last + 1 // wraps only after the final span
	}
	return runs
}

// Equal reports whether b and o hold the same bits.
func (b BitField) Equal(o BitField) bool {
	return slices.Equal(b.spans, o.spans)
}

// String formats the set for people, such as {0-9, 11}, eliding the middle
// of long sets.
func (b BitField) String() string {
	const show = 16 // ranges printed at each end of a long set
	var sb strings.Builder
	sb.WriteByte('{')
	for i := 0; i < len(b.spans); i++ {
		if i > 0 {
			sb.WriteString(", ")
		}
		if i == show && len(b.spans) > 2*show {
			fmt.Fprintf(&sb, "...%d more ranges...", len(b.spans)-2*show)
			i = len(b.spans) - show - 1
			continue
		}
		if s := b.spans[i]; s.first == s.last {
			fmt.Fprintf(&sb, "%d", s.first)
		} else {
			fmt.Fprintf(&sb, "%d-%d", s.first, s.last)
		}
	}
	sb.WriteByte('}')
	return sb.String()
}
