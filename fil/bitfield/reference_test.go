package bitfield_test

import (
	"encoding/hex"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// This file holds deliberately naive models the tests check the package
// against: a bit-at-a-time RLE+ reader and writer written straight from the
// rules in rle.go, and sets as maps.

// refRun is one run of a decoded stream.
type refRun struct {
	val bool
	len uint64
}

// refDecode reads p one bit at a time with go-bitfield's rules and returns
// every run up to the terminator, the final unset run included, or ok=false
// where go-bitfield fails.
func refDecode(p []byte) (runs []refRun, ok bool) {
	if len(p) > 0 && p[len(p)-1] == 0 {
		return nil, false
	}
	pos := 0
	bit := func() uint64 {
		i := pos
		pos++
		if i/8 >= len(p) {
			return 0
		}
		return uint64(p[i/8]>>(i%8)) & 1
	}
	field := func(n int) uint64 {
		var v uint64
		for i := range n {
			v |= bit() << i
		}
		return v
	}
	if field(2) != 0 {
		return nil, false
	}
	val := bit() == 1
	var total uint64
	for {
		var l uint64
		switch {
		case bit() == 1:
			l = 1
		case bit() == 1:
			l = field(4)
		default:
			var bytes []uint64
			for {
				b := field(8)
				bytes = append(bytes, b)
				if b < 0x80 {
					break
				}
				if len(bytes) == 10 {
					return nil, false
				}
			}
			last := bytes[len(bytes)-1]
			if len(bytes) == 10 && last > 1 || len(bytes) > 1 && last == 0 {
				return nil, false
			}
			for i, b := range bytes {
				l |= (b & 0x7f) << (7 * i)
			}
		}
		if l == 0 {
			return runs, true
		}
		if total > math.MaxUint64-l {
			return nil, false
		}
		total += l
		runs = append(runs, refRun{val, l})
		val = !val
	}
}

// refRuns turns decoded runs into the Lotus run form, dropping a final unset
// run, as Runs reports them.
func refRuns(runs []refRun) []uint64 {
	if len(runs) > 0 && !runs[len(runs)-1].val {
		runs = runs[:len(runs)-1]
	}
	if len(runs) == 0 {
		return []uint64{0}
	}
	var out []uint64
	if runs[0].val {
		out = append(out, 0)
	}
	for _, r := range runs {
		out = append(out, r.len)
	}
	return out
}

// refEncode writes the canonical encoding of a sorted, duplicate-free set
// below math.MaxUint64 one bit at a time.
func refEncode(set []uint64) []byte {
	if len(set) == 0 {
		return []byte{}
	}
	var bits []bool
	put := func(v uint64, n int) {
		for i := range n {
			bits = append(bits, v>>i&1 == 1)
		}
	}
	run := func(l uint64) {
		switch {
		case l == 1:
			put(1, 1)
		case l < 16:
			put(0, 1)
			put(1, 1)
			put(l, 4)
		default:
			put(0, 2)
			for l >= 0x80 {
				put(l&0x7f|0x80, 8)
				l >>= 7
			}
			put(l, 8)
		}
	}
	put(0, 2)
	// Split the set into runs of set bits and the gaps before them.
	type rng struct{ gap, ones uint64 }
	var rs []rng
	next := uint64(0)
	for i := 0; i < len(set); {
		j := i
		for j+1 < len(set) && set[j+1] == set[j]+1 {
			j++
		}
		rs = append(rs, rng{set[i] - next, set[j] - set[i] + 1})
		next = set[j] + 1
		i = j + 1
	}
	if rs[0].gap == 0 {
		put(1, 1)
	} else {
		put(0, 1)
		run(rs[0].gap)
	}
	for i, r := range rs {
		if i > 0 {
			run(r.gap)
		}
		run(r.ones)
	}
	out := make([]byte, (len(bits)+7)/8)
	for i, b := range bits {
		if b {
			out[i/8] |= 1 << (i % 8)
		}
	}
	for len(out) > 0 && out[len(out)-1] == 0 {
		out = out[:len(out)-1]
	}
	return out
}

// model is a set as a map, for checking set operations.
type model map[uint64]bool

func newModel(bits []uint64) model {
	m := model{}
	for _, b := range bits {
		m[b] = true
	}
	return m
}

// sorted returns the members in ascending order.
func (m model) sorted() []uint64 {
	out := make([]uint64, 0, len(m))
	for b := range m {
		out = append(out, b)
	}
	slices.Sort(out)
	return out
}

// randBits returns a random set as a list, unsorted and with duplicates:
// clustered runs of set bits separated by gaps from 1 to 2^60, starting at
// 0, at a small offset, or near math.MaxUint64. withMax allows the set to
// hold bit math.MaxUint64, which no encoding can express.
func randBits(rng *rand.Rand, withMax bool) []uint64 {
	var pos uint64
	switch rng.IntN(8) {
	case 0:
		pos = 0
	case 1:
		pos = math.MaxUint64 - uint64(rng.IntN(200))
	case 2:
		pos = 1<<63 - uint64(rng.IntN(50))
	default:
		pos = uint64(rng.IntN(40))
	}
	limit := uint64(math.MaxUint64)
	if !withMax {
		limit--
	}
	var out []uint64
	for n := rng.IntN(30); n > 0; n-- {
		ones := uint64(1 + rng.IntN(20))
		for i := uint64(0); i < ones && pos < limit; i++ {
			out = append(out, pos)
			pos++
		}
		if pos >= limit {
			break
		}
		var gap uint64
		switch rng.IntN(6) {
		case 0:
			gap = 1 + rng.Uint64N(1<<60)
		case 1:
			gap = 1 + rng.Uint64N(300)
		default:
			gap = 1 + rng.Uint64N(4)
		}
		if gap > limit-pos {
			break
		}
		pos += gap
	}
	// Shuffle and duplicate, as NewFromSet must cope with both.
	for i := rng.IntN(3); i > 0 && len(out) > 0; i-- {
		out = append(out, out[rng.IntN(len(out))])
	}
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// parseSet parses the vectors' set notation: "0,2,4-6" is {0,2,4,5,6}.
func parseSet(t testing.TB, s string) []uint64 {
	t.Helper()
	var out []uint64
	if s == "" {
		return out
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseUint(lo, 10, 64)
		if err != nil {
			t.Fatalf("set %q: %v", s, err)
		}
		b := a
		if isRange {
			if b, err = strconv.ParseUint(hi, 10, 64); err != nil {
				t.Fatalf("set %q: %v", s, err)
			}
		}
		for i := a; i <= b; i++ {
			out = append(out, i)
		}
	}
	return out
}

// stream builds bytes from a string of bits written in stream order (LSB of
// byte 0 first); spaces are ignored, the last byte is zero-padded and
// trailing zero bytes are dropped, as they read as zeros anyway.
func stream(t testing.TB, bits string) []byte {
	t.Helper()
	bits = strings.ReplaceAll(bits, " ", "")
	out := make([]byte, (len(bits)+7)/8)
	for i, c := range bits {
		switch c {
		case '1':
			out[i/8] |= 1 << (i % 8)
		case '0':
		default:
			t.Fatalf("stream %q: bad character %q", bits, c)
		}
	}
	for len(out) > 0 && out[len(out)-1] == 0 {
		out = out[:len(out)-1]
	}
	return out
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
	return b
}

// TestReference_SelfCheck pins the models to the upstream vector, so the
// cross-checks below test against something known to be right.
func TestReference_SelfCheck(t *testing.T) {
	set := []uint64{0, 2, 4, 5, 6, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27}
	want := mustHex(t, "7c472202") // go-bitfield TestDecode
	if got := refEncode(set); !slices.Equal(got, want) {
		t.Fatalf("refEncode = %x, want %x", got, want)
	}
	runs, ok := refDecode(want)
	if !ok {
		t.Fatal("refDecode rejected the reference vector")
	}
	if got, wantRuns := refRuns(runs), []uint64{0, 1, 1, 1, 1, 3, 4, 17}; !slices.Equal(got, wantRuns) {
		t.Fatalf("refDecode runs = %v, want %v", got, wantRuns)
	}
}
