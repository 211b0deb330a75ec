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

// This file holds the small CBOR readers and writers the tuple encoders share.
// They follow cbor-gen's generated code (and so Lotus) in what they accept;
// cbg's header reader already rejects non-minimal lengths and indefinite
// items, as DAG-CBOR requires.

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

// readTuple reads the array header of a tuple struct with n fields. A clean
// io.EOF before the header is returned bare, as cbor-gen code expects of the
// first read.
func readTuple(cr *cbg.CborReader, what string, n uint64) error {
	maj, extra, err := cr.ReadHeader()
	if err == io.EOF {
		return err
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if maj != cbg.MajArray {
		return fmt.Errorf("%s: %w: %s, want array", what, ErrCBORType, majorName(maj))
	}
	if extra != n {
		return fmt.Errorf("%s: %w: array of %d, want %d", what, ErrFieldCount, extra, n)
	}
	return nil
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
	maj, extra, err := cr.ReadHeader()
	if err != nil {
		return 0, err
	}
	if maj != cbg.MajUnsignedInt {
		return 0, fmt.Errorf("%w: %s, want unsigned integer", ErrCBORType, majorName(maj))
	}
	return extra, nil
}

func readInt64(cr *cbg.CborReader) (int64, error) {
	maj, extra, err := cr.ReadHeader()
	if err != nil {
		return 0, err
	}
	switch maj {
	case cbg.MajUnsignedInt:
		if extra > math.MaxInt64 {
			return 0, fmt.Errorf("%w: %d", ErrIntOverflow, extra)
		}
		return int64(extra), nil
	case cbg.MajNegativeInt:
		if extra > math.MaxInt64 {
			return 0, fmt.Errorf("%w: -1-%d", ErrIntOverflow, extra)
		}
		return -1 - int64(extra), nil
	default:
		return 0, fmt.Errorf("%w: %s, want integer", ErrCBORType, majorName(maj))
	}
}

func readBool(cr *cbg.CborReader) (bool, error) {
	maj, extra, err := cr.ReadHeader()
	if err != nil {
		return false, err
	}
	if maj != cbg.MajOther || (extra != 20 && extra != 21) {
		return false, fmt.Errorf("%w: %s %d, want true or false", ErrCBORType, majorName(maj), extra)
	}
	return extra == 21, nil
}

// readBytes reads a byte string of at most max bytes; an empty string reads
// as nil, as cbor-gen does (so Lotus JSON shows "Params":null).
func readBytes(cr *cbg.CborReader, max uint64) ([]byte, error) {
	maj, extra, err := cr.ReadHeader()
	if err != nil {
		return nil, err
	}
	if maj != cbg.MajByteString {
		return nil, fmt.Errorf("%w: %s, want byte string", ErrCBORType, majorName(maj))
	}
	if extra > max {
		return nil, fmt.Errorf("%w: %d bytes, max %d", ErrFieldTooLarge, extra, max)
	}
	if extra == 0 {
		return nil, nil
	}
	b := make([]byte, extra)
	if _, err := io.ReadFull(cr, b); err != nil {
		return nil, err
	}
	return b, nil
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
	if err := cw.WriteMajorTypeHeader(cbg.MajByteString, uint64(len(b))); err != nil {
		return err
	}
	_, err := cw.Write(b)
	return err
}

func writeCID(cw *cbg.CborWriter, c cid.Cid) error {
	if !c.Defined() {
		return ErrUndefinedCID
	}
	return cbg.WriteCid(cw, c)
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
