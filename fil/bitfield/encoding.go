package bitfield

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	cbg "github.com/whyrusleeping/cbor-gen"
)

var (
	_ cbg.CBORMarshaler   = BitField{}
	_ cbg.CBORUnmarshaler = (*BitField)(nil)
	_ json.Marshaler      = BitField{}
	_ json.Unmarshaler    = (*BitField)(nil)
	_ fmt.Stringer        = BitField{}
)

// MarshalCBOR writes b as a CBOR byte string holding its canonical RLE+
// encoding (the empty set is 0x40). It fails with ErrTooLarge where Encode
// does.
func (b BitField) MarshalCBOR(w io.Writer) error {
	p, err := b.Encode()
	if err != nil {
		return fmt.Errorf("marshal bitfield CBOR: %w", err)
	}
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajByteString, uint64(len(p))); err != nil {
		return err
	}
	_, err = cw.Write(p)
	return err
}

// UnmarshalCBOR reads one CBOR byte string from r and decodes it as Decode
// does. The length is checked against MaxEncodedSize before the bytes are
// read. Malformed input (a non-canonical CBOR header, another major type, an
// invalid encoding) wraps ErrInvalid; a stream that ends inside the item
// gives io.ErrUnexpectedEOF, and one that ends cleanly before it a bare
// io.EOF, as cbor-gen code expects. On error b is unchanged.
func (b *BitField) UnmarshalCBOR(r io.Reader) error {
	cr := cbg.NewCborReader(r)
	// Peek at the first byte: cbor-gen's header reader returns a bare io.EOF
	// both before an item and inside a truncated header, and only the first
	// is a clean end of stream.
	if _, err := cr.ReadByte(); err != nil {
		if err == io.EOF {
			return err
		}
		return fmt.Errorf("unmarshal bitfield CBOR: %w", err)
	}
	if err := cr.UnreadByte(); err != nil {
		return fmt.Errorf("unmarshal bitfield CBOR: %w", err)
	}
	maj, n, err := cr.ReadHeader()
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("unmarshal bitfield CBOR: header: %w", io.ErrUnexpectedEOF)
		}
		return fmt.Errorf("unmarshal bitfield CBOR: %w: %w", ErrInvalid, err)
	}
	if maj != cbg.MajByteString {
		return fmt.Errorf("unmarshal bitfield CBOR: %w: CBOR major type %d, want byte string (2)", ErrInvalid, maj)
	}
	if n > MaxEncodedSize {
		return fmt.Errorf("unmarshal bitfield CBOR: %w: %w: %d bytes, max %d", ErrInvalid, ErrTooLarge, n, MaxEncodedSize)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(cr, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("unmarshal bitfield CBOR: %w", err)
	}
	v, err := Decode(buf)
	if err != nil {
		return fmt.Errorf("unmarshal bitfield CBOR: %w", err)
	}
	*b = v
	return nil
}

// MarshalJSON writes b in the Lotus form, the JSON array of Runs: {5} is
// [5,1], {0,1,2,8,9} is [0,3,5,2] and the empty set is [0]. It fails with
// ErrTooLarge for a set with more than MaxRuns runs or holding bit
// math.MaxUint64, which UnmarshalJSON would reject.
func (b BitField) MarshalJSON() ([]byte, error) {
	if n := len(b.spans); n > 0 && b.spans[n-1].last == math.MaxUint64 {
		return nil, fmt.Errorf("marshal bitfield JSON: %w: bit %d cannot be encoded (run lengths would sum past 2^64)", ErrTooLarge, uint64(math.MaxUint64))
	}
	if n := 2 * len(b.spans); n > MaxRuns {
		return nil, fmt.Errorf("marshal bitfield JSON: %w: %d runs, max %d", ErrTooLarge, n, MaxRuns)
	}
	runs := b.Runs()
	out := make([]byte, 0, 2+4*len(runs))
	out = append(out, '[')
	for i, r := range runs {
		if i > 0 {
			out = append(out, ',')
		}
		out = strconv.AppendUint(out, r, 10)
	}
	return append(out, ']'), nil
}

// UnmarshalJSON parses the Lotus form as go-bitfield does: a JSON array of
// unsigned integers, read by NewFromRuns (only the first may be 0, a trailing
// unset run is ignored, [] and [0] are the empty set). An element null reads
// as 0, as encoding/json makes it. Input with more than MaxRuns elements is
// rejected before parsing. JSON null leaves b unchanged, following the
// encoding/json convention (go-bitfield empties it instead). Errors wrap
// ErrInvalid.
func (b *BitField) UnmarshalJSON(p []byte) error {
	// JSON's whitespace is space, tab, CR and LF only: bytes.TrimSpace would
	// also accept \v, \f and Unicode spaces around "null".
	if string(bytes.Trim(p, " \t\r\n")) == "null" {
		return nil
	}
	// An array of n elements has n-1 commas; counting them bounds the work
	// json.Unmarshal would do.
	if c := bytes.Count(p, []byte{','}); c >= MaxRuns {
		return fmt.Errorf("unmarshal bitfield JSON: %w: %w: more than %d runs", ErrInvalid, ErrTooLarge, MaxRuns)
	}
	var runs []uint64
	if err := json.Unmarshal(p, &runs); err != nil {
		return fmt.Errorf("unmarshal bitfield JSON: %w: want an array of run lengths: %w", ErrInvalid, err)
	}
	v, err := NewFromRuns(runs)
	if err != nil {
		return fmt.Errorf("unmarshal bitfield JSON: %w", err)
	}
	*b = v
	return nil
}
