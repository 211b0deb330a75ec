// label_amd64.h is the body of the SHA-NI label kernels, included by
// label_shani_amd64.s and label_avx512_amd64.s. Those define LABELS and
// LABELS2 (the function names) and MSG (the message schedule step), and
// differ only in MSG: SHA256MSG1 is slow on recent Intel cores (about six
// cycles of the unit SHA256RNDS2 needs, measured on the development
// machine), so where AVX-512 VL exists sigma0 is computed with vector
// rotates instead.

// LABELS computes the labels of a run of nodes of one layer with the
// x86 SHA extensions (sdr-spec.md §3). A label is SHA-256 of 1,248 bytes:
// a 64-byte header block (replica_id, layer u32 BE, node u64 BE, zeros) and
// 37 parent labels. The parent labels are read in place from the layer
// buffers, never copied into a message.
//
// The 37 labels are a few distinct 64-byte blocks repeated (§3):
//   layer 1:  P = 6 base parents, D = 3 blocks; message D0-D2 six times,
//             then P0 and the padding: 1 + 18 + 1 blocks.
//   layer 2+: P = 6 base then 8 expander parents, D = 7 blocks; message
//             D0-D6, D0-D6, D0-D3, then P8 and the padding: 1 + 18 + 1.
// The message schedule (and K+W) of a block depends only on its words, so
// the first pass over D0..D(D-1) stores K+W on the stack and every repeat
// runs the rounds straight from it: a repeated block costs its 32
// SHA256RNDS2 and no schedule instructions.
//
// The compressions of a label form one chain of SHA256RNDS2, each needing
// the previous one's result, and block D0 holds the previous node's label
// (v1.1 puts the predecessor first), so consecutive labels chain too. A
// label therefore costs the latency of that chain (BenchmarkLabelKernel).
// Two things keep it at 19 compressions and fed. The next node's header
// block, which depends on no label, is computed during this node: its K+W
// first, its rounds interleaved with the first repeated block, in the SHA
// unit's idle cycles. And the next node's parent labels are prefetched a
// whole label ahead, since expander parents (and far base parents) are
// cache misses in large layers.
//
// Registers:
//   X0        K+W for the next two rounds (implicit operand of SHA256RNDS2)
//   X1, X2    state ABEF, CDGH
//   X3-X6     message words W[4i..4i+3]
//   X7, X8    state at the start of the block (feed-forward)
//   X9        PSHUFB mask: big-endian message words to dwords
//   X10       scratch (MSG; the AVX-512 MSG also uses X16-X18)
//   X11, X12  replica_id as message words W0-W3, W4-W7 of the header
//   X14       mask clearing the top two bits of digest byte 31
//   DI        current layer; SI previous layer; BX parents of node R8
//   R8        node; R9 nodes left; R10 layer; R11, R12 scratch pointers
//   R13       K+W destination or source
//   X13, X15  state of the next node's header block
//   0(SP)     K+W of the distinct blocks, 256 bytes each (7 at most)
//   1792(SP)  addresses of the 14 parent labels of the node
//   1904(SP)  K+W of the next node's header block

#define KW      0
#define ADDRS   1792
#define HKW     1904

// RND4 runs rounds 4i..4i+3 with W[4i..4i+3] in m and K[4i..] at kconst+k.
#define RND4(m, k) \
	MOVOU       kconst<>+k(SB), X0 \
	PADDD       m, X0              \
	SHA256RNDS2 X0, X1, X2         \
	PSHUFD      $0x0e, X0, X0      \
	SHA256RNDS2 X0, X2, X1

// RND4S is RND4 that also stores K+W at k(R13) for the repeats.
#define RND4S(m, k) \
	MOVOU       kconst<>+k(SB), X0 \
	PADDD       m, X0              \
	MOVOU       X0, k(R13)         \
	SHA256RNDS2 X0, X1, X2         \
	PSHUFD      $0x0e, X0, X0      \
	SHA256RNDS2 X0, X2, X1

// RND4KW runs rounds 4i..4i+3 from the K+W stored at k(R13).
#define RND4KW(k) \
	MOVOU       k(R13), X0    \
	SHA256RNDS2 X0, X1, X2    \
	PSHUFD      $0x0e, X0, X0 \
	SHA256RNDS2 X0, X2, X1

// BLOCK compresses the block whose words are in X3-X6, rounds by R.
#define BLOCK(R) \
	R(X3, 0)           \
	R(X4, 16)          \
	R(X5, 32)          \
	R(X6, 48)          \
	MSG(X3, X4, X5, X6) \
	R(X3, 64)          \
	MSG(X4, X5, X6, X3) \
	R(X4, 80)          \
	MSG(X5, X6, X3, X4) \
	R(X5, 96)          \
	MSG(X6, X3, X4, X5) \
	R(X6, 112)         \
	MSG(X3, X4, X5, X6) \
	R(X3, 128)         \
	MSG(X4, X5, X6, X3) \
	R(X4, 144)         \
	MSG(X5, X6, X3, X4) \
	R(X5, 160)         \
	MSG(X6, X3, X4, X5) \
	R(X6, 176)         \
	MSG(X3, X4, X5, X6) \
	R(X3, 192)         \
	MSG(X4, X5, X6, X3) \
	R(X4, 208)         \
	MSG(X5, X6, X3, X4) \
	R(X5, 224)         \
	MSG(X6, X3, X4, X5) \
	R(X6, 240)

// LOADLABEL loads the label at address r as message words into lo, hi.
#define LOADLABEL(r, lo, hi) \
	MOVOU  0(r), lo  \
	PSHUFB X9, lo    \
	MOVOU  16(r), hi \
	PSHUFB X9, hi

// HEADERMSG sets X3-X6 to the words of the header block of node n (a
// register, clobbered): W0-W7 replica_id, W8 the layer, W9-W10 the node as
// u64 BE, W11-W15 zero (§3).
#define HEADERMSG(n) \
	MOVO   X11, X3   \
	MOVO   X12, X4   \
	MOVL   n, DX     \
	SHRQ   $32, n    \
	SHLQ   $32, n    \
	ORQ    R10, n    \
	MOVQ   n, X5     \
	PINSRQ $1, DX, X5 \
	PXOR   X6, X6

// HDRKW stores K+W of the next node's header block at HKW.
#define HDRKW(m, k) \
	MOVOU kconst<>+k(SB), X0 \
	PADDD m, X0              \
	MOVOU X0, HKW+k(SP)

// RND4KW2 is RND4KW for this node's chain (X1, X2) followed by the same
// rounds of the next node's header block (X13, X15) from HKW.
#define RND4KW2(k) \
	MOVOU       k(R13), X0      \
	SHA256RNDS2 X0, X1, X2      \
	PSHUFD      $0x0e, X0, X0   \
	SHA256RNDS2 X0, X2, X1      \
	MOVOU       HKW+k(SP), X0   \
	SHA256RNDS2 X0, X13, X15    \
	PSHUFD      $0x0e, X0, X0   \
	SHA256RNDS2 X0, X15, X13

// ADDR stores the address of the label of parent j of this node, in the
// layer at base, at ADDRS+8j.
#define ADDR(j, base) \
	MOVL 4*j(BX), AX   \
	SHLQ $5, AX        \
	ADDQ base, AX      \
	MOVQ AX, ADDRS+8*j(SP)

// PREF prefetches parent label j-14 of the next node, in the layer at base.
#define PREF(j, base) \
	MOVL       4*j(BX), AX \
	SHLQ       $5, AX      \
	PREFETCHT0 (base)(AX*1)

// func LABELS(cur, prev *byte, parents *uint32, first, count uint64, replica *[32]byte, layer uint32)
TEXT LABELS(SB), 0, $2176-52
	MOVQ   cur+0(FP), DI
	MOVQ   prev+8(FP), SI
	MOVQ   parents+16(FP), BX
	MOVQ   first+24(FP), R8
	MOVQ   count+32(FP), R9
	MOVQ   replica+40(FP), AX
	MOVL   layer+48(FP), R10
	TESTQ  R9, R9
	JZ     done
	MOVOU  bswap<>(SB), X9
	MOVOU  trunc<>(SB), X14
	MOVOU  0(AX), X11
	PSHUFB X9, X11
	MOVOU  16(AX), X12
	PSHUFB X9, X12

	// Header state of the first node; later ones are computed during
	// the previous node (see below).
	MOVOU iv_abef<>(SB), X1
	MOVOU iv_cdgh<>(SB), X2
	MOVQ  R8, AX
	HEADERMSG(AX)
	BLOCK(RND4)
	MOVOU iv_abef<>(SB), X10
	PADDD X10, X1
	MOVO  X1, X13
	MOVOU iv_cdgh<>(SB), X10
	PADDD X10, X2
	MOVO  X2, X15

node:
	// X13, X15 hold the state after this node's header block.
	MOVO X13, X1
	MOVO X15, X2

	// Parent label addresses: base parents in the current layer, then
	// (from layer 2 on) expander parents in the previous one.
	ADDR(0, DI)
	ADDR(1, DI)
	ADDR(2, DI)
	ADDR(3, DI)
	ADDR(4, DI)
	ADDR(5, DI)
	CMPL R10, $1
	JEQ  prefetch
	ADDR(6, SI)
	ADDR(7, SI)
	ADDR(8, SI)
	ADDR(9, SI)
	ADDR(10, SI)
	ADDR(11, SI)
	ADDR(12, SI)
	ADDR(13, SI)

prefetch:
	// Start loading the next node's parent labels, a whole label chain
	// (about a microsecond) before they are needed: expander parents are
	// anywhere in the previous layer, far base parents anywhere before
	// the node, and each would otherwise be a cache miss on the chain.
	CMPQ R9, $1
	JEQ  nextheader
	PREF(14, DI)
	PREF(15, DI)
	PREF(16, DI)
	PREF(17, DI)
	PREF(18, DI)
	PREF(19, DI)
	CMPL R10, $1
	JEQ  nextheader
	PREF(20, SI)
	PREF(21, SI)
	PREF(22, SI)
	PREF(23, SI)
	PREF(24, SI)
	PREF(25, SI)
	PREF(26, SI)
	PREF(27, SI)

nextheader:
	// K+W of the next node's header block. Its rounds run interleaved
	// with this node's first repeated block, in the idle cycles of the
	// SHA unit while the label chain waits on SHA256RNDS2 latency.
	LEAQ 1(R8), AX
	HEADERMSG(AX)
	BLOCK(HDRKW)

	// First pass over the distinct blocks, keeping their K+W.
	LEAQ KW(SP), R13
	LEAQ ADDRS(SP), R12
	MOVQ $3, CX
	CMPL R10, $1
	JEQ  distinct
	MOVQ $7, CX

distinct:
	MOVO  X1, X7
	MOVO  X2, X8
	MOVQ  0(R12), R11
	LOADLABEL(R11, X3, X4)
	MOVQ  8(R12), R11
	LOADLABEL(R11, X5, X6)
	BLOCK(RND4S)
	PADDD X7, X1
	PADDD X8, X2
	ADDQ  $16, R12
	ADDQ  $256, R13
	DECQ  CX
	JNZ   distinct

	// The repeats, from the stored K+W: layer 1 runs D0-D2 five more
	// times (15 blocks), later layers D0-D6 then D0-D3 (11 blocks). The
	// first one carries the next node's header rounds along.
	LEAQ  KW(SP), R13
	MOVO  X1, X7
	MOVO  X2, X8
	MOVOU iv_abef<>(SB), X13
	MOVOU iv_cdgh<>(SB), X15
	RND4KW2(0)
	RND4KW2(16)
	RND4KW2(32)
	RND4KW2(48)
	RND4KW2(64)
	RND4KW2(80)
	RND4KW2(96)
	RND4KW2(112)
	RND4KW2(128)
	RND4KW2(144)
	RND4KW2(160)
	RND4KW2(176)
	RND4KW2(192)
	RND4KW2(208)
	RND4KW2(224)
	RND4KW2(240)
	PADDD X7, X1
	PADDD X8, X2
	MOVOU iv_abef<>(SB), X10
	PADDD X10, X13
	MOVOU iv_cdgh<>(SB), X10
	PADDD X10, X15
	ADDQ  $256, R13

	// R12 marks the end of the distinct blocks, where R13 wraps.
	LEAQ KW(SP), R12
	MOVQ $14, CX
	ADDQ $768, R12
	CMPL R10, $1
	JEQ  repeat
	MOVQ $10, CX
	ADDQ $1024, R12

repeat:
	CMPQ R13, R12
	JNE  repeatblock
	LEAQ KW(SP), R13

repeatblock:
	MOVO  X1, X7
	MOVO  X2, X8
	RND4KW(0)
	RND4KW(16)
	RND4KW(32)
	RND4KW(48)
	RND4KW(64)
	RND4KW(80)
	RND4KW(96)
	RND4KW(112)
	RND4KW(128)
	RND4KW(144)
	RND4KW(160)
	RND4KW(176)
	RND4KW(192)
	RND4KW(208)
	RND4KW(224)
	RND4KW(240)
	PADDD X7, X1
	PADDD X8, X2
	ADDQ  $256, R13
	DECQ  CX
	JNZ   repeat

	// Last block: the 37th parent (P0 in layer 1, P8 after), 0x80, zeros
	// and the message length, 1,248 bytes = 9,984 bits.
	MOVQ ADDRS+0(SP), R11
	CMPL R10, $1
	JEQ  last
	MOVQ ADDRS+64(SP), R11

last:
	MOVO  X1, X7
	MOVO  X2, X8
	LOADLABEL(R11, X3, X4)
	MOVOU pad0<>(SB), X5
	MOVOU pad1<>(SB), X6
	BLOCK(RND4)
	PADDD X7, X1
	PADDD X8, X2

	// ABEF/CDGH back to the digest bytes, truncated to a field element,
	// stored as the label of node R8.
	PSHUFD  $0x1b, X1, X1 // F E B A
	PSHUFD  $0xb1, X2, X2 // D C H G
	MOVO    X1, X10
	PBLENDW $0xf0, X2, X1 // D C B A
	PALIGNR $8, X10, X2   // H G F E
	PSHUFB  X9, X1
	PSHUFB  X9, X2
	PAND    X14, X2
	MOVQ    R8, AX
	SHLQ    $5, AX
	MOVOU   X1, 0(DI)(AX*1)
	MOVOU   X2, 16(DI)(AX*1)

	INCQ R8
	ADDQ $56, BX
	DECQ R9
	JNZ  node

done:
	RET

// LABELS2 is LABELS for two sectors of the same graph at once, A and B:
// same parents, same layer, their own replica_id and layer buffers. One
// label chain is bound by SHA256RNDS2 latency and leaves the SHA unit idle
// part of the time; two independent chains, interleaved block by block
// (the out-of-order window holds several blocks of each), keep it busy, so
// a pair of labels costs much less than two single ones.
//
// The macros are those of LABELS with the B sector's state in other
// registers. The next node's header is not computed ahead here: with two
// chains the SHA unit's throughput, not the latency, is the limit.
//
// Registers:
//   X0        K+W for the next two rounds
//   X1, X2    A: state ABEF, CDGH;  X7, X8 A: state at the block start
//   X11, X12  B: state ABEF, CDGH;  X14, X15 B: state at the block start
//   X3-X6     message words W[4i..4i+3]
//   X9        PSHUFB mask: big-endian message words to dwords
//   X10, X13  scratch
//   DI, SI    A: current and previous layer; R11, R12 the same for B
//   BX        parents of node R8; R9 nodes left; R10 layer
//   R13       K+W destination or source (A; B at +1792)
//
// Stack:
//   0(SP)     A: K+W of the distinct blocks, 256 bytes each (7 at most)
//   1792(SP)  B: the same
//   3584(SP)  A: addresses of the 14 parent labels
//   3696(SP)  B: the same
//   3808(SP)  replica_id of A then B as message words (64 bytes)
//   3872(SP)  end of the distinct K+W of A, where R13 wraps

#define KWB     1792
#define ADDRSA  3584
#define ADDRSB  3696
#define REPL    3808
#define KWEND   3872

// RND4_B, RND4S_B: RND4 and RND4S for the B state; RND4KW_AB: RND4KW for
// both (B's K+W at KWB past A's).
#define RND4_B(m, k) \
	MOVOU       kconst<>+k(SB), X0 \
	PADDD       m, X0               \
	SHA256RNDS2 X0, X11, X12        \
	PSHUFD      $0x0e, X0, X0       \
	SHA256RNDS2 X0, X12, X11

#define RND4S_B(m, k) \
	MOVOU       kconst<>+k(SB), X0 \
	PADDD       m, X0               \
	MOVOU       X0, KWB+k(R13)      \
	SHA256RNDS2 X0, X11, X12        \
	PSHUFD      $0x0e, X0, X0       \
	SHA256RNDS2 X0, X12, X11

#define RND4KW_AB(k) \
	MOVOU       k(R13), X0     \
	SHA256RNDS2 X0, X1, X2     \
	PSHUFD      $0x0e, X0, X0  \
	SHA256RNDS2 X0, X2, X1     \
	MOVOU       KWB+k(R13), X0 \
	SHA256RNDS2 X0, X11, X12   \
	PSHUFD      $0x0e, X0, X0  \
	SHA256RNDS2 X0, X12, X11

// LOAD2 loads the two labels at the addresses stored at off(SP)(AX*1) and
// 8+off(SP)(AX*1) as message words X3-X6.
#define LOAD2(off) \
	MOVQ   off(SP)(AX*1), DX   \
	MOVOU  0(DX), X3           \
	PSHUFB X9, X3              \
	MOVOU  16(DX), X4          \
	PSHUFB X9, X4              \
	MOVQ   off+8(SP)(AX*1), DX \
	MOVOU  0(DX), X5           \
	PSHUFB X9, X5              \
	MOVOU  16(DX), X6          \
	PSHUFB X9, X6

// HEADER2 sets X3-X6 to the header block words of node R8 for the replica
// words at off(SP) (see HEADERMSG).
#define HEADER2(off) \
	MOVOU  off(SP), X3    \
	MOVOU  off+16(SP), X4 \
	MOVQ   R8, AX         \
	MOVL   R8, DX         \
	SHRQ   $32, AX        \
	SHLQ   $32, AX        \
	ORQ    R10, AX        \
	MOVQ   AX, X5         \
	PINSRQ $1, DX, X5     \
	PXOR   X6, X6

// ADDR2 stores the addresses of parent j's label in A's and B's layer.
#define ADDR2(j, a, b) \
	MOVL 4*j(BX), AX          \
	SHLQ $5, AX               \
	LEAQ (a)(AX*1), DX        \
	MOVQ DX, ADDRSA+8*j(SP)   \
	LEAQ (b)(AX*1), DX        \
	MOVQ DX, ADDRSB+8*j(SP)

// PREF2 prefetches parent j-14 (of the next node) in A's and B's layer.
#define PREF2(j, a, b) \
	MOVL       4*j(BX), AX \
	SHLQ       $5, AX      \
	PREFETCHT0 (a)(AX*1)   \
	PREFETCHT0 (b)(AX*1)

// OUT stores the state s0, s1 as the truncated label of node R8 in the
// layer at base (see the end of LABELS).
#define OUT(s0, s1, base) \
	PSHUFD  $0x1b, s0, s0  \
	PSHUFD  $0xb1, s1, s1  \
	MOVO    s0, X10        \
	PBLENDW $0xf0, s1, s0  \
	PALIGNR $8, X10, s1    \
	PSHUFB  X9, s0         \
	PSHUFB  X9, s1         \
	MOVOU   trunc<>(SB), X13 \
	PAND    X13, s1        \
	MOVQ    R8, AX         \
	SHLQ    $5, AX         \
	MOVOU   s0, 0(base)(AX*1)  \
	MOVOU   s1, 16(base)(AX*1)

// func LABELS2(curA, prevA, curB, prevB *byte, parents *uint32, first, count uint64, replicas *[64]byte, layer uint32)
TEXT LABELS2(SB), 0, $3880-68
	MOVQ   curA+0(FP), DI
	MOVQ   prevA+8(FP), SI
	MOVQ   curB+16(FP), R11
	MOVQ   prevB+24(FP), R12
	MOVQ   parents+32(FP), BX
	MOVQ   first+40(FP), R8
	MOVQ   count+48(FP), R9
	MOVQ   replicas+56(FP), AX
	MOVL   layer+64(FP), R10
	TESTQ  R9, R9
	JZ     done
	MOVOU  bswap<>(SB), X9
	MOVOU  0(AX), X3
	PSHUFB X9, X3
	MOVOU  X3, REPL(SP)
	MOVOU  16(AX), X3
	PSHUFB X9, X3
	MOVOU  X3, REPL+16(SP)
	MOVOU  32(AX), X3
	PSHUFB X9, X3
	MOVOU  X3, REPL+32(SP)
	MOVOU  48(AX), X3
	PSHUFB X9, X3
	MOVOU  X3, REPL+48(SP)
	LEAQ   768(SP), AX
	CMPL   R10, $1
	JEQ    setend
	LEAQ   1792(SP), AX

setend:
	MOVQ AX, KWEND(SP)

node:
	ADDR2(0, DI, R11)
	ADDR2(1, DI, R11)
	ADDR2(2, DI, R11)
	ADDR2(3, DI, R11)
	ADDR2(4, DI, R11)
	ADDR2(5, DI, R11)
	CMPL R10, $1
	JEQ  prefetch
	ADDR2(6, SI, R12)
	ADDR2(7, SI, R12)
	ADDR2(8, SI, R12)
	ADDR2(9, SI, R12)
	ADDR2(10, SI, R12)
	ADDR2(11, SI, R12)
	ADDR2(12, SI, R12)
	ADDR2(13, SI, R12)

prefetch:
	CMPQ R9, $1
	JEQ  headers
	PREF2(14, DI, R11)
	PREF2(15, DI, R11)
	PREF2(16, DI, R11)
	PREF2(17, DI, R11)
	PREF2(18, DI, R11)
	PREF2(19, DI, R11)
	CMPL R10, $1
	JEQ  headers
	PREF2(20, SI, R12)
	PREF2(21, SI, R12)
	PREF2(22, SI, R12)
	PREF2(23, SI, R12)
	PREF2(24, SI, R12)
	PREF2(25, SI, R12)
	PREF2(26, SI, R12)
	PREF2(27, SI, R12)

headers:
	MOVOU iv_abef<>(SB), X1
	MOVOU iv_cdgh<>(SB), X2
	HEADER2(REPL)
	BLOCK(RND4)
	MOVOU iv_abef<>(SB), X10
	PADDD X10, X1
	MOVOU iv_cdgh<>(SB), X10
	PADDD X10, X2
	MOVOU iv_abef<>(SB), X11
	MOVOU iv_cdgh<>(SB), X12
	HEADER2(REPL+32)
	BLOCK(RND4_B)
	MOVOU iv_abef<>(SB), X10
	PADDD X10, X11
	MOVOU iv_cdgh<>(SB), X10
	PADDD X10, X12

	// Distinct blocks, A then B, keeping their K+W.
	LEAQ 0(SP), R13
	XORQ AX, AX
	MOVQ $3, CX
	CMPL R10, $1
	JEQ  distinct
	MOVQ $7, CX

distinct:
	MOVO  X1, X7
	MOVO  X2, X8
	LOAD2(ADDRSA)
	BLOCK(RND4S)
	PADDD X7, X1
	PADDD X8, X2
	MOVO  X11, X14
	MOVO  X12, X15
	LOAD2(ADDRSB)
	BLOCK(RND4S_B)
	PADDD X14, X11
	PADDD X15, X12
	ADDQ  $16, AX
	ADDQ  $256, R13
	DECQ  CX
	JNZ   distinct

	// Repeats (15 blocks in layer 1, 11 later) for both chains.
	LEAQ 0(SP), R13
	MOVQ $15, CX
	CMPL R10, $1
	JEQ  repeat
	MOVQ $11, CX

repeat:
	MOVO X1, X7
	MOVO X2, X8
	MOVO X11, X14
	MOVO X12, X15
	RND4KW_AB(0)
	RND4KW_AB(16)
	RND4KW_AB(32)
	RND4KW_AB(48)
	RND4KW_AB(64)
	RND4KW_AB(80)
	RND4KW_AB(96)
	RND4KW_AB(112)
	RND4KW_AB(128)
	RND4KW_AB(144)
	RND4KW_AB(160)
	RND4KW_AB(176)
	RND4KW_AB(192)
	RND4KW_AB(208)
	RND4KW_AB(224)
	RND4KW_AB(240)
	PADDD X7, X1
	PADDD X8, X2
	PADDD X14, X11
	PADDD X15, X12
	ADDQ  $256, R13
	CMPQ  R13, KWEND(SP)
	JNE   nowrap
	LEAQ  0(SP), R13

nowrap:
	DECQ CX
	JNZ  repeat

	// Last blocks: the 37th parent (P0 in layer 1, P8 after) and the
	// padding.
	MOVQ ADDRSA+0(SP), AX
	MOVQ ADDRSB+0(SP), DX
	CMPL R10, $1
	JEQ  last
	MOVQ ADDRSA+64(SP), AX
	MOVQ ADDRSB+64(SP), DX

last:
	MOVO   X1, X7
	MOVO   X2, X8
	MOVOU  0(AX), X3
	PSHUFB X9, X3
	MOVOU  16(AX), X4
	PSHUFB X9, X4
	MOVOU  pad0<>(SB), X5
	MOVOU  pad1<>(SB), X6
	BLOCK(RND4)
	PADDD  X7, X1
	PADDD  X8, X2
	MOVO   X11, X14
	MOVO   X12, X15
	MOVOU  0(DX), X3
	PSHUFB X9, X3
	MOVOU  16(DX), X4
	PSHUFB X9, X4
	MOVOU  pad0<>(SB), X5
	MOVOU  pad1<>(SB), X6
	BLOCK(RND4_B)
	PADDD  X14, X11
	PADDD  X15, X12

	OUT(X1, X2, DI)
	OUT(X11, X12, R11)

	INCQ R8
	ADDQ $56, BX
	DECQ R9
	JNZ  node

done:
	RET

// The SHA-256 IV (FIPS 180-4 §5.3.3) in ABEF and CDGH layout, from the
// least significant dword: F E B A and H G D C.
DATA iv_abef<>+0x00(SB)/4, $0x9b05688c
DATA iv_abef<>+0x04(SB)/4, $0x510e527f
DATA iv_abef<>+0x08(SB)/4, $0xbb67ae85
DATA iv_abef<>+0x0c(SB)/4, $0x6a09e667
GLOBL iv_abef<>(SB), RODATA|NOPTR, $16

DATA iv_cdgh<>+0x00(SB)/4, $0x5be0cd19
DATA iv_cdgh<>+0x04(SB)/4, $0x1f83d9ab
DATA iv_cdgh<>+0x08(SB)/4, $0xa54ff53a
DATA iv_cdgh<>+0x0c(SB)/4, $0x3c6ef372
GLOBL iv_cdgh<>(SB), RODATA|NOPTR, $16

// Padding words of the last block: W8 = 0x80000000 (the 0x80 byte after
// the 32-byte label), W15 = the bit length 9,984.
DATA pad0<>+0x00(SB)/8, $0x0000000080000000
DATA pad0<>+0x08(SB)/8, $0
GLOBL pad0<>(SB), RODATA|NOPTR, $16

DATA pad1<>+0x00(SB)/8, $0
DATA pad1<>+0x08(SB)/8, $0x0000270000000000
GLOBL pad1<>(SB), RODATA|NOPTR, $16

// PSHUFB mask reversing the bytes of each dword.
DATA bswap<>+0x00(SB)/8, $0x0405060700010203
DATA bswap<>+0x08(SB)/8, $0x0c0d0e0f08090a0b
GLOBL bswap<>(SB), RODATA|NOPTR, $16

// Clears the top two bits of byte 31 (§3: labels are canonical Fr).
DATA trunc<>+0x00(SB)/8, $0xffffffffffffffff
DATA trunc<>+0x08(SB)/8, $0x3fffffffffffffff
GLOBL trunc<>(SB), RODATA|NOPTR, $16

// SHA-256 round constants K0..K63 (FIPS 180-4 §4.2.2).
DATA kconst<>+0x00(SB)/8, $0x71374491428a2f98
DATA kconst<>+0x08(SB)/8, $0xe9b5dba5b5c0fbcf
DATA kconst<>+0x10(SB)/8, $0x59f111f13956c25b
DATA kconst<>+0x18(SB)/8, $0xab1c5ed5923f82a4
DATA kconst<>+0x20(SB)/8, $0x12835b01d807aa98
DATA kconst<>+0x28(SB)/8, $0x550c7dc3243185be
DATA kconst<>+0x30(SB)/8, $0x80deb1fe72be5d74
DATA kconst<>+0x38(SB)/8, $0xc19bf1749bdc06a7
DATA kconst<>+0x40(SB)/8, $0xefbe4786e49b69c1
DATA kconst<>+0x48(SB)/8, $0x240ca1cc0fc19dc6
DATA kconst<>+0x50(SB)/8, $0x4a7484aa2de92c6f
DATA kconst<>+0x58(SB)/8, $0x76f988da5cb0a9dc
DATA kconst<>+0x60(SB)/8, $0xa831c66d983e5152
DATA kconst<>+0x68(SB)/8, $0xbf597fc7b00327c8
DATA kconst<>+0x70(SB)/8, $0xd5a79147c6e00bf3
DATA kconst<>+0x78(SB)/8, $0x1429296706ca6351
DATA kconst<>+0x80(SB)/8, $0x2e1b213827b70a85
DATA kconst<>+0x88(SB)/8, $0x53380d134d2c6dfc
DATA kconst<>+0x90(SB)/8, $0x766a0abb650a7354
DATA kconst<>+0x98(SB)/8, $0x92722c8581c2c92e
DATA kconst<>+0xa0(SB)/8, $0xa81a664ba2bfe8a1
DATA kconst<>+0xa8(SB)/8, $0xc76c51a3c24b8b70
DATA kconst<>+0xb0(SB)/8, $0xd6990624d192e819
DATA kconst<>+0xb8(SB)/8, $0x106aa070f40e3585
DATA kconst<>+0xc0(SB)/8, $0x1e376c0819a4c116
DATA kconst<>+0xc8(SB)/8, $0x34b0bcb52748774c
DATA kconst<>+0xd0(SB)/8, $0x4ed8aa4a391c0cb3
DATA kconst<>+0xd8(SB)/8, $0x682e6ff35b9cca4f
DATA kconst<>+0xe0(SB)/8, $0x78a5636f748f82ee
DATA kconst<>+0xe8(SB)/8, $0x8cc7020884c87814
DATA kconst<>+0xf0(SB)/8, $0xa4506ceb90befffa
DATA kconst<>+0xf8(SB)/8, $0xc67178f2bef9a3f7
GLOBL kconst<>(SB), RODATA|NOPTR, $256
