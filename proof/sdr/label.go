package sdr

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// LayerFileName returns the name of layer's label file in a cache
// directory, the name rust-fil-proofs gives it (a StoreConfig with id
// "layer-N" is stored as "sc-02-data-layer-N.dat"). Layers count from 1.
func LayerFileName(layer int) string {
	return "sc-02-data-layer-" + strconv.Itoa(layer) + ".dat"
}

// LabelConfig says what LabelLayers labels and how.
type LabelConfig struct {
	// Cache holds the parents; its Graph gives the node count.
	Cache *ParentCache
	// Layers is the number of layers to label (Layers of the proof: 2 or
	// 11).
	Layers int
	// Logger receives a line per layer; nil discards them.
	Logger *slog.Logger

	// portable forces the Go implementation even where the assembly
	// kernel runs (tests compare the two).
	portable bool
}

// Validate checks the configuration.
func (c *LabelConfig) Validate() error {
	if c.Cache == nil || c.Cache.g == nil {
		return fmt.Errorf("no parent cache: %w", ErrConfig)
	}
	if c.Layers < 1 {
		return fmt.Errorf("%d layers: %w", c.Layers, ErrConfig)
	}
	return nil
}

// Sector is one sector to label: its replica_id and the cache directory
// its layer files go to.
type Sector struct {
	ReplicaID [32]byte
	CacheDir  string
}

// LabelLayers computes the labels of all layers of a sector with the given
// replica_id and writes layer l to cacheDir/LayerFileName(l) (§3).
//
// Each layer is written to a temporary name, synced and renamed, so a layer
// file that exists is complete. A rerun, after a crash or cancellation,
// keeps the layers 1..k whose files have the right size and the right label
// of node 0 (which depends only on replica_id and the layer, so it also
// catches files of another replica) and recomputes from layer k+1; with
// every layer present it returns at once.
//
// Labelling a layer is sequential: node v needs the labels of its base
// parents, earlier nodes of the same layer, and from layer 2 on those of
// its expander parents in the previous layer. So it runs on one core, with
// the current and previous layers in memory (2 × nodes × 32 bytes) and the
// parent cache streamed through a few MiB. Writing a finished layer and
// reading the cache ahead happen on other goroutines. Concurrent calls must
// not share a cache directory.
func LabelLayers(ctx context.Context, cfg LabelConfig, replicaID [32]byte, cacheDir string) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("label layers: %w", err)
	}
	return labelGroup(ctx, &cfg, []Sector{{ReplicaID: replicaID, CacheDir: cacheDir}})
}

// LabelSectors labels several sectors of the same graph (the one of
// cfg.Cache), as LabelLayers does each, two at a time on one core: their
// label chains are interleaved in one kernel and share one pass over the
// parent cache. A single label is a chain of 19 dependent SHA-256
// compressions whose instruction latency leaves the SHA unit partly idle;
// a second, independent chain fills those gaps, so a pair costs much less
// than two labels one after the other (BenchmarkLabelKernel). A pair needs
// the memory of four layers. Sectors whose restart points differ, or
// machines without the assembly kernels, are labelled one at a time.
func LabelSectors(ctx context.Context, cfg LabelConfig, sectors []Sector) error {
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("label sectors: %w", err)
	}
	for len(sectors) > 0 {
		n := min(2, len(sectors))
		if err := labelGroup(ctx, &cfg, sectors[:n]); err != nil {
			return err
		}
		sectors = sectors[n:]
	}
	return nil
}

// labelGroup labels one sector, or two in step.
func labelGroup(ctx context.Context, cfg *LabelConfig, group []Sector) error {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := cfg.Cache.g
	size := int64(g.nodes) * NodeSize

	done := make([]int, len(group))
	for i, s := range group {
		for l := 1; l <= cfg.Layers; l++ {
			ok, err := layerComplete(filepath.Join(s.CacheDir, LayerFileName(l)), size, &s.ReplicaID, l)
			if err != nil {
				return fmt.Errorf("label layers in %s: %w", s.CacheDir, err)
			}
			if !ok {
				break
			}
			done[i] = l
		}
	}
	if len(group) == 2 && (done[0] != done[1] || !haveKernel() || cfg.portable) {
		for _, s := range group {
			if err := labelGroup(ctx, cfg, []Sector{s}); err != nil {
				return err
			}
		}
		return nil
	}
	from := done[0]
	if from == cfg.Layers {
		log.Info("sdr layers already labelled", "layers", from)
		return nil
	}

	// Per sector: the layer being labelled and the previous one.
	cur := make([]*layerBuf, len(group))
	prev := make([]*layerBuf, len(group))
	defer func() {
		for i := range group {
			cur[i].free()
			prev[i].free()
		}
	}()
	replicas := make([]*[32]byte, len(group))
	for i, s := range group {
		replicas[i] = &group[i].ReplicaID
		var err error
		if cur[i], err = allocLayer(size); err != nil {
			return fmt.Errorf("label layers: %w", err)
		}
		if from == 0 && cfg.Layers == 1 {
			continue // one layer, nothing before it
		}
		if prev[i], err = allocLayer(size); err != nil {
			return fmt.Errorf("label layers: %w", err)
		}
		if from > 0 {
			if err := readLayer(filepath.Join(s.CacheDir, LayerFileName(from)), prev[i].b); err != nil {
				return fmt.Errorf("label layers in %s: resume after layer %d: %w", s.CacheDir, from, err)
			}
		}
	}
	if from > 0 {
		log.Info("sdr labelling resumes", "after_layer", from, "sectors", len(group))
	}

	// writing is the write of the previous layers, running while the next
	// ones are labelled; their buffers are only read meanwhile.
	var writing chan error
	wait := func() error {
		if writing == nil {
			return nil
		}
		err := <-writing
		writing = nil
		return err
	}
	defer wait()

	for l := from + 1; l <= cfg.Layers; l++ {
		start := time.Now()
		if err := labelLayer(ctx, cfg, l, replicas, cur, prev); err != nil {
			return fmt.Errorf("label layer %d: %w", l, err)
		}
		if err := wait(); err != nil {
			return fmt.Errorf("label layers: %w", err)
		}
		writing = make(chan error, 1)
		bufs := make([][]byte, len(group))
		for i := range group {
			bufs[i] = cur[i].b
		}
		go func(l int, bufs [][]byte, ch chan<- error) {
			var errs []error
			for i, s := range group {
				errs = append(errs, writeLayer(filepath.Join(s.CacheDir, LayerFileName(l)), bufs[i]))
			}
			ch <- errors.Join(errs...)
		}(l, bufs, writing)
		log.Info("sdr layer labelled", "layer", l, "nodes", g.nodes, "sectors", len(group), "elapsed", time.Since(start))
		cur, prev = prev, cur
	}
	if err := wait(); err != nil {
		return fmt.Errorf("label layers: %w", err)
	}
	return nil
}

// labelLayer labels layer l (1-based) of each sector into cur[i], with
// prev[i] holding its layer l-1 when l >= 2. With two sectors it runs the
// two-sector kernel, which labelGroup only asks for when there is one.
func labelLayer(ctx context.Context, cfg *LabelConfig, l int, replicas []*[32]byte, cur, prev []*layerBuf) error {
	s := cfg.Cache.stream(ctx)
	defer s.stop()
	kernel := haveKernel() && !cfg.portable
	prevOf := func(i int) []byte {
		if l == 1 {
			return nil
		}
		return prev[i].b
	}
	for {
		ch, ok := s.next(ctx)
		if !ok {
			break
		}
		first, n := ch.first, uint64(len(ch.parents)/Degree)
		parents := ch.parents
		if first == 0 {
			for i, r := range replicas {
				l0 := labelNode0(r, l)
				copy(cur[i].b[:NodeSize], l0[:])
			}
			first, n, parents = 1, n-1, parents[Degree:]
		}
		switch {
		case n == 0:
		case len(replicas) == 2:
			labelsKernel2(cur[0].b, prevOf(0), cur[1].b, prevOf(1), parents, first, n, replicas[0], replicas[1], l)
		case kernel:
			labelsKernel(cur[0].b, prevOf(0), parents, first, n, replicas[0], l)
		default:
			labelsGeneric(cur[0].b, prevOf(0), parents, first, n, replicas[0], l)
		}
		s.release(ch)
	}
	if err := s.err(); err != nil {
		return err
	}
	return ctx.Err()
}

// putHeader writes the 64-byte header of a label's message (§3):
// replica_id, the layer as u32 BE, the node as u64 BE and 20 zero bytes.
func putHeader(h []byte, replica *[32]byte, layer int, node uint64) {
	copy(h[:32], replica[:])
	binary.BigEndian.PutUint32(h[32:36], uint32(layer))
	binary.BigEndian.PutUint64(h[36:44], node)
	clear(h[44:64])
}

// labelNode0 returns the label of node 0, which hashes the header alone in
// every layer (§3).
func labelNode0(replica *[32]byte, layer int) [32]byte {
	var h [64]byte
	putHeader(h[:], replica, layer, 0)
	sum := sha256.Sum256(h[:])
	sum[31] &= 0x3f
	return sum
}

// labelsGeneric is the portable labeller: labelsKernel's contract, building
// each 1,248-byte message and hashing it with crypto/sha256.
func labelsGeneric(cur, prev []byte, parents []uint32, first, count uint64, replica *[32]byte, layer int) {
	var msg [64 + TotalParents*NodeSize]byte
	for i := range count {
		v := first + i
		p := (*[Degree]uint32)(parents[i*Degree : (i+1)*Degree])
		putHeader(msg[:64], replica, layer, v)
		// The parent list: in layer 1 the 6 base parents six times and
		// the first once more; later 6 base and 8 expander parents,
		// twice, then the first 9 (§3).
		k := 0
		for slot := range TotalParents {
			var lab []byte
			if layer == 1 {
				lab = cur[NodeSize*int(p[slot%BaseDegree]):]
			} else if j := slot % Degree; j < BaseDegree {
				lab = cur[NodeSize*int(p[j]):]
			} else {
				lab = prev[NodeSize*int(p[j]):]
			}
			k += copy(msg[64+k:64+k+NodeSize], lab)
		}
		sum := sha256.Sum256(msg[:])
		sum[31] &= 0x3f
		copy(cur[NodeSize*v:], sum[:])
	}
}

// layerComplete reports whether path is a complete layer file: the right
// size, with the node-0 label of this replica and layer.
func layerComplete(path string, size int64, replica *[32]byte, layer int) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	if fi.Size() != size {
		return false, nil
	}
	var got [NodeSize]byte
	if _, err := f.ReadAt(got[:], 0); err != nil {
		return false, err
	}
	return got == labelNode0(replica, layer), nil
}

// readLayer reads a whole layer file into b.
func readLayer(path string, b []byte) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.ReadFull(f, b)
	return err
}

// writeLayer writes b to path through a temporary file, synced before the
// rename so that a layer file never exists incomplete.
func writeLayer(path string, b []byte) (err error) {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("write layer: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if _, err := f.Write(b); err != nil {
		return fmt.Errorf("write layer: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write layer: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write layer: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write layer: %w", err)
	}
	syncDir(filepath.Dir(path))
	return nil
}
