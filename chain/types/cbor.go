package types

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"
)

// This file holds the CBOR readers and writers the tuple encoders share.
// They accept what cbor-gen's generated code (and so Lotus) accepts; cbg's
// header reader already refuses non-minimal lengths and indefinite items,
// as DAG-CBOR requires. Limits are cbor-gen's: arrays of at most
// cbg.MaxLength (8192) items, byte strings of at most cbg.ByteArrayMaxLen
// (2 MiB).

const (
	maxArray = cbg.MaxLength
	maxBytes = cbg.ByteArrayMaxLen
)

// majorName names CBOR major types in errors.
func majorName(maj byte) string {
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

// readTupleHeader reads the array header of a tuple and returns its length,
// which must be one of counts. A clean io.EOF before the header is returned
// bare, as cbor-gen callers expect of the first read of an object.
func readTupleHeader(cr *cbg.CborReader, what string, counts ...uint64) (uint64, error) {
	maj, n, err := cr.ReadHeader()
	if err == io.EOF {
		return 0, err
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	if maj != cbg.MajArray {
		return 0, fmt.Errorf("%s: %w: %s, want array", what, ErrCBORType, majorName(maj))
	}
	for _, c := range counts {
		if n == c {
			return n, nil
		}
	}
	return 0, fmt.Errorf("%s: %w: array of %d, want %v", what, ErrFieldCount, n, counts)
}

// fieldErr wraps an error from reading one field. Inside a tuple, running out
// of input is a truncation, so io.EOF becomes io.ErrUnexpectedEOF.
func fieldErr(what, field string, err error) error {
	if errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%s: field %s: %w", what, field, err)
}

func readUint64(cr *cbg.CborReader) (uint64, error) {
	maj, n, err := cr.ReadHeader()
	if err != nil {
		return 0, err
	}
	if maj != cbg.MajUnsignedInt {
		return 0, fmt.Errorf("%w: %s, want unsigned integer", ErrCBORType, majorName(maj))
	}
	return n, nil
}

func readInt64(cr *cbg.CborReader) (int64, error) {
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
		return 0, fmt.Errorf("%w: %s, want integer", ErrCBORType, majorName(maj))
	}
}

// readBytes reads a byte string of at most maxBytes; an empty string reads as
// nil, as cbor-gen does, so that its JSON is null as Lotus shows it.
func readBytes(cr *cbg.CborReader) ([]byte, error) {
	maj, n, err := cr.ReadHeader()
	if err != nil {
		return nil, err
	}
	if maj != cbg.MajByteString {
		return nil, fmt.Errorf("%w: %s, want byte string", ErrCBORType, majorName(maj))
	}
	if n > maxBytes {
		return nil, fmt.Errorf("%w: %d bytes, max %d", ErrFieldTooLarge, n, maxBytes)
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

// readArrayHeader reads the header of an array of at most maxArray items.
func readArrayHeader(cr *cbg.CborReader) (int, error) {
	maj, n, err := cr.ReadHeader()
	if err != nil {
		return 0, err
	}
	if maj != cbg.MajArray {
		return 0, fmt.Errorf("%w: %s, want array", ErrCBORType, majorName(maj))
	}
	if n > maxArray {
		return 0, fmt.Errorf("%w: %d items, max %d", ErrFieldTooLarge, n, maxArray)
	}
	return int(n), nil
}

// readCID reads a tag-42 CID.
func readCID(cr *cbg.CborReader) (cid.Cid, error) {
	return cbg.ReadCid(cr)
}

// readNull consumes a CBOR null and reports true, or leaves the stream
// untouched and reports false: how optional (pointer) fields are read.
func readNull(cr *cbg.CborReader) (bool, error) {
	b, err := cr.ReadByte()
	if err != nil {
		return false, err
	}
	if b == cbg.CborNull[0] {
		return true, nil
	}
	return false, cr.UnreadByte()
}

func readOptionalCID(cr *cbg.CborReader) (*cid.Cid, error) {
	if null, err := readNull(cr); err != nil || null {
		return nil, err
	}
	c, err := readCID(cr)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// readUint64s reads an array of unsigned integers; an empty array reads as
// nil, as cbor-gen does.
func readUint64s(cr *cbg.CborReader) ([]uint64, error) {
	n, err := readArrayHeader(cr)
	if err != nil || n == 0 {
		return nil, err
	}
	out := make([]uint64, n)
	for i := range out {
		if out[i], err = readUint64(cr); err != nil {
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
	}
	return out, nil
}

func writeUint64(cw *cbg.CborWriter, v uint64) error {
	return cw.WriteMajorTypeHeader(cbg.MajUnsignedInt, v)
}

func writeInt64(cw *cbg.CborWriter, v int64) error {
	if v >= 0 {
		return cw.WriteMajorTypeHeader(cbg.MajUnsignedInt, uint64(v))
	}
	return cw.WriteMajorTypeHeader(cbg.MajNegativeInt, uint64(-1-v))
}

func writeBool(cw *cbg.CborWriter, v bool) error {
	b := cbg.CborBoolFalse
	if v {
		b = cbg.CborBoolTrue
	}
	_, err := cw.Write(b)
	return err
}

func writeBytes(cw *cbg.CborWriter, b []byte) error {
	if len(b) > maxBytes {
		return fmt.Errorf("%w: %d bytes, max %d", ErrFieldTooLarge, len(b), maxBytes)
	}
	if err := cw.WriteMajorTypeHeader(cbg.MajByteString, uint64(len(b))); err != nil {
		return err
	}
	_, err := cw.Write(b)
	return err
}

func writeArrayHeader(cw *cbg.CborWriter, n int) error {
	if n > maxArray {
		return fmt.Errorf("%w: %d items, max %d", ErrFieldTooLarge, n, maxArray)
	}
	return cw.WriteMajorTypeHeader(cbg.MajArray, uint64(n))
}

func writeCID(cw *cbg.CborWriter, c cid.Cid) error {
	if !c.Defined() {
		return ErrUndefinedCID
	}
	return cbg.WriteCid(cw, c)
}

func writeOptionalCID(cw *cbg.CborWriter, c *cid.Cid) error {
	if c == nil {
		_, err := cw.Write(cbg.CborNull)
		return err
	}
	return writeCID(cw, *c)
}

func writeUint64s(cw *cbg.CborWriter, v []uint64) error {
	if err := writeArrayHeader(cw, len(v)); err != nil {
		return err
	}
	for _, x := range v {
		if err := writeUint64(cw, x); err != nil {
			return err
		}
	}
	return nil
}

// encode returns the CBOR bytes of m.
func encode(m cbg.CBORMarshaler) ([]byte, error) {
	var buf bytes.Buffer
	if err := m.MarshalCBOR(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decode reads one object from b into u and rejects trailing bytes.
func decode(what string, b []byte, u cbg.CBORUnmarshaler) error {
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
