package hub

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
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
	"github.com/strata-sp/strata/fil/piece"
	ftypes "github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/wallet"
)

// Message kinds in hub_messages.
const (
	kindPreCommit   = "precommit"
	kindProveCommit = "provecommit"
)

// SignerFor returns the signer for a miner's messages: by default a
// wallet.Remote over the miner's WalletAPI.
type SignerFor func(ctx context.Context, m Miner) (wallet.Signer, error)

// MessageOptions configure the hub's chain messages.
type MessageOptions struct {
	Chain chain.API
	// Signer returns a miner's signer; nil dials Miner.WalletAPI.
	Signer SignerFor
	// BatchMax is the most sectors per message; BatchWait how long the
	// first sector of a batch may wait for others. Zero: 32 and 30 s.
	BatchMax  int
	BatchWait time.Duration
	// MaxFeeCap caps the gas fee cap per gas unit; zero lets the node
	// estimate without a cap.
	MaxFeeCap big.TokenAmount
	// SectorLifetime is how many epochs after the pre-commit a sector
	// expires (mainnet: 540 days = 1,555,200).
	SectorLifetime int64
	// PreCommitChallengeDelay is the chain's wait between a pre-commit and
	// its seed (mainnet 150; the devnet's is in its [Chain] config).
	PreCommitChallengeDelay int64
	// Interval is how often pending work is looked at; zero means 1 s.
	Interval time.Duration
}

// Messenger sends the hub's pre-commit and prove-commit messages in
// batches per miner, follows them on chain and records the outcome in the
// sectors' states. Run it with Run.
type Messenger struct {
	h *Hub
	o MessageOptions

	mu      sync.Mutex
	signers map[uint64]wallet.Signer
}

// NewMessenger returns a Messenger for h.
func (h *Hub) NewMessenger(o MessageOptions) (*Messenger, error) {
	if o.Chain == nil {
		return nil, errors.New("hub messages: a chain is required")
	}
	if o.BatchMax <= 0 {
		o.BatchMax = 32
	}
	if o.BatchWait <= 0 {
		o.BatchWait = 30 * time.Second
	}
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.SectorLifetime <= 0 {
		o.SectorLifetime = 540 * 2880
	}
	if o.PreCommitChallengeDelay <= 0 {
		o.PreCommitChallengeDelay = 150
	}
	return &Messenger{h: h, o: o, signers: map[uint64]wallet.Signer{}}, nil
}

// Run sends and follows messages until ctx ends.
func (ms *Messenger) Run(ctx context.Context) {
	t := time.NewTicker(ms.o.Interval)
	defer t.Stop()
	for {
		if err := ms.Step(ctx); err != nil && ctx.Err() == nil {
			ms.h.log.Warn("hub messages", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Step does one round: push what was signed but not pushed, follow
// pending messages, and send the batches that are due.
func (ms *Messenger) Step(ctx context.Context) error {
	var errs []error
	if err := ms.follow(ctx); err != nil {
		errs = append(errs, fmt.Errorf("follow messages: %w", err))
	}
	miners, err := ms.h.Miners(ctx)
	if err != nil {
		return err
	}
	for _, m := range miners {
		if err := ms.sendBatch(ctx, m, kindPreCommit); err != nil {
			errs = append(errs, fmt.Errorf("miner f0%d pre-commit: %w", m.Actor, err))
		}
		if err := ms.sendBatch(ctx, m, kindProveCommit); err != nil {
			errs = append(errs, fmt.Errorf("miner f0%d prove-commit: %w", m.Actor, err))
		}
	}
	return errors.Join(errs...)
}

func (ms *Messenger) signer(ctx context.Context, m Miner) (wallet.Signer, error) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if s, ok := ms.signers[m.Actor]; ok {
		return s, nil
	}
	var s wallet.Signer
	if ms.o.Signer != nil {
		var err error
		if s, err = ms.o.Signer(ctx, m); err != nil {
			return nil, err
		}
	} else {
		if m.WalletAPI == "" {
			return nil, fmt.Errorf("miner f0%d has no wallet: hub miners add --wallet-api", m.Actor)
		}
		info, err := rpc.ParseAPIInfo(m.WalletAPI)
		if err != nil {
			return nil, fmt.Errorf("miner f0%d: wallet API info: %w", m.Actor, err)
		}
		var w wallet.WalletStruct
		if _, err := rpc.DialAPIInfo(ctx, info, wallet.Namespace, &w.Internal); err != nil {
			return nil, err
		}
		s = wallet.Remote{API: &w}
	}
	ms.signers[m.Actor] = s
	return s, nil
}

type pendingSector struct {
	number  uint64
	commR   []byte
	commD   []byte
	ticketE int64
	proof   []byte
	since   int64
}

// sendBatch sends one message for the miner's sectors waiting for kind,
// when there are BatchMax of them or the oldest has waited BatchWait.
func (ms *Messenger) sendBatch(ctx context.Context, m Miner, kind string) error {
	state, msgCol := StatePreCommitSubmitted, "precommit_msg"
	if kind == kindProveCommit {
		state, msgCol = StateProofSubmitted, "proof_msg"
	}
	rows, err := ms.h.db.QueryContext(ctx, `SELECT number, comm_r, comm_d, ticket_epoch, proof, updated_at FROM hub_sectors
		WHERE miner = $1 AND state = $2 AND `+msgCol+` = '' ORDER BY updated_at, number`, int64(m.Actor), string(state))
	if err != nil {
		return err
	}
	var ps []pendingSector
	for rows.Next() {
		var p pendingSector
		var n int64
		if err := rows.Scan(&n, &p.commR, &p.commD, &p.ticketE, &p.proof, &p.since); err != nil {
			rows.Close()
			return err
		}
		p.number = uint64(n)
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ps) == 0 {
		return err
	}
	if len(ps) < ms.o.BatchMax && ms.h.now().Sub(time.Unix(0, ps[0].since)) < ms.o.BatchWait {
		return nil
	}
	if len(ps) > ms.o.BatchMax {
		ps = ps[:ms.o.BatchMax]
	}
	maddr, err := address.NewIDAddress(m.Actor)
	if err != nil {
		return err
	}
	head, err := ms.o.Chain.ChainHead(ctx)
	if err != nil {
		return err
	}
	var params []byte
	var method actors.MethodNum
	pledge := big.TokenAmount{Int: big.NewInt(0)}
	if kind == kindPreCommit {
		method = actors.MinerPreCommitSectorBatch2
		var p actors.PreCommitSectorBatch2Params
		for _, s := range ps {
			var r, d [32]byte
			copy(r[:], s.commR)
			copy(d[:], s.commD)
			unsealed := piece.CIDv1(d)
			info := types.SectorPreCommitInfo{SealProof: m.ProofType, SectorNumber: s.number, SealedCID: piece.SealedCID(r),
				SealRandEpoch: s.ticketE, Expiration: head.Height() + ms.o.SectorLifetime, UnsealedCid: &unsealed}
			p.Sectors = append(p.Sectors, info)
			// The deposit is covered by sending the sector's initial
			// pledge; what is left stays in the miner's available balance
			// and pays the pledge at prove-commit.
			v, err := ms.o.Chain.StateMinerInitialPledgeCollateral(ctx, maddr, info, head.Key())
			if err != nil {
				return fmt.Errorf("pledge of sector %d: %w", s.number, err)
			}
			pledge = big.TokenAmount{Int: pledge.Int.Add(v.Int)}
		}
		if params, err = actors.EncodeParams(&p); err != nil {
			return err
		}
	} else {
		method = actors.MinerProveCommitSectors3
		var p actors.ProveCommitSectors3Params
		for _, s := range ps {
			p.SectorActivations = append(p.SectorActivations, actors.SectorActivationManifest{SectorNumber: s.number})
			p.SectorProofs = append(p.SectorProofs, s.proof)
		}
		p.RequireActivationSuccess = true
		if params, err = actors.EncodeParams(&p); err != nil {
			return err
		}
	}
	sgn, err := ms.signer(ctx, m)
	if err != nil {
		return err
	}
	msg := &ftypes.Message{From: m.Worker, To: maddr, Value: pledge, Method: uint64(method), Params: params}
	spec := &types.MessageSendSpec{MaxFee: big.TokenAmount{Int: big.NewInt(0)}}
	est, err := ms.o.Chain.GasEstimateMessageGas(ctx, msg, spec, types.TipSetKey{})
	if err != nil {
		return fmt.Errorf("estimate gas: %w", err)
	}
	msg = est
	if ms.o.MaxFeeCap.Sign() > 0 && msg.GasFeeCap.Int.Cmp(ms.o.MaxFeeCap.Int) > 0 {
		msg.GasFeeCap = ms.o.MaxFeeCap
		if msg.GasPremium.Int.Cmp(msg.GasFeeCap.Int) > 0 {
			msg.GasPremium = msg.GasFeeCap
		}
	}
	if msg.Nonce, err = ms.nextNonce(ctx, m.Worker); err != nil {
		return err
	}
	sm, err := wallet.SignMessage(ctx, sgn, msg)
	if err != nil {
		return err
	}
	c, err := sm.Cid()
	if err != nil {
		return err
	}
	raw, err := sm.Serialize()
	if err != nil {
		return err
	}
	nums := make([]string, len(ps))
	for i, s := range ps {
		nums[i] = strconv.FormatUint(s.number, 10)
	}
	now := ms.h.now().UnixNano()
	// Write ahead: the message and the sectors' link to it are stored
	// before the push, so a crash between the two pushes the same message
	// again rather than building a second one.
	if err := ms.h.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO hub_messages (cid, miner, kind, sender, nonce, signed, sectors, state, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 'signed', $8, $8)`, c.String(), int64(m.Actor), kind, m.Worker.String(), int64(msg.Nonce), raw, strings.Join(nums, ","), now); err != nil {
			return err
		}
		for _, s := range ps {
			if _, err := tx.ExecContext(ctx, `UPDATE hub_sectors SET `+msgCol+` = $1, updated_at = $2 WHERE miner = $3 AND number = $4`,
				c.String(), now, int64(m.Actor), int64(s.number)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	ms.h.log.Info("message signed", "kind", kind, "miner", m.Actor, "sectors", len(ps), "cid", c, "nonce", msg.Nonce)
	return ms.push(ctx, c, sm)
}

// nextNonce is the sender's next nonce: the node's, or past the hub's own
// messages not yet in the node's pool (signed before a crash).
func (ms *Messenger) nextNonce(ctx context.Context, sender address.Address) (uint64, error) {
	n, err := ms.o.Chain.MpoolGetNonce(ctx, sender)
	if err != nil {
		return 0, fmt.Errorf("nonce of %s: %w", sender, err)
	}
	var mine sql.NullInt64
	if err := ms.h.db.QueryRowContext(ctx, `SELECT MAX(nonce) FROM hub_messages WHERE sender = $1 AND state IN ('signed', 'pushed')`,
		sender.String()).Scan(&mine); err != nil {
		return 0, err
	}
	if mine.Valid && uint64(mine.Int64)+1 > n {
		n = uint64(mine.Int64) + 1
	}
	return n, nil
}

func (ms *Messenger) push(ctx context.Context, c cid.Cid, sm *ftypes.SignedMessage) error {
	if _, err := ms.o.Chain.MpoolPush(ctx, sm); err != nil {
		// Already in the pool or already executed: follow finds out.
		ms.h.log.Warn("push", "cid", c, "err", err)
	}
	_, err := ms.h.db.ExecContext(ctx, `UPDATE hub_messages SET state = 'pushed', updated_at = $1 WHERE cid = $2 AND state = 'signed'`,
		ms.h.now().UnixNano(), c.String())
	return err
}

// follow looks up every message not yet settled, pushing again those
// the node does not know, and records the outcome in the sectors.
func (ms *Messenger) follow(ctx context.Context) error {
	rows, err := ms.h.db.QueryContext(ctx, `SELECT cid, miner, kind, signed, sectors, state FROM hub_messages WHERE state IN ('signed', 'pushed') ORDER BY created_at`)
	if err != nil {
		return err
	}
	type msgRow struct {
		cid, kind, sectors, state string
		miner                     int64
		signed                    []byte
	}
	var list []msgRow
	for rows.Next() {
		var r msgRow
		if err := rows.Scan(&r.cid, &r.miner, &r.kind, &r.signed, &r.sectors, &r.state); err != nil {
			rows.Close()
			return err
		}
		list = append(list, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range list {
		c, err := cid.Decode(r.cid)
		if err != nil {
			return err
		}
		l, err := ms.o.Chain.StateSearchMsg(ctx, types.TipSetKey{}, c, -1, true)
		if err != nil {
			return fmt.Errorf("search %s: %w", c, err)
		}
		if l == nil {
			sm, err := ftypes.DecodeSignedMessage(r.signed)
			if err != nil {
				return err
			}
			if r.state == "signed" {
				if err := ms.push(ctx, c, sm); err != nil {
					return err
				}
			} else if _, err := ms.o.Chain.MpoolPush(ctx, sm); err != nil && !strings.Contains(err.Error(), "already") {
				ms.h.log.Debug("re-push", "cid", c, "err", err)
			}
			continue
		}
		if err := ms.settle(ctx, r.cid, r.kind, uint64(r.miner), r.sectors, l); err != nil {
			return err
		}
	}
	return nil
}

// settle records a message's execution in it and its sectors.
func (ms *Messenger) settle(ctx context.Context, c, kind string, miner uint64, sectors string, l *types.MsgLookup) error {
	ok := l.Receipt.ExitCode == 0
	state := "landed"
	if !ok {
		state = "failed"
	}
	onChain, desc := OnChainLanded, ""
	if !ok {
		onChain, desc = OnChainFailed, fmt.Sprintf("message %s failed with exit code %d", c, l.Receipt.ExitCode)
	}
	var numbers []uint64
	for _, s := range strings.Split(sectors, ",") {
		n, err := strconv.ParseUint(s, 10, 63)
		if err != nil {
			return fmt.Errorf("message %s: sector list %q: %w", c, sectors, err)
		}
		numbers = append(numbers, n)
	}
	// A pre-commit's epoch (which fixes its seed) is the chain's, read
	// from the pre-commit itself: the lookup's height is that of the
	// tipset after execution.
	pcEpochs := map[uint64]int64{}
	if kind == kindPreCommit && ok {
		maddr, err := address.NewIDAddress(miner)
		if err != nil {
			return err
		}
		for _, n := range numbers {
			pc, err := ms.o.Chain.StateSectorPreCommitInfo(ctx, maddr, n, l.TipSet)
			if err != nil {
				return fmt.Errorf("pre-commit of sector %d: %w", n, err)
			}
			if pc == nil {
				return fmt.Errorf("message %s landed but sector %d has no pre-commit on chain", c, n)
			}
			pcEpochs[n] = pc.PreCommitEpoch
		}
	}
	now := ms.h.now().UnixNano()
	err := ms.h.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE hub_messages SET state = $1, exit_code = $2, height = $3, updated_at = $4 WHERE cid = $5`,
			state, int64(l.Receipt.ExitCode), l.Height, now, c); err != nil {
			return err
		}
		for _, n := range numbers {
			var q string
			var args []any
			switch {
			case kind == kindPreCommit && ok:
				q = `UPDATE hub_sectors SET state = $1, precommit_state = $2, precommit_epoch = $3, updated_at = $4 WHERE miner = $5 AND number = $6 AND precommit_msg = $7`
				args = []any{string(StatePreCommitLanded), string(onChain), pcEpochs[n], now, int64(miner), int64(n), c}
			case kind == kindPreCommit:
				q = `UPDATE hub_sectors SET precommit_state = $1, abort_reason = $2, updated_at = $3 WHERE miner = $4 AND number = $5 AND precommit_msg = $6`
				args = []any{string(onChain), desc, now, int64(miner), int64(n), c}
			case ok:
				q = `UPDATE hub_sectors SET state = $1, proof_state = $2, updated_at = $3 WHERE miner = $4 AND number = $5 AND proof_msg = $6`
				args = []any{string(StateProofLanded), string(onChain), now, int64(miner), int64(n), c}
			default:
				q = `UPDATE hub_sectors SET proof_state = $1, abort_reason = $2, updated_at = $3 WHERE miner = $4 AND number = $5 AND proof_msg = $6`
				args = []any{string(onChain), desc, now, int64(miner), int64(n), c}
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		ms.h.log.Info("message executed", "kind", kind, "miner", miner, "cid", c, "exit", l.Receipt.ExitCode, "height", l.Height)
	}
	return err
}

// SeedResp answers WaitSeed: wait (for about Delay) or the seed.
type SeedResp struct {
	ShouldWait bool
	Delay      time.Duration
	Seed       *Seed `json:",omitempty"`
}

// Seed is the interactive randomness of a sector's proof.
type Seed struct {
	Seed  []byte
	Epoch int64
}

// WaitSeed returns the sector's seed once the chain has reached its
// epoch (the pre-commit's epoch plus PreCommitChallengeDelay).
func (ms *Messenger) WaitSeed(ctx context.Context, worker string, id SectorID) (SeedResp, error) {
	var pcEpoch int64
	var state State
	if err := ms.h.tx(ctx, func(tx *sql.Tx) error {
		r, err := ms.h.owned(ctx, tx, id, worker)
		if err != nil {
			return err
		}
		state = r.state
		return tx.QueryRowContext(ctx, `SELECT precommit_epoch FROM hub_sectors WHERE miner = $1 AND number = $2`, int64(id.Miner), int64(id.Number)).Scan(&pcEpoch)
	}); err != nil {
		return SeedResp{}, err
	}
	switch state {
	case StatePreCommitLanded, StatePersisted, StateProofSubmitted, StateProofLanded:
	default:
		return SeedResp{}, rpc.Errorf(rpc.KindConflict, "sector %s is %s: its pre-commit has not landed", id, state)
	}
	seedEpoch := pcEpoch + ms.o.PreCommitChallengeDelay
	head, err := ms.o.Chain.ChainHead(ctx)
	if err != nil {
		return SeedResp{}, rpc.Errorf(rpc.KindTransient, "chain head: %w", err)
	}
	if head.Height() <= seedEpoch {
		return SeedResp{ShouldWait: true, Delay: time.Duration(seedEpoch-head.Height()+1) * ms.o.Interval}, nil
	}
	maddr, _ := address.NewIDAddress(id.Miner)
	var entropy bytes.Buffer
	if err := maddr.MarshalCBOR(&entropy); err != nil {
		return SeedResp{}, err
	}
	r, err := ms.o.Chain.StateGetRandomnessFromBeacon(ctx, types.DSTInteractiveSealChallengeSeed, seedEpoch, entropy.Bytes(), head.Key())
	if err != nil {
		return SeedResp{}, rpc.Errorf(rpc.KindTransient, "seed randomness: %w", err)
	}
	return SeedResp{Seed: &Seed{Seed: r, Epoch: seedEpoch}}, nil
}

// SubmitProof records the sector's proof for the hub to prove-commit. It
// is idempotent.
func (h *Hub) SubmitProof(ctx context.Context, worker string, id SectorID, p []byte) (SubmitResp, error) {
	var resp SubmitResp
	err := h.tx(ctx, func(tx *sql.Tx) error {
		r, err := h.owned(ctx, tx, id, worker)
		if err != nil {
			return err
		}
		var have []byte
		if err := tx.QueryRowContext(ctx, `SELECT proof FROM hub_sectors WHERE miner = $1 AND number = $2`, int64(id.Miner), int64(id.Number)).Scan(&have); err != nil {
			return err
		}
		switch {
		case len(p) == 0:
			resp = SubmitResp{Res: Rejected, Desc: "empty proof"}
		case len(have) > 0 && bytes.Equal(have, p):
			resp = SubmitResp{Res: Accepted}
		case len(have) > 0:
			resp = SubmitResp{Res: MismatchedSubmission, Desc: "another proof was submitted for this sector"}
		case r.state != StatePersisted:
			resp = SubmitResp{Res: Rejected, Desc: fmt.Sprintf("the sector is %s; submit its proof once persisted", r.state)}
		default:
			_, err = tx.ExecContext(ctx, `UPDATE hub_sectors SET proof = $1, state = $2, proof_state = $3, updated_at = $4 WHERE miner = $5 AND number = $6`,
				p, string(StateProofSubmitted), string(OnChainPending), h.now().UnixNano(), int64(id.Miner), int64(id.Number))
			resp = SubmitResp{Res: Accepted}
		}
		return err
	})
	return resp, err
}

// PollProofState reports where the sector's prove-commit is.
func (h *Hub) PollProofState(ctx context.Context, id SectorID) (PollResp, error) {
	var resp PollResp
	err := h.tx(ctx, func(tx *sql.Tx) error {
		r, err := getSector(ctx, tx, id)
		if err != nil {
			return err
		}
		var ps string
		if err := tx.QueryRowContext(ctx, `SELECT proof_state FROM hub_sectors WHERE miner = $1 AND number = $2`, int64(id.Miner), int64(id.Number)).Scan(&ps); err != nil {
			return err
		}
		switch {
		case r.state == StateAborted:
			resp = PollResp{State: OnChainShouldAbort, Desc: r.abort}
		case ps == "":
			resp = PollResp{State: OnChainNotFound, Desc: "no proof was submitted"}
		default:
			resp = PollResp{State: OnChainState(ps), Desc: r.abort}
		}
		return nil
	})
	return resp, err
}

// Debug describes the hub's messages and sectors, for tests and logs.
func (ms *Messenger) Debug(ctx context.Context) string {
	var b strings.Builder
	rows, err := ms.h.db.QueryContext(ctx, `SELECT cid, kind, state, exit_code, sectors FROM hub_messages`)
	if err == nil {
		for rows.Next() {
			var c, k, st, secs string
			var code int64
			_ = rows.Scan(&c, &k, &st, &code, &secs)
			fmt.Fprintf(&b, "[%s %s %s exit %d sectors %s] ", k, c, st, code, secs)
		}
		rows.Close()
	}
	rows, err = ms.h.db.QueryContext(ctx, `SELECT number, state, precommit_state, precommit_msg, proof_state, abort_reason FROM hub_sectors`)
	if err == nil {
		for rows.Next() {
			var n int64
			var st, pcs, pcm, ps, ab string
			_ = rows.Scan(&n, &st, &pcs, &pcm, &ps, &ab)
			fmt.Fprintf(&b, "{sector %d %s pc=%s %s proof=%s %s} ", n, st, pcs, pcm, ps, ab)
		}
		rows.Close()
	}
	return b.String()
}
