// Package store is Strata's SQL layer: one DB type over database/sql with two
// implementations, SQLite (store/sqlite, pure Go, the embedded default) and
// PostgreSQL (store/postgres, for scale-out and HA). Both accept the same SQL
// with $1-style placeholders; schema comes from numbered migrations embedded
// by each component (see Migrate); transactions retry on busy and
// serialization failures (see Tx).
//
// A DB is safe for concurrent use.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// Errors, checked with errors.Is.
var (
	// ErrGaveUp wraps the last error when a transaction kept failing with
	// retryable errors until its attempts ran out.
	ErrGaveUp = errors.New("transaction gave up after retries")
	// ErrSchemaTooNew means the database was migrated by a newer binary.
	ErrSchemaTooNew = errors.New("database schema is newer than this binary")
	// ErrBadMigrations means a component's migration files are malformed.
	ErrBadMigrations = errors.New("bad migrations")
)

// Dialect is what differs between the database engines. Implementations live
// in the engine packages and must be safe for concurrent use.
type Dialect interface {
	// Name is "sqlite" or "postgres"; migration files may be specific to it.
	Name() string
	// Retryable reports whether err means "run the transaction again":
	// SQLITE_BUSY/LOCKED, PostgreSQL serialization failure or deadlock.
	Retryable(err error) bool
	// TxOptions maps the store's options to the driver's.
	TxOptions(TxOptions) *sql.TxOptions
	// LockMigrations serializes migrators across processes for the rest of tx.
	LockMigrations(ctx context.Context, tx *sql.Tx) error
}

// TxOptions tune one transaction.
type TxOptions struct {
	// Serializable asks for SERIALIZABLE isolation (PostgreSQL; SQLite write
	// transactions are always serialized). Conflicts then surface as
	// serialization failures, which Tx retries.
	Serializable bool
	// ReadOnly marks a transaction that only reads.
	ReadOnly bool
}

// RetryPolicy bounds the retries of a transaction.
type RetryPolicy struct {
	MaxAttempts int           // total attempts, at least 1
	BaseDelay   time.Duration // first backoff; doubled each attempt, with jitter
	MaxDelay    time.Duration
}

// DefaultRetry is the policy used when none is given.
func DefaultRetry() RetryPolicy {
	return RetryPolicy{MaxAttempts: 12, BaseDelay: 2 * time.Millisecond, MaxDelay: 250 * time.Millisecond}
}

// DB is a database with its dialect.
type DB struct {
	db      *sql.DB
	dialect Dialect
	log     *slog.Logger
	retry   RetryPolicy

	retries atomic.Int64
	// wmu makes this process's writers take turns in Go, for engines with
	// a single writer (SQLite), whose busy handler would otherwise sleep.
	wmu *sync.Mutex
}

// SingleWriter is implemented by a Dialect whose database admits one
// writing transaction at a time (SQLite).
type SingleWriter interface {
	SingleWriter() bool
}

// New wraps an open *sql.DB. Engine packages call it; others use their Open.
func New(db *sql.DB, d Dialect, log *slog.Logger, retry RetryPolicy) *DB {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	def := DefaultRetry()
	if retry.MaxAttempts < 1 {
		retry.MaxAttempts = def.MaxAttempts
	}
	if retry.BaseDelay <= 0 {
		retry.BaseDelay = def.BaseDelay
	}
	if retry.MaxDelay <= 0 {
		retry.MaxDelay = def.MaxDelay
	}
	out := &DB{db: db, dialect: d, log: log, retry: retry}
	if sw, ok := d.(SingleWriter); ok && sw.SingleWriter() {
		out.wmu = &sync.Mutex{}
	}
	return out
}

// SQL returns the underlying *sql.DB, for queries outside a transaction.
func (d *DB) SQL() *sql.DB { return d.db }

// Dialect returns the engine's name, "sqlite" or "postgres".
func (d *DB) Dialect() string { return d.dialect.Name() }

// Retries returns how many times transactions were retried since Open.
func (d *DB) Retries() int64 { return d.retries.Load() }

// Ping checks that the database answers (used by /readyz).
func (d *DB) Ping(ctx context.Context) error { return d.db.PingContext(ctx) }

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

// ExecContext runs a statement outside a transaction. With a
// single-writer engine it waits its turn among this process's writers; so
// must never be called from inside a Tx callback (use the tx).
func (d *DB) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if d.wmu != nil {
		d.wmu.Lock()
		defer d.wmu.Unlock()
	}
	return d.db.ExecContext(ctx, q, args...)
}

// QueryContext runs a query outside a transaction.
func (d *DB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return d.db.QueryContext(ctx, q, args...)
}

// QueryRowContext runs a single-row query outside a transaction.
func (d *DB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return d.db.QueryRowContext(ctx, q, args...)
}

// Tx runs fn in a read-write transaction; see TxWith.
func (d *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return d.TxWith(ctx, TxOptions{}, fn)
}

// TxWith runs fn in a transaction and commits it. With a single-writer
// engine, a transaction that is not ReadOnly waits its turn among this
// process's writers first, so fn must not call the DB's own Tx or
// ExecContext. If fn returns an error or
// panics, the transaction rolls back (and the panic goes on). If fn or the
// commit fails with a retryable error (busy, serialization failure,
// deadlock), the whole transaction runs again after a backoff, so fn must
// have no effects outside the transaction, or only idempotent ones. After
// the attempts run out the error wraps ErrGaveUp and the last failure.
func (d *DB) TxWith(ctx context.Context, opts TxOptions, fn func(tx *sql.Tx) error) error {
	delay := d.retry.BaseDelay
	for attempt := 1; ; attempt++ {
		err := d.once(ctx, opts, fn)
		if err == nil || !d.dialect.Retryable(err) {
			return err
		}
		if attempt >= d.retry.MaxAttempts {
			return fmt.Errorf("%w (%d attempts): %w", ErrGaveUp, attempt, err)
		}
		d.retries.Add(1)
		d.log.Debug("retrying transaction", "attempt", attempt, "err", err)
		// Full jitter keeps colliding writers from colliding again in step.
		wait := time.Duration(rand.Int64N(int64(delay))) + delay/2
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return fmt.Errorf("transaction retry: %w (last error: %w)", ctx.Err(), err)
		}
		delay = min(delay*2, d.retry.MaxDelay)
	}
}

func (d *DB) once(ctx context.Context, opts TxOptions, fn func(tx *sql.Tx) error) (err error) {
	if d.wmu != nil && !opts.ReadOnly {
		d.wmu.Lock()
		defer d.wmu.Unlock()
	}
	tx, err := d.db.BeginTx(ctx, d.dialect.TxOptions(opts))
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return errors.Join(err, fmt.Errorf("rollback: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
