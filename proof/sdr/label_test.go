package sdr

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// newCache builds the parent cache of g in a test directory.
func newCache(t testing.TB, g *Graph) *ParentCache {
	t.Helper()
	path := filepath.Join(t.TempDir(), g.ParentCacheName())
	if _, err := CreateParentCache(context.Background(), g, path, 2); err != nil {
		t.Fatal(err)
	}
	c, err := OpenParentCache(g, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// label runs LabelLayers into a new directory and returns it.
func label(t testing.TB, cfg LabelConfig, replica [32]byte) string {
	t.Helper()
	dir := t.TempDir()
	if err := LabelLayers(context.Background(), cfg, replica, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readLabel(t testing.TB, dir string, layers int, nodes uint64, layer int, node uint64) string {
	t.Helper()
	ls, err := OpenLabels(dir, layers, nodes)
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	lab, err := ls.Label(layer, node)
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(lab[:])
}

// TestLabelLayers_LastLabelVectors checks the four last-label vectors of
// sdr-spec.md §6(a) (stacked_vanilla.rs test_stacked_porep_generate_labels):
// replica_id [9;32], 11 layers, the label of the last node in layer 11, with
// both the assembly kernel (where the CPU has it) and the portable code.
func TestLabelLayers_LastLabelVectors(t *testing.T) {
	tests := []struct {
		nodes   uint64
		porepID byte
		v       Version
		want    string
	}{
		{64, 0, V1_0, "04ba0f9a6ba9fad35e4806d183a281eab3c25afa9a1bd5e3378da6f1f4f46204"},
		{128, 0, V1_0, "86daa8c4521e197e48c1fae6c9a1e85ab894a8883b9f23cebe531ddcd1004c23"},
		{64, 123, V1_1, "cfef0db78bf3b3ab9f1169774d2e7a77bc9054499d954834b51ca7c788110206"},
		{128, 123, V1_1, "6d67c468cf81ab2289c1c9c72fa8777a232de4c1323dc0c6bd552ccc187c770f"},
		{64, 123, V1_2, "cfef0db78bf3b3ab9f1169774d2e7a77bc9054499d954834b51ca7c788110206"},
		{128, 123, V1_2, "6d67c468cf81ab2289c1c9c72fa8777a232de4c1323dc0c6bd552ccc187c770f"},
	}
	t.Logf("assembly kernel: %v", haveKernel())
	for _, tt := range tests {
		g := mustGraph(t, tt.nodes, fill32(tt.porepID), tt.v)
		c := newCache(t, g)
		for _, portable := range []bool{false, true} {
			dir := label(t, LabelConfig{Cache: c, Layers: 11, portable: portable}, fill32(9))
			if got := readLabel(t, dir, 11, tt.nodes, 11, tt.nodes-1); got != tt.want {
				t.Errorf("%d nodes, porep_id [%d;32], %v, portable %v: %s, want %s", tt.nodes, tt.porepID, tt.v, portable, got, tt.want)
			}
		}
	}
}

// TestLabelLayers_IntermediateLabels checks the labels of sdr-spec.md §6(c):
// replica_id [9;32], 64 nodes, porep_id [123;32], v1.1.
func TestLabelLayers_IntermediateLabels(t *testing.T) {
	g := mustGraph(t, 64, fill32(123), V1_1)
	c := newCache(t, g)
	for _, portable := range []bool{false, true} {
		dir := label(t, LabelConfig{Cache: c, Layers: 2, portable: portable}, fill32(9))
		for _, tt := range []struct {
			layer int
			node  uint64
			want  string
		}{
			{1, 0, "ad9baba2a22d17ee8b630ebca948772fb770f2ba82d661dfc984589eff118d1d"},
			{1, 1, "3754c23a6592f03a0dd829ccb32bfdd7590cc9f365d2ab41fc4b3aa0cc7ba837"},
			{1, 2, "5f90f17180aed793d3b94e57c6e3c71a278a7889bcba77205c0aee06d5bc4a20"},
			{2, 0, "edf09499f06d57ff8fed555f078a1d6c3ef18e8e8fb82cb9663ed71a20b45c16"},
			{2, 63, "624911590e9fcf6536fffe486b8ba415dd30993b38a5c161ca8620375a2efb32"},
		} {
			if got := readLabel(t, dir, 2, 64, tt.layer, tt.node); got != tt.want {
				t.Errorf("portable %v: L%d[%d] = %s, want %s", portable, tt.layer, tt.node, got, tt.want)
			}
		}
	}
}

func readLayers(t testing.TB, dir string, layers int) [][]byte {
	t.Helper()
	var out [][]byte
	for l := 1; l <= layers; l++ {
		b, err := os.ReadFile(filepath.Join(dir, LayerFileName(l)))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func fileInfo(t testing.TB, dir string, layer int) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, LayerFileName(layer)))
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

// TestLabelLayers_Restart removes or damages layer files of a finished run
// and reruns: the labels must come out identical, and the layers before the
// first missing one must be kept, not rewritten.
func TestLabelLayers_Restart(t *testing.T) {
	const layers = 5
	g := mustGraph(t, 3000, fill32(2), V1_1)
	cfg := LabelConfig{Cache: newCache(t, g), Layers: layers}
	replica := fill32(7)
	dir := label(t, cfg, replica)
	want := readLayers(t, dir, layers)

	damage := []struct {
		name  string
		apply func(t *testing.T)
		kept  int // layers whose files must survive the rerun
	}{
		{"last layer deleted", func(t *testing.T) { os.Remove(filepath.Join(dir, LayerFileName(layers))) }, layers - 1},
		{"layer 3 deleted", func(t *testing.T) { os.Remove(filepath.Join(dir, LayerFileName(3))) }, 2},
		{"layer 2 truncated, stale temporary file", func(t *testing.T) {
			os.Truncate(filepath.Join(dir, LayerFileName(2)), 100)
			os.WriteFile(filepath.Join(dir, LayerFileName(3)+".tmp"), []byte("partial"), 0o600)
		}, 1},
		{"layer 4 of another replica", func(t *testing.T) {
			b := readLayers(t, dir, 4)[3]
			b[0] ^= 1
			os.WriteFile(filepath.Join(dir, LayerFileName(4)), b, 0o600)
		}, 3},
		{"nothing missing", func(t *testing.T) {}, layers},
	}
	for _, d := range damage {
		t.Run(d.name, func(t *testing.T) {
			var before []os.FileInfo
			for l := 1; l <= d.kept; l++ {
				before = append(before, fileInfo(t, dir, l))
			}
			d.apply(t)
			if err := LabelLayers(context.Background(), cfg, replica, dir); err != nil {
				t.Fatal(err)
			}
			got := readLayers(t, dir, layers)
			for l := range got {
				if !bytes.Equal(got[l], want[l]) {
					t.Fatalf("layer %d differs after the rerun", l+1)
				}
			}
			for l, fi := range before {
				if !os.SameFile(fi, fileInfo(t, dir, l+1)) {
					t.Errorf("layer %d was rewritten; it was complete", l+1)
				}
			}
		})
	}
}

// TestLabelLayers_Cancel cancels a run and checks that a rerun finishes it
// with the same labels.
func TestLabelLayers_Cancel(t *testing.T) {
	g := mustGraph(t, 1<<15, fill32(2), V1_1)
	cfg := LabelConfig{Cache: newCache(t, g), Layers: 3}
	replica := fill32(7)
	want := readLayers(t, label(t, cfg, replica), 3)

	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := LabelLayers(ctx, cfg, replica, dir); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v", err)
	}
	if err := LabelLayers(context.Background(), cfg, replica, dir); err != nil {
		t.Fatal(err)
	}
	got := readLayers(t, dir, 3)
	for l := range got {
		if !bytes.Equal(got[l], want[l]) {
			t.Fatalf("layer %d differs", l+1)
		}
	}
}

// TestLabelKernel_MatchesGeneric compares the assembly kernel with the
// portable labeller on random layers and parents (any valid parents, not
// only a graph's), in both kinds of layer.
func TestLabelKernel_MatchesGeneric(t *testing.T) {
	requireKernel(t)
	rng := rand.New(rand.NewPCG(8, 9))
	const nodes = 2000
	for _, layer := range []int{1, 2, 7} {
		prev := make([]byte, nodes*NodeSize)
		for i := range prev {
			prev[i] = byte(rng.Uint32())
		}
		parents := make([]uint32, nodes*Degree)
		for v := 1; v < nodes; v++ {
			for j := range Degree {
				lim := uint32(v)
				if j >= BaseDegree {
					lim = nodes
				}
				parents[v*Degree+j] = rng.Uint32N(lim)
			}
		}
		replica := [32]byte(prev[:32])
		b := make([]byte, len(prev))
		copy(b[:NodeSize], prev[NodeSize:])
		labelsGeneric(b, prev, parents[Degree:], 1, nodes-1, &replica, layer)
		for i, k := range kernels() {
			a := make([]byte, len(prev))
			copy(a[:NodeSize], prev[NodeSize:])
			k.run1(a, prev, parents[Degree:], 1, nodes-1, &replica, layer)
			if !bytes.Equal(a, b) {
				t.Fatalf("layer %d: kernel variant %d and generic labels differ", layer, i)
			}
		}
	}
}

func TestLabelLayers_Errors(t *testing.T) {
	if err := LabelLayers(context.Background(), LabelConfig{Layers: 2}, [32]byte{}, t.TempDir()); !errors.Is(err, ErrConfig) {
		t.Errorf("no cache: %v", err)
	}
	g := mustGraph(t, 64, fill32(2), V1_1)
	if err := LabelLayers(context.Background(), LabelConfig{Cache: newCache(t, g)}, [32]byte{}, t.TempDir()); !errors.Is(err, ErrConfig) {
		t.Errorf("no layers: %v", err)
	}
	dir := label(t, LabelConfig{Cache: newCache(t, g), Layers: 2}, fill32(1))
	if _, err := OpenLabels(dir, 3, 64); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenLabels with a missing layer: %v", err)
	}
	if _, err := OpenLabels(dir, 2, 65); !errors.Is(err, ErrLayerFile) {
		t.Errorf("OpenLabels with the wrong node count: %v", err)
	}
	ls, err := OpenLabels(dir, 2, 64)
	if err != nil {
		t.Fatal(err)
	}
	defer ls.Close()
	if _, err := ls.Label(3, 0); !errors.Is(err, ErrLayerRange) {
		t.Errorf("Label(3, 0): %v", err)
	}
	if _, err := ls.Label(1, 64); !errors.Is(err, ErrNodeRange) {
		t.Errorf("Label(1, 64): %v", err)
	}
	col, err := ls.Column(5)
	if err != nil || len(col) != 2 {
		t.Fatalf("Column(5) = %v, %v", col, err)
	}
	for l := range 2 {
		if lab, _ := ls.Label(l+1, 5); lab != col[l] {
			t.Errorf("Column(5)[%d] = %x, Label = %x", l, col[l], lab)
		}
	}
}

// TestLabels_ParentLabelsRecomputeLabel recomputes stored labels from
// ParentLabels with ComputeLabel, the check a vanilla proof makes (§5).
func TestLabels_ParentLabelsRecomputeLabel(t *testing.T) {
	for _, v := range []Version{V1_0, V1_1} {
		g := mustGraph(t, 500, fill32(3), v)
		replica := fill32(5)
		dir := label(t, LabelConfig{Cache: newCache(t, g), Layers: 3}, replica)
		ls, err := OpenLabels(dir, 3, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, layer := range []int{1, 2, 3} {
			for _, node := range []uint64{0, 1, 2, 250, 499} {
				parents, err := ls.ParentLabels(g, layer, node)
				if err != nil {
					t.Fatal(err)
				}
				got, err := ComputeLabel(replica, layer, node, parents)
				if err != nil {
					t.Fatal(err)
				}
				if want, _ := ls.Label(layer, node); got != want {
					t.Errorf("%v layer %d node %d: recomputed %x, stored %x", v, layer, node, got, want)
				}
			}
		}
		if _, err := ComputeLabel(replica, 1, 5, nil); !errors.Is(err, ErrConfig) {
			t.Errorf("ComputeLabel without parents: %v", err)
		}
		ls.Close()
	}
}

// TestLabelKernel2_MatchesGeneric compares the two-sector kernel with the
// portable labeller run on each sector, on random layers and parents.
func TestLabelKernel2_MatchesGeneric(t *testing.T) {
	requireKernel(t)
	rng := rand.New(rand.NewPCG(10, 11))
	const nodes = 1500
	random := func() []byte {
		b := make([]byte, nodes*NodeSize)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	for _, layer := range []int{1, 2, 11} {
		prevA, prevB := random(), random()
		parents := make([]uint32, nodes*Degree)
		for v := 1; v < nodes; v++ {
			for j := range Degree {
				lim := uint32(v)
				if j >= BaseDegree {
					lim = nodes
				}
				parents[v*Degree+j] = rng.Uint32N(lim)
			}
		}
		repA, repB := [32]byte(random()), [32]byte(random())
		initA, initB := random(), random() // label 0 of each, and garbage to overwrite
		wantA, wantB := bytes.Clone(initA), bytes.Clone(initB)
		labelsGeneric(wantA, prevA, parents[Degree:], 1, nodes-1, &repA, layer)
		labelsGeneric(wantB, prevB, parents[Degree:], 1, nodes-1, &repB, layer)
		for i, k := range kernels() {
			curA, curB := bytes.Clone(initA), bytes.Clone(initB)
			k.run2(curA, prevA, curB, prevB, parents[Degree:], 1, nodes-1, &repA, &repB, layer)
			if !bytes.Equal(curA, wantA) || !bytes.Equal(curB, wantB) {
				t.Fatalf("layer %d: two-sector kernel variant %d differs from the portable labeller", layer, i)
			}
		}
	}
}

// TestLabelSectors_PairMatchesSingle labels two sectors together and checks
// each against LabelLayers, also when their restart points differ.
func TestLabelSectors_PairMatchesSingle(t *testing.T) {
	const layers = 4
	g := mustGraph(t, 5000, fill32(6), V1_1)
	cfg := LabelConfig{Cache: newCache(t, g), Layers: layers}
	sectors := []Sector{{ReplicaID: fill32(1), CacheDir: t.TempDir()}, {ReplicaID: fill32(2), CacheDir: t.TempDir()}, {ReplicaID: fill32(3), CacheDir: t.TempDir()}}
	if err := LabelSectors(context.Background(), cfg, sectors); err != nil {
		t.Fatal(err)
	}
	check := func() {
		t.Helper()
		for _, s := range sectors {
			want := readLayers(t, label(t, cfg, s.ReplicaID), layers)
			got := readLayers(t, s.CacheDir, layers)
			for l := range want {
				if !bytes.Equal(got[l], want[l]) {
					t.Fatalf("sector %x: layer %d differs from LabelLayers", s.ReplicaID[0], l+1)
				}
			}
		}
	}
	check()
	os.Remove(filepath.Join(sectors[0].CacheDir, LayerFileName(3)))
	os.Remove(filepath.Join(sectors[0].CacheDir, LayerFileName(4)))
	os.Remove(filepath.Join(sectors[1].CacheDir, LayerFileName(2)))
	if err := LabelSectors(context.Background(), cfg, sectors[:2]); err != nil {
		t.Fatal(err)
	}
	check()
	// Same restart point: the pair resumes together from layer 3.
	for _, s := range sectors[:2] {
		os.Remove(filepath.Join(s.CacheDir, LayerFileName(4)))
	}
	if err := LabelSectors(context.Background(), cfg, sectors[:2]); err != nil {
		t.Fatal(err)
	}
	check()
}

// requireKernel skips a test of the assembly kernels on a machine without
// them (no SHA-NI, another architecture, the purego tag), and fails it
// instead when STRATA_REQUIRE_SHANI=1, which make test sets on a CPU with
// SHA-NI, so that CI never skips them silently.
func requireKernel(t *testing.T) {
	t.Helper()
	if haveKernel() {
		return
	}
	if os.Getenv("STRATA_REQUIRE_SHANI") == "1" {
		t.Fatal("STRATA_REQUIRE_SHANI=1 but the SHA-NI label kernels are not available in this build")
	}
	t.Skip("no assembly kernel on this machine (set STRATA_REQUIRE_SHANI=1 to make this a failure)")
}
