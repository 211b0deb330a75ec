package ptree

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/strata-sp/strata/proof/poseidon"
)

// treeCases are the shapes of the test sector sizes (2, 4, 16 and 32 KiB
// have the shapes of 512 MiB, 1 GiB, 32 GiB and 64 GiB) and a few others
// merkletree supports, with chunk sizes that split base trees into
// several chunks or not.
var treeCases = []struct {
	shape  Shape
	leaves uint64
	chunk  int
}{
	{Shape{8, 0, 0}, 64, 0},      // 2 KiB
	{Shape{8, 0, 0}, 64, 8},      // 2 KiB, 8 chunks
	{Shape{8, 2, 0}, 128, 0},     // 4 KiB
	{Shape{8, 8, 0}, 512, 8},     // 16 KiB
	{Shape{8, 8, 2}, 1024, 0},    // 32 KiB
	{Shape{8, 8, 2}, 1024, 8},    // 32 KiB, 8 chunks per base tree
	{Shape{8, 0, 0}, 4096, 64},   // 128 KiB, 64 chunks
	{Shape{2, 0, 0}, 32, 4},      // binary
	{Shape{4, 2, 2}, 4 * 64, 16}, // every level kind, arity 4
	{Shape{8, 4, 0}, 4 * 8, 0},   // base trees of one level
	{Shape{2, 8, 4}, 32 * 2, 0},
}

// TestBuild_MatchesReference builds every case from a reader and from a
// function, with one and two workers, and checks the root, the store
// contents and every proof against the recursive reference.
func TestBuild_MatchesReference(t *testing.T) {
	for ci, c := range treeCases {
		t.Run(fmt.Sprintf("%s/%d/chunk%d", c.shape, c.leaves, c.chunk), func(t *testing.T) {
			leaves := randomLeaves(int(c.leaves), uint64(ci))
			arities := topDown(c.shape, c.leaves)
			ref := newRefTree(t, leaves, arities)
			wantRoot := ref.root()
			data := flatten(leaves)
			var first *Tree
			for _, workers := range []int{1, 2} {
				for _, fromFunc := range []bool{false, true} {
					src := FromReader(bytes.NewReader(data))
					if fromFunc {
						src = FromFunc(func(first uint64, dst []byte) error {
							copy(dst, data[first*NodeSize:])
							return nil
						})
					}
					stores := tempStores(t, c.shape.BaseTrees())
					cfg := Config{Shape: c.shape, Leaves: c.leaves, Workers: workers, ChunkLeaves: c.chunk}
					tree, err := Build(context.Background(), cfg, src, stores)
					if err != nil {
						t.Fatal(err)
					}
					if tree.Root() != wantRoot {
						t.Fatalf("workers %d, func %v: root %x, reference %x", workers, fromFunc, tree.Root(), wantRoot)
					}
					if first == nil {
						first = tree
					}
				}
			}
			// Store contents: the DiskStore layout of each base tree.
			per := int(c.leaves) / c.shape.BaseTrees()
			for k, s := range first.stores {
				want := refStore(t, leaves[k*per:(k+1)*per], c.shape.Base)
				got := make([]byte, len(want)+1)
				n, err := s.ReadAt(got, 0)
				if err != io.EOF || n != len(want) || !bytes.Equal(got[:n], want) {
					t.Fatalf("base tree %d: store holds %d bytes (%v), want the %d of the reference rows", k, n, err, len(want))
				}
			}
			// Every proof (every 7th of large trees) equals the
			// reference's and verifies.
			step := 1
			if len(leaves) > 1024 {
				step = 7
			}
			for i := 0; i < len(leaves); i += step {
				p, err := first.Prove(uint64(i))
				if err != nil {
					t.Fatal(err)
				}
				want := ref.proof(i)
				if !equalProofs(p, &want) {
					t.Fatalf("leaf %d: proof %+v, reference %+v", i, p, want)
				}
				if err := Verify(c.shape, c.leaves, wantRoot, uint64(i), p); err != nil {
					t.Fatalf("leaf %d: %v", i, err)
				}
				if p.LeafIndex() != uint64(i) {
					t.Fatalf("leaf %d: LeafIndex %d", i, p.LeafIndex())
				}
			}
			// Open finds the same tree in the stores.
			readers := make([]io.ReaderAt, len(first.stores))
			copy(readers, first.stores)
			again, err := Open(c.shape, c.leaves, readers)
			if err != nil {
				t.Fatal(err)
			}
			if again.Root() != wantRoot {
				t.Fatalf("Open: root %x, want %x", again.Root(), wantRoot)
			}
			if n, _ := c.shape.Levels(c.leaves); n != len(arities) {
				t.Fatalf("Levels = %d, want %d", n, len(arities))
			}
		})
	}
}

func equalProofs(a, b *Proof) bool {
	if a.Leaf != b.Leaf || a.Root != b.Root || len(a.Path) != len(b.Path) {
		return false
	}
	for i := range a.Path {
		x, y := a.Path[i], b.Path[i]
		if x.Index != y.Index || len(x.Siblings) != len(y.Siblings) {
			return false
		}
		for j := range x.Siblings {
			if x.Siblings[j] != y.Siblings[j] {
				return false
			}
		}
	}
	return true
}

// buildSmall builds the 32 KiB shape (8/8/2, every level kind) over
// random leaves and returns the tree and its leaves.
func buildSmall(tb testing.TB) (*Tree, [][32]byte) {
	tb.Helper()
	shape := Shape{8, 8, 2}
	leaves := randomLeaves(1024, 99)
	tree, err := Build(context.Background(), Config{Shape: shape, Leaves: 1024, ChunkLeaves: 8},
		FromReader(bytes.NewReader(flatten(leaves))), tempStores(tb, shape.BaseTrees()))
	if err != nil {
		tb.Fatal(err)
	}
	return tree, leaves
}

// TestVerify_Tampered flips every byte and every position of a proof of
// each level kind and checks that verification fails with the error that
// names the fault.
func TestVerify_Tampered(t *testing.T) {
	tree, _ := buildSmall(t)
	shape, n, root := tree.Shape(), tree.Leaves(), tree.Root()
	for _, i := range []uint64{0, 517, 1023} {
		p, err := tree.Prove(i)
		if err != nil {
			t.Fatal(err)
		}
		if err := Verify(shape, n, root, i, p); err != nil {
			t.Fatalf("untouched proof of %d: %v", i, err)
		}
		check := func(what string, q *Proof, index uint64, want ...error) {
			t.Helper()
			err := Verify(shape, n, root, index, q)
			for _, w := range want {
				if errors.Is(err, w) {
					return
				}
			}
			t.Errorf("leaf %d, %s: %v, want one of %v", i, what, err, want)
		}
		for b := range 32 {
			for _, bit := range []byte{0x01, 0x80} {
				q := cloneProof(p)
				q.Leaf[b] ^= bit
				check(fmt.Sprintf("leaf byte %d^%#x", b, bit), q, i, ErrRootMismatch, poseidon.ErrNonCanonical)
				q = cloneProof(p)
				q.Root[b] ^= bit
				check(fmt.Sprintf("root byte %d^%#x", b, bit), q, i, ErrRootMismatch)
				for lvl := range p.Path {
					for s := range p.Path[lvl].Siblings {
						q = cloneProof(p)
						q.Path[lvl].Siblings[s][b] ^= bit
						check(fmt.Sprintf("level %d sibling %d byte %d^%#x", lvl, s, b, bit), q, i, ErrRootMismatch, poseidon.ErrNonCanonical)
					}
				}
			}
		}
		for lvl, e := range p.Path {
			for pos := range len(e.Siblings) + 1 {
				if pos == e.Index {
					continue
				}
				q := cloneProof(p)
				q.Path[lvl].Index = pos
				check(fmt.Sprintf("level %d position %d", lvl, pos), q, i, ErrWrongLeaf)
				// Claimed for the leaf its positions now name, the
				// proof still fails: the nodes are in the wrong order.
				check(fmt.Sprintf("level %d position %d, as leaf %d", lvl, pos, q.LeafIndex()), q, q.LeafIndex(), ErrRootMismatch)
			}
		}
		// Levels missing, added, or of the wrong arity.
		q := cloneProof(p)
		q.Path = q.Path[:len(q.Path)-1]
		check("last level dropped", q, i, ErrProofShape)
		q = cloneProof(p)
		q.Path = append(q.Path, q.Path[0])
		check("level added", q, i, ErrProofShape)
		q = cloneProof(p)
		q.Path[0].Siblings = q.Path[0].Siblings[:3]
		check("level 0 of arity 4", q, i, ErrProofShape)
		// Another leaf's proof, or the right proof for another index.
		if i != 0 {
			check("claimed for leaf 0", p, 0, ErrWrongLeaf)
		}
		check("out of range", p, n, ErrOutOfRange)
	}
	var none Proof
	if err := Verify(shape, n, root, 0, &none); !errors.Is(err, ErrProofShape) {
		t.Errorf("empty proof: %v", err)
	}
}

func cloneProof(p *Proof) *Proof {
	q := &Proof{Leaf: p.Leaf, Root: p.Root, Path: make([]PathElement, len(p.Path))}
	for i, e := range p.Path {
		q.Path[i] = PathElement{Index: e.Index, Siblings: append([][32]byte(nil), e.Siblings...)}
	}
	return q
}

func TestProof_Encoding(t *testing.T) {
	tree, _ := buildSmall(t)
	p, err := tree.Prove(700)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	// 9 + 1 + 1 levels: 3 of arity 8... here 8/8/2 over 64-leaf base
	// trees: 2 base levels, the sub level (8) and the top level (2).
	if want := headerSize + 3*(2+7*32) + (2 + 32); len(b) != want {
		t.Errorf("encoding is %d bytes, want %d", len(b), want)
	}
	var q Proof
	if err := q.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if !equalProofs(p, &q) {
		t.Fatal("decoded proof differs")
	}
	for _, c := range []struct {
		name string
		b    []byte
	}{
		{"empty", nil},
		{"header only, short", b[:headerSize-1]},
		{"truncated level", b[:len(b)-1]},
		{"trailing byte", append(append([]byte(nil), b...), 0)},
		{"version 2", append([]byte{2}, b[1:]...)},
		{"too long", make([]byte, MaxEncodedSize+1)},
		{"arity 3", patch(b, headerSize, 3)},
		{"position 8 of 8", patch(b, headerSize+1, 8)},
		{"22 levels", patch(b, headerSize-1, MaxLevels+1)},
	} {
		if err := q.UnmarshalBinary(c.b); !errors.Is(err, ErrEncoding) {
			t.Errorf("%s: %v, want ErrEncoding", c.name, err)
		}
	}
	bad := cloneProof(p)
	bad.Path[0].Index = 9
	if _, err := bad.MarshalBinary(); !errors.Is(err, ErrProofShape) {
		t.Errorf("marshal position 9: %v", err)
	}
}

func patch(b []byte, at int, v byte) []byte {
	c := append([]byte(nil), b...)
	c[at] = v
	return c
}

// TestShapeFor checks the shape of every sector size and that their leaf
// counts fit them (without building the large ones).
func TestShapeFor(t *testing.T) {
	const kib, mib, gib = 1 << 10, 1 << 20, 1 << 30
	for _, c := range []struct {
		size   uint64
		shape  Shape
		levels int
	}{
		{2 * kib, Shape{8, 0, 0}, 2},
		{4 * kib, Shape{8, 2, 0}, 3},
		{16 * kib, Shape{8, 8, 0}, 3},
		{32 * kib, Shape{8, 8, 2}, 4},
		{8 * mib, Shape{8, 0, 0}, 6},
		{16 * mib, Shape{8, 2, 0}, 7},
		{512 * mib, Shape{8, 0, 0}, 8},
		{1 * gib, Shape{8, 2, 0}, 9},
		{32 * gib, Shape{8, 8, 0}, 10},
		{64 * gib, Shape{8, 8, 2}, 11},
	} {
		s, err := ShapeFor(c.size)
		if err != nil || s != c.shape {
			t.Errorf("ShapeFor(%d) = %v, %v; want %v", c.size, s, err, c.shape)
			continue
		}
		if n, err := s.Levels(c.size / NodeSize); err != nil || n != c.levels {
			t.Errorf("%d bytes: %d levels, %v; want %d", c.size, n, err, c.levels)
		}
	}
	if _, err := ShapeFor(3 * kib); !errors.Is(err, ErrSectorSize) {
		t.Errorf("ShapeFor(3 KiB): %v", err)
	}
	for _, s := range []Shape{{3, 0, 0}, {8, 0, 2}, {8, 16, 0}, {0, 0, 0}, {16, 0, 0}, {8, 2, 3}} {
		if err := s.Validate(); !errors.Is(err, ErrShape) {
			t.Errorf("%v: %v, want ErrShape", s, err)
		}
	}
	for _, c := range []struct {
		s      Shape
		leaves uint64
	}{{Shape{8, 0, 0}, 0}, {Shape{8, 0, 0}, 4}, {Shape{8, 0, 0}, 128}, {Shape{8, 2, 0}, 64}, {Shape{8, 8, 2}, 1000}} {
		if _, err := c.s.Levels(c.leaves); !errors.Is(err, ErrLeafCount) {
			t.Errorf("%v over %d leaves: %v, want ErrLeafCount", c.s, c.leaves, err)
		}
	}
}

// TestBuild_Errors checks that each way a build can go wrong names itself.
func TestBuild_Errors(t *testing.T) {
	shape := Shape{8, 2, 0}
	leaves := randomLeaves(128, 5)
	data := flatten(leaves)
	build := func(cfg Config, src Source, stores []Store) error {
		if cfg.Leaves == 0 {
			cfg.Shape, cfg.Leaves = shape, 128
		}
		if stores == nil {
			stores = tempStores(t, cfg.Shape.BaseTrees())
		}
		_, err := Build(context.Background(), cfg, src, stores)
		return err
	}
	reader := func(b []byte) Source { return FromReader(bytes.NewReader(b)) }
	if err := build(Config{ChunkLeaves: 8}, reader(data[:len(data)-1]), nil); !errors.Is(err, ErrShortSource) {
		t.Errorf("short reader: %v", err)
	}
	if err := build(Config{}, reader(nil), nil); !errors.Is(err, ErrShortSource) {
		t.Errorf("empty reader: %v", err)
	}
	bad := append([]byte(nil), data...)
	bad[77*NodeSize+31] = 0xff // leaf 77 above r
	err := build(Config{ChunkLeaves: 8}, reader(bad), nil)
	if !errors.Is(err, poseidon.ErrNonCanonical) {
		t.Errorf("non-canonical leaf: %v", err)
	} else if !bytes.Contains([]byte(err.Error()), []byte("leaf 77")) {
		t.Errorf("error does not name leaf 77: %v", err)
	}
	boom := errors.New("boom")
	if err := build(Config{}, FromFunc(func(uint64, []byte) error { return boom }), nil); !errors.Is(err, boom) {
		t.Errorf("failing function: %v", err)
	}
	if err := build(Config{}, Source{}, nil); !errors.Is(err, ErrConfig) {
		t.Errorf("no source: %v", err)
	}
	if err := build(Config{}, reader(data), tempStores(t, 1)); !errors.Is(err, ErrConfig) {
		t.Errorf("one store for two base trees: %v", err)
	}
	for _, chunk := range []int{4, 16, 128, 3} {
		if err := build(Config{ChunkLeaves: chunk}, reader(data), nil); !errors.Is(err, ErrConfig) {
			t.Errorf("chunk %d: %v", chunk, err)
		}
	}
	if err := build(Config{Workers: -1}, reader(data), nil); !errors.Is(err, ErrConfig) {
		t.Errorf("-1 workers: %v", err)
	}
	if err := build(Config{Shape: Shape{8, 0, 0}, Leaves: 100}, reader(data), nil); !errors.Is(err, ErrLeafCount) {
		t.Errorf("100 leaves: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, Config{Shape: shape, Leaves: 128}, reader(data), tempStores(t, 2)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// A store that refuses writes.
	ro := tempStores(t, 2)
	for k, s := range ro {
		f := s.(*os.File)
		r, err := os.Open(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		ro[k] = r
	}
	if err := build(Config{}, reader(data), ro); !errors.Is(err, ErrStore) {
		t.Errorf("read-only store: %v", err)
	}
}

func TestOpen_Errors(t *testing.T) {
	tree, _ := buildSmall(t)
	if _, err := Open(tree.Shape(), tree.Leaves(), tree.stores[:3]); !errors.Is(err, ErrConfig) {
		t.Errorf("3 stores: %v", err)
	}
	short := make([]io.ReaderAt, len(tree.stores))
	for k := range short {
		short[k] = bytes.NewReader(make([]byte, 100))
	}
	if _, err := Open(tree.Shape(), tree.Leaves(), short); !errors.Is(err, ErrStore) {
		t.Errorf("short stores: %v", err)
	}
	if _, err := tree.Prove(tree.Leaves()); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("Prove(leaves): %v", err)
	}
}

// TestColumnHash_CommR checks the helpers: comm_r of the end-to-end 2 KiB
// values of sdr-spec.md §6(c), and column hashes of 2 and 11 labels
// against Poseidon of those arities.
func TestColumnHash_CommR(t *testing.T) {
	h := func(s string) [32]byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return [32]byte(b)
	}
	got, err := CommR(h("21d8cba73e302bb5c90c24e55e2d26ab6687ba494827d16df16ab4f7eeddbe2e"),
		h("15b54a5f36daefa62518dbbecb9575e976cfb3562b897865005f311985cdfc13"))
	if err != nil {
		t.Fatal(err)
	}
	if want := h("b2298a51987c872ff986126b6c9a5b95e3f4fa076c04d5581fbe86a23441526d"); got != want {
		t.Errorf("CommR = %x, want %x", got, want)
	}
	for _, layers := range []int{2, 11} {
		labels := randomLeaves(layers, uint64(layers))
		got, err := ColumnHash(labels)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := poseidon.HashBytes(labels...)
		if got != want {
			t.Errorf("%d layers: column hash differs from Poseidon-%d", layers, layers)
		}
	}
	if _, err := ColumnHash(randomLeaves(8, 1)); !errors.Is(err, ErrColumn) {
		t.Errorf("8 labels: %v", err)
	}
}

// TestColumnSource builds tree_c from label layers (2 and 11, as sectors
// have) and checks it against the reference tree over ColumnHash leaves.
func TestColumnSource(t *testing.T) {
	for _, c := range []struct {
		layers int
		leaves uint64
		chunk  int
	}{{2, 4096, 0}, {11, 512, 64}} {
		layers := make([]io.ReaderAt, c.layers)
		labels := make([][][32]byte, c.layers)
		for l := range layers {
			labels[l] = randomLeaves(int(c.leaves), uint64(100+l))
			layers[l] = bytes.NewReader(flatten(labels[l]))
		}
		cols := make([][32]byte, c.leaves)
		for i := range cols {
			col := make([][32]byte, c.layers)
			for l := range col {
				col[l] = labels[l][i]
			}
			var err error
			if cols[i], err = ColumnHash(col); err != nil {
				t.Fatal(err)
			}
		}
		src, err := ColumnSource(layers)
		if err != nil {
			t.Fatal(err)
		}
		shape := Shape{Base: 8}
		tree, err := Build(context.Background(), Config{Shape: shape, Leaves: c.leaves, ChunkLeaves: c.chunk}, src, tempStores(t, 1))
		if err != nil {
			t.Fatal(err)
		}
		if want := newRefTree(t, cols, topDown(shape, c.leaves)).root(); tree.Root() != want {
			t.Errorf("%d layers: comm_c %x, reference %x", c.layers, tree.Root(), want)
		}
		// A layer shorter than the tree fails the build.
		layers[c.layers-1] = bytes.NewReader(flatten(labels[c.layers-1][:c.leaves-1]))
		src, _ = ColumnSource(layers)
		if _, err := Build(context.Background(), Config{Shape: shape, Leaves: c.leaves}, src, tempStores(t, 1)); !errors.Is(err, io.EOF) {
			t.Errorf("%d layers, last one short: %v, want io.EOF", c.layers, err)
		}
	}
	if _, err := ColumnSource(make([]io.ReaderAt, 3)); !errors.Is(err, ErrColumn) {
		t.Errorf("3 layers: %v", err)
	}
}
