package hub

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/strata-sp/strata/internal/bytesize"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/rpc"
)

// Persist stores are named directories that sealed sectors' files and
// caches are moved to after their pre-commit lands. The operator attaches
// them to the hub (`strata hub storage attach`); a worker attaches the
// ones it reaches under the same names ([[attached]]), each through its
// own path. At PCLanded the worker offers the hub the names of its stores
// and the hub chooses one (ReserveStore), counting the sector's space in
// it at once; the worker moves the files there and submits the store
// (SubmitPersisted), which the hub checks when it reaches the store.

// DefaultStoreWeight is the weight of a store attached without one.
const DefaultStoreWeight = 10

// maxStoreMiners bounds a store's allow and deny lists together.
const maxStoreMiners = 4096

// ErrNotPersisted is wrapped by SectorFiles' error for a sector that has
// no persist store recorded (not persisted yet, or aborted before).
var ErrNotPersisted = errors.New("the sector has no persist store recorded")

// StoreSpec is a persist store as the operator attaches it.
type StoreSpec struct {
	Name string
	// Path is the hub's path to the store, absolute. A hub process that
	// mounts it elsewhere names its own in Options.StorePaths; a worker
	// names its own in [[attached]].
	Path string
	// Weight: among the stores that can take a sector, the one with the
	// highest Weight × available bytes is chosen. 0 means
	// DefaultStoreWeight.
	Weight uint64
	// Capacity is how many bytes the hub may fill in the store; 0 means
	// as many as its filesystem has free.
	Capacity uint64
	// ReadOnly: no new sector is ever given the store; the ones in it
	// stay.
	ReadOnly bool
	// AllowMiners limits the miners (actor IDs) whose sectors the store
	// takes; empty allows all. DenyMiners refuses miners, and wins.
	AllowMiners []uint64 `json:",omitempty"`
	DenyMiners  []uint64 `json:",omitempty"`
}

// StoreInfo is a store as the hub counts it.
type StoreInfo struct {
	StoreSpec
	// HubPath is this process's path to the store when Options.StorePaths
	// names one other than Path.
	HubPath string `json:",omitempty"`
	// Sectors counts the sectors, not aborted, that were persisted to the
	// store or for which it was reserved; Reserved is the bytes the hub
	// counts for them (SectorSpace each).
	Sectors  int
	Reserved uint64
	// Available is the bytes the hub would still give new sectors:
	//   - with a Capacity, Capacity less Reserved;
	//   - when this process reaches the store's path, at most the
	//     filesystem's free space (statfs) less the space of the sectors
	//     reserved but not yet persisted, whose files are not written yet
	//     (a persisted sector's files already take their part of the
	//     filesystem), in this store and in every other store on the
	//     same filesystem, since they all take from the same free space;
	//   - without a Capacity, that bound alone, so a store the hub does
	//     not reach and has no Capacity set has none available.
	Available uint64
	// Free is the filesystem's free space, when Reachable.
	Free uint64
	// Reachable: this process reaches the store's path (a directory);
	// Err says why not otherwise.
	Reachable bool
	Err       string `json:",omitempty"`
}

// StoreChoice is ReserveStore's answer: the store the sector's files go
// to.
type StoreChoice struct {
	Name string
}

// sectorSpaceSlack covers the small files of a finalized cache (p_aux,
// t_aux) and rounding, generously.
const sectorSpaceSlack = 64 << 10

// SectorSpace estimates the bytes a persisted sector of the given size
// takes in its store: the sealed file (size bytes) and its cache after
// finalize, which keeps tree_r_last, p_aux and t_aux. tree_r_last is an
// arity-8 tree over the sealed file's size/32 nodes, so it has about
// leaves × 8/7 nodes of 32 bytes (1 + 1/8 + 1/64 + ... of the leaves),
// counted whole here although the base levels of a discarding tree are
// not stored: an upper bound, so that a store is never filled past its
// space; sectorSpaceSlack covers the rest. A 32 GiB sector counts about
// 68.6 GiB.
func SectorSpace(size proof.SectorSize) uint64 {
	leaves := uint64(size) / 32
	nodes := (leaves*8 + 6) / 7 // ⌈leaves × 8/7⌉
	return uint64(size) + nodes*32 + sectorSpaceSlack
}

// PersistedName is a sector's sealed file name and cache directory name
// in a store, s-t0MINER-NUMBER, under sealed/ and cache/.
func PersistedName(id SectorID) string { return fmt.Sprintf("s-t0%d-%d", id.Miner, id.Number) }

// persistedPaths are a sector's sealed file and cache directory in the
// store at dir.
func persistedPaths(dir string, id SectorID) (sealed, cache string) {
	n := PersistedName(id)
	return filepath.Join(dir, "sealed", n), filepath.Join(dir, "cache", n)
}

// normalize checks a spec and puts it in its stored form: the path
// cleaned, the weight defaulted, the miner lists sorted without repeats.
func (s *StoreSpec) normalize() error {
	if s.Name == "" {
		return rpc.Errorf(rpc.KindInvalid, "a store needs a name")
	}
	if err := checkName("store name", s.Name); err != nil {
		return err
	}
	if err := checkName("store path", s.Path); err != nil {
		return err
	}
	if !filepath.IsAbs(s.Path) {
		return rpc.Errorf(rpc.KindInvalid, "store %q: the path %q is not absolute", s.Name, s.Path)
	}
	s.Path = filepath.Clean(s.Path)
	if s.Weight == 0 {
		s.Weight = DefaultStoreWeight
	}
	// Both are BIGINT columns.
	if s.Weight > math.MaxInt64 || s.Capacity > math.MaxInt64 {
		return rpc.Errorf(rpc.KindInvalid, "store %q: weight %d or capacity %d is over %d", s.Name, s.Weight, s.Capacity, int64(math.MaxInt64))
	}
	if n := len(s.AllowMiners) + len(s.DenyMiners); n > maxStoreMiners {
		return rpc.Errorf(rpc.KindInvalid, "store %q: %d miners listed, the limit is %d", s.Name, n, maxStoreMiners)
	}
	s.AllowMiners, s.DenyMiners = sortedMiners(s.AllowMiners), sortedMiners(s.DenyMiners)
	return nil
}

func sortedMiners(ms []uint64) []uint64 {
	if len(ms) == 0 {
		return nil
	}
	return slices.Compact(slices.Sorted(slices.Values(ms)))
}

func encodeMiners(ms []uint64) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = strconv.FormatUint(m, 10)
	}
	return strings.Join(s, ",")
}

func decodeMiners(s string) ([]uint64, error) {
	var out []uint64
	for _, f := range strings.Split(s, ",") {
		if f == "" {
			continue
		}
		m, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("stored miner list %q: %w", s, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// takes reports whether the store takes miner's sectors, and if not why.
func (s *StoreSpec) takes(miner uint64) (bool, string) {
	if slices.Contains(s.DenyMiners, miner) {
		return false, fmt.Sprintf("miner f0%d denied", miner)
	}
	if len(s.AllowMiners) > 0 && !slices.Contains(s.AllowMiners, miner) {
		return false, fmt.Sprintf("miner f0%d not allowed", miner)
	}
	return true, ""
}

// AttachStore records a persist store, or changes the settings of the
// store of that name (every setting: the spec replaces the one recorded).
// The hub need not reach the path: without a Capacity, though, a store it
// does not reach is never chosen (see StoreInfo.Available).
func (h *Hub) AttachStore(ctx context.Context, spec StoreSpec) error {
	if err := spec.normalize(); err != nil {
		return err
	}
	now := h.now().UnixNano()
	err := h.tx(ctx, func(tx *sql.Tx) error {
		_, err := h.db.Exec(ctx, tx, `INSERT INTO hub_stores (name, path, weight, capacity, read_only, allow_miners, deny_miners, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
			ON CONFLICT (name) DO UPDATE SET path = excluded.path, weight = excluded.weight, capacity = excluded.capacity,
				read_only = excluded.read_only, allow_miners = excluded.allow_miners, deny_miners = excluded.deny_miners, updated_at = excluded.updated_at`,
			spec.Name, spec.Path, int64(spec.Weight), int64(spec.Capacity), spec.ReadOnly, encodeMiners(spec.AllowMiners), encodeMiners(spec.DenyMiners), now)
		return err
	})
	if err != nil {
		return err
	}
	sp := h.statStore(spec)
	h.log.Info("store attached", "store", spec.Name, "path", spec.Path, "weight", spec.Weight, "capacity", spec.Capacity,
		"read-only", spec.ReadOnly, "reachable", sp.err == nil)
	if sp.err != nil && spec.Capacity == 0 {
		h.log.Warn("the hub does not reach the store and it has no capacity: no sector will be given it", "store", spec.Name, "err", sp.err)
	}
	return nil
}

// DetachStore forgets a store. It refuses while sectors that are not
// aborted are recorded in it (persisted to it or reserved in it), unless
// force: their files stay where they are, and the hub no longer knows
// where that is (SectorFiles fails for them, unless Options.StorePaths
// names the store).
func (h *Hub) DetachStore(ctx context.Context, name string, force bool) error {
	if err := checkName("store name", name); err != nil {
		return err
	}
	var held int64
	err := h.tx(ctx, func(tx *sql.Tx) error {
		var n int64
		if err := h.db.QueryRow(ctx, tx, `SELECT COUNT(*) FROM hub_stores WHERE name = $1`, name).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return rpc.Errorf(rpc.KindNotFound, "store %q is not attached to this hub", name)
		}
		if err := h.db.QueryRow(ctx, tx, `SELECT COUNT(*) FROM hub_sectors WHERE (persist_store = $1 OR store_choice = $1) AND state <> $2 AND life <> $3`,
			name, string(StateAborted), string(LifeRemoved)).Scan(&held); err != nil {
			return err
		}
		if held > 0 && !force {
			return rpc.Errorf(rpc.KindConflict, "store %q holds %d sectors that are not aborted (persisted to it or reserved in it); it stays attached (force detaches it anyway)", name, held)
		}
		_, err := h.db.Exec(ctx, tx, `DELETE FROM hub_stores WHERE name = $1`, name)
		return err
	})
	if err != nil {
		return err
	}
	if held > 0 {
		h.log.Warn("store detached by force with sectors in it", "store", name, "sectors", held)
	} else {
		h.log.Info("store detached", "store", name)
	}
	return nil
}

// Stores lists the attached stores by name, with their space as this
// process counts it.
func (h *Hub) Stores(ctx context.Context) ([]StoreInfo, error) {
	specs, err := h.readStores(ctx, nil)
	if err != nil {
		return nil, err
	}
	use, err := h.storeUsage(ctx, nil)
	if err != nil {
		return nil, err
	}
	space := h.statStores(specs)
	pending := fsPending(space, use)
	out := make([]StoreInfo, 0, len(specs))
	for _, s := range specs {
		sp := space[s.Name]
		u := use[s.Name]
		si := StoreInfo{StoreSpec: s, Sectors: u.sectors, Reserved: u.reserved, Available: available(s, u, sp, pending), Free: sp.free, Reachable: sp.err == nil}
		if sp.path != s.Path {
			si.HubPath = sp.path
		}
		if sp.err != nil {
			si.Err = sp.err.Error()
		}
		out = append(out, si)
	}
	return out, nil
}

// StorePath returns this process's path to the store: the one
// Options.StorePaths names, else the one it was attached with. A store
// neither names is not found.
func (h *Hub) StorePath(ctx context.Context, name string) (string, error) {
	if p, ok := h.storePaths[name]; ok {
		return p, nil
	}
	var p string
	err := h.db.QueryRow(ctx, nil, `SELECT path FROM hub_stores WHERE name = $1`, name).Scan(&p)
	if errors.Is(err, sql.ErrNoRows) {
		return "", rpc.Errorf(rpc.KindNotFound, "store %q is not attached to this hub", name)
	}
	return p, asRPC(err)
}

// SectorFiles returns the sector's persisted files as this process
// reaches them: Sealed and Cache in its persist store (see StorePath and
// PersistedName), with the sector's proof type, miner and number; Staged
// is empty. A sector with no persist store recorded fails with an error
// wrapping ErrNotPersisted. The files are not looked at.
func (h *Hub) SectorFiles(ctx context.Context, id SectorID) (seal.Sector, error) {
	var st string
	var pt int64
	err := h.db.QueryRow(ctx, nil, `SELECT persist_store, proof_type FROM hub_sectors WHERE miner = $1 AND number = $2`,
		int64(id.Miner), int64(id.Number)).Scan(&st, &pt)
	if errors.Is(err, sql.ErrNoRows) {
		return seal.Sector{}, rpc.Errorf(rpc.KindNotFound, "sector %s is not on this hub", id)
	} else if err != nil {
		return seal.Sector{}, asRPC(err)
	}
	if st == "" {
		return seal.Sector{}, rpc.Errorf(rpc.KindConflict, "sector %s: %w", id, ErrNotPersisted)
	}
	dir, err := h.StorePath(ctx, st)
	if err != nil {
		return seal.Sector{}, fmt.Errorf("sector %s: %w", id, err)
	}
	sealed, cache := persistedPaths(dir, id)
	return seal.Sector{Proof: proof.SealProof(pt), Miner: id.Miner, Number: id.Number, Sealed: sealed, Cache: cache}, nil
}

// ReserveStore chooses the persist store for the sector's files among
// candidates, the names of the stores the worker attaches, and records
// it: its space counts from now on. The sector must be the worker's and
// its pre-commit landed. It is idempotent: a sector's store is chosen
// once, and given again while it is among the candidates (a sector
// already persisted is given its store).
//
// The choice: among the candidates attached to the hub, not read-only,
// taking the sector's miner and with SectorSpace of it available (see
// StoreInfo.Available), the one with the highest weight × available
// bytes; ties go to the first name. When none can take it, the error
// (transient: space may be freed or stores attached) says why for each
// candidate.
func (h *Hub) ReserveStore(ctx context.Context, worker string, id SectorID, candidates []string) (StoreChoice, error) {
	cands := slices.Compact(slices.Sorted(slices.Values(candidates)))
	if len(cands) == 0 || cands[0] == "" {
		return StoreChoice{}, rpc.Errorf(rpc.KindInvalid, "reserve a store for sector %s: no candidate store, or one without a name", id)
	}
	// The filesystems are looked at before the transaction: a slow mount
	// must not hold it. All of them, not only the candidates': another
	// store on a candidate's filesystem takes from its free space.
	specs, err := h.readStores(ctx, nil)
	if err != nil {
		return StoreChoice{}, err
	}
	space := h.statStores(specs)
	// Every reservation reads the space counted in the stores and adds to
	// it: in this process they take turns rather than fail PostgreSQL's
	// serializable check and run again (hub processes sharing a database
	// still do).
	h.reserveMu.Lock()
	defer h.reserveMu.Unlock()
	var out StoreChoice
	var fresh bool
	err = h.tx(ctx, func(tx *sql.Tx) error {
		out, fresh = StoreChoice{}, false
		r, err := h.owned(ctx, tx, id, worker)
		if err != nil {
			return err
		}
		switch {
		case r.state == StateAborted:
			return rpc.Errorf(rpc.KindConflict, "sector %s was aborted: %s", id, r.abort)
		case r.persist != "":
			if slices.Contains(cands, r.persist) {
				out.Name = r.persist
				return nil
			}
			return rpc.Errorf(rpc.KindInvalid, "sector %s was persisted to store %q, which is not among the worker's stores (%s)", id, r.persist, strings.Join(cands, ", "))
		case r.state.Terminal():
			return rpc.Errorf(rpc.KindConflict, "sector %s is %s", id, r.state)
		case r.state != StatePreCommitLanded:
			return rpc.Errorf(rpc.KindTransient, "sector %s is %s; a store is reserved once its pre-commit lands", id, r.state)
		}
		prev, err := h.storeChoice(ctx, tx, id)
		if err != nil {
			return err
		}
		if prev != "" && slices.Contains(cands, prev) {
			out.Name = prev
			return nil
		}
		size, err := r.proof.SectorSize()
		if err != nil {
			return fmt.Errorf("sector %s: %w", id, err)
		}
		need := SectorSpace(size)
		specs, err := h.readStores(ctx, tx)
		if err != nil {
			return err
		}
		use, err := h.storeUsage(ctx, tx)
		if err != nil {
			return err
		}
		name, why := chooseStore(cands, specs, use, space, id.Miner, need)
		if name == "" {
			return rpc.Errorf(rpc.KindTransient, "no store can take sector %s (%s): %s", id, bytesize.IEC(need), strings.Join(why, "; "))
		}
		if _, err := h.db.Exec(ctx, tx, `UPDATE hub_sectors SET store_choice = $1, updated_at = $2 WHERE miner = $3 AND number = $4`,
			name, h.now().UnixNano(), int64(id.Miner), int64(id.Number)); err != nil {
			return err
		}
		out.Name, fresh = name, true
		return nil
	})
	if err != nil {
		return StoreChoice{}, err
	}
	if fresh {
		h.log.Info("store reserved", "sector", id, "worker", worker, "store", out.Name)
	}
	return out, nil
}

// chooseStore picks among cands (sorted) the store for a sector of miner
// needing need bytes, or returns "" and why each was skipped.
func chooseStore(cands []string, specs []StoreSpec, use map[string]storeUse, space map[string]fsSpace, miner, need uint64) (string, []string) {
	var best string
	var bestW, bestA uint64
	var why []string
	pending := fsPending(space, use)
	for _, name := range cands {
		i := slices.IndexFunc(specs, func(s StoreSpec) bool { return s.Name == name })
		if i < 0 {
			why = append(why, name+": unknown to the hub")
			continue
		}
		s := specs[i]
		if s.ReadOnly {
			why = append(why, name+": read-only")
			continue
		}
		if ok, reason := s.takes(miner); !ok {
			why = append(why, name+": "+reason)
			continue
		}
		sp, ok := space[name]
		if !ok {
			sp = fsSpace{path: s.Path, err: errors.New("attached while the sector was being reserved")}
		}
		avail := available(s, use[name], sp, pending)
		if avail < need {
			w := fmt.Sprintf("%s: full: need %s have %s", name, bytesize.IEC(need), bytesize.IEC(avail))
			if sp.err != nil && s.Capacity == 0 {
				w += fmt.Sprintf(" (the hub does not reach it and it has no capacity set: %v)", sp.err)
			}
			why = append(why, w)
			continue
		}
		if best == "" || cmpProduct(s.Weight, avail, bestW, bestA) > 0 {
			best, bestW, bestA = name, s.Weight, avail
		}
	}
	return best, why
}

// cmpProduct compares a×b with c×d exactly (128-bit products).
func cmpProduct(a, b, c, d uint64) int {
	hi1, lo1 := bits.Mul64(a, b)
	hi2, lo2 := bits.Mul64(c, d)
	if hi1 != hi2 {
		return cmp.Compare(hi1, hi2)
	}
	return cmp.Compare(lo1, lo2)
}

// storeUse is the space counted in a store.
type storeUse struct {
	sectors int
	// reserved is the space of all its sectors; pending that of the ones
	// reserved but not persisted yet.
	reserved, pending uint64
}

// storeUsage counts the sectors of every store, aborted ones aside, in
// tx or outside a transaction when tx is nil. A sector counts in its
// store_choice, which SubmitPersisted keeps equal to persist_store.
func (h *Hub) storeUsage(ctx context.Context, tx *sql.Tx) (map[string]storeUse, error) {
	rows, err := h.db.Query(ctx, tx, `SELECT store_choice, proof_type, CASE WHEN persist_store = '' THEN 1 ELSE 0 END, COUNT(*) FROM hub_sectors
		WHERE store_choice <> '' AND state <> $1 AND life <> $2 GROUP BY 1, 2, 3`, string(StateAborted), string(LifeRemoved))
	if err != nil {
		return nil, asRPC(err)
	}
	defer rows.Close()
	out := map[string]storeUse{}
	for rows.Next() {
		var name string
		var pt, pending, n int64
		if err := rows.Scan(&name, &pt, &pending, &n); err != nil {
			return nil, asRPC(err)
		}
		size, err := proof.SealProof(pt).SectorSize()
		if err != nil {
			return nil, asRPC(fmt.Errorf("store %q: a sector's proof type: %w", name, err))
		}
		b := mulSat(SectorSpace(size), uint64(n))
		u := out[name]
		u.sectors += int(n)
		u.reserved = addSat(u.reserved, b)
		if pending == 1 {
			u.pending = addSat(u.pending, b)
		}
		out[name] = u
	}
	return out, asRPC(rows.Err())
}

// readStores reads the attached stores by name, in tx or outside a
// transaction when tx is nil.
func (h *Hub) readStores(ctx context.Context, tx *sql.Tx) ([]StoreSpec, error) {
	rows, err := h.db.Query(ctx, tx, `SELECT name, path, weight, capacity, read_only, allow_miners, deny_miners FROM hub_stores ORDER BY name`)
	if err != nil {
		return nil, asRPC(err)
	}
	defer rows.Close()
	var out []StoreSpec
	for rows.Next() {
		var s StoreSpec
		var weight, capacity int64
		var allow, deny string
		if err := rows.Scan(&s.Name, &s.Path, &weight, &capacity, &s.ReadOnly, &allow, &deny); err != nil {
			return nil, asRPC(err)
		}
		s.Weight, s.Capacity = uint64(weight), uint64(capacity)
		if s.AllowMiners, err = decodeMiners(allow); err != nil {
			return nil, asRPC(fmt.Errorf("store %q: %w", s.Name, err))
		}
		if s.DenyMiners, err = decodeMiners(deny); err != nil {
			return nil, asRPC(fmt.Errorf("store %q: %w", s.Name, err))
		}
		out = append(out, s)
	}
	return out, asRPC(rows.Err())
}

// storeChoice reads the store reserved for the sector.
func (h *Hub) storeChoice(ctx context.Context, tx *sql.Tx, id SectorID) (string, error) {
	var c string
	err := h.db.QueryRow(ctx, tx, `SELECT store_choice FROM hub_sectors WHERE miner = $1 AND number = $2`, int64(id.Miner), int64(id.Number)).Scan(&c)
	return c, err
}

// fsSpace is a store's filesystem as this process sees it.
type fsSpace struct {
	path string // this process's path to the store
	free uint64 // bytes free for unprivileged users (statfs f_bavail)
	dev  uint64 // the filesystem's device (st_dev of the path)
	err  error  // why the path cannot be reached; nil when it can
}

// statTimeout is how long statStores waits for a store's filesystem.
const statTimeout = 5 * time.Second

// statStores looks at the filesystem of every store, by name, all at once.
// Concurrent callers share a look in flight at a store rather than start
// another. A store that does not answer within statTimeout (a hung network
// mount) counts as not reached, so that it holds neither the reservations
// nor the listing; while its look stays hung, later callers do not wait
// for it, and no other look is started (hung looks do not pile up).
func (h *Hub) statStores(specs []StoreSpec) map[string]fsSpace {
	calls := make(map[string]*statCall, len(specs))
	now := time.Now()
	h.statMu.Lock()
	if h.statting == nil {
		h.statting = map[string]*statCall{}
	}
	for _, s := range specs {
		c := h.statting[s.Name]
		if c == nil {
			c = &statCall{started: now, done: make(chan struct{})}
			h.statting[s.Name] = c
			go func() {
				c.sp = h.statStore(s)
				h.statMu.Lock()
				delete(h.statting, s.Name)
				h.statMu.Unlock()
				close(c.done)
			}()
		}
		calls[s.Name] = c
	}
	h.statMu.Unlock()
	timer := time.NewTimer(statTimeout)
	defer timer.Stop()
	space := make(map[string]fsSpace, len(specs))
	for _, s := range specs {
		c := calls[s.Name]
		hung := fsSpace{path: h.localPath(s), err: fmt.Errorf("%s: its filesystem did not answer within %v", h.localPath(s), statTimeout)}
		if now.Sub(c.started) >= statTimeout {
			select {
			case <-c.done:
				space[s.Name] = c.sp
			default:
				space[s.Name] = hung
			}
			continue
		}
		select {
		case <-c.done:
			space[s.Name] = c.sp
		case <-timer.C:
			timer.Reset(0) // the others still unanswered count as hung too
			space[s.Name] = hung
		}
	}
	return space
}

// statCall is a look at a store's filesystem, shared by the callers that
// want it while it runs; sp is set when done is closed.
type statCall struct {
	started time.Time
	done    chan struct{}
	sp      fsSpace
}

// fsPending sums, by filesystem (device), the space of the sectors
// reserved but not yet persisted in the reachable stores on it: their
// files will all be written out of the same free space.
func fsPending(space map[string]fsSpace, use map[string]storeUse) map[uint64]uint64 {
	out := make(map[uint64]uint64, len(space))
	for name, sp := range space {
		if sp.err == nil {
			out[sp.dev] = addSat(out[sp.dev], use[name].pending)
		}
	}
	return out
}

// localPath is this process's path to the store s.
func (h *Hub) localPath(s StoreSpec) string {
	if p, ok := h.storePaths[s.Name]; ok {
		return p
	}
	return s.Path
}

// statStore looks at the store's filesystem.
func (h *Hub) statStore(s StoreSpec) fsSpace {
	p := h.localPath(s)
	fi, err := os.Stat(p)
	if err == nil && !fi.IsDir() {
		err = fmt.Errorf("%s is not a directory", p)
	}
	if err != nil {
		return fsSpace{path: p, err: err}
	}
	sys, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fsSpace{path: p, err: fmt.Errorf("%s: no device number from stat", p)}
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(p, &st); err != nil {
		return fsSpace{path: p, err: &fs.PathError{Op: "statfs", Path: p, Err: err}}
	}
	return fsSpace{path: p, free: mulSat(uint64(st.Bavail), uint64(st.Bsize)), dev: uint64(sys.Dev)}
}

// available is the bytes the hub would still give new sectors in store
// s (see StoreInfo.Available); pending is fsPending's.
func available(s StoreSpec, u storeUse, sp fsSpace, pending map[uint64]uint64) uint64 {
	avail := uint64(math.MaxUint64)
	if s.Capacity > 0 {
		avail = subSat(s.Capacity, u.reserved)
	}
	if sp.err == nil {
		avail = min(avail, subSat(sp.free, pending[sp.dev]))
	} else if s.Capacity == 0 {
		avail = 0
	}
	return avail
}

// missingFiles checks, when this process reaches the store, that the
// sector's sealed file (of the sector's size) and cache directory are in
// it; it describes what is missing, or returns "" (also when the store
// or the sector is unknown or the store not reached: the caller decides
// those).
func (h *Hub) missingFiles(ctx context.Context, id SectorID, storeName string) (string, error) {
	if storeName == "" {
		return "", nil
	}
	dir, err := h.StorePath(ctx, storeName)
	if errors.Is(err, rpc.ErrNotFound) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", nil // not reached from here
	}
	var pt int64
	err = h.db.QueryRow(ctx, nil, `SELECT proof_type FROM hub_sectors WHERE miner = $1 AND number = $2`, int64(id.Miner), int64(id.Number)).Scan(&pt)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	} else if err != nil {
		return "", asRPC(err)
	}
	size, err := proof.SealProof(pt).SectorSize()
	if err != nil {
		return "", asRPC(fmt.Errorf("sector %s: %w", id, err))
	}
	sealed, cache := persistedPaths(dir, id)
	var why []string
	if fi, err := os.Stat(sealed); err != nil {
		why = append(why, err.Error())
	} else if !fi.Mode().IsRegular() || fi.Size() != int64(size) {
		why = append(why, fmt.Sprintf("%s is %d bytes (%s), want a file of %d", sealed, fi.Size(), fi.Mode().Type(), size))
	}
	if fi, err := os.Stat(cache); err != nil {
		why = append(why, err.Error())
	} else if !fi.IsDir() {
		why = append(why, fmt.Sprintf("%s is not a directory", cache))
	}
	if len(why) == 0 {
		return "", nil
	}
	return fmt.Sprintf("store %q at %s: %s", storeName, dir, strings.Join(why, "; ")), nil
}

func addSat(a, b uint64) uint64 {
	s, carry := bits.Add64(a, b, 0)
	if carry != 0 {
		return math.MaxUint64
	}
	return s
}

func subSat(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

func mulSat(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}
