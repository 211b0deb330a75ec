package hub

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/rpc"
)

// SectorInfo is the operator's view of a sector.
type SectorInfo struct {
	ID          SectorID
	ProofType   proof.SealProof
	State       State
	Worker      string
	WorkerState string
	Location    string
	LeaseUntil  time.Time
	Ticket      Ticket
	CommR       []byte `json:",omitempty"`
	CommD       []byte `json:",omitempty"`
	PersistedTo string `json:",omitempty"`
	AbortReason string `json:",omitempty"`
	// Failure is the last failure its worker reported, until resumed.
	Failure   string `json:",omitempty"`
	Takeovers int
	// PreCommitState and ProofState are where its messages are.
	PreCommitState OnChainState `json:",omitempty"`
	ProofState     OnChainState `json:",omitempty"`
	// Life is its life after sealing (terminate, terminating, terminated,
	// removed; empty while live), ExtendTo an expiration asked for and not
	// yet on chain (see TerminateSectors, ExtendSectors).
	Life      Life  `json:",omitempty"`
	ExtendTo  int64 `json:",omitempty"`
	UpdatedAt time.Time
}

const sectorCols = `miner, number, proof_type, state, worker, worker_state, location, lease_until, ticket, ticket_epoch, comm_r, comm_d,
	persist_store, abort_reason, failure, takeovers, precommit_state, proof_state, life, extend_to, updated_at`

func scanSector(sc scanner) (SectorInfo, error) {
	var s SectorInfo
	var miner, number, pt, lease, tk, upd int64
	var st, pcs, ps, life string
	if err := sc.Scan(&miner, &number, &pt, &st, &s.Worker, &s.WorkerState, &s.Location, &lease, &s.Ticket.Ticket, &s.Ticket.Epoch, &s.CommR, &s.CommD,
		&s.PersistedTo, &s.AbortReason, &s.Failure, &tk, &pcs, &ps, &life, &s.ExtendTo, &upd); err != nil {
		return s, err
	}
	s.Life = Life(life)
	s.ID = SectorID{uint64(miner), uint64(number)}
	s.ProofType, s.State, s.Takeovers = proof.SealProof(pt), State(st), int(tk)
	s.PreCommitState, s.ProofState, s.UpdatedAt = OnChainState(pcs), OnChainState(ps), time.Unix(0, upd)
	if lease != noLease {
		s.LeaseUntil = time.Unix(0, lease)
	}
	return s, nil
}

// Sector returns one sector.
func (h *Hub) Sector(ctx context.Context, id SectorID) (SectorInfo, error) {
	s, err := scanSector(h.db.QueryRowContext(ctx, `SELECT `+sectorCols+` FROM hub_sectors WHERE miner = $1 AND number = $2`,
		int64(id.Miner), int64(id.Number)))
	if errors.Is(err, sql.ErrNoRows) {
		return SectorInfo{ID: id}, rpc.Errorf(rpc.KindNotFound, "sector %s is not on this hub", id)
	}
	return s, asRPC(err)
}

// SectorFilter selects sectors; zero values select all.
type SectorFilter struct {
	Miner  uint64 `json:",omitempty"`
	State  State  `json:",omitempty"`
	Worker string `json:",omitempty"`
	// Active leaves out finalized and aborted sectors.
	Active bool `json:",omitempty"`
	// Failed selects sectors with a reported failure or a failed message.
	Failed bool `json:",omitempty"`
	Limit  int  `json:",omitempty"`
}

// Sectors lists sectors by miner and number.
func (h *Hub) Sectors(ctx context.Context, f SectorFilter) ([]SectorInfo, error) {
	q := `SELECT ` + sectorCols + ` FROM hub_sectors WHERE 1 = 1`
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		q += " AND " + strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args)))
	}
	if f.Miner != 0 {
		add("miner = ?", int64(f.Miner))
	}
	if f.State != "" {
		add("state = ?", string(f.State))
	}
	if f.Worker != "" {
		add("worker = ?", f.Worker)
	}
	// The states are this package's constants, not the caller's text.
	if f.Active {
		q += fmt.Sprintf(" AND state NOT IN ('%s', '%s')", StateFinalized, StateAborted)
	}
	if f.Failed {
		q += fmt.Sprintf(" AND (failure <> '' OR precommit_state IN ('%[1]s', '%[2]s') OR proof_state IN ('%[1]s', '%[2]s'))", OnChainFailed, OnChainPermFailed)
	}
	q += fmt.Sprintf(" ORDER BY miner, number LIMIT %d", limit(f.Limit))
	rows, err := h.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, asRPC(err)
	}
	defer rows.Close()
	var out []SectorInfo
	for rows.Next() {
		s, err := scanSector(rows)
		if err != nil {
			return nil, asRPC(err)
		}
		out = append(out, s)
	}
	return out, asRPC(rows.Err())
}

// AbortSector aborts a sector for the operator: its worker is told to
// drop it at its next report or poll, and its pieces wait for another
// sector. A sector proven on chain cannot be aborted (it is terminated
// instead); aborting an aborted sector does nothing.
func (h *Hub) AbortSector(ctx context.Context, id SectorID, reason string) error {
	if reason == "" {
		reason = "aborted by the operator"
	}
	if len(reason) > maxFailureLen {
		return rpc.Errorf(rpc.KindInvalid, "abort: the reason is %d bytes long, the limit is %d", len(reason), maxFailureLen)
	}
	err := h.tx(ctx, func(tx *sql.Tx) error {
		r, err := h.getSector(ctx, tx, id)
		if err != nil {
			return err
		}
		switch r.state {
		case StateAborted:
			return nil
		case StateProofLanded, StateFinalized:
			return rpc.Errorf(rpc.KindConflict, "sector %s is proven on chain (%s): terminate it instead", id, r.state)
		}
		return h.abortSector(ctx, tx, id, reason)
	})
	if err == nil {
		h.log.Warn("sector aborted by the operator", "sector", id, "reason", reason)
	}
	return err
}

// ResumeSector clears what stops a sector on the hub's side: a failed
// pre-commit or prove-commit is queued to be sent again (after, say, the
// miner's balance was topped up), and the failure its worker reported is
// forgotten. The answer says what was done. A paused worker thread is
// resumed on its machine (`strata worker resume`).
func (h *Hub) ResumeSector(ctx context.Context, id SectorID) (string, error) {
	var did []string
	err := h.tx(ctx, func(tx *sql.Tx) error {
		did = nil
		r, err := h.getSector(ctx, tx, id)
		if err != nil {
			return err
		}
		if r.state == StateAborted {
			return rpc.Errorf(rpc.KindConflict, "sector %s was aborted (%s); an aborted sector is not resumed", id, r.abort)
		}
		var pcs, ps, failure string
		if err := tx.QueryRowContext(ctx, `SELECT precommit_state, proof_state, failure FROM hub_sectors WHERE miner = $1 AND number = $2`,
			int64(id.Miner), int64(id.Number)).Scan(&pcs, &ps, &failure); err != nil {
			return err
		}
		now := h.now().UnixNano()
		failed := func(s string) bool { return s == string(OnChainFailed) || s == string(OnChainPermFailed) }
		if r.state == StatePreCommitSubmitted && failed(pcs) {
			if _, err := tx.ExecContext(ctx, `UPDATE hub_sectors SET precommit_state = $1, precommit_msg = '', abort_reason = '', updated_at = $2 WHERE miner = $3 AND number = $4`,
				string(OnChainPending), now, int64(id.Miner), int64(id.Number)); err != nil {
				return err
			}
			did = append(did, "the pre-commit will be sent again")
		}
		if r.state == StateProofSubmitted && failed(ps) {
			if _, err := tx.ExecContext(ctx, `UPDATE hub_sectors SET proof_state = $1, proof_msg = '', abort_reason = '', updated_at = $2 WHERE miner = $3 AND number = $4`,
				string(OnChainPending), now, int64(id.Miner), int64(id.Number)); err != nil {
				return err
			}
			did = append(did, "the prove-commit will be sent again")
		}
		if failure != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE hub_sectors SET failure = '', updated_at = $1 WHERE miner = $2 AND number = $3`,
				now, int64(id.Miner), int64(id.Number)); err != nil {
				return err
			}
			did = append(did, "the reported failure was cleared")
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	if len(did) == 0 {
		return "nothing to resume on the hub", nil
	}
	h.log.Info("sector resumed by the operator", "sector", id, "did", strings.Join(did, "; "))
	return strings.Join(did, "; "), nil
}

// WorkerStatus is a worker as the hub sees it.
type WorkerStatus struct {
	Name     string
	Info     string // its last heartbeat's thread summary
	LastPing time.Time
	// Sectors counts the sectors it holds that are not finished.
	Sectors int
}

// Workers lists the workers that pinged the hub.
func (h *Hub) Workers(ctx context.Context) ([]WorkerStatus, error) {
	held := map[string]int{}
	rows, err := h.db.QueryContext(ctx, `SELECT worker, COUNT(*) FROM hub_sectors WHERE state NOT IN ($1, $2) GROUP BY worker`,
		string(StateFinalized), string(StateAborted))
	if err != nil {
		return nil, asRPC(err)
	}
	for rows.Next() {
		var w string
		var n int64
		if err := rows.Scan(&w, &n); err != nil {
			rows.Close()
			return nil, asRPC(err)
		}
		held[w] = int(n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, asRPC(err)
	}
	rows, err = h.db.QueryContext(ctx, `SELECT name, info, last_ping FROM hub_workers ORDER BY name`)
	if err != nil {
		return nil, asRPC(err)
	}
	defer rows.Close()
	var out []WorkerStatus
	for rows.Next() {
		var w WorkerStatus
		var at int64
		if err := rows.Scan(&w.Name, &w.Info, &at); err != nil {
			return nil, asRPC(err)
		}
		w.LastPing, w.Sectors = time.Unix(0, at), held[w.Name]
		out = append(out, w)
	}
	return out, asRPC(rows.Err())
}

// MessageInfo is one of the hub's chain messages.
type MessageInfo struct {
	CID   string
	Miner uint64
	// Kind is precommit or provecommit (sealing batches, whose Sectors
	// are listed), or windowpost, faults, recoveries, terminate, extend
	// (whose Subject says what they are about).
	Kind    string
	Sender  string
	Nonce   uint64
	Sectors []uint64 `json:",omitempty"`
	Subject string   `json:",omitempty"`
	// State is signed, pushed, landed or failed; replaced when another
	// message with the same call and nonce executed (one of its family,
	// or one sent outside the hub), dropped when a different message took
	// its nonce (its sectors are sent again).
	State string
	// Family is the CID of the first message of its nonce: a replacement
	// re-sends it with higher fees. ExecCID is the one that executed.
	Family   string
	ExecCID  string `json:",omitempty"`
	ExitCode int64
	Height   int64
	// PushError, while the message waits (signed or pushed), is why the
	// node refused it when it was last pushed ('' once accepted). A
	// refused message keeps its nonce: it is pushed again, or replaced
	// with higher fees, until it executes.
	PushError string `json:",omitempty"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// MessageFilter selects messages; zero values select all.
type MessageFilter struct {
	Miner uint64 `json:",omitempty"`
	State string `json:",omitempty"`
	Limit int    `json:",omitempty"`
}

// Messages lists the hub's messages, newest first.
func (h *Hub) Messages(ctx context.Context, f MessageFilter) ([]MessageInfo, error) {
	q := `SELECT cid, miner, kind, sender, nonce, sectors, state, family, exec_cid, exit_code, height,
		CASE WHEN state IN ('signed', 'pushed') THEN push_error ELSE '' END, created_at, updated_at FROM hub_messages WHERE 1 = 1`
	var args []any
	if f.Miner != 0 {
		args = append(args, int64(f.Miner))
		q += " AND miner = $1"
	}
	if f.State != "" {
		args = append(args, f.State)
		q += fmt.Sprintf(" AND state = $%d", len(args))
	}
	q += fmt.Sprintf(" ORDER BY created_at DESC, cid LIMIT %d", limit(f.Limit))
	rows, err := h.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, asRPC(err)
	}
	defer rows.Close()
	var out []MessageInfo
	for rows.Next() {
		var m MessageInfo
		var miner, nonce, created, updated int64
		var sectors string
		if err := rows.Scan(&m.CID, &miner, &m.Kind, &m.Sender, &nonce, &sectors, &m.State, &m.Family, &m.ExecCID, &m.ExitCode, &m.Height, &m.PushError, &created, &updated); err != nil {
			return nil, asRPC(err)
		}
		m.Miner, m.Nonce, m.CreatedAt, m.UpdatedAt = uint64(miner), uint64(nonce), time.Unix(0, created), time.Unix(0, updated)
		if !sealingKind(m.Kind) {
			m.Subject = sectors
		} else {
			for _, s := range strings.Split(sectors, ",") {
				if n, err := strconv.ParseUint(s, 10, 63); err == nil {
					m.Sectors = append(m.Sectors, n)
				}
			}
		}
		out = append(out, m)
	}
	return out, asRPC(rows.Err())
}
