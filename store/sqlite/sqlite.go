// Package sqlite opens a store.DB on SQLite through modernc.org/sqlite, a
// pure-Go driver (no cgo), in WAL mode. Write transactions begin IMMEDIATE
// so that two writers queue on the lock (busy_timeout) instead of failing
// late on an upgrade from reader to writer; what still comes back busy is
// retried by store.DB.Tx.
//
// Durability: synchronous=NORMAL. In WAL mode a transaction is committed
// once its frames are written to the WAL file (in the OS's cache), without
// an fsync; the WAL is fsynced at each checkpoint. So every answer given
// after a commit survives the process being killed (the WAL is replayed on
// the next open), but the last transactions before a power loss or an OS
// crash may roll back (https://www.sqlite.org/pragma.html#pragma_synchronous,
// https://www.sqlite.org/wal.html). FULL would fsync at every commit, which
// the hub's group commit could afford, but which makes every single
// transaction wait for the disk; a deployment that must survive power loss
// without rewinding should put the hub on PostgreSQL with synchronous_commit.
//
// Checkpoints: SQLite copies the WAL back into the database file at a
// commit that finds the WAL over wal_autocheckpoint pages, in the committing
// transaction, with two fsyncs; under load that stalls the one writer every
// few commits. So a goroutine per DB checkpoints in the background instead
// (PASSIVE: it never waits for readers or the writer), and the automatic
// checkpoint is only a backstop for a WAL the background one cannot keep
// small.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/strata-sp/strata/store"
)

// Options configure Open.
type Options struct {
	// Path of the database file; its directory is created if missing.
	Path string
	// BusyTimeout is how long a statement waits for a lock before SQLite
	// reports busy. Zero means 5s.
	BusyTimeout time.Duration
	// MaxOpenConns bounds the connection pool. Zero means 8.
	MaxOpenConns int
	Retry        store.RetryPolicy
	Logger       *slog.Logger
}

// Open opens (creating if needed) the database at opts.Path.
func Open(ctx context.Context, opts Options) (*store.DB, error) {
	if opts.Path == "" {
		return nil, errors.New("sqlite: a database path is required")
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.MaxOpenConns <= 0 {
		opts.MaxOpenConns = 8
	}
	if err := os.MkdirAll(filepath.Dir(opts.Path), 0o700); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	q := url.Values{}
	for _, p := range []string{
		fmt.Sprintf("busy_timeout(%d)", opts.BusyTimeout.Milliseconds()),
		"journal_mode(WAL)",
		"synchronous(NORMAL)", // durable in WAL mode up to the last checkpointed commit
		"foreign_keys(ON)",
		// Pages kept per connection: enough for a hub's hot rows and
		// indexes, so that a write does not read its pages from the file.
		"cache_size(-32768)",
		fmt.Sprintf("wal_autocheckpoint(%d)", backstopCheckpointPages),
		// The WAL file is truncated back to this when it restarts, after a
		// burst made it grow.
		"journal_size_limit(67108864)",
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: opts.Path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", opts.Path, err)
	}
	db.SetMaxOpenConns(opts.MaxOpenConns)
	db.SetMaxIdleConns(opts.MaxOpenConns)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", opts.Path, err)
	}
	return store.New(db, Dialect{}, opts.Logger, opts.Retry), nil
}

// backstopCheckpointPages is the WAL size (in 4 KiB pages) past which a
// commit checkpoints itself, when the background checkpoints fall behind.
const backstopCheckpointPages = 16384

// checkpointEvery is the interval of the background checkpoints. The WAL
// then holds at most this long's writes, which readers search.
const checkpointEvery = 200 * time.Millisecond

// Dialect is SQLite's store.Dialect.
type Dialect struct{}

var _ store.Dialect = Dialect{}

// Name implements store.Dialect.
func (Dialect) Name() string { return "sqlite" }

// SingleWriter implements store.SingleWriter: SQLite has one writer at a
// time, so the store queues this process's writers in Go.
func (Dialect) SingleWriter() bool { return true }

// CacheStatements implements store.StatementCache: the driver parses a
// statement at every execution unless it is prepared, which costs more
// than running the small statements the hot paths use.
func (Dialect) CacheStatements() bool { return true }

// Retryable implements store.Dialect: SQLITE_BUSY and SQLITE_LOCKED, with
// any extended code.
func (Dialect) Retryable(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return true
	}
	return false
}

// TxOptions implements store.Dialect. SQLite serializes writers whatever the
// level, and the driver rejects levels it does not know, so none is passed.
func (Dialect) TxOptions(o store.TxOptions) *sql.TxOptions {
	return &sql.TxOptions{ReadOnly: o.ReadOnly}
}

// LockMigrations implements store.Dialect: a write transaction (BEGIN
// IMMEDIATE) already holds the database's only write lock.
func (Dialect) LockMigrations(context.Context, *sql.Tx) error { return nil }

// Maintain implements store.Maintainer: it checkpoints the WAL every
// checkpointEvery, PASSIVE, so that the writer's commits do not.
func (Dialect) Maintain(ctx context.Context, db *sql.DB, log *slog.Logger) {
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var busy, frames, done int
		err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done)
		if err != nil && ctx.Err() == nil {
			log.Debug("sqlite: background checkpoint", "err", err)
		}
	}
}
