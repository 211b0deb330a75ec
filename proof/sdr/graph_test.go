package sdr

import (
	"encoding/hex"
	"errors"
	"github.com/strata-sp/strata/proof"
	"slices"
	"testing"
)

func mustGraph(t testing.TB, nodes uint64, porepID [32]byte, v Version) *Graph {
	t.Helper()
	g, err := NewGraph(nodes, porepID, v)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func fill32(b byte) (a [32]byte) {
	for i := range a {
		a[i] = b
	}
	return a
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func allParents(t testing.TB, g *Graph, node uint64) []uint32 {
	t.Helper()
	var p [Degree]uint32
	if err := g.Parents(node, &p); err != nil {
		t.Fatal(err)
	}
	return p[:]
}

// TestGraph_IntermediateVectors checks the seeds, keys and parents of
// sdr-spec.md §6(c).
func TestGraph_IntermediateVectors(t *testing.T) {
	id0, id5 := PoRepID(0, 0), PoRepID(5, 0)
	g0 := mustGraph(t, 64, id0, V1_0)
	if s := g0.DRGSeed(); hex.EncodeToString(s[:]) != "623f03efd4cbc4f029203ee913d026a4e2d9913025a8aed04fec97a0" {
		t.Errorf("drg_seed id=0: %x", s)
	}
	if k := g0.FeistelKeys(); k != [4]uint64{0x8fb5fa185a23bce6, 0xd567abafe374f26e, 0xa2f3f4da23359acc, 0xcbf4931c8d02e1a5} {
		t.Errorf("feistel keys id=0: %#x", k)
	}
	g5 := mustGraph(t, 64, id5, V1_1)
	if s := g5.DRGSeed(); hex.EncodeToString(s[:]) != "3be68542ec229705b99be29c2106b0e4222ccd1d0311398ea4d22d7d" {
		t.Errorf("drg_seed id=5: %x", s)
	}
	if k := g5.FeistelKeys(); k != [4]uint64{0x90b15b1c4509e47a, 0xdc5378c03df3f21b, 0xfa76fc24deb9d7ac, 0xcdec5e11f7b30a54} {
		t.Errorf("feistel keys id=5: %#x", k)
	}
	g123 := mustGraph(t, 64, fill32(123), V1_1)
	if k := g123.FeistelKeys(); k != [4]uint64{0x719b08394526f4c8, 0x9b96e47e46b9e7be, 0xf1c1acc3c5257ad1, 0x3e719c4b85cc62e4} {
		t.Errorf("feistel keys [123;32]: %#x", k)
	}
	var perm []uint64
	for x := range uint64(8) {
		perm = append(perm, g123.feistel.permute(x))
	}
	if !slices.Equal(perm, []uint64{126, 479, 421, 338, 61, 312, 415, 411}) {
		t.Errorf("permute(512, 0..7) = %v", perm)
	}

	g123v10 := mustGraph(t, 64, fill32(123), V1_0)
	tests := []struct {
		name string
		g    *Graph
		node uint64
		want []uint32
	}{
		{"id0 v1.0 node0", g0, 0, []uint32{0, 0, 0, 0, 0, 0, 22, 1, 6, 27, 40, 36, 18, 36}},
		{"id0 v1.0 node2", g0, 2, []uint32{0, 1, 1, 1, 1, 1, 32, 49, 26, 57, 3, 4, 47, 63}},
		{"id0 v1.0 node63", g0, 63, []uint32{62, 61, 56, 62, 37, 62, 49, 37, 35, 41, 52, 50, 54, 5}},
		{"id5 v1.1 node2", g5, 2, []uint32{1, 1, 1, 0, 1, 0, 30, 28, 55, 63, 63, 36, 37, 36}},
		{"id5 v1.1 node63", g5, 63, []uint32{62, 15, 42, 62, 61, 62, 0, 15, 30, 30, 28, 42, 49, 38}},
		{"[123] v1.1 node17", g123, 17, []uint32{16, 7, 16, 16, 13, 16, 29, 43, 52, 42, 51, 7, 4, 56}},
		{"[123] v1.0 node17", g123v10, 17, []uint32{7, 16, 16, 13, 16, 16, 29, 43, 52, 42, 51, 7, 4, 56}},
	}
	for _, tt := range tests {
		if got := allParents(t, tt.g, tt.node); !slices.Equal(got, tt.want) {
			t.Errorf("%s: parents %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestGraphFor checks the graph of registered proofs: node count, porep_id
// and API version (§0).
func TestGraphFor(t *testing.T) {
	tests := []struct {
		p    proof.SealProof
		size uint64
		v    Version
	}{
		{proof.StackedDrg2KiBV1, 2 << 10, V1_0},
		{proof.StackedDrg8MiBV1, 8 << 20, V1_0},
		{proof.StackedDrg512MiBV1, 512 << 20, V1_0},
		{proof.StackedDrg32GiBV1, 32 << 30, V1_0},
		{proof.StackedDrg64GiBV1, 64 << 30, V1_0},
		{proof.StackedDrg2KiBV1_1, 2 << 10, V1_1},
		{proof.StackedDrg32GiBV1_1, 32 << 30, V1_1},
		{proof.StackedDrg64GiBV1_1, 64 << 30, V1_1},
		{proof.StackedDrg512MiBV1_1_Feat_SyntheticPoRep, 512 << 20, V1_2},
		{proof.StackedDrg32GiBV1_2_Feat_NiPoRep, 32 << 30, V1_2},
	}
	for _, tt := range tests {
		if v, _ := VersionOf(tt.p); v != tt.v {
			t.Errorf("%s: version %v, want %v", tt.p, v, tt.v)
		}
		g, err := GraphFor(tt.p)
		if err != nil {
			t.Fatalf("%s: %v", tt.p, err)
		}
		if g.Nodes() != tt.size/NodeSize || g.version != tt.v {
			t.Errorf("%s: %d nodes, version %v", tt.p, g.Nodes(), g.version)
		}
		if id := g.PoRepID(); id[0] != byte(tt.p) || id != PoRepID(uint64(tt.p), 0) {
			t.Errorf("%s: porep_id %x", tt.p, id)
		}
	}
	if _, err := GraphFor(20); !errors.Is(err, ErrUnknownProof) {
		t.Errorf("proof 20: %v", err)
	}
	if _, err := VersionOf(-1); !errors.Is(err, ErrUnknownProof) {
		t.Errorf("proof -1: %v", err)
	}
}

// TestGraph_ParentCacheNames checks ParentCacheName against the file names
// of parent_cache.json (§6(b)).
func TestGraph_ParentCacheNames(t *testing.T) {
	tests := []struct {
		p    proof.SealProof
		name string
	}{
		{proof.StackedDrg2KiBV1, "v28-sdr-parent-3f0eef38bb48af1f48ad65e14eb85b4ebfc167cec18cd81764f6d998836c9899.cache"},
		{proof.StackedDrg2KiBV1_1, "v28-sdr-parent-494d91dc80f2df5272c4b9e129bc7ade9405225993af9fe34e6542a39a47554b.cache"},
		{proof.StackedDrg8MiBV1, "v28-sdr-parent-dcdabb0fbe4364bf0ac28b6a18c66de246409fa1a9020a00f33fb3e3053da6dc.cache"},
		{proof.StackedDrg8MiBV1_1, "v28-sdr-parent-5eed212119fd91aa6220a27f31a8966444a9381842bceb3a1ea61525bd47a5b5.cache"},
	}
	for _, tt := range tests {
		g, err := GraphFor(tt.p)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.ParentCacheName(); got != tt.name {
			t.Errorf("proof %d: %s, want %s", tt.p, got, tt.name)
		}
	}
}
