// Package sha2raw exposes the SHA-256 compression function (FIPS 180-4 §6.2)
// over whole 64-byte blocks, without the buffering, padding and digest
// object of crypto/sha256.
//
// Stacked-DRG labelling hashes 1,248-byte messages built from 32-byte labels
// scattered over two layers (sdr-spec.md §3). rust-fil-proofs uses its own
// block-level SHA-256 (the sha2raw crate) for the same reason: the caller
// feeds blocks it assembles itself and pads the message itself. On amd64 with
// the SHA extensions the blocks go through SHA-NI assembly; elsewhere through
// a portable Go implementation.
package sha2raw

import (
	"encoding/binary"
	"fmt"
)

// BlockSize is the size in bytes of one SHA-256 message block.
const BlockSize = 64

// Size is the size in bytes of a SHA-256 digest.
const Size = 32

// IV returns the SHA-256 initial hash value H(0) (FIPS 180-4 §5.3.3).
func IV() [8]uint32 {
	return [8]uint32{
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	}
}

// Blocks runs the compression function over every 64-byte block of blocks in
// order, updating state. It panics if len(blocks) is not a multiple of 64.
func Blocks(state *[8]uint32, blocks []byte) {
	if len(blocks)%BlockSize != 0 {
		panic(fmt.Sprintf("sha2raw: %d bytes is not a whole number of %d-byte blocks", len(blocks), BlockSize))
	}
	if len(blocks) == 0 {
		return
	}
	blocksImpl(state, blocks)
}

// Digest returns the big-endian bytes of state: the SHA-256 digest once the
// last (padded) block has been compressed.
func Digest(state *[8]uint32) [Size]byte {
	var out [Size]byte
	for i, w := range state {
		binary.BigEndian.PutUint32(out[4*i:], w)
	}
	return out
}

// Sum returns SHA-256(msg), padding msg as FIPS 180-4 §5.1.1 describes and
// compressing it with Blocks. It exists to check Blocks against crypto/sha256
// and as a reference for callers that pad by hand.
func Sum(msg []byte) [Size]byte {
	st := IV()
	whole := len(msg) / BlockSize * BlockSize
	Blocks(&st, msg[:whole])
	Blocks(&st, Pad(msg[whole:], uint64(len(msg))))
	return Digest(&st)
}

// Pad returns the final block(s) of a message of msgLen bytes whose last
// len(tail) < 64 bytes are tail: tail, 0x80, zeros, and the bit length as a
// big-endian uint64. The result is 64 or 128 bytes long.
func Pad(tail []byte, msgLen uint64) []byte {
	if len(tail) >= BlockSize {
		panic(fmt.Sprintf("sha2raw: tail of %d bytes is a whole block", len(tail)))
	}
	n := BlockSize
	if len(tail)+1+8 > BlockSize {
		n = 2 * BlockSize
	}
	out := make([]byte, n)
	copy(out, tail)
	out[len(tail)] = 0x80
	binary.BigEndian.PutUint64(out[n-8:], msgLen*8)
	return out
}
