package address

import "errors"

// Errors returned by this package, always wrapped with context; test with
// errors.Is.
var (
	// ErrUnknownNetwork means a string form does not start with 'f' or 't'.
	ErrUnknownNetwork = errors.New("unknown address network")
	// ErrUnknownProtocol means the protocol is not 0-4.
	ErrUnknownProtocol = errors.New("unknown address protocol")
	// ErrInvalidPayload means the payload cannot be decoded (bad varint,
	// out-of-range ID or namespace, non-decimal ID).
	ErrInvalidPayload = errors.New("invalid address payload")
	// ErrInvalidLength means the input or its payload has the wrong length
	// for its protocol.
	ErrInvalidLength = errors.New("invalid address length")
	// ErrInvalidChecksum means the checksum in a string form does not match.
	ErrInvalidChecksum = errors.New("invalid address checksum")
	// ErrInvalidEncoding means a string form is not canonical: bad base32,
	// non-zero trailing bits, leading zeros, or anything else that does not
	// re-encode to the same string.
	ErrInvalidEncoding = errors.New("invalid address encoding")
	// ErrUndef means an operation needs a defined address (CBOR has no
	// encoding for Undef).
	ErrUndef = errors.New("undefined address")
	// ErrNotID means an ID was requested from a non-ID address.
	ErrNotID = errors.New("not an ID address")
	// ErrNotDelegated means delegated parts were requested from a non-f4 address.
	ErrNotDelegated = errors.New("not a delegated address")
	// ErrCBOR means a CBOR input is not a byte string of at most
	// MaxByteLength bytes.
	ErrCBOR = errors.New("invalid address CBOR")
	// ErrTrailingBytes means DecodeCBOR found bytes after the address.
	ErrTrailingBytes = errors.New("trailing bytes after CBOR address")
)
