package ptree

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/strata-sp/strata/proof/poseidon"
)

// The reference: a compound tree is a tree of mixed arity over contiguous
// leaf ranges, with the top arity at the root, then the sub arity, then
// Base at every base-tree level. refRoot and refProof follow that
// definition recursively, one poseidon.Hash per node, sharing nothing with
// Build's chunked, batched, store-backed code.

// topDown lists the arity of each level from the root down.
func topDown(s Shape, leaves uint64) []int {
	var a []int
	if s.Top > 0 {
		a = append(a, s.Top)
	}
	if s.Sub > 0 {
		a = append(a, s.Sub)
	}
	for n := leaves / uint64(s.BaseTrees()); n > 1; n /= uint64(s.Base) {
		a = append(a, s.Base)
	}
	return a
}

// refTree computes nodes of the reference tree by recursion, remembering
// each node it computed so that proofs of every leaf stay cheap.
type refTree struct {
	tb      testing.TB
	leaves  [][32]byte
	arities []int // from the root down
	memo    map[[2]int][32]byte
}

func newRefTree(tb testing.TB, leaves [][32]byte, arities []int) *refTree {
	return &refTree{tb: tb, leaves: leaves, arities: arities, memo: map[[2]int][32]byte{}}
}

// node returns the root of the subtree at depth d (0 the root) whose
// leaves start at lo.
func (r *refTree) node(d, lo int) [32]byte {
	if d == len(r.arities) {
		return r.leaves[lo]
	}
	if h, ok := r.memo[[2]int{d, lo}]; ok {
		return h
	}
	a, n := r.arities[d], r.span(d+1)
	children := make([][32]byte, a)
	for j := range a {
		children[j] = r.node(d+1, lo+j*n)
	}
	h, err := poseidon.HashBytes(children...)
	if err != nil {
		r.tb.Fatal(err)
	}
	r.memo[[2]int{d, lo}] = h
	return h
}

// span returns the number of leaves under a node at depth d.
func (r *refTree) span(d int) int {
	n := len(r.leaves)
	for _, a := range r.arities[:d] {
		n /= a
	}
	return n
}

func (r *refTree) root() [32]byte { return r.node(0, 0) }

// proof returns the proof of leaf i: at each depth, the other children of
// the node on the path, turned bottom up.
func (r *refTree) proof(i int) Proof {
	p := Proof{Leaf: r.leaves[i], Root: r.root()}
	lo := 0
	var path []PathElement
	for d, a := range r.arities {
		n := r.span(d + 1)
		pos := (i - lo) / n
		e := PathElement{Index: pos}
		for j := range a {
			if j != pos {
				e.Siblings = append(e.Siblings, r.node(d+1, lo+j*n))
			}
		}
		path = append(path, e)
		lo += pos * n
	}
	for k := len(path) - 1; k >= 0; k-- {
		p.Path = append(p.Path, path[k])
	}
	return p
}

// randomLeaves returns n canonical leaves (top two bits clear, as
// rust-fil-proofs' fr32 and label masking produce them), seeded.
func randomLeaves(n int, seed uint64) [][32]byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([][32]byte, n)
	for i := range out {
		for j := 0; j < 32; j += 8 {
			binary.LittleEndian.PutUint64(out[i][j:], rng.Uint64())
		}
		out[i][31] &= 0x3f
	}
	return out
}

func flatten(leaves [][32]byte) []byte {
	b := make([]byte, 0, len(leaves)*NodeSize)
	for _, l := range leaves {
		b = append(b, l[:]...)
	}
	return b
}

// tempStores creates n empty files in a test's temporary directory.
func tempStores(tb testing.TB, n int) []Store {
	tb.Helper()
	dir := tb.TempDir()
	stores := make([]Store, n)
	for k := range stores {
		f, err := os.Create(filepath.Join(dir, "tree-"+string(rune('a'+k))+".dat"))
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { f.Close() })
		stores[k] = f
	}
	return stores
}

// refStore returns what the store of a base tree over leaves must hold:
// each row, leaves first, in order (merkletree DiskStore).
func refStore(tb testing.TB, leaves [][32]byte, arity int) []byte {
	tb.Helper()
	var out bytes.Buffer
	row := leaves
	for {
		out.Write(flatten(row))
		if len(row) == 1 {
			return out.Bytes()
		}
		next := make([][32]byte, len(row)/arity)
		for k := range next {
			h, err := poseidon.HashBytes(row[k*arity : (k+1)*arity]...)
			if err != nil {
				tb.Fatal(err)
			}
			next[k] = h
		}
		row = next
	}
}
