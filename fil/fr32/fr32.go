// Package fr32 implements Fr32 padding, the storage format of Filecoin piece
// and sector data (primitives.md §2.1; rust-fil-proofs fr32/).
//
// Data is cut into 127-byte chunks. Each chunk is read as a 1016-bit string,
// least significant bit of each byte first, and split into four 254-bit
// parts; each part gets two zero bits appended, giving four 256-bit (32-byte)
// words whose top two bits are clear. A 32-byte word with byte 31 below 0x40
// is a canonical little-endian element of the BLS12-381 scalar field Fr,
// which is what the proofs need. 127 bytes in, 128 bytes out: a "quad".
//
// The work is done on 64-bit words: a quad is 16 little-endian words in and
// out, and every output word is two input words shifted and or-ed.
package fr32

import (
	"encoding/binary"
	"fmt"
)

const (
	// UnpaddedChunk is the number of data bytes in one quad.
	UnpaddedChunk = 127
	// PaddedChunk is the number of bytes a quad takes after padding.
	PaddedChunk = 128
)

// PaddedLen returns the padded length of unpadded bytes: n/127*128. n must be
// a multiple of 127.
func PaddedLen(n int) int { return n / UnpaddedChunk * PaddedChunk }

// UnpaddedLen returns the unpadded length of padded bytes: n/128*127. n must
// be a multiple of 128.
func UnpaddedLen(n int) int { return n / PaddedChunk * UnpaddedChunk }

// Pad Fr32-pads in into out. len(in) must be a multiple of 127 and out must
// hold at least len(in)/127*128 bytes; Pad panics otherwise, like a cipher
// given a short block. in and out must not overlap.
func Pad(in, out []byte) {
	if len(in)%UnpaddedChunk != 0 {
		panic(fmt.Sprintf("fr32: Pad input of %d bytes is not a multiple of %d", len(in), UnpaddedChunk))
	}
	quads := len(in) / UnpaddedChunk
	if len(out) < quads*PaddedChunk {
		panic(fmt.Sprintf("fr32: Pad output of %d bytes is shorter than %d", len(out), quads*PaddedChunk))
	}
	if quads == 0 {
		return
	}
	padQuads(in, out, quads)
}

// padQuadsGeneric pads every quad but the last in Go. Each reads 128 input
// bytes: the 128th belongs to the next quad and is shifted out of the result
// (see padQuad).
func padQuadsGeneric(in, out []byte, quads int) {
	for i := range quads - 1 {
		padQuad((*[PaddedChunk]byte)(in[i*UnpaddedChunk:]), (*[PaddedChunk]byte)(out[i*PaddedChunk:]))
	}
}

// padLast pads the last of quads quads through a copy, so that nothing past
// the end of in is read.
func padLast(in, out []byte, quads int) {
	var last [PaddedChunk]byte
	copy(last[:], in[(quads-1)*UnpaddedChunk:quads*UnpaddedChunk])
	padQuad(&last, (*[PaddedChunk]byte)(out[(quads-1)*PaddedChunk:]))
}

// padQuad pads the 127 data bytes at the start of in into out. in[127] is
// read but does not matter: it would land in bits 254-255 of the last word,
// which are cleared.
func padQuad(in, out *[PaddedChunk]byte) {
	le := binary.LittleEndian
	x0, x1, x2, x3 := le.Uint64(in[0:]), le.Uint64(in[8:]), le.Uint64(in[16:]), le.Uint64(in[24:])
	x4, x5, x6, x7 := le.Uint64(in[32:]), le.Uint64(in[40:]), le.Uint64(in[48:]), le.Uint64(in[56:])
	x8, x9, x10, x11 := le.Uint64(in[64:]), le.Uint64(in[72:]), le.Uint64(in[80:]), le.Uint64(in[88:])
	x12, x13, x14, x15 := le.Uint64(in[96:]), le.Uint64(in[104:]), le.Uint64(in[112:]), le.Uint64(in[120:])
	// Word 0 is input bits [0, 254): limbs 0-3.
	le.PutUint64(out[0:], x0)
	le.PutUint64(out[8:], x1)
	le.PutUint64(out[16:], x2)
	le.PutUint64(out[24:], x3<<2>>2)
	// Word 1 is input bits [254, 508): from limb 3, bit 62.
	le.PutUint64(out[32:], x3>>62|x4<<2)
	le.PutUint64(out[40:], x4>>62|x5<<2)
	le.PutUint64(out[48:], x5>>62|x6<<2)
	le.PutUint64(out[56:], (x6>>62|x7<<2)<<2>>2)
	// Word 2 is input bits [508, 762): from limb 7, bit 60.
	le.PutUint64(out[64:], x7>>60|x8<<4)
	le.PutUint64(out[72:], x8>>60|x9<<4)
	le.PutUint64(out[80:], x9>>60|x10<<4)
	le.PutUint64(out[88:], (x10>>60|x11<<4)<<2>>2)
	// Word 3 is input bits [762, 1016): from limb 11, bit 58.
	le.PutUint64(out[96:], x11>>58|x12<<6)
	le.PutUint64(out[104:], x12>>58|x13<<6)
	le.PutUint64(out[112:], x13>>58|x14<<6)
	le.PutUint64(out[120:], (x14>>58|x15<<6)<<2>>2)
}

// Unpad removes Fr32 padding: it is the inverse of Pad. len(in) must be a
// multiple of 128 and out must hold at least len(in)/128*127 bytes; Unpad
// panics otherwise. The two padding bits of every 32-byte word are ignored,
// as rust-fil-proofs does. in and out must not overlap.
func Unpad(in, out []byte) {
	if len(in)%PaddedChunk != 0 {
		panic(fmt.Sprintf("fr32: Unpad input of %d bytes is not a multiple of %d", len(in), PaddedChunk))
	}
	quads := len(in) / PaddedChunk
	if len(out) < quads*UnpaddedChunk {
		panic(fmt.Sprintf("fr32: Unpad output of %d bytes is shorter than %d", len(out), quads*UnpaddedChunk))
	}
	if quads == 0 {
		return
	}
	// Every quad but the last writes 128 bytes; the 128th is the first byte
	// of the next quad and is overwritten by it.
	for i := range quads - 1 {
		unpadQuad((*[PaddedChunk]byte)(in[i*PaddedChunk:]), (*[PaddedChunk]byte)(out[i*UnpaddedChunk:]))
	}
	var last [PaddedChunk]byte
	unpadQuad((*[PaddedChunk]byte)(in[(quads-1)*PaddedChunk:]), &last)
	copy(out[(quads-1)*UnpaddedChunk:], last[:UnpaddedChunk])
}

// unpadQuad unpads one quad into the first 127 bytes of out; out[127] is
// written as zero.
func unpadQuad(in, out *[PaddedChunk]byte) {
	le := binary.LittleEndian
	a0, a1, a2, a3 := le.Uint64(in[0:]), le.Uint64(in[8:]), le.Uint64(in[16:]), le.Uint64(in[24:])<<2>>2
	a4, a5, a6, a7 := le.Uint64(in[32:]), le.Uint64(in[40:]), le.Uint64(in[48:]), le.Uint64(in[56:])<<2>>2
	a8, a9, a10, a11 := le.Uint64(in[64:]), le.Uint64(in[72:]), le.Uint64(in[80:]), le.Uint64(in[88:])<<2>>2
	a12, a13, a14, a15 := le.Uint64(in[96:]), le.Uint64(in[104:]), le.Uint64(in[112:]), le.Uint64(in[120:])<<2>>2
	le.PutUint64(out[0:], a0)
	le.PutUint64(out[8:], a1)
	le.PutUint64(out[16:], a2)
	le.PutUint64(out[24:], a3|a4<<62)
	le.PutUint64(out[32:], a4>>2|a5<<62)
	le.PutUint64(out[40:], a5>>2|a6<<62)
	le.PutUint64(out[48:], a6>>2|a7<<62)
	le.PutUint64(out[56:], a7>>2|a8<<60)
	le.PutUint64(out[64:], a8>>4|a9<<60)
	le.PutUint64(out[72:], a9>>4|a10<<60)
	le.PutUint64(out[80:], a10>>4|a11<<60)
	le.PutUint64(out[88:], a11>>4|a12<<58)
	le.PutUint64(out[96:], a12>>6|a13<<58)
	le.PutUint64(out[104:], a13>>6|a14<<58)
	le.PutUint64(out[112:], a14>>6|a15<<58)
	le.PutUint64(out[120:], a15>>6)
}
