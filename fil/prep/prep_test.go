package prep_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipfs/boxo/blockservice"
	"github.com/ipfs/boxo/ipld/merkledag"
	uio "github.com/ipfs/boxo/ipld/unixfs/io"
	"github.com/ipfs/go-cid"
	carv2 "github.com/ipld/go-car/v2"
	carbs "github.com/ipld/go-car/v2/blockstore"
	"github.com/multiformats/go-multihash"

	"github.com/strata-sp/strata/fil/prep"
)

func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func writeFile(t *testing.T, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkCAR verifies the CAR is a v1 whose only root is want, whose every
// block hashes to its CID, and returns a read-only DAG over it.
func checkCAR(t *testing.T, path string, want cid.Cid) (*carbs.ReadOnly, int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	br, err := carv2.NewBlockReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if br.Version != 1 || len(br.Roots) != 1 || !br.Roots[0].Equals(want) {
		t.Fatalf("CAR version %d roots %v, want v1 with root %s", br.Version, br.Roots, want)
	}
	n := 0
	seen := map[cid.Cid]bool{}
	for {
		blk, err := br.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := blk.Cid().Prefix().Sum(blk.RawData())
		if err != nil || !got.Equals(blk.Cid()) {
			t.Fatalf("block %s does not hash to its CID", blk.Cid())
		}
		if seen[blk.Cid()] {
			t.Fatalf("block %s written twice", blk.Cid())
		}
		seen[blk.Cid()] = true
		n++
	}
	ro, err := carbs.OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ro.Close() })
	return ro, n
}

func readFile(t *testing.T, ro *carbs.ReadOnly, c cid.Cid) []byte {
	t.Helper()
	dag := merkledag.NewDAGService(blockservice.New(ro, nil))
	nd, err := dag.Get(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	r, err := uio.NewDagReader(context.Background(), nd, dag)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPrepare_SingleChunkFileIsARawBlock(t *testing.T) {
	dir := t.TempDir()
	data := []byte("hello world")
	writeFile(t, filepath.Join(dir, "in"), data)
	res, err := prep.Prepare(context.Background(), filepath.Join(dir, "in"), filepath.Join(dir, "out.car"), prep.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// A file of one chunk is one raw block: its CID is CIDv1(raw, sha2-256(data)).
	sum := sha256.Sum256(data)
	mh, _ := multihash.Encode(sum[:], multihash.SHA2_256)
	want := cid.NewCidV1(cid.Raw, mh)
	if !res.Root.Equals(want) || want.String() != "bafkreifzjut3te2nhyekklss27nh3k72ysco7y32koao5eei66wof36n5e" {
		t.Fatalf("root %s, want %s", res.Root, want)
	}
	checkCAR(t, filepath.Join(dir, "out.car"), want)
	st, _ := os.Stat(filepath.Join(dir, "out.car"))
	if res.CARSize != uint64(st.Size()) || res.InputBytes != int64(len(data)) {
		t.Errorf("sizes: %+v, file %d", res, st.Size())
	}
	if res.Piece.PaddedSize != 128 || res.Piece.PayloadSize != res.CARSize {
		t.Errorf("piece %+v", res.Piece)
	}
}

func TestPrepare_FileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	data := randomBytes(1, 5<<20+12345) // six 1 MiB chunks
	writeFile(t, filepath.Join(dir, "in.bin"), data)
	var calls int
	var last int64
	res, err := prep.Prepare(context.Background(), filepath.Join(dir, "in.bin"), filepath.Join(dir, "out.car"), prep.Options{
		Progress: func(phase string, done, total int64) {
			calls++
			if phase == "commp" {
				last = done
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Root.Prefix().Codec != cid.DagProtobuf || res.Root.Version() != 1 {
		t.Errorf("root %s is not a CIDv1 dag-pb node", res.Root)
	}
	ro, n := checkCAR(t, filepath.Join(dir, "out.car"), res.Root)
	if n != 7 { // six raw leaves and their parent
		t.Errorf("%d blocks, want 7", n)
	}
	if got := readFile(t, ro, res.Root); !bytes.Equal(got, data) {
		t.Fatalf("file read back from the CAR differs (%d bytes vs %d)", len(got), len(data))
	}
	if calls == 0 || last != int64(res.CARSize) {
		t.Errorf("progress: %d calls, last %d", calls, last)
	}
	// The commitment is that of the CAR's bytes.
	f, _ := os.Open(filepath.Join(dir, "out.car"))
	defer f.Close()
	p, err := prep.Commitment(context.Background(), f, -1, prep.Options{})
	if err != nil || p != res.Piece {
		t.Errorf("Commitment(CAR) = %+v, %v; Prepare said %+v", p, err, res.Piece)
	}
	if res.Piece.PaddedSize != 8<<20 {
		t.Errorf("padded size %d, want 8 MiB", res.Piece.PaddedSize)
	}
	// Deterministic: the same input gives the same DAG, CAR and piece.
	res2, err := prep.Prepare(context.Background(), filepath.Join(dir, "in.bin"), filepath.Join(dir, "again.car"), prep.Options{})
	if err != nil || res2 != res {
		t.Errorf("second run %+v differs from %+v (%v)", res2, res, err)
	}
}

func TestPrepare_Directory(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	files := map[string][]byte{
		"a.txt":          []byte("alpha"),
		"sub/b.bin":      randomBytes(2, 3<<20),
		"sub/deep/c":     {},
		"z/same-as-a":    []byte("alpha"), // a shared block is written once
		"emptydir/.keep": nil,
	}
	for p, b := range files {
		writeFile(t, filepath.Join(src, p), b)
	}
	res, err := prep.Prepare(context.Background(), src, filepath.Join(dir, "out.car"), prep.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ro, _ := checkCAR(t, filepath.Join(dir, "out.car"), res.Root)
	dag := merkledag.NewDAGService(blockservice.New(ro, nil))
	ctx := context.Background()
	for p, want := range files {
		nd, err := dag.Get(ctx, res.Root)
		if err != nil {
			t.Fatal(err)
		}
		var c cid.Cid
		cur := nd
		for _, part := range splitPath(p) {
			d, err := uio.NewDirectoryFromNode(dag, cur)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			l, err := d.Find(ctx, part)
			if err != nil {
				t.Fatalf("%s: find %s: %v", p, part, err)
			}
			cur = l
			c = l.Cid()
		}
		if got := readFile(t, ro, c); !bytes.Equal(got, want) {
			t.Errorf("%s: read back %d bytes, want %d", p, len(got), len(want))
		}
	}
	if res.InputBytes != 3<<20+10 {
		t.Errorf("input bytes %d", res.InputBytes)
	}
}

func splitPath(p string) []string { return strings.Split(p, "/") }

func TestPrepare_Errors(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "src/f"), []byte("x"))
	if err := os.Symlink("f", filepath.Join(dir, "src/link")); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(dir, "out.car")
	if _, err := prep.Prepare(context.Background(), filepath.Join(dir, "src"), dst, prep.Options{}); !errors.Is(err, prep.ErrUnsupportedFile) {
		t.Errorf("symlink: %v, want ErrUnsupportedFile", err)
	}
	if _, err := prep.Prepare(context.Background(), filepath.Join(dir, "missing"), dst, prep.Options{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing input: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	writeFile(t, filepath.Join(dir, "big"), randomBytes(3, 2<<20))
	if _, err := prep.Prepare(ctx, filepath.Join(dir, "big"), dst, prep.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("failed runs left %s behind: %v", dst, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".out.car.*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	if _, err := prep.Commitment(context.Background(), bytes.NewReader(make([]byte, 64)), 64, prep.Options{}); err == nil {
		t.Error("CommP of 64 bytes succeeded")
	}
}
