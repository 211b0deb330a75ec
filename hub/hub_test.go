package hub_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/commp"
	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/store"
	"github.com/strata-sp/strata/store/enginetest"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func (c *clock) set(t time.Time)     { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// fixedTickets draws a ticket from the miner ID, counting draws.
type fixedTickets struct {
	mu    sync.Mutex
	draws int
}

func (f *fixedTickets) Ticket(_ context.Context, miner uint64) (hub.Ticket, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.draws++
	t := make([]byte, 32)
	t[0], t[1] = byte(miner), byte(f.draws)
	return hub.Ticket{Ticket: t, Epoch: 100 + int64(f.draws)}, nil
}

func newHub(t testing.TB, db *store.DB, c *clock, tk hub.TicketSource) *hub.Hub {
	t.Helper()
	h, err := hub.New(context.Background(), hub.Options{DB: db, Tickets: tk, Lease: time.Minute, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func addMiner(t testing.TB, h *hub.Hub, actor, lo, hi uint64) {
	t.Helper()
	w, _ := address.NewFromString("f1abjxfbp274xpdqcpuaykwkfb43omjotacm2p3za")
	if err := h.AddMiner(context.Background(), hub.Miner{Actor: actor, ProofType: proof.StackedDrg2KiBV1_1, Worker: w, MinNumber: lo, MaxNumber: hi}); err != nil {
		t.Fatal(err)
	}
}

// ccCommD is the CommD of a committed-capacity 2 KiB sector.
func ccCommD(t testing.TB) [32]byte {
	t.Helper()
	d, err := commp.ZeroCommitment(2048)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestAllocate_RoundRobinAndFilters(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Unix(1_700_000_000, 0)}
		h := newHub(t, db, c, nil)
		addMiner(t, h, 1000, 0, 99)
		addMiner(t, h, 1001, 10, 11)
		if err := h.AddMiner(ctx, hub.Miner{Actor: 1000, ProofType: proof.StackedDrg2KiBV1_1}); !errors.Is(err, rpc.ErrConflict) {
			t.Errorf("adding a miner twice: %v", err)
		}
		var got []hub.SectorID
		for range 5 {
			c.add(time.Second)
			s, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w1"})
			if err != nil || s == nil {
				t.Fatalf("allocate: %v, %v", s, err)
			}
			got = append(got, s.ID)
		}
		// Round robin until f01001's two numbers are used up.
		want := []hub.SectorID{{1000, 0}, {1001, 10}, {1000, 1}, {1001, 11}, {1000, 2}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("allocations %v, want %v", got, want)
		}
		// A worker allowed only f01001 gets nothing now.
		if s, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w2", AllowedMiners: []uint64{1001}}); err != nil || s != nil {
			t.Errorf("exhausted miner: %v, %v", s, err)
		}
		// A worker allowed only another proof type gets nothing.
		if s, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w2", AllowedProofTypes: []proof.SealProof{proof.StackedDrg32GiBV1_1}}); err != nil || s != nil {
			t.Errorf("other proof type: %v, %v", s, err)
		}
		// A worker allowed only miner A is never given a sector of B.
		for range 10 {
			c.add(time.Second)
			s, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w3", AllowedMiners: []uint64{1000}})
			if err != nil || s == nil || s.ID.Miner != 1000 {
				t.Fatalf("allowed only f01000: %v, %v", s, err)
			}
		}
		ms, err := h.Miners(ctx)
		if err != nil || len(ms) != 2 || ms[0].NextNumber != 13 || ms[1].NextNumber != 12 {
			t.Errorf("miners %+v, %v", ms, err)
		}
	})
}

func TestAllocate_ConcurrentWorkersGetDistinctNumbers(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Unix(1_700_000_000, 0)}
		h := newHub(t, db, c, nil)
		addMiner(t, h, 1000, 0, 0)
		addMiner(t, h, 1001, 0, 0)
		var mu sync.Mutex
		seen := map[hub.SectorID]string{}
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 10 {
					s, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: fmt.Sprintf("w%d", w)})
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					if prev, dup := seen[s.ID]; dup {
						t.Errorf("%s allocated to %s and w%d", s.ID, prev, w)
					}
					seen[s.ID] = fmt.Sprintf("w%d", w)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(seen) != 80 {
			t.Errorf("%d distinct sectors, want 80", len(seen))
		}
	})
}

func TestSector_LifecycleIdempotentSubmits(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Unix(1_700_000_000, 0)}
		tk := &fixedTickets{}
		h := newHub(t, db, c, tk)
		addMiner(t, h, 1000, 0, 0)
		s, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w1"})
		if err != nil {
			t.Fatal(err)
		}
		id := s.ID
		t1, err := h.AssignTicket(ctx, "w1", id)
		if err != nil {
			t.Fatal(err)
		}
		t2, err := h.AssignTicket(ctx, "w1", id)
		if err != nil || string(t2.Ticket) != string(t1.Ticket) || t2.Epoch != t1.Epoch || tk.draws != 1 {
			t.Errorf("second AssignTicket = %+v (%v), draws %d; want the first ticket", t2, err, tk.draws)
		}
		if _, err := h.AssignTicket(ctx, "w2", id); !errors.Is(err, rpc.ErrConflict) {
			t.Errorf("AssignTicket by another worker: %v", err)
		}
		if r, err := h.SubmitPreCommit(ctx, "w1", id, hub.PreCommitInfo{CommR: [32]byte{1}, CommD: [32]byte{2}, Ticket: t1}); err != nil || r.Res != hub.Rejected {
			t.Errorf("a CommD that is not a CC sector's: %+v, %v", r, err)
		}
		info := hub.PreCommitInfo{CommR: [32]byte{1}, CommD: ccCommD(t), Ticket: t1}
		if p, _ := h.PollPreCommitState(ctx, id); p.State != hub.OnChainNotFound {
			t.Errorf("poll before submit: %+v", p)
		}
		for range 2 {
			if r, err := h.SubmitPreCommit(ctx, "w1", id, info); err != nil || r.Res != hub.Accepted {
				t.Fatalf("SubmitPreCommit = %+v, %v", r, err)
			}
		}
		other := info
		other.CommR[5] = 9
		if r, err := h.SubmitPreCommit(ctx, "w1", id, other); err != nil || r.Res != hub.MismatchedSubmission {
			t.Errorf("different CommR: %+v, %v", r, err)
		}
		wrongTicket := info
		wrongTicket.Ticket.Epoch++
		if r, _ := h.SubmitPreCommit(ctx, "w1", id, wrongTicket); r.Res != hub.Rejected {
			t.Errorf("wrong ticket: %+v", r)
		}
		if p, _ := h.PollPreCommitState(ctx, id); p.State != hub.OnChainPending {
			t.Errorf("poll after submit: %+v", p)
		}
		// Persist only after the pre-commit lands (the message tracker
		// records that; here the test does).
		if r, _ := h.SubmitPersisted(ctx, "w1", id, "store-a"); r.Res != hub.Rejected {
			t.Errorf("persist before landing: %+v", r)
		}
		if _, err := db.ExecContext(ctx, `UPDATE hub_sectors SET state = 'precommit_landed', precommit_state = 'Landed'`); err != nil {
			t.Fatal(err)
		}
		if p, _ := h.PollPreCommitState(ctx, id); p.State != hub.OnChainLanded {
			t.Errorf("poll after landing: %+v", p)
		}
		// Without a reservation, the store must be one the hub knows: it
		// could not find the files to prove the sector otherwise.
		if r, err := h.SubmitPersisted(ctx, "w1", id, "store-a"); err != nil || r.Res != hub.Rejected || !strings.Contains(r.Desc, "not attached") {
			t.Errorf("persisted to a store the hub does not know: %+v, %v", r, err)
		}
		attachUnreached(t, h, "store-a")
		attachUnreached(t, h, "store-b")
		for range 2 {
			if r, err := h.SubmitPersisted(ctx, "w1", id, "store-a"); err != nil || r.Res != hub.Accepted {
				t.Fatalf("SubmitPersisted = %+v, %v", r, err)
			}
		}
		if r, _ := h.SubmitPersisted(ctx, "w1", id, "store-b"); r.Res != hub.MismatchedSubmission {
			t.Errorf("persist elsewhere: %+v", r)
		}
		if err := h.ReportFinalized(ctx, "w1", id); !errors.Is(err, rpc.ErrConflict) {
			t.Errorf("finalize before proof: %v", err)
		}
		info2, err := h.Sector(ctx, id)
		if err != nil || info2.State != hub.StatePersisted || info2.PersistedTo != "store-a" || len(info2.CommR) != 32 {
			t.Errorf("sector %+v, %v", info2, err)
		}
	})
}

// A call renews a lease once a tenth of it has passed, so that most calls
// leave lease_until (an indexed column) as it was; a lease still lapses
// no sooner than 0.9 times its length after the last call.
func TestLease_RenewedOnceATenthHasPassed(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		t0 := time.Unix(1_700_000_000, 0)
		c := &clock{t: t0}
		h := newHub(t, db, c, &fixedTickets{}) // a lease of 1 minute
		addMiner(t, h, 1000, 5, 5)             // one sector only
		s, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w1"})
		if err != nil || s == nil {
			t.Fatal(s, err)
		}
		lease := func(want time.Duration, when string) {
			t.Helper()
			info, err := h.Sector(ctx, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := info.LeaseUntil.Sub(t0); got != want {
				t.Errorf("%s: the lease ends %v after the allocation, want %v", when, got, want)
			}
		}
		report := func() {
			t.Helper()
			if _, err := h.ReportState(ctx, s.ID, hub.StateReport{Worker: "w1", Change: hub.StateChange{Next: "PC1Done"}}); err != nil {
				t.Fatal(err)
			}
		}
		ping := func() {
			t.Helper()
			if err := h.Ping(ctx, hub.WorkerInfo{Name: "w1", Threads: 1}); err != nil {
				t.Fatal(err)
			}
		}
		ticket := func() {
			t.Helper()
			if _, err := h.AssignTicket(ctx, "w1", s.ID); err != nil {
				t.Fatal(err)
			}
		}
		lease(time.Minute, "allocated")
		// Within the first tenth (6 s): no call moves it.
		c.add(5 * time.Second)
		report()
		ping()
		ticket()
		lease(time.Minute, "calls 5 s after the allocation")
		// Past it, each kind of call renews it to a full minute.
		c.add(2 * time.Second)
		report()
		lease(67*time.Second, "a report at 7 s")
		c.add(7 * time.Second)
		ping()
		lease(74*time.Second, "a ping at 14 s")
		c.add(7 * time.Second)
		ticket()
		lease(81*time.Second, "a ticket at 21 s")
		// Not taken over before it ends, taken over after.
		c.set(t0.Add(81*time.Second - time.Nanosecond))
		if n, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w2"}); err != nil || n != nil {
			t.Fatalf("allocation before the lease ended = %+v, %v", n, err)
		}
		c.set(t0.Add(81*time.Second + time.Nanosecond))
		if n, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w2"}); err != nil || n == nil || !n.Takeover || n.ID != s.ID {
			t.Fatalf("allocation after the lease ended = %+v, %v", n, err)
		}
	})
}

func TestLease_LapsedSectorIsTakenOver(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Unix(1_700_000_000, 0)}
		h := newHub(t, db, c, &fixedTickets{})
		addMiner(t, h, 1000, 0, 1)
		s, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w1"})
		if err != nil {
			t.Fatal(err)
		}
		if s2, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w1"}); err != nil || s2 == nil {
			t.Fatal(s2, err)
		}
		if _, err := h.ReportState(ctx, s.ID, hub.StateReport{Worker: "w1", Location: "/mnt/w1/t0", Change: hub.StateChange{Prev: "Allocated", Next: "PC1Done", Event: "PC1"}}); err != nil {
			t.Fatal(err)
		}
		// Pings keep it: past the lease duration in small steps.
		for range 3 {
			c.add(40 * time.Second)
			if err := h.Ping(ctx, hub.WorkerInfo{Name: "w1", Threads: 2}); err != nil {
				t.Fatal(err)
			}
			if n, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w2", AllowedMiners: []uint64{1000}}); err != nil || n != nil {
				t.Fatalf("taken over while pinged: %+v, %v", n, err)
			}
		}
		// w1 goes silent past its lease: w2 (which can read w1's directory)
		// takes the first sector over.
		c.add(2 * time.Minute)
		n, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w2", Locations: []string{"/mnt/w1/t0"}})
		if err != nil || n == nil || !n.Takeover || n.ID != s.ID || !n.Resumable || n.Location != "/mnt/w1/t0" {
			t.Fatalf("takeover = %+v, %v", n, err)
		}
		// The old worker is told to abort and cannot submit.
		r, err := h.ReportState(ctx, s.ID, hub.StateReport{Worker: "w1", Change: hub.StateChange{Next: "PC2Done"}})
		if err != nil || r.AbortReason == "" {
			t.Errorf("old worker's report: %+v, %v", r, err)
		}
		if _, err := h.AssignTicket(ctx, "w1", s.ID); !errors.Is(err, rpc.ErrConflict) {
			t.Errorf("old worker's AssignTicket: %v", err)
		}
		// The second sector of w1 lapsed as well; w3 without its directory
		// gets it to re-seal.
		m, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w3"})
		if err != nil || m == nil || !m.Takeover || m.Resumable {
			t.Fatalf("second takeover = %+v, %v", m, err)
		}
		info, _ := h.Sector(ctx, s.ID)
		if info.Worker != "w2" || info.Takeovers != 1 {
			t.Errorf("sector after takeover: %+v", info)
		}
	})
}
