//go:build amd64 && !purego

#include "textflag.h"

#define LABELS ·labelsSHANI
#define LABELS2 ·labels2SHANI

// MSG replaces m0 = W[t-16..t-13] by W[t..t+3] given m1 = W[t-12..t-9],
// m2 = W[t-8..t-5] and m3 = W[t-4..t-1] (FIPS 180-4 §6.2.2 step 1):
// SHA256MSG1 adds sigma0(W[t-15..t-12]), PALIGNR extracts W[t-7..t-4] and
// SHA256MSG2 adds sigma1 of W[t-2], W[t-1] and of the words it computes.
#define MSG(m0, m1, m2, m3) \
	SHA256MSG1 m1, m0      \
	MOVO       m3, X10     \
	PALIGNR    $4, m2, X10 \
	PADDD      X10, m0     \
	SHA256MSG2 m3, m0

#include "label_amd64.h"
