package bitfield

import "errors"

// Errors returned by this package, always wrapped with context; test with
// errors.Is.
var (
	// ErrInvalid means an RLE+ encoding, a CBOR item, a JSON value or a list
	// of runs does not describe a bitfield: every decoding failure wraps it.
	ErrInvalid = errors.New("invalid bitfield")
	// ErrTooLarge means an input or an encoding exceeds a documented limit
	// (MaxEncodedSize, MaxRuns), or the set holds bit math.MaxUint64, which no
	// encoding can express. Decoding failures wrap ErrInvalid as well.
	ErrTooLarge = errors.New("bitfield too large")
	// ErrNotCanonical means DecodeStrict was given an encoding that Decode
	// accepts but that is not the canonical one (what Encode writes), which
	// the FVM's decoder rejects. It always comes with ErrInvalid.
	ErrNotCanonical = errors.New("bitfield encoding not canonical")
	// ErrTooMany means All found more set bits than its caller allowed.
	ErrTooMany = errors.New("too many bits set")
	// ErrNoBitsSet means First or Last was called on an empty bitfield.
	ErrNoBitsSet = errors.New("bitfield has no set bits")
	// ErrNotEnoughBits means Slice asked for more set bits than there are.
	ErrNotEnoughBits = errors.New("not enough bits set")
)
