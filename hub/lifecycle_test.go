package hub_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/strata-sp/strata/chain/devnet"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/store"
	"github.com/strata-sp/strata/store/enginetest"
)

// lifeMessages returns the hub's messages of kind (terminate, extend)
// for exactly sector n, oldest first.
func lifeMessages(t *testing.T, e *provingEnv, kind string, n uint64) []hub.MessageInfo {
	t.Helper()
	ms, err := e.h.Messages(context.Background(), hub.MessageFilter{Miner: e.f.Miner})
	if err != nil {
		t.Fatal(err)
	}
	var out []hub.MessageInfo
	for _, m := range ms {
		if m.Kind == kind && m.Subject == fmt.Sprintf("sectors %d", n) {
			out = append(out, m)
		}
	}
	slices.Reverse(out)
	return out
}

func sectorInfo(t *testing.T, e *provingEnv, id hub.SectorID) hub.SectorInfo {
	t.Helper()
	s, err := e.h.Sector(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func onChain(t *testing.T, e *provingEnv, n uint64) *types.SectorOnChainInfo {
	t.Helper()
	si, err := e.f.API.StateSectorGetInfo(context.Background(), e.maddr, n, types.TipSetKey{})
	if err != nil {
		t.Fatal(err)
	}
	return si
}

func provingDeadline(t *testing.T, e *provingEnv) *types.DeadlineInfo {
	t.Helper()
	di, err := e.f.API.StateMinerProvingDeadline(context.Background(), e.maddr, types.TipSetKey{})
	if err != nil {
		t.Fatal(err)
	}
	return di
}

// filesExist reports whether the sector's sealed file and cache are in
// the env's store.
func filesExist(t *testing.T, e *provingEnv, id hub.SectorID) (sealed, cache bool) {
	t.Helper()
	_, serr := os.Stat(filepath.Join(e.store, "sealed", hub.PersistedName(id)))
	_, cerr := os.Stat(filepath.Join(e.store, "cache", hub.PersistedName(id)))
	return serr == nil, cerr == nil
}

// TestLifecycle_OnDevnet takes real sectors sealed into a store through
// their life after sealing on the devnet: a termination asked while the
// sector's deadline cannot be changed waits until it can, lands, and the
// sector leaves the chain; its files are kept until then and deleted by
// RemoveSector after; an extension reaches the chain; one the chain
// refuses is sent three times, then waits for the operator.
func TestLifecycle_OnDevnet(t *testing.T) {
	ctx := context.Background()
	e := sealIntoStore(t, 3)
	pv, err := e.h.NewProving(hub.ProvingOptions{Chain: e.f.API, Messenger: e.ms})
	if err != nil {
		t.Fatal(err)
	}
	pol := devnet.DefaultGenesis().Policy
	period := int(pol.ProvingPeriod())
	miner := e.f.Miner
	term, ext, keep := e.ids[0], e.ids[1], e.ids[2]

	// Requests the hub refuses.
	a, err := e.h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w1"})
	if err != nil || a == nil {
		t.Fatal(a, err)
	}
	for _, c := range []struct {
		name string
		err  error
		want error
	}{
		{"terminate nothing", e.h.TerminateSectors(ctx, miner, nil), rpc.ErrInvalid},
		{"terminate an unknown sector", e.h.TerminateSectors(ctx, miner, []uint64{term.Number, 999}), rpc.ErrNotFound},
		{"terminate a sector not proven", e.h.TerminateSectors(ctx, miner, []uint64{term.Number, a.ID.Number}), rpc.ErrConflict},
		{"terminate too many", e.h.TerminateSectors(ctx, miner, make([]uint64, 10_001)), rpc.ErrInvalid},
		{"extend to epoch 0", e.h.ExtendSectors(ctx, miner, []uint64{ext.Number}, 0), rpc.ErrInvalid},
		{"extend a sector not proven", e.h.ExtendSectors(ctx, miner, []uint64{a.ID.Number}, 1<<20), rpc.ErrConflict},
		{"remove a live sector", e.h.RemoveSector(ctx, term), rpc.ErrConflict},
		{"remove a sector being sealed", e.h.RemoveSector(ctx, a.ID), rpc.ErrConflict},
		{"remove an unknown sector", e.h.RemoveSector(ctx, hub.SectorID{Miner: miner, Number: 999}), rpc.ErrNotFound},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.err, c.want)
		}
	}
	if s := sectorInfo(t, e, term); s.Life != hub.LifeLive {
		t.Fatalf("a refused request changed sector %s: life %q", term, s.Life)
	}
	// An aborted sector, never persisted, is removed at once.
	if err := e.h.AbortSector(ctx, a.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.h.RemoveSector(ctx, a.ID); err != nil {
		t.Fatalf("remove an aborted sector: %v", err)
	}
	if s := sectorInfo(t, e, a.ID); s.Life != hub.LifeRemoved {
		t.Errorf("aborted sector after its removal: life %q", s.Life)
	}

	// Terminate, asked while the sector's deadline is the next one: it
	// waits until the deadline may be changed.
	dl := e.locate(t, term.Number)
	n := pol.WPoStPeriodDeadlines
	e.run(t, pv, true, period, func() bool {
		di := provingDeadline(t, e)
		return (di.Index+1)%n == dl
	})
	if err := e.h.TerminateSectors(ctx, miner, []uint64{term.Number}); err != nil {
		t.Fatal(err)
	}
	if err := e.h.TerminateSectors(ctx, miner, []uint64{term.Number}); err != nil {
		t.Fatalf("asking again: %v", err)
	}
	if err := e.h.ExtendSectors(ctx, miner, []uint64{term.Number}, 1<<20); !errors.Is(err, rpc.ErrConflict) {
		t.Errorf("extend a sector to terminate: %v, want a conflict", err)
	}
	asked := provingDeadline(t, e).CurrentEpoch
	var sentAt *types.DeadlineInfo
	e.run(t, pv, true, 2*period, func() bool {
		if sectorInfo(t, e, term).Life == hub.LifeTerminate {
			return false
		}
		sentAt = provingDeadline(t, e)
		return true
	})
	if got := sectorInfo(t, e, term).Life; got != hub.LifeTerminating {
		t.Fatalf("sector %s after the send: life %q", term, got)
	}
	// Sent where the message executes (from the next epoch on) while the
	// deadline may be changed: not while it is the next one, and while it
	// is open only in its last epoch.
	if (sentAt.Index+1)%n == dl || (sentAt.Index == dl && sentAt.CurrentEpoch != sentAt.Close-1) {
		t.Fatalf("terminate of sector %s (deadline %d) sent at epoch %d, deadline %+v: its deadline was not mutable", term, dl, sentAt.CurrentEpoch, sentAt)
	}
	if sentAt.CurrentEpoch-asked < pol.WPoStChallengeWindow {
		t.Errorf("terminate asked at epoch %d, sent at %d: it did not wait for the deadline", asked, sentAt.CurrentEpoch)
	}
	// Before it lands, the files stay.
	if err := e.h.RemoveSector(ctx, term); !errors.Is(err, rpc.ErrConflict) || !strings.Contains(err.Error(), "terminat") {
		t.Errorf("remove before the termination landed: %v, want a conflict saying to terminate first", err)
	}
	if s, c := filesExist(t, e, term); !s || !c {
		t.Fatalf("sector %s's files after a refused removal: sealed %v, cache %v", term, s, c)
	}
	e.run(t, pv, true, 20, func() bool { return sectorInfo(t, e, term).Life == hub.LifeTerminated })
	if si := onChain(t, e, term.Number); si != nil {
		t.Fatalf("sector %s on chain after its termination landed: %+v", term, si)
	}
	parts, err := e.f.API.StateMinerPartitions(ctx, e.maddr, dl, types.TipSetKey{})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range parts {
		if p.LiveSectors.IsSet(term.Number) {
			t.Errorf("sector %s live in partition %d of deadline %d after its termination", term, i, dl)
		}
	}
	if ms := lifeMessages(t, e, "terminate", term.Number); len(ms) != 1 || ms[0].State != "landed" {
		t.Fatalf("terminate messages of sector %s: %+v, want one landed", term, ms)
	}
	if err := e.h.TerminateSectors(ctx, miner, []uint64{term.Number}); !errors.Is(err, rpc.ErrConflict) {
		t.Errorf("terminate a terminated sector: %v, want a conflict", err)
	}
	// Now removal deletes the files, and again does nothing.
	for range 2 {
		if err := e.h.RemoveSector(ctx, term); err != nil {
			t.Fatalf("remove a terminated sector: %v", err)
		}
	}
	if s, c := filesExist(t, e, term); s || c {
		t.Fatalf("sector %s's files after its removal: sealed %v, cache %v", term, s, c)
	}
	if got := sectorInfo(t, e, term).Life; got != hub.LifeRemoved {
		t.Fatalf("sector %s after its removal: life %q", term, got)
	}
	// The others are still proven: nothing is faulty.
	e.run(t, pv, true, period, nil)
	if faulty, _ := e.faults(t); !faulty.IsEmpty() {
		t.Fatalf("faulty sectors after the termination: %v", faulty)
	}

	// Extend: the new expiration reaches the chain.
	before := onChain(t, e, ext.Number).Expiration
	want := before + 100
	if err := e.h.ExtendSectors(ctx, miner, []uint64{ext.Number}, want); err != nil {
		t.Fatal(err)
	}
	if got := sectorInfo(t, e, ext).ExtendTo; got != want {
		t.Fatalf("sector %s: ExtendTo %d, want %d", ext, got, want)
	}
	e.run(t, pv, true, 2*period, func() bool { return sectorInfo(t, e, ext).ExtendTo == 0 })
	if got := onChain(t, e, ext.Number).Expiration; got != want {
		t.Fatalf("sector %s expires at %d on chain, want %d (was %d)", ext, got, want, before)
	}
	if s := sectorInfo(t, e, ext); s.Life != hub.LifeLive || s.Failure != "" {
		t.Errorf("extended sector %s: life %q, failure %q", ext, s.Life, s.Failure)
	}

	// An extension the chain refuses (beyond the longest extension from
	// now) is sent three times, then waits for the operator.
	before = onChain(t, e, keep.Number).Expiration
	tooFar := provingDeadline(t, e).CurrentEpoch + pol.MaxSectorExpirationExtension + 1000
	if err := e.h.ExtendSectors(ctx, miner, []uint64{keep.Number}, tooFar); err != nil {
		t.Fatal(err)
	}
	e.run(t, pv, true, 3*period, func() bool { return strings.HasPrefix(sectorInfo(t, e, keep).Failure, "extend: attempt 3 of 3 failed") })
	e.run(t, pv, true, period, nil)
	ms := lifeMessages(t, e, "extend", keep.Number)
	if len(ms) != 3 {
		t.Fatalf("%d extend messages of sector %s, want 3: %+v", len(ms), keep, ms)
	}
	for _, m := range ms {
		if m.State != "failed" || m.ExitCode == 0 {
			t.Errorf("refused extension: %+v", m)
		}
	}
	if s := sectorInfo(t, e, keep); s.ExtendTo != tooFar {
		t.Errorf("sector %s after the attempts: ExtendTo %d, want %d kept for the operator", keep, s.ExtendTo, tooFar)
	}
	// Asking again, for an expiration the chain takes, starts over.
	want = before + 50
	if err := e.h.ExtendSectors(ctx, miner, []uint64{keep.Number}, want); err != nil {
		t.Fatal(err)
	}
	if s := sectorInfo(t, e, keep); s.Failure != "" {
		t.Errorf("asking again kept the failure %q", s.Failure)
	}
	e.run(t, pv, true, 2*period, func() bool { return sectorInfo(t, e, keep).ExtendTo == 0 })
	if got := onChain(t, e, keep.Number).Expiration; got != want {
		t.Fatalf("sector %s expires at %d on chain, want %d", keep, got, want)
	}
	if s, c := filesExist(t, e, keep); !s || !c {
		t.Errorf("sector %s's files are gone, and it was never terminated", keep)
	}
}

// TestHub_TerminateExtendRemove checks the operator's requests and the
// removal on every store engine, the chain's side stood in for by
// writing the sectors' rows (see TestLifecycle_OnDevnet for the chain).
func TestHub_TerminateExtendRemove(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Unix(1_700_000_000, 0)}
		h := newHub(t, db, c, &fixedTickets{})
		addMiner(t, h, 1000, 0, 0)
		dir := t.TempDir()
		if err := h.AttachStore(ctx, hub.StoreSpec{Name: "s1", Path: dir}); err != nil {
			t.Fatal(err)
		}
		var ids []hub.SectorID
		for range 3 {
			a, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w1"})
			if err != nil || a == nil {
				t.Fatal(a, err)
			}
			ids = append(ids, a.ID)
		}
		proven := func(id hub.SectorID) {
			t.Helper()
			if _, err := db.ExecContext(ctx, `UPDATE hub_sectors SET state = 'finalized', persist_store = 's1' WHERE miner = $1 AND number = $2`,
				int64(id.Miner), int64(id.Number)); err != nil {
				t.Fatal(err)
			}
			for _, d := range []string{filepath.Join(dir, "cache", hub.PersistedName(id)), filepath.Join(dir, "sealed")} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, "sealed", hub.PersistedName(id)), make([]byte, 2048), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		proven(ids[0])
		proven(ids[1])
		numbers := func(ids ...hub.SectorID) []uint64 {
			var ns []uint64
			for _, id := range ids {
				ns = append(ns, id.Number)
			}
			return ns
		}
		life := func(id hub.SectorID) hub.SectorInfo {
			t.Helper()
			s, err := h.Sector(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}

		// All or nothing: ids[2] is not proven.
		if err := h.TerminateSectors(ctx, 1000, numbers(ids...)); !errors.Is(err, rpc.ErrConflict) || !strings.Contains(err.Error(), ids[2].String()) {
			t.Fatalf("terminate with a sector not proven: %v", err)
		}
		if s := life(ids[0]); s.Life != hub.LifeLive {
			t.Fatalf("a refused request changed %s: %q", ids[0], s.Life)
		}
		// A failure of earlier attempts is cleared by asking again.
		if _, err := db.ExecContext(ctx, `UPDATE hub_sectors SET failure = 'terminate: attempt 3 of 3 failed: x' WHERE number = $1`, int64(ids[0].Number)); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := h.TerminateSectors(ctx, 1000, []uint64{ids[0].Number, ids[0].Number}); err != nil {
				t.Fatal(err)
			}
		}
		if s := life(ids[0]); s.Life != hub.LifeTerminate || s.Failure != "" {
			t.Fatalf("after terminate: life %q, failure %q", s.Life, s.Failure)
		}
		if err := h.ExtendSectors(ctx, 1000, numbers(ids[0]), 5000); !errors.Is(err, rpc.ErrConflict) {
			t.Errorf("extend a sector to terminate: %v", err)
		}
		if err := h.ExtendSectors(ctx, 1000, numbers(ids[1]), 5000); err != nil {
			t.Fatal(err)
		}
		if ss, err := h.Sectors(ctx, hub.SectorFilter{Miner: 1000}); err != nil || len(ss) != 3 || ss[0].Life != hub.LifeTerminate || ss[1].ExtendTo != 5000 {
			t.Fatalf("sectors: %+v %v", ss, err)
		}
		// The same expiration again keeps the message sent for it; another
		// forgets it.
		if _, err := db.ExecContext(ctx, `UPDATE hub_sectors SET extend_msg = 'm1' WHERE number = $1`, int64(ids[1].Number)); err != nil {
			t.Fatal(err)
		}
		msg := func() string {
			var m string
			if err := db.QueryRowContext(ctx, `SELECT extend_msg FROM hub_sectors WHERE number = $1`, int64(ids[1].Number)).Scan(&m); err != nil {
				t.Fatal(err)
			}
			return m
		}
		if err := h.ExtendSectors(ctx, 1000, numbers(ids[1]), 5000); err != nil || msg() != "m1" {
			t.Fatalf("extend again: %v, message %q", err, msg())
		}
		if err := h.ExtendSectors(ctx, 1000, numbers(ids[1]), 6000); err != nil || msg() != "" || life(ids[1]).ExtendTo != 6000 {
			t.Fatalf("extend elsewhere: %v, message %q", err, msg())
		}

		// Removal waits for the termination to land.
		if err := h.RemoveSector(ctx, ids[0]); !errors.Is(err, rpc.ErrConflict) || !strings.Contains(err.Error(), "terminate") {
			t.Fatalf("remove before the termination landed: %v", err)
		}
		sealed := filepath.Join(dir, "sealed", hub.PersistedName(ids[0]))
		if _, err := os.Stat(sealed); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `UPDATE hub_sectors SET life = 'terminated' WHERE number = $1`, int64(ids[0].Number)); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := h.RemoveSector(ctx, ids[0]); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := os.Stat(sealed); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("sealed file after the removal: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "cache", hub.PersistedName(ids[0]))); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("cache after the removal: %v", err)
		}
		if s := life(ids[0]); s.Life != hub.LifeRemoved {
			t.Errorf("after the removal: %q", s.Life)
		}
		if err := h.TerminateSectors(ctx, 1000, numbers(ids[0])); !errors.Is(err, rpc.ErrConflict) {
			t.Errorf("terminate a removed sector: %v", err)
		}
		// A terminated sector whose files are already gone is removed.
		if _, err := db.ExecContext(ctx, `UPDATE hub_sectors SET life = 'terminated' WHERE number = $1`, int64(ids[1].Number)); err != nil {
			t.Fatal(err)
		}
		if err := os.RemoveAll(dir + "/sealed"); err != nil {
			t.Fatal(err)
		}
		if err := h.RemoveSector(ctx, ids[1]); err != nil {
			t.Fatal(err)
		}
		// An aborted sector persisted before its abort loses its files.
		proven(ids[2])
		if _, err := db.ExecContext(ctx, `UPDATE hub_sectors SET state = 'aborted' WHERE number = $1`, int64(ids[2].Number)); err != nil {
			t.Fatal(err)
		}
		if err := h.RemoveSector(ctx, ids[2]); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "sealed", hub.PersistedName(ids[2]))); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("aborted sector's sealed file after the removal: %v", err)
		}
	})
}
