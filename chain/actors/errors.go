package actors

import "errors"

// Errors returned by this package, always wrapped with the object and field;
// test with errors.Is. Errors from fil/address, fil/big, fil/bitfield and
// fil/types pass through wrapped, so their sentinels match too. A stream that
// ends inside an object gives io.ErrUnexpectedEOF.
var (
	// ErrNoParams means DecodeParams was given zero bytes: the message
	// carries no parameters for a method that takes some. The network answers
	// ExitIllegalArgument ("method expects arguments").
	ErrNoParams = errors.New("no parameters")
	// ErrUnexpectedParams means CheckNoParams was given bytes for a method
	// that takes none. The network answers ExitIllegalArgument ("method
	// expects no arguments").
	ErrUnexpectedParams = errors.New("unexpected parameters")
	// ErrTooLarge means an input, an array or a byte string exceeds its
	// limit (MaxParamsSize, MaxArrayLength, MaxBytesLength, MaxTextLength,
	// the big-int and bitfield limits).
	ErrTooLarge = errors.New("too large")
	// ErrTrailingBytes means bytes follow the one CBOR item of the input.
	ErrTrailingBytes = errors.New("trailing bytes after CBOR item")
	// ErrNonCanonical means an item has another encoding than its canonical
	// one: a header longer than needed, a big int with a redundant sign or
	// leading zero byte, a bitfield not in canonical RLE+.
	ErrNonCanonical = errors.New("CBOR input is not canonical")
	// ErrMalformed means the input is not well-formed DAG-CBOR: a reserved
	// or indefinite-length header, a simple value other than false, true and
	// null, a float, a tag other than 42, text that is not UTF-8, a CID
	// without its 0x00 prefix.
	ErrMalformed = errors.New("malformed CBOR")
	// ErrCBORType means an item has the wrong major type for its field (or
	// is a map, which no actor parameter uses).
	ErrCBORType = errors.New("unexpected CBOR type")
	// ErrFieldCount means a tuple's array has the wrong length.
	ErrFieldCount = errors.New("wrong number of tuple fields")
	// ErrIntOverflow means an integer does not fit its field (int64 epochs
	// and proof types, uint32 batch counts and exit codes).
	ErrIntOverflow = errors.New("integer out of range")
	// ErrUndefined means a required value is unset and has no encoding: an
	// undefined CID or address.
	ErrUndefined = errors.New("undefined value")
	// ErrInvalidName means MethodHash was given a name FRC-0042 does not
	// allow.
	ErrInvalidName = errors.New("invalid FRC-0042 method name")
)
