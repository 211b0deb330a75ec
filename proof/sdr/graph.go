package sdr

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/bits"
)

// Graph is the stacked DRG of one sector size, porep_id and API version: for
// each node, 6 base parents in the same layer (BucketGraph, §1) and 8
// expander parents in the previous layer (Feistel permutation, §2). It holds
// only the seeds, so it is small, immutable and safe for concurrent use; the
// parents of every node are computed on demand or read from a ParentCache.
type Graph struct {
	nodes   uint64
	version Version
	porepID [32]byte
	seed    [28]byte  // ChaCha8 seed prefix of the base parents
	keys    [4]uint64 // Feistel keys; rounds use keys[0..3]
	feistel feistel
}

// Domain separation tags of the porep_id derived seeds
// (storage-proofs-core crypto/mod.rs, §1 and §2).
const (
	drsampleTag = "Filecoin_DRSample"
	feistelTag  = "Filecoin_Feistel"
)

// NewGraph returns the graph of a sector of nodes 32-byte nodes. nodes must be
// in [2, MaxNodes]; rust-fil-proofs uses powers of two, but nothing here
// needs one.
func NewGraph(nodes uint64, porepID [32]byte, v Version) (*Graph, error) {
	if nodes < 2 || nodes > MaxNodes {
		return nil, fmt.Errorf("graph of %d nodes: %w", nodes, ErrNodeCount)
	}
	if !v.valid() {
		return nil, fmt.Errorf("graph of API version %d: %w", int(v), ErrUnknownVersion)
	}
	g := &Graph{nodes: nodes, version: v, porepID: porepID}

	// drg_seed = SHA256("Filecoin_DRSample" || porep_id)[0..28] (§1).
	h := sha256.New()
	h.Write([]byte(drsampleTag))
	h.Write(porepID[:])
	copy(g.seed[:], h.Sum(nil))

	// Feistel keys: u64 LE words of SHA256("Filecoin_Feistel" || porep_id)
	// (§2, derive_feistel_keys).
	h.Reset()
	h.Write([]byte(feistelTag))
	h.Write(porepID[:])
	raw := h.Sum(nil)
	for i := range g.keys {
		g.keys[i] = binary.LittleEndian.Uint64(raw[8*i:])
	}
	g.feistel = newFeistel(nodes*ExpanderDegree, g.keys)
	return g, nil
}

// Nodes returns the number of nodes of a layer.
func (g *Graph) Nodes() uint64 { return g.nodes }

// Version returns the API version the graph follows.
func (g *Graph) Version() Version { return g.version }

// PoRepID returns the porep_id the graph is seeded with.
func (g *Graph) PoRepID() [32]byte { return g.porepID }

// DRGSeed returns the 28-byte seed of the base parents (§1).
func (g *Graph) DRGSeed() [28]byte { return g.seed }

// FeistelKeys returns the four Feistel keys of the expander parents; the
// permutation uses the first three (§2).
func (g *Graph) FeistelKeys() [4]uint64 { return g.keys }

// Parents writes the parents of node to dst: the 6 base parents, then the 8
// expander parents, in the order labels hash them and the parent cache
// stores them.
func (g *Graph) Parents(node uint64, dst *[Degree]uint32) error {
	if node >= g.nodes {
		return fmt.Errorf("parents of node %d of %d: %w", node, g.nodes, ErrNodeRange)
	}
	g.baseParents(uint32(node), (*[BaseDegree]uint32)(dst[:BaseDegree]))
	g.expanderParents(node, (*[ExpanderDegree]uint32)(dst[BaseDegree:]))
	return nil
}

// BaseParents writes the 6 base (DRG) parents of node to dst. They are
// earlier nodes of the same layer, except for nodes 0 and 1 whose parents
// are all node 0.
func (g *Graph) BaseParents(node uint64, dst *[BaseDegree]uint32) error {
	if node >= g.nodes {
		return fmt.Errorf("base parents of node %d of %d: %w", node, g.nodes, ErrNodeRange)
	}
	g.baseParents(uint32(node), dst)
	return nil
}

// ExpanderParents writes the 8 expander parents of node to dst: nodes of the
// previous layer, anywhere in it.
func (g *Graph) ExpanderParents(node uint64, dst *[ExpanderDegree]uint32) error {
	if node >= g.nodes {
		return fmt.Errorf("expander parents of node %d of %d: %w", node, g.nodes, ErrNodeRange)
	}
	g.expanderParents(node, dst)
	return nil
}

// baseParents implements BucketGraph::parents (§1). node < g.nodes.
func (g *Graph) baseParents(node uint32, dst *[BaseDegree]uint32) {
	if node < 2 {
		*dst = [BaseDegree]uint32{}
		return
	}
	var seed [32]byte
	copy(seed[:28], g.seed[:])
	binary.LittleEndian.PutUint32(seed[28:], node)
	rng := newChaCha8(&seed)

	const mPrime = BaseDegree - 1
	meta := uint64(node) * mPrime
	// ceil(log2(meta)) as rust computes it in f64: meta < 2^35 is exact
	// in an f64 and 5*node is never a power of two, so the float result
	// is never off by one (§1 step 2).
	nBuckets := uint64(bits.Len64(meta - 1))

	// v1.0 puts the predecessor last, v1.1 and v1.2 first; the random
	// parents fill the other five slots in order (§1 step 4).
	random, pred := dst[1:], 0
	if g.version == V1_0 {
		random, pred = dst[:mPrime], mPrime
	}
	for i := range random {
		bucket := rng.next()%nBuckets + 1
		largest := min(meta, uint64(1)<<bucket)
		smallest := max(2, largest>>1)
		dist := smallest + rng.next()%(largest-smallest+1)
		p := uint32((meta - dist) / mPrime)
		if p == node {
			p = node - 1
		}
		random[i] = p
	}
	dst[pred] = node - 1
}

// expanderParents implements StackedGraph::generate_expanded_parents (§2):
// parent j of node is the Feistel permutation of 8*node+j over [0, 8*nodes),
// divided by 8. Version 1.0 truncates the permuted index to u32 before the
// division, which changes parents only when 8*nodes > 2^32 (32 and 64 GiB).
func (g *Graph) expanderParents(node uint64, dst *[ExpanderDegree]uint32) {
	for j := range dst {
		dst[j] = g.expanderParent(g.feistel.permute(node*ExpanderDegree + uint64(j)))
	}
}

// expanderParent maps a permuted expander slot t to its parent node.
func (g *Graph) expanderParent(t uint64) uint32 {
	if g.version == V1_0 {
		return uint32(t) / ExpanderDegree
	}
	return uint32(t / ExpanderDegree)
}

// Identifier returns the graph identifier rust-fil-proofs hashes into the
// parent cache file name (§2): the Debug-style description of the stacked
// graph over a BucketGraph with the Poseidon hasher.
func (g *Graph) Identifier() string {
	return fmt.Sprintf("stacked_graph::StackedGraph{expansion_degree: %d base_graph: drgraph::BucketGraph{size: %d; degree: %d; hasher: poseidon_hasher} }",
		ExpanderDegree, g.nodes, BaseDegree)
}

// ParentCacheName returns the file name rust-fil-proofs gives the parent
// cache of this graph (cache.rs, §2): "v28-sdr-parent-" and the hex SHA-256
// of the hasher name, the identifier, the four Feistel keys (u64 LE) and the
// node count (u32 LE), with the ".cache" extension. Graphs of the two
// versions with the same porep_id share the name, as upstream.
func (g *Graph) ParentCacheName() string {
	h := sha256.New()
	h.Write([]byte("poseidon_hasher"))
	h.Write([]byte(g.Identifier()))
	var b [8]byte
	for _, k := range g.keys {
		binary.LittleEndian.PutUint64(b[:], k)
		h.Write(b[:])
	}
	binary.LittleEndian.PutUint32(b[:4], uint32(g.nodes))
	h.Write(b[:4])
	return fmt.Sprintf("v28-sdr-parent-%x.cache", h.Sum(nil))
}
