package sdr

import (
	"encoding/binary"
	"math/bits"
)

// chacha8 is the keystream of rand_chacha's ChaCha8Rng::from_seed with a
// 32-byte seed as key, block counter starting at 0 and stream (nonce) 0, as
// BucketGraph seeds it (§1). A node draws ten u64s, that is 20 keystream
// words, so two blocks are enough; next panics beyond them.
//
// Go's x/crypto/chacha20 is fixed at 20 rounds and math/rand/v2's ChaCha8 is
// a different generator (other key schedule and output order), hence this
// core: 4 double rounds, then the input added back (RFC 8439 §2.3 with 8
// rounds instead of 20).
type chacha8 struct {
	words [32]uint32 // keystream of blocks 0 and 1
	pos   int        // next unread word
}

// newChaCha8 generates the first two keystream blocks of the seed.
func newChaCha8(seed *[32]byte) chacha8 {
	var c chacha8
	var in [16]uint32
	// "expand 32-byte k"
	in[0], in[1], in[2], in[3] = 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574
	for i := range 8 {
		in[4+i] = binary.LittleEndian.Uint32(seed[4*i:])
	}
	// in[12], in[13]: 64-bit block counter; in[14], in[15]: stream id 0.
	for blk := range 2 {
		in[12] = uint32(blk)
		chachaBlock(&in, (*[16]uint32)(c.words[16*blk:]))
	}
	return c
}

// next returns the next u64 the way rand_core's BlockRng::next_u64 does:
// two keystream words, the low one first.
func (c *chacha8) next() uint64 {
	lo, hi := c.words[c.pos], c.words[c.pos+1]
	c.pos += 2
	return uint64(hi)<<32 | uint64(lo)
}

func quarter(a, b, c, d uint32) (uint32, uint32, uint32, uint32) {
	a += b
	d = bits.RotateLeft32(d^a, 16)
	c += d
	b = bits.RotateLeft32(b^c, 12)
	a += b
	d = bits.RotateLeft32(d^a, 8)
	c += d
	b = bits.RotateLeft32(b^c, 7)
	return a, b, c, d
}

// chachaBlock computes one 8-round ChaCha block of the input state.
func chachaBlock(in *[16]uint32, out *[16]uint32) {
	x := *in
	for range 4 {
		x[0], x[4], x[8], x[12] = quarter(x[0], x[4], x[8], x[12])
		x[1], x[5], x[9], x[13] = quarter(x[1], x[5], x[9], x[13])
		x[2], x[6], x[10], x[14] = quarter(x[2], x[6], x[10], x[14])
		x[3], x[7], x[11], x[15] = quarter(x[3], x[7], x[11], x[15])
		x[0], x[5], x[10], x[15] = quarter(x[0], x[5], x[10], x[15])
		x[1], x[6], x[11], x[12] = quarter(x[1], x[6], x[11], x[12])
		x[2], x[7], x[8], x[13] = quarter(x[2], x[7], x[8], x[13])
		x[3], x[4], x[9], x[14] = quarter(x[3], x[4], x[9], x[14])
	}
	for i := range x {
		out[i] = x[i] + in[i]
	}
}
