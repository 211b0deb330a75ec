package proof

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// SealProof is a registered seal proof type, numbered as the network numbers
// them (go-state-types abi RegisteredSealProof): the number travels in
// pre-commit messages and selects graph, tree shape and challenge counts.
type SealProof int64

// The registered seal proofs. V1 proofs use the 1.0 graph; V1_1 and later
// the 1.1 graph. SyntheticPoRep and NiPoRep change how challenges are drawn.
const (
	StackedDrg2KiBV1 SealProof = iota
	StackedDrg8MiBV1
	StackedDrg512MiBV1
	StackedDrg32GiBV1
	StackedDrg64GiBV1
	StackedDrg2KiBV1_1
	StackedDrg8MiBV1_1
	StackedDrg512MiBV1_1
	StackedDrg32GiBV1_1
	StackedDrg64GiBV1_1
	StackedDrg2KiBV1_1_Feat_SyntheticPoRep
	StackedDrg8MiBV1_1_Feat_SyntheticPoRep
	StackedDrg512MiBV1_1_Feat_SyntheticPoRep
	StackedDrg32GiBV1_1_Feat_SyntheticPoRep
	StackedDrg64GiBV1_1_Feat_SyntheticPoRep
	StackedDrg2KiBV1_2_Feat_NiPoRep
	StackedDrg8MiBV1_2_Feat_NiPoRep
	StackedDrg512MiBV1_2_Feat_NiPoRep
	StackedDrg32GiBV1_2_Feat_NiPoRep
	StackedDrg64GiBV1_2_Feat_NiPoRep
)

// PoStProof is a registered PoSt proof type (go-state-types abi
// RegisteredPoStProof).
type PoStProof int64

// The registered PoSt proofs.
const (
	StackedDrgWinning2KiBV1 PoStProof = iota
	StackedDrgWinning8MiBV1
	StackedDrgWinning512MiBV1
	StackedDrgWinning32GiBV1
	StackedDrgWinning64GiBV1
	StackedDrgWindow2KiBV1
	StackedDrgWindow8MiBV1
	StackedDrgWindow512MiBV1
	StackedDrgWindow32GiBV1
	StackedDrgWindow64GiBV1
	StackedDrgWindow2KiBV1_1
	StackedDrgWindow8MiBV1_1
	StackedDrgWindow512MiBV1_1
	StackedDrgWindow32GiBV1_1
	StackedDrgWindow64GiBV1_1
)

// SectorSize is a sector's size in bytes (padded).
type SectorSize uint64

// The published sector sizes.
const (
	Size2KiB   SectorSize = 2 << 10
	Size8MiB   SectorSize = 8 << 20
	Size512MiB SectorSize = 512 << 20
	Size32GiB  SectorSize = 32 << 30
	Size64GiB  SectorSize = 64 << 30
)

// Errors, checked with errors.Is.
var (
	// ErrUnknownProof is returned for a proof number the network does not define.
	ErrUnknownProof = errors.New("unknown registered proof")
)

// sizeParams are what a sector size fixes (filecoin-proofs constants.rs;
// research/primitives.md §4).
type sizeParams struct {
	size        SectorSize
	name        string
	layers      int
	partitions  int // interactive PoRep partitions
	challenges  int // interactive PoRep challenges, minimum over partitions
	subArity    int // tree_c / tree_r_last shape: base arity 8, then sub, top
	topArity    int
	windowBatch int // sectors per WindowPoSt partition
}

var sizes = [5]sizeParams{
	{Size2KiB, "2KiB", 2, 1, 2, 0, 0, 2},
	{Size8MiB, "8MiB", 2, 1, 2, 0, 0, 2},
	{Size512MiB, "512MiB", 2, 1, 2, 0, 0, 2},
	{Size32GiB, "32GiB", 11, 10, 176, 8, 0, 2349},
	{Size64GiB, "64GiB", 11, 10, 176, 8, 2, 2300},
}

// Counts fixed by the protocol (primitives.md §4).
const (
	WinningPoStChallenges = 66 // leaf challenges in the one sector of a WinningPoSt
	WindowPoStChallenges  = 10 // leaf challenges per sector in a WindowPoSt
	NodeSize              = 32 // bytes per node of every graph and tree
)

func (p SealProof) params() (sizeParams, error) {
	if p < 0 || p > StackedDrg64GiBV1_2_Feat_NiPoRep {
		return sizeParams{}, fmt.Errorf("%w: seal proof %d", ErrUnknownProof, int64(p))
	}
	return sizes[int(p)%5], nil
}

// Valid reports whether p is a registered seal proof.
func (p SealProof) Valid() bool { _, err := p.params(); return err == nil }

// SectorSize returns the sector size of p.
func (p SealProof) SectorSize() (SectorSize, error) {
	sp, err := p.params()
	return sp.size, err
}

// Nodes returns the number of 32-byte nodes in a sector of p.
func (p SealProof) Nodes() (uint64, error) {
	sp, err := p.params()
	return uint64(sp.size) / NodeSize, err
}

// Layers returns the number of SDR layers of p.
func (p SealProof) Layers() (int, error) {
	sp, err := p.params()
	return sp.layers, err
}

// Graph1_1 reports whether p uses the 1.1 graph (every proof but V1).
func (p SealProof) Graph1_1() bool { return p >= StackedDrg2KiBV1_1 }

// Partitions returns the number of interactive PoRep partitions of p.
func (p SealProof) Partitions() (int, error) {
	sp, err := p.params()
	return sp.partitions, err
}

// InteractiveChallenges returns the number of interactive PoRep challenges
// per partition: the minimum divided over the partitions, rounded up, so
// 32 GiB sectors use 10 × 18 = 180 (parameters.rs select_challenges).
func (p SealProof) InteractiveChallenges() (int, error) {
	sp, err := p.params()
	if err != nil {
		return 0, err
	}
	return (sp.challenges + sp.partitions - 1) / sp.partitions, nil
}

// TreeShape returns the arities of tree_c and tree_r_last: base 8, then the
// sub-tree and top-tree arities (0 when absent).
func (p SealProof) TreeShape() (base, sub, top int, err error) {
	sp, err := p.params()
	return 8, sp.subArity, sp.topArity, err
}

// PoRepID is the porep_id that seeds the graph: the proof number and a zero
// nonce as u64 little-endian, then zeros (rust-filecoin-proofs-api
// registry.rs).
func (p SealProof) PoRepID() ([32]byte, error) {
	var id [32]byte
	if !p.Valid() {
		return id, fmt.Errorf("%w: seal proof %d", ErrUnknownProof, int64(p))
	}
	binary.LittleEndian.PutUint64(id[0:8], uint64(p))
	return id, nil
}

// WindowPoSt returns the WindowPoSt proof that sectors sealed with p are
// proven with (the V1_1 one, current on the network).
func (p SealProof) WindowPoSt() (PoStProof, error) {
	if !p.Valid() {
		return 0, fmt.Errorf("%w: seal proof %d", ErrUnknownProof, int64(p))
	}
	return StackedDrgWindow2KiBV1_1 + PoStProof(int(p)%5), nil
}

// WinningPoSt returns the WinningPoSt proof for sectors sealed with p.
func (p SealProof) WinningPoSt() (PoStProof, error) {
	if !p.Valid() {
		return 0, fmt.Errorf("%w: seal proof %d", ErrUnknownProof, int64(p))
	}
	return StackedDrgWinning2KiBV1 + PoStProof(int(p)%5), nil
}

// String is the network's name of p, e.g. "StackedDrg32GiBV1_1".
func (p SealProof) String() string {
	sp, err := p.params()
	if err != nil {
		return fmt.Sprintf("SealProof(%d)", int64(p))
	}
	suffix := [...]string{"V1", "V1_1", "V1_1_Feat_SyntheticPoRep", "V1_2_Feat_NiPoRep"}[int(p)/5]
	return "StackedDrg" + sp.name + suffix
}

func (p PoStProof) params() (sizeParams, error) {
	if p < 0 || p > StackedDrgWindow64GiBV1_1 {
		return sizeParams{}, fmt.Errorf("%w: PoSt proof %d", ErrUnknownProof, int64(p))
	}
	return sizes[int(p)%5], nil
}

// Valid reports whether p is a registered PoSt proof.
func (p PoStProof) Valid() bool { _, err := p.params(); return err == nil }

// Winning reports whether p is a WinningPoSt proof.
func (p PoStProof) Winning() bool { return p >= 0 && p <= StackedDrgWinning64GiBV1 }

// SectorSize returns the sector size p proves.
func (p PoStProof) SectorSize() (SectorSize, error) {
	sp, err := p.params()
	return sp.size, err
}

// Challenges returns the leaf challenges per sector.
func (p PoStProof) Challenges() int {
	if p.Winning() {
		return WinningPoStChallenges
	}
	return WindowPoStChallenges
}

// SectorsPerPartition returns how many sectors one proof partition covers:
// one for WinningPoSt, the window batch size for WindowPoSt.
func (p PoStProof) SectorsPerPartition() (int, error) {
	sp, err := p.params()
	if err != nil {
		return 0, err
	}
	if p.Winning() {
		return 1, nil
	}
	return sp.windowBatch, nil
}

// String is the network's name of p, e.g. "StackedDrgWindow32GiBV1_1".
func (p PoStProof) String() string {
	sp, err := p.params()
	if err != nil {
		return fmt.Sprintf("PoStProof(%d)", int64(p))
	}
	switch {
	case p.Winning():
		return "StackedDrgWinning" + sp.name + "V1"
	case p <= StackedDrgWindow64GiBV1:
		return "StackedDrgWindow" + sp.name + "V1"
	default:
		return "StackedDrgWindow" + sp.name + "V1_1"
	}
}
