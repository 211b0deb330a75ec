package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/strata-sp/strata/store"
	"github.com/strata-sp/strata/store/sqlite"
	"github.com/strata-sp/strata/store/storetest"
)

func open(t *testing.T) *store.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), sqlite.Options{
		Path:        filepath.Join(t.TempDir(), "nested", "strata.db"),
		BusyTimeout: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestConformance(t *testing.T) { storetest.Run(t, open) }

func TestOpen_Errors(t *testing.T) {
	if _, err := sqlite.Open(context.Background(), sqlite.Options{}); err == nil {
		t.Error("Open without a path succeeded")
	}
}
