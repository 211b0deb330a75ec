package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// Migration is one numbered schema change of a component.
type Migration struct {
	Version int
	Name    string // file name, for messages
	SQL     string
}

// migrationName matches "0001_create_sectors.sql" and the dialect-specific
// "0001_create_sectors.postgres.sql" / "0001_create_sectors.sqlite.sql".
var migrationName = regexp.MustCompile(`^(\d{4,})_([a-z0-9_]+?)(?:\.(sqlite|postgres))?\.sql$`)

// LoadMigrations reads a component's migrations for dialect from the top of
// fsys (usually an embed.FS). A version may have one file for every dialect
// or one file per dialect; versions must run 1, 2, 3... without gaps.
func LoadMigrations(fsys fs.FS, dialect string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("%w: read directory: %w", ErrBadMigrations, err)
	}
	type cand struct {
		generic, specific *Migration
	}
	byVersion := map[int]*cand{}
	for _, e := range entries {
		if e.IsDir() || path.Ext(e.Name()) != ".sql" {
			continue
		}
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("%w: file name %q is not NNNN_name.sql or NNNN_name.{sqlite,postgres}.sql", ErrBadMigrations, e.Name())
		}
		v, err := strconv.Atoi(m[1])
		if err != nil || v < 1 {
			return nil, fmt.Errorf("%w: %q: version must be a positive number", ErrBadMigrations, e.Name())
		}
		if m[3] != "" && m[3] != dialect {
			if byVersion[v] == nil {
				byVersion[v] = &cand{}
			}
			continue
		}
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadMigrations, err)
		}
		mig := &Migration{Version: v, Name: e.Name(), SQL: string(body)}
		c := byVersion[v]
		if c == nil {
			c = &cand{}
			byVersion[v] = c
		}
		slot := &c.generic
		if m[3] != "" {
			slot = &c.specific
		}
		if *slot != nil {
			return nil, fmt.Errorf("%w: version %d defined twice (%s and %s)", ErrBadMigrations, v, (*slot).Name, e.Name())
		}
		*slot = mig
	}
	versions := make([]int, 0, len(byVersion))
	for v := range byVersion {
		versions = append(versions, v)
	}
	sort.Ints(versions)
	out := make([]Migration, 0, len(versions))
	for i, v := range versions {
		if v != i+1 {
			return nil, fmt.Errorf("%w: version %d is missing (found %d next)", ErrBadMigrations, i+1, v)
		}
		c := byVersion[v]
		switch {
		case c.specific != nil:
			out = append(out, *c.specific)
		case c.generic != nil:
			out = append(out, *c.generic)
		default:
			return nil, fmt.Errorf("%w: version %d has no file for %s", ErrBadMigrations, v, dialect)
		}
	}
	return out, nil
}

// Migrate brings component's schema up to date with the migrations in fsys,
// each in its own transaction, recording each in strata_migrations. It is
// safe to run from several processes at once: migrators take the dialect's
// migration lock. It returns how many migrations it applied, and fails with
// ErrSchemaTooNew if the database holds a version this binary does not know.
func (d *DB) Migrate(ctx context.Context, component string, fsys fs.FS) (int, error) {
	migs, err := LoadMigrations(fsys, d.dialect.Name())
	if err != nil {
		return 0, fmt.Errorf("migrate %s: %w", component, err)
	}
	if err := d.Tx(ctx, func(tx *sql.Tx) error {
		if err := d.dialect.LockMigrations(ctx, tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS strata_migrations (
			component TEXT NOT NULL,
			version BIGINT NOT NULL,
			name TEXT NOT NULL,
			applied_at BIGINT NOT NULL,
			PRIMARY KEY (component, version))`)
		return err
	}); err != nil {
		return 0, fmt.Errorf("migrate %s: create migrations table: %w", component, err)
	}
	applied := 0
	for _, m := range migs {
		did := false
		err := d.Tx(ctx, func(tx *sql.Tx) error {
			did = false
			if err := d.dialect.LockMigrations(ctx, tx); err != nil {
				return err
			}
			cur, err := currentVersion(ctx, tx, component)
			if err != nil {
				return err
			}
			if cur >= m.Version {
				return nil
			}
			if cur != m.Version-1 {
				return fmt.Errorf("database is at version %d, cannot apply %s", cur, m.Name)
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return fmt.Errorf("apply %s: %w", m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO strata_migrations (component, version, name, applied_at) VALUES ($1, $2, $3, $4)`,
				component, m.Version, m.Name, time.Now().Unix()); err != nil {
				return fmt.Errorf("record %s: %w", m.Name, err)
			}
			did = true
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("migrate %s: %w", component, err)
		}
		if did {
			applied++
			d.log.Info("applied migration", "component", component, "version", m.Version, "file", m.Name)
		}
	}
	cur, err := d.Version(ctx, component)
	if err != nil {
		return applied, err
	}
	if cur > len(migs) {
		return applied, fmt.Errorf("migrate %s: %w: database at version %d, this binary knows %d", component, ErrSchemaTooNew, cur, len(migs))
	}
	return applied, nil
}

// Version returns the schema version of component (0 before any migration).
func (d *DB) Version(ctx context.Context, component string) (int, error) {
	var v sql.NullInt64
	err := d.db.QueryRowContext(ctx, `SELECT MAX(version) FROM strata_migrations WHERE component = $1`, component).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("schema version of %s: %w", component, err)
	}
	return int(v.Int64), nil
}

func currentVersion(ctx context.Context, tx *sql.Tx, component string) (int, error) {
	var v sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT MAX(version) FROM strata_migrations WHERE component = $1`, component).Scan(&v); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil
		}
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(v.Int64), nil
}
