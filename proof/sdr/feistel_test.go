package sdr

import (
	"github.com/strata-sp/strata/proof"
	"math/rand/v2"
	"testing"
)

// TestBlake2bFeistel_Vectorised compares the eight-lane round function with
// the scalar one (x/crypto's BLAKE2b-512) on random inputs.
func TestBlake2bFeistel_Vectorised(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var rs, ks, vec, gen [8]uint64
	for range 200 {
		for i := range rs {
			rs[i], ks[i] = rng.Uint64(), rng.Uint64()
		}
		blake2b8(&vec, &rs, &ks)
		blake2b8Generic(&gen, &rs, &ks)
		for i := range rs {
			want := blake2bFeistel(rs[i], ks[i])
			if gen[i] != want || vec[i] != want {
				t.Fatalf("round(%#x, %#x): scalar %#x, 8-lane %#x, want %#x", rs[i], ks[i], gen[i], vec[i], want)
			}
		}
	}
}

func TestFeistel_PermuteRangeMatchesPermute(t *testing.T) {
	for _, n := range []uint64{512, 8 << 10, 1<<21 + 24} {
		g := mustGraph(t, n/8, fill32(3), V1_1)
		out := make([]uint64, 1000)
		first := n/2 - 3
		if first+uint64(len(out)) > n {
			first = 0
		}
		g.feistel.permuteRange(first, out)
		for i, got := range out {
			if want := g.feistel.permute(first + uint64(i)); got != want {
				t.Fatalf("n=%d: permuteRange[%d] = %d, permute = %d", n, first+uint64(i), got, want)
			}
		}
	}
}

// TestFeistel_IsPermutation checks that permute is a bijection of [0, n)
// for a domain that is not a power of four, which exercises cycle-walking.
func TestFeistel_IsPermutation(t *testing.T) {
	const n = 8 * 1000
	g := mustGraph(t, n/8, fill32(4), V1_1)
	out := make([]uint64, n)
	g.feistel.permuteRange(0, out)
	seen := make([]bool, n)
	for x, u := range out {
		if u >= n || seen[u] {
			t.Fatalf("permute(%d) = %d: out of range or repeated", x, u)
		}
		seen[u] = true
	}
}

// TestGraph_V1_0Truncation checks the v1.0 u32 truncation (§2) on a graph
// with 2^30 nodes (32 GiB), where 8*nodes exceeds 2^32: the two versions
// share the permutation but v1.0 drops bit 32 and up before dividing.
func TestGraph_V1_0Truncation(t *testing.T) {
	id := PoRepID(uint64(proof.StackedDrg32GiBV1), 0)
	g10 := mustGraph(t, 1<<30, id, V1_0)
	g11 := mustGraph(t, 1<<30, id, V1_1)
	differ := 0
	for _, node := range []uint64{5, 1 << 20, 1<<30 - 1} {
		var p10, p11 [ExpanderDegree]uint32
		g10.ExpanderParents(node, &p10)
		g11.ExpanderParents(node, &p11)
		for j := range p10 {
			u := g10.feistel.permute(node*8 + uint64(j))
			if p10[j] != uint32(u)/8 || p11[j] != uint32(u/8) {
				t.Fatalf("node %d slot %d: v1.0 %d, v1.1 %d, permuted %d", node, j, p10[j], p11[j], u)
			}
			if p10[j] != p11[j] {
				differ++
			}
		}
	}
	if differ == 0 {
		t.Error("v1.0 and v1.1 expander parents agree on all 24 slots of a 32 GiB graph; the truncation is not applied")
	}
}
