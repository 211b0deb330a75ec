package sig

import "errors"

// Errors returned by this package, always wrapped with context; test with
// errors.Is.
var (
	// ErrUnknownType means a signature or key type is not 1, 2 or 3, or the
	// operation does not support it.
	ErrUnknownType = errors.New("unknown signature type")
	// ErrTooLong means a serialised signature exceeds MaxLength.
	ErrTooLong = errors.New("signature too long")
	// ErrCBOR means the CBOR input is not a non-empty byte string.
	ErrCBOR = errors.New("invalid signature CBOR")
	// ErrTrailingBytes means DecodeCBOR found bytes after the signature.
	ErrTrailingBytes = errors.New("trailing bytes after CBOR signature")
	// ErrInvalidLength means signature data or a key has the wrong length
	// for its type.
	ErrInvalidLength = errors.New("invalid signature or key length")
	// ErrInvalidKey means a private or public key is not a valid curve
	// scalar or point.
	ErrInvalidKey = errors.New("invalid key")
	// ErrInvalidSignature means signature data is malformed (not a curve
	// point, bad recovery id, r or s out of range).
	ErrInvalidSignature = errors.New("malformed signature")
	// ErrVerify means a well-formed signature does not verify: wrong key,
	// wrong message, or a signer address that does not match.
	ErrVerify = errors.New("signature verification failed")
	// ErrSignerProtocol means the signer's address protocol cannot produce
	// the signature type (an f0 signer must first be resolved to its key
	// address).
	ErrSignerProtocol = errors.New("signer address protocol does not match signature type")
	// ErrDuplicateMessage means an aggregate covers the same message twice,
	// which the BLS basic scheme forbids.
	ErrDuplicateMessage = errors.New("duplicate message in BLS aggregate")
)
