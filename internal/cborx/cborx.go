// Package cborx holds the small CBOR readers and writers that the hand-written
// tuple encoders of fil/types and chain/types share, over cbor-gen's
// CborReader and CborWriter.
//
// They accept what cbor-gen's generated code (and so Lotus) accepts; cbg's
// header reader already refuses non-minimal lengths and indefinite items, as
// DAG-CBOR requires. Limits are cbor-gen's: arrays of at most MaxArray items,
// byte strings of at most MaxBytes unless a reader is given its own limit.
//
// Errors wrap the sentinels below, which the calling packages re-export under
// their own names (types.ErrCBORType is ErrType), so errors.Is matches either.
package cborx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// Limits, cbor-gen's and so Lotus's.
const (
	// MaxArray is the most items ReadArrayHeader and WriteArrayHeader allow
	// (cbg.MaxLength, 8192).
	MaxArray = cbg.MaxLength
	// MaxBytes is the longest byte string WriteBytes writes, and the usual
	// limit passed to ReadBytes (cbg.ByteArrayMaxLen, 2 MiB).
	MaxBytes = cbg.ByteArrayMaxLen
)

// Errors returned by the helpers, wrapped with what failed; test with
// errors.Is.
var (
	// ErrTrailingBytes means Decode found bytes after the object.
	ErrTrailingBytes = errors.New("trailing bytes after CBOR object")
	// ErrType means a CBOR item has the wrong major type for its field.
	ErrType = errors.New("unexpected CBOR type")
	// ErrFieldCount means a tuple's CBOR array has the wrong length.
	ErrFieldCount = errors.New("wrong number of tuple fields")
	// ErrFieldTooLarge means a byte string or array exceeds its limit.
	ErrFieldTooLarge = errors.New("field too large")
	// ErrIntOverflow means a CBOR integer does not fit an int64.
	ErrIntOverflow = errors.New("integer overflows int64")
	// ErrUndefinedCID means a required CID is cid.Undef, which has no CBOR
	// encoding.
	ErrUndefinedCID = errors.New("undefined CID")
)

// MajorName names a CBOR major type in errors; every major 7 item is a
// "simple value".
func MajorName(maj byte) string {
	switch maj {
	case cbg.MajUnsignedInt:
		return "unsigned integer"
	case cbg.MajNegativeInt:
		return "negative integer"
	case cbg.MajByteString:
		return "byte string"
	case cbg.MajTextString:
		return "text string"
	case cbg.MajArray:
		return "array"
	case cbg.MajMap:
		return "map"
	case cbg.MajTag:
		return "tag"
	default:
		return "simple value"
	}
}

// ReadTuple reads the array header of a tuple struct named what and returns
// its length, which must be one of counts (ErrFieldCount otherwise): several
// counts serve structs that grew fields across network versions. A clean
// io.EOF before the header is returned bare, as cbor-gen callers expect of the
// first read of an object; other errors are prefixed with what.
func ReadTuple(cr *cbg.CborReader, what string, counts ...uint64) (uint64, error) {
	maj, n, err := cr.ReadHeader()
	if err == io.EOF {
		return 0, err
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if maj != cbg.MajArray {
		return 0, fmt.Errorf("%s: %w: %s, want array", what, ErrType, MajorName(maj))
	}
	for _, c := range counts {
		if n == c {
			return n, nil
		}
	}
	return 0, fmt.Errorf("%s: %w: array of %d, want %v", what, ErrFieldCount, n, counts)
}

// FieldErr wraps an error from reading field of the object named what. Inside
// a tuple, running out of input is a truncation, so io.EOF becomes
// io.ErrUnexpectedEOF.
func FieldErr(what, field string, err error) error {
	if errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%s: field %s: %w", what, field, err)
}

// ReadUint64 reads an unsigned integer.
func ReadUint64(cr *cbg.CborReader) (uint64, error) {
	maj, n, err := cr.ReadHeader()
	if err != nil {
		return 0, err
	}
	if maj != cbg.MajUnsignedInt {
		return 0, fmt.Errorf("%w: %s, want unsigned integer", ErrType, MajorName(maj))
	}
	return n, nil
}

// ReadInt64 reads an unsigned or negative integer that fits an int64
// (ErrIntOverflow otherwise).
func ReadInt64(cr *cbg.CborReader) (int64, error) {
	maj, n, err := cr.ReadHeader()
	if err != nil {
		return 0, err
	}
	switch maj {
	case cbg.MajUnsignedInt:
		if n > math.MaxInt64 {
			return 0, fmt.Errorf("%w: %d", ErrIntOverflow, n)
		}
		return int64(n), nil
	case cbg.MajNegativeInt:
		if n > math.MaxInt64 {
			return 0, fmt.Errorf("%w: -1-%d", ErrIntOverflow, n)
		}
		return -1 - int64(n), nil
	default:
		return 0, fmt.Errorf("%w: %s, want integer", ErrType, MajorName(maj))
	}
}

// ReadBool reads CBOR false or true; any other item, null included, is
// ErrType.
func ReadBool(cr *cbg.CborReader) (bool, error) {
	maj, n, err := cr.ReadHeader()
	if err != nil {
		return false, err
	}
	if maj != cbg.MajOther || (n != 20 && n != 21) {
		return false, fmt.Errorf("%w: %s %d, want true or false", ErrType, MajorName(maj), n)
	}
	return n == 21, nil
}

// ReadBytes reads a byte string of at most max bytes (ErrFieldTooLarge
// otherwise, before anything is allocated); MaxBytes is the usual limit. An
// empty string reads as nil, as cbor-gen does, so that its JSON is null as
// Lotus shows it ("Params":null).
func ReadBytes(cr *cbg.CborReader, max uint64) ([]byte, error) {
	maj, n, err := cr.ReadHeader()
	if err != nil {
		return nil, err
	}
	if maj != cbg.MajByteString {
		return nil, fmt.Errorf("%w: %s, want byte string", ErrType, MajorName(maj))
	}
	if n > max {
		return nil, fmt.Errorf("%w: %d bytes, max %d", ErrFieldTooLarge, n, max)
	}
	if n == 0 {
		return nil, nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(cr, b); err != nil {
		return nil, err
	}
	return b, nil
}

// ReadArrayHeader reads the header of an array of at most MaxArray items and
// returns its length.
func ReadArrayHeader(cr *cbg.CborReader) (int, error) {
	maj, n, err := cr.ReadHeader()
	if err != nil {
		return 0, err
	}
	if maj != cbg.MajArray {
		return 0, fmt.Errorf("%w: %s, want array", ErrType, MajorName(maj))
	}
	if n > MaxArray {
		return 0, fmt.Errorf("%w: %d items, max %d", ErrFieldTooLarge, n, MaxArray)
	}
	return int(n), nil
}

// ReadCID reads a tag-42 CID.
func ReadCID(cr *cbg.CborReader) (cid.Cid, error) {
	return cbg.ReadCid(cr)
}

// ReadNull consumes a CBOR null and reports true, or leaves the stream
// untouched and reports false: how optional (pointer) fields are read.
func ReadNull(cr *cbg.CborReader) (bool, error) {
	b, err := cr.ReadByte()
	if err != nil {
		return false, err
	}
	if b == cbg.CborNull[0] {
		return true, nil
	}
	return false, cr.UnreadByte()
}

// ReadOptionalCID reads a tag-42 CID or null, which gives nil.
func ReadOptionalCID(cr *cbg.CborReader) (*cid.Cid, error) {
	if null, err := ReadNull(cr); err != nil || null {
		return nil, err
	}
	c, err := ReadCID(cr)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// ReadUint64s reads an array of at most MaxArray unsigned integers; an empty
// array reads as nil, as cbor-gen does.
func ReadUint64s(cr *cbg.CborReader) ([]uint64, error) {
	n, err := ReadArrayHeader(cr)
	if err != nil || n == 0 {
		return nil, err
	}
	out := make([]uint64, n)
	for i := range out {
		if out[i], err = ReadUint64(cr); err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
	}
	return out, nil
}

// WriteUint64 writes an unsigned integer.
func WriteUint64(cw *cbg.CborWriter, v uint64) error {
	return cw.WriteMajorTypeHeader(cbg.MajUnsignedInt, v)
}

// WriteInt64 writes v as an unsigned integer, or as a negative one below
// zero.
func WriteInt64(cw *cbg.CborWriter, v int64) error {
	if v >= 0 {
		return cw.WriteMajorTypeHeader(cbg.MajUnsignedInt, uint64(v))
	}
	return cw.WriteMajorTypeHeader(cbg.MajNegativeInt, uint64(-1-v))
}

// WriteBool writes CBOR true or false.
func WriteBool(cw *cbg.CborWriter, v bool) error {
	b := cbg.CborBoolFalse
	if v {
		b = cbg.CborBoolTrue
	}
	_, err := cw.Write(b)
	return err
}

// WriteBytes writes a byte string of at most MaxBytes (ErrFieldTooLarge
// otherwise, before anything is written): what no cbor-gen reader would take
// back is refused. A nil b writes an empty string.
func WriteBytes(cw *cbg.CborWriter, b []byte) error {
	if len(b) > MaxBytes {
		return fmt.Errorf("%w: %d bytes, max %d", ErrFieldTooLarge, len(b), MaxBytes)
	}
	if err := cw.WriteMajorTypeHeader(cbg.MajByteString, uint64(len(b))); err != nil {
		return err
	}
	_, err := cw.Write(b)
	return err
}

// WriteArrayHeader writes the header of an array of n items, at most MaxArray
// (ErrFieldTooLarge otherwise).
func WriteArrayHeader(cw *cbg.CborWriter, n int) error {
	if n > MaxArray {
		return fmt.Errorf("%w: %d items, max %d", ErrFieldTooLarge, n, MaxArray)
	}
	return cw.WriteMajorTypeHeader(cbg.MajArray, uint64(n))
}

// WriteCID writes c as a tag-42 CID; cid.Undef is ErrUndefinedCID.
func WriteCID(cw *cbg.CborWriter, c cid.Cid) error {
	if !c.Defined() {
		return ErrUndefinedCID
	}
	return cbg.WriteCid(cw, c)
}

// WriteOptionalCID writes a tag-42 CID, or null for a nil c.
func WriteOptionalCID(cw *cbg.CborWriter, c *cid.Cid) error {
	if c == nil {
		_, err := cw.Write(cbg.CborNull)
		return err
	}
	return WriteCID(cw, *c)
}

// WriteUint64s writes an array of at most MaxArray unsigned integers.
func WriteUint64s(cw *cbg.CborWriter, v []uint64) error {
	if err := WriteArrayHeader(cw, len(v)); err != nil {
		return err
	}
	for _, x := range v {
		if err := WriteUint64(cw, x); err != nil {
			return err
		}
	}
	return nil
}

// Encode returns the CBOR bytes of m.
func Encode(m cbg.CBORMarshaler) ([]byte, error) {
	var buf bytes.Buffer
	if err := m.MarshalCBOR(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Decode reads one object named what from b into u and refuses trailing bytes
// (ErrTrailingBytes). Empty or truncated input is io.ErrUnexpectedEOF, never
// a bare io.EOF: a whole buffer that ends early is cut short, not a clean end
// of stream.
func Decode(what string, b []byte, u cbg.CBORUnmarshaler) error {
	if len(b) == 0 {
		return fmt.Errorf("%s: empty input: %w", what, io.ErrUnexpectedEOF)
	}
	r := bytes.NewReader(b)
	if err := u.UnmarshalCBOR(r); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	if r.Len() != 0 {
		return fmt.Errorf("%s: %w: %d bytes after the object", what, ErrTrailingBytes, r.Len())
	}
	return nil
}
