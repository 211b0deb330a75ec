package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/strata-sp/strata/store"
	"github.com/strata-sp/strata/store/postgres"
	"github.com/strata-sp/strata/store/postgres/pgtest"
	"github.com/strata-sp/strata/store/storetest"
)

func open(t *testing.T) *store.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), postgres.Options{URL: pgtest.NewDatabase(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestConformance(t *testing.T) { storetest.Run(t, open) }

func TestOpen_Errors(t *testing.T) {
	_, err := postgres.Open(context.Background(), postgres.Options{URL: "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("Open of an unreachable server = %v", err)
	}
	if _, err := postgres.Open(context.Background(), postgres.Options{URL: "::not a url"}); err == nil {
		t.Error("Open with a bad URL succeeded")
	}
}
