package unsealed_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/strata-sp/strata/proof/unsealed"
)

// BenchmarkBuildTreeD hashes a 64 MiB staged sector into tree_d.
//
//	go test -run '^$' -bench BuildTreeD ./proof/unsealed
func BenchmarkBuildTreeD(b *testing.B) {
	dir := b.TempDir()
	staged := filepath.Join(dir, "staged")
	if _, err := unsealed.AddPieces(context.Background(), staged, 64<<20, nil); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(64 << 20)
	for b.Loop() {
		if _, err := unsealed.BuildTreeD(context.Background(), staged, filepath.Join(dir, "tree-d")); err != nil {
			b.Fatal(err)
		}
	}
}
