// Package sha254 implements the node hash of Filecoin's binary Merkle trees,
// the multihash sha2-256-trunc254-padded: SHA-256 of the 64-byte concatenation
// of two 32-byte children, with the two most significant bits of the last
// byte cleared so that every node is a valid little-endian BLS12-381 scalar
// (primitives.md §2.2; rust-fil-proofs storage-proofs-core/src/hasher/sha256.rs).
//
// A node's message is exactly one 64-byte SHA-256 block, so its digest costs
// two calls of the compression function: one over the data and one over the
// constant padding block (0x80, zeros, bit length 512). The generic SHA-256
// API adds a digest object, buffering and length bookkeeping to those two
// calls, which is most of the 112 ns it takes per node on the development
// machine (primitives.md §5). This package calls the compression function
// directly, uses a precomputed message schedule for the padding block and,
// on amd64 with the SHA extensions, hashes two nodes at a time in assembly
// so that the latency of one node's rounds hides behind the other's.
package sha254

import (
	"encoding/binary"
	"fmt"
	"math/bits"
)

// Size is the size in bytes of a node and of a node hash.
const Size = 32

// BlockSize is the size in bytes of one node hash's input: two children.
const BlockSize = 2 * Size

// Node returns the parent of two sibling nodes: SHA-256(left || right) with
// the top two bits of byte 31 cleared.
func Node(left, right [Size]byte) [Size]byte {
	var in [BlockSize]byte
	copy(in[:Size], left[:])
	copy(in[Size:], right[:])
	var out [Size]byte
	nodes(out[:], in[:])
	return out
}

// Nodes hashes every consecutive 64-byte block of src into one 32-byte node of
// dst: dst[32i:32i+32] = Node(src[64i:64i+32], src[64i+32:64i+64]). It reduces
// one layer of a Merkle tree to the next in a single call.
//
// dst may be src itself (dst[:len(src)/2] aliasing src[:len(src)/2]), which
// reduces a layer in place: node i is written only after blocks 0..i have been
// read. Any other overlap gives undefined results. Nodes panics if len(src) is
// not a multiple of 64 or dst is shorter than len(src)/2.
func Nodes(dst, src []byte) {
	if len(src)%BlockSize != 0 {
		panic(fmt.Sprintf("sha254: input of %d bytes is not a whole number of %d-byte blocks", len(src), BlockSize))
	}
	if len(dst) < len(src)/2 {
		panic(fmt.Sprintf("sha254: output of %d bytes is too short for %d nodes", len(dst), len(src)/BlockSize))
	}
	if len(src) == 0 {
		return
	}
	nodes(dst, src)
}

// iv is the SHA-256 initial hash value (FIPS 180-4 §5.3.3).
var iv = [8]uint32{
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
}

// k holds the SHA-256 round constants (FIPS 180-4 §4.2.2).
var k = [64]uint32{
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

// kwPad is K[i]+W[i] for the padding block that follows every 64-byte message:
// W[0] = 0x80000000 (the 1 bit after the message), W[1..14] = 0, W[15] = 512
// (the message length in bits), expanded to 64 words (FIPS 180-4 §5.1.1,
// §6.2.2). It is a constant, so the second compression of every node skips
// the message schedule entirely. block_amd64.s holds the same table;
// TestPaddingSchedule checks both against the FIPS expansion.
var kwPad = [64]uint32{
	0xc28a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf374,
	0x649b69c1, 0xf0fe4786, 0x0fe1edc6, 0x240cf254, 0x4fe9346f, 0x6cc984be, 0x61b9411e, 0x16f988fa,
	0xf2c65152, 0xa88e5a6d, 0xb019fc65, 0xb9d99ec7, 0x9a1231c3, 0xe70eeaa0, 0xfdb1232b, 0xc7353eb0,
	0x3069bad5, 0xcb976d5f, 0x5a0f118f, 0xdc1eeefd, 0x0a35b689, 0xde0b7a04, 0x58f4ca9d, 0xe15d5b16,
	0x007f3e86, 0x37088980, 0xa507ea32, 0x6fab9537, 0x17406110, 0x0d8cd6f1, 0xcdaa3b6d, 0xc0bbbe37,
	0x83613bda, 0xdb48a363, 0x0b02e931, 0x6fd15ca7, 0x521afaca, 0x31338431, 0x6ed41a95, 0x6d437890,
	0xc39c91f2, 0x9eccabbd, 0xb5c9a0e6, 0x532fb63c, 0xd2c741c6, 0x07237ea3, 0xa4954b68, 0x4c191d76,
}

// schedule expands a 16-word message block to 64 words (FIPS 180-4 §6.2.2 step 1).
func schedule(w *[64]uint32) {
	for i := 16; i < 64; i++ {
		v1 := w[i-2]
		s1 := bits.RotateLeft32(v1, -17) ^ bits.RotateLeft32(v1, -19) ^ (v1 >> 10)
		v2 := w[i-15]
		s0 := bits.RotateLeft32(v2, -7) ^ bits.RotateLeft32(v2, -18) ^ (v2 >> 3)
		w[i] = s1 + w[i-7] + s0 + w[i-16]
	}
}

// rounds runs the 64 SHA-256 rounds from state h with kw[i] = K[i]+W[i] and
// returns h plus the result: one compression (FIPS 180-4 §6.2.2 steps 2-4).
func rounds(h [8]uint32, kw *[64]uint32) [8]uint32 {
	a, b, c, d, e, f, g, hh := h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7]
	for i := range 64 {
		t1 := hh + (bits.RotateLeft32(e, -6) ^ bits.RotateLeft32(e, -11) ^ bits.RotateLeft32(e, -25)) +
			((e & f) ^ (^e & g)) + kw[i]
		t2 := (bits.RotateLeft32(a, -2) ^ bits.RotateLeft32(a, -13) ^ bits.RotateLeft32(a, -22)) +
			((a & b) ^ (a & c) ^ (b & c))
		hh, g, f, e, d, c, b, a = g, f, e, d+t1, c, b, a, t1+t2
	}
	return [8]uint32{h[0] + a, h[1] + b, h[2] + c, h[3] + d, h[4] + e, h[5] + f, h[6] + g, h[7] + hh}
}

// nodesGeneric is the portable implementation of Nodes, without its checks.
func nodesGeneric(dst, src []byte) {
	var w [64]uint32
	for ; len(src) >= BlockSize; src, dst = src[BlockSize:], dst[Size:] {
		for i := range 16 {
			w[i] = binary.BigEndian.Uint32(src[4*i:])
		}
		schedule(&w)
		for i := range 64 {
			w[i] += k[i]
		}
		h := rounds(rounds(iv, &w), &kwPad)
		for i, v := range h {
			binary.BigEndian.PutUint32(dst[4*i:], v)
		}
		dst[Size-1] &= 0x3f
	}
}
