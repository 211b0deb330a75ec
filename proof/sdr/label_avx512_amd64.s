//go:build amd64 && !purego

#include "textflag.h"

#define LABELS ·labelsAVX512
#define LABELS2 ·labels2AVX512

// MSG is the message schedule step of label_shani_amd64.s with
// sigma0(W[t-15..t-12]) = ROTR7 ^ ROTR18 ^ SHR3 computed by AVX-512 VL in
// X16-X18 (which legacy SSE cannot name, so no register is taken from the
// kernel) instead of by SHA256MSG1, which shares the SHA unit with
// SHA256RNDS2. The sum is the one SHA256MSG1 returns.
#define MSG(m0, m1, m2, m3) \
	VPALIGNR   $4, m0, m1, X16    \
	VPRORD     $7, X16, X17       \
	VPRORD     $18, X16, X18      \
	VPSRLD     $3, X16, X16       \
	VPTERNLOGD $0x96, X17, X18, X16 \
	VPALIGNR   $4, m2, m3, X17    \
	VPADDD     X16, m0, m0        \
	VPADDD     X17, m0, m0        \
	SHA256MSG2 m3, m0

#include "label_amd64.h"
