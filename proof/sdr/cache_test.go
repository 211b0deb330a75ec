package sdr

import (
	"context"
	"encoding/hex"
	"errors"
	"github.com/strata-sp/strata/proof"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestParentCache_Digests checks the SHA-256 of the whole parent cache of the
// 2 KiB and 8 MiB proofs in both versions against parent_cache.json
// (sdr-spec.md §6(b)): every base and expander parent of every node.
func TestParentCache_Digests(t *testing.T) {
	tests := []struct {
		p    proof.SealProof
		want string
	}{
		{proof.StackedDrg2KiBV1, "3da49221e2ed55371b86d0bf3d6526fcf128af61bed904f966428db1b531750d"},
		{proof.StackedDrg2KiBV1_1, "840057702eea7652cf97e04306c30fe57174714d90de156a25eddd6075c25b97"},
		{proof.StackedDrg8MiBV1, "a76604f2f59f2744c7151653bbb1d8596b6b57d295e6fa6c1f0c41d725b502ce"},
		{proof.StackedDrg8MiBV1_1, "03cd13565ded97c240a5f52e54295ad127bd0461b57904cb3a4d79b097bbecab"},
	}
	for _, tt := range tests {
		g, err := GraphFor(tt.p)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), g.ParentCacheName())
		digest, err := CreateParentCache(context.Background(), g, path, 2)
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(digest[:]); got != tt.want {
			t.Errorf("proof %d: digest %s, want %s", tt.p, got, tt.want)
		}
		known, ok := KnownParentCacheDigest(g)
		if !ok || hex.EncodeToString(known[:]) != tt.want {
			t.Errorf("proof %d: KnownParentCacheDigest %x, %v", tt.p, known, ok)
		}
		c, err := OpenParentCache(g, path)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Verify(known); err != nil {
			t.Errorf("proof %d: Verify: %v", tt.p, err)
		}
		// Random access agrees with the graph.
		for _, node := range []uint64{0, 1, 2, g.Nodes() / 3, g.Nodes() - 1} {
			var fromCache, fromGraph [Degree]uint32
			if err := c.Parents(node, &fromCache); err != nil {
				t.Fatal(err)
			}
			if err := g.Parents(node, &fromGraph); err != nil {
				t.Fatal(err)
			}
			if fromCache != fromGraph {
				t.Errorf("proof %d node %d: cache %v, graph %v", tt.p, node, fromCache, fromGraph)
			}
		}
		c.Close()
	}
}

// TestParentCache_ParallelEqualsSerial builds the same cache with one and
// with three workers (more than chunks in flight per worker) and compares.
func TestParentCache_ParallelEqualsSerial(t *testing.T) {
	g := mustGraph(t, 5*cacheChunkNodes+77, fill32(7), V1_1)
	dir := t.TempDir()
	var digests [][32]byte
	var files [][]byte
	for _, workers := range []int{1, 3} {
		path := filepath.Join(dir, "cache")
		d, err := CreateParentCache(context.Background(), g, path, workers)
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		digests, files = append(digests, d), append(files, b)
	}
	if digests[0] != digests[1] || !slices.Equal(files[0], files[1]) {
		t.Fatalf("serial and parallel caches differ: %x, %x", digests[0], digests[1])
	}
	d, err := ParentCacheDigest(context.Background(), g, 2)
	if err != nil || d != digests[0] {
		t.Fatalf("ParentCacheDigest = %x, %v; want %x", d, err, digests[0])
	}
}

func TestParentCache_Errors(t *testing.T) {
	g := mustGraph(t, 64, fill32(1), V1_1)
	dir := t.TempDir()
	path := filepath.Join(dir, "cache")
	if err := os.WriteFile(path, make([]byte, 10), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenParentCache(g, path); !errors.Is(err, ErrCacheSize) {
		t.Errorf("short file: %v, want ErrCacheSize", err)
	}
	if _, err := CreateParentCache(context.Background(), g, path, 1); err != nil {
		t.Fatal(err)
	}
	c, err := OpenParentCache(g, path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Verify([32]byte{}); !errors.Is(err, ErrCacheDigest) {
		t.Errorf("Verify(zero): %v, want ErrCacheDigest", err)
	}
	var p [Degree]uint32
	if err := c.Parents(64, &p); !errors.Is(err, ErrNodeRange) {
		t.Errorf("Parents(64): %v, want ErrNodeRange", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := CreateParentCache(ctx, g, filepath.Join(dir, "c2"), 2); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled build: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "c2.tmp")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("cancelled build left its temporary file: %v", err)
	}
}

// TestParentCache_CorruptParentRejected flips a base parent to a later node
// and an expander parent out of range: labelling must refuse the cache
// rather than read outside the layers.
func TestParentCache_CorruptParentRejected(t *testing.T) {
	g := mustGraph(t, 64, fill32(1), V1_1)
	for _, off := range []int64{10*CacheEntrySize + 4, 20*CacheEntrySize + 4*BaseDegree} {
		path := filepath.Join(t.TempDir(), "cache")
		if _, err := CreateParentCache(context.Background(), g, path, 1); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteAt([]byte{200}, off) // node 10 base parent 1 = 200; node 20 expander parent 0 = 200
		f.Close()
		c, err := OpenParentCache(g, path)
		if err != nil {
			t.Fatal(err)
		}
		err = LabelLayers(context.Background(), LabelConfig{Cache: c, Layers: 2}, fill32(1), t.TempDir())
		if !errors.Is(err, ErrCacheParent) {
			t.Errorf("offset %d: %v, want ErrCacheParent", off, err)
		}
		c.Close()
	}
}

// TestParentCacheDigest_Large streams the parent cache digest of the proofs
// listed in STRATA_SDR_DIGEST_PROOFS (comma-separated proof numbers, e.g.
// "2,7" for 512 MiB, "3" for 32 GiB V1) and compares it with
// parent_cache.json, without writing the cache. It is off by default: 32 GiB
// takes about 45 minutes of one core, 64 GiB twice that (set
// STRATA_SDR_WORKERS to use more, and -timeout 0). The 32 and 64 GiB V1
// digests are the only upstream check of the v1.0 u32 truncation (§6(b)).
func TestParentCacheDigest_Large(t *testing.T) {
	list := os.Getenv("STRATA_SDR_DIGEST_PROOFS")
	if list == "" {
		t.Skip("set STRATA_SDR_DIGEST_PROOFS to run")
	}
	workers, _ := strconv.Atoi(os.Getenv("STRATA_SDR_WORKERS"))
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			t.Fatal(err)
		}
		g, err := GraphFor(proof.SealProof(n))
		if err != nil {
			t.Fatal(err)
		}
		want, ok := KnownParentCacheDigest(g)
		if !ok {
			t.Fatalf("proof %d: no listed digest", n)
		}
		start := time.Now()
		got, err := ParentCacheDigest(context.Background(), g, max(workers, 1))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("proof %d (%d nodes): digest %x in %v", n, g.Nodes(), got, time.Since(start))
		if got != want {
			t.Errorf("proof %d: digest %x, want %x", n, got, want)
		}
	}
}
