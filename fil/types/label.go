package types

import (
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"

	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/internal/cborx"
)

// DealMaxLabelSize is the longest deal label in bytes (go-state-types market
// DealMaxLabelSize; the market actor rejects longer labels).
const DealMaxLabelSize = 256

// DealLabel is a deal proposal's label: either UTF-8 text (CBOR major type 3)
// or raw bytes (major type 2), at most DealMaxLabelSize bytes (FIP-0027). The
// kind is part of the value and survives CBOR round trips, because it changes
// the proposal's bytes and so its signature. The zero value is the empty text
// label, CBOR 0x60.
type DealLabel struct {
	b       string
	isBytes bool
}

var (
	_ cbg.CBORMarshaler   = (*DealLabel)(nil)
	_ cbg.CBORUnmarshaler = (*DealLabel)(nil)
)

// NewLabelFromString returns a text label; s must be valid UTF-8.
func NewLabelFromString(s string) (DealLabel, error) {
	if len(s) > DealMaxLabelSize {
		return DealLabel{}, fmt.Errorf("deal label: %w: %d bytes, max %d", ErrLabelTooLong, len(s), DealMaxLabelSize)
	}
	if !utf8.ValidString(s) {
		return DealLabel{}, fmt.Errorf("deal label: %w", ErrLabelNotUTF8)
	}
	return DealLabel{b: s}, nil
}

// NewLabelFromBytes returns a bytes label.
func NewLabelFromBytes(b []byte) (DealLabel, error) {
	if len(b) > DealMaxLabelSize {
		return DealLabel{}, fmt.Errorf("deal label: %w: %d bytes, max %d", ErrLabelTooLong, len(b), DealMaxLabelSize)
	}
	return DealLabel{b: string(b), isBytes: true}, nil
}

// IsString reports whether l is a text label.
func (l DealLabel) IsString() bool { return !l.isBytes }

// IsBytes reports whether l is a bytes label.
func (l DealLabel) IsBytes() bool { return l.isBytes }

// ToString returns a text label's text.
func (l DealLabel) ToString() (string, error) {
	if l.isBytes {
		return "", fmt.Errorf("deal label: %w: bytes, not text", ErrLabelKind)
	}
	return l.b, nil
}

// ToBytes returns a bytes label's bytes.
func (l DealLabel) ToBytes() ([]byte, error) {
	if !l.isBytes {
		return nil, fmt.Errorf("deal label: %w: text, not bytes", ErrLabelKind)
	}
	return []byte(l.b), nil
}

// Len returns the label's length in bytes.
func (l DealLabel) Len() int { return len(l.b) }

// Equals reports whether l and o have the same kind and content.
func (l DealLabel) Equals(o DealLabel) bool { return l == o }

// String returns the text, or the bytes in hex for a bytes label, for logs.
func (l DealLabel) String() string {
	if l.isBytes {
		return fmt.Sprintf("bytes:%x", l.b)
	}
	return l.b
}

// MarshalCBOR writes l as a CBOR text or byte string. A nil *DealLabel writes
// the empty text label, as go-state-types does.
func (l *DealLabel) MarshalCBOR(w io.Writer) error {
	cw := cbg.NewCborWriter(w)
	if l == nil {
		return cw.WriteMajorTypeHeader(cbg.MajTextString, 0)
	}
	if len(l.b) > DealMaxLabelSize {
		return fmt.Errorf("deal label: %w: %d bytes, max %d", ErrLabelTooLong, len(l.b), DealMaxLabelSize)
	}
	maj := byte(cbg.MajTextString)
	if l.isBytes {
		maj = cbg.MajByteString
	}
	if err := cw.WriteMajorTypeHeader(maj, uint64(len(l.b))); err != nil {
		return err
	}
	_, err := cw.WriteString(l.b)
	return err
}

// UnmarshalCBOR reads a CBOR text or byte string of at most DealMaxLabelSize
// bytes; text must be valid UTF-8.
func (l *DealLabel) UnmarshalCBOR(r io.Reader) error {
	*l = DealLabel{}
	cr := cbg.NewCborReader(r)
	maj, n, err := cr.ReadHeader()
	if err == io.EOF {
		return err
	}
	if err != nil {
		return fmt.Errorf("deal label: %w", err)
	}
	if maj != cbg.MajTextString && maj != cbg.MajByteString {
		return fmt.Errorf("deal label: %w: %s, want text or byte string", ErrCBORType, cborx.MajorName(maj))
	}
	if n > DealMaxLabelSize {
		return fmt.Errorf("deal label: %w: %d bytes, max %d", ErrLabelTooLong, n, DealMaxLabelSize)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(cr, buf); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("deal label: %w", err)
	}
	if maj == cbg.MajTextString && !utf8.Valid(buf) {
		return fmt.Errorf("deal label: %w", ErrLabelNotUTF8)
	}
	*l = DealLabel{b: string(buf), isBytes: maj == cbg.MajByteString}
	return nil
}

// DecodeDealLabel decodes a CBOR label that must fill all of b.
func DecodeDealLabel(b []byte) (DealLabel, error) {
	var l DealLabel
	if err := cborx.Decode("deal label", b, &l); err != nil {
		return DealLabel{}, err
	}
	return l, nil
}

// MarshalJSON writes a text label as a JSON string. A bytes label has no
// Lotus JSON form and writes "" (go-state-types PR #43): lossy, but a chain
// API must not fail a whole response over one label.
func (l DealLabel) MarshalJSON() ([]byte, error) {
	if l.isBytes {
		return []byte(`""`), nil
	}
	return json.Marshal(l.b)
}

// UnmarshalJSON reads a JSON string as a text label, as Lotus does.
func (l *DealLabel) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("deal label JSON: %w", err)
	}
	label, err := NewLabelFromString(s)
	if err != nil {
		return err
	}
	*l = label
	return nil
}
