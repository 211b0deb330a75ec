package poseidon

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
)

// limbs encodes four little-endian u64 limbs, the way upstream Rust tests
// write field elements, as the 32-byte little-endian repr.
func limbs(l0, l1, l2, l3 uint64) [32]byte {
	var b [32]byte
	for i, l := range []uint64{l0, l1, l2, l3} {
		binary.LittleEndian.PutUint64(b[8*i:], l)
	}
	return b
}

func mustHex32(tb testing.TB, s string) [32]byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		tb.Fatalf("bad 32-byte hex %q: %v", s, err)
	}
	return [32]byte(b)
}

func counting(n int) []fr.Element {
	in := make([]fr.Element, n)
	for i := range in {
		in[i].SetUint64(uint64(i))
	}
	return in
}

// TestHash_NeptuneVectors checks neptune's hash_values vectors
// (poseidon.rs; sdr-spec.md §7): inputs 0, 1, ..., arity-1, Standard
// strength, MerkleTree hash type.
func TestHash_NeptuneVectors(t *testing.T) {
	cases := []struct {
		arity int
		want  [32]byte
	}{
		{2, limbs(0x2e203c369a02e7ff, 0xa6fba9339d05a69d, 0x739e0fd902efe161, 0x396508d75e76a56b)},
		{4, limbs(0x019814ff6662075d, 0xfb6b4605bf1327ec, 0x00db3c6579229399, 0x58a54b10a9e5848a)},
		{8, limbs(0x2a9934f56d38a5e6, 0x4b682e9d9cc4aed9, 0x1201004211677077, 0x2394611da3a5de55)},
		{11, limbs(0xcee3bbc32b693163, 0x09f3dcd8ccb08fc1, 0x6ca537e232ebe87a, 0x0c0fc1b2e5227f28)},
	}
	for _, c := range cases {
		in := counting(c.arity)
		got, err := Hash(in)
		if err != nil {
			t.Fatal(err)
		}
		if b := ToBytes(&got); b != c.want {
			t.Errorf("arity %d: Hash = %x, want %x", c.arity, b, c.want)
		}
		if ref := referenceHash(paramsByArity[c.arity](), in); !ref.Equal(&got) {
			t.Errorf("arity %d: reference = %s, optimised = %s", c.arity, ref.String(), got.String())
		}
		// The same through the byte interface.
		bin := make([][32]byte, c.arity)
		for i := range in {
			bin[i] = ToBytes(&in[i])
		}
		gotb, err := HashBytes(bin...)
		if err != nil || gotb != c.want {
			t.Errorf("arity %d: HashBytes = %x, %v; want %x", c.arity, gotb, err, c.want)
		}
	}
}

// TestHash_FilecoinHashMD checks arity 36 with filecoin-hashers'
// test_hash_md (filecoin-hashers/src/poseidon.rs): hash_md of 71 ones,
// which folds the input in chunks of 35 behind the running hash, each a
// Poseidon-36 hash with the MerkleTree tag 2^36-1.
func TestHash_FilecoinHashMD(t *testing.T) {
	want := limbs(0x351c54133b332c90, 0xc26f6d625f4e8195, 0x5fd9623643ed9622, 0x59f42220e09ff6f7)
	h := MustNew(36)
	var one fr.Element
	one.SetOne()
	input := make([]fr.Element, 71)
	for i := range input {
		input[i] = one
	}
	acc := input[0]
	buf := make([]fr.Element, 36)
	for rest := input[1:]; len(rest) > 0; rest = rest[35:] {
		buf[0] = acc
		copy(buf[1:], rest[:35])
		acc = h.Hash(buf)
	}
	if got := ToBytes(&acc); got != want {
		t.Errorf("hash_md(71 ones) = %x, want %x", got, want)
	}
}

// TestHash_CommREndToEnd2KiB checks comm_r = Poseidon_2(comm_c,
// comm_r_last) on the end-to-end 2 KiB values of sdr-spec.md §6(c)
// (computed by an independent reimplementation, not by Rust).
func TestHash_CommREndToEnd2KiB(t *testing.T) {
	commC := mustHex32(t, "21d8cba73e302bb5c90c24e55e2d26ab6687ba494827d16df16ab4f7eeddbe2e")
	commRLast := mustHex32(t, "15b54a5f36daefa62518dbbecb9575e976cfb3562b897865005f311985cdfc13")
	want := mustHex32(t, "b2298a51987c872ff986126b6c9a5b95e3f4fa076c04d5581fbe86a23441526d")
	got, err := HashBytes(commC, commRLast)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("comm_r = %x, want %x", got, want)
	}
}

// TestRoundConstants_Width9 checks the Grain output for t = 9 against
// neptune's parameters/round_constants-1-1-255-9-8-57-<r>.txt, produced by
// the reference create_rcs_grain.sage with field 1, S-box 1, n 255, t 9,
// R_F 8, R_P 57: 585 constants, of which the first two and the last are
// compared.
func TestRoundConstants_Width9(t *testing.T) {
	p := paramsByArity[8]()
	if len(p.roundConstants) != 585 {
		t.Fatalf("%d round constants, want 585", len(p.roundConstants))
	}
	for _, c := range []struct {
		i   int
		hex string
	}{
		{0, "6ce90d12c4045fe08c3caddb776dd84ac52b4ae7e48cd49443984154f2f4c2f9"},
		{1, "0ccd9b480c84022b25a75b52c8e89d80b4fa6378d32e58f3a175504940bcec39"},
		{2, "513ad11016ab7bb8c7ce9ae51256040e062487edf7168d206ba1b86dfe963629"},
		{584, "3b3a75eb91b0f723bcc4ab7e449e4a011b8960063efe74670c05e545519d9a8c"},
	} {
		var want big.Int
		want.SetString(c.hex, 16)
		var got big.Int
		p.roundConstants[c.i].BigInt(&got)
		if got.Cmp(&want) != 0 {
			t.Errorf("constant %d = %x, want %s", c.i, &got, c.hex)
		}
	}
}

// TestRoundNumbers recomputes R_F and R_P with neptune's port of
// calc_round_numbers.py (round_numbers.rs, in f32 arithmetic as there,
// with the 2-round and 7.5% security margins) and compares them with the
// table partialRounds uses.
func TestRoundNumbers(t *testing.T) {
	for _, a := range arities {
		w := a + 1
		rf, rp := calcRoundNumbers(w)
		if rf != fullRounds || rp != partialRounds(w) {
			t.Errorf("t=%d: formula gives R_F=%d R_P=%d, table %d %d", w, rf, rp, fullRounds, partialRounds(w))
		}
	}
}

func calcRoundNumbers(t int) (rf, rp int) {
	ceil := func(x float32) int { return int(math.Ceil(float64(x))) }
	secure := func(rfTest, rpTest int) bool {
		const n, m = float32(256), float32(128) // neptune uses 256 bits for the 255-bit field
		ft, frp := float32(t), float32(rpTest)
		rfStat := float32(10)
		if m <= (n-3)*(ft+1) {
			rfStat = 6
		}
		rfInterp := 0.43*m + float32(math.Log2(float64(ft))) - frp
		rfGrob1 := 0.21*n - frp
		rfGrob2 := (0.14*n - 1 - frp) / (ft - 1)
		return rfTest >= max(ceil(rfStat), ceil(rfInterp), ceil(rfGrob1), ceil(rfGrob2))
	}
	best := math.MaxInt
	for rfTest := 2; rfTest <= 1000; rfTest += 2 {
		for rpTest := 4; rpTest < 200; rpTest++ {
			if !secure(rfTest, rpTest) {
				continue
			}
			f, p := rfTest+2, ceil(float32(1.075)*float32(rpTest))
			if cost := t*f + p; cost < best || (cost == best && f < rf) {
				rf, rp, best = f, p, cost
			}
		}
	}
	return rf, rp
}

// TestParams checks the domain tags and the MDS matrix.
func TestParams(t *testing.T) {
	for _, a := range arities {
		p := paramsByArity[a]()
		var tag fr.Element
		tag.SetUint64(1<<a - 1)
		if !p.tag.Equal(&tag) {
			t.Errorf("arity %d: tag %s", a, p.tag.String())
		}
		w := p.width
		for i := range w {
			for j := range w {
				// M[i][j] (i+t+j) = 1, and M is symmetric.
				var d, prod fr.Element
				d.SetUint64(uint64(i + w + j))
				prod.Mul(&p.mds[i*w+j], &d)
				if !prod.IsOne() || !p.mds[i*w+j].Equal(&p.mds[j*w+i]) {
					t.Fatalf("arity %d: M[%d][%d] wrong", a, i, j)
				}
			}
		}
	}
	if tag := paramsByArity[11]().tag; tag.Uint64() != 2047 {
		t.Errorf("arity-11 tag %d, want 2047", tag.Uint64())
	}
}

// TestHash_MatchesReference checks the optimised hash against the textbook
// permutation for every arity on zero inputs, r-1 inputs and random ones.
func TestHash_MatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var minusOne fr.Element
	minusOne.SetOne()
	minusOne.Neg(&minusOne)
	for _, a := range arities {
		p := paramsByArity[a]()
		inputs := [][]fr.Element{make([]fr.Element, a), make([]fr.Element, a)}
		for i := range inputs[1] {
			inputs[1][i] = minusOne
		}
		for range 3 {
			inputs = append(inputs, randomElements(rng, a))
		}
		for k, in := range inputs {
			want := referenceHash(p, in)
			got, err := Hash(in)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(&want) {
				t.Errorf("arity %d input %d: optimised %s, reference %s", a, k, got.String(), want.String())
			}
		}
	}
}

func randomElements(rng *rand.Rand, n int) []fr.Element {
	out := make([]fr.Element, n)
	for i := range out {
		var b [32]byte
		for j := 0; j < 32; j += 8 {
			binary.LittleEndian.PutUint64(b[j:], rng.Uint64())
		}
		b[31] &= 0x3f // below 2^254 < r: always canonical
		out[i], _ = FromBytes(b)
	}
	return out
}

func TestHashBytes_Errors(t *testing.T) {
	if _, err := HashBytes(); !errors.Is(err, ErrArity) {
		t.Errorf("no inputs: %v, want ErrArity", err)
	}
	if _, err := HashBytes([32]byte{}, [32]byte{}, [32]byte{}); !errors.Is(err, ErrArity) {
		t.Errorf("3 inputs: %v, want ErrArity", err)
	}
	if _, err := Hash(make([]fr.Element, 1)); !errors.Is(err, ErrArity) {
		t.Errorf("Hash of 1 input: %v, want ErrArity", err)
	}
	if _, err := New(3); !errors.Is(err, ErrArity) {
		t.Errorf("New(3): %v, want ErrArity", err)
	}
	r := limbs(r0, r1, r2, r3)
	for _, bad := range [][32]byte{r, limbs(r0+1, r1, r2, r3), limbs(0, 0, 0, 1<<63), limbs(^uint64(0), ^uint64(0), ^uint64(0), ^uint64(0))} {
		_, err := HashBytes([32]byte{}, bad)
		if !errors.Is(err, ErrNonCanonical) {
			t.Errorf("input %x: %v, want ErrNonCanonical", bad, err)
		}
		if Canonical(&bad) {
			t.Errorf("Canonical(%x) = true", bad)
		}
	}
	// r-1 is the largest canonical value.
	rm1 := limbs(r0-1, r1, r2, r3)
	if !Canonical(&rm1) {
		t.Error("Canonical(r-1) = false")
	}
	if _, err := HashBytes(rm1, rm1); err != nil {
		t.Errorf("HashBytes(r-1, r-1): %v", err)
	}
	var rb big.Int
	rb.SetBytes(reverse(r[:]))
	if rb.Cmp(fr.Modulus()) != 0 {
		t.Errorf("modulus limbs %x differ from fr.Modulus %x", &rb, fr.Modulus())
	}
}

func reverse(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[len(b)-1-i] = b[i]
	}
	return out
}

func TestHasher_WrongLengthPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Hash of 3 inputs with an arity-2 Hasher did not panic")
		}
	}()
	MustNew(2).Hash(make([]fr.Element, 3))
}

func TestHasher_NoAllocation(t *testing.T) {
	for _, a := range []int{2, 8, 11} {
		h := MustNew(a)
		in := counting(a)
		if n := testing.AllocsPerRun(20, func() { h.Hash(in) }); n != 0 {
			t.Errorf("arity %d: %v allocations per hash", a, n)
		}
	}
}

// TestHash_Concurrent hashes from several goroutines at once, including
// the first use of an arity's constants (run with -race).
func TestHash_Concurrent(t *testing.T) {
	want := limbs(0x2a9934f56d38a5e6, 0x4b682e9d9cc4aed9, 0x1201004211677077, 0x2394611da3a5de55)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 3 {
				got, err := Hash(counting(8))
				if err != nil || ToBytes(&got) != want {
					t.Errorf("concurrent arity-8 hash %x, %v", ToBytes(&got), err)
				}
				if _, err := Hash(counting(16)); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}

func TestArities(t *testing.T) {
	got := Arities()
	got[0] = 99 // a copy: the package's list is not changed
	if !Supported(2) || Supported(99) || Supported(-1) || Supported(MaxArity+1) || Supported(3) {
		t.Error("Supported gives wrong answers")
	}
	for _, a := range Arities() {
		if h := MustNew(a); h.Arity() != a {
			t.Errorf("MustNew(%d).Arity() = %d", a, h.Arity())
		}
	}
}

// TestBatch_MatchesHash checks Batch.Hash, and its vector kernel on every
// group size it may be given, against Hasher.Hash.
func TestBatch_MatchesHash(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, a := range []int{2, 8, 11} {
		h := MustNew(a)
		b := h.NewBatch()
		for _, n := range []int{0, 1, 7, 16, 17, 63, 64, 65, 200} {
			in := randomElements(rng, n*a)
			out := make([]fr.Element, n)
			b.Hash(out, in)
			for k := range n {
				if want := h.Hash(in[k*a : (k+1)*a]); !want.Equal(&out[k]) {
					t.Fatalf("arity %d, %d hashes: hash %d differs", a, n, k)
				}
			}
		}
		// The vector kernel alone, whatever the CPU (gnark-crypto falls
		// back to plain loops without IFMA), on sizes Hash would not give it.
		for _, n := range []int{1, 3, 8, 9, 40} {
			in := randomElements(rng, n*a)
			out := make([]fr.Element, n)
			b.hashVectors(out, in)
			for k := range n {
				if want := h.Hash(in[k*a : (k+1)*a]); !want.Equal(&out[k]) {
					t.Fatalf("arity %d, vector kernel on %d: hash %d differs", a, n, k)
				}
			}
		}
	}
}

func TestBatch_WrongLengthPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Batch.Hash with mismatched lengths did not panic")
		}
	}()
	MustNew(2).NewBatch().Hash(make([]fr.Element, 2), make([]fr.Element, 3))
}
