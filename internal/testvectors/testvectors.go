// Package testvectors locates the published test vectors that live in
// ../shared/vectors beside the repository (see that folder's README).
//
// Tests fail, not skip, when the folder is missing: CI always has it, and a
// vector test that silently skips proves nothing.
package testvectors

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Dir returns the absolute path of the shared vectors folder. It walks up from
// the working directory to the module root (the directory holding go.mod) and
// looks for ../shared/vectors there. STRATA_VECTORS overrides the lookup.
func Dir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("STRATA_VECTORS"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatalf("testvectors: working directory: %v", err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			v := filepath.Join(filepath.Dir(dir), "shared", "vectors")
			if _, err := os.Stat(v); err != nil {
				t.Fatalf("testvectors: %s not found (the shared folder must sit beside the clone, or set STRATA_VECTORS): %v", v, err)
			}
			return v
		}
		if filepath.Dir(dir) == dir {
			t.Fatalf("testvectors: no go.mod above %s", wd)
		}
	}
}

// Path returns the path of one vector file, failing the test if it is absent.
func Path(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(Dir(t), name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("testvectors: %v", err)
	}
	return p
}

// Rows returns the data rows of a vector file, each split on sep, skipping
// blank lines and # comments (the header of every file there).
func Rows(t testing.TB, name, sep string) [][]string {
	t.Helper()
	b, err := os.ReadFile(Path(t, name))
	if err != nil {
		t.Fatalf("testvectors: %v", err)
	}
	var rows [][]string
	for line := range strings.SplitSeq(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rows = append(rows, strings.Split(line, sep))
	}
	return rows
}
