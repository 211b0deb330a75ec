package hub

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/chain"
	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/proof/engine"
	"github.com/strata-sp/strata/proof/post"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/stage"
	"github.com/strata-sp/strata/rpc"
)

// Kinds of hub_proving rows, and of the messages they send.
const (
	provePoSt       = "post"
	proveCheck      = "check"
	proveFaults     = "faults"
	proveRecoveries = "recoveries"

	kindWindowPoSt = "windowpost"
)

// ProvingOptions configure the hub's WindowPoSt.
type ProvingOptions struct {
	Chain     chain.API
	Messenger *Messenger
	// Prover generates the proofs: engine.Local{} when nil; an
	// engine.Processors with a window_post processor to prove out of
	// process (a dedicated PoSt machine's prover, a SNARK prover).
	Prover engine.Prover
	// CheckChallenges is how many random leaves of each sector the fault
	// check reads and verifies against tree_r_last; zero means 10, as
	// many as a WindowPoSt challenges.
	CheckChallenges int
	// DeclareMargin is how many epochs before a deadline's fault cutoff
	// the hub checks its sectors and declares their faults and
	// recoveries, leaving the messages that long to land; zero means a
	// third of the challenge window, at least 3 (20 epochs, 10 minutes,
	// on mainnet).
	DeclareMargin int64
	// PoStRetries is how many times a partition's WindowPoSt is sent
	// again in the same deadline after its message failed or was
	// dropped; zero means 2.
	PoStRetries int
	// Interval is how often each miner's deadline is looked at; zero
	// means 1 s. Nothing is read from the chain but its head while the
	// head does not change.
	Interval time.Duration
	// Metrics, when set, receives the proving metrics.
	Metrics *ProvingMetrics
}

// Proving proves the hub's miners' sectors in every deadline (the
// WindowPoSt scheduler): for each miner it follows the chain's proving
// deadlines, and
//   - when a deadline opens, draws its challenge, proves the partitions
//     due that no earlier submission proved, leaving out (skipping) the
//     sectors it cannot prove, and submits SubmitWindowedPoSt through the
//     miner's wallet;
//   - before the fault cutoff of the next deadline (DeclareMargin epochs
//     before it), checks the files of that deadline's sectors (see
//     CheckSectors) and declares the bad ones faulty, and the faulty ones
//     whose files are good again recovered, so that faults are on chain
//     before the deadline rather than found by a failed proof, and
//     recovered sectors are proven at it.
//
// What it did is recorded in hub_proving, written with each message, so
// a hub restarted in the middle of a deadline proves the rest and never a
// partition twice. A miner is handled by one goroutine at a time.
type Proving struct {
	h *Hub
	o ProvingOptions

	mu      sync.Mutex
	running map[uint64]bool
	miners  map[uint64]*minerProving
}

// minerProving is what the scheduler knows of a miner between steps.
type minerProving struct {
	height   int64 // the head height last looked at
	deadline types.DeadlineInfo
	faulty   uint64
	recover  uint64
	// provenOpen is the opening epoch of the last deadline whose
	// partitions the chain has all proven, checkedOpen that of the last
	// deadline checked and declared for: nothing is left to do for them.
	provenOpen, checkedOpen int64
	// warnedOpen is the last deadline warned about as left unproven.
	warnedOpen int64
	lastErr    string
	lastErrAt  time.Time
}

// NewProving returns the scheduler for h's miners.
func (h *Hub) NewProving(o ProvingOptions) (*Proving, error) {
	if o.Chain == nil || o.Messenger == nil {
		return nil, errors.New("hub proving: a chain and a messenger are required")
	}
	if o.Prover == nil {
		o.Prover = engine.Local{}
	}
	if o.CheckChallenges <= 0 {
		o.CheckChallenges = 10
	}
	if o.PoStRetries <= 0 {
		o.PoStRetries = 2
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	p := &Proving{h: h, o: o, running: map[uint64]bool{}, miners: map[uint64]*minerProving{}}
	h.proving = p
	return p, nil
}

// Run proves until ctx ends: each miner in a goroutine of its own, so that
// a long proof of one never delays another's deadline.
func (p *Proving) Run(ctx context.Context) {
	t := time.NewTicker(p.o.Interval)
	defer t.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	var miners []Miner
	var read time.Time
	for {
		// The miners are read again once a second, not at every look.
		if now := time.Now(); now.Sub(read) >= time.Second {
			ms, err := p.h.Miners(ctx)
			if err != nil && ctx.Err() == nil {
				p.h.log.Warn("hub proving: miners", "err", err)
			}
			if err == nil {
				miners, read = ms, now
			}
		}
		for _, m := range miners {
			if !m.Enabled || !p.claim(m.Actor) {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer p.release(m.Actor)
				p.stepMiner(ctx, m)
			}()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (p *Proving) claim(miner uint64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running[miner] {
		return false
	}
	p.running[miner] = true
	return true
}

func (p *Proving) release(miner uint64) {
	p.mu.Lock()
	delete(p.running, miner)
	p.mu.Unlock()
}

// Step does one round for every enabled miner, one after the other, and
// returns their errors (for tests and one-shot runs).
func (p *Proving) Step(ctx context.Context) error {
	miners, err := p.h.Miners(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, m := range miners {
		if !m.Enabled || !p.claim(m.Actor) {
			continue
		}
		if err := p.stepMiner(ctx, m); err != nil {
			errs = append(errs, err)
		}
		p.release(m.Actor)
	}
	return errors.Join(errs...)
}

// state returns the miner's record, created on first use.
func (p *Proving) state(miner uint64) *minerProving {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.miners[miner]
	if s == nil {
		s = &minerProving{}
		p.miners[miner] = s
	}
	return s
}

// stepMiner looks at the miner's deadline once the head moved: declares
// for the next deadline, proves the open one.
func (p *Proving) stepMiner(ctx context.Context, m Miner) (err error) {
	st := p.state(m.Actor)
	defer func() {
		p.mu.Lock()
		if err != nil && ctx.Err() == nil {
			st.lastErr, st.lastErrAt = err.Error(), p.h.now()
		}
		p.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			p.h.log.Warn("hub proving", "miner", m.Actor, "err", err)
		}
	}()
	head, err := p.o.Chain.ChainHead(ctx)
	if err != nil {
		return fmt.Errorf("miner f0%d: chain head: %w", m.Actor, err)
	}
	p.mu.Lock()
	same := st.height == head.Height()
	p.mu.Unlock()
	if same {
		return nil
	}
	maddr, err := address.NewIDAddress(m.Actor)
	if err != nil {
		return err
	}
	di, err := p.o.Chain.StateMinerProvingDeadline(ctx, maddr, head.Key())
	if err != nil {
		return fmt.Errorf("miner f0%d: proving deadline: %w", m.Actor, err)
	}
	// The open deadline's proof first: it is the one with a deadline.
	var errs []error
	p.mu.Lock()
	proven := st.provenOpen == di.Open
	p.mu.Unlock()
	if di.PeriodStarted() && di.IsOpen() && !proven {
		if err := p.prove(ctx, m, maddr, head, *di); err != nil {
			errs = append(errs, fmt.Errorf("miner f0%d: deadline %d: %w", m.Actor, di.Index, err))
		}
	}
	if err := p.declare(ctx, m, maddr, head, *di); err != nil {
		errs = append(errs, fmt.Errorf("miner f0%d: declarations: %w", m.Actor, err))
	}
	if err := p.lifecycle(ctx, m, maddr, head, *di); err != nil {
		errs = append(errs, fmt.Errorf("miner f0%d: sector lifecycle: %w", m.Actor, err))
	}
	faults, ferr := p.o.Chain.StateMinerFaults(ctx, maddr, head.Key())
	recov, rerr := p.o.Chain.StateMinerRecoveries(ctx, maddr, head.Key())
	if err := errors.Join(ferr, rerr); err != nil {
		errs = append(errs, fmt.Errorf("miner f0%d: faults: %w", m.Actor, err))
	}
	p.mu.Lock()
	st.deadline = *di
	st.faulty, st.recover = faults.Count(), recov.Count()
	if len(errs) == 0 {
		// Done with this head: the next step waits for the next one.
		st.height = head.Height()
		st.lastErr = ""
	}
	p.mu.Unlock()
	p.o.Metrics.deadline(m.Actor, *di, faults.Count(), recov.Count())
	return errors.Join(errs...)
}

// deadlineParams are the WindowPoSt constants di was computed with.
func deadlineParams(di types.DeadlineInfo) types.DeadlineParams {
	return types.DeadlineParams{PeriodDeadlines: di.WPoStPeriodDeadlines, ProvingPeriod: di.WPoStProvingPeriod,
		ChallengeWindow: di.WPoStChallengeWindow, ChallengeLookback: di.WPoStChallengeLookback, FaultDeclarationCutoff: di.FaultDeclarationCutoff}
}

// upcoming returns the k-th deadline occurrence after di (k ≥ 1), as seen
// at di's epoch.
func upcoming(di types.DeadlineInfo, k uint64) types.DeadlineInfo {
	n := di.WPoStPeriodDeadlines
	next := di.Index + k
	start := di.PeriodStart + int64(next/n)*di.WPoStProvingPeriod
	return types.NewDeadlineInfo(start, next%n, di.CurrentEpoch, deadlineParams(di))
}

// DeclarationTarget returns the deadline occurrence whose faults and
// recoveries the hub declares at di's epoch: the first after the current
// one whose fault cutoff is more than margin epochs away.
func DeclarationTarget(di types.DeadlineInfo, margin int64) types.DeadlineInfo {
	// Within the next period: deadline index k = n would name the
	// current deadline again, which the chain resolves to its current
	// occurrence.
	n := max(di.WPoStPeriodDeadlines, 2)
	for k := uint64(1); ; k++ {
		t := upcoming(di, k)
		if t.FaultCutoff-margin > di.CurrentEpoch || k >= n-1 {
			return t
		}
	}
}

func (p *Proving) margin(di types.DeadlineInfo) int64 {
	if p.o.DeclareMargin > 0 {
		return p.o.DeclareMargin
	}
	return max(3, di.WPoStChallengeWindow/3)
}

// provingRow is a hub_proving row.
type provingRow struct {
	kind, partitions, msg string
}

func (p *Proving) rows(ctx context.Context, miner uint64, open int64) ([]provingRow, error) {
	rows, err := p.h.db.QueryContext(ctx, `SELECT kind, partitions, msg FROM hub_proving WHERE miner = $1 AND open_epoch = $2`, int64(miner), open)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []provingRow
	for rows.Next() {
		var r provingRow
		if err := rows.Scan(&r.kind, &r.partitions, &r.msg); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// record writes a hub_proving row (in tx when not nil).
func (p *Proving) record(ctx context.Context, tx *sql.Tx, miner uint64, dl types.DeadlineInfo, kind, partitions string, sectors int, faults []uint64,
	msg, detail string, took time.Duration, attempt int) error {
	id := fmt.Sprintf("%d/%d/%s/%s/%d", miner, dl.Open, kind, partitions, attempt)
	q := `INSERT INTO hub_proving (id, miner, deadline, open_epoch, kind, partitions, sectors, faults, msg, detail, took_ms, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`
	args := []any{id, int64(miner), int64(dl.Index), dl.Open, kind, partitions, int64(sectors), joinNumbers(faults), msg, detail,
		took.Milliseconds(), p.h.now().UnixNano()}
	var err error
	if tx != nil {
		_, err = tx.ExecContext(ctx, q, args...)
	} else {
		_, err = p.h.db.ExecContext(ctx, q, args...)
	}
	return err
}

func joinNumbers(ns []uint64) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = strconv.FormatUint(n, 10)
	}
	return strings.Join(s, ",")
}

func parseNumbers(s string) ([]uint64, error) {
	if s == "" {
		return nil, nil
	}
	var out []uint64
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("number list %q: %w", s, err)
		}
		out = append(out, n)
	}
	return out, nil
}

// minerEntropy is the CBOR of the miner's address, the entropy of its
// WindowPoSt challenge.
func minerEntropy(maddr address.Address) ([]byte, error) {
	var b bytes.Buffer
	err := maddr.MarshalCBOR(&b)
	return b.Bytes(), err
}

// prove submits the WindowPoSt of the open deadline di's partitions that
// neither the chain nor a pending message of the hub's has proven.
func (p *Proving) prove(ctx context.Context, m Miner, maddr address.Address, head *types.TipSet, di types.DeadlineInfo) error {
	if head.Height() <= di.Challenge {
		return nil // the challenge is not drawn yet
	}
	late := head.Height()+2 > di.Last()
	if late && !p.warnOnce(m.Actor, di.Open) {
		return nil
	}
	done, err := p.rows(ctx, m.Actor, di.Open)
	if err != nil {
		return err
	}
	busy := map[uint64]bool{}
	attempts := map[uint64]int{}
	for _, r := range done {
		if r.kind != provePoSt {
			continue
		}
		parts, err := parseNumbers(r.partitions)
		if err != nil {
			return err
		}
		out, err := p.h.MessageOutcome(ctx, r.msg)
		if err != nil {
			return err
		}
		for _, i := range parts {
			if out.Settled() && !out.Landed() {
				attempts[i]++
			} else {
				busy[i] = true
			}
		}
	}
	dls, err := p.o.Chain.StateMinerDeadlines(ctx, maddr, head.Key())
	if err != nil {
		return err
	}
	if di.Index >= uint64(len(dls)) {
		return fmt.Errorf("the chain lists %d deadlines", len(dls))
	}
	posted := dls[di.Index].PostSubmissions
	parts, err := p.o.Chain.StateMinerPartitions(ctx, maddr, di.Index, head.Key())
	if err != nil {
		return err
	}
	var due []uint64
	allPosted := true
	for i, part := range parts {
		idx := uint64(i)
		if part.LiveSectors.IsEmpty() || posted.IsSet(idx) {
			continue
		}
		allPosted = false
		if busy[idx] {
			continue
		}
		if attempts[idx] > p.o.PoStRetries {
			continue // given up for this deadline: the partition goes faulty
		}
		due = append(due, idx)
	}
	if late {
		// A message pushed now is included at the next epoch at the
		// earliest: too late for this window. The partitions not proven
		// go faulty, and the next check of this deadline recovers them.
		if len(due) > 0 {
			p.missed(m.Actor, di, fmt.Sprintf("partitions %s: the deadline closes before a WindowPoSt could land", joinNumbers(due)))
		}
		return nil
	}
	var gaveUp []uint64
	for i, part := range parts {
		if idx := uint64(i); !part.LiveSectors.IsEmpty() && !posted.IsSet(idx) && !busy[idx] && attempts[idx] > p.o.PoStRetries {
			gaveUp = append(gaveUp, idx)
		}
	}
	if len(gaveUp) > 0 && p.warnOnce(m.Actor, di.Open) {
		p.missed(m.Actor, di, fmt.Sprintf("partitions %s: their WindowPoSt failed %d times", joinNumbers(gaveUp), p.o.PoStRetries+1))
	}
	if allPosted {
		// Every partition is proven on chain: nothing to look at again
		// until the next deadline.
		st := p.state(m.Actor)
		p.mu.Lock()
		st.provenOpen = di.Open
		p.mu.Unlock()
	}
	if len(due) == 0 {
		return nil
	}
	info, err := p.o.Chain.StateMinerInfo(ctx, maddr, head.Key())
	if err != nil {
		return err
	}
	entropy, err := minerEntropy(maddr)
	if err != nil {
		return err
	}
	rnd, err := p.o.Chain.StateGetRandomnessFromBeacon(ctx, types.DSTWindowedPoStChallengeSeed, di.Challenge, entropy, head.Key())
	if err != nil {
		return fmt.Errorf("challenge randomness: %w", err)
	}
	if len(rnd) != 32 {
		return fmt.Errorf("challenge randomness of %d bytes", len(rnd))
	}
	// The chain commit ties the proof to this chain: randomness from
	// tickets at the deadline's opening, which is before the epoch the
	// message executes at.
	commitEpoch := di.Open
	commitRand, err := p.o.Chain.StateGetRandomnessFromTickets(ctx, types.DSTPoStChainCommit, commitEpoch, nil, head.Key())
	if err != nil {
		return fmt.Errorf("chain commit randomness: %w", err)
	}
	// Partitions go together while the proof stays within what one
	// proof holds and, once a proof was too large for one message, in
	// batches of at most half as many partitions as that one had.
	var errs []error
	maxParts := len(due)
	for len(due) > 0 {
		var batch []uint64
		var count uint64
		for len(due) > 0 && len(batch) < maxParts {
			n := parts[due[0]].LiveSectors.Count()
			if len(batch) > 0 && count+n > post.MaxSectors {
				break
			}
			batch, count, due = append(batch, due[0]), count+n, due[1:]
		}
		attempt := 0
		for _, i := range batch {
			attempt = max(attempt, attempts[i])
		}
		if err := p.provePartitions(ctx, m, maddr, di, info, parts, batch, [32]byte(rnd), commitEpoch, commitRand, attempt); err != nil {
			var tooBig errTooBig
			if errors.As(err, &tooBig) && len(batch) > 1 {
				maxParts = len(batch) / 2
				due = append(batch, due...)
				p.h.log.Info("WindowPoSt too large for one message: split", "miner", m.Actor, "partitions", joinNumbers(batch),
					"bytes", tooBig.size, "partitions per message", maxParts)
				continue
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// warnOnce reports whether the deadline opening at open has not been
// warned about yet for the miner, and marks it warned.
func (p *Proving) warnOnce(miner uint64, open int64) bool {
	st := p.state(miner)
	p.mu.Lock()
	defer p.mu.Unlock()
	if st.warnedOpen == open {
		return false
	}
	st.warnedOpen = open
	return true
}

// missed reports partitions of deadline di left unproven: a warning, the
// miner's last error (`hub proving`) and a metric.
func (p *Proving) missed(miner uint64, di types.DeadlineInfo, why string) {
	msg := fmt.Sprintf("deadline %d (opened %d) not fully proven: %s", di.Index, di.Open, why)
	p.h.log.Warn("WindowPoSt missed", "miner", miner, "deadline", di.Index, "open", di.Open, "why", why)
	st := p.state(miner)
	p.mu.Lock()
	st.lastErr, st.lastErrAt = msg, p.h.now()
	p.mu.Unlock()
	p.o.Metrics.postMissed(miner)
}

// errTooBig is a WindowPoSt of several partitions too large for one
// message.
type errTooBig struct{ size int }

func (e errTooBig) Error() string { return fmt.Sprintf("WindowPoSt of %d bytes", e.size) }

// provePartitions proves partitions batch of the deadline di in one
// message.
func (p *Proving) provePartitions(ctx context.Context, m Miner, maddr address.Address, di types.DeadlineInfo, info types.MinerInfo,
	parts []types.Partition, batch []uint64, rnd [32]byte, commitEpoch int64, commitRand []byte, attempt int) error {
	// The proven sectors: live, and not faulty unless declared recovering
	// (as the miner actor counts them), in ascending number.
	var toProve []uint64
	for _, i := range batch {
		part := parts[i]
		set := bitfield.Subtract(part.LiveSectors, bitfield.Subtract(part.FaultySectors, part.RecoveringSectors))
		if err := set.ForEach(func(n uint64) error { toProve = append(toProve, n); return nil }); err != nil {
			return err
		}
	}
	slices.Sort(toProve)
	skipped := map[uint64]string{}
	var sectors []seal.Sector
	for _, n := range toProve {
		f, err := p.h.SectorFiles(ctx, SectorID{m.Actor, n})
		if err != nil {
			if errors.Is(err, ErrNotPersisted) || errors.Is(err, rpc.ErrNotFound) {
				skipped[n] = err.Error()
				continue
			}
			return err
		}
		sectors = append(sectors, f)
	}
	start := p.h.now()
	var out stage.PoStOutput
	var err error
	if len(sectors) > 0 {
		out, err = p.o.Prover.GenerateWindowPoSt(ctx, stage.PoStTask{Proof: info.WindowPoStProofType, Miner: m.Actor,
			Randomness: stage.Bytes32(rnd), Sectors: sectors})
		if err != nil {
			p.o.Metrics.postFailed(m.Actor)
			return fmt.Errorf("generate WindowPoSt of partitions %v: %w", batch, err)
		}
	} else if out.Proof, err = post.Marshal(nil); err != nil {
		return err
	}
	took := p.h.now().Sub(start)
	for _, f := range out.Faults {
		skipped[f.Number] = f.Reason
	}
	var skippedNums []uint64
	for n, why := range skipped {
		skippedNums = append(skippedNums, n)
		p.h.log.Warn("sector skipped in WindowPoSt", "miner", m.Actor, "sector", n, "deadline", di.Index, "why", why)
	}
	slices.Sort(skippedNums)
	params := actors.SubmitWindowedPoStParams{Deadline: di.Index, ChainCommitEpoch: commitEpoch, ChainCommitRand: commitRand,
		Proofs: []types.PoStProof{{PoStProof: info.WindowPoStProofType, ProofBytes: out.Proof}}}
	for _, i := range batch {
		params.Partitions = append(params.Partitions, actors.PoStPartition{Index: i,
			Skipped: bitfield.Intersect(bitfield.NewFromSet(skippedNums), parts[i].LiveSectors)})
	}
	enc, err := actors.EncodeParams(&params)
	if err != nil {
		return err
	}
	if limit := p.o.Messenger.o.MaxParamsBytes; len(enc) > limit {
		if len(batch) > 1 {
			return errTooBig{len(enc)}
		}
		p.o.Metrics.postFailed(m.Actor)
		return fmt.Errorf("the WindowPoSt of partition %d (%d sectors) is %d bytes, over the %d one message carries: prove with a "+
			"processor that makes compact proofs, or use smaller partitions (a devnet's [Chain] PartitionSectors)", batch[0], len(toProve), len(enc), limit)
	}
	proven := len(toProve) - len(skippedNums)
	partitions := joinNumbers(batch)
	desc := fmt.Sprintf("deadline %d (opens %d) partitions %s: %d sectors, %d skipped", di.Index, di.Open, partitions, proven, len(skippedNums))
	c, err := p.o.Messenger.Send(ctx, m, kindWindowPoSt, desc, actors.MinerSubmitWindowedPoSt, enc, big.TokenAmount{},
		func(tx *sql.Tx, c cid.Cid, _ int64) error {
			return p.record(ctx, tx, m.Actor, di, provePoSt, partitions, proven, skippedNums, c.String(), "", took, attempt)
		})
	if err != nil {
		p.o.Metrics.postFailed(m.Actor)
		return fmt.Errorf("submit WindowPoSt of partitions %s: %w", partitions, err)
	}
	p.o.Metrics.postSent(m.Actor, di, proven, len(skippedNums), took)
	p.h.log.Info("WindowPoSt submitted", "miner", m.Actor, "deadline", di.Index, "open", di.Open, "partitions", partitions,
		"sectors", proven, "skipped", len(skippedNums), "took", took, "cid", c)
	return nil
}

// declare checks the sectors of the deadline the hub declares for now
// (DeclarationTarget), once per occurrence, and declares faults and
// recoveries for them.
func (p *Proving) declare(ctx context.Context, m Miner, maddr address.Address, head *types.TipSet, di types.DeadlineInfo) error {
	t := DeclarationTarget(di, p.margin(di))
	st := p.state(m.Actor)
	p.mu.Lock()
	checked := st.checkedOpen == t.Open
	p.mu.Unlock()
	if t.FaultCutoffPassed() || checked {
		return nil
	}
	done, err := p.rows(ctx, m.Actor, t.Open)
	if err != nil {
		return err
	}
	sent := map[string]bool{}
	for _, r := range done {
		sent[r.kind] = true
	}
	if sent[proveCheck] {
		p.mu.Lock()
		st.checkedOpen = t.Open
		p.mu.Unlock()
		return nil
	}
	parts, err := p.o.Chain.StateMinerPartitions(ctx, maddr, t.Index, head.Key())
	if err != nil {
		return err
	}
	start := p.h.now()
	checks, err := p.checkPartitions(ctx, m, maddr, head, t.Index, parts)
	if err != nil {
		return err
	}
	took := p.h.now().Sub(start)
	bad := map[uint64]bool{}
	var badNums []uint64
	for _, c := range checks {
		if !c.OK {
			bad[c.Number] = true
			badNums = append(badNums, c.Number)
		}
	}
	var faults, recoveries []actors.FaultDeclaration
	var nFaults, nRecov []uint64
	for i, part := range parts {
		var fs, rs []uint64
		// Faults: sectors the deadline would prove whose files are bad.
		// Recoveries: faulty sectors not yet declared recovering whose
		// files are good.
		proving := bitfield.Subtract(part.LiveSectors, bitfield.Subtract(part.FaultySectors, part.RecoveringSectors))
		_ = proving.ForEach(func(n uint64) error {
			if bad[n] {
				fs = append(fs, n)
			}
			return nil
		})
		_ = bitfield.Subtract(bitfield.Intersect(part.FaultySectors, part.LiveSectors), part.RecoveringSectors).ForEach(func(n uint64) error {
			if !bad[n] {
				rs = append(rs, n)
			}
			return nil
		})
		if len(fs) > 0 {
			faults = append(faults, actors.FaultDeclaration{Deadline: t.Index, Partition: uint64(i), Sectors: bitfield.NewFromSet(fs)})
			nFaults = append(nFaults, fs...)
		}
		if len(rs) > 0 {
			recoveries = append(recoveries, actors.FaultDeclaration{Deadline: t.Index, Partition: uint64(i), Sectors: bitfield.NewFromSet(rs)})
			nRecov = append(nRecov, rs...)
		}
	}
	// The check took time: a declaration that could no longer land
	// before the cutoff is not sent (the proof at the deadline skips
	// what is bad, and the next occurrence's check recovers the rest).
	if len(faults)+len(recoveries) > 0 {
		now, err := p.o.Chain.ChainHead(ctx)
		if err != nil {
			return err
		}
		if now.Height()+2 > t.FaultCutoff {
			p.h.log.Warn("sector check done too late to declare before the fault cutoff", "miner", m.Actor, "deadline", t.Index,
				"open", t.Open, "cutoff", t.FaultCutoff, "epoch", now.Height(), "faulty", joinNumbers(nFaults), "recovered", joinNumbers(nRecov))
			faults, recoveries = nil, nil
		}
	}
	var errs []error
	if len(faults) > 0 && !sent[proveFaults] {
		enc, err := actors.EncodeParams(&actors.DeclareFaultsParams{Faults: faults})
		if err == nil {
			err = p.sendDeclaration(ctx, m, t, proveFaults, actors.MinerDeclareFaults, enc, nFaults)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("declare faults: %w", err))
		}
	}
	if len(recoveries) > 0 && !sent[proveRecoveries] {
		enc, err := actors.EncodeParams(&actors.DeclareFaultsRecoveredParams{Recoveries: recoveries})
		if err == nil {
			err = p.sendDeclaration(ctx, m, t, proveRecoveries, actors.MinerDeclareFaultsRecovered, enc, nRecov)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("declare recoveries: %w", err))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	p.o.Metrics.checked(m.Actor, len(checks), len(badNums), took)
	if len(badNums) > 0 {
		p.h.log.Warn("sector check found faults", "miner", m.Actor, "deadline", t.Index, "open", t.Open, "sectors", len(checks), "faulty", joinNumbers(badNums))
	}
	if err := p.record(ctx, nil, m.Actor, t, proveCheck, "", len(checks), badNums, "", "", took, 0); err != nil {
		return err
	}
	p.mu.Lock()
	st.checkedOpen = t.Open
	p.mu.Unlock()
	return nil
}

func (p *Proving) sendDeclaration(ctx context.Context, m Miner, t types.DeadlineInfo, kind string, method actors.MethodNum, enc []byte, sectors []uint64) error {
	desc := fmt.Sprintf("deadline %d (opens %d): %d sectors %s", t.Index, t.Open, len(sectors), kind)
	c, err := p.o.Messenger.Send(ctx, m, kind, desc, method, enc, big.TokenAmount{}, func(tx *sql.Tx, c cid.Cid, _ int64) error {
		return p.record(ctx, tx, m.Actor, t, kind, "", len(sectors), sectors, c.String(), "", 0, 0)
	})
	if err != nil {
		return err
	}
	p.o.Metrics.declared(m.Actor, kind, len(sectors))
	p.h.log.Info("declared "+kind, "miner", m.Actor, "deadline", t.Index, "open", t.Open, "sectors", joinNumbers(sectors), "cid", c)
	return nil
}

// SectorCheck is the result of checking one sector's files.
type SectorCheck struct {
	Number              uint64
	Deadline, Partition uint64
	// Faulty and Recovering are the sector's state on chain.
	Faulty, Recovering bool
	OK                 bool
	Reason             string `json:",omitempty"`
}

// checkPartitions checks the files of the live sectors of the deadline's
// partitions.
func (p *Proving) checkPartitions(ctx context.Context, m Miner, maddr address.Address, head *types.TipSet, dl uint64, parts []types.Partition) ([]SectorCheck, error) {
	var all []SectorCheck
	live := bitfield.New()
	for i, part := range parts {
		err := part.LiveSectors.ForEach(func(n uint64) error {
			all = append(all, SectorCheck{Number: n, Deadline: dl, Partition: uint64(i), Faulty: part.FaultySectors.IsSet(n),
				Recovering: part.RecoveringSectors.IsSet(n)})
			return nil
		})
		if err != nil {
			return nil, err
		}
		live = bitfield.Union(live, part.LiveSectors)
	}
	if len(all) == 0 {
		return nil, nil
	}
	onChain, err := p.o.Chain.StateMinerSectors(ctx, maddr, &live, head.Key())
	if err != nil {
		return nil, err
	}
	commRs := map[uint64][32]byte{}
	for _, s := range onChain {
		if r, err := piece.DecodeSealed(s.SealedCID); err == nil {
			commRs[s.SectorNumber] = r
		}
	}
	reasons, err := p.checkSectors(ctx, m, all, commRs)
	if err != nil {
		return nil, err
	}
	for i := range all {
		why, bad := reasons[all[i].Number]
		all[i].OK, all[i].Reason = !bad, why
	}
	return all, nil
}

// checkSectors runs the file check on sectors and returns the reasons of
// those that fail, by number.
func (p *Proving) checkSectors(ctx context.Context, m Miner, sectors []SectorCheck, commRs map[uint64][32]byte) (map[uint64]string, error) {
	reasons := map[uint64]string{}
	var task stage.CheckTask
	task.Challenges = p.o.CheckChallenges
	wpost, err := m.ProofType.WindowPoSt()
	if err != nil {
		return nil, err
	}
	task.Proof = wpost
	// Fresh randomness each time: a damaged leaf is found by some check
	// even when it escapes one.
	if _, err := rand.Read(task.Randomness[:]); err != nil {
		return nil, err
	}
	for _, s := range sectors {
		commR, ok := commRs[s.Number]
		if !ok {
			reasons[s.Number] = "not on chain"
			continue
		}
		f, err := p.h.SectorFiles(ctx, SectorID{m.Actor, s.Number})
		if err != nil {
			if errors.Is(err, ErrNotPersisted) || errors.Is(err, rpc.ErrNotFound) {
				reasons[s.Number] = err.Error()
				continue
			}
			return nil, err
		}
		task.Sectors = append(task.Sectors, stage.CheckSector{Sector: f, CommR: stage.Bytes32(commR)})
	}
	for len(task.Sectors) > 0 {
		chunk := task
		chunk.Sectors = task.Sectors[:min(len(task.Sectors), post.MaxSectors)]
		task.Sectors = task.Sectors[len(chunk.Sectors):]
		out, err := stage.CheckSectors(ctx, chunk)
		if err != nil {
			return nil, err
		}
		for _, f := range out.Faults {
			reasons[f.Number] = f.Reason
		}
	}
	return reasons, nil
}

// CheckMiner checks the files of the miner's live sectors, or of those in
// one deadline when deadline is not nil, as the scheduler does before a
// deadline (`strata hub sectors check`). It declares nothing.
func (p *Proving) CheckMiner(ctx context.Context, miner uint64, deadline *uint64) ([]SectorCheck, error) {
	m, err := p.o.Messenger.miner(ctx, miner)
	if err != nil {
		return nil, rpc.Errorf(rpc.KindNotFound, "%v", err)
	}
	maddr, err := address.NewIDAddress(miner)
	if err != nil {
		return nil, err
	}
	head, err := p.o.Chain.ChainHead(ctx)
	if err != nil {
		return nil, err
	}
	dls, err := p.o.Chain.StateMinerDeadlines(ctx, maddr, head.Key())
	if err != nil {
		return nil, err
	}
	var out []SectorCheck
	for i := range dls {
		if deadline != nil && uint64(i) != *deadline {
			continue
		}
		parts, err := p.o.Chain.StateMinerPartitions(ctx, maddr, uint64(i), head.Key())
		if err != nil {
			return nil, err
		}
		cs, err := p.checkPartitions(ctx, m, maddr, head, uint64(i), parts)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	if deadline != nil && *deadline >= uint64(len(dls)) {
		return nil, rpc.Errorf(rpc.KindInvalid, "deadline %d: the miner has %d", *deadline, len(dls))
	}
	return out, nil
}
