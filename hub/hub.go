package hub

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

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
	// or ping; 0 means 5 minutes.
	Lease  time.Duration
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Hub is the sector manager's core over its store. It is safe for
// concurrent use, and several hub processes may share one PostgreSQL
// store: every change is a serializable transaction.
type Hub struct {
	db      *store.DB
	tickets TicketSource
	lease   time.Duration
	log     *slog.Logger
	now     func() time.Time

	allocMu   sync.Mutex
	reports   chan *report
	quit      chan struct{}
	closeOnce sync.Once
	stopped   chan struct{}
}

// New migrates the hub's schema and returns the Hub.
func New(ctx context.Context, o Options) (*Hub, error) {
	if o.DB == nil {
		return nil, errors.New("hub: DB is required")
	}
	if _, err := o.DB.Migrate(ctx, "hub", Migrations()); err != nil {
		return nil, fmt.Errorf("hub: %w", err)
	}
	h := &Hub{db: o.DB, tickets: o.Tickets, lease: o.Lease, log: o.Logger, now: o.Now,
		reports: make(chan *report), quit: make(chan struct{}), stopped: make(chan struct{})}
	if h.lease <= 0 {
		h.lease = 5 * time.Minute
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	go func() { defer close(h.stopped); h.writeReports() }()
	return h, nil
}

// Close stops the hub's report writer after the batch in flight; later
// reports fail as transient.
func (h *Hub) Close() {
	h.closeOnce.Do(func() {
		close(h.quit)
		<-h.stopped
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
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM hub_miners WHERE actor = $1`, int64(m.Actor)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return rpc.Errorf(rpc.KindConflict, "miner f0%d is already on this hub", m.Actor)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO hub_miners (actor, proof_type, worker_addr, control_addrs, wallet_api, min_number, max_number, next_number)
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
		miners, err := eligibleMiners(ctx, tx, spec)
		if err != nil || len(miners) == 0 {
			return err
		}
		m := miners[0]
		if _, err := tx.ExecContext(ctx, `UPDATE hub_miners SET next_number = next_number + 1, last_alloc = $1 WHERE actor = $2`,
			now.UnixNano(), int64(m.actor)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO hub_sectors (miner, number, proof_type, state, worker, lease_until, created_at, updated_at)
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

func eligibleMiners(ctx context.Context, tx *sql.Tx, spec AllocateSectorSpec) ([]eligible, error) {
	rows, err := tx.QueryContext(ctx, `SELECT actor, proof_type, next_number FROM hub_miners
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
	rows, err := tx.QueryContext(ctx, `SELECT miner, number, proof_type, state, worker, location FROM hub_sectors
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
	if _, err := tx.ExecContext(ctx, `UPDATE hub_sectors SET worker = $1, lease_until = $2, takeovers = takeovers + 1, updated_at = $3
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
}

func getSector(ctx context.Context, tx *sql.Tx, id SectorID) (*sectorRow, error) {
	var r sectorRow
	var st string
	err := tx.QueryRowContext(ctx, `SELECT state, worker, ticket, ticket_epoch, comm_r, comm_d, persist_store, abort_reason, lease_until
		FROM hub_sectors WHERE miner = $1 AND number = $2`, int64(id.Miner), int64(id.Number)).
		Scan(&st, &r.worker, &r.ticket, &r.ticketEp, &r.commR, &r.commD, &r.persist, &r.abort, &r.leaseUntil)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, rpc.Errorf(rpc.KindNotFound, "sector %s is not on this hub", id)
	}
	r.state = State(st)
	return &r, err
}

// noLease is the lease_until of a finalized or aborted sector.
const noLease = math.MaxInt64

// owned checks that worker holds the sector, and renews its lease.
func (h *Hub) owned(ctx context.Context, tx *sql.Tx, id SectorID, worker string) (*sectorRow, error) {
	r, err := getSector(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if r.worker != worker {
		return nil, rpc.Errorf(rpc.KindConflict, "sector %s is held by worker %q, not %q (its lease lapsed and it was taken over)", id, r.worker, worker)
	}
	now := h.now()
	if r.state.Terminal() {
		return r, nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE hub_sectors SET lease_until = $1, updated_at = $2 WHERE miner = $3 AND number = $4`,
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
		r, err := getSector(ctx, tx, id)
		if err != nil {
			return err
		}
		if len(r.ticket) > 0 {
			t = Ticket{Ticket: r.ticket, Epoch: r.ticketEp}
			return nil
		}
		t = drawn
		_, err = tx.ExecContext(ctx, `UPDATE hub_sectors SET ticket = $1, ticket_epoch = $2, updated_at = $3 WHERE miner = $4 AND number = $5`,
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
		_, err = tx.ExecContext(ctx, `UPDATE hub_sectors SET comm_r = $1, comm_d = $2, state = $3, precommit_state = $4, updated_at = $5
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
	err := h.db.QueryRowContext(ctx, `SELECT state, precommit_state, abort_reason FROM hub_sectors WHERE miner = $1 AND number = $2`,
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
// file and cache. It is idempotent.
func (h *Hub) SubmitPersisted(ctx context.Context, worker string, id SectorID, storeName string) (SubmitResp, error) {
	var resp SubmitResp
	err := h.tx(ctx, func(tx *sql.Tx) error {
		r, err := h.owned(ctx, tx, id, worker)
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
		default:
			_, err = tx.ExecContext(ctx, `UPDATE hub_sectors SET persist_store = $1, state = $2, updated_at = $3 WHERE miner = $4 AND number = $5`,
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
// call workers make most: concurrent reports are written together, one
// UPDATE each in a shared transaction (group commit), and each call
// returns once its own is committed.
func (h *Hub) ReportState(ctx context.Context, id SectorID, rep StateReport) (SectorStateResp, error) {
	req := &report{id: id, rep: rep, done: make(chan struct{})}
	select {
	case h.reports <- req:
	case <-h.quit:
		return SectorStateResp{}, rpc.Errorf(rpc.KindTransient, "the hub is shutting down")
	case <-ctx.Done():
		return SectorStateResp{}, rpc.Errorf(rpc.KindTransient, "report state: %w", ctx.Err())
	}
	<-req.done
	if req.err == nil && rep.Failure != nil {
		h.log.Warn("worker reports a failure", "sector", id, "worker", rep.Worker, "level", rep.Failure.Level, "desc", rep.Failure.Desc)
	}
	return req.resp, req.err
}

// report is one ReportState waiting for the writer.
type report struct {
	id   SectorID
	rep  StateReport
	resp SectorStateResp
	err  error
	done chan struct{}
}

// maxReportBatch bounds the reports written in one transaction.
const maxReportBatch = 256

// writeReports is the ReportState writer: it takes the reports waiting,
// writes them in one transaction and answers each.
func (h *Hub) writeReports() {
	batch := make([]*report, 0, maxReportBatch)
	for {
		select {
		case first := <-h.reports:
			batch = append(batch[:0], first)
		case <-h.quit:
			return
		}
	more:
		for len(batch) < maxReportBatch {
			select {
			case r := <-h.reports:
				batch = append(batch, r)
			default:
				break more
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		err := h.tx(ctx, func(tx *sql.Tx) error {
			for _, r := range batch {
				if err := h.applyReport(ctx, tx, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil && len(batch) > 1 {
			// One report's failure must not fail the others: alone, each.
			for _, r := range batch {
				r.err = h.tx(ctx, func(tx *sql.Tx) error { return h.applyReport(ctx, tx, r) })
			}
		} else {
			for _, r := range batch {
				r.err = err
			}
		}
		cancel()
		for _, r := range batch {
			close(r.done)
		}
	}
}

func (h *Hub) applyReport(ctx context.Context, tx *sql.Tx, r *report) error {
	now := h.now()
	r.resp = SectorStateResp{ID: r.id}
	var st string
	err := tx.QueryRowContext(ctx, `UPDATE hub_sectors SET worker_state = $1, location = CASE WHEN $2 = '' THEN location ELSE $2 END,
		lease_until = $3, updated_at = $4 WHERE miner = $5 AND number = $6 AND worker = $7 AND state NOT IN ($8, $9) RETURNING state`,
		r.rep.Change.Next, r.rep.Location, now.Add(h.lease).UnixNano(), now.UnixNano(), int64(r.id.Miner), int64(r.id.Number),
		r.rep.Worker, string(StateAborted), string(StateFinalized)).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		// Not this worker's, aborted, or unknown: say which.
		sr, err := getSector(ctx, tx, r.id)
		var re *rpc.Error
		if errors.As(err, &re) {
			r.err = err // unknown sector: this report's answer, not the batch's
			return nil
		} else if err != nil {
			return err
		}
		st = string(sr.state)
		if sr.worker != r.rep.Worker {
			r.resp.AbortReason = fmt.Sprintf("the sector now belongs to worker %q", sr.worker)
		} else {
			r.resp.AbortReason = sr.abort
		}
	} else if err != nil {
		return err
	}
	r.resp.Finalized = State(st) == StateFinalized
	return nil
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
		_, err = tx.ExecContext(ctx, `UPDATE hub_sectors SET state = $1, lease_until = $2, updated_at = $3 WHERE miner = $4 AND number = $5`,
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
		_, err = tx.ExecContext(ctx, `UPDATE hub_sectors SET state = $1, abort_reason = $2, lease_until = $3, updated_at = $4 WHERE miner = $5 AND number = $6`,
			string(StateAborted), reason, int64(noLease), h.now().UnixNano(), int64(id.Miner), int64(id.Number))
		return err
	})
	if err == nil {
		h.log.Warn("sector aborted by its worker", "sector", id, "worker", worker, "reason", reason)
	}
	return err
}

// Ping records a worker's heartbeat and renews the leases of all its
// sectors.
func (h *Hub) Ping(ctx context.Context, info WorkerInfo) error {
	if info.Name == "" {
		return rpc.Errorf(rpc.KindInvalid, "ping: the worker has no name")
	}
	now := h.now()
	return h.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE hub_sectors SET lease_until = $1 WHERE worker = $2 AND state NOT IN ($3, $4)`,
			now.Add(h.lease).UnixNano(), info.Name, string(StateFinalized), string(StateAborted)); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE hub_workers SET info = $1, last_ping = $2 WHERE name = $3`, summary(info), now.UnixNano(), info.Name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			_, err = tx.ExecContext(ctx, `INSERT INTO hub_workers (name, info, last_ping) VALUES ($1, $2, $3)`, info.Name, summary(info), now.UnixNano())
		}
		return err
	})
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
	Takeovers   int
}

// Sector returns one sector.
func (h *Hub) Sector(ctx context.Context, id SectorID) (SectorInfo, error) {
	s := SectorInfo{ID: id}
	var pt, lease, tk int64
	var st string
	err := h.db.QueryRowContext(ctx, `SELECT proof_type, state, worker, worker_state, location, lease_until, ticket, ticket_epoch, comm_r, comm_d, persist_store, abort_reason, takeovers
		FROM hub_sectors WHERE miner = $1 AND number = $2`, int64(id.Miner), int64(id.Number)).
		Scan(&pt, &st, &s.Worker, &s.WorkerState, &s.Location, &lease, &s.Ticket.Ticket, &s.Ticket.Epoch, &s.CommR, &s.CommD, &s.PersistedTo, &s.AbortReason, &tk)
	if errors.Is(err, sql.ErrNoRows) {
		return s, rpc.Errorf(rpc.KindNotFound, "sector %s is not on this hub", id)
	} else if err != nil {
		return s, asRPC(err)
	}
	s.ProofType, s.State, s.LeaseUntil, s.Takeovers = proof.SealProof(pt), State(st), time.Unix(0, lease), int(tk)
	return s, nil
}
