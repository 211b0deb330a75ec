package hub

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/strata-sp/strata/chain"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the hub's schema migrations (component "hub").
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded directory exists
	}
	return sub
}

// TicketSource draws a sector's sealing ticket.
type TicketSource interface {
	Ticket(ctx context.Context, miner uint64) (Ticket, error)
}

// ChainTickets draws tickets as Lotus does: chain randomness (DST
// SealRandomness) at Lookback epochs below the head, with the miner's
// address as entropy. Lookback is the chain's finality (900 on mainnet;
// the devnet's ChainFinality).
type ChainTickets struct {
	API      chain.API
	Lookback int64
}

// Ticket implements TicketSource.
func (c ChainTickets) Ticket(ctx context.Context, miner uint64) (Ticket, error) {
	head, err := c.API.ChainHead(ctx)
	if err != nil {
		return Ticket{}, fmt.Errorf("ticket: chain head: %w", err)
	}
	epoch := max(head.Height()-c.Lookback, 0)
	ma, err := address.NewIDAddress(miner)
	if err != nil {
		return Ticket{}, err
	}
	var entropy bytes.Buffer
	if err := ma.MarshalCBOR(&entropy); err != nil {
		return Ticket{}, err
	}
	r, err := c.API.StateGetRandomnessFromTickets(ctx, types.DSTSealRandomness, epoch, entropy.Bytes(), head.Key())
	if err != nil {
		return Ticket{}, fmt.Errorf("ticket: randomness at %d: %w", epoch, err)
	}
	return Ticket{Ticket: r, Epoch: epoch}, nil
}

// Options configure a Hub.
type Options struct {
	DB *store.DB
	// Tickets draws tickets; nil makes AssignTicket fail.
	Tickets TicketSource
	// Lease is how long a sector stays with its worker without a report
	// or ping; 0 means 5 minutes. A call renews a lease only once a tenth
	// of it has passed (see leaseRenewal), so a lease ends between 0.9 and
	// 1 times Lease after the worker's last call.
	Lease  time.Duration
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// StorePaths name this process's own path to a persist store, by
	// store name, over the path the store was attached with: a hub
	// process on another machine mounts it elsewhere (see StorePath).
	StorePaths map[string]string
}

// Hub is the sector manager's core over its store. It is safe for
// concurrent use, and several hub processes may share one PostgreSQL
// store: every change that reads before it writes is a serializable
// transaction, and the others (state reports and pings on PostgreSQL) are
// single conditional statements, atomic at any isolation level (see
// writeStatements).
type Hub struct {
	db      *store.DB
	tickets TicketSource
	lease   time.Duration
	log     *slog.Logger
	now     func() time.Time
	// storePaths is Options.StorePaths.
	storePaths map[string]string

	// proving is the WindowPoSt scheduler, once NewProving made it.
	proving *Proving

	allocMu sync.Mutex
	// reserveMu: reservations in this process take turns (see
	// ReserveStore).
	reserveMu sync.Mutex
	// statMu guards statting: the looks in flight at stores' filesystems,
	// by store name (see statStores).
	statMu   sync.Mutex
	statting map[string]*statCall
	// writes feed the writers of ReportState and Ping, one channel per
	// writer; a worker's writes all go to the same one (see submit).
	writes    []chan *write
	quit      chan struct{}
	closeOnce sync.Once
	writers   sync.WaitGroup
}

// pgWriters is how many writers run on a PostgreSQL store: each waits for
// one round trip at a time, so several keep the database busy. SQLite
// admits one writer, and has one.
const pgWriters = 4

// New migrates the hub's schema and returns the Hub.
func New(ctx context.Context, o Options) (*Hub, error) {
	if o.DB == nil {
		return nil, errors.New("hub: DB is required")
	}
	for name, p := range o.StorePaths {
		if name == "" || !filepath.IsAbs(p) {
			return nil, fmt.Errorf("hub: StorePaths[%q] = %q: want a store name and an absolute path", name, p)
		}
	}
	if _, err := o.DB.Migrate(ctx, "hub", Migrations()); err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	h := &Hub{db: o.DB, tickets: o.Tickets, lease: o.Lease, log: o.Logger, now: o.Now, storePaths: maps.Clone(o.StorePaths), quit: make(chan struct{})}
	if h.lease <= 0 {
		h.lease = 5 * time.Minute
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	// Workers could not report or ping while no hub ran: their leases are
	// renewed from now rather than lapsing the moment the hub is back.
	now := h.now()
	if _, err := o.DB.ExecContext(ctx, `UPDATE hub_sectors SET lease_until = $1 WHERE lease_until < $1 AND state NOT IN ($2, $3)`,
		now.Add(h.lease).UnixNano(), string(StateFinalized), string(StateAborted)); err != nil {
		return nil, fmt.Errorf("hub: renew leases at start: %w", err)
	}
	n := pgWriters
	if h.db.SingleWriter() {
		n = 1
	}
	h.writes = make([]chan *write, n)
	for i := range h.writes {
		// Buffered: a caller hands its write over without waiting for the
		// writer to take it, and the writer gathers a batch without waking
		// each caller in turn.
		h.writes[i] = make(chan *write, maxWriteBatch)
		h.writers.Add(1)
		go h.writeLoop(h.writes[i])
	}
	return h, nil
}

// Close stops the hub's writers after the batches in flight; later
// reports and pings fail as transient.
func (h *Hub) Close() {
	h.closeOnce.Do(func() {
		close(h.quit)
		h.writers.Wait()
	})
}

// Miner is a miner the hub seals for.
type Miner struct {
	Actor     uint64
	ProofType proof.SealProof
	Worker    address.Address
	Control   []address.Address `json:",omitempty"`
	// WalletAPI is the API info (with a scoped token) of the wallet that
	// signs for the miner.
	WalletAPI string `json:",omitempty"`
	// The sector numbers the hub may use, inclusive; MaxNumber 0 means no
	// upper bound.
	MinNumber, MaxNumber uint64
	// NextNumber is the next number to allocate.
	NextNumber uint64
	Enabled    bool
}

// AddMiner records a miner; adding one that exists is a conflict.
func (h *Hub) AddMiner(ctx context.Context, m Miner) error {
	if !m.ProofType.Valid() {
		return rpc.Errorf(rpc.KindInvalid, "miner f0%d: unknown seal proof %d", m.Actor, m.ProofType)
	}
	if m.MaxNumber == 0 {
		m.MaxNumber = 1<<63 - 1
	}
	if m.MinNumber > m.MaxNumber {
		return rpc.Errorf(rpc.KindInvalid, "miner f0%d: sector number range %d..%d is empty", m.Actor, m.MinNumber, m.MaxNumber)
	}
	ctl := make([]string, len(m.Control))
	for i, a := range m.Control {
		ctl[i] = a.String()
	}
	err := h.db.TxWith(ctx, store.TxOptions{Serializable: true}, func(tx *sql.Tx) error {
		var n int
		if err := h.db.QueryRow(ctx, tx, `SELECT COUNT(*) FROM hub_miners WHERE actor = $1`, int64(m.Actor)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return rpc.Errorf(rpc.KindConflict, "miner f0%d is already on this hub", m.Actor)
		}
		_, err := h.db.Exec(ctx, tx, `INSERT INTO hub_miners (actor, proof_type, worker_addr, control_addrs, wallet_api, min_number, max_number, next_number)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $6)`,
			int64(m.Actor), int64(m.ProofType), m.Worker.String(), strings.Join(ctl, ","), m.WalletAPI, int64(m.MinNumber), int64(m.MaxNumber))
		return err
	})
	if err != nil {
		return asRPC(err)
	}
	h.log.Info("miner added", "miner", m.Actor, "proof", m.ProofType, "numbers", fmt.Sprintf("%d..%d", m.MinNumber, m.MaxNumber))
	return nil
}

// Miners lists the hub's miners.
func (h *Hub) Miners(ctx context.Context) ([]Miner, error) {
	rows, err := h.db.QueryContext(ctx, `SELECT actor, proof_type, worker_addr, control_addrs, wallet_api, min_number, max_number, next_number, enabled FROM hub_miners ORDER BY actor`)
	if err != nil {
		return nil, asRPC(err)
	}
	defer rows.Close()
	var out []Miner
	for rows.Next() {
		var m Miner
		var actor, pt, minN, maxN, next int64
		var worker, ctl string
		if err := rows.Scan(&actor, &pt, &worker, &ctl, &m.WalletAPI, &minN, &maxN, &next, &m.Enabled); err != nil {
			return nil, asRPC(err)
		}
		m.Actor, m.ProofType, m.MinNumber, m.MaxNumber, m.NextNumber = uint64(actor), proof.SealProof(pt), uint64(minN), uint64(maxN), uint64(next)
		if m.Worker, err = address.NewFromString(worker); err != nil {
			return nil, asRPC(fmt.Errorf("miner f0%d: stored worker address: %w", actor, err))
		}
		for _, s := range strings.Split(ctl, ",") {
			if s == "" {
				continue
			}
			a, err := address.NewFromString(s)
			if err != nil {
				return nil, asRPC(fmt.Errorf("miner f0%d: stored control address: %w", actor, err))
			}
			m.Control = append(m.Control, a)
		}
		out = append(out, m)
	}
	return out, asRPC(rows.Err())
}

// asRPC passes rpc errors through and classifies the rest as internal.
func asRPC(err error) error {
	if err == nil {
		return nil
	}
	var re *rpc.Error
	if errors.As(err, &re) {
		return err
	}
	return rpc.Errorf(rpc.KindInternal, "%w", err)
}

func (h *Hub) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return asRPC(h.db.TxWith(ctx, store.TxOptions{Serializable: true}, fn))
}

// AllocateSector gives the worker a sector, or nil when there is nothing
// to do.
//
// First come sectors whose lease lapsed (another worker stopped reporting):
// the oldest lapsed sector the worker may seal is taken over. Then a new
// sector: among the enabled miners the spec allows, with numbers left, the
// one that was given a sector longest ago (round robin, so every miner
// gets its turn whatever the workers' order), with its next number.
func (h *Hub) AllocateSector(ctx context.Context, spec AllocateSectorSpec) (*AllocatedSector, error) {
	if spec.Worker == "" {
		return nil, rpc.Errorf(rpc.KindInvalid, "allocate: the spec names no worker")
	}
	// Allocations all update the same few miner rows: in this process
	// they take turns here rather than fail PostgreSQL's serializable
	// check and retry (hub processes sharing a database still retry).
	h.allocMu.Lock()
	defer h.allocMu.Unlock()
	now := h.now()
	until := now.Add(h.lease)
	var out *AllocatedSector
	err := h.tx(ctx, func(tx *sql.Tx) error {
		out = nil
		s, err := h.takeOver(ctx, tx, spec, now, until)
		if err != nil || s != nil {
			out = s
			return err
		}
		miners, err := h.eligibleMiners(ctx, tx, spec)
		if err != nil || len(miners) == 0 {
			return err
		}
		m := miners[0]
		if _, err := h.db.Exec(ctx, tx, `UPDATE hub_miners SET next_number = next_number + 1, last_alloc = $1 WHERE actor = $2`,
			now.UnixNano(), int64(m.actor)); err != nil {
			return err
		}
		if _, err := h.db.Exec(ctx, tx, `INSERT INTO hub_sectors (miner, number, proof_type, state, worker, lease_until, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $7)`,
			int64(m.actor), int64(m.next), int64(m.proof), string(StateAllocated), spec.Worker, until.UnixNano(), now.UnixNano()); err != nil {
			return err
		}
		out = &AllocatedSector{ID: SectorID{m.actor, m.next}, ProofType: m.proof, LeaseUntil: until, State: StateAllocated}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out != nil {
		h.log.Info("sector allocated", "sector", out.ID, "worker", spec.Worker, "takeover", out.Takeover)
	}
	return out, nil
}

type eligible struct {
	actor, next uint64
	proof       proof.SealProof
}

func (h *Hub) eligibleMiners(ctx context.Context, tx *sql.Tx, spec AllocateSectorSpec) ([]eligible, error) {
	rows, err := h.db.Query(ctx, tx, `SELECT actor, proof_type, next_number FROM hub_miners
		WHERE enabled AND next_number <= max_number ORDER BY last_alloc, actor`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []eligible
	for rows.Next() {
		var a, p, n int64
		if err := rows.Scan(&a, &p, &n); err != nil {
			return nil, err
		}
		e := eligible{actor: uint64(a), proof: proof.SealProof(p), next: uint64(n)}
		if allowed(spec, e.actor, e.proof) {
			out = append(out, e)
		}
	}
	return out, rows.Err()
}

func allowed(spec AllocateSectorSpec, miner uint64, p proof.SealProof) bool {
	return (len(spec.AllowedMiners) == 0 || slices.Contains(spec.AllowedMiners, miner)) &&
		(len(spec.AllowedProofTypes) == 0 || slices.Contains(spec.AllowedProofTypes, p))
}

// takeOver gives the worker the oldest lapsed sector it may seal.
func (h *Hub) takeOver(ctx context.Context, tx *sql.Tx, spec AllocateSectorSpec, now, until time.Time) (*AllocatedSector, error) {
	rows, err := h.db.Query(ctx, tx, `SELECT miner, number, proof_type, state, worker, location FROM hub_sectors
		WHERE lease_until < $3 AND state NOT IN ($1, $2) ORDER BY lease_until, miner, number LIMIT 1000`,
		string(StateFinalized), string(StateAborted), now.UnixNano())
	if err != nil {
		return nil, err
	}
	var found *AllocatedSector
	var prevWorker string
	for rows.Next() {
		var miner, number, pt int64
		var st, worker, loc string
		if err := rows.Scan(&miner, &number, &pt, &st, &worker, &loc); err != nil {
			rows.Close()
			return nil, err
		}
		if !allowed(spec, uint64(miner), proof.SealProof(pt)) {
			continue
		}
		found = &AllocatedSector{ID: SectorID{uint64(miner), uint64(number)}, ProofType: proof.SealProof(pt), LeaseUntil: until,
			Takeover: true, State: State(st), Location: loc, Resumable: loc != "" && slices.Contains(spec.Locations, loc)}
		prevWorker = worker
		break
	}
	rows.Close()
	if err := rows.Err(); err != nil || found == nil {
		return nil, err
	}
	if found.State == StatePersisted {
		// Its persisted copy may be proven as it is: say what the new
		// worker needs for that.
		r, err := h.getSector(ctx, tx, found.ID)
		if err != nil {
			return nil, err
		}
		found.Ticket = &Ticket{Ticket: r.ticket, Epoch: r.ticketEp}
		found.CommR, found.CommD, found.PersistedTo = r.commR, r.commD, r.persist
	}
	if _, err := h.db.Exec(ctx, tx, `UPDATE hub_sectors SET worker = $1, lease_until = $2, takeovers = takeovers + 1, updated_at = $3
		WHERE miner = $4 AND number = $5`, spec.Worker, until.UnixNano(), now.UnixNano(), int64(found.ID.Miner), int64(found.ID.Number)); err != nil {
		return nil, err
	}
	h.log.Warn("sector taken over after its lease lapsed", "sector", found.ID, "from", prevWorker, "to", spec.Worker, "state", found.State, "resumable", found.Resumable)
	return found, nil
}

// sectorRow is what the per-sector calls read.
type sectorRow struct {
	state      State
	worker     string
	ticket     []byte
	ticketEp   int64
	commR      []byte
	commD      []byte
	persist    string
	abort      string
	leaseUntil int64
	proof      proof.SealProof
	// dealsAcquired: the sector's pieces are fixed.
	dealsAcquired bool
}

// sectorRowCols are the columns scanSectorRow reads.
const sectorRowCols = `state, worker, ticket, ticket_epoch, comm_r, comm_d, persist_store, abort_reason, lease_until, proof_type, deals_acquired`

func scanSectorRow(row *sql.Row) (*sectorRow, error) {
	var r sectorRow
	var st string
	var pt int64
	err := row.Scan(&st, &r.worker, &r.ticket, &r.ticketEp, &r.commR, &r.commD, &r.persist, &r.abort, &r.leaseUntil, &pt, &r.dealsAcquired)
	r.proof = proof.SealProof(pt)
	r.state = State(st)
	return &r, err
}

func (h *Hub) getSector(ctx context.Context, tx *sql.Tx, id SectorID) (*sectorRow, error) {
	r, err := scanSectorRow(h.db.QueryRow(ctx, tx, `SELECT `+sectorRowCols+` FROM hub_sectors WHERE miner = $1 AND number = $2`,
		int64(id.Miner), int64(id.Number)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, rpc.Errorf(rpc.KindNotFound, "sector %s is not on this hub", id)
	}
	return r, err
}

// noLease is the lease_until of a finalized or aborted sector.
const noLease = math.MaxInt64

// leaseRenewal returns the lease_until a call at now renews a sector's
// lease to, and the bound below which it does: a lease is renewed once a
// tenth of it has passed, not at every call. Most calls then leave the
// indexed lease_until as it was, so that on PostgreSQL a report is a HOT
// update (no index changes; the row's new version on the same page)
// rather than a new entry in each of the table's indexes, and a ping of a
// worker whose sectors were renewed lately changes no sector row. A lease
// still never lapses sooner than 0.9 times its length after a call.
func (h *Hub) leaseRenewal(now time.Time) (until, below int64) {
	return now.Add(h.lease).UnixNano(), now.Add(h.lease - h.lease/10).UnixNano()
}

// owned checks that worker holds the sector, and renews its lease.
//
// The common case, a sector the worker holds and still works on, is one
// statement: the renewal, conditional on the holder, returning the row.
// Besides a round trip, that saves PostgreSQL's serializable transactions
// most of their conflicts with the pings and reports that renew the same
// lease meanwhile: the transaction's snapshot is taken by the statement
// that writes the row, not one round trip before it.
func (h *Hub) owned(ctx context.Context, tx *sql.Tx, id SectorID, worker string) (*sectorRow, error) {
	now := h.now()
	until, below := h.leaseRenewal(now)
	r, err := scanSectorRow(h.db.QueryRow(ctx, tx, `UPDATE hub_sectors SET lease_until = CASE WHEN lease_until < $8 THEN $1 ELSE lease_until END, updated_at = $2
		WHERE miner = $3 AND number = $4 AND worker = $5 AND state NOT IN ($6, $7) RETURNING `+sectorRowCols,
		until, now.UnixNano(), int64(id.Miner), int64(id.Number), worker, string(StateFinalized), string(StateAborted), below))
	if !errors.Is(err, sql.ErrNoRows) {
		return r, err
	}
	// Another worker's, finalized, aborted or unknown: say which.
	r, err = h.getSector(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if r.worker != worker {
		return nil, rpc.Errorf(rpc.KindConflict, "sector %s is held by worker %q, not %q (its lease lapsed and it was taken over)", id, r.worker, worker)
	}
	if r.state.Terminal() {
		return r, nil
	}
	// Not reached in one transaction, which sees the row the UPDATE saw.
	if _, err := h.db.Exec(ctx, tx, `UPDATE hub_sectors SET lease_until = $1, updated_at = $2 WHERE miner = $3 AND number = $4`,
		now.Add(h.lease).UnixNano(), now.UnixNano(), int64(id.Miner), int64(id.Number)); err != nil {
		return nil, err
	}
	return r, nil
}

// AssignTicket returns the sector's ticket, drawing it on the first call;
// later calls return the same ticket.
func (h *Hub) AssignTicket(ctx context.Context, worker string, id SectorID) (Ticket, error) {
	var t Ticket
	var need bool
	if err := h.tx(ctx, func(tx *sql.Tx) error {
		r, err := h.owned(ctx, tx, id, worker)
		if err != nil {
			return err
		}
		if r.state.Terminal() {
			return rpc.Errorf(rpc.KindConflict, "sector %s is %s", id, r.state)
		}
		t, need = Ticket{Ticket: r.ticket, Epoch: r.ticketEp}, len(r.ticket) == 0
		return nil
	}); err != nil || !need {
		return t, err
	}
	if h.tickets == nil {
		return Ticket{}, rpc.Errorf(rpc.KindTransient, "this hub has no chain to draw tickets from")
	}
	drawn, err := h.tickets.Ticket(ctx, id.Miner)
	if err != nil {
		return Ticket{}, rpc.Errorf(rpc.KindTransient, "%w", err)
	}
	err = h.tx(ctx, func(tx *sql.Tx) error {
		// Another call may have drawn one meanwhile: the first stored wins.
		r, err := h.getSector(ctx, tx, id)
		if err != nil {
			return err
		}
		if len(r.ticket) > 0 {
			t = Ticket{Ticket: r.ticket, Epoch: r.ticketEp}
			return nil
		}
		t = drawn
		_, err = h.db.Exec(ctx, tx, `UPDATE hub_sectors SET ticket = $1, ticket_epoch = $2, updated_at = $3 WHERE miner = $4 AND number = $5`,
			drawn.Ticket, drawn.Epoch, h.now().UnixNano(), int64(id.Miner), int64(id.Number))
		return err
	})
	return t, err
}

// SubmitPreCommit records the sector's commitments for the hub to
// pre-commit. It is idempotent; see the package comment.
func (h *Hub) SubmitPreCommit(ctx context.Context, worker string, id SectorID, info PreCommitInfo) (SubmitResp, error) {
	var resp SubmitResp
	err := h.tx(ctx, func(tx *sql.Tx) error {
		r, err := h.owned(ctx, tx, id, worker)
		if err != nil {
			return err
		}
		switch {
		case r.state == StateAborted:
			resp = SubmitResp{Res: Rejected, Desc: "the sector was aborted: " + r.abort}
			return nil
		case len(r.ticket) == 0:
			resp = SubmitResp{Res: Rejected, Desc: "no ticket was assigned to this sector"}
			return nil
		case !bytes.Equal(r.ticket, info.Ticket.Ticket) || r.ticketEp != info.Ticket.Epoch:
			resp = SubmitResp{Res: Rejected, Desc: fmt.Sprintf("the ticket is not the one assigned at epoch %d", r.ticketEp)}
			return nil
		case info.CommR == [32]byte{} || info.CommD == [32]byte{}:
			resp = SubmitResp{Res: Rejected, Desc: "CommR and CommD are required"}
			return nil
		}
		if r.state != StateAllocated {
			if bytes.Equal(r.commR, info.CommR[:]) && bytes.Equal(r.commD, info.CommD[:]) {
				resp = SubmitResp{Res: Accepted}
			} else {
				resp = SubmitResp{Res: MismatchedSubmission, Desc: fmt.Sprintf("sector %s was submitted with CommR %x, CommD %x", id, r.commR, r.commD)}
			}
			return nil
		}
		why, err := h.checkCommD(ctx, tx, id, r, info.CommD)
		if err != nil || why != "" {
			resp = SubmitResp{Res: Rejected, Desc: why}
			return err
		}
		_, err = h.db.Exec(ctx, tx, `UPDATE hub_sectors SET comm_r = $1, comm_d = $2, state = $3, precommit_state = $4, updated_at = $5
			WHERE miner = $6 AND number = $7`, info.CommR[:], info.CommD[:], string(StatePreCommitSubmitted), string(OnChainPending),
			h.now().UnixNano(), int64(id.Miner), int64(id.Number))
		resp = SubmitResp{Res: Accepted}
		return err
	})
	return resp, err
}

// PollPreCommitState reports where the sector's pre-commit is. It only
// reads.
func (h *Hub) PollPreCommitState(ctx context.Context, id SectorID) (PollResp, error) {
	var st, pcs, abort string
	err := h.db.QueryRow(ctx, nil, `SELECT state, precommit_state, abort_reason FROM hub_sectors WHERE miner = $1 AND number = $2`,
		int64(id.Miner), int64(id.Number)).Scan(&st, &pcs, &abort)
	if errors.Is(err, sql.ErrNoRows) {
		return PollResp{}, rpc.Errorf(rpc.KindNotFound, "sector %s is not on this hub", id)
	} else if err != nil {
		return PollResp{}, asRPC(err)
	}
	switch {
	case State(st) == StateAborted:
		return PollResp{State: OnChainShouldAbort, Desc: abort}, nil
	case State(st) == StateAllocated:
		return PollResp{State: OnChainNotFound, Desc: "nothing was submitted"}, nil
	case pcs == "":
		return PollResp{State: OnChainPending}, nil
	}
	return PollResp{State: OnChainState(pcs), Desc: abort}, nil
}

// SubmitPersisted records the persist store holding the sector's sealed
// file and cache. It is idempotent. When the hub reserved a store for the
// sector (ReserveStore), the submission must name that one
// (MismatchedSubmission otherwise); without a reservation, a store
// attached to the hub (Rejected otherwise: the hub could not find the
// sector's files to prove it). When this process reaches the store
// (it is attached and its path is a directory here), the sealed file must
// be there with the sector's size and the cache directory too
// (FilesMissed otherwise, naming the paths checked); a store the hub does
// not reach is taken on the worker's word.
func (h *Hub) SubmitPersisted(ctx context.Context, worker string, id SectorID, storeName string) (SubmitResp, error) {
	// The files are looked at before the transaction, so that a slow
	// mount does not hold it; the answer is used only when the
	// submission is recorded now.
	missing, err := h.missingFiles(ctx, id, storeName)
	if err != nil {
		return SubmitResp{}, err
	}
	var resp SubmitResp
	err = h.tx(ctx, func(tx *sql.Tx) error {
		r, err := h.owned(ctx, tx, id, worker)
		if err != nil {
			return err
		}
		choice, err := h.storeChoice(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case storeName == "":
			resp = SubmitResp{Res: Rejected, Desc: "no store named"}
		case r.persist != "" && r.persist != storeName:
			resp = SubmitResp{Res: MismatchedSubmission, Desc: fmt.Sprintf("sector %s was persisted to %q", id, r.persist)}
		case r.persist == storeName:
			resp = SubmitResp{Res: Accepted}
		case r.state != StatePreCommitLanded:
			resp = SubmitResp{Res: Rejected, Desc: fmt.Sprintf("the sector is %s; persist after its pre-commit lands", r.state)}
		case choice != "" && choice != storeName:
			resp = SubmitResp{Res: MismatchedSubmission, Desc: fmt.Sprintf("the hub reserved store %q for sector %s, not %q", choice, id, storeName)}
		case missing != "":
			resp = SubmitResp{Res: FilesMissed, Desc: missing}
		case choice == "":
			var known int
			if err := h.db.QueryRow(ctx, tx, `SELECT COUNT(*) FROM hub_stores WHERE name = $1`, storeName).Scan(&known); err != nil {
				return err
			}
			if known == 0 {
				resp = SubmitResp{Res: Rejected, Desc: fmt.Sprintf("store %q is not attached to the hub (strata hub storage attach), which could not prove the sector from it", storeName)}
				return nil
			}
			fallthrough
		default:
			_, err = h.db.Exec(ctx, tx, `UPDATE hub_sectors SET persist_store = $1, store_choice = $1, state = $2, updated_at = $3 WHERE miner = $4 AND number = $5`,
				storeName, string(StatePersisted), h.now().UnixNano(), int64(id.Miner), int64(id.Number))
			resp = SubmitResp{Res: Accepted}
		}
		return err
	})
	return resp, err
}

// ReportState records a transition of the worker's state machine and
// renews the lease. The answer tells the worker to abort when the sector
// was aborted by the operator or taken over by another worker. It is the
// call workers make most: concurrent reports (and pings) are written
// together by the hub's writers (see writeLoop), and each call returns once
// its own is committed.
func (h *Hub) ReportState(ctx context.Context, id SectorID, rep StateReport) (SectorStateResp, error) {
	w := &write{id: id, rep: rep}
	if err := h.submit(ctx, "report state", rep.Worker, w); err != nil {
		return SectorStateResp{}, err
	}
	if w.err == nil && rep.Failure != nil {
		h.log.Warn("worker reports a failure", "sector", id, "worker", rep.Worker, "level", rep.Failure.Level, "desc", rep.Failure.Desc)
	}
	return w.resp, w.err
}

// write is a ReportState or a Ping waiting for a writer.
type write struct {
	id   SectorID
	rep  StateReport
	ping *WorkerInfo // set for a Ping
	resp SectorStateResp
	err  error
	done chan struct{}
}

// submit hands w to the writer of worker's writes and waits until it is
// written. One worker's writes all go to the same writer, so that two
// writers never update the same sectors (and never wait for each other's
// row locks); its reports stay in order.
func (h *Hub) submit(ctx context.Context, op, worker string, w *write) error {
	w.done = make(chan struct{})
	ch := h.writes[0]
	if n := len(h.writes); n > 1 {
		// FNV-1a: cheap and spreads worker names well enough.
		x := uint32(2166136261)
		for i := 0; i < len(worker); i++ {
			x = (x ^ uint32(worker[i])) * 16777619
		}
		ch = h.writes[x%uint32(n)]
	}
	select {
	case ch <- w:
	case <-h.quit:
		return rpc.Errorf(rpc.KindTransient, "the hub is shutting down")
	case <-ctx.Done():
		return rpc.Errorf(rpc.KindTransient, "%s: %w", op, ctx.Err())
	}
	<-w.done
	return nil
}

// maxFailureLen bounds the failure text kept for a sector.
const maxFailureLen = 2048

// maxWriteBatch bounds the writes written together.
const maxWriteBatch = 256

// gatherWindow is how long a busy writer waits for more writes before it
// writes a batch (PostgreSQL's commit_delay, in effect). Each transaction
// (SQLite) or statement (PostgreSQL) costs far more than a row in it, so
// on a busy hub a short wait makes the batches, and the hub's capacity,
// several times larger for a small cost in latency. An idle hub, whose
// last batch was a single write, does not wait.
const gatherWindow = time.Millisecond

// writeLoop is a writer: it takes the writes waiting, writes them
// together and answers each. Batches grow with the load: while one is
// written the next gathers, so a busy hub commits less often, not later.
func (h *Hub) writeLoop(in <-chan *write) {
	defer h.writers.Done()
	batch := make([]*write, 0, maxWriteBatch)
	window := time.NewTimer(time.Hour)
	window.Stop()
	busy := false
	for {
		select {
		case first := <-in:
			batch = append(batch[:0], first)
		case <-h.quit:
			return
		}
		if busy {
			window.Reset(gatherWindow)
		gather:
			for len(batch) < maxWriteBatch {
				select {
				case w := <-in:
					batch = append(batch, w)
				case <-window.C:
					break gather
				}
			}
			window.Stop()
		}
	more:
		for len(batch) < maxWriteBatch {
			select {
			case w := <-in:
				batch = append(batch, w)
			default:
				break more
			}
		}
		busy = len(batch) > 1
		if h.db.SingleWriter() {
			// SQLite runs in process and its lock waits are bounded by its
			// busy timeout: no deadline, which would cost a goroutine per
			// statement (to interrupt it) in the driver and in database/sql.
			h.writeTx(context.Background(), batch)
		} else {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			h.writeStatements(ctx, batch)
			cancel()
		}
		for _, w := range batch {
			close(w.done)
		}
		clear(batch) // let the answered writes go
	}
}

// writeTx writes the batch in one transaction: on SQLite, whose one
// writer commits (and writes the pages it changed to the WAL) once per
// transaction, that is what makes a busy hub fast.
func (h *Hub) writeTx(ctx context.Context, batch []*write) {
	err := h.tx(ctx, func(tx *sql.Tx) error {
		for _, w := range batch {
			if err := h.apply(ctx, tx, w); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && len(batch) > 1 {
		// One write's failure must not fail the others: alone, each.
		for _, w := range batch {
			if err := h.tx(ctx, func(tx *sql.Tx) error { return h.apply(ctx, tx, w) }); err != nil {
				w.err = err
			}
		}
	} else if err != nil {
		batch[0].err = err
	}
}

// apply writes one report or ping in tx. An error of the write's own (an
// unknown sector) is its answer, in w.err; a returned error fails the
// transaction.
func (h *Hub) apply(ctx context.Context, tx *sql.Tx, w *write) error {
	w.resp, w.err = SectorStateResp{}, nil // a transaction may run again
	if w.ping != nil {
		return h.applyPing(ctx, tx, w.ping)
	}
	return h.applyReport(ctx, tx, w)
}

// The statements of reports and pings.
const (
	reportSQL = `UPDATE hub_sectors SET worker_state = $1, location = CASE WHEN $2 = '' THEN location ELSE $2 END,
		lease_until = CASE WHEN lease_until < $11 THEN $3 ELSE lease_until END, updated_at = $4, failure = CASE WHEN $10 = '' THEN failure ELSE $10 END
		WHERE miner = $5 AND number = $6 AND worker = $7 AND state NOT IN ($8, $9)`
	// reportsSQL is reportSQL for many sectors at once (PostgreSQL).
	reportsSQL = `UPDATE hub_sectors AS s SET worker_state = v.next, location = CASE WHEN v.loc = '' THEN s.location ELSE v.loc END,
		lease_until = CASE WHEN s.lease_until < $11 THEN $7 ELSE s.lease_until END, updated_at = $8,
		failure = CASE WHEN v.failure = '' THEN s.failure ELSE v.failure END
		FROM unnest($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[]) AS v(miner, number, worker, next, loc, failure)
		WHERE s.miner = v.miner AND s.number = v.number AND s.worker = v.worker AND s.state NOT IN ($9, $10)
		RETURNING s.miner, s.number`
	// explainSQL reads why a report changed nothing.
	explainSQL  = `SELECT state, worker, abort_reason FROM hub_sectors WHERE miner = $1 AND number = $2`
	pingSQL     = `UPDATE hub_sectors SET lease_until = $1 WHERE worker = $2 AND state NOT IN ($3, $4) AND lease_until < $5`
	pingManySQL = `UPDATE hub_sectors SET lease_until = $1 WHERE worker = ANY($2::TEXT[]) AND state NOT IN ($3, $4) AND lease_until < $5`
	workerSQL   = `INSERT INTO hub_workers (name, info, last_ping) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET info = excluded.info, last_ping = excluded.last_ping`
	workersSQL = `INSERT INTO hub_workers (name, info, last_ping) SELECT n, i, $3 FROM unnest($1::TEXT[], $2::TEXT[]) AS v(n, i)
		ON CONFLICT (name) DO UPDATE SET info = excluded.info, last_ping = excluded.last_ping`
)

// failureText is what a report's failure leaves in the sector's failure
// column; empty leaves the column as it is.
func failureText(rep StateReport) string {
	// A failure is kept until the operator resumes the sector; a report
	// without one leaves it.
	f := rep.Failure
	if f == nil {
		return ""
	}
	failure := fmt.Sprintf("%s in %s: %s", f.Level, rep.Change.Next, f.Desc)
	if len(failure) > maxFailureLen {
		n := maxFailureLen
		for n > 0 && !utf8.RuneStart(failure[n]) {
			n-- // not inside a character: PostgreSQL refuses invalid UTF-8
		}
		failure = failure[:n]
	}
	return failure
}

// applyReport writes one report in tx. A sector it updates is neither
// aborted nor finalized, so the answer is the zero one; a report that
// updates nothing is explained.
func (h *Hub) applyReport(ctx context.Context, tx *sql.Tx, w *write) error {
	now := h.now()
	until, below := h.leaseRenewal(now)
	w.resp = SectorStateResp{ID: w.id}
	res, err := h.db.Exec(ctx, tx, reportSQL,
		w.rep.Change.Next, w.rep.Location, until, now.UnixNano(), int64(w.id.Miner), int64(w.id.Number),
		w.rep.Worker, string(StateAborted), string(StateFinalized), failureText(w.rep), below)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return h.explainReport(ctx, tx, w)
	}
	return nil
}

// explainReport answers a report that changed nothing: the sector is
// another worker's, aborted, finalized or unknown. tx may be nil.
func (h *Hub) explainReport(ctx context.Context, tx *sql.Tx, w *write) error {
	w.resp = SectorStateResp{ID: w.id}
	var st, worker, abort string
	err := h.db.QueryRow(ctx, tx, explainSQL, int64(w.id.Miner), int64(w.id.Number)).Scan(&st, &worker, &abort)
	if errors.Is(err, sql.ErrNoRows) {
		// This report's answer, not the batch's.
		w.err = rpc.Errorf(rpc.KindNotFound, "sector %s is not on this hub", w.id)
		return nil
	} else if err != nil {
		return err
	}
	w.resp.Finalized = State(st) == StateFinalized
	if worker != w.rep.Worker {
		w.resp.AbortReason = fmt.Sprintf("the sector now belongs to worker %q", worker)
	} else {
		w.resp.AbortReason = abort
	}
	return nil
}

func (h *Hub) applyPing(ctx context.Context, tx *sql.Tx, info *WorkerInfo) error {
	now := h.now()
	until, below := h.leaseRenewal(now)
	if _, err := h.db.Exec(ctx, tx, pingSQL, until, info.Name, string(StateFinalized), string(StateAborted), below); err != nil {
		return err
	}
	_, err := h.db.Exec(ctx, tx, workerSQL, info.Name, summary(*info), now.UnixNano())
	return err
}

// writeStatements writes the batch on PostgreSQL: all its reports in one
// UPDATE, and all its pings in one UPDATE and one upsert, each statement
// outside a transaction, so one round trip apiece.
//
// READ COMMITTED is enough for these, though the hub's other changes are
// serializable: each is a single statement whose WHERE names the worker
// holding the sector, and PostgreSQL checks that condition again on the
// newest version of a row it had to wait for (EvalPlanQual). So a report or
// ping racing a takeover either commits first (and the takeover's
// serializable transaction, which read the lapsed lease, fails to
// serialize and runs again, seeing the renewed lease) or waits and then
// finds the sector is another worker's and leaves it. Two workers never
// hold one sector.
func (h *Hub) writeStatements(ctx context.Context, batch []*write) {
	var reps, pings []*write
	for _, w := range batch {
		if w.ping != nil {
			pings = append(pings, w)
		} else {
			reps = append(reps, w)
		}
	}
	if len(pings) > 0 {
		h.writeEach(ctx, pings, h.pingMany)
	}
	// One UPDATE changes a row once: reports of the same sector go in
	// separate statements, in the order they came.
	for len(reps) > 0 {
		var round []*write
		round, reps = distinctSectors(reps)
		h.writeEach(ctx, round, h.reportMany)
	}
}

// writeEach writes ws with fn, retried on conflicts; if that fails, each
// alone, so that one write's failure (a text PostgreSQL refuses) does not
// fail the others.
func (h *Hub) writeEach(ctx context.Context, ws []*write, fn func(context.Context, []*write) error) {
	err := h.db.Retry(ctx, func() error { return fn(ctx, ws) })
	if err == nil {
		return
	}
	if len(ws) == 1 {
		ws[0].err = asRPC(err)
		return
	}
	for _, w := range ws {
		h.writeEach(ctx, []*write{w}, fn)
	}
}

// distinctSectors sorts reps by sector (the order rows are locked in, the
// same in every writer and hub) and splits off the later reports of a
// sector that appears twice.
func distinctSectors(reps []*write) (round, rest []*write) {
	slices.SortStableFunc(reps, func(a, b *write) int { return compareIDs(a.id, b.id) })
	round = reps[:0:0]
	for i, w := range reps {
		if i > 0 && reps[i-1].id == w.id {
			rest = append(rest, w)
		} else {
			round = append(round, w)
		}
	}
	return round, rest
}

func compareIDs(a, b SectorID) int {
	if a.Miner != b.Miner {
		return cmp.Compare(a.Miner, b.Miner)
	}
	return cmp.Compare(a.Number, b.Number)
}

// reportMany writes round's reports, of distinct sectors sorted by
// distinctSectors, in one statement.
func (h *Hub) reportMany(ctx context.Context, round []*write) error {
	n := len(round)
	miners, numbers := make([]int64, n), make([]int64, n)
	workers, nexts, locs, failures := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, w := range round {
		w.resp, w.err = SectorStateResp{ID: w.id}, nil
		miners[i], numbers[i] = int64(w.id.Miner), int64(w.id.Number)
		workers[i], nexts[i], locs[i], failures[i] = w.rep.Worker, w.rep.Change.Next, w.rep.Location, failureText(w.rep)
	}
	now := h.now()
	until, below := h.leaseRenewal(now)
	rows, err := h.db.Query(ctx, nil, reportsSQL, miners, numbers, workers, nexts, locs, failures,
		until, now.UnixNano(), string(StateAborted), string(StateFinalized), below)
	if err != nil {
		return err
	}
	defer rows.Close()
	written := make([]bool, n)
	for rows.Next() {
		var miner, number int64
		if err := rows.Scan(&miner, &number); err != nil {
			return err
		}
		i, ok := slices.BinarySearchFunc(round, SectorID{uint64(miner), uint64(number)}, func(w *write, id SectorID) int { return compareIDs(w.id, id) })
		if !ok {
			return fmt.Errorf("report: the database returned sector f0%d/%d, which was not reported", miner, number)
		}
		written[i] = true // neither aborted nor finalized: the zero answer
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i, w := range round {
		if !written[i] {
			if err := h.explainReport(ctx, nil, w); err != nil {
				return err
			}
		}
	}
	return nil
}

// pingMany writes pings in two statements; a worker that pinged twice is
// written once, with its latest info.
func (h *Hub) pingMany(ctx context.Context, pings []*write) error {
	names, infos := make([]string, 0, len(pings)), make([]string, 0, len(pings))
	at := make(map[string]int, len(pings))
	for _, w := range pings {
		if i, ok := at[w.ping.Name]; ok {
			infos[i] = summary(*w.ping)
			continue
		}
		at[w.ping.Name] = len(names)
		names, infos = append(names, w.ping.Name), append(infos, summary(*w.ping))
	}
	// Sorted, like the reports, for one lock order everywhere.
	idx := make([]int, len(names))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return strings.Compare(names[a], names[b]) })
	sn, si := make([]string, len(idx)), make([]string, len(idx))
	for j, i := range idx {
		sn[j], si[j] = names[i], infos[i]
	}
	now := h.now()
	until, below := h.leaseRenewal(now)
	if _, err := h.db.Exec(ctx, nil, pingManySQL, until, sn, string(StateFinalized), string(StateAborted), below); err != nil {
		return err
	}
	_, err := h.db.Exec(ctx, nil, workersSQL, sn, si, now.UnixNano())
	return err
}

// ReportFinalized marks the sector done after its proof landed.
func (h *Hub) ReportFinalized(ctx context.Context, worker string, id SectorID) error {
	return h.tx(ctx, func(tx *sql.Tx) error {
		r, err := h.owned(ctx, tx, id, worker)
		if err != nil {
			return err
		}
		switch r.state {
		case StateFinalized:
			return nil
		case StateProofLanded:
		default:
			return rpc.Errorf(rpc.KindConflict, "sector %s is %s, not proven on chain", id, r.state)
		}
		_, err = h.db.Exec(ctx, tx, `UPDATE hub_sectors SET state = $1, lease_until = $2, updated_at = $3 WHERE miner = $4 AND number = $5`,
			string(StateFinalized), int64(noLease), h.now().UnixNano(), int64(id.Miner), int64(id.Number))
		return err
	})
}

// ReportAborted records that the worker dropped the sector.
func (h *Hub) ReportAborted(ctx context.Context, worker string, id SectorID, reason string) error {
	err := h.tx(ctx, func(tx *sql.Tx) error {
		r, err := h.owned(ctx, tx, id, worker)
		if err != nil {
			return err
		}
		if r.state == StateAborted {
			return nil
		}
		if r.state.Terminal() {
			return rpc.Errorf(rpc.KindConflict, "sector %s is %s", id, r.state)
		}
		return h.abortSector(ctx, tx, id, reason)
	})
	if err == nil {
		h.log.Warn("sector aborted by its worker", "sector", id, "worker", worker, "reason", reason)
	}
	return err
}

// abortSector marks the sector aborted and returns its pieces to the
// waiting list.
func (h *Hub) abortSector(ctx context.Context, tx *sql.Tx, id SectorID, reason string) error {
	now := h.now().UnixNano()
	if _, err := h.db.Exec(ctx, tx, `UPDATE hub_sectors SET state = $1, abort_reason = $2, lease_until = $3, updated_at = $4 WHERE miner = $5 AND number = $6`,
		string(StateAborted), reason, int64(noLease), now, int64(id.Miner), int64(id.Number)); err != nil {
		return err
	}
	return h.releasePieces(ctx, tx, id, now)
}

// Ping records a worker's heartbeat and renews the leases of all its
// sectors. Pings are written with the state reports (see ReportState).
func (h *Hub) Ping(ctx context.Context, info WorkerInfo) error {
	if info.Name == "" {
		return rpc.Errorf(rpc.KindInvalid, "ping: the worker has no name")
	}
	w := &write{ping: &info}
	if err := h.submit(ctx, "ping", info.Name, w); err != nil {
		return err
	}
	return w.err
}

func summary(info WorkerInfo) string {
	keys := make([]string, 0, len(info.Summary))
	for k := range info.Summary {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "threads=%d", info.Threads)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%d", k, info.Summary[k])
	}
	return b.String()
}
