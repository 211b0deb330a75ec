package service

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/strata-sp/strata/store"
	"github.com/strata-sp/strata/wallet"
)

// maxAuditBatch bounds the entries written in one transaction.
const maxAuditBatch = 512

// errClosed is returned by a closed audit log.
var errClosed = errors.New("wallet service is closing")

// auditLog appends entries to wallet_audit. Concurrent Appends are grouped
// into one transaction (group commit), so the log keeps up with thousands of
// signatures per second while each Append still returns only once its entry
// is committed.
type auditLog struct {
	db *store.DB

	ch   chan pendingEntry
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

type pendingEntry struct {
	e   *wallet.AuditEntry
	err chan error
}

func newAuditLog(db *store.DB) *auditLog {
	a := &auditLog{db: db, ch: make(chan pendingEntry), quit: make(chan struct{}), done: make(chan struct{})}
	go a.run()
	return a
}

// Append writes e and returns when it is committed.
func (a *auditLog) Append(ctx context.Context, e *wallet.AuditEntry) error {
	p := pendingEntry{e: e, err: make(chan error, 1)}
	select {
	case a.ch <- p:
	case <-a.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once handed over, the entry is written whatever the caller's context
	// does; wait for the outcome.
	return <-p.err
}

func (a *auditLog) run() {
	defer close(a.done)
	batch := make([]pendingEntry, 0, maxAuditBatch)
	for {
		select {
		case p := <-a.ch:
			batch = append(batch[:0], p)
		case <-a.quit:
			return
		}
	more:
		for len(batch) < maxAuditBatch {
			select {
			case p := <-a.ch:
				batch = append(batch, p)
			default:
				break more
			}
		}
		err := a.write(batch)
		if err != nil && len(batch) > 1 {
			// One entry the database refuses must not cost the others
			// theirs: retry them one by one.
			for _, p := range batch {
				p.err <- a.write([]pendingEntry{p})
			}
			continue
		}
		for _, p := range batch {
			p.err <- err
		}
	}
}

const insertAudit = `INSERT INTO wallet_audit (at, token_id, address, kind, msg_cid, to_addr, method, value, fee_cap, premium, nonce, subject, decision, reason)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`

func (a *auditLog) write(batch []pendingEntry) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := a.db.Tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, insertAudit)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, p := range batch {
			e := p.e
			if _, err := st.ExecContext(ctx, e.Time.UnixNano(), text(e.TokenID, 100), text(e.Address, 200), text(string(e.Kind), 32),
				e.MessageCID, e.To, int64(e.Method), e.Value, e.GasFeeCap, e.GasPremium, int64(e.Nonce),
				text(e.Subject, 200), string(e.Decision), text(e.Reason, 2000)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// text makes s storable in any TEXT column: valid UTF-8 without NUL
// (PostgreSQL refuses both), at most max bytes. Fields that come from the
// caller (the kind) go through it, and the rest for good measure.
func text(s string, max int) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
	for len(s) > max {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

// Close stops the writer after the batch in flight.
func (a *auditLog) Close() {
	a.once.Do(func() { close(a.quit) })
	<-a.done
}

// query reads entries newest first.
func (a *auditLog) query(ctx context.Context, q wallet.AuditQuery) ([]wallet.AuditEntry, error) {
	limit := q.Limit
	switch {
	case limit <= 0:
		limit = 100
	case limit > 10000:
		limit = 10000
	}
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if q.TokenID != "" {
		add("token_id = $%d", q.TokenID)
	}
	if q.Address != "" {
		add("address = $%d", q.Address)
	}
	if q.Decision != "" {
		add("decision = $%d", string(q.Decision))
	}
	if !q.Since.IsZero() {
		add("at >= $%d", q.Since.UnixNano())
	}
	sqlq := `SELECT seq, at, token_id, address, kind, msg_cid, to_addr, method, value, fee_cap, premium, nonce, subject, decision, reason FROM wallet_audit`
	if len(where) > 0 {
		sqlq += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	sqlq += fmt.Sprintf(" ORDER BY seq DESC LIMIT $%d", len(args))
	rows, err := a.db.QueryContext(ctx, sqlq, args...)
	if err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	defer rows.Close()
	var out []wallet.AuditEntry
	for rows.Next() {
		var e wallet.AuditEntry
		var at, method, nonce int64
		var kind, decision string
		if err := rows.Scan(&e.Seq, &at, &e.TokenID, &e.Address, &kind, &e.MessageCID, &e.To, &method, &e.Value,
			&e.GasFeeCap, &e.GasPremium, &nonce, &e.Subject, &decision, &e.Reason); err != nil {
			return nil, fmt.Errorf("read audit log: %w", err)
		}
		e.Time = time.Unix(0, at).UTC()
		e.Kind, e.Decision = wallet.MsgType(kind), wallet.Decision(decision)
		e.Method, e.Nonce = uint64(method), uint64(nonce)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audit log: %w", err)
	}
	return out, nil
}
