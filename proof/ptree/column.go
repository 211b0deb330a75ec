package ptree

import (
	"fmt"
	"io"
	"sync"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"

	"github.com/strata-sp/strata/proof/poseidon"
)

// ColumnHash returns the tree_c leaf of a node: the Poseidon hash, of
// arity len(labels), of its labels in layers 1..L (stacked/vanilla/hash.rs,
// hash_single_column; sdr-spec.md §4). Filecoin's sectors have 2 or 11
// layers, the only lengths accepted (ErrColumn). Labels that are not field
// elements give poseidon.ErrNonCanonical. ColumnSource hashes whole layers.
func ColumnHash(labels [][32]byte) ([32]byte, error) {
	if len(labels) != 2 && len(labels) != 11 {
		return [32]byte{}, fmt.Errorf("%w: %d labels", ErrColumn, len(labels))
	}
	return poseidon.HashBytes(labels...)
}

// CommR returns comm_r = Poseidon_2(comm_c, comm_r_last)
// (storage-proofs-porep stacked/vanilla/proof.rs,
// transform_and_replicate_layers; sdr-spec.md §4).
func CommR(commC, commRLast [32]byte) ([32]byte, error) {
	return poseidon.HashBytes(commC, commRLast)
}

// columnBlock is how many columns ColumnSource hashes at a time: the
// labels of 1024 nodes in 11 layers are 352 KiB.
const columnBlock = 1024

// ColumnSource returns the Source of tree_c's leaves: leaf i is the
// ColumnHash of node i's labels, read from layers (layer 1 first), each
// holding a layer's labels in node order, NodeSize bytes each. There must
// be 2 or 11 layers (ErrColumn). Build's workers read and hash columns in
// parallel, a block of nodes at a time, with poseidon.Batch; the layers'
// ReadAt must be safe for concurrent use (that of *os.File is).
func ColumnSource(layers []io.ReaderAt) (Source, error) {
	L := len(layers)
	if L != 2 && L != 11 {
		return Source{}, fmt.Errorf("%w: %d layers", ErrColumn, L)
	}
	type scratch struct {
		batch  *poseidon.Batch
		labels []byte       // one layer's labels for a block
		in     []fr.Element // the block's columns, node after node
		out    []fr.Element
	}
	h := poseidon.MustNew(L)
	pool := sync.Pool{New: func() any {
		return &scratch{
			batch:  h.NewBatch(),
			labels: make([]byte, columnBlock*NodeSize),
			in:     make([]fr.Element, columnBlock*L),
			out:    make([]fr.Element, columnBlock),
		}
	}}
	return FromFunc(func(first uint64, dst []byte) error {
		sc := pool.Get().(*scratch)
		defer pool.Put(sc)
		for done := 0; done < len(dst)/NodeSize; {
			node := first + uint64(done)
			n := min(columnBlock, len(dst)/NodeSize-done)
			for l, layer := range layers {
				if _, err := layer.ReadAt(sc.labels[:n*NodeSize], int64(node)*NodeSize); err != nil {
					return fmt.Errorf("layer %d, nodes %d to %d: %w", l+1, node, node+uint64(n)-1, err)
				}
				for i := range n {
					e, err := poseidon.FromBytes([32]byte(sc.labels[i*NodeSize:]))
					if err != nil {
						return fmt.Errorf("layer %d, node %d: %w", l+1, node+uint64(i), err)
					}
					sc.in[i*L+l] = e
				}
			}
			sc.batch.Hash(sc.out[:n], sc.in[:n*L])
			encode(dst[done*NodeSize:(done+n)*NodeSize], sc.out[:n])
			done += n
		}
		return nil
	}), nil
}
