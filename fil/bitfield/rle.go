package bitfield

import (
	"fmt"
	"math"
	"math/bits"
)

// RLE+ layout (Filecoin spec, "RLE+ Bitset Encoding"; go-bitfield rle/).
//
// The encoding is a bit stream written least-significant bit first: the first
// bit is bit 0 of byte 0, and multi-bit fields are also written LSB first.
//
//	version   2 bits, must be 0
//	first     1 bit, the value of the first run (1 if bit 0 is set)
//	runs      alternating runs of first, !first, first, ...; each length is
//	          (prefix bits in stream order)
//	            1                      a run of 1
//	            01 then 4 bits         a run of 2..15
//	            00 then a LEB128 varint, 8 bits per byte: a run of 16 or more
//
// Bits past the end of the input read as 0. The canonical encoding (Encode's,
// go-bitfield's EncodeRuns, fvm_ipld_bitfield's to_bytes) uses the shortest
// form for each run, omits the final run of unset bits and drops trailing
// zero bytes, so the empty set is zero bytes.
//
// What go-bitfield accepts (rle/rleplus_reader.go: ValidateRLE, DecodeRLE and
// decodeBFVarint), and so Decode:
//
//   - the last byte must not be 0 ("not minimally encoded");
//   - the version must be 0;
//   - runs end at the first run of length 0, a short block 01 0000 or a
//     varint 0x00, which is also what the zero bits past the end read as. Any
//     bits after such an explicit terminator are ignored;
//   - non-shortest forms are accepted (01 0001 for 1, a varint for 5), as is
//     a final run of unset bits;
//   - a varint has at most 10 bytes, its 10th byte is at most 1, and it may
//     not end in a 0x00 byte unless it is the single byte 0x00;
//   - all run lengths, the final unset run included, sum to at most
//     math.MaxUint64.
//
// DecodeStrict follows fvm_ipld_bitfield (rleplus/mod.rs from_bytes and
// reader.rs), which accepts exactly the canonical encodings: runs continue
// while any set bit remains, a short block must be 2..15 and a varint 16 or
// more, and the last run must be of set bits.

// Encode returns the canonical RLE+ encoding of b, the bytes go-bitfield and
// the FVM write for the same set; the empty set is zero bytes. It fails with
// ErrTooLarge, before encoding, if the result would exceed MaxEncodedSize or
// if b holds bit math.MaxUint64, which no encoding can express.
func (b BitField) Encode() ([]byte, error) {
	n, err := b.encodedLen()
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return []byte{}, nil
	}
	w := bitWriter{buf: make([]byte, 0, n+1)}
	w.put(0, 2) // version
	if b.spans[0].first == 0 {
		w.put(1, 1)
	} else {
		w.put(0, 1)
		w.putRun(b.spans[0].first)
	}
	var next uint64 // first bit after the previous span
	for i, s := range b.spans {
		if i > 0 {
			w.putRun(s.first - next)
		}
		w.putRun(s.last - s.first + 1)
		next = s.last + 1
	}
	out := w.flush()
	for len(out) > 0 && out[len(out)-1] == 0 {
		out = out[:len(out)-1]
	}
	if len(out) != n {
		// encodedLen and the writer disagree: a bug, never input-driven.
		return nil, fmt.Errorf("encode bitfield: internal error: wrote %d bytes, predicted %d", len(out), n)
	}
	return out, nil
}

// encodedLen returns the exact length of b's canonical encoding, or
// ErrTooLarge if it cannot be encoded in MaxEncodedSize bytes.
func (b BitField) encodedLen() (int, error) {
	if len(b.spans) == 0 {
		return 0, nil
	}
	if last := b.spans[len(b.spans)-1].last; last == math.MaxUint64 {
		return 0, fmt.Errorf("encode bitfield: %w: bit %d cannot be encoded (run lengths would sum past 2^64)", ErrTooLarge, last)
	}
	nbits := uint64(3) // version and first-value bit
	var next uint64
	for _, s := range b.spans {
		if gap := s.first - next; gap > 0 {
			nbits += runBits(gap)
		}
		nbits += runBits(s.last - s.first + 1)
		next = s.last + 1
		if nbits > 8*MaxEncodedSize+8 {
			return 0, fmt.Errorf("encode bitfield: %w: more than %d bytes", ErrTooLarge, MaxEncodedSize)
		}
	}
	// The stream ends with the final set run; drop its high zero bits, which
	// the trailing-zero-byte trim removes when they start a new byte.
	nbits -= trailingZeroBits(b.spans[len(b.spans)-1].last - b.spans[len(b.spans)-1].first + 1)
	n := int((nbits + 7) / 8)
	if n > MaxEncodedSize {
		return 0, fmt.Errorf("encode bitfield: %w: %d bytes, max %d", ErrTooLarge, n, MaxEncodedSize)
	}
	return n, nil
}

// runBits returns the size of the shortest encoding of a run of length l ≥ 1.
func runBits(l uint64) uint64 {
	switch {
	case l == 1:
		return 1
	case l < 16:
		return 6
	default:
		return 2 + 8*uint64(varintLen(l))
	}
}

// trailingZeroBits returns how many of the last bits of runBits(l) are zero.
func trailingZeroBits(l uint64) uint64 {
	switch {
	case l == 1:
		return 0
	case l < 16:
		return uint64(4 - bits.Len64(l))
	default:
		top := l >> (7 * (varintLen(l) - 1)) // the final varint byte, 1..127
		return uint64(8 - bits.Len64(top))
	}
}

// varintLen returns the number of LEB128 bytes of x.
func varintLen(x uint64) int {
	return max(1, (bits.Len64(x)+6)/7)
}

// bitWriter appends bits least-significant first.
type bitWriter struct {
	buf []byte
	acc uint64 // pending bits, low first
	n   uint   // number of pending bits, < 8 between calls
}

// put writes the low n ≤ 8 bits of v.
func (w *bitWriter) put(v uint64, n uint) {
	w.acc |= v << w.n
	w.n += n
	if w.n >= 8 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc >>= 8
		w.n -= 8
	}
}

// putRun writes the shortest encoding of a run of length l ≥ 1.
func (w *bitWriter) putRun(l uint64) {
	switch {
	case l == 1:
		w.put(1, 1)
	case l < 16:
		w.put(0b10, 2) // bits 0 then 1
		w.put(l, 4)
	default:
		w.put(0, 2)
		for ; l >= 0x80; l >>= 7 {
			w.put(l&0x7f|0x80, 8)
		}
		w.put(l, 8)
	}
}

// flush writes out any pending bits, zero-padded to a byte.
func (w *bitWriter) flush() []byte {
	if w.n > 0 {
		w.buf = append(w.buf, byte(w.acc))
		w.acc, w.n = 0, 0
	}
	return w.buf
}

// Decode parses an RLE+ encoding, accepting exactly what go-bitfield accepts
// (see the rules at the top of rle.go). Input longer than MaxEncodedSize is
// rejected before decoding. Errors wrap ErrInvalid and name the problem and
// its bit offset.
func Decode(p []byte) (BitField, error) {
	return decode(p, false)
}

// DecodeStrict parses an RLE+ encoding like Decode but accepts only the
// canonical encoding of a set, as the FVM's decoder (fvm_ipld_bitfield) does.
// Builtin actors fail a message whose parameters hold anything else with exit
// code 21 (serialization). Errors for inputs that Decode accepts wrap
// ErrNotCanonical as well as ErrInvalid.
func DecodeStrict(p []byte) (BitField, error) {
	return decode(p, true)
}

func decode(p []byte, strict bool) (BitField, error) {
	if len(p) > MaxEncodedSize {
		return BitField{}, fmt.Errorf("decode bitfield: %w: %w: %d bytes, max %d", ErrInvalid, ErrTooLarge, len(p), MaxEncodedSize)
	}
	if len(p) == 0 {
		return BitField{}, nil
	}
	if p[len(p)-1] == 0 {
		return BitField{}, fmt.Errorf("decode bitfield: %w: trailing zero byte (not minimally encoded)", ErrInvalid)
	}
	r := bitReader{p: p}
	if v := r.read(2); v != 0 {
		return BitField{}, fmt.Errorf("decode bitfield: %w: RLE+ version %d, want 0", ErrInvalid, v)
	}
	val := r.read(1) == 1
	// end is the position after the last set bit: the FVM reads runs while
	// any set bit remains.
	end := uint64(len(p)-1)*8 + uint64(bits.Len8(p[len(p)-1]))
	var spans []span
	var pos uint64 // bits covered by the runs so far
	for !strict || r.pos < end {
		at := r.pos
		l, err := r.readRun(strict)
		if err != nil {
			return BitField{}, fmt.Errorf("decode bitfield: run at bit %d: %w", at, err)
		}
		if l == 0 {
			break // go-bitfield's terminator; strict mode rejected it
		}
		if l > math.MaxUint64-pos {
			return BitField{}, fmt.Errorf("decode bitfield: run at bit %d: %w: run lengths sum past 2^64-1", at, ErrInvalid)
		}
		if val {
			spans = append(spans, span{pos, pos + l - 1})
		}
		pos += l
		val = !val
	}
	if strict && val {
		// The next run would be set, so the last one read was unset (or
		// there were none after a first-value bit of 1).
		return BitField{}, fmt.Errorf("decode bitfield: %w: %w: ends with a run of unset bits", ErrInvalid, ErrNotCanonical)
	}
	return BitField{spans: spans}, nil
}

// bitReader reads bits least-significant first; bits past the end read as 0.
type bitReader struct {
	p   []byte
	i   int    // next byte of p to load into buf
	buf uint64 // loaded, unread bits, low first
	n   uint   // number of bits in buf
	pos uint64 // bits read so far
}

// read returns the next n ≤ 8 bits.
func (r *bitReader) read(n uint) uint64 {
	if r.n < n {
		r.fill()
	}
	v := r.buf & (1<<n - 1)
	r.buf >>= n
	r.n -= n
	r.pos += uint64(n)
	return v
}

// fill loads whole bytes until buf holds at least 57 bits, zeros past the end.
func (r *bitReader) fill() {
	for r.n <= 56 {
		if r.i < len(r.p) {
			r.buf |= uint64(r.p[r.i]) << r.n
		}
		r.i++
		r.n += 8
	}
}

// readRun reads one run length; 0 is go-bitfield's end-of-runs marker. In
// strict mode only the shortest form of a length ≥ 1 is accepted.
func (r *bitReader) readRun(strict bool) (uint64, error) {
	if r.read(1) == 1 {
		return 1, nil
	}
	if r.read(1) == 1 {
		l := r.read(4)
		if strict && l < 2 {
			return 0, fmt.Errorf("%w: %w: short block of length %d", ErrInvalid, ErrNotCanonical, l)
		}
		return l, nil
	}
	l, err := r.readVarint()
	if err != nil {
		return 0, err
	}
	if strict && l < 16 {
		return 0, fmt.Errorf("%w: %w: varint block of length %d", ErrInvalid, ErrNotCanonical, l)
	}
	return l, nil
}

// readVarint reads an unsigned LEB128 varint of at most 10 bytes, with
// go-bitfield's checks (decodeBFVarint): no value past 2^64-1, and no
// trailing 0x00 byte except in the single-byte encoding of 0.
func (r *bitReader) readVarint() (uint64, error) {
	var x uint64
	for i := 0; i < 10; i++ {
		b := r.read(8)
		if b < 0x80 {
			if i == 9 && b > 1 {
				return 0, fmt.Errorf("%w: varint overflows uint64", ErrInvalid)
			}
			if b == 0 && i > 0 {
				return 0, fmt.Errorf("%w: varint not minimally encoded (ends in a zero byte)", ErrInvalid)
			}
			return x | b<<(7*i), nil
		}
		x |= (b & 0x7f) << (7 * i)
	}
	return 0, fmt.Errorf("%w: varint longer than 10 bytes", ErrInvalid)
}
