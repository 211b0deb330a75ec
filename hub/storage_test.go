package hub_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/store"
	"github.com/strata-sp/strata/store/enginetest"
)

func TestSectorSpace(t *testing.T) {
	for _, tc := range []struct {
		size proof.SectorSize
		want uint64
	}{
		// size + ⌈size/32 × 8/7⌉ × 32 + 64 KiB
		{proof.Size2KiB, 2048 + 74*32 + 65536},
		{proof.Size8MiB, 18041152},
		{proof.Size512MiB, 1150503232},
		{proof.Size32GiB, 73628076352},
		{proof.Size64GiB, 147256087136},
	} {
		if got := hub.SectorSpace(tc.size); got != tc.want {
			t.Errorf("SectorSpace(%d) = %d, want %d", tc.size, got, tc.want)
		}
		// At least the sealed file and a full tree_r_last (8/7 of it).
		if got := hub.SectorSpace(tc.size); got < uint64(tc.size)*15/7 {
			t.Errorf("SectorSpace(%d) = %d is less than the sealed file and its tree", tc.size, got)
		}
	}
}

// need is what a 2 KiB sector counts in a store.
var need = hub.SectorSpace(proof.Size2KiB)

// landedSector allocates a sector to worker and takes it to
// precommit_landed.
func landedSector(t *testing.T, h *hub.Hub, db *store.DB, c *clock, worker string, miner uint64) hub.SectorID {
	t.Helper()
	ctx := context.Background()
	c.add(time.Millisecond)
	s, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: worker, AllowedMiners: []uint64{miner}})
	if err != nil || s == nil {
		t.Fatalf("allocate: %+v, %v", s, err)
	}
	tk, err := h.AssignTicket(ctx, worker, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := h.SubmitPreCommit(ctx, worker, s.ID, hub.PreCommitInfo{CommR: [32]byte{1}, CommD: ccCommD(t), Ticket: tk}); err != nil || r.Res != hub.Accepted {
		t.Fatalf("pre-commit: %+v, %v", r, err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE hub_sectors SET state = 'precommit_landed', precommit_state = 'Landed' WHERE miner = $1 AND number = $2`,
		int64(s.ID.Miner), int64(s.ID.Number)); err != nil {
		t.Fatal(err)
	}
	return s.ID
}

// attachUnreached attaches a store at a path this process does not reach,
// so that SubmitPersisted takes the worker's word for its files.
func attachUnreached(t *testing.T, h *hub.Hub, name string) {
	t.Helper()
	attach(t, h, hub.StoreSpec{Name: name, Path: "/nonexistent/strata-test/" + name, Capacity: 1 << 40})
}

func attach(t *testing.T, h *hub.Hub, spec hub.StoreSpec) {
	t.Helper()
	if spec.Path == "" {
		spec.Path = t.TempDir()
	}
	if err := h.AttachStore(context.Background(), spec); err != nil {
		t.Fatalf("attach %s: %v", spec.Name, err)
	}
}

func reserve(t *testing.T, h *hub.Hub, worker string, id hub.SectorID, cands ...string) string {
	t.Helper()
	c, err := h.ReserveStore(context.Background(), worker, id, cands)
	if err != nil {
		t.Fatalf("reserve %s among %v: %v", id, cands, err)
	}
	return c.Name
}

// storeInfo returns the store named name from Stores.
func storeInfo(t *testing.T, h *hub.Hub, name string) hub.StoreInfo {
	t.Helper()
	ss, err := h.Stores(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("store %s not listed: %+v", name, ss)
	return hub.StoreInfo{}
}

func TestHub_ReserveStore(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Unix(1_700_000_000, 0)}
		h := newHub(t, db, c, &fixedTickets{})
		addMiner(t, h, 1000, 0, 99)
		// The read-only store would win on weight and space.
		attach(t, h, hub.StoreSpec{Name: "ro", Weight: 1000, Capacity: 1000 * need, ReadOnly: true})
		attach(t, h, hub.StoreSpec{Name: "a", Weight: 10, Capacity: 10 * need})
		attach(t, h, hub.StoreSpec{Name: "b", Weight: 20, Capacity: 10 * need})

		s1 := landedSector(t, h, db, c, "w1", 1000)
		if got := reserve(t, h, "w1", s1, "ro", "a", "b"); got != "b" {
			t.Errorf("chose %s, want b (the higher weight; never the read-only store)", got)
		}
		// Idempotent, while b is among the candidates; in any order.
		if got := reserve(t, h, "w1", s1, "b", "a"); got != "b" {
			t.Errorf("reserved again: %s, want b", got)
		}
		if si := storeInfo(t, h, "b"); si.Sectors != 1 || si.Reserved != need || si.Available != 9*need {
			t.Errorf("b after one reservation: %+v", si)
		}
		// Only the candidates are chosen from.
		s2 := landedSector(t, h, db, c, "w1", 1000)
		if got := reserve(t, h, "w1", s2, "a"); got != "a" {
			t.Errorf("chose %s among [a]", got)
		}
		// None can take it: each candidate says why.
		s3 := landedSector(t, h, db, c, "w1", 1000)
		_, err := h.ReserveStore(ctx, "w1", s3, []string{"ro", "nope"})
		if !errors.Is(err, rpc.ErrTransient) || !strings.Contains(err.Error(), "ro: read-only") || !strings.Contains(err.Error(), "nope: unknown to the hub") {
			t.Errorf("only a read-only and an unknown store: %v", err)
		}
		// Read-only is never chosen, however many times.
		for range 3 {
			if got := reserve(t, h, "w1", s3, "ro", "a"); got != "a" {
				t.Errorf("chose %s among [ro a]", got)
			}
		}
		if si := storeInfo(t, h, "ro"); si.Sectors != 0 {
			t.Errorf("read-only store holds %d sectors", si.Sectors)
		}
		// A sector that is not the worker's, or whose pre-commit has not
		// landed, gets no store.
		if _, err := h.ReserveStore(ctx, "w2", s1, []string{"a"}); !errors.Is(err, rpc.ErrConflict) {
			t.Errorf("another worker's sector: %v", err)
		}
		c.add(time.Millisecond)
		s4, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w1"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.ReserveStore(ctx, "w1", s4.ID, []string{"a"}); !errors.Is(err, rpc.ErrTransient) || !strings.Contains(err.Error(), "pre-commit lands") {
			t.Errorf("before the pre-commit lands: %v", err)
		}
		if _, err := h.ReserveStore(ctx, "w1", s1, nil); !errors.Is(err, rpc.ErrInvalid) {
			t.Errorf("no candidates: %v", err)
		}
		// An aborted sector gets none, and no longer counts.
		if err := h.AbortSector(ctx, s3, "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := h.ReserveStore(ctx, "w1", s3, []string{"a"}); !errors.Is(err, rpc.ErrConflict) {
			t.Errorf("aborted sector: %v", err)
		}
		if si := storeInfo(t, h, "a"); si.Sectors != 1 || si.Available != 9*need {
			t.Errorf("a after an abort: %+v", si)
		}
	})
}

func TestHub_ReserveStore_FullStoreIsSkipped(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Unix(1_700_000_000, 0)}
		h := newHub(t, db, c, &fixedTickets{})
		addMiner(t, h, 1000, 0, 99)
		// small wins while it has room: 100 × 2 and 100 × 1 sectors
		// against 1 × 50.
		attach(t, h, hub.StoreSpec{Name: "small", Weight: 100, Capacity: 2 * need})
		attach(t, h, hub.StoreSpec{Name: "other", Weight: 1, Capacity: 50 * need})
		var got []string
		for range 3 {
			got = append(got, reserve(t, h, "w1", landedSector(t, h, db, c, "w1", 1000), "small", "other"))
		}
		if strings.Join(got, " ") != "small small other" {
			t.Errorf("chose %v, want small twice, then other", got)
		}
		si := storeInfo(t, h, "small")
		if si.Sectors != 2 || si.Reserved != 2*need || si.Available != 0 || !si.Reachable {
			t.Errorf("small when full: %+v", si)
		}
		_, err := h.ReserveStore(ctx, "w1", landedSector(t, h, db, c, "w1", 1000), []string{"small"})
		if !errors.Is(err, rpc.ErrTransient) || !strings.Contains(err.Error(), "small: full: need 68.3 KiB have 0 B") {
			t.Errorf("only the full store: %v", err)
		}
	})
}

// Two stores on one filesystem take from the same free space: each counts
// the sectors reserved in the other and not yet written as well as its
// own. (Free and Available come from one statfs, so their difference is
// exact although the disk's free space moves.)
func TestHub_ReserveStore_StoresShareAFilesystem(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Unix(1_700_000_000, 0)}
		h := newHub(t, db, c, &fixedTickets{})
		addMiner(t, h, 1000, 0, 99)
		dirA := t.TempDir()
		attach(t, h, hub.StoreSpec{Name: "a", Path: dirA})
		attach(t, h, hub.StoreSpec{Name: "b", Path: t.TempDir()})
		pendingOnFS := func(want uint64, when string) {
			t.Helper()
			for _, name := range []string{"a", "b"} {
				si := storeInfo(t, h, name)
				if !si.Reachable || si.Free-si.Available != want {
					t.Errorf("%s: store %s has %d of %d bytes free available, want %d less", when, name, si.Available, si.Free, want)
				}
			}
		}
		pendingOnFS(0, "no reservation")
		s1 := landedSector(t, h, db, c, "w1", 1000)
		if got := reserve(t, h, "w1", s1, "a"); got != "a" {
			t.Fatalf("reserved %s", got)
		}
		pendingOnFS(need, "one sector reserved in a")
		s2 := landedSector(t, h, db, c, "w1", 1000)
		if got := reserve(t, h, "w1", s2, "b"); got != "b" {
			t.Fatalf("reserved %s", got)
		}
		pendingOnFS(2*need, "one sector reserved in each")
		// Once s1's files are written and it is persisted, they are part
		// of the filesystem's used space: only s2 is still to come.
		persistFiles(t, dirA, s1)
		if r, err := h.SubmitPersisted(ctx, "w1", s1, "a"); err != nil || r.Res != hub.Accepted {
			t.Fatalf("persist s1: %+v, %v", r, err)
		}
		pendingOnFS(need, "s1 persisted")
		// A store on another filesystem does not count them.
		if dirC, err := os.MkdirTemp("/dev/shm", "strata-store-"); err == nil {
			t.Cleanup(func() { _ = os.RemoveAll(dirC) })
			if sameDevice(t, dirC, dirA) {
				t.Logf("/dev/shm is on the same filesystem as %s: the other-filesystem case is not checked", dirA)
			} else {
				attach(t, h, hub.StoreSpec{Name: "c", Path: dirC})
				if si := storeInfo(t, h, "c"); !si.Reachable || si.Free != si.Available {
					t.Errorf("store c on another filesystem: %d of %d bytes free available", si.Available, si.Free)
				}
			}
		} else {
			t.Logf("no writable /dev/shm (%v): the other-filesystem case is not checked", err)
		}
	})
}

func sameDevice(t *testing.T, a, b string) bool {
	t.Helper()
	fa, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	return fa.Sys().(*syscall.Stat_t).Dev == fb.Sys().(*syscall.Stat_t).Dev
}

func TestHub_ReserveStore_Miners(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Unix(1_700_000_000, 0)}
		h := newHub(t, db, c, &fixedTickets{})
		addMiner(t, h, 1000, 0, 99)
		addMiner(t, h, 1001, 0, 99)
		attach(t, h, hub.StoreSpec{Name: "for-1001", Weight: 100, Capacity: 10 * need, AllowMiners: []uint64{1001}})
		// Allowed and denied: denied.
		attach(t, h, hub.StoreSpec{Name: "not-1000", Weight: 100, Capacity: 10 * need, AllowMiners: []uint64{1000, 1001}, DenyMiners: []uint64{1000}})
		attach(t, h, hub.StoreSpec{Name: "any", Weight: 1, Capacity: 10 * need})
		s := landedSector(t, h, db, c, "w1", 1000)
		_, err := h.ReserveStore(ctx, "w1", s, []string{"for-1001", "not-1000"})
		if !errors.Is(err, rpc.ErrTransient) || !strings.Contains(err.Error(), "for-1001: miner f01000 not allowed") ||
			!strings.Contains(err.Error(), "not-1000: miner f01000 denied") {
			t.Errorf("f01000 where it is not allowed: %v", err)
		}
		if got := reserve(t, h, "w1", s, "for-1001", "not-1000", "any"); got != "any" {
			t.Errorf("f01000's sector went to %s", got)
		}
		if got := reserve(t, h, "w1", landedSector(t, h, db, c, "w1", 1001), "for-1001", "not-1000", "any"); got != "for-1001" && got != "not-1000" {
			t.Errorf("f01001's sector went to %s", got)
		}
	})
}

func TestHub_AttachAndDetachStore(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Unix(1_700_000_000, 0)}
		h := newHub(t, db, c, &fixedTickets{})
		addMiner(t, h, 1000, 0, 99)
		for _, bad := range []hub.StoreSpec{
			{Path: "/mnt/a"},
			{Name: "a", Path: "mnt/a"},
			{Name: "a"},
			{Name: "a\x1b[2J", Path: "/mnt/a"},
			{Name: "a", Path: "/mnt/a", Capacity: math.MaxUint64},
		} {
			if err := h.AttachStore(ctx, bad); !errors.Is(err, rpc.ErrInvalid) {
				t.Errorf("attach %+v: %v", bad, err)
			}
		}
		dir := t.TempDir()
		missing := filepath.Join(dir, "not-mounted")
		attach(t, h, hub.StoreSpec{Name: "a", Path: dir + "/./", DenyMiners: []uint64{7, 5, 7}})
		attach(t, h, hub.StoreSpec{Name: "far", Path: missing})
		ss, err := h.Stores(ctx)
		if err != nil || len(ss) != 2 {
			t.Fatalf("stores %+v, %v", ss, err)
		}
		a, far := ss[0], ss[1]
		if a.Name != "a" || a.Path != dir || a.Weight != hub.DefaultStoreWeight || len(a.DenyMiners) != 2 || a.DenyMiners[0] != 5 ||
			!a.Reachable || a.Available == 0 || a.Available > a.Free || a.Err != "" {
			t.Errorf("store a: %+v", a)
		}
		// A store the hub does not reach, without a capacity, has no room.
		if far.Name != "far" || far.Reachable || far.Err == "" || far.Available != 0 {
			t.Errorf("unreachable store: %+v", far)
		}
		// Attaching it again replaces its settings: with a capacity it
		// has room, counted without its filesystem.
		attach(t, h, hub.StoreSpec{Name: "far", Path: missing, Weight: 3, Capacity: 5 * need, ReadOnly: true})
		if si := storeInfo(t, h, "far"); si.Weight != 3 || !si.ReadOnly || si.Available != 5*need || si.Reachable {
			t.Errorf("far attached again: %+v", si)
		}
		attach(t, h, hub.StoreSpec{Name: "far", Path: missing, Capacity: 5 * need})

		// Detach refuses while sectors are recorded.
		s1 := landedSector(t, h, db, c, "w1", 1000)
		if got := reserve(t, h, "w1", s1, "far"); got != "far" {
			t.Fatalf("reserved %s", got)
		}
		if err := h.DetachStore(ctx, "far", false); !errors.Is(err, rpc.ErrConflict) || !strings.Contains(err.Error(), "holds 1 sectors") {
			t.Errorf("detach with a sector reserved: %v", err)
		}
		if err := h.AbortSector(ctx, s1, "test"); err != nil {
			t.Fatal(err)
		}
		if err := h.DetachStore(ctx, "far", false); err != nil {
			t.Errorf("detach after the sector was aborted: %v", err)
		}
		if err := h.DetachStore(ctx, "far", false); !errors.Is(err, rpc.ErrNotFound) {
			t.Errorf("detach again: %v", err)
		}
		// Persisted sectors count too; force detaches anyway.
		s2 := landedSector(t, h, db, c, "w1", 1000)
		persistFiles(t, dir, s2)
		if r, err := h.SubmitPersisted(ctx, "w1", s2, "a"); err != nil || r.Res != hub.Accepted {
			t.Fatalf("persist: %+v, %v", r, err)
		}
		if si := storeInfo(t, h, "a"); si.Sectors != 1 || si.Reserved != need {
			t.Errorf("a with a persisted sector: %+v", si)
		}
		if err := h.DetachStore(ctx, "a", false); !errors.Is(err, rpc.ErrConflict) {
			t.Errorf("detach with a persisted sector: %v", err)
		}
		if err := h.DetachStore(ctx, "a", true); err != nil {
			t.Errorf("detach --force: %v", err)
		}
		if ss, err := h.Stores(ctx); err != nil || len(ss) != 0 {
			t.Errorf("stores after detaching both: %+v, %v", ss, err)
		}
	})
}

// persistFiles writes a 2 KiB sector's persisted files into the store at
// dir.
func persistFiles(t *testing.T, dir string, id hub.SectorID) (sealed, cache string) {
	t.Helper()
	sealed = filepath.Join(dir, "sealed", hub.PersistedName(id))
	cache = filepath.Join(dir, "cache", hub.PersistedName(id))
	for _, d := range []string{cache, filepath.Dir(sealed)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(sealed, make([]byte, 2048), 0o644); err != nil {
		t.Fatal(err)
	}
	return sealed, cache
}

func TestHub_SubmitPersistedChecksFiles(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Unix(1_700_000_000, 0)}
		h := newHub(t, db, c, &fixedTickets{})
		addMiner(t, h, 1000, 0, 99)
		dir := t.TempDir()
		attach(t, h, hub.StoreSpec{Name: "a", Path: dir})
		attach(t, h, hub.StoreSpec{Name: "b"})
		id := landedSector(t, h, db, c, "w1", 1000)
		if got := reserve(t, h, "w1", id, "a"); got != "a" {
			t.Fatalf("reserved %s", got)
		}
		if r, err := h.SubmitPersisted(ctx, "w1", id, "b"); err != nil || r.Res != hub.MismatchedSubmission {
			t.Errorf("persisted elsewhere than reserved: %+v, %v", r, err)
		}
		sealed := filepath.Join(dir, "sealed", "s-t01000-0")
		if r, err := h.SubmitPersisted(ctx, "w1", id, "a"); err != nil || r.Res != hub.FilesMissed || !strings.Contains(r.Desc, sealed) {
			t.Errorf("no files: %+v, %v", r, err)
		}
		persistFiles(t, dir, id)
		if err := os.WriteFile(sealed, make([]byte, 100), 0o644); err != nil {
			t.Fatal(err)
		}
		if r, err := h.SubmitPersisted(ctx, "w1", id, "a"); err != nil || r.Res != hub.FilesMissed || !strings.Contains(r.Desc, "100 bytes") {
			t.Errorf("a short sealed file: %+v, %v", r, err)
		}
		persistFiles(t, dir, id)
		for range 2 {
			if r, err := h.SubmitPersisted(ctx, "w1", id, "a"); err != nil || r.Res != hub.Accepted {
				t.Errorf("files in place: %+v, %v", r, err)
			}
		}
		if si, err := h.Sector(ctx, id); err != nil || si.State != hub.StatePersisted || si.PersistedTo != "a" {
			t.Errorf("sector %+v, %v", si, err)
		}
		// A persisted sector is given its store again.
		if got := reserve(t, h, "w1", id, "b", "a"); got != "a" {
			t.Errorf("a persisted sector's store: %s", got)
		}
		if _, err := h.ReserveStore(ctx, "w1", id, []string{"b"}); !errors.Is(err, rpc.ErrInvalid) {
			t.Errorf("a persisted sector without its store among the candidates: %v", err)
		}
		// Files the hub does not reach are taken on the worker's word.
		attach(t, h, hub.StoreSpec{Name: "far", Path: filepath.Join(dir, "elsewhere"), Capacity: 10 * need})
		id2 := landedSector(t, h, db, c, "w1", 1000)
		if r, err := h.SubmitPersisted(ctx, "w1", id2, "far"); err != nil || r.Res != hub.Accepted {
			t.Errorf("a store the hub does not reach: %+v, %v", r, err)
		}
	})
}

func TestHub_SectorFilesAndStorePaths(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Unix(1_700_000_000, 0)}
		h := newHub(t, db, c, &fixedTickets{})
		addMiner(t, h, 1000, 0, 99)
		dir := t.TempDir()
		attach(t, h, hub.StoreSpec{Name: "a", Path: dir})
		// Another hub process, which mounts store a elsewhere.
		other, err := hub.New(ctx, hub.Options{DB: db, Now: c.now, StorePaths: map[string]string{"a": "/mnt/elsewhere/a"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(other.Close)
		if _, err := hub.New(ctx, hub.Options{DB: db, StorePaths: map[string]string{"a": "relative/a"}}); err == nil {
			t.Error("a relative StorePaths entry was taken")
		}

		id := landedSector(t, h, db, c, "w1", 1000)
		if _, err := h.SectorFiles(ctx, id); !errors.Is(err, hub.ErrNotPersisted) {
			t.Errorf("before the persist: %v", err)
		}
		if _, err := h.SectorFiles(ctx, hub.SectorID{Miner: 1000, Number: 99}); !errors.Is(err, rpc.ErrNotFound) {
			t.Errorf("an unknown sector: %v", err)
		}
		sealed, cache := persistFiles(t, dir, id)
		if got := reserve(t, h, "w1", id, "a"); got != "a" {
			t.Fatalf("reserved %s", got)
		}
		if r, err := h.SubmitPersisted(ctx, "w1", id, "a"); err != nil || r.Res != hub.Accepted {
			t.Fatalf("persist: %+v, %v", r, err)
		}
		f, err := h.SectorFiles(ctx, id)
		if err != nil || f.Sealed != sealed || f.Cache != cache || f.Proof != proof.StackedDrg2KiBV1_1 || f.Miner != 1000 || f.Number != id.Number {
			t.Errorf("SectorFiles = %+v, %v", f, err)
		}
		f, err = other.SectorFiles(ctx, id)
		if err != nil || f.Sealed != "/mnt/elsewhere/a/sealed/s-t01000-0" || f.Cache != "/mnt/elsewhere/a/cache/s-t01000-0" {
			t.Errorf("SectorFiles with StorePaths = %+v, %v", f, err)
		}
		if p, err := other.StorePath(ctx, "a"); err != nil || p != "/mnt/elsewhere/a" {
			t.Errorf("StorePath with StorePaths = %q, %v", p, err)
		}
		if p, err := h.StorePath(ctx, "a"); err != nil || p != dir {
			t.Errorf("StorePath = %q, %v", p, err)
		}
		if _, err := h.StorePath(ctx, "nope"); !errors.Is(err, rpc.ErrNotFound) {
			t.Errorf("StorePath of an unknown store: %v", err)
		}
		// The other process does not reach its path: the store's space is
		// unknown there.
		ss, err := other.Stores(ctx)
		if err != nil || len(ss) != 1 || ss[0].HubPath != "/mnt/elsewhere/a" || ss[0].Reachable {
			t.Errorf("the other process's stores: %+v, %v", ss, err)
		}
	})
}

// TestHub_ReserveStore_Concurrent: two hub processes on one database
// reserve space for eight sectors at once in a store with room for three:
// the store is never given more than it has.
func TestHub_ReserveStore_Concurrent(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := &clock{t: time.Unix(1_700_000_000, 0)}
		h := newHub(t, db, c, &fixedTickets{})
		other := newHub(t, db, c, nil)
		addMiner(t, h, 1000, 0, 99)
		attach(t, h, hub.StoreSpec{Name: "small", Capacity: 3 * need})
		var ids []hub.SectorID
		for range 8 {
			ids = append(ids, landedSector(t, h, db, c, "w1", 1000))
		}
		errs := make(chan error, len(ids))
		for i, id := range ids {
			go func() {
				hh := h
				if i%2 == 1 {
					hh = other
				}
				_, err := hh.ReserveStore(ctx, "w1", id, []string{"small"})
				errs <- err
			}()
		}
		for range ids {
			if err := <-errs; err != nil && !errors.Is(err, rpc.ErrTransient) && !errors.Is(err, rpc.ErrInternal) {
				t.Errorf("reserve: %v", err)
			}
		}
		// Whatever lost a race (a transaction that gave up) asks again.
		for _, id := range ids {
			_, _ = h.ReserveStore(ctx, "w1", id, []string{"small"})
		}
		if si := storeInfo(t, h, "small"); si.Sectors != 3 || si.Available != 0 {
			t.Errorf("small after eight reservations: %+v", si)
		}
	})
}
