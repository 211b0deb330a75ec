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
	// stmts holds the statements Exec, Query and QueryRow prepared, by
	// query text, when the engine gains from them (see StatementCache); nil
	// otherwise.
	stmts  *sync.Map
	nstmts atomic.Int64

	// stop ends the Maintainer's goroutine; maintained is closed when it
	// has returned.
	stop       context.CancelFunc
	maintained chan struct{}
	closeOnce  sync.Once
	closeErr   error
}

// Maintainer is implemented by a Dialect with work to do in the background
// while a DB is open (SQLite's WAL checkpoints). Maintain runs in a
// goroutine of its own from New until ctx ends, when Close is called; it
// must not take part in the DB's single-writer turns.
type Maintainer interface {
	Maintain(ctx context.Context, db *sql.DB, log *slog.Logger)
}

// StatementCache is implemented by a Dialect whose driver parses a
// statement again at every execution unless it was prepared (SQLite through
// modernc.org/sqlite). pgx keeps a cache of prepared statements per
// connection itself, so PostgreSQL needs none here.
type StatementCache interface {
	CacheStatements() bool
}

// maxCachedStmts bounds the statements kept prepared; queries past it run
// unprepared. Callers pass constant query texts, so it is never reached in
// practice; the bound only guards against a query built per call.
const maxCachedStmts = 512

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
	if sc, ok := d.(StatementCache); ok && sc.CacheStatements() {
		out.stmts = &sync.Map{}
	}
	if m, ok := d.(Maintainer); ok {
		ctx, cancel := context.WithCancel(context.Background())
		out.stop, out.maintained = cancel, make(chan struct{})
		go func() {
			defer close(out.maintained)
			m.Maintain(ctx, db, log)
		}()
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

// Close stops the background work, closes the statements it prepared and
// the database. Later calls return the first one's result.
func (d *DB) Close() error {
	d.closeOnce.Do(func() {
		if d.stop != nil {
			d.stop()
			<-d.maintained
		}
		if d.stmts != nil {
			d.stmts.Range(func(_, v any) bool {
				_ = v.(*sql.Stmt).Close()
				return true
			})
		}
		d.closeErr = d.db.Close()
	})
	return d.closeErr
}

// SingleWriter reports whether the engine admits one writing transaction at
// a time (SQLite), so that a caller with many small writes gains by putting
// them in one transaction rather than running them side by side.
func (d *DB) SingleWriter() bool { return d.wmu != nil }

// detach returns the context a statement runs under. On an engine that
// runs in process (SQLite) that is ctx without its cancellation: a
// statement there is bounded by the busy timeout and takes microseconds to
// milliseconds, while a cancellable context costs two goroutines per
// statement (database/sql's watch of the rows and the driver's, which
// would interrupt it), a large share of a small query's cost. A statement
// whose context has already ended still fails at once. On PostgreSQL the
// cancellation is kept: it stops a query on the server.
func (d *DB) detach(ctx context.Context) context.Context {
	if d.wmu == nil || ctx.Done() == nil || ctx.Err() != nil {
		return ctx
	}
	return context.WithoutCancel(ctx)
}

// stmt returns q prepared, or nil when the engine does not gain from it or
// preparing failed (the caller then runs q unprepared, which reports the
// error, if any, where it belongs).
func (d *DB) stmt(ctx context.Context, q string) *sql.Stmt {
	if d.stmts == nil {
		return nil
	}
	if v, ok := d.stmts.Load(q); ok {
		return v.(*sql.Stmt)
	}
	if d.nstmts.Load() >= maxCachedStmts {
		return nil
	}
	st, err := d.db.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	if v, loaded := d.stmts.LoadOrStore(q, st); loaded {
		_ = st.Close()
		return v.(*sql.Stmt)
	}
	d.nstmts.Add(1)
	return st
}

// Exec runs a statement in tx, or outside a transaction when tx is nil
// (as ExecContext does, waiting its turn among writers). On engines that
// parse every statement anew (see StatementCache) the statement is prepared
// once per connection and kept, so q should be a constant text.
func (d *DB) Exec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	ctx = d.detach(ctx)
	if tx == nil {
		if d.wmu != nil {
			d.wmu.Lock()
			defer d.wmu.Unlock()
		}
		if st := d.stmt(ctx, q); st != nil {
			return st.ExecContext(ctx, args...)
		}
		return d.db.ExecContext(ctx, q, args...)
	}
	if st := d.stmt(ctx, q); st != nil {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}

// Query runs a query in tx, or outside a transaction when tx is nil, through
// the statement cache as Exec does.
func (d *DB) Query(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	ctx = d.detach(ctx)
	st := d.stmt(ctx, q)
	switch {
	case tx == nil && st != nil:
		return st.QueryContext(ctx, args...)
	case tx == nil:
		return d.db.QueryContext(ctx, q, args...)
	case st != nil:
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, q, args...)
}

// QueryRow runs a single-row query in tx, or outside a transaction when tx
// is nil, through the statement cache as Exec does.
func (d *DB) QueryRow(ctx context.Context, tx *sql.Tx, q string, args ...any) *sql.Row {
	ctx = d.detach(ctx)
	st := d.stmt(ctx, q)
	switch {
	case tx == nil && st != nil:
		return st.QueryRowContext(ctx, args...)
	case tx == nil:
		return d.db.QueryRowContext(ctx, q, args...)
	case st != nil:
		return tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return tx.QueryRowContext(ctx, q, args...)
}

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
	return d.Retry(ctx, func() error { return d.once(ctx, opts, fn) })
}

// Retry runs fn, and again after a backoff while it fails with a retryable
// error, as TxWith does with a transaction. It is for a single statement
// run outside a transaction, which PostgreSQL runs as a transaction of its
// own at READ COMMITTED and may still end in a deadlock. fn must have no
// effects outside the database.
func (d *DB) Retry(ctx context.Context, fn func() error) error {
	delay := d.retry.BaseDelay
	for attempt := 1; ; attempt++ {
		err := fn()
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
	tx, err := d.db.BeginTx(d.detach(ctx), d.dialect.TxOptions(opts))
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
