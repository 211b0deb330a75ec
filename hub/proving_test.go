package hub_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/strata-sp/strata/chain/devnet"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/bitfield"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/internal/devnettest"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/engine"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/stage"
	"github.com/strata-sp/strata/store"
	"github.com/strata-sp/strata/store/enginetest"
	"github.com/strata-sp/strata/wallet"
)

// provingEnv is a devnet miner whose sectors the hub sealed into a store.
type provingEnv struct {
	f     *devnettest.Chain
	db    *store.DB
	h     *hub.Hub
	ms    *hub.Messenger
	maddr address.Address
	store string
	ids   []hub.SectorID
}

// sealIntoStore seals n committed-capacity 2 KiB sectors through the hub,
// with their files in a store attached to it, and gets them on chain.
func sealIntoStore(t *testing.T, n int) *provingEnv {
	t.Helper()
	ctx := context.Background()
	f := devnettest.New(t)
	db := enginetest.SQLite(t)
	h, err := hub.New(ctx, hub.Options{DB: db, Tickets: hub.ChainTickets{API: f.API, Lookback: 2}, Lease: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	if err := h.AddMiner(ctx, hub.Miner{Actor: f.Miner, ProofType: proof.StackedDrg2KiBV1_1, Worker: f.Worker}); err != nil {
		t.Fatal(err)
	}
	e := &provingEnv{f: f, db: db, h: h, store: t.TempDir()}
	e.maddr, _ = address.NewIDAddress(f.Miner)
	if err := h.AttachStore(ctx, hub.StoreSpec{Name: "s1", Path: e.store}); err != nil {
		t.Fatal(err)
	}
	pol := devnet.DefaultGenesis().Policy
	e.ms, err = h.NewMessenger(hub.MessageOptions{Chain: f.API, Signer: func(context.Context, hub.Miner) (wallet.Signer, error) { return f.Signer, nil },
		BatchMax: n, BatchWait: time.Hour, SectorLifetime: pol.MaxProveCommitDuration + pol.MinSectorExpiration + 1000,
		PreCommitChallengeDelay: pol.PreCommitChallengeDelay})
	if err != nil {
		t.Fatal(err)
	}
	f.Advance(t, 3)
	eng := engine.Local{}
	work := t.TempDir()
	type sealing struct {
		id           hub.SectorID
		task         stage.SealTask
		ticket       hub.Ticket
		commD, commR [32]byte
	}
	var ss []*sealing
	for range n {
		a, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w1"})
		if err != nil || a == nil {
			t.Fatal(a, err)
		}
		s := &sealing{id: a.ID}
		name := hub.PersistedName(a.ID)
		sec := seal.Sector{Proof: a.ProofType, Miner: a.ID.Miner, Number: a.ID.Number, Staged: filepath.Join(work, name+".staged"),
			Cache: filepath.Join(e.store, "cache", name), Sealed: filepath.Join(e.store, "sealed", name)}
		s.task = stage.SealTask{Sector: sec, ParentCache: filepath.Join(work, "parents")}
		for _, d := range []string{sec.Cache, filepath.Dir(sec.Sealed)} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := eng.AddPieces(ctx, stage.AddPiecesTask{Staged: sec.Staged, SectorSize: piece.PaddedSize(proof.Size2KiB)}); err != nil {
			t.Fatal(err)
		}
		td, err := eng.TreeD(ctx, stage.TreeDTask{Staged: sec.Staged, Tree: filepath.Join(sec.Cache, seal.TreeDFile)})
		if err != nil {
			t.Fatal(err)
		}
		if s.commD, err = piece.DecodeV1(td.CommD); err != nil {
			t.Fatal(err)
		}
		if s.ticket, err = h.AssignTicket(ctx, "w1", a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := eng.PC1(ctx, stage.PC1Task{SealTask: s.task, Ticket: [32]byte(s.ticket.Ticket), CommD: s.commD}); err != nil {
			t.Fatal(err)
		}
		pc2, err := eng.PC2(ctx, s.task)
		if err != nil {
			t.Fatal(err)
		}
		s.commR = pc2.CommR
		if r, err := h.SubmitPreCommit(ctx, "w1", a.ID, hub.PreCommitInfo{CommR: s.commR, CommD: s.commD, Ticket: s.ticket}); err != nil || r.Res != hub.Accepted {
			t.Fatalf("SubmitPreCommit: %+v %v", r, err)
		}
		ss = append(ss, s)
		e.ids = append(e.ids, a.ID)
	}
	stepUntil(t, f, e.ms, func() bool {
		p, _ := h.PollPreCommitState(ctx, ss[n-1].id)
		return p.State == hub.OnChainLanded
	})
	for _, s := range ss {
		c, err := h.ReserveStore(ctx, "w1", s.id, []string{"s1"})
		if err != nil || c.Name != "s1" {
			t.Fatal(c, err)
		}
		if r, err := h.SubmitPersisted(ctx, "w1", s.id, "s1"); err != nil || r.Res != hub.Accepted {
			t.Fatal(r, err)
		}
	}
	for _, s := range ss {
		var seed hub.SeedResp
		stepUntil(t, f, e.ms, func() bool {
			var err error
			if seed, err = e.ms.WaitSeed(ctx, "w1", s.id); err != nil {
				t.Fatal(err)
			}
			return !seed.ShouldWait
		})
		c1, err := eng.C1(ctx, stage.C1Task{SealTask: s.task, Ticket: [32]byte(s.ticket.Ticket), Seed: [32]byte(seed.Seed.Seed), CommD: s.commD})
		if err != nil {
			t.Fatal(err)
		}
		c2, err := eng.C2(ctx, c1)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := h.SubmitProof(ctx, "w1", s.id, c2.Proof); err != nil || r.Res != hub.Accepted {
			t.Fatalf("SubmitProof: %+v %v", r, err)
		}
		if _, err := eng.Finalize(ctx, stage.FinalizeTask{Sector: s.task.Sector, DropStaged: true}); err != nil {
			t.Fatal(err)
		}
	}
	stepUntil(t, f, e.ms, func() bool {
		p, _ := h.PollProofState(ctx, ss[n-1].id)
		return p.State == hub.OnChainLanded
	})
	for _, s := range ss {
		if err := h.ReportFinalized(ctx, "w1", s.id); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// locate returns the deadline of sector n on chain.
func (e *provingEnv) locate(t *testing.T, n uint64) uint64 {
	t.Helper()
	ctx := context.Background()
	dls, err := e.f.API.StateMinerDeadlines(ctx, e.maddr, types.TipSetKey{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range dls {
		parts, err := e.f.API.StateMinerPartitions(ctx, e.maddr, uint64(i), types.TipSetKey{})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range parts {
			if p.AllSectors.IsSet(n) {
				return uint64(i)
			}
		}
	}
	t.Fatalf("sector %d is in no deadline", n)
	return 0
}

// faults returns the miner's faulty and recovering sectors on chain.
func (e *provingEnv) faults(t *testing.T) (faulty, recovering bitfield.BitField) {
	t.Helper()
	ctx := context.Background()
	faulty, err := e.f.API.StateMinerFaults(ctx, e.maddr, types.TipSetKey{})
	if err != nil {
		t.Fatal(err)
	}
	recovering, err = e.f.API.StateMinerRecoveries(ctx, e.maddr, types.TipSetKey{})
	if err != nil {
		t.Fatal(err)
	}
	return faulty, recovering
}

// run advances the chain an epoch at a time, stepping the messenger and,
// when prove is set, the scheduler, until cond holds (checked after each
// epoch) or limit epochs passed.
func (e *provingEnv) run(t *testing.T, pv *hub.Proving, prove bool, limit int, cond func() bool) {
	t.Helper()
	ctx := context.Background()
	for range limit {
		if err := e.ms.Step(ctx); err != nil {
			t.Fatal(err)
		}
		if prove {
			if err := pv.Step(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if cond != nil && cond() {
			return
		}
		e.f.Advance(t, 1)
	}
	if cond != nil {
		t.Fatalf("condition not reached within %d epochs; messages: %s", limit, dumpMessages(e.ms))
	}
}

// untilProven runs until deadline dl is open and its WindowPoSt landed.
func (e *provingEnv) untilProven(t *testing.T, pv *hub.Proving, dl uint64) {
	t.Helper()
	ctx := context.Background()
	e.run(t, pv, true, 3*int(devnet.DefaultGenesis().Policy.ProvingPeriod()), func() bool {
		di, err := e.f.API.StateMinerProvingDeadline(ctx, e.maddr, types.TipSetKey{})
		if err != nil {
			t.Fatal(err)
		}
		dls, err := e.f.API.StateMinerDeadlines(ctx, e.maddr, types.TipSetKey{})
		if err != nil {
			t.Fatal(err)
		}
		return di.Index == dl && di.IsOpen() && !dls[dl].PostSubmissions.IsEmpty()
	})
}

// windowPoSts counts the hub's WindowPoSt messages by state.
func (e *provingEnv) windowPoSts(t *testing.T) map[string]int {
	t.Helper()
	rows, err := e.db.QueryContext(context.Background(), `SELECT state FROM hub_messages WHERE kind = 'windowpost'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out[s]++
	}
	return out
}

// TestProving_OnDevnet proves real sectors in every deadline on the
// devnet, and takes them through the fault cases of issue 8: a deleted
// sealed file is declared faulty before its deadline and recovered once
// restored, corrupted bytes are caught by the check (not by a failed
// PoSt), and a deadline missed while the hub was stopped is recovered
// without the operator.
func TestProving_OnDevnet(t *testing.T) {
	ctx := context.Background()
	e := sealIntoStore(t, 6)
	reg := prometheus.NewRegistry()
	metrics, err := hub.NewProvingMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	pv, err := e.h.NewProving(hub.ProvingOptions{Chain: e.f.API, Messenger: e.ms, Metrics: metrics})
	if err != nil {
		t.Fatal(err)
	}
	pol := devnet.DefaultGenesis().Policy
	period := int(pol.ProvingPeriod())

	// Two whole proving periods: every deadline with sectors is proven,
	// nothing is faulty, and the sectors have power.
	e.run(t, pv, true, 2*period, nil)
	if faulty, _ := e.faults(t); !faulty.IsEmpty() {
		t.Fatalf("faulty sectors after two periods: %v; messages: %s", faulty, dumpMessages(e.ms))
	}
	if got := e.windowPoSts(t); got["landed"] < 2 || len(got) != 1 {
		t.Fatalf("WindowPoSt messages by state: %v, want only landed ones", got)
	}
	pow, err := e.f.API.StateMinerPower(ctx, e.maddr, types.TipSetKey{})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := pow.MinerPower.RawBytePower.Int64(); got != int64(len(e.ids))*int64(proof.Size2KiB) {
		t.Fatalf("raw power %s, want %d sectors' (every sector proven)", pow.MinerPower.RawBytePower, len(e.ids))
	}
	if v := gauge(t, reg, "strata_hub_window_post_sectors_total"); v < float64(len(e.ids)) {
		t.Errorf("strata_hub_window_post_sectors_total = %v, want at least %d", v, len(e.ids))
	}

	// The WinningPoSt a block would need: made from the hub's files and
	// verified.
	w, err := pv.WinningCheck(ctx, e.f.Miner)
	if err != nil || !w.Verified || len(w.Sectors) != 1 || w.Eligible != uint64(len(e.ids)) {
		t.Fatalf("winning check: %+v %v", w, err)
	}

	// A deleted sealed file: declared faulty before the sector's deadline
	// opens (the chain shows it faulty while the deadline is not open).
	lost := e.ids[0]
	files, err := e.h.SectorFiles(ctx, lost)
	if err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(files.Sealed)
	if err != nil {
		t.Fatal(err)
	}
	// Deleted once its deadline's WindowPoSt is in, so that the next check
	// of that deadline, not a skip in its proof, finds it.
	dl := e.locate(t, lost.Number)
	e.untilProven(t, pv, dl)
	if err := os.Remove(files.Sealed); err != nil {
		t.Fatal(err)
	}
	e.run(t, pv, true, period+5, func() bool {
		faulty, _ := e.faults(t)
		return faulty.IsSet(lost.Number)
	})
	di, err := e.f.API.StateMinerProvingDeadline(ctx, e.maddr, types.TipSetKey{})
	if err != nil {
		t.Fatal(err)
	}
	if di.Index == dl && di.IsOpen() {
		t.Fatalf("sector %d became faulty during its deadline %d: it was not declared ahead", lost.Number, dl)
	}
	checks, err := pv.CheckMiner(ctx, e.f.Miner, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range checks {
		if c.OK == (c.Number == lost.Number) {
			t.Errorf("check of sector %d: %+v", c.Number, c)
		}
	}
	// Restored: recovery declared, then proven at its deadline.
	if err := os.WriteFile(files.Sealed, saved, 0o644); err != nil {
		t.Fatal(err)
	}
	e.run(t, pv, true, 2*period, func() bool {
		faulty, recovering := e.faults(t)
		return !faulty.IsSet(lost.Number) && !recovering.IsSet(lost.Number)
	})

	// Corrupted bytes: the check finds them and the sector is declared
	// faulty; no WindowPoSt fails on chain.
	bad := e.ids[1]
	bf, err := e.h.SectorFiles(ctx, bad)
	if err != nil {
		t.Fatal(err)
	}
	e.untilProven(t, pv, e.locate(t, bad.Number))
	good, err := os.ReadFile(bf.Sealed)
	if err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, proof.Size2KiB)
	if _, err := rand.Read(junk); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bf.Sealed, junk, 0o644); err != nil {
		t.Fatal(err)
	}
	e.run(t, pv, true, period+5, func() bool {
		faulty, _ := e.faults(t)
		return faulty.IsSet(bad.Number)
	})
	var declared int
	if err := e.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM hub_proving WHERE kind = 'faults' AND faults LIKE '%'||$1||'%'`,
		bad.Number).Scan(&declared); err != nil {
		t.Fatal(err)
	}
	if declared == 0 {
		t.Errorf("corrupted sector %d became faulty without a declaration from the check", bad.Number)
	}
	if got := e.windowPoSts(t); len(got) != 1 || got["landed"] == 0 {
		t.Fatalf("WindowPoSt messages by state: %v, want only landed ones", got)
	}
	if err := os.WriteFile(bf.Sealed, good, 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := pv.Status(ctx, e.f.Miner)
	if err != nil || len(st) != 1 || st[0].LastPoSt == nil || st[0].LastCheck == nil || st[0].Sectors != uint64(len(e.ids)) {
		t.Fatalf("status: %+v %v", st, err)
	}

	// The hub stopped for a whole deadline with sectors: the chain marks
	// them faulty; the hub back recovers them without the operator.
	missed := e.locate(t, e.ids[2].Number)
	e.run(t, pv, true, period, func() bool {
		di, _ := e.f.API.StateMinerProvingDeadline(ctx, e.maddr, types.TipSetKey{})
		return di.Index == (missed+pol.WPoStPeriodDeadlines-1)%pol.WPoStPeriodDeadlines
	})
	e.run(t, pv, false, 2*int(pol.WPoStChallengeWindow), func() bool {
		faulty, _ := e.faults(t)
		return faulty.IsSet(e.ids[2].Number)
	})
	e.run(t, pv, true, 2*period+5, func() bool {
		faulty, _ := e.faults(t)
		return faulty.IsEmpty()
	})
	if got := e.windowPoSts(t); len(got) != 1 {
		t.Fatalf("WindowPoSt messages by state: %v, want only landed ones", got)
	}
	if !strings.Contains(dumpMessages(e.ms), "[recoveries") {
		t.Errorf("no recovery declared: %s", dumpMessages(e.ms))
	}
	if v := gauge(t, reg, "strata_hub_declared_sectors_total"); v < 4 {
		t.Errorf("strata_hub_declared_sectors_total = %v, want the faults and recoveries of three sectors", v)
	}
}

// gauge sums the values of the metric name in reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			switch {
			case m.GetCounter() != nil:
				sum += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				sum += m.GetGauge().GetValue()
			}
		}
	}
	return sum
}
