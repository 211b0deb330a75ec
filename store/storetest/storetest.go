// Package storetest is the conformance suite every store engine passes: the
// same tests, run against SQLite and PostgreSQL by each engine's tests.
package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/strata-sp/strata/store"
)

// Opener returns a fresh, empty database for one test; the engine's test
// closes it when the test ends.
type Opener func(t *testing.T) *store.DB

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	t.Run("MigrateFromEmpty", func(t *testing.T) { testMigrateFromEmpty(t, open(t)) })
	t.Run("MigrateFailureRollsBack", func(t *testing.T) { testMigrateFailure(t, open(t)) })
	t.Run("MigrateSchemaTooNew", func(t *testing.T) { testSchemaTooNew(t, open(t)) })
	t.Run("MigrateConcurrently", func(t *testing.T) { testMigrateConcurrently(t, open(t)) })
	t.Run("TxCommitRollbackPanic", func(t *testing.T) { testTx(t, open(t)) })
	t.Run("ConcurrentWriters", func(t *testing.T) { testConcurrentWriters(t, open(t)) })
	t.Run("RetryOnConflict", func(t *testing.T) { testRetry(t, open(t)) })
	t.Run("SharedSQL", func(t *testing.T) { testSharedSQL(t, open(t)) })
	t.Run("CachedStatements", func(t *testing.T) { testCachedStatements(t, open(t)) })
	t.Run("RetryStatement", func(t *testing.T) { testRetryStatement(t, open(t)) })
	t.Run("CloseTwice", func(t *testing.T) { testCloseTwice(t, open(t)) })
}

// migrations is a component's schema history, with a version that differs
// per dialect (BLOB vs BYTEA).
func migrations(n int) fstest.MapFS {
	all := fstest.MapFS{
		"0001_items.sql":          {Data: []byte(`CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL);`)},
		"0002_items_count.sql":    {Data: []byte("ALTER TABLE items ADD COLUMN n BIGINT NOT NULL DEFAULT 0;\nCREATE INDEX items_name ON items (name);")},
		"0003_blobs.sqlite.sql":   {Data: []byte(`CREATE TABLE blobs (id BIGINT PRIMARY KEY, data BLOB NOT NULL);`)},
		"0003_blobs.postgres.sql": {Data: []byte(`CREATE TABLE blobs (id BIGINT PRIMARY KEY, data BYTEA NOT NULL);`)},
		"README.md":               {Data: []byte("not a migration")},
	}
	out := fstest.MapFS{}
	for name, f := range all {
		if strings.HasSuffix(name, ".sql") && name[:4] > fmt.Sprintf("%04d", n) {
			continue
		}
		out[name] = f
	}
	return out
}

func testMigrateFromEmpty(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if v, err := db.Version(ctx, "x"); err == nil || v != 0 {
		// Before any migration there is no table at all.
		t.Logf("version before migrating: %d, %v", v, err)
	}
	n, err := db.Migrate(ctx, "test", migrations(3))
	if err != nil || n != 3 {
		t.Fatalf("Migrate from empty = %d, %v; want 3 applied", n, err)
	}
	if v, err := db.Version(ctx, "test"); err != nil || v != 3 {
		t.Fatalf("Version = %d, %v", v, err)
	}
	n, err = db.Migrate(ctx, "test", migrations(3))
	if err != nil || n != 0 {
		t.Fatalf("second Migrate = %d, %v; want 0", n, err)
	}
	// Components have separate histories in the same database.
	other := fstest.MapFS{"0001_other.sql": {Data: []byte(`CREATE TABLE other (id BIGINT PRIMARY KEY);`)}}
	if n, err := db.Migrate(ctx, "other", other); err != nil || n != 1 {
		t.Fatalf("Migrate(other) = %d, %v", n, err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO blobs (id, data) VALUES ($1, $2)`, 1, []byte{0, 1, 2, 255}); err != nil {
		t.Fatal(err)
	}
	var data []byte
	if err := db.QueryRowContext(ctx, `SELECT data FROM blobs WHERE id = $1`, 1).Scan(&data); err != nil || string(data) != "\x00\x01\x02\xff" {
		t.Fatalf("blob round trip = %x, %v", data, err)
	}
	var names []string
	rows, err := db.QueryContext(ctx, `SELECT name FROM strata_migrations WHERE component = $1 ORDER BY version`, "test")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		names = append(names, s)
	}
	want := fmt.Sprintf("[0001_items.sql 0002_items_count.sql 0003_blobs.%s.sql]", db.Dialect())
	if fmt.Sprint(names) != want {
		t.Errorf("recorded %v, want %s", names, want)
	}
}

func testMigrateFailure(t *testing.T, db *store.DB) {
	ctx := context.Background()
	bad := migrations(1)
	bad["0002_broken.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE half (id BIGINT);\nCREATE TABLE oops (;")}
	_, err := db.Migrate(ctx, "test", bad)
	if err == nil || !strings.Contains(err.Error(), "0002_broken.sql") {
		t.Fatalf("Migrate with a broken file = %v, want an error naming 0002_broken.sql", err)
	}
	if v, _ := db.Version(ctx, "test"); v != 1 {
		t.Errorf("version after a failed migration = %d, want 1", v)
	}
	// The failed migration's first statement rolled back with it.
	if _, err := db.ExecContext(ctx, `SELECT id FROM half`); err == nil {
		t.Error("table created by the failed migration still exists")
	}
	if n, err := db.Migrate(ctx, "test", migrations(3)); err != nil || n != 2 {
		t.Errorf("Migrate after fixing = %d, %v; want 2", n, err)
	}
	for name, fs := range map[string]fstest.MapFS{
		"gap":                {"0001_a.sql": {Data: []byte("SELECT 1")}, "0003_c.sql": {Data: []byte("SELECT 1")}},
		"duplicate":          {"0001_a.sql": {Data: []byte("SELECT 1")}, "0001_b.sql": {Data: []byte("SELECT 1")}},
		"bad name":           {"1_a.sql": {Data: []byte("SELECT 1")}},
		"other dialect only": {"0001_a.mysql.sql": {Data: []byte("SELECT 1")}},
	} {
		if _, err := db.Migrate(ctx, "bad", fs); !errors.Is(err, store.ErrBadMigrations) {
			t.Errorf("%s: Migrate = %v, want ErrBadMigrations", name, err)
		}
	}
}

func testSchemaTooNew(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if _, err := db.Migrate(ctx, "test", migrations(3)); err != nil {
		t.Fatal(err)
	}
	_, err := db.Migrate(ctx, "test", migrations(2))
	if !errors.Is(err, store.ErrSchemaTooNew) || !strings.Contains(err.Error(), "version 3, this binary knows 2") {
		t.Errorf("older binary on a newer schema: %v", err)
	}
}

func testMigrateConcurrently(t *testing.T, db *store.DB) {
	ctx := context.Background()
	var total atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for range 6 {
		wg.Go(func() {
			n, err := db.Migrate(ctx, "test", migrations(3))
			total.Add(int64(n))
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent Migrate: %v", err)
		}
	}
	if total.Load() != 3 {
		t.Errorf("concurrent migrators applied %d migrations in all, want 3", total.Load())
	}
}

var errAbort = errors.New("abort")

func testTx(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if _, err := db.Migrate(ctx, "test", migrations(1)); err != nil {
		t.Fatal(err)
	}
	insert := func(id int) func(*sql.Tx) error {
		return func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO items (id, name) VALUES ($1, $2)`, id, fmt.Sprint("item", id))
			return err
		}
	}
	if err := db.Tx(ctx, insert(1)); err != nil {
		t.Fatal(err)
	}
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		if err := insert(2)(tx); err != nil {
			return err
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Errorf("Tx returned %v, want the function's error", err)
	}
	func() {
		defer func() {
			if p := recover(); p != "boom" {
				t.Errorf("panic = %v, want it to go on", p)
			}
		}()
		_ = db.Tx(ctx, func(tx *sql.Tx) error {
			_ = insert(3)(tx)
			panic("boom")
		})
	}()
	// A non-retryable error (duplicate key) is returned at once.
	if err := db.Tx(ctx, insert(1)); err == nil {
		t.Error("duplicate insert succeeded")
	}
	var ids []int
	rows, err := db.QueryContext(ctx, `SELECT id FROM items ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int
		_ = rows.Scan(&id)
		ids = append(ids, id)
	}
	if fmt.Sprint(ids) != "[1]" {
		t.Errorf("rows after commit, rollback and panic = %v, want [1]", ids)
	}
}

// testConcurrentWriters runs read-modify-write increments from many
// goroutines: every increment must count, which needs serialized writers
// (SQLite) or serializable isolation with retries (PostgreSQL).
func testConcurrentWriters(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if _, err := db.Migrate(ctx, "test", migrations(2)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO items (id, name, n) VALUES (1, 'counter', 0)`); err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() {
			for range each {
				err := db.TxWith(ctx, store.TxOptions{Serializable: true}, func(tx *sql.Tx) error {
					var n int
					if err := tx.QueryRowContext(ctx, `SELECT n FROM items WHERE id = 1`).Scan(&n); err != nil {
						return err
					}
					_, err := tx.ExecContext(ctx, `UPDATE items SET n = $1 WHERE id = 1`, n+1)
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("writer: %v", err)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT n FROM items WHERE id = 1`).Scan(&n); err != nil || n != writers*each {
		t.Fatalf("counter = %d, %v; want %d", n, err, writers*each)
	}
	t.Logf("%s: %d increments, %d transaction retries", db.Dialect(), n, db.Retries())
}

// testRetry makes the database itself refuse a transaction with its
// retryable error, once, and checks that Tx ran it again and succeeded.
func testRetry(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if _, err := db.Migrate(ctx, "test", migrations(2)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO items (id, name, n) VALUES (1, 'counter', 0)`); err != nil {
		t.Fatal(err)
	}
	before := db.Retries()
	attempts := 0
	switch db.Dialect() {
	case "postgres":
		// Serialization failure: our transaction reads the row, another
		// commits a change to it, then ours writes it.
		competitorDone := make(chan error, 1)
		err := db.TxWith(ctx, store.TxOptions{Serializable: true}, func(tx *sql.Tx) error {
			attempts++
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT n FROM items WHERE id = 1`).Scan(&n); err != nil {
				return err
			}
			if attempts == 1 {
				go func() {
					_, err := db.ExecContext(ctx, `UPDATE items SET n = n + 100 WHERE id = 1`)
					competitorDone <- err
				}()
				if err := <-competitorDone; err != nil {
					return fmt.Errorf("competitor: %w", err)
				}
			}
			_, err := tx.ExecContext(ctx, `UPDATE items SET n = $1 WHERE id = 1`, n+1)
			return err
		})
		if err != nil {
			t.Fatalf("Tx after a serialization failure: %v", err)
		}
	case "sqlite":
		// Busy: another connection holds the write lock for longer than
		// busy_timeout, then lets go.
		hold, err := db.SQL().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := hold.ExecContext(ctx, `UPDATE items SET n = n + 100 WHERE id = 1`); err != nil {
			t.Fatal(err)
		}
		// Let go only once the store has met busy and retried (or after a
		// safety limit, which fails the assertion below): no timing guess.
		released := make(chan struct{})
		go func() {
			defer close(released)
			deadline := time.Now().Add(10 * time.Second)
			for db.Retries() <= before && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			_ = hold.Commit()
		}()
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			attempts++
			_, err := tx.ExecContext(ctx, `UPDATE items SET n = n + 1 WHERE id = 1`)
			return err
		})
		<-released
		if err != nil {
			t.Fatalf("Tx after busy: %v", err)
		}
	default:
		t.Fatalf("no conflict scenario for dialect %q", db.Dialect())
	}
	// SQLite may refuse at BEGIN IMMEDIATE, before fn runs; PostgreSQL fails
	// inside fn. Either way the store counted a retry.
	if db.Retries() <= before || (db.Dialect() == "postgres" && attempts < 2) {
		t.Errorf("attempts = %d, retries = %d: the conflict was not retried", attempts, db.Retries()-before)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT n FROM items WHERE id = 1`).Scan(&n); err != nil || n != 101 {
		t.Errorf("counter = %d, %v; want 101 (both writes kept)", n, err)
	}
}

// testSharedSQL checks SQL that Strata's components write once for both
// engines: $N placeholders out of order, upsert, RETURNING, NULLs.
func testSharedSQL(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if _, err := db.Migrate(ctx, "test", migrations(2)); err != nil {
		t.Fatal(err)
	}
	var id int64
	err := db.QueryRowContext(ctx, `INSERT INTO items (id, name, n) VALUES ($2, $1, $3) RETURNING id`, "a", 7, 1).Scan(&id)
	if err != nil || id != 7 {
		t.Fatalf("INSERT RETURNING = %d, %v", id, err)
	}
	var n int64
	err = db.QueryRowContext(ctx, `INSERT INTO items (id, name, n) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET n = items.n + excluded.n RETURNING n`, 7, "a", 5).Scan(&n)
	if err != nil || n != 6 {
		t.Fatalf("upsert = %d, %v", n, err)
	}
	var name sql.NullString
	if err := db.QueryRowContext(ctx, `SELECT MAX(name) FROM items WHERE id = $1`, int64(99)).Scan(&name); err != nil || name.Valid {
		t.Fatalf("NULL scan = %v, %v", name, err)
	}
	// The claim pattern of STYLE.md rule 7: one statement takes ownership.
	res, err := db.ExecContext(ctx, `UPDATE items SET name = $1 WHERE id = $2 AND name = $3`, "owned", 7, "a")
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := res.RowsAffected(); k != 1 {
		t.Fatalf("claim affected %d rows", k)
	}
	res, _ = db.ExecContext(ctx, `UPDATE items SET name = $1 WHERE id = $2 AND name = $3`, "stolen", 7, "a")
	if k, _ := res.RowsAffected(); k != 0 {
		t.Fatalf("second claim affected %d rows", k)
	}
}

// testCachedStatements runs DB.Exec, Query and QueryRow, in and out of
// transactions, concurrently, with the same texts: on SQLite they share
// prepared statements across the pool's connections.
func testCachedStatements(t *testing.T, db *store.DB) {
	ctx := context.Background()
	if _, err := db.Migrate(ctx, "test", migrations(2)); err != nil {
		t.Fatal(err)
	}
	const (
		insert = `INSERT INTO items (id, name, n) VALUES ($1, $2, $3)`
		bump   = `UPDATE items SET n = n + 1 WHERE id = $1`
		get    = `SELECT n FROM items WHERE id = $1`
		list   = `SELECT id FROM items WHERE n >= $1 ORDER BY id`
	)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				id := int64(g*100 + i)
				if _, err := db.Exec(ctx, nil, insert, id, fmt.Sprint(id), 0); err != nil {
					errs <- fmt.Errorf("Exec outside a transaction: %w", err)
					return
				}
				err := db.Tx(ctx, func(tx *sql.Tx) error {
					res, err := db.Exec(ctx, tx, bump, id)
					if err != nil {
						return err
					}
					if k, _ := res.RowsAffected(); k != 1 {
						return fmt.Errorf("bump affected %d rows", k)
					}
					var n int64
					if err := db.QueryRow(ctx, tx, get, id).Scan(&n); err != nil || n != 1 {
						return fmt.Errorf("n in the transaction = %d, %v", n, err)
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
				var n int64
				if err := db.QueryRow(ctx, nil, get, id).Scan(&n); err != nil || n != 1 {
					errs <- fmt.Errorf("n after commit = %d, %v", n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	rows, err := db.Query(ctx, nil, list, 1)
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for rows.Next() {
		count++
	}
	if err := rows.Close(); err != nil || count != 80 {
		t.Errorf("Query listed %d items, %v; want 80", count, err)
	}
	// A rolled-back transaction's statements leave nothing behind.
	_ = db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := db.Exec(ctx, tx, bump, int64(0)); err != nil {
			return err
		}
		return errors.New("roll back")
	})
	var n int64
	if err := db.QueryRow(ctx, nil, get, int64(0)).Scan(&n); err != nil || n != 1 {
		t.Errorf("n after a rollback = %d, %v; want 1", n, err)
	}
	// A bad statement fails where it is run, not when it is cached.
	if _, err := db.Exec(ctx, nil, `UPDATE no_such_table SET x = 1`); err == nil {
		t.Error("Exec of a bad statement succeeded")
	}
	if err := db.QueryRow(ctx, nil, `SELECT x FROM no_such_table`).Scan(&n); err == nil {
		t.Error("QueryRow of a bad statement succeeded")
	}
}

// testRetryStatement checks that DB.Retry runs a function again after a
// retryable error only.
func testRetryStatement(t *testing.T, db *store.DB) {
	ctx := context.Background()
	calls := 0
	if err := db.Retry(ctx, func() error { calls++; return nil }); err != nil || calls != 1 {
		t.Errorf("Retry of a success: %d calls, %v", calls, err)
	}
	calls = 0
	boom := errors.New("boom")
	if err := db.Retry(ctx, func() error { calls++; return boom }); !errors.Is(err, boom) || calls != 1 {
		t.Errorf("Retry of a plain failure: %d calls, %v", calls, err)
	}
}

func testCloseTwice(t *testing.T, db *store.DB) {
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
