//go:build amd64 && !purego

#include "textflag.h"

// func padAVX512(in, out []byte)
//
// padAVX512 pads len(out)/128 quads of in into out (fr32.go, padQuad).
// in must hold at least 127·quads+1 bytes: each quad is read as 128 bytes,
// whose last belongs to the next quad and is masked out.
//
// The sixteen output limbs of a quad are out[l] = x[q]>>r | x[q+1]<<(64-r)
// over the input limbs x, with q = l, r = 0 for word 0 (limbs 0-3) and
// q = l-1, r = 64-2i for word i = 1..3 (limbs 4i..4i+3), and the top two
// bits of limbs 3, 7, 11 and 15 cleared. Output limbs 0-7 take their low
// halves from x[0..3], x[3..6] and their high halves from x[4..7] (lanes
// 0-3 are shifted out entirely, as VPSLLVQ by 64 gives zero); limbs 8-15
// take x[7..14] and x[8..15]. So every operand is an unaligned load and the
// shifts are per-lane constants.
TEXT ·padAVX512(SB), NOSPLIT, $0-48
	MOVQ      in_base+0(FP), SI
	MOVQ      out_base+24(FP), DI
	MOVQ      out_len+32(FP), CX
	SHRQ      $7, CX
	JZ        done
	VMOVDQU64 shr_lo<>(SB), Z10
	VMOVDQU64 shl_lo<>(SB), Z11
	VMOVDQU64 shr_hi<>(SB), Z12
	VMOVDQU64 shl_hi<>(SB), Z13
	VMOVDQU64 limb_mask<>(SB), Z14

loop:
	VMOVDQU64     0(SI), Z1            // x[0..7]: high halves of limbs 0-7
	VINSERTI64X4  $1, 24(SI), Z1, Z0   // x[0..3], x[3..6]: low halves
	VMOVDQU64     56(SI), Z2           // x[7..14]
	VMOVDQU64     64(SI), Z3           // x[8..15]
	VPSRLVQ       Z10, Z0, Z0
	VPSLLVQ       Z11, Z1, Z1
	VPSRLVQ       Z12, Z2, Z2
	VPSLLVQ       Z13, Z3, Z3
	VPTERNLOGQ    $0xa8, Z14, Z1, Z0   // (lo | hi) & mask
	VPTERNLOGQ    $0xa8, Z14, Z3, Z2
	VMOVDQU64     Z0, 0(DI)
	VMOVDQU64     Z2, 64(DI)
	ADDQ          $127, SI
	ADDQ          $128, DI
	DECQ          CX
	JNZ           loop
	VZEROUPPER

done:
	RET

DATA shr_lo<>+0(SB)/8, $0
DATA shr_lo<>+8(SB)/8, $0
DATA shr_lo<>+16(SB)/8, $0
DATA shr_lo<>+24(SB)/8, $0
DATA shr_lo<>+32(SB)/8, $62
DATA shr_lo<>+40(SB)/8, $62
DATA shr_lo<>+48(SB)/8, $62
DATA shr_lo<>+56(SB)/8, $62
GLOBL shr_lo<>(SB), RODATA|NOPTR, $64

DATA shl_lo<>+0(SB)/8, $64
DATA shl_lo<>+8(SB)/8, $64
DATA shl_lo<>+16(SB)/8, $64
DATA shl_lo<>+24(SB)/8, $64
DATA shl_lo<>+32(SB)/8, $2
DATA shl_lo<>+40(SB)/8, $2
DATA shl_lo<>+48(SB)/8, $2
DATA shl_lo<>+56(SB)/8, $2
GLOBL shl_lo<>(SB), RODATA|NOPTR, $64

DATA shr_hi<>+0(SB)/8, $60
DATA shr_hi<>+8(SB)/8, $60
DATA shr_hi<>+16(SB)/8, $60
DATA shr_hi<>+24(SB)/8, $60
DATA shr_hi<>+32(SB)/8, $58
DATA shr_hi<>+40(SB)/8, $58
DATA shr_hi<>+48(SB)/8, $58
DATA shr_hi<>+56(SB)/8, $58
GLOBL shr_hi<>(SB), RODATA|NOPTR, $64

DATA shl_hi<>+0(SB)/8, $4
DATA shl_hi<>+8(SB)/8, $4
DATA shl_hi<>+16(SB)/8, $4
DATA shl_hi<>+24(SB)/8, $4
DATA shl_hi<>+32(SB)/8, $6
DATA shl_hi<>+40(SB)/8, $6
DATA shl_hi<>+48(SB)/8, $6
DATA shl_hi<>+56(SB)/8, $6
GLOBL shl_hi<>(SB), RODATA|NOPTR, $64

// Keeps all bits but the top two of the last limb of each 32-byte word.
DATA limb_mask<>+0(SB)/8, $-1
DATA limb_mask<>+8(SB)/8, $-1
DATA limb_mask<>+16(SB)/8, $-1
DATA limb_mask<>+24(SB)/8, $0x3fffffffffffffff
DATA limb_mask<>+32(SB)/8, $-1
DATA limb_mask<>+40(SB)/8, $-1
DATA limb_mask<>+48(SB)/8, $-1
DATA limb_mask<>+56(SB)/8, $0x3fffffffffffffff
GLOBL limb_mask<>(SB), RODATA|NOPTR, $64
