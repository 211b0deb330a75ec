//go:build amd64 && !purego

#include "textflag.h"

// blocksSHANI is the SHA-256 compression function (FIPS 180-4 §6.2.2) with
// the x86 SHA extensions (Intel SDM Vol. 2, SHA256RNDS2, SHA256MSG1,
// SHA256MSG2). SHA256RNDS2 runs two rounds on a state split into the ABEF
// and CDGH registers, taking W[t]+K[t] for the two rounds from the low
// quadword of X0.
//
// Registers:
//   X0      K+W of the next rounds (implicit operand of SHA256RNDS2)
//   X1, X2  state ABEF, CDGH
//   X3-X6   message words W[4i..4i+3], rotating through the schedule
//   X7, X8  state at the start of the block, for the final addition
//   X13     scratch
//   X14     PSHUFB mask turning big-endian message words into dwords
//   SI      next block; CX blocks left; DI state

// RND4 runs rounds 4i..4i+3: m holds W[4i..4i+3], kw addresses K[4i..4i+3].
// The first SHA256RNDS2 writes the new ABEF to X2 while X1 (the old ABEF)
// becomes the CDGH of the next pair, so the second swaps the roles back.
#define RND4(m, kw) \
	MOVOU       kw, X0        \
	PADDD       m, X0         \
	SHA256RNDS2 X0, X1, X2    \
	PSHUFD      $0x0e, X0, X0 \
	SHA256RNDS2 X0, X2, X1

// MSG replaces m0 = W[t-16..t-13] by W[t..t+3] given m1 = W[t-12..t-9],
// m2 = W[t-8..t-5] and m3 = W[t-4..t-1] (FIPS 180-4 §6.2.2 step 1):
// SHA256MSG1 adds sigma0(W[t-15..t-12]), PALIGNR extracts W[t-7..t-4] and
// SHA256MSG2 adds sigma1 of W[t-2], W[t-1] and of the words it computes.
#define MSG(m0, m1, m2, m3) \
	SHA256MSG1 m1, m0       \
	MOVO       m3, X13      \
	PALIGNR    $4, m2, X13  \
	PADDD      X13, m0      \
	SHA256MSG2 m3, m0

// func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL subleaf+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func blocksSHANI(state *[8]uint32, p []byte)
TEXT ·blocksSHANI(SB), NOSPLIT, $0-32
	MOVQ  state+0(FP), DI
	MOVQ  p_base+8(FP), SI
	MOVQ  p_len+16(FP), CX
	SHRQ  $6, CX
	MOVOU bswap<>(SB), X14

	// state a..h (dwords, low to high: A B C D, E F G H) to ABEF/CDGH,
	// listed from the most significant dword.
	MOVOU   0(DI), X1
	MOVOU   16(DI), X2
	PSHUFD  $0xb1, X1, X1 // C D A B
	PSHUFD  $0x1b, X2, X2 // E F G H
	MOVO    X1, X13
	PALIGNR $8, X2, X1    // A B E F
	PBLENDW $0xf0, X13, X2 // C D G H

block:
	MOVO   X1, X7
	MOVO   X2, X8
	MOVOU  0(SI), X3
	PSHUFB X14, X3
	MOVOU  16(SI), X4
	PSHUFB X14, X4
	MOVOU  32(SI), X5
	PSHUFB X14, X5
	MOVOU  48(SI), X6
	PSHUFB X14, X6

	RND4(X3, ·k+0(SB))
	RND4(X4, ·k+16(SB))
	RND4(X5, ·k+32(SB))
	RND4(X6, ·k+48(SB))
	MSG(X3, X4, X5, X6)
	RND4(X3, ·k+64(SB))
	MSG(X4, X5, X6, X3)
	RND4(X4, ·k+80(SB))
	MSG(X5, X6, X3, X4)
	RND4(X5, ·k+96(SB))
	MSG(X6, X3, X4, X5)
	RND4(X6, ·k+112(SB))
	MSG(X3, X4, X5, X6)
	RND4(X3, ·k+128(SB))
	MSG(X4, X5, X6, X3)
	RND4(X4, ·k+144(SB))
	MSG(X5, X6, X3, X4)
	RND4(X5, ·k+160(SB))
	MSG(X6, X3, X4, X5)
	RND4(X6, ·k+176(SB))
	MSG(X3, X4, X5, X6)
	RND4(X3, ·k+192(SB))
	MSG(X4, X5, X6, X3)
	RND4(X4, ·k+208(SB))
	MSG(X5, X6, X3, X4)
	RND4(X5, ·k+224(SB))
	MSG(X6, X3, X4, X5)
	RND4(X6, ·k+240(SB))

	PADDD X7, X1
	PADDD X8, X2
	ADDQ  $64, SI
	DECQ  CX
	JNZ   block

	// Back from ABEF/CDGH to a..h.
	PSHUFD  $0x1b, X1, X1  // F E B A
	PSHUFD  $0xb1, X2, X2  // D C H G
	MOVO    X1, X13
	PBLENDW $0xf0, X2, X1  // D C B A
	PALIGNR $8, X13, X2    // H G F E
	MOVOU   X1, 0(DI)
	MOVOU   X2, 16(DI)
	RET

// PSHUFB mask reversing the bytes of each dword.
DATA bswap<>+0x00(SB)/8, $0x0405060700010203
DATA bswap<>+0x08(SB)/8, $0x0c0d0e0f08090a0b
GLOBL bswap<>(SB), RODATA|NOPTR, $16
