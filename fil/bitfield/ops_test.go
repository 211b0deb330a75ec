package bitfield_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/strata-sp/strata/fil/bitfield"
)

// checkModel compares every query on bf with the model m.
func checkModel(t *testing.T, what string, bf bitfield.BitField, m model) {
	t.Helper()
	want := m.sorted()
	all, err := bf.All(uint64(len(want)))
	if err != nil || !slices.Equal(all, want) {
		t.Fatalf("%s: All = %v, %v; want %v", what, all, err, want)
	}
	if bf.Count() != uint64(len(want)) || bf.IsEmpty() != (len(want) == 0) {
		t.Fatalf("%s: Count %d, IsEmpty %v; want %d", what, bf.Count(), bf.IsEmpty(), len(want))
	}
	var each []uint64
	if err := bf.ForEach(func(i uint64) error { each = append(each, i); return nil }); err != nil || !slices.Equal(each, want) {
		t.Fatalf("%s: ForEach visits %v, %v", what, each, err)
	}
	for _, b := range want {
		for _, probe := range []uint64{b - 1, b, b + 1} {
			if bf.IsSet(probe) != m[probe] {
				t.Fatalf("%s: IsSet(%d) = %v", what, probe, bf.IsSet(probe))
			}
		}
	}
	for _, probe := range []uint64{0, 1, math.MaxUint64} {
		if bf.IsSet(probe) != m[probe] {
			t.Fatalf("%s: IsSet(%d) = %v", what, probe, bf.IsSet(probe))
		}
	}
	if len(want) > 0 {
		if f, err := bf.First(); err != nil || f != want[0] {
			t.Fatalf("%s: First = %d, %v", what, f, err)
		}
		if l, err := bf.Last(); err != nil || l != want[len(want)-1] {
			t.Fatalf("%s: Last = %d, %v", what, l, err)
		}
	}
	if !bf.Equal(bitfield.NewFromSet(want)) {
		t.Fatalf("%s: not Equal to NewFromSet of its bits", what)
	}
}

// TestOps_RandomAgainstModel checks the set operations on random sets
// (clustered, sparse, near 2^63 and near 2^64) against maps.
func TestOps_RandomAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 600 {
		withMax := iter%4 == 0
		var fields []bitfield.BitField
		var models []model
		for range 1 + rng.IntN(4) {
			bits := randBits(rng, withMax)
			fields = append(fields, bitfield.NewFromSet(bits))
			models = append(models, newModel(bits))
			checkModel(t, "NewFromSet", fields[len(fields)-1], models[len(models)-1])
		}
		a, b := fields[0], fields[len(fields)-1]
		ma, mb := models[0], models[len(models)-1]

		union := model{}
		for _, m := range models {
			for k := range m {
				union[k] = true
			}
		}
		checkModel(t, "Union", bitfield.Union(fields...), union)
		inter, diff := model{}, model{}
		for k := range ma {
			if mb[k] {
				inter[k] = true
			} else {
				diff[k] = true
			}
		}
		checkModel(t, "Intersect", bitfield.Intersect(a, b), inter)
		checkModel(t, "Subtract", bitfield.Subtract(a, b), diff)
		checkModel(t, "Subtract self", bitfield.Subtract(a, a), model{})
		checkModel(t, "Union self", bitfield.Union(a, a), ma)

		// Slice against the sorted list, at random and at the edges.
		sorted := ma.sorted()
		n := uint64(len(sorted))
		for _, c := range [][2]uint64{{0, 0}, {0, n}, {n, 0}, {uint64(rng.IntN(len(sorted) + 1)), 0}} {
			skip := c[0]
			count := c[1]
			if count == 0 && skip < n {
				count = uint64(rng.IntN(int(n-skip) + 1))
			}
			got, err := a.Slice(skip, count)
			if err != nil {
				t.Fatalf("Slice(%d, %d) of %d bits: %v", skip, count, n, err)
			}
			checkModel(t, "Slice", got, newModel(sorted[skip:skip+count]))
		}
		if _, err := a.Slice(uint64(rng.IntN(len(sorted)+1)), n+1); err == nil {
			t.Fatalf("Slice past the end succeeded")
		}

		// Runs and NewFromRuns invert each other for encodable sets.
		if !withMax || !ma[math.MaxUint64] {
			back, err := bitfield.NewFromRuns(a.Runs())
			if err != nil || !back.Equal(a) {
				t.Fatalf("NewFromRuns(Runs()) = %v, %v; want %v", back, err, a)
			}
		}
	}
}

// TestOps_Identities checks algebraic identities on random fields without a
// model, including fields far too large for one.
func TestOps_Identities(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	randRuns := func() bitfield.BitField {
		var runs []uint64
		var total uint64
		for range rng.IntN(40) {
			l := 1 + rng.Uint64N(1<<uint(rng.IntN(40)))
			if l > math.MaxUint64-total {
				break
			}
			runs = append(runs, l)
			total += l
		}
		if len(runs) > 0 && rng.IntN(2) == 0 {
			runs[0] = 0
		}
		bf, err := bitfield.NewFromRuns(runs)
		if err != nil {
			t.Fatalf("NewFromRuns(%v): %v", runs, err)
		}
		return bf
	}
	for range 2000 {
		a, b, c := randRuns(), randRuns(), randRuns()
		ab := bitfield.Union(a, b)
		if !ab.Equal(bitfield.Union(b, a)) {
			t.Fatal("Union not commutative")
		}
		if !bitfield.Union(ab, c).Equal(bitfield.Union(a, b, c)) || !bitfield.Union(a, bitfield.Union(b, c)).Equal(bitfield.Union(a, b, c)) {
			t.Fatal("Union not associative")
		}
		i := bitfield.Intersect(a, b)
		if !i.Equal(bitfield.Intersect(b, a)) {
			t.Fatal("Intersect not commutative")
		}
		// a = (a - b) ∪ (a ∩ b), disjointly.
		d := bitfield.Subtract(a, b)
		if !bitfield.Union(d, i).Equal(a) || !bitfield.Intersect(d, i).IsEmpty() || !bitfield.Intersect(d, b).IsEmpty() {
			t.Fatal("a != (a-b) ∪ (a∩b)")
		}
		// |a ∪ b| = |a| + |b| - |a ∩ b| (these sets stay well below 2^64 bits).
		if ab.Count() != a.Count()+b.Count()-i.Count() {
			t.Fatalf("|a∪b| = %d, want %d+%d-%d", ab.Count(), a.Count(), b.Count(), i.Count())
		}
		// Slicing the whole set in two pieces gives it back.
		n := a.Count()
		k := rng.Uint64N(n + 1)
		lo, err1 := a.Slice(0, k)
		hi, err2 := a.Slice(k, n-k)
		if err1 != nil || err2 != nil || !bitfield.Union(lo, hi).Equal(a) || lo.Count() != k {
			t.Fatalf("Slice split at %d of %d: %v, %v", k, n, err1, err2)
		}
		// Everything these runs build is encodable and round-trips.
		for _, bf := range []bitfield.BitField{a, ab, i, d, lo, hi} {
			p, err := bf.Encode()
			if err != nil {
				t.Fatalf("Encode %v: %v", bf, err)
			}
			back, err := bitfield.DecodeStrict(p)
			if err != nil || !back.Equal(bf) {
				t.Fatalf("DecodeStrict(Encode(%v)) = %v, %v", bf, back, err)
			}
		}
	}
}

// TestOps_FullRange covers the corner where a set reaches bit 2^64-1.
func TestOps_FullRange(t *testing.T) {
	low, err := bitfield.NewFromRuns([]uint64{0, math.MaxUint64}) // bits 0..2^64-2
	if err != nil {
		t.Fatal(err)
	}
	top := bitfield.NewFromSet([]uint64{math.MaxUint64})
	full := bitfield.Union(low, top)
	if full.Count() != math.MaxUint64 || !full.IsSet(0) || !full.IsSet(math.MaxUint64) {
		t.Fatalf("full set %v: Count %d", full, full.Count())
	}
	if got := bitfield.Subtract(full, top); !got.Equal(low) {
		t.Fatalf("full - top = %v", got)
	}
	if got := bitfield.Intersect(full, top); !got.Equal(top) {
		t.Fatalf("full ∩ top = %v", got)
	}
	if got, err := full.Slice(math.MaxUint64-1, 1); err != nil || !got.Equal(bitfield.NewFromSet([]uint64{math.MaxUint64 - 1})) {
		t.Fatalf("Slice near the top = %v, %v", got, err)
	}
	if got := top.Runs(); !slices.Equal(got, []uint64{math.MaxUint64, 1}) {
		t.Fatalf("Runs of {2^64-1} = %v", got)
	}
	if l, err := full.Last(); err != nil || l != math.MaxUint64 {
		t.Fatalf("Last = %d, %v", l, err)
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		bf   bitfield.BitField
		want string
	}{
		{bitfield.New(), "{}"},
		{bitfield.NewFromSet([]uint64{0, 1, 2, 8, 9, 11}), "{0-2, 8-9, 11}"},
	}
	for _, tt := range tests {
		if got := tt.bf.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
	var many []uint64
	for i := range uint64(100) {
		many = append(many, 2*i)
	}
	got := bitfield.NewFromSet(many).String()
	if want := "{0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, ...68 more ranges..., 168, 170, 172, 174, 176, 178, 180, 182, 184, 186, 188, 190, 192, 194, 196, 198}"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestZeroValue(t *testing.T) {
	var zero bitfield.BitField
	if !zero.IsEmpty() || zero.Count() != 0 || !zero.Equal(bitfield.New()) || !zero.Equal(bitfield.NewFromSet(nil)) {
		t.Fatal("zero value is not the empty set")
	}
	if p, err := zero.Encode(); err != nil || len(p) != 0 {
		t.Fatalf("Encode = %x, %v", p, err)
	}
	if got := bitfield.Union(); !got.IsEmpty() {
		t.Fatalf("Union() = %v", got)
	}
}

// TestImmutable checks that operations never modify their operands or the
// caller's slices.
func TestImmutable(t *testing.T) {
	bits := []uint64{9, 3, 4, 5}
	a := bitfield.NewFromSet(bits)
	if !slices.Equal(bits, []uint64{9, 3, 4, 5}) {
		t.Fatalf("NewFromSet reordered its argument: %v", bits)
	}
	b := bitfield.NewFromSet([]uint64{5, 6, 10})
	before := a.String() + b.String()
	_ = bitfield.Union(a, b)
	_ = bitfield.Union(a, bitfield.New())
	_ = bitfield.Intersect(a, b)
	_ = bitfield.Subtract(a, b)
	_, _ = a.Slice(1, 2)
	runs := a.Runs()
	runs[0] = 100
	if after := a.String() + b.String(); after != before {
		t.Fatalf("operands changed: %s -> %s", before, after)
	}
}
