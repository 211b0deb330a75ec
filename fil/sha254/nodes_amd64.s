//go:build amd64 && !purego

#include "textflag.h"

// nodesSHANI computes Filecoin tree nodes (sha254.go) with the x86 SHA
// extensions. Each node is SHA-256 of one 64-byte block followed by the
// constant padding block, truncated to 254 bits.
//
// SHA256RNDS2 performs two rounds and its result feeds the next one, so a
// single message is bound by the instruction's latency, not its throughput.
// The main loop therefore carries two independent nodes (streams A and B)
// through their rounds side by side. The state of each stream lives in the
// ABEF/CDGH register layout that SHA256RNDS2 expects (Intel SDM Vol. 2,
// SHA256RNDS2). The first block's initial state is the SHA-256 IV, stored
// here already in that layout; the second block's K+W words are a constant
// table, so it needs no schedule. The round constants are the Go tables k
// and kwPad of sha254.go, read with unaligned loads.
//
// Registers:
//   X0       K+W for the next two rounds (implicit operand of SHA256RNDS2)
//   X1, X2   stream A state: ABEF, CDGH
//   X3-X6    stream A message words W[4i..4i+3], rotating; after the first
//            block X3, X4 keep the intermediate state for the final addition
//   X7, X8   stream B state
//   X9-X12   stream B message words
//   X13      scratch
//   X14      byte-swap mask (message and digest words are big-endian)
//   X15      truncation mask: clears the top two bits of digest byte 31
//   SI, DI   source and destination pointers; CX nodes left

// ROUND4 runs rounds 4i..4i+3 of one stream: s0/s1 hold ABEF/CDGH, m holds
// W[4i..4i+3] and kw is the address of K[4i..4i+3]. The first SHA256RNDS2
// leaves the new ABEF in s1 while s0 (old ABEF) has become CDGH, so the
// second one swaps the roles back. K is loaded with MOVOU so that no operand
// depends on the alignment of the tables.
#define ROUND4(s0, s1, m, kw) \
	MOVOU       kw, X0     \
	PADDD       m, X0      \
	SHA256RNDS2 X0, s0, s1 \
	PSHUFD      $0x0e, X0, X0 \
	SHA256RNDS2 X0, s1, s0

// SCHED replaces m0 = W[t-16..t-13] by W[t..t+3], given m1 = W[t-12..t-9],
// m2 = W[t-8..t-5] and m3 = W[t-4..t-1] (FIPS 180-4 §6.2.2 step 1):
// SHA256MSG1 adds sigma0(W[t-15..t-12]); the PALIGNR picks W[t-7..t-4];
// SHA256MSG2 adds sigma1(W[t-2..t+1]), computing W[t], W[t+1] on the way.
#define SCHED(m0, m1, m2, m3) \
	SHA256MSG1 m1, m0   \
	MOVO       m3, X13  \
	PALIGNR    $4, m2, X13 \
	PADDD      X13, m0  \
	SHA256MSG2 m3, m0

// LOADMSG loads the 64-byte block at off(SI) as big-endian words.
#define LOADMSG(off, m0, m1, m2, m3) \
	MOVOU  off+0(SI), m0  \
	PSHUFB X14, m0        \
	MOVOU  off+16(SI), m1 \
	PSHUFB X14, m1        \
	MOVOU  off+32(SI), m2 \
	PSHUFB X14, m2        \
	MOVOU  off+48(SI), m3 \
	PSHUFB X14, m3

// PADROUND4 runs rounds 4i..4i+3 of the padding block for one stream.
#define PADROUND4(s0, s1, kw) \
	MOVOU       kw, X0     \
	SHA256RNDS2 X0, s0, s1 \
	PSHUFD      $0x0e, X0, X0 \
	SHA256RNDS2 X0, s1, s0

// PADROUND4X2 runs rounds 4i..4i+3 of the padding block for both streams,
// which share the same K+W words.
#define PADROUND4X2(kw) \
	MOVOU       kw, X0     \
	SHA256RNDS2 X0, X1, X2 \
	SHA256RNDS2 X0, X7, X8 \
	PSHUFD      $0x0e, X0, X0 \
	SHA256RNDS2 X0, X2, X1 \
	SHA256RNDS2 X0, X8, X7

// STORE converts a final ABEF/CDGH state to the digest bytes, truncates it
// to 254 bits and stores it at off(DI). From the most to the least
// significant dword: the PSHUFDs give s0 = F E B A and s1 = D C H G, the
// PBLENDW s0 = D C B A and the PALIGNR s1 = H G F E, which the PSHUFBs turn
// into the big-endian digest bytes 0-15 and 16-31.
#define STORE(s0, s1, off) \
	PSHUFD  $0x1b, s0, s0 \
	PSHUFD  $0xb1, s1, s1 \
	MOVO    s0, X13       \
	PBLENDW $0xf0, s1, s0 \
	PALIGNR $8, X13, s1   \
	PSHUFB  X14, s0       \
	PSHUFB  X14, s1       \
	PAND    X15, s1       \
	MOVOU   s0, off+0(DI) \
	MOVOU   s1, off+16(DI)

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

// func nodesSHANI(dst, src []byte)
TEXT ·nodesSHANI(SB), NOSPLIT, $0-48
	MOVQ  dst_base+0(FP), DI
	MOVQ  src_base+24(FP), SI
	MOVQ  src_len+32(FP), CX
	SHRQ  $6, CX
	MOVOU bswap_mask<>(SB), X14
	MOVOU trunc_mask<>(SB), X15

pair:
	CMPQ CX, $2
	JB   single

	// First block: the two 64-byte messages.
	LOADMSG(0, X3, X4, X5, X6)
	LOADMSG(64, X9, X10, X11, X12)
	MOVOU init_abef<>(SB), X1
	MOVOU init_cdgh<>(SB), X2
	MOVO  X1, X7
	MOVO  X2, X8
	ROUND4(X1, X2, X3, ·k+0(SB))
	ROUND4(X7, X8, X9, ·k+0(SB))
	ROUND4(X1, X2, X4, ·k+16(SB))
	ROUND4(X7, X8, X10, ·k+16(SB))
	ROUND4(X1, X2, X5, ·k+32(SB))
	ROUND4(X7, X8, X11, ·k+32(SB))
	ROUND4(X1, X2, X6, ·k+48(SB))
	ROUND4(X7, X8, X12, ·k+48(SB))
	SCHED(X3, X4, X5, X6)
	ROUND4(X1, X2, X3, ·k+64(SB))
	SCHED(X9, X10, X11, X12)
	ROUND4(X7, X8, X9, ·k+64(SB))
	SCHED(X4, X5, X6, X3)
	ROUND4(X1, X2, X4, ·k+80(SB))
	SCHED(X10, X11, X12, X9)
	ROUND4(X7, X8, X10, ·k+80(SB))
	SCHED(X5, X6, X3, X4)
	ROUND4(X1, X2, X5, ·k+96(SB))
	SCHED(X11, X12, X9, X10)
	ROUND4(X7, X8, X11, ·k+96(SB))
	SCHED(X6, X3, X4, X5)
	ROUND4(X1, X2, X6, ·k+112(SB))
	SCHED(X12, X9, X10, X11)
	ROUND4(X7, X8, X12, ·k+112(SB))
	SCHED(X3, X4, X5, X6)
	ROUND4(X1, X2, X3, ·k+128(SB))
	SCHED(X9, X10, X11, X12)
	ROUND4(X7, X8, X9, ·k+128(SB))
	SCHED(X4, X5, X6, X3)
	ROUND4(X1, X2, X4, ·k+144(SB))
	SCHED(X10, X11, X12, X9)
	ROUND4(X7, X8, X10, ·k+144(SB))
	SCHED(X5, X6, X3, X4)
	ROUND4(X1, X2, X5, ·k+160(SB))
	SCHED(X11, X12, X9, X10)
	ROUND4(X7, X8, X11, ·k+160(SB))
	SCHED(X6, X3, X4, X5)
	ROUND4(X1, X2, X6, ·k+176(SB))
	SCHED(X12, X9, X10, X11)
	ROUND4(X7, X8, X12, ·k+176(SB))
	SCHED(X3, X4, X5, X6)
	ROUND4(X1, X2, X3, ·k+192(SB))
	SCHED(X9, X10, X11, X12)
	ROUND4(X7, X8, X9, ·k+192(SB))
	SCHED(X4, X5, X6, X3)
	ROUND4(X1, X2, X4, ·k+208(SB))
	SCHED(X10, X11, X12, X9)
	ROUND4(X7, X8, X10, ·k+208(SB))
	SCHED(X5, X6, X3, X4)
	ROUND4(X1, X2, X5, ·k+224(SB))
	SCHED(X11, X12, X9, X10)
	ROUND4(X7, X8, X11, ·k+224(SB))
	SCHED(X6, X3, X4, X5)
	ROUND4(X1, X2, X6, ·k+240(SB))
	SCHED(X12, X9, X10, X11)
	ROUND4(X7, X8, X12, ·k+240(SB))

	// Add the IV, keep the intermediate states for the second block.
	MOVOU init_abef<>(SB), X13
	PADDD X13, X1
	PADDD X13, X7
	MOVOU init_cdgh<>(SB), X13
	PADDD X13, X2
	PADDD X13, X8
	MOVO  X1, X3
	MOVO  X2, X4
	MOVO  X7, X9
	MOVO  X8, X10

	// Second block: the constant padding block.
	PADROUND4X2(·kwPad+0(SB))
	PADROUND4X2(·kwPad+16(SB))
	PADROUND4X2(·kwPad+32(SB))
	PADROUND4X2(·kwPad+48(SB))
	PADROUND4X2(·kwPad+64(SB))
	PADROUND4X2(·kwPad+80(SB))
	PADROUND4X2(·kwPad+96(SB))
	PADROUND4X2(·kwPad+112(SB))
	PADROUND4X2(·kwPad+128(SB))
	PADROUND4X2(·kwPad+144(SB))
	PADROUND4X2(·kwPad+160(SB))
	PADROUND4X2(·kwPad+176(SB))
	PADROUND4X2(·kwPad+192(SB))
	PADROUND4X2(·kwPad+208(SB))
	PADROUND4X2(·kwPad+224(SB))
	PADROUND4X2(·kwPad+240(SB))
	PADDD X3, X1
	PADDD X4, X2
	PADDD X9, X7
	PADDD X10, X8

	// Both messages are in registers now, so an in-place call (DI == SI)
	// cannot overwrite input that is still to be read.
	STORE(X1, X2, 0)
	STORE(X7, X8, 32)

	ADDQ $128, SI
	ADDQ $64, DI
	SUBQ $2, CX
	JMP  pair

single:
	TESTQ CX, CX
	JZ    done

	LOADMSG(0, X3, X4, X5, X6)
	MOVOU init_abef<>(SB), X1
	MOVOU init_cdgh<>(SB), X2
	ROUND4(X1, X2, X3, ·k+0(SB))
	ROUND4(X1, X2, X4, ·k+16(SB))
	ROUND4(X1, X2, X5, ·k+32(SB))
	ROUND4(X1, X2, X6, ·k+48(SB))
	SCHED(X3, X4, X5, X6)
	ROUND4(X1, X2, X3, ·k+64(SB))
	SCHED(X4, X5, X6, X3)
	ROUND4(X1, X2, X4, ·k+80(SB))
	SCHED(X5, X6, X3, X4)
	ROUND4(X1, X2, X5, ·k+96(SB))
	SCHED(X6, X3, X4, X5)
	ROUND4(X1, X2, X6, ·k+112(SB))
	SCHED(X3, X4, X5, X6)
	ROUND4(X1, X2, X3, ·k+128(SB))
	SCHED(X4, X5, X6, X3)
	ROUND4(X1, X2, X4, ·k+144(SB))
	SCHED(X5, X6, X3, X4)
	ROUND4(X1, X2, X5, ·k+160(SB))
	SCHED(X6, X3, X4, X5)
	ROUND4(X1, X2, X6, ·k+176(SB))
	SCHED(X3, X4, X5, X6)
	ROUND4(X1, X2, X3, ·k+192(SB))
	SCHED(X4, X5, X6, X3)
	ROUND4(X1, X2, X4, ·k+208(SB))
	SCHED(X5, X6, X3, X4)
	ROUND4(X1, X2, X5, ·k+224(SB))
	SCHED(X6, X3, X4, X5)
	ROUND4(X1, X2, X6, ·k+240(SB))

	MOVOU init_abef<>(SB), X13
	PADDD X13, X1
	MOVOU init_cdgh<>(SB), X13
	PADDD X13, X2
	MOVO  X1, X3
	MOVO  X2, X4
	PADROUND4(X1, X2, ·kwPad+0(SB))
	PADROUND4(X1, X2, ·kwPad+16(SB))
	PADROUND4(X1, X2, ·kwPad+32(SB))
	PADROUND4(X1, X2, ·kwPad+48(SB))
	PADROUND4(X1, X2, ·kwPad+64(SB))
	PADROUND4(X1, X2, ·kwPad+80(SB))
	PADROUND4(X1, X2, ·kwPad+96(SB))
	PADROUND4(X1, X2, ·kwPad+112(SB))
	PADROUND4(X1, X2, ·kwPad+128(SB))
	PADROUND4(X1, X2, ·kwPad+144(SB))
	PADROUND4(X1, X2, ·kwPad+160(SB))
	PADROUND4(X1, X2, ·kwPad+176(SB))
	PADROUND4(X1, X2, ·kwPad+192(SB))
	PADROUND4(X1, X2, ·kwPad+208(SB))
	PADROUND4(X1, X2, ·kwPad+224(SB))
	PADROUND4(X1, X2, ·kwPad+240(SB))
	PADDD X3, X1
	PADDD X4, X2
	STORE(X1, X2, 0)

done:
	RET

// The SHA-256 IV (FIPS 180-4 §5.3.3) in SHA256RNDS2 layout: ABEF holds
// A, B, E, F from the most to the least significant dword, CDGH likewise.
DATA init_abef<>+0x00(SB)/4, $0x9b05688c
DATA init_abef<>+0x04(SB)/4, $0x510e527f
DATA init_abef<>+0x08(SB)/4, $0xbb67ae85
DATA init_abef<>+0x0c(SB)/4, $0x6a09e667
GLOBL init_abef<>(SB), RODATA|NOPTR, $16

DATA init_cdgh<>+0x00(SB)/4, $0x5be0cd19
DATA init_cdgh<>+0x04(SB)/4, $0x1f83d9ab
DATA init_cdgh<>+0x08(SB)/4, $0xa54ff53a
DATA init_cdgh<>+0x0c(SB)/4, $0x3c6ef372
GLOBL init_cdgh<>(SB), RODATA|NOPTR, $16

// PSHUFB mask reversing the bytes of each dword.
DATA bswap_mask<>+0x00(SB)/8, $0x0405060700010203
DATA bswap_mask<>+0x08(SB)/8, $0x0c0d0e0f08090a0b
GLOBL bswap_mask<>(SB), RODATA|NOPTR, $16

// Clears the top two bits of the last digest byte: Fr32 truncation.
DATA trunc_mask<>+0x00(SB)/8, $0xffffffffffffffff
DATA trunc_mask<>+0x08(SB)/8, $0x3fffffffffffffff
GLOBL trunc_mask<>(SB), RODATA|NOPTR, $16
