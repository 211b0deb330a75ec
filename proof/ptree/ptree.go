// Package ptree builds, proves and verifies the Poseidon Merkle trees of
// Filecoin's proof of replication, tree_c and tree_r_last, exactly as
// rust-fil-proofs builds them (MerkleTreeWrapper over the merkletree crate;
// sdr-spec.md §4):
//
//   - Leaves are 32-byte little-endian field elements, not hashed.
//   - A tree of Shape{Base, Sub, Top} is made of base trees of arity Base
//     (8 in Filecoin), each over a contiguous range of leaves whose size is
//     a power of Base. With Sub > 0 the roots of Sub base trees are hashed
//     together (Poseidon of arity Sub) into a sub-tree root; with Top > 0
//     the roots of Top such sub-trees are hashed together into the root.
//     An internal node is the Poseidon hash (package poseidon) of its
//     children, with the arity's MerkleTree domain tag.
//   - A proof, as MerkleProof's path(), lists per level from the leaf up
//     the other children of the node on the path and the position of the
//     path node among them: one level per base-tree level, then one for
//     the sub level and one for the top level where the shape has them.
//
// Build streams the leaves, from an io.Reader or a function, in chunks
// hashed in parallel, and writes each base tree to its own Store in the
// merkletree crate's DiskStore layout: every row of nodes from the leaves
// to the root, 32 bytes a node. The whole tree is stored, leaves included;
// rust-fil-proofs stores tree_r_last with rows_to_discard (only the top
// rows, the others recomputed from the replica when proving), which gives
// the same root and proofs on less disk. Prove reads a Store; Open reopens
// stores written earlier.
package ptree

import (
	"errors"
)

// NodeSize is the size of a node (a leaf or a hash) in bytes.
const NodeSize = 32

var (
	// ErrShape means a Shape is not one a tree can have: Base must be 2, 4
	// or 8, Sub and Top 0, 2, 4 or 8 (the arities filecoin-hashers'
	// PoseidonFunction::multi_node hashes), and Top needs Sub.
	ErrShape = errors.New("ptree: unsupported tree shape")
	// ErrSectorSize means no Filecoin tree shape is defined for a sector
	// size.
	ErrSectorSize = errors.New("ptree: no tree shape for this sector size")
	// ErrLeafCount means a number of leaves does not fit a shape: each base
	// tree must have a power of Base leaves, at least Base.
	ErrLeafCount = errors.New("ptree: leaf count does not fit the shape")
	// ErrConfig means a build option is invalid (a chunk size or worker
	// count) or the number of stores differs from the number of base trees.
	ErrConfig = errors.New("ptree: invalid build configuration")
	// ErrShortSource means the leaf source ended before all leaves were
	// read.
	ErrShortSource = errors.New("ptree: leaf source ended early")
	// ErrStore means a tree store could not be read or written, or holds
	// something other than a tree.
	ErrStore = errors.New("ptree: tree store")
	// ErrOutOfRange means a leaf index is not below the number of leaves.
	ErrOutOfRange = errors.New("ptree: leaf index out of range")
	// ErrProofShape means a proof's path does not have the levels and
	// arities of the tree, or a position outside its level.
	ErrProofShape = errors.New("ptree: proof path does not fit the tree shape")
	// ErrWrongLeaf means a proof's positions lead to another leaf than the
	// one it was checked for.
	ErrWrongLeaf = errors.New("ptree: proof is for another leaf")
	// ErrRootMismatch means hashing up a proof's path does not give the
	// expected root.
	ErrRootMismatch = errors.New("ptree: proof does not lead to the root")
	// ErrEncoding means bytes are not a proof encoded by MarshalBinary.
	ErrEncoding = errors.New("ptree: malformed proof encoding")
	// ErrColumn means a column to hash has neither 2 nor 11 labels.
	ErrColumn = errors.New("ptree: a column has 2 or 11 labels")
)
