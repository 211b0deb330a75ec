// Package worker is the sealing side of the pull contract: each sealing
// thread owns one directory, asks the hub for a sector, and drives it
// through the states of DESIGN.md section 5 with the proof engine,
// persisting its own state in its directory before it reports each step,
// so that a killed worker resumes exactly where it stopped. Stages write
// new files; none changes its inputs in place.
package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/internal/atomicfile"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/engine"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/stage"
	"github.com/strata-sp/strata/rpc"
)

// State is a sealing thread's sector state (DESIGN.md section 5).
type State string

// The states, in order.
const (
	Empty            State = "Empty"
	Allocated        State = "Allocated"
	DealsAcquired    State = "DealsAcquired"
	PieceAdded       State = "PieceAdded"
	TreeDBuilt       State = "TreeDBuilt"
	TicketAssigned   State = "TicketAssigned"
	PC1Done          State = "PC1Done"
	PC2Done          State = "PC2Done"
	PCSubmitted      State = "PCSubmitted"
	PCLanded         State = "PCLanded"
	Persisted        State = "Persisted"
	PersistSubmitted State = "PersistSubmitted"
	SeedAssigned     State = "SeedAssigned"
	C1Done           State = "C1Done"
	C2Done           State = "C2Done"
	ProofSubmitted   State = "ProofSubmitted"
	Finished         State = "Finished"
	Aborted          State = "Aborted"
)

// Sector is a thread's persisted record of its sector.
type Sector struct {
	State     State
	ID        hub.SectorID
	ProofType proof.SealProof
	// Deals are the sector's pieces, in order; none is committed
	// capacity.
	Deals  []hub.Deal `json:",omitempty"`
	Ticket hub.Ticket
	CommD  stage.Bytes32
	CommR  stage.Bytes32
	Store  string
	Seed   hub.Seed
	Proof  []byte
	// SealedPath and CachePath, when set, are where the sealed file and
	// the cache are instead of the thread's directory: the persisted copy
	// of a sector taken over after its persist, which is proven from
	// there rather than sealed again.
	SealedPath string `json:",omitempty"`
	CachePath  string `json:",omitempty"`
	// Paused is set when a permanent or critical failure stopped the
	// thread; Failure says why. `worker resume` clears it.
	Paused  bool
	Failure string
	Retries int
}

// PersistStore is a named directory sealed sectors are moved to.
type PersistStore struct {
	Name string
	Dir  string
}

// ThreadConfig configures one sealing thread.
type ThreadConfig struct {
	Index    int
	Location string // the thread's own directory
	Worker   string // the worker's name
	Spec     hub.AllocateSectorSpec
	Stores   []PersistStore
	// ParentCache is the SDR parent cache directory.
	ParentCache string
	// Idle is the sleep when the hub has nothing to do; Poll between
	// Poll* calls; Retry the first back-off after a temporary failure,
	// doubled each time, up to MaxRetries before the thread pauses.
	Idle, Poll, Retry time.Duration
	MaxRetries        int
	// Transfer moves a sealed sector into a persist store; nil copies
	// in process (CopyTransfer).
	Transfer Transferer
}

// PersistFiles are what a persist moves: the thread's sealed file and
// cache directory, and where they go in the store (both named after the
// sector, s-t0MINER-NUMBER).
type PersistFiles struct {
	Sector     hub.SectorID
	Sealed     string // the thread's sealed file
	Cache      string // the thread's cache directory
	Store      PersistStore
	SealedDest string // <store>/sealed/s-t0M-N
	CacheDest  string // <store>/cache/s-t0M-N
}

// Transferer moves a sealed sector's files into a persist store. It must
// leave no partial file under a final name: a destination either does
// not exist or is whole. It may be called again for the same sector
// (after a crash) and must then succeed again.
type Transferer interface {
	Transfer(ctx context.Context, f PersistFiles) error
}

// CopyTransfer is the built-in Transferer: it copies the sealed file and
// every regular file of the cache, each to a temporary name then renamed.
type CopyTransfer struct{}

// Transfer implements Transferer.
func (CopyTransfer) Transfer(_ context.Context, f PersistFiles) error {
	if err := copyFile(f.Sealed, f.SealedDest); err != nil {
		return err
	}
	ents, err := os.ReadDir(f.Cache)
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.Type().IsRegular() {
			if err := copyFile(filepath.Join(f.Cache, e.Name()), filepath.Join(f.CacheDest, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// Thread is one sealing thread.
type Thread struct {
	cfg ThreadConfig
	hub Hub
	eng engine.Sealer
	log *slog.Logger

	mu     sync.Mutex
	status Sector
}

// NewThread returns a thread; Run drives it.
func NewThread(cfg ThreadConfig, h Hub, eng engine.Sealer, log *slog.Logger) *Thread {
	if cfg.Idle <= 0 {
		cfg.Idle = 5 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.Retry <= 0 {
		cfg.Retry = time.Second
	}
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = 5
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Thread{cfg: cfg, hub: h, eng: eng, log: log.With("thread", cfg.Index)}
}

// Status returns the thread's sector record.
func (t *Thread) Status() Sector {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.status
}

func (t *Thread) statePath() string { return filepath.Join(t.cfg.Location, "sector.json") }

// Load reads the thread's persisted sector (Empty when there is none).
func (t *Thread) Load() (Sector, error) {
	b, err := os.ReadFile(t.statePath())
	if errors.Is(err, fs.ErrNotExist) {
		return Sector{State: Empty}, nil
	} else if err != nil {
		return Sector{}, err
	}
	if len(b) > MaxStateFile {
		return Sector{}, fmt.Errorf("thread %d: state file %s: %d bytes, the limit is %d", t.cfg.Index, t.statePath(), len(b), MaxStateFile)
	}
	var s Sector
	if err := json.Unmarshal(b, &s); err != nil {
		return Sector{}, fmt.Errorf("thread %d: state file %s: %w", t.cfg.Index, t.statePath(), err)
	}
	if !slices.Contains(states, s.State) {
		return Sector{}, fmt.Errorf("thread %d: state file %s: unknown state %q", t.cfg.Index, t.statePath(), s.State)
	}
	return s, nil
}

// MaxStateFile bounds a thread's sector.json (a proof is a few hundred
// bytes; pieces a few hundred each).
const MaxStateFile = 4 << 20

// states are the thread states a state file may hold.
var states = []State{Empty, Allocated, DealsAcquired, PieceAdded, TreeDBuilt, TicketAssigned, PC1Done, PC2Done, PCSubmitted,
	PCLanded, Persisted, PersistSubmitted, SeedAssigned, C1Done, C2Done, ProofSubmitted, Finished, Aborted}

func (t *Thread) save(s Sector) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(t.statePath(), b, 0o644); err != nil {
		return fmt.Errorf("thread %d: save state: %w", t.cfg.Index, err)
	}
	t.mu.Lock()
	t.status = s
	t.mu.Unlock()
	return nil
}

// Resume clears a pause, optionally setting the state to restart from.
func (t *Thread) Resume(state State) error {
	s, err := t.Load()
	if err != nil {
		return err
	}
	if state != "" && !slices.Contains(states, state) {
		return fmt.Errorf("thread %d: unknown state %q", t.cfg.Index, state)
	}
	s.Paused, s.Failure, s.Retries = false, "", 0
	if state != "" {
		s.State = state
	}
	return t.save(s)
}

// errWait means the step has nothing to do yet; the thread sleeps.
type errWait struct{ d time.Duration }

func (e errWait) Error() string { return fmt.Sprintf("waiting %s", e.d) }

// errAbort drops the sector.
type errAbort struct{ reason string }

func (e errAbort) Error() string { return "abort: " + e.reason }

// errPermanent pauses the thread until an operator resumes it.
type errPermanent struct{ err error }

func (e errPermanent) Error() string { return "permanent: " + e.err.Error() }
func (e errPermanent) Unwrap() error { return e.err }

// Run drives sectors until ctx ends or the thread pauses.
func (t *Thread) Run(ctx context.Context) error {
	if err := os.MkdirAll(t.cfg.Location, 0o755); err != nil {
		return err
	}
	s, err := t.Load()
	if err != nil {
		return err
	}
	t.mu.Lock()
	t.status = s
	t.mu.Unlock()
	for ctx.Err() == nil {
		if s.Paused {
			t.log.Warn("thread paused", "sector", s.ID, "state", s.State, "failure", s.Failure)
			return fmt.Errorf("thread %d paused in %s: %s", t.cfg.Index, s.State, s.Failure)
		}
		next, err := t.step(ctx, s)
		var w errWait
		var ab errAbort
		var perm errPermanent
		switch {
		case err == nil:
			if next.State != s.State && next.State != Empty {
				if rerr := t.report(ctx, s.State, next); rerr != nil {
					var ra errAbort
					if errors.As(rerr, &ra) {
						next, err = t.abort(ctx, next, ra.reason)
						if err != nil {
							t.sleep(ctx, t.cfg.Retry)
						}
						s = next
						continue
					}
				}
			}
			next.Retries = 0
			if err := t.save(next); err != nil {
				return err
			}
			s = next
		case errors.As(err, &w):
			t.sleep(ctx, w.d)
		case errors.As(err, &ab):
			if s, err = t.abort(ctx, s, ab.reason); err != nil {
				t.sleep(ctx, t.cfg.Retry)
			}
		case errors.As(err, &perm):
			s.Paused, s.Failure = true, perm.Error()
			t.reportFailure(ctx, s, hub.FailurePermanent, perm.Error())
			if err := t.save(s); err != nil {
				return err
			}
		case ctx.Err() != nil:
		case errors.Is(err, rpc.ErrConflict):
			// The hub will not let this worker go on with the sector:
			// another worker took it over after its lease lapsed, or it was
			// finished or aborted meanwhile. Drop it and take other work.
			if s, err = t.abort(ctx, s, err.Error()); err != nil {
				t.sleep(ctx, t.cfg.Retry)
			}
		default:
			s.Retries++
			t.log.Warn("step failed; retrying", "sector", s.ID, "state", s.State, "attempt", s.Retries, "err", err)
			if s.Retries > t.cfg.MaxRetries {
				s.Paused, s.Failure = true, fmt.Sprintf("%d retries: %v", t.cfg.MaxRetries, err)
				t.reportFailure(ctx, s, failureLevel(err), s.Failure)
			}
			if err := t.save(s); err != nil {
				return err
			}
			if !s.Paused {
				t.sleep(ctx, t.cfg.Retry<<min(s.Retries-1, 6))
			}
		}
	}
	return nil
}

// failureLevel grades a failure that outlasted its retries: one of this
// machine's files or devices (a full or failing disk, a missing
// directory) is critical, since every sector on the machine may hit it;
// anything else is permanent for this sector. Both pause the thread.
func failureLevel(err error) hub.FailureLevel {
	var pe *fs.PathError
	var errno syscall.Errno
	if errors.As(err, &pe) || errors.As(err, &errno) {
		return hub.FailureCritical
	}
	return hub.FailurePermanent
}

func (t *Thread) sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func (t *Thread) report(ctx context.Context, prev State, s Sector) error {
	r, err := t.hub.ReportState(ctx, s.ID, hub.StateReport{Worker: t.cfg.Worker, Location: t.cfg.Location,
		Change: hub.StateChange{Prev: string(prev), Next: string(s.State)}})
	if err != nil {
		t.log.Warn("report state", "sector", s.ID, "err", err)
		return nil // the state is saved; the next report renews the lease
	}
	if r.AbortReason != "" {
		return errAbort{r.AbortReason}
	}
	return nil
}

func (t *Thread) reportFailure(ctx context.Context, s Sector, level hub.FailureLevel, desc string) {
	if s.State == Empty {
		return
	}
	_, _ = t.hub.ReportState(ctx, s.ID, hub.StateReport{Worker: t.cfg.Worker, Location: t.cfg.Location,
		Change: hub.StateChange{Prev: string(s.State), Next: string(s.State)}, Failure: &hub.Failure{Level: level, Desc: desc}})
}

// abort drops the sector: tells the hub (unless it already knows), removes
// the thread's files and empties the thread.
func (t *Thread) abort(ctx context.Context, s Sector, reason string) (Sector, error) {
	t.log.Warn("aborting sector", "sector", s.ID, "state", s.State, "reason", reason)
	if err := t.hub.ReportAborted(ctx, t.cfg.Worker, s.ID, reason); err != nil && !errors.Is(err, rpc.ErrConflict) {
		return s, err
	}
	if err := t.clean(); err != nil {
		return s, err
	}
	e := Sector{State: Empty}
	return e, t.save(e)
}

func (t *Thread) files(s Sector) seal.Sector {
	f := seal.Sector{Proof: s.ProofType, Miner: s.ID.Miner, Number: s.ID.Number,
		Staged: filepath.Join(t.cfg.Location, "staged"), Cache: filepath.Join(t.cfg.Location, "cache"),
		Sealed: filepath.Join(t.cfg.Location, "sealed")}
	if s.SealedPath != "" {
		f.Sealed, f.Cache = s.SealedPath, s.CachePath
	}
	return f
}

// persistedName is a sector's file and cache directory name in a store,
// where the hub looks for them (hub.PersistedName).
func persistedName(id hub.SectorID) string { return hub.PersistedName(id) }

// resumeFromStore returns the record to prove a sector taken over after
// its persist from its persisted copy, when this thread has the store
// attached and the copy is there; ok is false otherwise (it is sealed
// again).
func (t *Thread) resumeFromStore(a *hub.AllocatedSector) (Sector, bool) {
	if a.State != hub.StatePersisted || a.Ticket == nil || len(a.CommR) != 32 || len(a.CommD) != 32 {
		return Sector{}, false
	}
	size, err := a.ProofType.SectorSize()
	if err != nil {
		return Sector{}, false
	}
	for _, st := range t.cfg.Stores {
		if st.Name != a.PersistedTo {
			continue
		}
		name := persistedName(a.ID)
		sealed, cache := filepath.Join(st.Dir, "sealed", name), filepath.Join(st.Dir, "cache", name)
		if fi, err := os.Stat(sealed); err != nil || fi.Size() != int64(size) {
			return Sector{}, false
		}
		if fi, err := os.Stat(cache); err != nil || !fi.IsDir() {
			return Sector{}, false
		}
		s := Sector{State: PersistSubmitted, ID: a.ID, ProofType: a.ProofType, Ticket: *a.Ticket, Store: st.Name,
			SealedPath: sealed, CachePath: cache}
		copy(s.CommR[:], a.CommR)
		copy(s.CommD[:], a.CommD)
		return s, true
	}
	return Sector{}, false
}

func (t *Thread) task(s Sector) stage.SealTask {
	return stage.SealTask{Sector: t.files(s), ParentCache: t.cfg.ParentCache}
}

// clean removes the sector's files from the thread's directory.
func (t *Thread) clean() error {
	for _, n := range []string{"pieces", "staged", "cache", "sealed", "c1.out"} {
		if err := os.RemoveAll(filepath.Join(t.cfg.Location, n)); err != nil {
			return err
		}
	}
	return nil
}

// step does what state s calls for and returns the next record.
func (t *Thread) step(ctx context.Context, s Sector) (Sector, error) {
	w := t.cfg.Worker
	switch s.State {
	case Empty, Finished, Aborted:
		a, err := t.hub.AllocateSector(ctx, t.cfg.Spec)
		if err != nil {
			return s, err
		}
		if a == nil {
			return s, errWait{t.cfg.Idle}
		}
		if err := t.clean(); err != nil {
			return s, err
		}
		t.log.Info("sector allocated", "sector", a.ID, "takeover", a.Takeover, "hub state", a.State)
		// A sector taken over whose proof the hub already has only needs
		// following to the end. Any other is sealed again from the start:
		// the hub keeps its pieces and ticket, so the commitments come out
		// the same and the submissions match.
		if a.Takeover && (a.State == hub.StateProofSubmitted || a.State == hub.StateProofLanded) {
			return Sector{State: ProofSubmitted, ID: a.ID, ProofType: a.ProofType}, nil
		}
		// One taken over after its persist is proven from the persisted
		// copy when this thread reaches that store.
		if a.Takeover {
			if s, ok := t.resumeFromStore(a); ok {
				t.log.Info("sector taken over from its persisted copy", "sector", a.ID, "store", s.Store)
				return s, nil
			}
		}
		return Sector{State: Allocated, ID: a.ID, ProofType: a.ProofType}, nil
	case Allocated:
		deals, err := t.hub.AcquireDeals(ctx, w, s.ID)
		if err != nil {
			return s, err
		}
		s.Deals, s.State = deals, DealsAcquired
		return s, nil
	case DealsAcquired:
		size, err := s.ProofType.SectorSize()
		if err != nil {
			return s, errPermanent{err}
		}
		f := t.files(s)
		if err := os.MkdirAll(f.Cache, 0o755); err != nil {
			return s, err
		}
		pieces, err := t.fetchPieces(ctx, s.Deals)
		if err != nil {
			return s, err
		}
		if _, err := t.eng.AddPieces(ctx, stage.AddPiecesTask{Staged: f.Staged, SectorSize: piece.PaddedSize(size), Pieces: pieces}); err != nil {
			return s, err
		}
		if err := os.RemoveAll(filepath.Join(t.cfg.Location, "pieces")); err != nil {
			return s, err
		}
		s.State = PieceAdded
		return s, nil
	case PieceAdded:
		f := t.files(s)
		td, err := t.eng.TreeD(ctx, stage.TreeDTask{Staged: f.Staged, Tree: filepath.Join(f.Cache, seal.TreeDFile)})
		if err != nil {
			return s, err
		}
		d, err := piece.DecodeV1(td.CommD)
		if err != nil {
			return s, errPermanent{err}
		}
		s.CommD, s.State = d, TreeDBuilt
		return s, nil
	case TreeDBuilt:
		tk, err := t.hub.AssignTicket(ctx, w, s.ID)
		if err != nil {
			return s, err
		}
		s.Ticket, s.State = tk, TicketAssigned
		return s, nil
	case TicketAssigned:
		var tk stage.Bytes32
		copy(tk[:], s.Ticket.Ticket)
		if _, err := t.eng.PC1(ctx, stage.PC1Task{SealTask: t.task(s), Ticket: tk, CommD: s.CommD}); err != nil {
			return s, err
		}
		s.State = PC1Done
		return s, nil
	case PC1Done:
		out, err := t.eng.PC2(ctx, t.task(s))
		if err != nil {
			return s, err
		}
		s.CommR, s.State = out.CommR, PC2Done
		return s, nil
	case PC2Done:
		r, err := t.hub.SubmitPreCommit(ctx, w, s.ID, hub.PreCommitInfo{CommR: s.CommR, CommD: s.CommD, Ticket: s.Ticket})
		if err != nil {
			return s, err
		}
		if r.Res != hub.Accepted {
			return s, errPermanent{fmt.Errorf("pre-commit %s: %s", r.Res, r.Desc)}
		}
		s.State = PCSubmitted
		return s, nil
	case PCSubmitted:
		p, err := t.hub.PollPreCommitState(ctx, s.ID)
		if err != nil {
			return s, err
		}
		switch p.State {
		case hub.OnChainLanded:
			s.State = PCLanded
			return s, nil
		case hub.OnChainShouldAbort:
			return s, errAbort{p.Desc}
		case hub.OnChainFailed, hub.OnChainPermFailed:
			return s, errPermanent{fmt.Errorf("pre-commit %s: %s", p.State, p.Desc)}
		case hub.OnChainNotFound:
			s.State = PC2Done
			return s, nil
		}
		return s, errWait{t.cfg.Poll}
	case PCLanded:
		st, err := t.persist(ctx, s)
		if err != nil {
			return s, err
		}
		s.Store, s.State = st, Persisted
		return s, nil
	case Persisted:
		r, err := t.hub.SubmitPersisted(ctx, w, s.ID, s.Store)
		if err != nil {
			return s, err
		}
		if r.Res != hub.Accepted {
			return s, errPermanent{fmt.Errorf("persist %s: %s", r.Res, r.Desc)}
		}
		s.State = PersistSubmitted
		return s, nil
	case PersistSubmitted:
		r, err := t.hub.WaitSeed(ctx, w, s.ID)
		if err != nil {
			return s, err
		}
		if r.ShouldWait || r.Seed == nil {
			return s, errWait{min(max(r.Delay, t.cfg.Poll/4), t.cfg.Poll)}
		}
		s.Seed, s.State = *r.Seed, SeedAssigned
		return s, nil
	case SeedAssigned:
		var tk, sd stage.Bytes32
		copy(tk[:], s.Ticket.Ticket)
		copy(sd[:], s.Seed.Seed)
		c1, err := t.eng.C1(ctx, stage.C1Task{SealTask: t.task(s), Ticket: tk, Seed: sd, CommD: s.CommD})
		if err != nil {
			return s, err
		}
		if err := atomicfile.WriteFile(filepath.Join(t.cfg.Location, "c1.out"), c1.Proof, 0o644); err != nil {
			return s, err
		}
		s.State = C1Done
		return s, nil
	case C1Done:
		b, err := os.ReadFile(filepath.Join(t.cfg.Location, "c1.out"))
		if err != nil {
			return Sector{State: SeedAssigned, ID: s.ID, ProofType: s.ProofType, Ticket: s.Ticket, CommD: s.CommD, CommR: s.CommR, Store: s.Store, Seed: s.Seed}, nil
		}
		c2, err := t.eng.C2(ctx, stage.ProofOutput{Proof: b})
		if err != nil {
			return s, err
		}
		s.Proof, s.State = c2.Proof, C2Done
		return s, nil
	case C2Done:
		r, err := t.hub.SubmitProof(ctx, w, s.ID, s.Proof)
		if err != nil {
			return s, err
		}
		if r.Res != hub.Accepted {
			return s, errPermanent{fmt.Errorf("proof %s: %s", r.Res, r.Desc)}
		}
		s.State = ProofSubmitted
		return s, nil
	case ProofSubmitted:
		p, err := t.hub.PollProofState(ctx, s.ID)
		if err != nil {
			return s, err
		}
		switch p.State {
		case hub.OnChainLanded:
		case hub.OnChainShouldAbort:
			return s, errAbort{p.Desc}
		case hub.OnChainFailed, hub.OnChainPermFailed:
			return s, errPermanent{fmt.Errorf("prove-commit %s: %s", p.State, p.Desc)}
		case hub.OnChainNotFound:
			s.State = C2Done
			return s, nil
		default:
			return s, errWait{t.cfg.Poll}
		}
		if err := t.hub.ReportFinalized(ctx, w, s.ID); err != nil {
			return s, err
		}
		if err := t.clean(); err != nil {
			return s, err
		}
		t.log.Info("sector finished", "sector", s.ID)
		return Sector{State: Empty}, nil
	}
	return s, errPermanent{fmt.Errorf("unknown state %q", s.State)}
}

// persist asks the hub which of the thread's persist stores takes the
// sector, and moves the sealed file and the cache the proofs need there,
// under names of the sector's own, through the thread's Transferer. The
// hub's refusal (no store has room, say) is an rpc error, retried with
// back-off as any other; a conflict (the sector is no longer this
// worker's) drops the sector.
func (t *Thread) persist(ctx context.Context, s Sector) (string, error) {
	if len(t.cfg.Stores) == 0 {
		return "", errPermanent{errors.New("no persist store attached ([[attached]])")}
	}
	names := make([]string, len(t.cfg.Stores))
	for i, st := range t.cfg.Stores {
		names[i] = st.Name
	}
	c, err := t.hub.ReserveStore(ctx, t.cfg.Worker, s.ID, names)
	if err != nil {
		return "", fmt.Errorf("reserve a persist store: %w", err)
	}
	i := slices.IndexFunc(t.cfg.Stores, func(st PersistStore) bool { return st.Name == c.Name })
	if i < 0 {
		return "", errPermanent{fmt.Errorf("the hub chose store %q, which this thread does not attach", c.Name)}
	}
	st := t.cfg.Stores[i]
	name := persistedName(s.ID)
	f := t.files(s)
	var tr Transferer = CopyTransfer{}
	if t.cfg.Transfer != nil {
		tr = t.cfg.Transfer
	}
	if err := tr.Transfer(ctx, PersistFiles{Sector: s.ID, Sealed: f.Sealed, Cache: f.Cache, Store: st,
		SealedDest: filepath.Join(st.Dir, "sealed", name), CacheDest: filepath.Join(st.Dir, "cache", name)}); err != nil {
		return "", err
	}
	return st.Name, nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFunc(dst, 0o644, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}
