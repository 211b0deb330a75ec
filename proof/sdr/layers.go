package sdr

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Labels reads labels back from the layer files LabelLayers wrote: single
// labels, and columns (the labels of one node in every layer), which the
// vanilla proofs open for each challenged node and its parents (§5). It is
// safe for concurrent use; Close must not race with other methods.
type Labels struct {
	files []*os.File // layer l is files[l-1]
	nodes uint64
}

// OpenLabels opens the files of layers 1..layers in cacheDir, each of which
// must hold nodes labels.
func OpenLabels(cacheDir string, layers int, nodes uint64) (*Labels, error) {
	if layers < 1 {
		return nil, fmt.Errorf("open labels: %d layers: %w", layers, ErrLayerRange)
	}
	ls := &Labels{nodes: nodes}
	for l := 1; l <= layers; l++ {
		path := filepath.Join(cacheDir, LayerFileName(l))
		f, err := os.Open(path)
		if err != nil {
			ls.Close()
			return nil, fmt.Errorf("open labels: %w", err)
		}
		ls.files = append(ls.files, f)
		fi, err := f.Stat()
		if err != nil {
			ls.Close()
			return nil, fmt.Errorf("open labels: %w", err)
		}
		if want := int64(nodes) * NodeSize; fi.Size() != want {
			ls.Close()
			return nil, fmt.Errorf("open labels: %s: %d bytes, want %d: %w", path, fi.Size(), want, ErrLayerFile)
		}
	}
	return ls, nil
}

// Layers returns the number of layers.
func (ls *Labels) Layers() int { return len(ls.files) }

// Nodes returns the number of nodes per layer.
func (ls *Labels) Nodes() uint64 { return ls.nodes }

// Label returns the label of node in layer (1-based).
func (ls *Labels) Label(layer int, node uint64) ([NodeSize]byte, error) {
	var lab [NodeSize]byte
	if layer < 1 || layer > len(ls.files) {
		return lab, fmt.Errorf("label of layer %d of %d: %w", layer, len(ls.files), ErrLayerRange)
	}
	if node >= ls.nodes {
		return lab, fmt.Errorf("label of node %d of %d: %w", node, ls.nodes, ErrNodeRange)
	}
	if _, err := ls.files[layer-1].ReadAt(lab[:], int64(node)*NodeSize); err != nil {
		return lab, fmt.Errorf("label of layer %d node %d: %w", layer, node, err)
	}
	return lab, nil
}

// Column returns the labels of node in layers 1..Layers(), in order: the
// column that tree_c hashes into its leaf (§4) and a column proof opens.
func (ls *Labels) Column(node uint64) ([][NodeSize]byte, error) {
	col := make([][NodeSize]byte, len(ls.files))
	for l := range ls.files {
		lab, err := ls.Label(l+1, node)
		if err != nil {
			return nil, err
		}
		col[l] = lab
	}
	return col, nil
}

// Close closes the layer files. It is idempotent.
func (ls *Labels) Close() error {
	var errs []error
	for _, f := range ls.files {
		errs = append(errs, f.Close())
	}
	ls.files = nil
	return errors.Join(errs...)
}

// ParentLabels returns the labels a node's label in layer hashes, in hash
// order (§3): none for node 0; in layer 1 the 6 base parents six times and
// the first once more; later the 6 base parents (this layer) and 8 expander
// parents (layer-1), twice, then the first 9. That is the parent list of a
// labeling or encoding proof (§5), and ComputeLabel of it is the label.
func (ls *Labels) ParentLabels(g *Graph, layer int, node uint64) ([][NodeSize]byte, error) {
	if layer < 1 || layer > len(ls.files) {
		return nil, fmt.Errorf("parent labels of layer %d of %d: %w", layer, len(ls.files), ErrLayerRange)
	}
	if node == 0 {
		return nil, nil
	}
	var p [Degree]uint32
	if err := g.Parents(node, &p); err != nil {
		return nil, err
	}
	distinct := make([][NodeSize]byte, Degree)
	n := BaseDegree
	if layer > 1 {
		n = Degree
	}
	for j := range n {
		l := layer
		if j >= BaseDegree {
			l = layer - 1
		}
		lab, err := ls.Label(l, uint64(p[j]))
		if err != nil {
			return nil, err
		}
		distinct[j] = lab
	}
	out := make([][NodeSize]byte, TotalParents)
	for i := range out {
		out[i] = distinct[i%n]
	}
	return out, nil
}

// ComputeLabel recomputes a label from its parent labels in hash order
// (ParentLabels): SHA-256 of the header and the parents, with the top two
// bits of byte 31 cleared (§3). parents must be empty for node 0 and hold
// TotalParents labels otherwise.
func ComputeLabel(replicaID [32]byte, layer int, node uint64, parents [][NodeSize]byte) ([NodeSize]byte, error) {
	if node == 0 && len(parents) != 0 || node != 0 && len(parents) != TotalParents {
		return [NodeSize]byte{}, fmt.Errorf("label of node %d from %d parents: %w", node, len(parents), ErrConfig)
	}
	h := sha256.New()
	var hdr [64]byte
	putHeader(hdr[:], &replicaID, layer, node)
	h.Write(hdr[:])
	for i := range parents {
		h.Write(parents[i][:])
	}
	var lab [NodeSize]byte
	h.Sum(lab[:0])
	lab[31] &= 0x3f
	return lab, nil
}
