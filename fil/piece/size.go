// Package piece describes Filecoin pieces: their padded and unpadded sizes
// and the CIDs that name their commitments, v1 (fil-commitment-unsealed,
// baga...) and v2 (FRC-0069, bafkzcib...), plus the sealed-sector CID that
// carries CommR.
//
// Sizes follow go-state-types abi.PaddedPieceSize and abi.UnpaddedPieceSize:
// a piece occupies a power-of-two number of bytes (at least 128) of a sector
// after Fr32 padding, and holds 127/128 of that in data (primitives.md §2.1).
package piece

import (
	"errors"
	"fmt"
	"math/bits"
)

var (
	// ErrInvalidSize means a piece size is not a valid padded or unpadded size.
	ErrInvalidSize = errors.New("piece: invalid size")
	// ErrNotPieceCID means a CID does not have the codec and multihash of the
	// commitment it was expected to carry.
	ErrNotPieceCID = errors.New("piece: not a commitment CID of the expected kind")
	// ErrDigest means a commitment multihash has a malformed digest.
	ErrDigest = errors.New("piece: malformed commitment digest")
	// ErrPadding means the padding of a v2 piece CID is out of range for its
	// tree height.
	ErrPadding = errors.New("piece: v2 padding out of range")
)

const (
	// MinPaddedSize is the smallest piece: one Fr32 quad.
	MinPaddedSize PaddedSize = 128
	// MaxPaddedSize is the largest piece size these types represent, 2^63
	// bytes. The network's largest pieces are 64 GiB sectors.
	MaxPaddedSize PaddedSize = 1 << 63
	// MaxPayload is the largest payload that fits a piece: MaxPaddedSize
	// without its Fr32 padding.
	MaxPayload = uint64(MaxPaddedSize) / 128 * 127
	// NodeSize is the size of a leaf and of every node of a piece's tree.
	NodeSize = 32
)

// PaddedSize is the size of a piece after Fr32 padding: the width of its
// Merkle tree in bytes. A valid PaddedSize is a power of two of at least 128.
type PaddedSize uint64

// Validate returns an error wrapping ErrInvalidSize unless p is a power of two
// of at least 128 bytes.
func (p PaddedSize) Validate() error {
	switch {
	case p < MinPaddedSize:
		return fmt.Errorf("%w: padded size %d is below the %d-byte minimum", ErrInvalidSize, uint64(p), uint64(MinPaddedSize))
	case p&(p-1) != 0:
		return fmt.Errorf("%w: padded size %d is not a power of two", ErrInvalidSize, uint64(p))
	}
	return nil
}

// Unpadded returns the data capacity of p: p - p/128.
func (p PaddedSize) Unpadded() UnpaddedSize { return UnpaddedSize(p - p/128) }

// Height returns the height of a valid p's tree of 32-byte leaves: log2(p/32).
func (p PaddedSize) Height() int { return bits.TrailingZeros64(uint64(p)) - 5 }

// UnpaddedSize is the data capacity of a piece: 127·2^k bytes, k ≥ 0.
type UnpaddedSize uint64

// Validate returns an error wrapping ErrInvalidSize unless u is 127 times a
// power of two.
func (u UnpaddedSize) Validate() error {
	switch {
	case u < 127:
		return fmt.Errorf("%w: unpadded size %d is below the 127-byte minimum", ErrInvalidSize, uint64(u))
	case u%127 != 0:
		return fmt.Errorf("%w: unpadded size %d is not a multiple of 127", ErrInvalidSize, uint64(u))
	case uint64(u) > MaxPayload:
		return fmt.Errorf("%w: unpadded size %d exceeds the maximum %d", ErrInvalidSize, uint64(u), MaxPayload)
	}
	if q := u / 127; q&(q-1) != 0 {
		return fmt.Errorf("%w: unpadded size %d is not 127 times a power of two", ErrInvalidSize, uint64(u))
	}
	return nil
}

// Padded returns the padded size of u: u + u/127.
func (u UnpaddedSize) Padded() PaddedSize { return PaddedSize(u + u/127) }

// PaddedSizeFor returns the size of the smallest piece that holds payload
// bytes: the payload is zero-filled to a multiple of 127 bytes, Fr32-padded
// and completed to a power of two, at least 128 bytes (primitives.md §2.1).
// It fails for payloads over MaxPayload.
func PaddedSizeFor(payload uint64) (PaddedSize, error) {
	if payload > MaxPayload {
		return 0, fmt.Errorf("%w: payload of %d bytes exceeds the maximum %d", ErrInvalidSize, payload, MaxPayload)
	}
	quads := max((payload+126)/127, 1)
	return PaddedSize(128) << bits.Len64(quads-1), nil
}
