package unsealed_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/fil/commp"
	"github.com/strata-sp/strata/fil/fr32"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/fil/sha254"
	"github.com/strata-sp/strata/proof/unsealed"
)

func data(seed uint64, size piece.PaddedSize) []byte {
	b := make([]byte, uint64(size)/128*127)
	_, _ = rand.NewChaCha8([32]byte{byte(seed)}).Read(b)
	return b
}

func commP(t *testing.T, b []byte) cid.Cid {
	t.Helper()
	h := commp.New(commp.Options{})
	_, _ = h.Write(b)
	c, _, err := h.Sum()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// flatRoot is the plain reference: the whole file in memory, reduced one
// level at a time.
func flatRoot(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for len(b) > 32 {
		next := make([]byte, len(b)/2)
		for i := 0; i < len(b); i += 64 {
			var l, r [32]byte
			copy(l[:], b[i:])
			copy(r[:], b[i+32:])
			n := sha254.Node(l, r)
			copy(next[i/2:], n[:])
		}
		b = next
	}
	return [32]byte(b)
}

func TestTreeD_EmptySectorVectors(t *testing.T) {
	// sdr-spec.md §6(d), filecoin-proofs tests/pieces.rs test_compute_comm_d_empty.
	for size, want := range map[piece.PaddedSize]string{
		2048: "fc7e928296e516faade986b28f92d44a4f24b935485223376a799027bc18f833",
		128:  "3731bb99ac689f66eef5973e4a94da188f4ddcae580724fc6f3fd60dfd488333",
	} {
		dir := t.TempDir()
		if _, err := unsealed.AddPieces(context.Background(), filepath.Join(dir, "s"), size, nil); err != nil {
			t.Fatal(err)
		}
		root, err := unsealed.BuildTreeD(context.Background(), filepath.Join(dir, "s"), filepath.Join(dir, "t"))
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(root[:]) != want {
			t.Errorf("%d-byte empty sector: CommD %x, want %s", size, root, want)
		}
	}
}

func TestAddPieces_CommDMatchesPieceList(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		sector piece.PaddedSize
		sizes  []piece.PaddedSize
	}{
		{"2KiB aligned gaps", 2048, []piece.PaddedSize{128, 256, 512, 1024}},
		{"2KiB one piece", 2048, []piece.PaddedSize{2048}},
		{"8MiB multi-chunk", 8 << 20, []piece.PaddedSize{1 << 20, 256 << 10, 2 << 20, 128}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var pieces []unsealed.Piece
			var payloads [][]byte
			for i, s := range tc.sizes {
				b := data(uint64(i+1), s)
				payloads = append(payloads, b)
				pieces = append(pieces, unsealed.Piece{Size: s, CID: commP(t, b), Data: bytes.NewReader(b)})
			}
			staged := filepath.Join(dir, "staged")
			infos, err := unsealed.AddPieces(ctx, staged, tc.sector, pieces)
			if err != nil {
				t.Fatal(err)
			}
			want, err := commp.UnsealedCID(tc.sector, infos)
			if err != nil {
				t.Fatal(err)
			}
			root, err := unsealed.BuildTreeD(ctx, staged, filepath.Join(dir, "tree-d"))
			if err != nil {
				t.Fatal(err)
			}
			if got := piece.CIDv1(root); !got.Equals(want) {
				t.Errorf("CommD from the staged file %s, from the piece list %s", got, want)
			}
			if root != flatRoot(t, staged) {
				t.Error("chunked tree_d root differs from the flat reference")
			}
			// Each piece reads back at its aligned offset; everything else is zero.
			f, _ := os.ReadFile(staged)
			var off uint64
			covered := make([]bool, len(f))
			for i, s := range tc.sizes {
				off = (off + uint64(s) - 1) &^ (uint64(s) - 1)
				out := make([]byte, len(payloads[i]))
				fr32.Unpad(f[off:off+uint64(s)], out)
				if !bytes.Equal(out, payloads[i]) {
					t.Errorf("piece %d does not read back at offset %d", i, off)
				}
				for j := off; j < off+uint64(s); j++ {
					covered[j] = true
				}
				off += uint64(s)
			}
			for j, b := range f {
				if !covered[j] && b != 0 {
					t.Fatalf("byte %d outside every piece is %#x", j, b)
				}
			}
		})
	}
}

func TestTreeD_Paths(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	b := data(9, 2048)
	staged := filepath.Join(dir, "staged")
	if _, err := unsealed.AddPieces(ctx, staged, 2048, []unsealed.Piece{{Size: 2048, Data: bytes.NewReader(b)}}); err != nil {
		t.Fatal(err)
	}
	root, err := unsealed.BuildTreeD(ctx, staged, filepath.Join(dir, "tree-d"))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := unsealed.OpenTreeD(filepath.Join(dir, "tree-d"), 2048)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	if tree.Root() != root || tree.Leaves() != 64 {
		t.Fatalf("opened tree: root %x leaves %d", tree.Root(), tree.Leaves())
	}
	for i := uint64(0); i < 64; i++ {
		leaf, err := tree.Leaf(i)
		if err != nil {
			t.Fatal(err)
		}
		path, err := tree.Path(i)
		if err != nil || len(path) != 6 {
			t.Fatalf("path %d: %d siblings, %v", i, len(path), err)
		}
		if !unsealed.VerifyPath(root, leaf, i, path) {
			t.Fatalf("path of leaf %d does not verify", i)
		}
		if unsealed.VerifyPath(root, leaf, i^1, path) {
			t.Fatalf("path of leaf %d verifies at index %d", i, i^1)
		}
		bad := append([][32]byte(nil), path...)
		bad[int(i)%6][int(i)%32] ^= 1
		if unsealed.VerifyPath(root, leaf, i, bad) {
			t.Fatalf("tampered path of leaf %d verifies", i)
		}
		leaf[0] ^= 0x80
		if unsealed.VerifyPath(root, leaf, i, path) {
			t.Fatalf("tampered leaf %d verifies", i)
		}
	}
	if _, err := tree.Path(64); err == nil {
		t.Error("path of leaf 64 of 64")
	}
	if unsealed.VerifyPath(root, [32]byte{}, 1<<7, make([][32]byte, 6)) {
		t.Error("index beyond the tree verified")
	}
	if _, err := unsealed.OpenTreeD(filepath.Join(dir, "tree-d"), 4096); !errors.Is(err, unsealed.ErrBadTree) {
		t.Errorf("opening with the wrong sector size: %v", err)
	}
}

func TestAddPieces_Errors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "staged")
	b := data(1, 1024)
	wrong := commP(t, data(2, 1024))
	tests := []struct {
		name   string
		pieces []unsealed.Piece
		want   error
	}{
		{"CommP mismatch", []unsealed.Piece{{Size: 1024, CID: wrong, Data: bytes.NewReader(b)}}, unsealed.ErrCommPMismatch},
		{"short data", []unsealed.Piece{{Size: 1024, Data: bytes.NewReader(b[:500])}}, unsealed.ErrShortPiece},
		{"overrun", []unsealed.Piece{{Size: 1024, Data: bytes.NewReader(b)}, {Size: 2048, Data: bytes.NewReader(nil)}}, unsealed.ErrDoesNotFit},
		{"bad size", []unsealed.Piece{{Size: 1000, Data: bytes.NewReader(b)}}, piece.ErrInvalidSize},
	}
	for _, tc := range tests {
		_, err := unsealed.AddPieces(ctx, path, 2048, tc.pieces)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%s: staged file left behind", tc.name)
		}
	}
	long := io.MultiReader(bytes.NewReader(b), bytes.NewReader([]byte{1}))
	if _, err := unsealed.AddPieces(ctx, path, 2048, []unsealed.Piece{{Size: 1024, Data: long}}); err == nil {
		t.Error("a piece with extra bytes was accepted")
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".staged.*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
