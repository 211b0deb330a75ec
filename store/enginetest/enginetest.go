// Package enginetest runs a test against each store engine: SQLite in a
// temporary file, and PostgreSQL in a database of its own (pgtest: skipped
// with a reason outside make test, failing under STRATA_REQUIRE_POSTGRES).
package enginetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/strata-sp/strata/store"
	"github.com/strata-sp/strata/store/postgres"
	"github.com/strata-sp/strata/store/postgres/pgtest"
	"github.com/strata-sp/strata/store/sqlite"
)

// Engine opens a fresh, empty database, closed when the test ends.
type Engine struct {
	Name string
	Open func(t testing.TB) *store.DB
}

// SQLite opens a database in a temporary file.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), sqlite.Options{Path: filepath.Join(t.TempDir(), "test.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// Postgres opens a database of the test's own on the test server.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), postgres.Options{URL: pgtest.NewDatabase(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// All lists the engines.
func All() []Engine { return []Engine{{"sqlite", SQLite}, {"postgres", Postgres}} }

// ForEach runs fn as a subtest per engine, each with a fresh database.
func ForEach(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	for _, e := range All() {
		t.Run(e.Name, func(t *testing.T) { fn(t, e.Open(t)) })
	}
}
