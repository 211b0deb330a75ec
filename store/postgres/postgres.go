// Package postgres opens a store.DB on PostgreSQL (or a PostgreSQL-wire
// database) through pgx. Several processes may share one database; schema
// migrations serialize on an advisory lock.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/strata-sp/strata/store"
)

// Options configure Open.
type Options struct {
	// URL is a libpq connection string or URL:
	// postgres://user:pass@host:5432/db?sslmode=disable
	URL string
	// MaxOpenConns bounds the pool. Zero means 16.
	MaxOpenConns int
	Retry        store.RetryPolicy
	Logger       *slog.Logger
}

// Open connects to the database at opts.URL and checks that it answers.
func Open(ctx context.Context, opts Options) (*store.DB, error) {
	cfg, err := pgx.ParseConfig(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("postgres: bad URL: %w", err)
	}
	if opts.MaxOpenConns <= 0 {
		opts.MaxOpenConns = 16
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(opts.MaxOpenConns)
	db.SetMaxIdleConns(opts.MaxOpenConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("postgres: connect to %s:%d/%s: %w", cfg.Host, cfg.Port, cfg.Database, err)
	}
	return store.New(db, Dialect{}, opts.Logger, opts.Retry), nil
}

// Dialect is PostgreSQL's store.Dialect.
type Dialect struct{}

var _ store.Dialect = Dialect{}

// Name implements store.Dialect.
func (Dialect) Name() string { return "postgres" }

// SQLSTATE codes worth a retry of the whole transaction.
const (
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
)

// Retryable implements store.Dialect.
func (Dialect) Retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	return pe.Code == serializationFailure || pe.Code == deadlockDetected
}

// TxOptions implements store.Dialect.
func (Dialect) TxOptions(o store.TxOptions) *sql.TxOptions {
	t := &sql.TxOptions{ReadOnly: o.ReadOnly}
	if o.Serializable {
		t.Isolation = sql.LevelSerializable
	}
	return t
}

// migrationLock is the advisory lock key every Strata migrator takes
// ("STRATA" in ASCII, then 1).
const migrationLock = 0x5354524154410001

// LockMigrations implements store.Dialect with a transaction-scoped advisory
// lock, released at commit or rollback.
func (Dialect) LockMigrations(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("take migration lock: %w", err)
	}
	return nil
}
