package hub

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
	"github.com/strata-sp/strata/rpc"
)

// A proven sector's life after sealing is kept beside its state, in
// hub_sectors.life (migration 0005). The operator asks for a termination
// (TerminateSectors); the proving scheduler sends TerminateSectors once
// the sector's deadline may be changed and follows the message until it
// lands; only then may the sector's files be deleted (RemoveSector), so
// that a sector still proven on chain never loses them. An extension
// (ExtendSectors) is an expiration the operator asked for, in extend_to,
// sent the same way (extend_msg).

// Life is where a proven sector is in its life after sealing.
type Life string

// The lives, in order.
const (
	// LifeLive: nothing was asked (the column's '').
	LifeLive Life = ""
	// LifeTerminate: the operator asked for a termination, sent once the
	// sector's deadline may be changed.
	LifeTerminate Life = "terminate"
	// LifeTerminating: TerminateSectors was sent (life_msg names it).
	LifeTerminating Life = "terminating"
	// LifeTerminated: it landed, or the sector left the chain otherwise
	// (expired, or terminated by a message the hub did not send).
	LifeTerminated Life = "terminated"
	// LifeRemoved: the sector's files were deleted.
	LifeRemoved Life = "removed"
)

// Message kinds of the lifecycle in hub_messages.
const (
	kindTerminate = "terminate"
	kindExtend    = "extend"
)

const (
	// maxLifeRequest bounds the sectors of one TerminateSectors or
	// ExtendSectors call.
	maxLifeRequest = 10_000
	// maxLifeMsgSectors bounds the sectors of one TerminateSectors or
	// ExtendSectorExpiration2 message; more go in several. The chain
	// takes 3,000 declarations and, on mainnet, 25,000 sectors a
	// message, but a termination's gas grows with its sectors: Lotus's
	// TerminateBatchMax is 100, its `sectors extend` sends 500.
	maxLifeMsgSectors = 500
	// maxLifeAttempts is how many times a terminate or an extend whose
	// message failed is sent; after that it waits for the operator to ask
	// again (or `hub sectors resume`), which starts the count again.
	maxLifeAttempts = 3
)

// lifeEvent is what happens to a sector's life.
type lifeEvent string

// The life events.
const (
	lifeAsk    lifeEvent = "ask"    // the operator asks for a termination
	lifeSent   lifeEvent = "sent"   // TerminateSectors was written ahead
	lifeLanded lifeEvent = "landed" // it executed successfully
	lifeFailed lifeEvent = "failed" // it failed, or another message took its nonce
	lifeGone   lifeEvent = "gone"   // the sector is no longer on chain
	lifeRemove lifeEvent = "remove" // the operator deletes its files
)

// nextLife is the life's state machine: the life after ev, or why ev
// cannot happen now. Asking again for a termination and removing a
// removed sector are no-ops, so that the operator's commands may be
// repeated.
func nextLife(cur Life, ev lifeEvent) (Life, error) {
	switch cur {
	case LifeLive, LifeTerminate, LifeTerminating, LifeTerminated, LifeRemoved:
	default:
		return cur, fmt.Errorf("unknown life %q", cur)
	}
	type move struct {
		from Life
		ev   lifeEvent
	}
	next, ok := map[move]Life{
		{LifeLive, lifeAsk}:           LifeTerminate,
		{LifeTerminate, lifeAsk}:      LifeTerminate,
		{LifeTerminate, lifeSent}:     LifeTerminating,
		{LifeTerminate, lifeGone}:     LifeTerminated,
		{LifeTerminating, lifeLanded}: LifeTerminated,
		{LifeTerminating, lifeFailed}: LifeTerminate,
		{LifeTerminated, lifeRemove}:  LifeRemoved,
		{LifeRemoved, lifeRemove}:     LifeRemoved,
	}[move{cur, ev}]
	if ok {
		return next, nil
	}
	switch ev {
	case lifeAsk:
		return cur, fmt.Errorf("it is already %s", cur)
	case lifeRemove:
		return cur, fmt.Errorf("it is %s: terminate it first (hub sectors terminate) and wait until the termination lands", lifeName(cur))
	case lifeSent, lifeLanded, lifeFailed, lifeGone:
		return cur, fmt.Errorf("%s while %s", ev, lifeName(cur))
	}
	return cur, fmt.Errorf("unknown life event %q", ev)
}

// lifeName names a life in messages: the empty one is live.
func lifeName(l Life) string {
	if l == LifeLive {
		return "live"
	}
	return string(l)
}

// lifeFailure is the failure text of a terminate or an extend whose
// message failed: "terminate: attempt 2 of 3 failed: ...". The attempts
// are counted in this text, in the sector's failure column, rather than in
// memory or a new column: the count survives a restart (a message that
// always fails is not sent three more times per restart), the operator
// sees it in `hub sectors list --failed`, and what clears the column (the
// operator asking again, `hub sectors resume`) starts the count again.
// A worker's report can overwrite the text of a sector not yet finalized,
// which at worst grants a few more attempts.
func lifeFailure(kind string, attempt int, why string) string {
	s := fmt.Sprintf("%s: attempt %d of %d failed: %s", kind, attempt, maxLifeAttempts, why)
	if len(s) > maxFailureLen {
		s = s[:maxFailureLen]
	}
	return s
}

// lifeAttempts is the attempts of kind that failure counts (see
// lifeFailure); 0 when it is not about kind.
func lifeAttempts(failure, kind string) int {
	rest, ok := strings.CutPrefix(failure, kind+": attempt ")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(rest[:strings.IndexFunc(rest+" ", func(r rune) bool { return r < '0' || r > '9' })])
	if err != nil {
		return 0
	}
	return n
}

// lifeNumbers checks and sorts the sector numbers of a request.
func lifeNumbers(op string, numbers []uint64) ([]uint64, error) {
	switch {
	case len(numbers) == 0:
		return nil, rpc.Errorf(rpc.KindInvalid, "%s: no sectors named", op)
	case len(numbers) > maxLifeRequest:
		return nil, rpc.Errorf(rpc.KindInvalid, "%s: %d sectors, the limit is %d a call", op, len(numbers), maxLifeRequest)
	}
	ns := slices.Compact(slices.Sorted(slices.Values(numbers)))
	if ns[len(ns)-1] > 1<<63-1 {
		return nil, rpc.Errorf(rpc.KindInvalid, "%s: sector number %d is out of range", op, ns[len(ns)-1])
	}
	return ns, nil
}

// inNumbers returns the placeholders $first, $first+1, ... of numbers,
// for an IN list, and their arguments.
func inNumbers(first int, numbers []uint64) (string, []any) {
	ph := make([]string, len(numbers))
	args := make([]any, len(numbers))
	for i, n := range numbers {
		ph[i] = "$" + strconv.Itoa(first+i)
		args[i] = int64(n)
	}
	return strings.Join(ph, ", "), args
}

// lifeRow is a sector as the lifecycle reads it.
type lifeRow struct {
	number    uint64
	state     State
	life      Life
	lifeMsg   string
	extendTo  int64
	extendMsg string
	failure   string
}

const lifeRowCols = `number, state, life, life_msg, extend_to, extend_msg, failure`

func scanLifeRows(rows *sql.Rows) ([]lifeRow, error) {
	defer rows.Close()
	var out []lifeRow
	for rows.Next() {
		var r lifeRow
		var n int64
		var st, life string
		if err := rows.Scan(&n, &st, &life, &r.lifeMsg, &r.extendTo, &r.extendMsg, &r.failure); err != nil {
			return nil, err
		}
		r.number, r.state, r.life = uint64(n), State(st), Life(life)
		out = append(out, r)
	}
	return out, rows.Err()
}

// requestRows reads the named sectors of miner in tx, failing unless each
// is on the hub and proven on chain as far as the hub knows (its
// prove-commit landed).
func requestRows(ctx context.Context, tx *sql.Tx, miner uint64, numbers []uint64) ([]lifeRow, error) {
	list, args := inNumbers(2, numbers)
	rows, err := tx.QueryContext(ctx, `SELECT `+lifeRowCols+` FROM hub_sectors WHERE miner = $1 AND number IN (`+list+`) ORDER BY number`,
		append([]any{int64(miner)}, args...)...)
	if err != nil {
		return nil, err
	}
	rs, err := scanLifeRows(rows)
	if err != nil {
		return nil, err
	}
	for i, n := range numbers {
		if i >= len(rs) || rs[i].number != n {
			return nil, rpc.Errorf(rpc.KindNotFound, "sector %s is not on this hub", SectorID{miner, n})
		}
		switch id := (SectorID{miner, n}); rs[i].state {
		case StateProofLanded, StateFinalized:
		case StateAborted:
			return nil, rpc.Errorf(rpc.KindConflict, "sector %s was aborted: it is not on chain", id)
		default:
			return nil, rpc.Errorf(rpc.KindConflict, "sector %s is %s: its prove-commit has not landed (abort it instead)", id, rs[i].state)
		}
	}
	return rs, nil
}

// TerminateSectors records the operator's request to terminate sectors of
// miner, which must all be on the hub and proven on chain (their
// prove-commit landed); the request is all or nothing. The proving
// scheduler sends TerminateSectors for each once its deadline may be
// changed (see Proving). Asking again for a sector waiting to be
// terminated is a no-op, except that it starts the count of failed
// attempts again; one terminating, terminated or removed is a conflict.
// Termination burns the sectors' pledge and ends their deals.
func (h *Hub) TerminateSectors(ctx context.Context, miner uint64, numbers []uint64) error {
	ns, err := lifeNumbers("terminate", numbers)
	if err != nil {
		return err
	}
	err = h.tx(ctx, func(tx *sql.Tx) error {
		rs, err := requestRows(ctx, tx, miner, ns)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if _, err := nextLife(r.life, lifeAsk); err != nil {
				return rpc.Errorf(rpc.KindConflict, "terminate sector %s: %w", SectorID{miner, r.number}, err)
			}
		}
		list, args := inNumbers(5, ns)
		_, err = tx.ExecContext(ctx, `UPDATE hub_sectors SET life = $1, updated_at = $2,
			failure = CASE WHEN failure LIKE $3 THEN '' ELSE failure END
			WHERE miner = $4 AND number IN (`+list+`)`,
			append([]any{string(LifeTerminate), h.now().UnixNano(), kindTerminate + ":%", int64(miner)}, args...)...)
		return err
	})
	if err != nil {
		return err
	}
	h.log.Warn("sectors to terminate", "miner", miner, "sectors", joinNumbers(ns))
	return nil
}

// ExtendSectors records the operator's request to extend sectors of miner
// to expire at epoch expiration; the sectors must be on the hub, proven on
// chain and not being terminated, and the request is all or nothing. The
// proving scheduler sends ExtendSectorExpiration2 once each sector's
// deadline may be changed. A sector that already expires then is left as
// it is; one that expires later is not shortened (the chain never
// shortens an expiration), and its failure says so. A new expiration
// replaces one that waits; one being sent is followed to its end and the
// new one sent after it.
func (h *Hub) ExtendSectors(ctx context.Context, miner uint64, numbers []uint64, expiration int64) error {
	ns, err := lifeNumbers("extend", numbers)
	if err != nil {
		return err
	}
	if expiration <= 0 {
		return rpc.Errorf(rpc.KindInvalid, "extend: expiration %d is not a positive epoch", expiration)
	}
	err = h.tx(ctx, func(tx *sql.Tx) error {
		rs, err := requestRows(ctx, tx, miner, ns)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.life != LifeLive {
				return rpc.Errorf(rpc.KindConflict, "extend sector %s: it is %s", SectorID{miner, r.number}, lifeName(r.life))
			}
		}
		// The same expiration asked again keeps the message sent for it;
		// another one forgets it (its outcome no longer settles anything:
		// the new one is sent, and is refused by the chain only if the
		// old one landed with a later expiration).
		list, args := inNumbers(5, ns)
		_, err = tx.ExecContext(ctx, `UPDATE hub_sectors SET extend_msg = CASE WHEN extend_to = $1 THEN extend_msg ELSE '' END, extend_to = $1,
			updated_at = $2, failure = CASE WHEN failure LIKE $3 THEN '' ELSE failure END
			WHERE miner = $4 AND number IN (`+list+`)`,
			append([]any{expiration, h.now().UnixNano(), kindExtend + ":%", int64(miner)}, args...)...)
		return err
	})
	if err != nil {
		return err
	}
	h.log.Info("sectors to extend", "miner", miner, "sectors", joinNumbers(ns), "expiration", expiration)
	return nil
}

// RemoveSector deletes a sector's sealed file and cache directory from its
// persist store (see SectorFiles), which this process must reach, and
// records it removed. The sector must be terminated on chain (its
// termination landed) or aborted (its files, if it was persisted before
// the abort; not while its prove-commit may still land); any other is a
// conflict, and its files stay. Files already gone are not an error, and
// removing a removed sector does nothing.
func (h *Hub) RemoveSector(ctx context.Context, id SectorID) error {
	var st, life, proofMsg string
	err := h.db.QueryRowContext(ctx, `SELECT state, life, proof_msg FROM hub_sectors WHERE miner = $1 AND number = $2`,
		int64(id.Miner), int64(id.Number)).Scan(&st, &life, &proofMsg)
	if errors.Is(err, sql.ErrNoRows) {
		return rpc.Errorf(rpc.KindNotFound, "sector %s is not on this hub", id)
	} else if err != nil {
		return asRPC(err)
	}
	aborted := State(st) == StateAborted
	switch {
	case Life(life) == LifeRemoved:
		return nil
	case aborted && proofMsg != "":
		out, err := h.MessageOutcome(ctx, proofMsg)
		if err != nil {
			return asRPC(err)
		}
		if !out.Settled() || out.Landed() {
			return rpc.Errorf(rpc.KindConflict, "remove sector %s: it was aborted, but its prove-commit %s is %s: it may be on chain", id, proofMsg, out.State)
		}
	case !aborted:
		if _, err := nextLife(Life(life), lifeRemove); err != nil {
			return rpc.Errorf(rpc.KindConflict, "remove sector %s (%s): %w; its files are kept", id, st, err)
		}
	}
	files, err := h.SectorFiles(ctx, id)
	switch {
	case errors.Is(err, ErrNotPersisted):
		// Aborted before its persist: the hub knows of no files.
	case err != nil:
		return err
	default:
		// A store this process does not reach would look like one whose
		// files are already gone.
		dir := filepath.Dir(filepath.Dir(files.Sealed))
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return rpc.Errorf(rpc.KindTransient, "remove sector %s: this hub does not reach its store at %s (%v); nothing was deleted", id, dir, err)
		}
		if err := os.Remove(files.Sealed); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return asRPC(fmt.Errorf("remove sector %s: %w", id, err))
		}
		if err := os.RemoveAll(files.Cache); err != nil {
			return asRPC(fmt.Errorf("remove sector %s: %w", id, err))
		}
	}
	err = h.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE hub_sectors SET life = $1, updated_at = $2 WHERE miner = $3 AND number = $4 AND (life = $5 OR state = $6)`,
			string(LifeRemoved), h.now().UnixNano(), int64(id.Miner), int64(id.Number), string(LifeTerminated), string(StateAborted))
		return err
	})
	if err != nil {
		return err
	}
	h.log.Info("sector files removed", "sector", id, "state", st, "sealed", files.Sealed, "cache", files.Cache)
	return nil
}

// lifecycle sends and follows the miner's terminations and extensions at
// head (di is the miner's proving deadline there): first it settles the
// messages sent (see settleLife), then it sends, for the sectors that wait,
// those whose deadline may be changed now (see sendLife). It reads the
// chain only when some sector waits. Per-sector anomalies are logged, not
// returned: an error makes the scheduler look at the same head again.
func (p *Proving) lifecycle(ctx context.Context, m Miner, maddr address.Address, head *types.TipSet, di types.DeadlineInfo) error {
	rows, err := p.lifeRows(ctx, m.Actor)
	if err != nil || len(rows) == 0 {
		return err
	}
	if err := p.settleLife(ctx, m, rows); err != nil {
		return fmt.Errorf("settle: %w", err)
	}
	// Again: settling sent some back to wait.
	if rows, err = p.lifeRows(ctx, m.Actor); err != nil {
		return err
	}
	return p.sendLife(ctx, m, maddr, head, di, rows)
}

// lifeRows reads the miner's sectors with a termination or an extension
// in progress.
func (p *Proving) lifeRows(ctx context.Context, miner uint64) ([]lifeRow, error) {
	// The condition is hub_sectors_life_pending's, in literals, so that
	// the (mostly empty) partial index serves it.
	rows, err := p.h.db.QueryContext(ctx, `SELECT `+lifeRowCols+` FROM hub_sectors WHERE miner = $1 AND (life IN ('terminate', 'terminating') OR extend_to > 0) ORDER BY number`,
		int64(miner))
	if err != nil {
		return nil, err
	}
	return scanLifeRows(rows)
}

// settleLife records the outcome of the terminations and extensions sent:
// landed, the sectors are terminated (or extended); failed, they wait to be
// sent again, the attempt counted (see lifeFailure); dropped (another
// message took the nonce), they wait again, the attempt not counted, as
// nothing was refused.
func (p *Proving) settleLife(ctx context.Context, m Miner, rows []lifeRow) error {
	type sent struct{ kind, family string }
	var order []sent
	bySent := map[sent][]lifeRow{}
	for _, r := range rows {
		if r.life == LifeTerminating {
			k := sent{kindTerminate, r.lifeMsg}
			if bySent[k] == nil {
				order = append(order, k)
			}
			bySent[k] = append(bySent[k], r)
		}
		if r.extendMsg != "" {
			k := sent{kindExtend, r.extendMsg}
			if bySent[k] == nil {
				order = append(order, k)
			}
			bySent[k] = append(bySent[k], r)
		}
	}
	var errs []error
	for _, k := range order {
		out, err := p.h.MessageOutcome(ctx, k.family)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s message %s: %w", k.kind, k.family, err))
			continue
		}
		if !out.Settled() {
			continue
		}
		if err := p.settleSent(ctx, m, k.kind, k.family, out, bySent[k]); err != nil {
			errs = append(errs, fmt.Errorf("%s message %s: %w", k.kind, k.family, err))
		}
	}
	return errors.Join(errs...)
}

// settleSent records the settled outcome of one terminate or extend
// message in its sectors.
func (p *Proving) settleSent(ctx context.Context, m Miner, kind, family string, out MessageOutcome, rs []lifeRow) error {
	ev := lifeFailed
	if out.Landed() {
		ev = lifeLanded
	}
	numbers := make([]uint64, len(rs))
	for i, r := range rs {
		numbers[i] = r.number
	}
	var gaveUp []uint64
	err := p.h.tx(ctx, func(tx *sql.Tx) error {
		gaveUp = gaveUp[:0]
		now := p.h.now().UnixNano()
		for _, r := range rs {
			var q string
			args := []any{now, int64(m.Actor), int64(r.number), family}
			failure := r.failure
			switch {
			case out.Landed() && lifeAttempts(failure, kind) > 0:
				failure = "" // the earlier attempts' failure is over
			case out.State == msgFailed:
				attempt := lifeAttempts(r.failure, kind) + 1
				failure = lifeFailure(kind, attempt, fmt.Sprintf("message %s exited with code %d", cmp.Or(out.Exec, family), out.ExitCode))
				if attempt >= maxLifeAttempts {
					gaveUp = append(gaveUp, r.number)
				}
			}
			switch kind {
			case kindTerminate:
				next, err := nextLife(LifeTerminating, ev)
				if err != nil {
					return err
				}
				life := ""
				if next == LifeTerminate {
					life = ", life_msg = ''"
				} else {
					// A terminated sector has nothing left to extend.
					life = ", extend_to = 0, extend_msg = ''"
				}
				q = `UPDATE hub_sectors SET updated_at = $1, life = $5, failure = $6` + life + `
					WHERE miner = $2 AND number = $3 AND life_msg = $4 AND life = $7`
				args = append(args, string(next), failure, string(LifeTerminating))
			case kindExtend:
				q = `UPDATE hub_sectors SET updated_at = $1, extend_msg = '', failure = $5 WHERE miner = $2 AND number = $3 AND extend_msg = $4`
				if ev == lifeLanded {
					q = `UPDATE hub_sectors SET updated_at = $1, extend_to = 0, extend_msg = '', failure = $5 WHERE miner = $2 AND number = $3 AND extend_msg = $4`
				}
				args = append(args, failure)
			default:
				return fmt.Errorf("unknown lifecycle kind %q", kind)
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch {
	case out.Landed():
		p.h.log.Info("sector "+kind+" landed", "miner", m.Actor, "sectors", joinNumbers(numbers), "cid", cmp.Or(out.Exec, family), "height", out.Height)
	case out.State == msgFailed:
		// given_up: failed maxLifeAttempts times, not sent again until
		// the operator asks again; the others are sent again.
		p.h.log.Warn("sector "+kind+" failed on chain", "miner", m.Actor, "sectors", joinNumbers(numbers),
			"cid", cmp.Or(out.Exec, family), "exit", out.ExitCode, "given_up", joinNumbers(gaveUp))
	default:
		p.h.log.Warn("another message took the nonce of a sector "+kind+"; it will be sent again", "miner", m.Actor,
			"sectors", joinNumbers(numbers), "family", family)
	}
	return nil
}

// sectorPlace is a sector's deadline and partition.
type sectorPlace struct{ deadline, partition uint64 }

func comparePlaces(a, b sectorPlace) int {
	return cmp.Or(cmp.Compare(a.deadline, b.deadline), cmp.Compare(a.partition, b.partition))
}

// chainSectors is what the lifecycle reads of some of a miner's sectors at
// one head: their infos (those still on chain) and where they are.
type chainSectors struct {
	info  map[uint64]*types.SectorOnChainInfo
	place map[uint64]sectorPlace
}

// readSectors reads numbers' infos and places at head: the deadlines'
// partitions are read in order until every sector on chain is found.
func (p *Proving) readSectors(ctx context.Context, maddr address.Address, head *types.TipSet, numbers []uint64) (*chainSectors, error) {
	want := bitfield.NewFromSet(numbers)
	infos, err := p.o.Chain.StateMinerSectors(ctx, maddr, &want, head.Key())
	if err != nil {
		return nil, fmt.Errorf("sectors on chain: %w", err)
	}
	cs := &chainSectors{info: map[uint64]*types.SectorOnChainInfo{}, place: map[uint64]sectorPlace{}}
	var left []uint64
	for _, si := range infos {
		if si != nil && want.IsSet(si.SectorNumber) {
			cs.info[si.SectorNumber] = si
			left = append(left, si.SectorNumber)
		}
	}
	if len(left) == 0 {
		return cs, nil
	}
	dls, err := p.o.Chain.StateMinerDeadlines(ctx, maddr, head.Key())
	if err != nil {
		return nil, fmt.Errorf("deadlines: %w", err)
	}
	rest := bitfield.NewFromSet(left)
	for i := range dls {
		if rest.IsEmpty() {
			break
		}
		parts, err := p.o.Chain.StateMinerPartitions(ctx, maddr, uint64(i), head.Key())
		if err != nil {
			return nil, fmt.Errorf("partitions of deadline %d: %w", i, err)
		}
		for j, part := range parts {
			here := bitfield.Intersect(part.AllSectors, rest)
			if here.IsEmpty() {
				continue
			}
			if err := here.ForEach(func(n uint64) error {
				cs.place[n] = sectorPlace{uint64(i), uint64(j)}
				return nil
			}); err != nil {
				return nil, err
			}
			rest = bitfield.Subtract(rest, here)
		}
	}
	return cs, nil
}

// deadlineMutableAt reports whether deadline idx of the miner whose
// proving deadline is di may have sectors terminated or extended at
// epoch: its next occurrence not yet closed at epoch must open more than a
// challenge window later, so neither the open deadline nor the next one
// ever is (the network's deadline_is_mutable; the devnet's
// deadlineMutable).
func deadlineMutableAt(di types.DeadlineInfo, idx uint64, epoch int64) bool {
	pp := di.WPoStProvingPeriod
	if pp <= 0 || idx >= di.WPoStPeriodDeadlines {
		return false
	}
	k := (epoch - di.PeriodStart) / pp
	if (epoch-di.PeriodStart)%pp < 0 {
		k-- // floor: epoch may be before di's period
	}
	dl := types.NewDeadlineInfo(di.PeriodStart+k*pp, idx, epoch, deadlineParams(di)).NextNotElapsed()
	return epoch < dl.Open-di.WPoStChallengeWindow
}

// lifeMutable reports whether a message sent at epoch now may terminate or
// extend sectors of deadline idx: the deadline must be mutable at every
// epoch the message may execute at, from the next one through margin
// epochs later, the time it is given to land. A message sent just before
// the deadline turns immutable would fail, and count as an attempt.
func lifeMutable(di types.DeadlineInfo, idx uint64, now, margin int64) bool {
	for e := now + 1; e <= now+max(margin, 1); e++ {
		if !deadlineMutableAt(di, idx, e) {
			return false
		}
	}
	return true
}

// sendLife sends, for the sectors that wait, the terminations and
// extensions whose deadline may be changed now.
func (p *Proving) sendLife(ctx context.Context, m Miner, maddr address.Address, head *types.TipSet, di types.DeadlineInfo, rows []lifeRow) error {
	var term, ext []lifeRow
	for _, r := range rows {
		switch {
		case r.life == LifeTerminate && r.lifeMsg == "" && lifeAttempts(r.failure, kindTerminate) < maxLifeAttempts:
			term = append(term, r)
		case r.life == LifeLive && r.extendTo > 0 && r.extendMsg == "" && lifeAttempts(r.failure, kindExtend) < maxLifeAttempts:
			ext = append(ext, r)
		}
	}
	if len(term)+len(ext) == 0 {
		return nil
	}
	var numbers []uint64
	for _, r := range slices.Concat(term, ext) {
		numbers = append(numbers, r.number)
	}
	cs, err := p.readSectors(ctx, maddr, head, numbers)
	if err != nil {
		return err
	}
	mutable := map[uint64]bool{}
	ready := func(n uint64) (sectorPlace, bool) {
		pl, ok := cs.place[n]
		if !ok {
			p.h.log.Warn("sector on chain in no partition: its "+kindTerminate+" or "+kindExtend+" waits", "miner", m.Actor, "sector", n)
			return pl, false
		}
		mut, seen := mutable[pl.deadline]
		if !seen {
			mut = lifeMutable(di, pl.deadline, head.Height(), p.margin(di))
			mutable[pl.deadline] = mut
		}
		return pl, mut
	}
	var errs []error
	if err := p.sendTerminations(ctx, m, cs, term, ready); err != nil {
		errs = append(errs, fmt.Errorf("terminate: %w", err))
	}
	if err := p.sendExtensions(ctx, m, cs, ext, ready); err != nil {
		errs = append(errs, fmt.Errorf("extend: %w", err))
	}
	return errors.Join(errs...)
}

// lifeBatch is one message's worth of sectors: their groups (a
// partition, or a partition and an expiration) in order, the sectors of
// each, and all their numbers.
type lifeBatch[K comparable] struct {
	keys    []K
	sectors [][]uint64
	numbers []uint64
}

// batchLife splits the grouped sectors into messages of at most
// maxLifeMsgSectors sectors, the groups in order.
func batchLife[K comparable](groups map[K][]uint64, order func(a, b K) int) []*lifeBatch[K] {
	var out []*lifeBatch[K]
	cur := &lifeBatch[K]{}
	for _, k := range slices.SortedFunc(maps.Keys(groups), order) {
		ns := slices.Sorted(slices.Values(groups[k]))
		for len(ns) > 0 {
			if len(cur.numbers) == maxLifeMsgSectors {
				out, cur = append(out, cur), &lifeBatch[K]{}
			}
			take := ns[:min(maxLifeMsgSectors-len(cur.numbers), len(ns))]
			cur.keys, cur.sectors = append(cur.keys, k), append(cur.sectors, take)
			cur.numbers = append(cur.numbers, take...)
			ns = ns[len(take):]
		}
	}
	if len(cur.numbers) > 0 {
		out = append(out, cur)
	}
	return out
}

// sendTerminations records the sectors that left the chain as terminated
// and sends TerminateSectors for those whose deadline may be changed, one
// declaration per partition.
func (p *Proving) sendTerminations(ctx context.Context, m Miner, cs *chainSectors, rs []lifeRow, ready func(uint64) (sectorPlace, bool)) error {
	var gone []uint64
	groups := map[sectorPlace][]uint64{}
	for _, r := range rs {
		if cs.info[r.number] == nil {
			gone = append(gone, r.number)
			continue
		}
		pl, ok := ready(r.number)
		if !ok {
			continue
		}
		groups[pl] = append(groups[pl], r.number)
	}
	var errs []error
	if len(gone) > 0 {
		if err := p.terminatedOffChain(ctx, m, gone); err != nil {
			errs = append(errs, err)
		}
	}
	for _, b := range batchLife(groups, comparePlaces) {
		var params actors.TerminateSectorsParams
		for i, pl := range b.keys {
			params.Terminations = append(params.Terminations, actors.TerminationDeclaration{Deadline: pl.deadline, Partition: pl.partition,
				Sectors: bitfield.NewFromSet(b.sectors[i])})
		}
		enc, err := actors.EncodeParams(&params)
		if err != nil {
			return err
		}
		if err := p.sendLifeMsg(ctx, m, kindTerminate, actors.MinerTerminateSectors, enc, b.numbers, func(tx *sql.Tx, c cid.Cid, now int64) (int64, error) {
			next, err := nextLife(LifeTerminate, lifeSent)
			if err != nil {
				return 0, err
			}
			list, args := inNumbers(6, b.numbers)
			res, err := tx.ExecContext(ctx, `UPDATE hub_sectors SET life = $1, life_msg = $2, updated_at = $3
				WHERE miner = $4 AND life = $5 AND life_msg = '' AND number IN (`+list+`)`,
				append([]any{string(next), c.String(), now, int64(m.Actor), string(LifeTerminate)}, args...)...)
			if err != nil {
				return 0, err
			}
			return res.RowsAffected()
		}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// terminatedOffChain records as terminated sectors waiting for a
// termination that are no longer on chain: expired, or terminated by a
// message the hub did not send.
func (p *Proving) terminatedOffChain(ctx context.Context, m Miner, numbers []uint64) error {
	next, err := nextLife(LifeTerminate, lifeGone)
	if err != nil {
		return err
	}
	list, args := inNumbers(5, numbers)
	if err := p.h.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE hub_sectors SET life = $1, updated_at = $2, extend_to = 0, extend_msg = ''
			WHERE miner = $3 AND life = $4 AND life_msg = '' AND number IN (`+list+`)`,
			append([]any{string(next), p.h.now().UnixNano(), int64(m.Actor), string(LifeTerminate)}, args...)...)
		return err
	}); err != nil {
		return err
	}
	p.h.log.Info("sectors to terminate are no longer on chain: recorded terminated", "miner", m.Actor, "sectors", joinNumbers(numbers))
	return nil
}

// extKey is an extension's group: a partition and a new expiration.
type extKey struct {
	place sectorPlace
	exp   int64
}

// sendExtensions settles the extensions the chain needs no message for
// and sends ExtendSectorExpiration2 for those whose deadline may be
// changed, one extension per partition and expiration.
func (p *Proving) sendExtensions(ctx context.Context, m Miner, cs *chainSectors, rs []lifeRow, ready func(uint64) (sectorPlace, bool)) error {
	groups := map[extKey][]uint64{}
	var errs []error
	for _, r := range rs {
		si := cs.info[r.number]
		var why string
		switch {
		case si == nil:
			why = "the sector is no longer on chain"
		case si.Expiration > r.extendTo:
			why = fmt.Sprintf("the sector expires at %d, after %d, and an expiration is never shortened", si.Expiration, r.extendTo)
		case si.Expiration == r.extendTo:
			why = "" // done: nothing to send
		default:
			pl, ok := ready(r.number)
			if !ok {
				continue
			}
			k := extKey{pl, r.extendTo}
			groups[k] = append(groups[k], r.number)
			continue
		}
		if err := p.extensionDone(ctx, m, r, why); err != nil {
			errs = append(errs, err)
		}
	}
	order := func(a, b extKey) int { return cmp.Or(comparePlaces(a.place, b.place), cmp.Compare(a.exp, b.exp)) }
	for _, b := range batchLife(groups, order) {
		var params actors.ExtendSectorExpiration2Params
		byExp := map[int64][]uint64{}
		for i, k := range b.keys {
			params.Extensions = append(params.Extensions, actors.ExpirationExtension2{Deadline: k.place.deadline, Partition: k.place.partition,
				Sectors: bitfield.NewFromSet(b.sectors[i]), NewExpiration: k.exp})
			byExp[k.exp] = append(byExp[k.exp], b.sectors[i]...)
		}
		enc, err := actors.EncodeParams(&params)
		if err != nil {
			return err
		}
		if err := p.sendLifeMsg(ctx, m, kindExtend, actors.MinerExtendSectorExpiration2, enc, b.numbers, func(tx *sql.Tx, c cid.Cid, now int64) (int64, error) {
			var n int64
			for exp, ns := range byExp {
				list, args := inNumbers(6, ns)
				res, err := tx.ExecContext(ctx, `UPDATE hub_sectors SET extend_msg = $1, updated_at = $2
					WHERE miner = $3 AND extend_to = $4 AND extend_msg = '' AND life = $5 AND number IN (`+list+`)`,
					append([]any{c.String(), now, int64(m.Actor), exp, string(LifeLive)}, args...)...)
				if err != nil {
					return 0, err
				}
				k, err := res.RowsAffected()
				if err != nil {
					return 0, err
				}
				n += k
			}
			return n, nil
		}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// extensionDone forgets an extension the chain needs no message for: why
// is empty when the sector already expires then, else the failure kept.
func (p *Proving) extensionDone(ctx context.Context, m Miner, r lifeRow, why string) error {
	failure := r.failure
	if why != "" {
		failure = kindExtend + ": " + why
	}
	if err := p.h.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE hub_sectors SET extend_to = 0, failure = $1, updated_at = $2
			WHERE miner = $3 AND number = $4 AND extend_to = $5 AND extend_msg = ''`,
			failure, p.h.now().UnixNano(), int64(m.Actor), int64(r.number), r.extendTo)
		return err
	}); err != nil {
		return err
	}
	if why != "" {
		p.h.log.Warn("sector not extended", "miner", m.Actor, "sector", r.number, "expiration", r.extendTo, "why", why)
	} else {
		p.h.log.Info("sector already expires at the epoch asked", "miner", m.Actor, "sector", r.number, "expiration", r.extendTo)
	}
	return nil
}

// sendLifeMsg sends one terminate or extend message for numbers; mark
// links the sectors to it in the transaction that writes it ahead and
// returns how many it linked: fewer than numbers (another hub process
// sent or changed some meanwhile) rolls the message back unsent. Its
// subject (`hub messages`) is "sectors N,M,...".
func (p *Proving) sendLifeMsg(ctx context.Context, m Miner, kind string, method actors.MethodNum, enc []byte, numbers []uint64,
	mark func(tx *sql.Tx, c cid.Cid, now int64) (int64, error)) error {
	c, err := p.o.Messenger.Send(ctx, m, kind, "sectors "+joinNumbers(numbers), method, enc, big.TokenAmount{Int: big.NewInt(0)},
		func(tx *sql.Tx, c cid.Cid, now int64) error {
			n, err := mark(tx, c, now)
			if err != nil {
				return err
			}
			if n != int64(len(numbers)) {
				return fmt.Errorf("%d of sectors %s no longer wait (changed meanwhile): not sent", int64(len(numbers))-n, joinNumbers(numbers))
			}
			return nil
		})
	if err != nil {
		return fmt.Errorf("send %s of sectors %s: %w", kind, joinNumbers(numbers), err)
	}
	p.h.log.Info("sector "+kind+" sent", "miner", m.Actor, "sectors", joinNumbers(numbers), "cid", c)
	return nil
}
