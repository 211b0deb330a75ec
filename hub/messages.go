package hub

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

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

// Message states in hub_messages. A message is signed (written ahead),
// then pushed, then settled with the rest of its family: landed or failed
// if it executed, replaced if another message with its nonce did (one of
// its family, or the same call sent again with other fees by someone
// else), dropped if a different call took its nonce (its sectors are then
// sent again in a new message).
const (
	msgSigned   = "signed"
	msgPushed   = "pushed"
	msgLanded   = "landed"
	msgFailed   = "failed"
	msgReplaced = "replaced"
	msgDropped  = "dropped"
)

// repushEvery is how many epochs a pending message waits between pushes
// to the node.
const repushEvery = 3

// DefaultMaxParamsBytes bounds the parameters of the hub's messages: the
// whole message's CBOR must stay within the 1 MiB a wallet signs
// (wallet.MaxSignBytes), under the 2 MiB Lotus allows for params.
const DefaultMaxParamsBytes = 1<<20 - 8<<10

// Replacement defaults.
const (
	// DefaultReplaceAfter is how many epochs a pushed message may wait
	// before it is replaced: 5 minutes on mainnet.
	DefaultReplaceAfter = 10
	// MinReplacePremiumPercent is the least premium raise, in percent,
	// that Lotus's message pool accepts for a replacement
	// (ReplaceByFeeRatio, 1.25; the devnet's pool has the same rule).
	MinReplacePremiumPercent = 125
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
	// MaxParamsBytes bounds a message's parameters: batches are cut to
	// fit. Zero means DefaultMaxParamsBytes.
	MaxParamsBytes int
	// Interval is how often pending work is looked at; zero means 1 s.
	Interval time.Duration
	// ReplaceAfter is how many epochs after its push a message may go
	// without being included before the hub replaces it with the same
	// message (nonce, receiver, value, parameters) signed again with
	// higher fees, as Lotus's `mpool replace --auto` does. It counts from
	// the push of the family's newest message; as a message executes in
	// the epoch after the one including it, the replacement comes once
	// ReplaceAfter+1 epochs have passed without its execution. Only the
	// sender's next nonce is replaced: later ones wait behind it. Zero
	// means DefaultReplaceAfter (10 epochs: 5 minutes on mainnet, seconds
	// on a devnet); negative never replaces.
	ReplaceAfter int64
	// ReplacePremiumPercent is the least GasPremium of a replacement, in
	// percent of the premium it replaces, plus 1 attoFIL. Zero, or less
	// than MinReplacePremiumPercent (125, which nodes require), means
	// MinReplacePremiumPercent. The fee cap of a replacement is raised to
	// the node's estimate and to the base fee plus the premium, within
	// MaxFeeCap (see ReplacementFees).
	ReplacePremiumPercent int64
}

// Messenger sends the hub's pre-commit and prove-commit messages in
// batches per miner, follows them on chain, replaces those that stay out
// of it, and records the outcome in the sectors' states. Run it with Run.
//
// A message and its replacements are a family (hub_messages.family, the
// first message's CID, which its sectors keep pointing at): they share a
// nonce, so at most one executes, and whichever does settles the sectors.
type Messenger struct {
	h *Hub
	o MessageOptions

	// sendMu makes numbering, signing and writing a message one step.
	sendMu sync.Mutex

	mu      sync.Mutex
	signers map[uint64]wallet.Signer
	// warned is, by family, the message last warned about as stuck but
	// not replaceable, so that the warning is logged once per message.
	warned map[string]string
	// repushed is, by message, the height it was last pushed again at.
	repushed map[string]int64
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
	if o.MaxParamsBytes <= 0 {
		o.MaxParamsBytes = DefaultMaxParamsBytes
	}
	if o.SectorLifetime <= 0 {
		o.SectorLifetime = 540 * 2880
	}
	if o.PreCommitChallengeDelay <= 0 {
		o.PreCommitChallengeDelay = 150
	}
	if o.ReplaceAfter == 0 {
		o.ReplaceAfter = DefaultReplaceAfter
	}
	if o.ReplacePremiumPercent < MinReplacePremiumPercent {
		o.ReplacePremiumPercent = MinReplacePremiumPercent
	}
	return &Messenger{h: h, o: o, signers: map[uint64]wallet.Signer{}, warned: map[string]string{},
		repushed: map[string]int64{}}, nil
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
// pending messages (settling or replacing them), and send the batches
// that are due.
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
	if kind == kindProveCommit {
		// The proofs (vanilla ones are ~19 KB per 2 KiB sector) must fit
		// in one message's params; the rest wait for the next message.
		total := 0
		for i, s := range ps {
			if total += len(s.proof) + 128; total > ms.o.MaxParamsBytes && i > 0 {
				ps = ps[:i]
				break
			}
		}
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
			info := types.SectorPreCommitInfo{SealProof: m.ProofType, SectorNumber: s.number, SealedCID: piece.SealedCID(r),
				SealRandEpoch: s.ticketE, Expiration: head.Height() + ms.o.SectorLifetime}
			deals, err := sectorDeals(ctx, ms.h.db, SectorID{m.Actor, s.number})
			if err != nil {
				return err
			}
			// A committed-capacity sector declares no unsealed CID, as
			// Lotus and Curio send it; one with data declares its CommD.
			if len(deals) > 0 {
				unsealed := piece.CIDv1(d)
				info.UnsealedCid = &unsealed
			}
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
			// The pieces are activated without a deal or an allocation
			// (direct data onboarding); the miner actor checks that they
			// give the pre-committed CommD.
			deals, err := sectorDeals(ctx, ms.h.db, SectorID{m.Actor, s.number})
			if err != nil {
				return err
			}
			a := actors.SectorActivationManifest{SectorNumber: s.number}
			for _, d := range deals {
				a.Pieces = append(a.Pieces, actors.PieceActivationManifest{CID: d.CID, Size: uint64(d.Size)})
			}
			p.SectorActivations = append(p.SectorActivations, a)
			p.SectorProofs = append(p.SectorProofs, s.proof)
		}
		p.RequireActivationSuccess = true
		if params, err = actors.EncodeParams(&p); err != nil {
			return err
		}
	}
	nums := make([]string, len(ps))
	for i, s := range ps {
		nums[i] = strconv.FormatUint(s.number, 10)
	}
	msg := &ftypes.Message{From: m.Worker, To: maddr, Value: pledge, Method: uint64(method), Params: params}
	// Write ahead: the sectors' link to the message is stored with it,
	// before the push, so a crash between the two pushes the same message
	// again rather than building a second one.
	_, err = ms.send(ctx, m, kind, strings.Join(nums, ","), msg, head.Height(), func(tx *sql.Tx, c cid.Cid, now int64) error {
		for _, s := range ps {
			if _, err := tx.ExecContext(ctx, `UPDATE hub_sectors SET `+msgCol+` = $1, updated_at = $2 WHERE miner = $3 AND number = $4`,
				c.String(), now, int64(m.Actor), int64(s.number)); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// Send signs one message of the miner's (kind names it in hub_messages:
// windowpost, faults, recoveries, terminate, extend), writes it ahead,
// pushes it, and follows it like the sealing batches: it is pushed again
// after a crash and replaced when it stays out of the chain. Its outcome
// is read with MessageOutcome. desc is stored as the message's subject
// (shown by `hub messages`); record, when not nil, runs in the transaction
// that writes the message ahead, so the caller's own record of it and the
// message are stored together or not at all. Send returns the message's
// CID, which is also its family's.
func (ms *Messenger) Send(ctx context.Context, m Miner, kind, desc string, method actors.MethodNum, params []byte, value big.TokenAmount,
	record func(tx *sql.Tx, c cid.Cid, now int64) error) (cid.Cid, error) {
	switch kind {
	case kindPreCommit, kindProveCommit:
		return cid.Undef, fmt.Errorf("hub messages: %s messages are sent in batches, not with Send", kind)
	}
	maddr, err := address.NewIDAddress(m.Actor)
	if err != nil {
		return cid.Undef, err
	}
	head, err := ms.o.Chain.ChainHead(ctx)
	if err != nil {
		return cid.Undef, err
	}
	msg := &ftypes.Message{From: m.Worker, To: maddr, Value: value, Method: uint64(method), Params: params}
	return ms.send(ctx, m, kind, desc, msg, head.Height(), record)
}

// send estimates gas for msg, takes the sender's next nonce, signs it
// with the miner's signer, writes it ahead (with record) and pushes it.
// One message at a time is numbered and written, so that two senders in
// this process never take the same nonce.
func (ms *Messenger) send(ctx context.Context, m Miner, kind, subject string, msg *ftypes.Message, epoch int64,
	record func(tx *sql.Tx, c cid.Cid, now int64) error) (cid.Cid, error) {
	sgn, err := ms.signer(ctx, m)
	if err != nil {
		return cid.Undef, err
	}
	spec := &types.MessageSendSpec{MaxFee: big.TokenAmount{Int: big.NewInt(0)}}
	est, err := ms.o.Chain.GasEstimateMessageGas(ctx, msg, spec, types.TipSetKey{})
	if err != nil {
		return cid.Undef, fmt.Errorf("estimate gas: %w", err)
	}
	msg = est
	if ms.o.MaxFeeCap.Sign() > 0 && msg.GasFeeCap.Int.Cmp(ms.o.MaxFeeCap.Int) > 0 {
		msg.GasFeeCap = ms.o.MaxFeeCap
		if msg.GasPremium.Int.Cmp(msg.GasFeeCap.Int) > 0 {
			msg.GasPremium = msg.GasFeeCap
		}
	}
	ms.sendMu.Lock()
	defer ms.sendMu.Unlock()
	if msg.Nonce, err = ms.nextNonce(ctx, m.Worker); err != nil {
		return cid.Undef, err
	}
	sm, err := wallet.SignMessage(ctx, sgn, msg)
	if err != nil {
		return cid.Undef, err
	}
	c, err := sm.Cid()
	if err != nil {
		return cid.Undef, err
	}
	raw, err := sm.Serialize()
	if err != nil {
		return cid.Undef, err
	}
	now := ms.h.now().UnixNano()
	if err := ms.h.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO hub_messages (cid, family, miner, kind, sender, nonce, signed, sectors, state, created_at, updated_at)
			VALUES ($1, $1, $2, $3, $4, $5, $6, $7, 'signed', $8, $8)`, c.String(), int64(m.Actor), kind, m.Worker.String(), int64(msg.Nonce), raw, subject, now); err != nil {
			return err
		}
		if record != nil {
			return record(tx, c, now)
		}
		return nil
	}); err != nil {
		return cid.Undef, err
	}
	ms.h.log.Info("message signed", "kind", kind, "miner", m.Actor, "subject", subject, "cid", c, "nonce", msg.Nonce)
	return c, ms.push(ctx, c, sm, epoch)
}

// MessageOutcome is where a message sent by the hub is.
type MessageOutcome struct {
	// State is signed or pushed while it waits, then landed or failed
	// once it (or a replacement) executed, dropped when another message
	// took its nonce.
	State    string
	ExitCode int64
	Height   int64
	// Exec is the CID that executed (a replacement's, possibly).
	Exec string
}

// Settled reports whether the message will not change any more.
func (o MessageOutcome) Settled() bool {
	return o.State == msgLanded || o.State == msgFailed || o.State == msgDropped || o.State == msgReplaced
}

// Landed reports whether the message executed successfully.
func (o MessageOutcome) Landed() bool { return o.State == msgLanded }

// MessageOutcome returns the outcome of the message family (the CID Send
// returned): its executed member's when settled.
func (h *Hub) MessageOutcome(ctx context.Context, family string) (MessageOutcome, error) {
	rows, err := h.db.QueryContext(ctx, `SELECT state, exit_code, height, exec_cid FROM hub_messages WHERE family = $1`, family)
	if err != nil {
		return MessageOutcome{}, err
	}
	defer rows.Close()
	var out MessageOutcome
	found := false
	for rows.Next() {
		var o MessageOutcome
		if err := rows.Scan(&o.State, &o.ExitCode, &o.Height, &o.Exec); err != nil {
			return MessageOutcome{}, err
		}
		// The executed member decides; a family settled by a message the
		// hub did not sign is all replaced (or dropped).
		if !found || o.State == msgLanded || o.State == msgFailed || (out.State != msgLanded && out.State != msgFailed && o.Settled()) {
			out = o
		}
		found = true
	}
	if err := rows.Err(); err != nil {
		return MessageOutcome{}, err
	}
	if !found {
		return MessageOutcome{}, rpc.Errorf(rpc.KindNotFound, "no message %s", family)
	}
	if out.State == msgReplaced {
		// Another message with the same call took the nonce: it executed.
		if out.ExitCode == 0 {
			out.State = msgLanded
		} else {
			out.State = msgFailed
		}
	}
	return out, nil
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

// push pushes a signed message and records it pushed at epoch, from which
// its wait in the pool is counted. A failed push is recorded as well, with
// the node's reason: follow pushes the message again until it executes,
// and replaces it if it stays out of the chain.
func (ms *Messenger) push(ctx context.Context, c cid.Cid, sm *ftypes.SignedMessage, epoch int64) error {
	refused := ""
	if _, err := ms.o.Chain.MpoolPush(ctx, sm); err != nil && !pushedBefore(err) {
		refused = pushErrorText(err)
		ms.h.log.Warn("the node refused a message; it keeps its nonce and is pushed again (or replaced) until it executes",
			"cid", c, "nonce", sm.Message.Nonce, "err", err)
	}
	_, err := ms.h.db.ExecContext(ctx, `UPDATE hub_messages SET state = $1, pushed_epoch = $2, push_error = $3, updated_at = $4 WHERE cid = $5 AND state = $6`,
		msgPushed, epoch, refused, ms.h.now().UnixNano(), c.String(), msgSigned)
	return err
}

// pushedBefore reports whether a push failed only because the node
// already has this very message in its pool (Lotus: "already in mpool";
// the devnet: "already exists"), not because a message of the same nonce
// is there with a premium this one does not outbid (Lotus: "already in
// mpool, increase GasPremium ... to trigger replace by fee").
func pushedBefore(err error) bool {
	s := err.Error()
	return strings.Contains(s, "already") && !strings.Contains(s, "GasPremium") && !strings.Contains(s, "replace by fee")
}

// sameReason reports whether two refusals give the same reason, whatever
// the numbers in them (a base fee, a balance) that move between pushes.
func sameReason(a, b string) bool {
	strip := func(s string) string {
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return -1
			}
			return r
		}, s)
	}
	return (a == "") == (b == "") && strip(a) == strip(b)
}

// maxPushError bounds the refusal text kept for a message.
const maxPushError = 512

func pushErrorText(err error) string {
	t := strings.ToValidUTF8(err.Error(), "?")
	if len(t) > maxPushError {
		n := maxPushError
		for n > 0 && !utf8.RuneStart(t[n]) {
			n--
		}
		t = t[:n]
	}
	if t == "" {
		t = "refused"
	}
	return t
}

// rePush pushes a pushed message again and records a change in the
// node's answer: a re-push refused again for the same reason (numbers
// aside) is neither logged nor written again.
func (ms *Messenger) rePush(ctx context.Context, m *msgRow) error {
	refused := ""
	if _, err := ms.o.Chain.MpoolPush(ctx, m.sm); err != nil && !pushedBefore(err) {
		refused = pushErrorText(err)
	}
	if sameReason(refused, m.pushError) {
		return nil
	}
	if refused != "" {
		ms.h.log.Warn("a message pushed again was refused for another reason", "cid", m.cid, "nonce", m.sm.Message.Nonce, "err", refused)
	}
	_, err := ms.h.db.ExecContext(ctx, `UPDATE hub_messages SET push_error = $1, updated_at = $2 WHERE cid = $3 AND state = $4`,
		refused, ms.h.now().UnixNano(), m.cid, msgPushed)
	return err
}

// msgRow is a message not yet settled.
type msgRow struct {
	cid                   string
	c                     cid.Cid
	sm                    *ftypes.SignedMessage
	family, kind, sectors string
	state                 string
	miner, pushedEpoch    int64
	pushError             string // why the node last refused it
}

// family is a message and its replacements: one sender, one nonce, so at
// most one of them executes. Its sectors point at the first message.
type family struct {
	id string
	// members are by premium, which each replacement raises: the last
	// is the newest, whatever the clock says.
	members []*msgRow
}

func (f *family) has(c string) bool {
	for _, m := range f.members {
		if m.cid == c {
			return true
		}
	}
	return false
}

func (f *family) newest() *msgRow { return f.members[len(f.members)-1] }

// follow looks at every family of messages not yet settled: it settles
// the family once one of its messages, or another with its nonce, has
// executed; otherwise it pushes the newest message (again: the node may
// have dropped it) and replaces it once it has waited ReplaceAfter epochs.
func (ms *Messenger) follow(ctx context.Context) error {
	rows, err := ms.h.db.QueryContext(ctx, `SELECT cid, family, miner, kind, signed, sectors, state, pushed_epoch, push_error FROM hub_messages
		WHERE state IN ($1, $2) ORDER BY created_at, cid`, msgSigned, msgPushed)
	if err != nil {
		return err
	}
	var fams []*family
	byID := map[string]*family{}
	for rows.Next() {
		r := &msgRow{}
		var signed []byte
		if err := rows.Scan(&r.cid, &r.family, &r.miner, &r.kind, &signed, &r.sectors, &r.state, &r.pushedEpoch, &r.pushError); err != nil {
			rows.Close()
			return err
		}
		if r.c, err = cid.Decode(r.cid); err != nil {
			rows.Close()
			return fmt.Errorf("message %s: %w", r.cid, err)
		}
		if r.sm, err = ftypes.DecodeSignedMessage(signed); err != nil {
			rows.Close()
			return fmt.Errorf("message %s: %w", r.cid, err)
		}
		if r.family == "" {
			r.family = r.cid
		}
		f := byID[r.family]
		if f == nil {
			f = &family{id: r.family}
			byID[r.family] = f
			fams = append(fams, f)
		}
		f.members = append(f.members, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(fams) == 0 {
		return err
	}
	head, err := ms.o.Chain.ChainHead(ctx)
	if err != nil {
		return err
	}
	senders := map[address.Address]*types.Actor{}
	var errs []error
	for _, f := range fams {
		sort.SliceStable(f.members, func(i, j int) bool {
			return f.members[i].sm.Message.GasPremium.Cmp(f.members[j].sm.Message.GasPremium) < 0
		})
		if err := ms.followFamily(ctx, head, f, senders); err != nil {
			errs = append(errs, fmt.Errorf("message %s: %w", f.id, err))
		}
	}
	return errors.Join(errs...)
}

func (ms *Messenger) followFamily(ctx context.Context, head *types.TipSet, f *family, senders map[address.Address]*types.Actor) error {
	newest := f.newest()
	from, nonce := newest.sm.Message.From, newest.sm.Message.Nonce
	// The sender's nonce is read before the lookups, at the same tipset:
	// when it is past the family's, the message that took the nonce had
	// executed before they ran, so they find it if it is one of ours.
	act, ok := senders[from]
	if !ok {
		var err error
		if act, err = ms.o.Chain.StateGetActor(ctx, from, head.Key()); err != nil {
			return fmt.Errorf("sender %s: %w", from, err)
		}
		senders[from] = act
	}
	var lookupErr error
	for _, m := range f.members {
		// Allowing replacement, a lookup of any member finds whichever
		// message took the nonce (on Lotus, even one the hub did not sign).
		l, err := ms.o.Chain.StateSearchMsg(ctx, head.Key(), m.c, -1, true)
		if err != nil {
			// A node may not know a message it refused; the other members
			// and the sender's nonce decide.
			lookupErr = err
			continue
		}
		if l != nil {
			return ms.executed(ctx, f, l)
		}
	}
	if act.Nonce > nonce {
		if lookupErr != nil {
			return fmt.Errorf("nonce %d was taken on chain, and a lookup failed: %w", nonce, lookupErr)
		}
		return ms.drop(ctx, f, "")
	}
	switch {
	case newest.state == msgSigned:
		// Written ahead but not pushed (the hub stopped in between): push
		// it, and nothing else this round.
		return ms.push(ctx, newest.c, newest.sm, head.Height())
	case newest.pushedEpoch < 0:
		// Pushed before the hub recorded push epochs: count from now.
		_, err := ms.h.db.ExecContext(ctx, `UPDATE hub_messages SET pushed_epoch = $1 WHERE cid = $2 AND pushed_epoch < 0`, head.Height(), newest.cid)
		return err
	}
	// Pushed again (a node may have dropped it) every repushEvery
	// epochs, not at every look: a message carrying proofs is hundreds
	// of KB.
	ms.mu.Lock()
	last := max(ms.repushed[newest.cid], newest.pushedEpoch)
	due := head.Height()-last >= repushEvery
	if due {
		ms.repushed[newest.cid] = head.Height()
	}
	ms.mu.Unlock()
	if due {
		if err := ms.rePush(ctx, newest); err != nil {
			return err
		}
	}
	// Only the sender's next nonce is replaced: a later one waits behind
	// it, and a higher premium would not help it. A message is found once
	// the tipset after the one including it is made: one included in the
	// ReplaceAfter-th epoch after the push is found an epoch later.
	if ms.o.ReplaceAfter < 0 || nonce != act.Nonce || head.Height()-newest.pushedEpoch <= ms.o.ReplaceAfter {
		return nil
	}
	return ms.replace(ctx, head, f, act)
}

// executed settles a family from the lookup of the message that took its
// nonce.
func (ms *Messenger) executed(ctx context.Context, f *family, l *types.MsgLookup) error {
	exec := l.Message.String()
	if !f.has(exec) {
		// A message the hub did not sign took the nonce. The same call with
		// other fees (an operator's `lotus mpool replace`) settles the
		// sectors; any other leaves them to be sent again.
		m, err := ms.o.Chain.ChainGetMessage(ctx, l.Message)
		if err != nil {
			return fmt.Errorf("message %s that took nonce %d: %w", l.Message, f.newest().sm.Message.Nonce, err)
		}
		if !sameCall(&f.members[0].sm.Message, m) {
			return ms.drop(ctx, f, exec)
		}
	}
	return ms.settle(ctx, f, exec, l)
}

// sameCall says whether a and b are one call with the same nonce, the
// fees aside.
func sameCall(a, b *ftypes.Message) bool {
	return a.To == b.To && a.Nonce == b.Nonce && a.Value.Cmp(b.Value) == 0 && a.Method == b.Method && bytes.Equal(a.Params, b.Params)
}

// Fees are a message's gas prices, per gas unit.
type Fees struct {
	FeeCap, Premium big.TokenAmount
}

// ReplacementFees returns the fees that replace a message sent with old,
// when the node now estimates est for it and the base fee is baseFee. The
// premium is at least old's × percent/100 + 1 attoFIL (with percent 125,
// Lotus's ComputeMinRBF, the least a node takes) and at least the
// estimate's. The fee cap is the largest of the estimate's, the base fee
// plus the premium, and old's, so that a block includes the replacement
// now. A positive maxFeeCap caps the fee cap, and the premium with it;
// when the cap is below the premium a node requires or below the base
// fee, no replacement would be taken into a block, and the error says
// why: the operator's signal to raise MaxFeeCap.
func ReplacementFees(old, est Fees, baseFee, maxFeeCap big.TokenAmount, percent int64) (Fees, error) {
	minPremium := big.TokenAmount{Int: old.Premium.Int.Mul(big.NewInt(percent)).Div(big.NewInt(100)).Add(big.NewInt(1))}
	premium := maxAmount(minPremium, est.Premium)
	feeCap := maxAmount(est.FeeCap, baseFee.Add(premium), old.FeeCap)
	if maxFeeCap.Sign() > 0 && feeCap.Cmp(maxFeeCap) > 0 {
		feeCap = maxFeeCap
		switch {
		case feeCap.Cmp(minPremium) < 0:
			return Fees{}, fmt.Errorf("MaxFeeCap %s is below the premium a replacement needs, %s", maxFeeCap.AttoString(), minPremium.AttoString())
		case feeCap.Cmp(baseFee) < 0:
			return Fees{}, fmt.Errorf("MaxFeeCap %s is below the base fee %s", maxFeeCap.AttoString(), baseFee.AttoString())
		}
		if premium.Cmp(feeCap) > 0 {
			premium = feeCap
		}
	}
	return Fees{FeeCap: feeCap, Premium: premium}, nil
}

func maxAmount(v big.TokenAmount, more ...big.TokenAmount) big.TokenAmount {
	for _, w := range more {
		if w.Cmp(v) > 0 {
			v = w
		}
	}
	return v
}

// replace signs the family's message again with the fees of
// ReplacementFees, writes it ahead into the family and pushes it. When no
// useful replacement can be made it warns, once per message, and the
// family keeps waiting.
func (ms *Messenger) replace(ctx context.Context, head *types.TipSet, f *family, act *types.Actor) error {
	newest := f.newest()
	old := newest.sm.Message
	probe := old
	zero := big.TokenAmount{Int: big.NewInt(0)}
	probe.GasFeeCap, probe.GasPremium, probe.GasLimit = zero, zero, 0
	est, err := ms.o.Chain.GasEstimateMessageGas(ctx, &probe, &types.MessageSendSpec{MaxFee: zero}, types.TipSetKey{})
	if err != nil {
		// Lotus fails an estimate when the message would fail (a ticket
		// grown too old, say). Such a message is replaced all the same,
		// with its gas limit and fees from the base fee: executed, it is
		// recorded failed and frees the sender's later messages, which it
		// would hold back for ever if left stuck.
		ms.h.log.Debug("estimate gas of a replacement", "cid", newest.cid, "err", err)
		est = &probe
	}
	fees, err := ReplacementFees(Fees{FeeCap: old.GasFeeCap, Premium: old.GasPremium}, Fees{FeeCap: est.GasFeeCap, Premium: est.GasPremium},
		head.ParentBaseFee(), ms.o.MaxFeeCap, ms.o.ReplacePremiumPercent)
	msg := old
	msg.GasLimit = max(old.GasLimit, est.GasLimit)
	msg.GasFeeCap, msg.GasPremium = fees.FeeCap, fees.Premium
	if err == nil {
		if need := msg.Value.Add(msg.GasFeeCap.Mul(big.NewInt(msg.GasLimit))); act.Balance.Cmp(need) < 0 {
			err = fmt.Errorf("the sender's balance %s does not cover the %s a replacement may cost", act.Balance.AttoString(), need.AttoString())
		}
	}
	waited := head.Height() - newest.pushedEpoch
	if err != nil {
		ms.warnOnce(f.id, newest.cid, "message stuck and not replaced", "cid", newest.cid, "family", f.id, "nonce", old.Nonce,
			"epochs", waited, "fee_cap", old.GasFeeCap.AttoString(), "base_fee", head.ParentBaseFee().AttoString(), "why", err)
		return nil
	}
	m, err := ms.miner(ctx, uint64(newest.miner))
	if err != nil {
		return err
	}
	sgn, err := ms.signer(ctx, m)
	if err != nil {
		return err
	}
	sm, err := wallet.SignMessage(ctx, sgn, &msg)
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
	// Written ahead like any message: a hub stopped before the push
	// pushes this one when it starts again, never a new one. Unless the
	// family is still as it was read: another hub process on the store
	// may have replaced or settled it meanwhile.
	now := ms.h.now().UnixNano()
	current := false
	if err := ms.h.tx(ctx, func(tx *sql.Tx) error {
		var all, pushed int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(CASE WHEN state = $1 THEN 1 END) FROM hub_messages WHERE family = $2`,
			msgPushed, f.id).Scan(&all, &pushed); err != nil {
			return err
		}
		if current = all == len(f.members) && pushed == all; !current {
			return nil
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO hub_messages (cid, family, miner, kind, sender, nonce, signed, sectors, state, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)`, c.String(), f.id, newest.miner, newest.kind, msg.From.String(), int64(msg.Nonce), raw,
			newest.sectors, msgSigned, now)
		return err
	}); err != nil || !current {
		return err
	}
	ms.h.log.Info("message replaced", "kind", newest.kind, "miner", newest.miner, "cid", c, "replaces", newest.cid, "family", f.id,
		"nonce", msg.Nonce, "epochs", waited, "premium", msg.GasPremium.AttoString(), "fee_cap", msg.GasFeeCap.AttoString())
	return ms.push(ctx, c, sm, head.Height())
}

// miner returns the hub's miner with actor ID id.
func (ms *Messenger) miner(ctx context.Context, id uint64) (Miner, error) {
	miners, err := ms.h.Miners(ctx)
	if err != nil {
		return Miner{}, err
	}
	for _, m := range miners {
		if m.Actor == id {
			return m, nil
		}
	}
	return Miner{}, fmt.Errorf("miner f0%d is not on this hub", id)
}

// warnOnce logs a warning about a family's message unless it was the
// last one warned about.
func (ms *Messenger) warnOnce(fam, msgCID, text string, args ...any) {
	ms.mu.Lock()
	seen := ms.warned[fam] == msgCID
	ms.warned[fam] = msgCID
	ms.mu.Unlock()
	if !seen {
		ms.h.log.Warn(text, args...)
	}
}

func (ms *Messenger) forget(fam string) {
	ms.mu.Lock()
	delete(ms.warned, fam)
	ms.mu.Unlock()
}

// forgetPushes drops the re-push records of a settled family's messages.
func (ms *Messenger) forgetPushes(f *family) {
	ms.mu.Lock()
	for _, m := range f.members {
		delete(ms.repushed, m.cid)
	}
	ms.mu.Unlock()
}

// sealingKind says whether messages of kind carry sector batches whose
// sectors point at them.
func sealingKind(kind string) bool { return kind == kindPreCommit || kind == kindProveCommit }

func msgColumn(kind string) string {
	if kind == kindProveCommit {
		return "proof_msg"
	}
	return "precommit_msg"
}

// drop settles a family whose nonce a different message took (exec, when
// known): none of its messages can execute any more, so its sectors are
// released to be sent again in a new message.
func (ms *Messenger) drop(ctx context.Context, f *family, exec string) error {
	first := f.members[0]
	now := ms.h.now().UnixNano()
	if err := ms.h.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE hub_messages SET state = $1, exec_cid = $2, updated_at = $3 WHERE family = $4 AND state IN ($5, $6)`,
			msgDropped, exec, now, f.id, msgSigned, msgPushed); err != nil {
			return err
		}
		if !sealingKind(first.kind) {
			return nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE hub_sectors SET `+msgColumn(first.kind)+` = '', updated_at = $1 WHERE miner = $2 AND `+msgColumn(first.kind)+` = $3`,
			now, first.miner, f.id)
		return err
	}); err != nil {
		return err
	}
	ms.forget(f.id)
	ms.forgetPushes(f)
	what := "its sectors will be sent again"
	if !sealingKind(first.kind) {
		what = "its sender is told (a WindowPoSt or declaration is sent again while there is time)"
	}
	ms.h.log.Warn("another message took the nonce of the hub's message: "+what, "kind", first.kind, "miner", first.miner,
		"family", f.id, "nonce", first.sm.Message.Nonce, "taken_by", exec, "sectors", first.sectors)
	return nil
}

// settle records the execution of exec, which took the family's nonce, in
// the family's messages and its sectors: exec landed or failed, the
// others were replaced.
func (ms *Messenger) settle(ctx context.Context, f *family, exec string, l *types.MsgLookup) error {
	first := f.members[0]
	kind, miner, sectors := first.kind, uint64(first.miner), first.sectors
	ok := l.Receipt.ExitCode == 0
	state := msgLanded
	if !ok {
		state = msgFailed
	}
	onChain, desc := OnChainLanded, ""
	if !ok {
		onChain, desc = OnChainFailed, fmt.Sprintf("message %s failed with exit code %d", exec, l.Receipt.ExitCode)
	}
	var numbers []uint64
	for _, s := range strings.Split(sectors, ",") {
		if !sealingKind(kind) {
			// Proving and lifecycle messages: their senders read the
			// outcome with MessageOutcome.
			break
		}
		n, err := strconv.ParseUint(s, 10, 63)
		if err != nil {
			return fmt.Errorf("sector list %q: %w", sectors, err)
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
				return fmt.Errorf("%s landed but sector %d has no pre-commit on chain", exec, n)
			}
			pcEpochs[n] = pc.PreCommitEpoch
		}
	}
	now := ms.h.now().UnixNano()
	msgCol := msgColumn(kind)
	err := ms.h.tx(ctx, func(tx *sql.Tx) error {
		// exec when it is a member (not when someone else re-sent the
		// call), then the others.
		if _, err := tx.ExecContext(ctx, `UPDATE hub_messages SET state = $1, exit_code = $2, height = $3, exec_cid = $4, updated_at = $5
			WHERE cid = $4 AND family = $6 AND state IN ($7, $8)`, state, int64(l.Receipt.ExitCode), l.Height, exec, now, f.id, msgSigned, msgPushed); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE hub_messages SET state = $1, exit_code = $2, height = $3, exec_cid = $4, updated_at = $5
			WHERE family = $6 AND state IN ($7, $8)`, msgReplaced, int64(l.Receipt.ExitCode), l.Height, exec, now, f.id, msgSigned, msgPushed); err != nil {
			return err
		}
		for _, n := range numbers {
			var q string
			var args []any
			switch {
			case kind == kindPreCommit && ok:
				q = `UPDATE hub_sectors SET state = $1, precommit_state = $2, precommit_epoch = $3, updated_at = $4 WHERE miner = $5 AND number = $6 AND ` + msgCol + ` = $7`
				args = []any{string(StatePreCommitLanded), string(onChain), pcEpochs[n], now, int64(miner), int64(n), f.id}
			case kind == kindPreCommit:
				q = `UPDATE hub_sectors SET precommit_state = $1, abort_reason = $2, updated_at = $3 WHERE miner = $4 AND number = $5 AND ` + msgCol + ` = $6`
				args = []any{string(onChain), desc, now, int64(miner), int64(n), f.id}
			case ok:
				if _, err := tx.ExecContext(ctx, `UPDATE hub_pieces SET state = $1, updated_at = $2 WHERE sector_miner = $3 AND sector_number = $4`,
					string(PieceSealed), now, int64(miner), int64(n)); err != nil {
					return err
				}
				q = `UPDATE hub_sectors SET state = $1, proof_state = $2, updated_at = $3 WHERE miner = $4 AND number = $5 AND ` + msgCol + ` = $6`
				args = []any{string(StateProofLanded), string(onChain), now, int64(miner), int64(n), f.id}
			default:
				q = `UPDATE hub_sectors SET proof_state = $1, abort_reason = $2, updated_at = $3 WHERE miner = $4 AND number = $5 AND ` + msgCol + ` = $6`
				args = []any{string(onChain), desc, now, int64(miner), int64(n), f.id}
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		ms.forget(f.id)
		ms.forgetPushes(f)
		ms.h.log.Info("message executed", "kind", kind, "miner", miner, "cid", exec, "family", f.id, "replacements", len(f.members)-1,
			"exit", l.Receipt.ExitCode, "height", l.Height)
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
	// One read, no transaction: workers poll often.
	var st, ps, abort string
	err := h.db.QueryRowContext(ctx, `SELECT state, proof_state, abort_reason FROM hub_sectors WHERE miner = $1 AND number = $2`,
		int64(id.Miner), int64(id.Number)).Scan(&st, &ps, &abort)
	if errors.Is(err, sql.ErrNoRows) {
		return PollResp{}, rpc.Errorf(rpc.KindNotFound, "sector %s is not on this hub", id)
	} else if err != nil {
		return PollResp{}, asRPC(err)
	}
	switch {
	case State(st) == StateAborted:
		return PollResp{State: OnChainShouldAbort, Desc: abort}, nil
	case ps == "":
		return PollResp{State: OnChainNotFound, Desc: "no proof was submitted"}, nil
	}
	return PollResp{State: OnChainState(ps), Desc: abort}, nil
}

// Debug describes the hub's messages and sectors, for tests and logs.
func (ms *Messenger) Debug(ctx context.Context) string {
	var b strings.Builder
	rows, err := ms.h.db.QueryContext(ctx, `SELECT cid, family, kind, state, exit_code, sectors, exec_cid FROM hub_messages ORDER BY created_at, cid`)
	if err == nil {
		for rows.Next() {
			var c, fam, k, st, secs, exec string
			var code int64
			_ = rows.Scan(&c, &fam, &k, &st, &code, &secs, &exec)
			fmt.Fprintf(&b, "[%s %s family %s %s exit %d sectors %s exec %s] ", k, c, fam, st, code, secs, exec)
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
