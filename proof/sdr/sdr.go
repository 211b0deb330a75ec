// Package sdr implements the Stacked-DRG proof of replication graph and its
// layer labelling, byte for byte as rust-fil-proofs computes them (see
// /work/shared/research/sdr-spec.md, "the spec" below; section numbers refer
// to it).
//
// A sector of n 32-byte nodes is labelled in L layers. The label of node v in
// layer l is SHA-256 over a 64-byte header (replica_id, l, v) and 37 parent
// labels: 6 base (DRG) parents from the same layer and, from layer 2 on, 8
// expander parents from layer l-1, with the top two bits of the digest
// cleared so that it is a canonical BLS12-381 scalar (§3). The parents come
// from a Graph (§1, §2), which depends only on the node count, the porep_id
// and the API version; ParentCache stores all parents of all nodes in the
// file format rust-fil-proofs uses, with the same SHA-256 digest.
//
// Read in this order: sdr.go (constants, errors, versions), porep.go
// (porep_id, replica_id), graph.go (Graph), cache.go (ParentCache),
// label.go (LabelLayers, LabelSectors) and layers.go (Labels: labels,
// columns and parent labels read back for the vanilla proofs). The
// assembly behind labelling is described in label_amd64.h; sha2raw is the
// block-level SHA-256 it is checked against.
//
// Typical use by a sealing engine:
//
//	g, _ := sdr.GraphFor(proof.StackedDrg512MiBV1_1)
//	cache, _ := sdr.EnsureParentCache(ctx, g, parentsDir, 0)
//	id := sdr.ReplicaID(proverID, sectorNumber, ticket, commD, g.PoRepID())
//	err := sdr.LabelLayers(ctx, sdr.LabelConfig{Cache: cache, Layers: 2}, id, sectorCacheDir)
//	labels, _ := sdr.OpenLabels(sectorCacheDir, 2, g.Nodes())
//	column, _ := labels.Column(challenge)
package sdr

import (
	"errors"
	"fmt"

	"github.com/strata-sp/strata/proof"
)

// Sizes and degrees of the construction (§0).
const (
	// NodeSize is the size in bytes of a node and of a label.
	NodeSize = proof.NodeSize
	// BaseDegree is the number of base (DRG) parents of a node.
	BaseDegree = 6
	// ExpanderDegree is the number of expander parents of a node.
	ExpanderDegree = 8
	// Degree is the number of parents a node has in the graph.
	Degree = BaseDegree + ExpanderDegree
	// TotalParents is the number of parent labels hashed into a label,
	// parents being repeated to reach it (§3).
	TotalParents = 37
	// MaxNodes is the largest node count a Graph supports: node indexes are
	// u32 in rust-fil-proofs (§0).
	MaxNodes = 1 << 32
)

// Errors returned by this package, wrapped with context.
var (
	// ErrUnknownProof: the registered seal proof is not a Stacked-DRG proof
	// this package knows.
	ErrUnknownProof = errors.New("sdr: unknown registered seal proof")
	// ErrUnknownVersion: an API version other than 1.0, 1.1 and 1.2.
	ErrUnknownVersion = errors.New("sdr: unknown API version")
	// ErrNodeCount: a node count outside [2, MaxNodes].
	ErrNodeCount = errors.New("sdr: node count out of range")
	// ErrNodeRange: a node index at or beyond the node count.
	ErrNodeRange = errors.New("sdr: node index out of range")
	// ErrLayerRange: a layer number outside [1, layers].
	ErrLayerRange = errors.New("sdr: layer out of range")
	// ErrCacheSize: a parent cache file whose size does not match its graph.
	ErrCacheSize = errors.New("sdr: parent cache has the wrong size")
	// ErrCacheDigest: a parent cache file whose SHA-256 is not the expected
	// one.
	ErrCacheDigest = errors.New("sdr: parent cache digest mismatch")
	// ErrCacheParent: a parent cache entry that cannot be a parent of its
	// node (a base parent not before it, an expander parent out of range);
	// the file is corrupt or belongs to another graph.
	ErrCacheParent = errors.New("sdr: invalid parent in parent cache")
	// ErrLayerFile: a layer file with the wrong size.
	ErrLayerFile = errors.New("sdr: layer file has the wrong size")
	// ErrConfig: an invalid labelling configuration.
	ErrConfig = errors.New("sdr: invalid labelling configuration")
)

// Version is the proofs API version, which selects between the two variants
// of the graph (§0): 1.0 puts the predecessor last among the base parents
// and truncates expander parents to u32 before dividing; 1.1 and 1.2 make
// identical graphs and labels.
type Version int

// The API versions.
const (
	V1_0 Version = iota + 1
	V1_1
	V1_2
)

// String returns the version as rust-fil-proofs prints it.
func (v Version) String() string {
	switch v {
	case V1_0:
		return "1.0.0"
	case V1_1:
		return "1.1.0"
	case V1_2:
		return "1.2.0"
	}
	return fmt.Sprintf("Version(%d)", int(v))
}

func (v Version) valid() bool { return v >= V1_0 && v <= V1_2 }

// VersionOf returns the API version of a registered seal proof
// (registry.rs version(), §0): 1.0 for V1, 1.1 for V1_1, 1.2 for the
// synthetic and non-interactive variants.
func VersionOf(p proof.SealProof) (Version, error) {
	switch {
	case !p.Valid():
		return 0, fmt.Errorf("version of proof %d: %w", p, ErrUnknownProof)
	case p < proof.StackedDrg2KiBV1_1:
		return V1_0, nil
	case p < proof.StackedDrg2KiBV1_1_Feat_SyntheticPoRep:
		return V1_1, nil
	}
	return V1_2, nil
}

// GraphFor returns the stacked graph of a registered seal proof: its node
// count, porep_id and API version.
func GraphFor(p proof.SealProof) (*Graph, error) {
	nodes, err := p.Nodes()
	if err != nil {
		return nil, fmt.Errorf("graph of proof %d: %w: %w", p, ErrUnknownProof, err)
	}
	v, _ := VersionOf(p)
	id, _ := p.PoRepID()
	return NewGraph(nodes, id, v)
}
