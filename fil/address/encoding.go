package address

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	cbg "github.com/whyrusleeping/cbor-gen"
)

var (
	_ cbg.CBORMarshaler   = (*Address)(nil)
	_ cbg.CBORUnmarshaler = (*Address)(nil)
	_ json.Marshaler      = Address{}
	_ json.Unmarshaler    = (*Address)(nil)
)

// MarshalCBOR writes a as a CBOR byte string holding its byte form, the
// encoding every Filecoin chain structure uses. A nil *Address writes CBOR
// null, as cbor-gen expects of optional fields; Undef is an error because the
// chain has no encoding for it.
func (a *Address) MarshalCBOR(w io.Writer) error {
	if a == nil {
		_, err := w.Write(cbg.CborNull)
		return err
	}
	if a.b == "" {
		return fmt.Errorf("marshal address: %w", ErrUndef)
	}
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajByteString, uint64(len(a.b))); err != nil {
		return err
	}
	_, err := cw.WriteString(a.b)
	return err
}

// UnmarshalCBOR reads a CBOR byte string of at most MaxByteLength bytes and
// parses it as a byte form. Undef (an empty string) is rejected. It reads
// exactly one object from r; DecodeCBOR also rejects trailing bytes.
func (a *Address) UnmarshalCBOR(r io.Reader) error {
	cr := cbg.NewCborReader(r)
	maj, n, err := cr.ReadHeader()
	if err == io.EOF {
		// Bare, as cbor-gen code expects: the stream ended cleanly
		// before an object.
		return err
	}
	if err != nil {
		return fmt.Errorf("unmarshal address: %w", err)
	}
	if maj != cbg.MajByteString {
		return fmt.Errorf("unmarshal address: %w: CBOR major type %d, want byte string (2)", ErrCBOR, maj)
	}
	if n > MaxByteLength {
		return fmt.Errorf("unmarshal address: %w: %d bytes, max %d", ErrInvalidLength, n, MaxByteLength)
	}
	if n == 0 {
		return fmt.Errorf("unmarshal address: %w: empty byte string", ErrUndef)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(cr, buf); err != nil {
		return fmt.Errorf("unmarshal address: %w", noEOF(err))
	}
	addr, err := NewFromBytes(buf)
	if err != nil {
		return fmt.Errorf("unmarshal address: %w", err)
	}
	*a = addr
	return nil
}

// DecodeCBOR decodes a CBOR-encoded address that must fill all of b.
func DecodeCBOR(b []byte) (Address, error) {
	if len(b) == 0 {
		return Undef, fmt.Errorf("decode address: empty input: %w", io.ErrUnexpectedEOF)
	}
	var a Address
	r := bytes.NewReader(b)
	if err := a.UnmarshalCBOR(r); err != nil {
		return Undef, err
	}
	if r.Len() != 0 {
		return Undef, fmt.Errorf("decode address: %w: %d bytes", ErrTrailingBytes, r.Len())
	}
	return a, nil
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF: once an object's header has
// been read, running out of input is a truncation, not the end of a stream.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// MarshalJSON writes a's mainnet string form as a JSON string, as the Lotus
// API does; Undef becomes "<empty>", not null.
func (a Address) MarshalJSON() ([]byte, error) {
	// Address strings hold only [a-z0-9<>], none of which need escaping
	// inside a JSON string.
	s := a.String()
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"'), nil
}

// UnmarshalJSON parses a JSON string of either network; "", "<empty>" and
// null give Undef, as in Lotus.
func (a *Address) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("unmarshal address JSON: %w", err)
	}
	addr, err := NewFromString(s)
	if err != nil {
		return err
	}
	*a = addr
	return nil
}
