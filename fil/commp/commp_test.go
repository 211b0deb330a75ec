package commp

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/fil/piece"
)

// refPad is the byte-level Fr32 padding of one quad from primitives.md §2.1
// (go-fil-commp-hashhash), independent of package fr32.
func refPad(in []byte) []byte {
	out := make([]byte, 128)
	copy(out[:32], in[:32])
	out[31] &= 0x3f
	for i := 31; i <= 62; i++ {
		out[i+1] = in[i+1]<<2 | in[i]>>6
	}
	out[63] &= 0x3f
	for i := 63; i <= 94; i++ {
		out[i+1] = in[i+1]<<4 | in[i]>>4
	}
	out[95] &= 0x3f
	for i := 95; i <= 125; i++ {
		out[i+1] = in[i+1]<<6 | in[i]>>2
	}
	out[127] = in[126] >> 2
	return out
}

// reference computes CommP the plain way: zero-fill the payload to a
// multiple of 127, pad it all, append zero leaves to a power of two, hash
// layer by layer with crypto/sha256.
func reference(payload []byte) ([32]byte, uint64) {
	data := append([]byte(nil), payload...)
	for len(data)%127 != 0 {
		data = append(data, 0)
	}
	var layer []byte
	for i := 0; i < len(data); i += 127 {
		layer = append(layer, refPad(data[i:i+127])...)
	}
	size := 1 << bits.Len(uint(len(layer)-1))
	layer = append(layer, make([]byte, size-len(layer))...)
	for len(layer) > 32 {
		next := make([]byte, 0, len(layer)/2)
		for i := 0; i < len(layer); i += 64 {
			d := sha256.Sum256(layer[i : i+64])
			d[31] &= 0x3f
			next = append(next, d[:]...)
		}
		layer = next
	}
	return [32]byte(layer), uint64(size)
}

// writeRandomly writes p to h in pieces of random sizes, some tiny, some
// larger than a chunk.
func writeRandomly(t testing.TB, rng *rand.Rand, h *Hasher, p []byte) {
	t.Helper()
	for len(p) > 0 {
		var n int
		switch rng.IntN(3) {
		case 0:
			n = rng.IntN(200) + 1
		case 1:
			n = rng.IntN(4096) + 1
		default:
			n = rng.IntN(len(p)) + 1
		}
		n = min(n, len(p))
		if w, err := h.Write(p[:n]); err != nil || w != n {
			t.Fatalf("Write(%d) = %d, %v", n, w, err)
		}
		p = p[n:]
	}
}

func randomPayload(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func checkAgainstReference(t testing.TB, rng *rand.Rand, payload []byte, workers, chunkQuads int) {
	t.Helper()
	h := New(Options{Workers: workers})
	if chunkQuads > 0 {
		h.setChunkQuads(chunkQuads)
	}
	writeRandomly(t, rng, h, payload)
	got, size, err := h.Digest()
	if err != nil {
		t.Fatal(err)
	}
	want, wantSize := reference(payload)
	if got != want || uint64(size) != wantSize {
		t.Fatalf("%d bytes, %d workers, %d-quad chunks: Digest = %x (%d), reference %x (%d)",
			len(payload), workers, chunkQuads, got, size, want, wantSize)
	}
}

// TestHasher_MatchesReference compares the streaming hasher with the plain
// reference on random sizes and write boundaries, with small chunks so that
// many chunks are folded, and with the default chunk size.
func TestHasher_MatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range 60 {
		n := MinPayload + rng.IntN(40_000)
		if i < 10 {
			n = MinPayload + i*61
		}
		payload := randomPayload(rng, n)
		for _, workers := range []int{1, 2, 3} {
			for _, cq := range []int{1, 4, 32, 256} {
				checkAgainstReference(t, rng, payload, workers, cq)
			}
		}
	}
	// Default chunks: just under, at and over one and two chunks.
	chunk := defaultChunkQuads * 127
	for _, n := range []int{chunk - 1, chunk, chunk + 1, 2 * chunk, 2*chunk + 127*5 + 3, 3*chunk + 1000} {
		payload := randomPayload(rng, n)
		for _, workers := range []int{1, 2} {
			checkAgainstReference(t, rng, payload, workers, 0)
		}
	}
}

// TestHasher_ParallelEqualsSerial hashes a few MiB with 1 to 4 workers.
func TestHasher_ParallelEqualsSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	payload := randomPayload(rng, 5<<20+12345)
	var want [32]byte
	for workers := 1; workers <= 4; workers++ {
		h := New(Options{Workers: workers})
		writeRandomly(t, rng, h, payload)
		got, _, err := h.Digest()
		if err != nil {
			t.Fatal(err)
		}
		if workers == 1 {
			want = got
		} else if got != want {
			t.Fatalf("%d workers: %x, 1 worker: %x", workers, got, want)
		}
	}
}

// TestHasher_SumMidStream checks that Sum does not disturb the stream, and
// Reset starts over.
func TestHasher_SumMidStream(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	payload := randomPayload(rng, 3*defaultChunkQuads*127+999)
	h := New(Options{Workers: 2})
	for _, cut := range []int{100, 5000, defaultChunkQuads * 127, len(payload)} {
		writeRandomly(t, rng, h, payload[h.PayloadSize():cut])
		got, _, err := h.Digest()
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := reference(payload[:cut]); got != want {
			t.Fatalf("Digest after %d bytes = %x, want %x", cut, got, want)
		}
	}
	h.Reset()
	writeRandomly(t, rng, h, payload[:777])
	got, _, _ := h.Digest()
	if want, _ := reference(payload[:777]); got != want {
		t.Fatalf("after Reset: %x, want %x", got, want)
	}
}

func TestHasher_SumAndV2(t *testing.T) {
	// The FRC-0069 data D of primitives.md §2.4, plus 5 zero bytes.
	var d []byte
	for b := range 4 {
		d = append(d, bytes.Repeat([]byte{byte(b)}, 127)...)
	}
	d = append(d, make([]byte, 5)...)
	h := New(Options{})
	h.Write(d)
	c, size, err := h.Sum()
	if err != nil || c.String() != "baga6ea4seaqn42av3szurbbscwuu3zjssvfwbpsvbjf6y3tukvlgl2nf5rha6pa" || size != 1024 {
		t.Fatalf("Sum = %s, %d, %v", c, size, err)
	}
	v2, err := h.SumV2()
	if err != nil || v2.String() != "bafkzcibd64bqlxticxolgseegik2stpfgkkuwyf6kufex3doorkvmzpjuxwe4dz4" {
		t.Fatalf("SumV2 = %s, %v", v2, err)
	}
}

func TestHasher_PayloadTooSmall(t *testing.T) {
	for _, n := range []int{0, 1, 64} {
		h := New(Options{})
		h.Write(make([]byte, n))
		_, _, err := h.Sum()
		if !errors.Is(err, ErrPayloadTooSmall) || !strings.Contains(err.Error(), fmt.Sprintf("%d bytes written", n)) {
			t.Errorf("%d bytes: %v, want ErrPayloadTooSmall naming the size", n, err)
		}
	}
	h := New(Options{})
	h.Write(make([]byte, 65))
	if _, _, err := h.Sum(); err != nil {
		t.Errorf("65 bytes: %v", err)
	}
}

func TestHasher_PayloadTooLarge(t *testing.T) {
	h := New(Options{})
	h.n = MaxPayload - 10 // as if that much had been written
	if n, err := h.Write(make([]byte, 11)); !errors.Is(err, ErrPayloadTooLarge) || n != 0 {
		t.Fatalf("Write past MaxPayload = %d, %v", n, err)
	}
}

func TestZeroCommitment(t *testing.T) {
	for l := 2; l <= 12; l++ {
		want, _ := reference(make([]byte, 127<<(l-2)))
		got, err := ZeroCommitment(piece.PaddedSize(32) << l)
		if err != nil || got != want {
			t.Fatalf("level %d: %x, %v; want %x", l, got, err, want)
		}
	}
	got, err := ZeroCommitment(piece.MaxPaddedSize)
	if err != nil || got != zeroComms[piece.MaxHeight] {
		t.Fatalf("ZeroCommitment(max) = %x, %v", got, err)
	}
	for _, bad := range []piece.PaddedSize{0, 64, 100, 3 << 10} {
		if _, err := ZeroPieceCID(bad); !errors.Is(err, piece.ErrInvalidSize) {
			t.Errorf("ZeroPieceCID(%d) = %v, want ErrInvalidSize", bad, err)
		}
	}
}

func mustPieceCID(t *testing.T, payload []byte) cid.Cid {
	t.Helper()
	h := New(Options{})
	h.Write(payload)
	c, _, err := h.Sum()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestUnsealedCID_Small covers the 2 KiB sectors of primitives.md §2.6 and
// checks CommD against the CommP of the sector's padded contents.
func TestUnsealedCID_Small(t *testing.T) {
	cc := mustPieceCID(t, bytes.Repeat([]byte{0xcc}, 1016))
	zero256, _ := ZeroPieceCID(256)
	zero1k, _ := ZeroPieceCID(1024)
	for _, tc := range []struct {
		name   string
		pieces []piece.Info
		want   string
	}{
		{"cc then zero", []piece.Info{{Size: 1024, CID: cc}, {Size: 1024, CID: zero1k}}, "baga6ea4seaqa27ag6lwvif3k3y3cbb6rllxnoylsqyedu3qhwzsxexv56vwtkni"},
		{"cc alone", []piece.Info{{Size: 1024, CID: cc}}, "baga6ea4seaqa27ag6lwvif3k3y3cbb6rllxnoylsqyedu3qhwzsxexv56vwtkni"},
		{"zero 256 then cc, aligned", []piece.Info{{Size: 256, CID: zero256}, {Size: 1024, CID: cc}}, "baga6ea4seaqgqkfamedaqyy2sexhgl72dtowgobit2dpj44qvnbqzfr7qmmscji"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := UnsealedCID(2048, tc.pieces)
			if err != nil || got.String() != tc.want {
				t.Fatalf("UnsealedCID = %s, %v; want %s", got, err, tc.want)
			}
		})
	}
	empty, err := UnsealedCID(2048, nil)
	if want, _ := ZeroPieceCID(2048); err != nil || !empty.Equals(want) {
		t.Fatalf("empty sector = %s, %v; want %s", empty, err, want)
	}
}

// TestUnsealedCID_MatchesFlatTree places random pieces at aligned offsets
// in a sector buffer and compares CommD with the CommP of that buffer.
func TestUnsealedCID_MatchesFlatTree(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	const sector = 16 << 10
	for range 40 {
		data := make([]byte, sector/128*127) // unpadded sector contents
		var pieces []piece.Info
		off := 0
		for {
			size := 128 << rng.IntN(6)
			start := (off + size - 1) &^ (size - 1)
			if start+size > sector || rng.IntN(8) == 0 {
				break
			}
			payload := randomPayload(rng, size/128*127)
			copy(data[start/128*127:], payload)
			pieces = append(pieces, piece.Info{Size: piece.PaddedSize(size), CID: mustPieceCID(t, payload)})
			off = start + size
		}
		want := mustPieceCID(t, data)
		got, err := UnsealedCID(sector, pieces)
		if err != nil || !got.Equals(want) {
			t.Fatalf("pieces %v: UnsealedCID = %s, %v; want %s", pieces, got, err, want)
		}
	}
}

func TestUnsealedCID_Errors(t *testing.T) {
	z := func(size piece.PaddedSize) cid.Cid { c, _ := ZeroPieceCID(size); return c }
	v2, _ := piece.CIDv2([32]byte{}, 127)
	for _, tc := range []struct {
		name   string
		sector piece.PaddedSize
		pieces []piece.Info
		want   error
	}{
		{"sector size not a power of two", 3000, nil, piece.ErrInvalidSize},
		{"piece size not a power of two", 2048, []piece.Info{{Size: 384, CID: z(256)}}, piece.ErrInvalidSize},
		{"piece too small", 2048, []piece.Info{{Size: 64, CID: z(128)}}, piece.ErrInvalidSize},
		{"sealed CID", 2048, []piece.Info{{Size: 128, CID: piece.SealedCID([32]byte{})}}, piece.ErrNotPieceCID},
		{"undefined CID", 2048, []piece.Info{{Size: 128}}, piece.ErrNotPieceCID},
		{"piece larger than sector", 2048, []piece.Info{{Size: 4096, CID: z(4096)}}, ErrPiecesDoNotFit},
		{"alignment overruns", 2048, []piece.Info{{Size: 128, CID: z(128)}, {Size: 1024, CID: z(1024)}, {Size: 1024, CID: z(1024)}}, ErrPiecesDoNotFit},
		{"v2 size mismatch", 2048, []piece.Info{{Size: 256, CID: v2}}, ErrSizeMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := UnsealedCID(tc.sector, tc.pieces)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
	// A v2 CID of the right size is accepted.
	if _, err := UnsealedCID(2048, []piece.Info{{Size: 128, CID: v2}}); err != nil {
		t.Fatal(err)
	}
}

// FuzzHasher compares the Hasher with the reference on payloads of up to
// 5 quads, cut into random writes. The seed also picks the chunk size (1 or
// 2 quads, so that these payloads span several chunks and every folding path
// is taken) and one or two workers. Longer inputs are ignored: they add
// nothing here and make the fuzzer's minimisation (quadratic in the input
// length) crawl.
func FuzzHasher(f *testing.F) {
	f.Add([]byte("the quick brown fox jumps over the lazy dog, then over the lazy cat"), uint64(1))
	f.Add(bytes.Repeat([]byte{0xcc}, 5*127), uint64(2))
	f.Add(bytes.Repeat([]byte{0x01}, 300), uint64(3))
	f.Fuzz(func(t *testing.T, payload []byte, seed uint64) {
		if len(payload) > 5*127 {
			return
		}
		rng := rand.New(rand.NewPCG(seed, 0))
		h := New(Options{Workers: 1 + int(seed>>1&1)})
		h.setChunkQuads(1 << (seed & 1))
		writeRandomly(t, rng, h, payload)
		got, size, err := h.Digest()
		if len(payload) < MinPayload {
			if !errors.Is(err, ErrPayloadTooSmall) {
				t.Fatalf("%d bytes: %v, want ErrPayloadTooSmall", len(payload), err)
			}
			return
		}
		want, wantSize := reference(payload)
		if err != nil || got != want || uint64(size) != wantSize {
			t.Fatalf("%d bytes: %x %d %v; reference %x %d", len(payload), got, size, err, want, wantSize)
		}
	})
}
