package big

import "errors"

// Errors returned by this package, always wrapped with context; test with
// errors.Is.
var (
	// ErrSyntax means a decimal or token amount string is malformed.
	ErrSyntax = errors.New("invalid number syntax")
	// ErrTooLarge means a value exceeds MaxSerializedLength bytes serialised,
	// or a token amount exceeds the parsing bound.
	ErrTooLarge = errors.New("number too large")
	// ErrTooPrecise means a token amount has more decimals than its unit allows.
	ErrTooPrecise = errors.New("too many decimal places")
	// ErrUnknownUnit means a token amount has a unit other than FIL or attoFIL.
	ErrUnknownUnit = errors.New("unknown token unit")
	// ErrSign means the serialised form starts with a byte other than 0 or 1.
	ErrSign = errors.New("invalid big int sign byte")
	// ErrCBOR means the CBOR input is not a byte string.
	ErrCBOR = errors.New("invalid big int CBOR")
	// ErrTrailingBytes means DecodeCBOR found bytes after the integer.
	ErrTrailingBytes = errors.New("trailing bytes after CBOR big int")
)
