package big

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	mathbig "math/big"

	cbg "github.com/whyrusleeping/cbor-gen"
)

var (
	_ cbg.CBORMarshaler   = (*Int)(nil)
	_ cbg.CBORUnmarshaler = (*Int)(nil)
	_ json.Marshaler      = Int{}
	_ json.Unmarshaler    = (*Int)(nil)
)

// serializedLen is the length of x's Bytes.
func (x Int) serializedLen() int {
	if x.IsZero() {
		return 0
	}
	return 1 + (x.v.BitLen()+7)/8
}

// Bytes returns x's serialised form, the payload of its CBOR byte string:
// empty for zero, else a sign byte (0 positive, 1 negative) and the big-endian
// magnitude. It is not math/big's Bytes, which drops the sign.
func (x Int) Bytes() []byte {
	if x.IsZero() {
		return []byte{}
	}
	sign := byte(0)
	if x.v.Sign() < 0 {
		sign = 1
	}
	return append([]byte{sign}, x.v.Bytes()...)
}

// FromBytes parses a serialised Int. Like go-state-types and fvm_shared it
// accepts non-minimal forms (a bare sign byte, leading zero bytes, negative
// zero), which all decode to the value they denote; Bytes re-encodes them
// minimally.
func FromBytes(b []byte) (Int, error) {
	if len(b) > MaxSerializedLength {
		return Int{}, fmt.Errorf("big int: %w: %d bytes, max %d", ErrTooLarge, len(b), MaxSerializedLength)
	}
	if len(b) == 0 {
		return Int{}, nil
	}
	v := new(mathbig.Int).SetBytes(b[1:])
	switch b[0] {
	case 0:
	case 1:
		v.Neg(v)
	default:
		return Int{}, fmt.Errorf("big int %x: %w 0x%02x, want 0x00 or 0x01", b, ErrSign, b[0])
	}
	return Int{v}, nil
}

// MarshalCBOR writes x as a CBOR byte string of its Bytes. A nil *Int writes
// CBOR null, as cbor-gen expects of optional fields.
func (x *Int) MarshalCBOR(w io.Writer) error {
	if x == nil {
		_, err := w.Write(cbg.CborNull)
		return err
	}
	if n := x.serializedLen(); n > MaxSerializedLength {
		return fmt.Errorf("marshal big int: %w: %d bytes, max %d", ErrTooLarge, n, MaxSerializedLength)
	}
	b := x.Bytes()
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajByteString, uint64(len(b))); err != nil {
		return err
	}
	_, err := cw.Write(b)
	return err
}

// UnmarshalCBOR reads one CBOR byte string of at most MaxSerializedLength
// bytes from r.
func (x *Int) UnmarshalCBOR(r io.Reader) error {
	cr := cbg.NewCborReader(r)
	maj, n, err := cr.ReadHeader()
	if err == io.EOF {
		// Bare, as cbor-gen code expects: the stream ended cleanly
		// before an object.
		return err
	}
	if err != nil {
		return fmt.Errorf("unmarshal big int: %w", err)
	}
	if maj != cbg.MajByteString {
		return fmt.Errorf("unmarshal big int: %w: CBOR major type %d, want byte string (2)", ErrCBOR, maj)
	}
	if n > MaxSerializedLength {
		return fmt.Errorf("unmarshal big int: %w: %d bytes, max %d", ErrTooLarge, n, MaxSerializedLength)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(cr, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("unmarshal big int: %w", err)
	}
	v, err := FromBytes(buf)
	if err != nil {
		return fmt.Errorf("unmarshal %w", err)
	}
	*x = v
	return nil
}

// DecodeCBOR decodes a CBOR-encoded Int that must fill all of b.
func DecodeCBOR(b []byte) (Int, error) {
	if len(b) == 0 {
		return Int{}, fmt.Errorf("decode big int: empty input: %w", io.ErrUnexpectedEOF)
	}
	var x Int
	r := bytes.NewReader(b)
	if err := x.UnmarshalCBOR(r); err != nil {
		return Int{}, err
	}
	if r.Len() != 0 {
		return Int{}, fmt.Errorf("decode big int: %w: %d bytes", ErrTrailingBytes, r.Len())
	}
	return x, nil
}

// MarshalJSON writes x as a JSON string of decimal digits, as Lotus does, so
// that JavaScript clients do not lose precision.
func (x Int) MarshalJSON() ([]byte, error) {
	s := x.String()
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}

// UnmarshalJSON parses a JSON string of decimal digits. JSON numbers are
// rejected, as in Lotus: they would silently lose precision in most clients.
// null leaves x unchanged, following the encoding/json convention.
func (x *Int) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("unmarshal big int JSON %.40s: %w: want a decimal string", b, ErrSyntax)
	}
	v, err := ParseInt(s)
	if err != nil {
		return err
	}
	*x = v
	return nil
}
