//go:build amd64 && !purego

#include "textflag.h"

// nodesAVX512 computes Filecoin tree nodes (sha254.go) sixteen at a time,
// one per 32-bit lane of the 512-bit registers: lane j of every register
// holds node j's copy of a SHA-256 variable. The SHA-256 rounds are then
// ordinary vector arithmetic (FIPS 180-4 §6.2.2), with VPRORD for the
// rotations and VPTERNLOGD for the three-input Boolean functions.
//
// On the Intel development machine one SHA256RNDS2 costs about 1.15 ns when
// issued back to back, so the SHA-NI path (nodes_amd64.s) needs 75-85 ns
// per node however it is scheduled; sixteen lanes of AVX-512 take about
// 45 ns per node, gathers and scatters included. Only whole groups of 16
// nodes are done here.
//
// The words of each input block are gathered into lanes (W[t] of node j is
// the dword at src + 64j + 4t) and the digest words scattered back (word w
// of node j to dst + 32j + 4w). The padding block has a constant schedule,
// so its rounds add a broadcast K+W constant and need no W. The constants
// are the Go tables k and kwPad of sha254.go.
//
// The round loops are rolled (16 rounds per iteration, the period of the W
// registers and a multiple of the period 8 of the variable renaming) so
// that the loop bodies stay in the decoded-instruction cache.
//
// Registers:
//   Z0-Z7    the working variables, renamed round by round (a..h)
//   Z8-Z13   scratch
//   Z14      byte-swap mask for each dword
//   Z15      gather, then scatter, dword indices
//   Z16-Z31  W[t-16..t-1] of the first block, rolling; during the padding
//            block Z16-Z23 keep the intermediate state for the final addition
//   SI, DI   source and destination; CX nodes left; R8 round constants;
//   R9       loop counter; K1 gather/scatter mask (all lanes)

// ROUND runs one round of the first block: h += Sigma1(e) + Ch(e,f,g) +
// K[t] + W[t]; d += h; h += Sigma0(a) + Maj(a,b,c). The caller renames the
// variables for the next round. k is the address of K[t].
#define ROUND(a, b, c, d, e, f, g, h, wt, k) \
	VPADDD.BCST k, wt, Z8           \
	VPADDD      Z8, h, h            \
	BODY(a, b, c, d, e, f, g, h)

// PADROUND runs one round of the padding block; k is the address of K[t]+W[t].
#define PADROUND(a, b, c, d, e, f, g, h, k) \
	VPADDD.BCST k, h, h \
	BODY(a, b, c, d, e, f, g, h)

// BODY is the part of a round after K+W has been added to h.
#define BODY(a, b, c, d, e, f, g, h) \
	VPRORD     $6, e, Z9            \
	VPRORD     $11, e, Z10          \
	VPRORD     $25, e, Z11          \
	VPTERNLOGD $0x96, Z9, Z10, Z11  \
	VMOVDQA32  e, Z12               \
	VPTERNLOGD $0xca, g, f, Z12     \
	VPADDD     Z11, h, h            \
	VPADDD     Z12, h, h            \
	VPADDD     h, d, d              \
	VPRORD     $2, a, Z9            \
	VPRORD     $13, a, Z10          \
	VPRORD     $22, a, Z11          \
	VPTERNLOGD $0x96, Z9, Z10, Z11  \
	VMOVDQA32  a, Z12               \
	VPTERNLOGD $0xe8, c, b, Z12     \
	VPADDD     Z11, h, h            \
	VPADDD     Z12, h, h

// SCHED computes W[t] into the register of W[t-16]:
// W[t] = sigma1(W[t-2]) + W[t-7] + sigma0(W[t-15]) + W[t-16].
// VPTERNLOGD 0x96 is a three-way XOR; 0xca is Ch (e ? f : g) with e the
// destination operand, 0xe8 is Maj.
#define SCHED(w16, w15, w7, w2) \
	VPRORD     $7, w15, Z9          \
	VPRORD     $18, w15, Z10        \
	VPSRLD     $3, w15, Z11         \
	VPTERNLOGD $0x96, Z9, Z10, Z11  \
	VPRORD     $17, w2, Z9          \
	VPRORD     $19, w2, Z10         \
	VPSRLD     $10, w2, Z13         \
	VPTERNLOGD $0x96, Z9, Z10, Z13  \
	VPADDD     Z11, w16, w16        \
	VPADDD     Z13, w16, w16        \
	VPADDD     w7, w16, w16

// func nodesAVX512(dst, src []byte)
TEXT ·nodesAVX512(SB), NOSPLIT, $0-48
	MOVQ            dst_base+0(FP), DI
	MOVQ            src_base+24(FP), SI
	MOVQ            src_len+32(FP), CX
	SHRQ            $6, CX
	VBROADCASTI32X4 bswap_mask<>(SB), Z14

batch:
	CMPQ CX, $16
	JB   done

	// Gather W[0..15] of the sixteen blocks and make them big-endian.
	VMOVDQU32 gather_index<>(SB), Z15
	KXNORW     K0, K0, K1
	VPGATHERDD 0(SI)(Z15*4), K1, Z16
	VPSHUFB    Z14, Z16, Z16
	KXNORW     K0, K0, K1
	VPGATHERDD 4(SI)(Z15*4), K1, Z17
	VPSHUFB    Z14, Z17, Z17
	KXNORW     K0, K0, K1
	VPGATHERDD 8(SI)(Z15*4), K1, Z18
	VPSHUFB    Z14, Z18, Z18
	KXNORW     K0, K0, K1
	VPGATHERDD 12(SI)(Z15*4), K1, Z19
	VPSHUFB    Z14, Z19, Z19
	KXNORW     K0, K0, K1
	VPGATHERDD 16(SI)(Z15*4), K1, Z20
	VPSHUFB    Z14, Z20, Z20
	KXNORW     K0, K0, K1
	VPGATHERDD 20(SI)(Z15*4), K1, Z21
	VPSHUFB    Z14, Z21, Z21
	KXNORW     K0, K0, K1
	VPGATHERDD 24(SI)(Z15*4), K1, Z22
	VPSHUFB    Z14, Z22, Z22
	KXNORW     K0, K0, K1
	VPGATHERDD 28(SI)(Z15*4), K1, Z23
	VPSHUFB    Z14, Z23, Z23
	KXNORW     K0, K0, K1
	VPGATHERDD 32(SI)(Z15*4), K1, Z24
	VPSHUFB    Z14, Z24, Z24
	KXNORW     K0, K0, K1
	VPGATHERDD 36(SI)(Z15*4), K1, Z25
	VPSHUFB    Z14, Z25, Z25
	KXNORW     K0, K0, K1
	VPGATHERDD 40(SI)(Z15*4), K1, Z26
	VPSHUFB    Z14, Z26, Z26
	KXNORW     K0, K0, K1
	VPGATHERDD 44(SI)(Z15*4), K1, Z27
	VPSHUFB    Z14, Z27, Z27
	KXNORW     K0, K0, K1
	VPGATHERDD 48(SI)(Z15*4), K1, Z28
	VPSHUFB    Z14, Z28, Z28
	KXNORW     K0, K0, K1
	VPGATHERDD 52(SI)(Z15*4), K1, Z29
	VPSHUFB    Z14, Z29, Z29
	KXNORW     K0, K0, K1
	VPGATHERDD 56(SI)(Z15*4), K1, Z30
	VPSHUFB    Z14, Z30, Z30
	KXNORW     K0, K0, K1
	VPGATHERDD 60(SI)(Z15*4), K1, Z31
	VPSHUFB    Z14, Z31, Z31

	// The SHA-256 IV in every lane.
	VPBROADCASTD iv<>+0(SB), Z0
	VPBROADCASTD iv<>+4(SB), Z1
	VPBROADCASTD iv<>+8(SB), Z2
	VPBROADCASTD iv<>+12(SB), Z3
	VPBROADCASTD iv<>+16(SB), Z4
	VPBROADCASTD iv<>+20(SB), Z5
	VPBROADCASTD iv<>+24(SB), Z6
	VPBROADCASTD iv<>+28(SB), Z7

	// Rounds 0-15 use the message words as they are.
	LEAQ ·k(SB), R8
	ROUND(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z16, 0(R8))
	ROUND(Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z17, 4(R8))
	ROUND(Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z18, 8(R8))
	ROUND(Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z19, 12(R8))
	ROUND(Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z20, 16(R8))
	ROUND(Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z21, 20(R8))
	ROUND(Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z22, 24(R8))
	ROUND(Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z23, 28(R8))
	ROUND(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z24, 32(R8))
	ROUND(Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z25, 36(R8))
	ROUND(Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z26, 40(R8))
	ROUND(Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z27, 44(R8))
	ROUND(Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z28, 48(R8))
	ROUND(Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z29, 52(R8))
	ROUND(Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z30, 56(R8))
	ROUND(Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z31, 60(R8))
	ADDQ $64, R8

	// Rounds 16-63, sixteen per iteration, expanding the schedule as they go.
	MOVQ $3, R9

schedule:
	SCHED(Z16, Z17, Z25, Z30)
	ROUND(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z16, 0(R8))
	SCHED(Z17, Z18, Z26, Z31)
	ROUND(Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z17, 4(R8))
	SCHED(Z18, Z19, Z27, Z16)
	ROUND(Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z18, 8(R8))
	SCHED(Z19, Z20, Z28, Z17)
	ROUND(Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z19, 12(R8))
	SCHED(Z20, Z21, Z29, Z18)
	ROUND(Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z20, 16(R8))
	SCHED(Z21, Z22, Z30, Z19)
	ROUND(Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z21, 20(R8))
	SCHED(Z22, Z23, Z31, Z20)
	ROUND(Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z22, 24(R8))
	SCHED(Z23, Z24, Z16, Z21)
	ROUND(Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z23, 28(R8))
	SCHED(Z24, Z25, Z17, Z22)
	ROUND(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z24, 32(R8))
	SCHED(Z25, Z26, Z18, Z23)
	ROUND(Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z25, 36(R8))
	SCHED(Z26, Z27, Z19, Z24)
	ROUND(Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z26, 40(R8))
	SCHED(Z27, Z28, Z20, Z25)
	ROUND(Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z27, 44(R8))
	SCHED(Z28, Z29, Z21, Z26)
	ROUND(Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z28, 48(R8))
	SCHED(Z29, Z30, Z22, Z27)
	ROUND(Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z29, 52(R8))
	SCHED(Z30, Z31, Z23, Z28)
	ROUND(Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z30, 56(R8))
	SCHED(Z31, Z16, Z24, Z29)
	ROUND(Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z31, 60(R8))
	ADDQ $64, R8
	DECQ R9
	JNZ  schedule

	// End of the first block: add the IV, keep the state for the second.
	VPADDD.BCST iv<>+0(SB), Z0, Z0
	VPADDD.BCST iv<>+4(SB), Z1, Z1
	VPADDD.BCST iv<>+8(SB), Z2, Z2
	VPADDD.BCST iv<>+12(SB), Z3, Z3
	VPADDD.BCST iv<>+16(SB), Z4, Z4
	VPADDD.BCST iv<>+20(SB), Z5, Z5
	VPADDD.BCST iv<>+24(SB), Z6, Z6
	VPADDD.BCST iv<>+28(SB), Z7, Z7
	VMOVDQA32   Z0, Z16
	VMOVDQA32   Z1, Z17
	VMOVDQA32   Z2, Z18
	VMOVDQA32   Z3, Z19
	VMOVDQA32   Z4, Z20
	VMOVDQA32   Z5, Z21
	VMOVDQA32   Z6, Z22
	VMOVDQA32   Z7, Z23

	// The padding block: rounds 0-63 with constant K+W.
	LEAQ ·kwPad(SB), R8
	MOVQ $4, R9

padding:
	PADROUND(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, 0(R8))
	PADROUND(Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z6, 4(R8))
	PADROUND(Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z5, 8(R8))
	PADROUND(Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z4, 12(R8))
	PADROUND(Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z3, 16(R8))
	PADROUND(Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z2, 20(R8))
	PADROUND(Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z1, 24(R8))
	PADROUND(Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z0, 28(R8))
	PADROUND(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, 32(R8))
	PADROUND(Z7, Z0, Z1, Z2, Z3, Z4, Z5, Z6, 36(R8))
	PADROUND(Z6, Z7, Z0, Z1, Z2, Z3, Z4, Z5, 40(R8))
	PADROUND(Z5, Z6, Z7, Z0, Z1, Z2, Z3, Z4, 44(R8))
	PADROUND(Z4, Z5, Z6, Z7, Z0, Z1, Z2, Z3, 48(R8))
	PADROUND(Z3, Z4, Z5, Z6, Z7, Z0, Z1, Z2, 52(R8))
	PADROUND(Z2, Z3, Z4, Z5, Z6, Z7, Z0, Z1, 56(R8))
	PADROUND(Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z0, 60(R8))
	ADDQ $64, R8
	DECQ R9
	JNZ  padding

	VPADDD Z16, Z0, Z0
	VPADDD Z17, Z1, Z1
	VPADDD Z18, Z2, Z2
	VPADDD Z19, Z3, Z3
	VPADDD Z20, Z4, Z4
	VPADDD Z21, Z5, Z5
	VPADDD Z22, Z6, Z6
	VPADDD Z23, Z7, Z7

	// Truncate to 254 bits: digest byte 31 is the low byte of h.
	VPANDD.BCST trunc_word<>(SB), Z7, Z7

	// Scatter the big-endian digest words: word w of node j to 32j+4w.
	// All blocks were loaded before the first store, so dst may be src.
	VMOVDQU32 scatter_index<>(SB), Z15
	VPSHUFB     Z14, Z0, Z0
	KXNORW      K0, K0, K1
	VPSCATTERDD Z0, K1, 0(DI)(Z15*4)
	VPSHUFB     Z14, Z1, Z1
	KXNORW      K0, K0, K1
	VPSCATTERDD Z1, K1, 4(DI)(Z15*4)
	VPSHUFB     Z14, Z2, Z2
	KXNORW      K0, K0, K1
	VPSCATTERDD Z2, K1, 8(DI)(Z15*4)
	VPSHUFB     Z14, Z3, Z3
	KXNORW      K0, K0, K1
	VPSCATTERDD Z3, K1, 12(DI)(Z15*4)
	VPSHUFB     Z14, Z4, Z4
	KXNORW      K0, K0, K1
	VPSCATTERDD Z4, K1, 16(DI)(Z15*4)
	VPSHUFB     Z14, Z5, Z5
	KXNORW      K0, K0, K1
	VPSCATTERDD Z5, K1, 20(DI)(Z15*4)
	VPSHUFB     Z14, Z6, Z6
	KXNORW      K0, K0, K1
	VPSCATTERDD Z6, K1, 24(DI)(Z15*4)
	VPSHUFB     Z14, Z7, Z7
	KXNORW      K0, K0, K1
	VPSCATTERDD Z7, K1, 28(DI)(Z15*4)

	ADDQ $1024, SI
	ADDQ $512, DI
	SUBQ $16, CX
	JMP  batch

done:
	VZEROUPPER
	RET

// Dword indices of W[0] of sixteen consecutive 64-byte blocks, and of word 0
// of sixteen consecutive 32-byte digests (scale 4).
DATA gather_index<>+0(SB)/4, $0
DATA gather_index<>+4(SB)/4, $16
DATA gather_index<>+8(SB)/4, $32
DATA gather_index<>+12(SB)/4, $48
DATA gather_index<>+16(SB)/4, $64
DATA gather_index<>+20(SB)/4, $80
DATA gather_index<>+24(SB)/4, $96
DATA gather_index<>+28(SB)/4, $112
DATA gather_index<>+32(SB)/4, $128
DATA gather_index<>+36(SB)/4, $144
DATA gather_index<>+40(SB)/4, $160
DATA gather_index<>+44(SB)/4, $176
DATA gather_index<>+48(SB)/4, $192
DATA gather_index<>+52(SB)/4, $208
DATA gather_index<>+56(SB)/4, $224
DATA gather_index<>+60(SB)/4, $240
GLOBL gather_index<>(SB), RODATA|NOPTR, $64

DATA scatter_index<>+0(SB)/4, $0
DATA scatter_index<>+4(SB)/4, $8
DATA scatter_index<>+8(SB)/4, $16
DATA scatter_index<>+12(SB)/4, $24
DATA scatter_index<>+16(SB)/4, $32
DATA scatter_index<>+20(SB)/4, $40
DATA scatter_index<>+24(SB)/4, $48
DATA scatter_index<>+28(SB)/4, $56
DATA scatter_index<>+32(SB)/4, $64
DATA scatter_index<>+36(SB)/4, $72
DATA scatter_index<>+40(SB)/4, $80
DATA scatter_index<>+44(SB)/4, $88
DATA scatter_index<>+48(SB)/4, $96
DATA scatter_index<>+52(SB)/4, $104
DATA scatter_index<>+56(SB)/4, $112
DATA scatter_index<>+60(SB)/4, $120
GLOBL scatter_index<>(SB), RODATA|NOPTR, $64

// The SHA-256 IV, A to H (FIPS 180-4 §5.3.3).
DATA iv<>+0(SB)/4, $0x6a09e667
DATA iv<>+4(SB)/4, $0xbb67ae85
DATA iv<>+8(SB)/4, $0x3c6ef372
DATA iv<>+12(SB)/4, $0xa54ff53a
DATA iv<>+16(SB)/4, $0x510e527f
DATA iv<>+20(SB)/4, $0x9b05688c
DATA iv<>+24(SB)/4, $0x1f83d9ab
DATA iv<>+28(SB)/4, $0x5be0cd19
GLOBL iv<>(SB), RODATA|NOPTR, $32

// PSHUFB mask reversing the bytes of each dword (one 128-bit lane).
DATA bswap_mask<>+0x00(SB)/8, $0x0405060700010203
DATA bswap_mask<>+0x08(SB)/8, $0x0c0d0e0f08090a0b
GLOBL bswap_mask<>(SB), RODATA|NOPTR, $16

// Clears the top two bits of the low byte of H: Fr32 truncation.
DATA trunc_word<>+0(SB)/4, $0xffffff3f
GLOBL trunc_word<>(SB), RODATA|NOPTR, $4
