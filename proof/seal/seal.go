// Package seal is the built-in sealing engine's replication: from a staged
// sector to its replica and commitments, byte for byte as rust-fil-proofs
// (research/sdr-spec.md §4). TreeD gives CommD; PC1 derives replica_id and
// labels the SDR layers; PC2 builds tree_c over the layers' columns, encodes
// the replica (data + last-layer label, in the BLS12-381 scalar field),
// builds tree_r_last over it and computes CommR = H(comm_c, comm_r_last).
//
// Files live in the sector's cache directory under rust-fil-proofs' names.
// Every stage writes through temporary files renamed at the end and never
// changes its inputs, so a rerun after a crash starts clean and gives the
// same commitments.
package seal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/strata-sp/strata/internal/atomicfile"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/challenge"
	"github.com/strata-sp/strata/proof/poseidon"
	"github.com/strata-sp/strata/proof/ptree"
	"github.com/strata-sp/strata/proof/sdr"
	"github.com/strata-sp/strata/proof/unsealed"
)

// File names in a sector's cache directory.
const (
	TreeDFile = "sc-02-data-tree-d.dat"
	PAuxFile  = "p_aux" // comm_c || comm_r_last
)

// TreeCFile and TreeRLastFile name base tree k of tree_c and tree_r_last.
func TreeCFile(k int) string     { return fmt.Sprintf("sc-02-data-tree-c-%d.dat", k) }
func TreeRLastFile(k int) string { return fmt.Sprintf("sc-02-data-tree-r-last-%d.dat", k) }

// Errors, checked with errors.Is.
var (
	// ErrSector means the sector's description is unusable.
	ErrSector = errors.New("bad sector")
)

// Sector is a sector being sealed: who, which proof, and its files.
type Sector struct {
	Proof  proof.SealProof
	Miner  uint64 // the miner's actor ID
	Number uint64
	Staged string // the staged (unsealed) sector, written by AddPieces
	Cache  string // the cache directory
	Sealed string // the replica
}

// Commitments are what PC2 computes.
type Commitments struct {
	CommC     [32]byte
	CommRLast [32]byte
	CommR     [32]byte
}

// Engine seals sectors. Its zero value is not usable; set ParentCacheDir.
// An Engine is safe for concurrent use on different sectors.
type Engine struct {
	// ParentCacheDir holds the parent caches, one per graph, shared by
	// every sector of that graph.
	ParentCacheDir string
	// Workers is the number of goroutines of the parallel steps (parent
	// cache, tree building). Zero means all cores.
	Workers int
	Logger  *slog.Logger
}

func (e *Engine) log() *slog.Logger {
	if e.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Logger
}

type params struct {
	size    proof.SectorSize
	nodes   uint64
	layers  int
	porepID [32]byte
	shape   ptree.Shape
	version sdr.Version
}

func sectorParams(s Sector) (params, error) {
	var p params
	var err error
	if p.size, err = s.Proof.SectorSize(); err != nil {
		return p, fmt.Errorf("%w: %w", ErrSector, err)
	}
	p.nodes = uint64(p.size) / proof.NodeSize
	p.layers, _ = s.Proof.Layers()
	p.porepID, _ = s.Proof.PoRepID()
	if p.shape, err = ptree.ShapeFor(uint64(p.size)); err != nil {
		return p, fmt.Errorf("%w: %w", ErrSector, err)
	}
	p.version, _ = sdr.VersionOf(s.Proof)
	return p, nil
}

// TreeD builds tree_d over the staged sector and returns CommD.
func (e *Engine) TreeD(ctx context.Context, s Sector) ([32]byte, error) {
	if err := os.MkdirAll(s.Cache, 0o755); err != nil {
		return [32]byte{}, fmt.Errorf("tree_d: %w", err)
	}
	return unsealed.BuildTreeD(ctx, s.Staged, filepath.Join(s.Cache, TreeDFile))
}

// ReplicaID derives the sector's replica_id from the ticket and CommD.
func ReplicaID(s Sector, ticket, commD [32]byte) ([32]byte, error) {
	porepID, err := s.Proof.PoRepID()
	if err != nil {
		return [32]byte{}, fmt.Errorf("%w: %w", ErrSector, err)
	}
	return sdr.ReplicaID(challenge.ProverID(s.Miner), s.Number, ticket, commD, porepID), nil
}

// parentCache opens (building it the first time) the parent cache of a graph.
func (e *Engine) parentCache(ctx context.Context, p params) (*sdr.ParentCache, error) {
	g, err := sdr.NewGraph(p.nodes, p.porepID, p.version)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(e.ParentCacheDir, 0o755); err != nil {
		return nil, err
	}
	return sdr.EnsureParentCache(ctx, g, e.ParentCacheDir, e.Workers)
}

// PC1 labels the SDR layers of s for ticket and CommD into its cache
// directory and returns replica_id.
func (e *Engine) PC1(ctx context.Context, s Sector, ticket, commD [32]byte) ([32]byte, error) {
	p, err := sectorParams(s)
	if err != nil {
		return [32]byte{}, err
	}
	replicaID, err := ReplicaID(s, ticket, commD)
	if err != nil {
		return [32]byte{}, err
	}
	if err := os.MkdirAll(s.Cache, 0o755); err != nil {
		return [32]byte{}, fmt.Errorf("pc1: %w", err)
	}
	pc, err := e.parentCache(ctx, p)
	if err != nil {
		return [32]byte{}, fmt.Errorf("pc1: parent cache: %w", err)
	}
	defer pc.Close()
	if err := sdr.LabelLayers(ctx, sdr.LabelConfig{Cache: pc, Layers: p.layers, Logger: e.log()}, replicaID, s.Cache); err != nil {
		return [32]byte{}, fmt.Errorf("pc1: %w", err)
	}
	return replicaID, nil
}

// PC2 builds tree_c, the replica and tree_r_last of a labelled sector and
// returns its commitments; it also records comm_c and comm_r_last in p_aux.
func (e *Engine) PC2(ctx context.Context, s Sector) (Commitments, error) {
	var c Commitments
	p, err := sectorParams(s)
	if err != nil {
		return c, err
	}
	layers := make([]io.ReaderAt, p.layers)
	for l := 1; l <= p.layers; l++ {
		f, err := os.Open(filepath.Join(s.Cache, sdr.LayerFileName(l)))
		if err != nil {
			return c, fmt.Errorf("pc2: layer %d (run PC1 first): %w", l, err)
		}
		defer f.Close()
		layers[l-1] = f
	}
	src, err := ptree.ColumnSource(layers)
	if err != nil {
		return c, fmt.Errorf("pc2: %w", err)
	}
	treeC, err := e.buildTree(ctx, p, s.Cache, TreeCFile, src)
	if err != nil {
		return c, fmt.Errorf("pc2: tree_c: %w", err)
	}
	c.CommC = treeC
	if err := encode(ctx, s, p, layers[p.layers-1]); err != nil {
		return c, fmt.Errorf("pc2: encode replica: %w", err)
	}
	sealed, err := os.Open(s.Sealed)
	if err != nil {
		return c, fmt.Errorf("pc2: %w", err)
	}
	defer sealed.Close()
	c.CommRLast, err = e.buildTree(ctx, p, s.Cache, TreeRLastFile, ptree.FromReader(io.NewSectionReader(sealed, 0, int64(p.size))))
	if err != nil {
		return c, fmt.Errorf("pc2: tree_r_last: %w", err)
	}
	if c.CommR, err = ptree.CommR(c.CommC, c.CommRLast); err != nil {
		return c, fmt.Errorf("pc2: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(s.Cache, PAuxFile), append(c.CommC[:], c.CommRLast[:]...), 0o644); err != nil {
		return c, fmt.Errorf("pc2: p_aux: %w", err)
	}
	return c, nil
}

// buildTree builds a Poseidon tree of the sector's shape into its base-tree
// files (temporary names, renamed once the whole tree is built).
func (e *Engine) buildTree(ctx context.Context, p params, dir string, name func(int) string, src ptree.Source) ([32]byte, error) {
	n := p.shape.BaseTrees()
	stores := make([]ptree.Store, n)
	files := make([]*os.File, n)
	defer func() {
		for _, f := range files {
			if f != nil {
				f.Close()
				os.Remove(f.Name()) // a no-op once renamed
			}
		}
	}()
	for k := range n {
		f, err := os.CreateTemp(dir, "."+name(k)+".*.tmp")
		if err != nil {
			return [32]byte{}, err
		}
		files[k], stores[k] = f, f
	}
	t, err := ptree.Build(ctx, ptree.Config{Shape: p.shape, Leaves: p.nodes, Workers: e.Workers}, src, stores)
	if err != nil {
		return [32]byte{}, err
	}
	for k, f := range files {
		if err := f.Sync(); err != nil {
			return [32]byte{}, err
		}
		if err := os.Rename(f.Name(), filepath.Join(dir, name(k))); err != nil {
			return [32]byte{}, err
		}
	}
	return t.Root(), nil
}

// encodeChunk is how many nodes encode handles at a time.
const encodeChunk = 1 << 15

// encode writes the replica: each node is the staged data node plus the
// last layer's label of that node, in the scalar field (sdr-spec §4,
// encode.rs).
func encode(ctx context.Context, s Sector, p params, lastLayer io.ReaderAt) error {
	staged, err := os.Open(s.Staged)
	if err != nil {
		return err
	}
	defer staged.Close()
	if st, err := staged.Stat(); err != nil || st.Size() != int64(p.size) {
		return fmt.Errorf("%w: staged sector %s is not %d bytes", ErrSector, s.Staged, p.size)
	}
	if err := os.MkdirAll(filepath.Dir(s.Sealed), 0o755); err != nil {
		return err
	}
	out, err := os.CreateTemp(filepath.Dir(s.Sealed), "."+filepath.Base(s.Sealed)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	data := make([]byte, encodeChunk*proof.NodeSize)
	keys := make([]byte, encodeChunk*proof.NodeSize)
	for first := uint64(0); first < p.nodes; first += encodeChunk {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(encodeChunk, p.nodes-first) * proof.NodeSize
		off := int64(first * proof.NodeSize)
		if _, err := staged.ReadAt(data[:n], off); err != nil {
			return fmt.Errorf("read staged sector: %w", err)
		}
		if _, err := lastLayer.ReadAt(keys[:n], off); err != nil {
			return fmt.Errorf("read last layer: %w", err)
		}
		for i := uint64(0); i < n; i += proof.NodeSize {
			d, err := poseidon.FromBytes([32]byte(data[i : i+32]))
			if err != nil {
				return fmt.Errorf("staged node %d: %w", first+i/32, err)
			}
			k, err := poseidon.FromBytes([32]byte(keys[i : i+32]))
			if err != nil {
				return fmt.Errorf("label of node %d: %w", first+i/32, err)
			}
			d.Add(&d, &k)
			r := poseidon.ToBytes(&d)
			copy(data[i:], r[:])
		}
		if _, err := out.WriteAt(data[:n], off); err != nil {
			return err
		}
	}
	if err := out.Sync(); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(out.Name(), s.Sealed)
}
