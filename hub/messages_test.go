package hub_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/chain"
	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/devnet"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/piece"
	ftypes "github.com/strata-sp/strata/fil/types"
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

// TestMessenger_SealsOnDevnet takes two committed-capacity sectors through
// the hub against the devnet: tickets from the chain, real seals with the
// built-in engine, one batched PreCommitSectorBatch2 and one batched
// ProveCommitSectors3 signed through a wallet, seeds from the chain, and
// the sectors active on chain with their CommR. A second hub process on
// the same store (a restart) sends nothing twice.
func TestMessenger_SealsOnDevnet(t *testing.T) {
	ctx := context.Background()
	f := devnettest.New(t)
	c := &clock{t: time.Now()}
	db := enginetest.SQLite(t)
	h, err := hub.New(ctx, hub.Options{DB: db, Tickets: hub.ChainTickets{API: f.API, Lookback: 2}, Lease: time.Hour, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	if err := h.AddMiner(ctx, hub.Miner{Actor: f.Miner, ProofType: proof.StackedDrg2KiBV1_1, Worker: f.Worker}); err != nil {
		t.Fatal(err)
	}
	attachUnreached(t, h, "local")
	pol := devnet.DefaultGenesis().Policy
	newMessenger := func(hh *hub.Hub) *hub.Messenger {
		ms, err := hh.NewMessenger(hub.MessageOptions{Chain: f.API, Signer: func(context.Context, hub.Miner) (wallet.Signer, error) { return f.Signer, nil },
			BatchMax: 2, BatchWait: time.Hour, SectorLifetime: pol.MaxProveCommitDuration + pol.MinSectorExpiration + 100,
			PreCommitChallengeDelay: pol.PreCommitChallengeDelay})
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	ms := newMessenger(h)
	f.Advance(t, 3)

	type sector struct {
		id     hub.SectorID
		sector seal.Sector
		task   stage.SealTask
		ticket hub.Ticket
		commD  [32]byte
		commR  [32]byte
	}
	dir := t.TempDir()
	eng := engine.Local{}
	var ss []*sector
	for range 2 {
		a, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w1"})
		if err != nil || a == nil {
			t.Fatal(a, err)
		}
		s := &sector{id: a.ID}
		d := filepath.Join(dir, a.ID.String())
		s.sector = seal.Sector{Proof: a.ProofType, Miner: a.ID.Miner, Number: a.ID.Number,
			Staged: filepath.Join(d, "staged"), Cache: filepath.Join(d, "cache"), Sealed: filepath.Join(d, "sealed")}
		s.task = stage.SealTask{Sector: s.sector, ParentCache: filepath.Join(dir, "parents")}
		if err := os.MkdirAll(s.sector.Cache, 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := eng.AddPieces(ctx, stage.AddPiecesTask{Staged: s.sector.Staged, SectorSize: piece.PaddedSize(proof.Size2KiB)}); err != nil {
			t.Fatal(err)
		}
		td, err := eng.TreeD(ctx, stage.TreeDTask{Staged: s.sector.Staged, Tree: filepath.Join(s.sector.Cache, seal.TreeDFile)})
		if err != nil {
			t.Fatal(err)
		}
		if s.commD, err = piece.DecodeV1(td.CommD); err != nil {
			t.Fatal(err)
		}
		if s.ticket, err = h.AssignTicket(ctx, "w1", a.ID); err != nil {
			t.Fatal(err)
		}
		var tk [32]byte
		copy(tk[:], s.ticket.Ticket)
		if _, err := eng.PC1(ctx, stage.PC1Task{SealTask: s.task, Ticket: tk, CommD: s.commD}); err != nil {
			t.Fatal(err)
		}
		pc2, err := eng.PC2(ctx, s.task)
		if err != nil {
			t.Fatal(err)
		}
		s.commR = pc2.CommR
		r, err := h.SubmitPreCommit(ctx, "w1", a.ID, hub.PreCommitInfo{CommR: s.commR, CommD: s.commD, Ticket: s.ticket})
		if err != nil || r.Res != hub.Accepted {
			t.Fatalf("SubmitPreCommit: %+v %v", r, err)
		}
		ss = append(ss, s)
	}
	// Both are batched into one message.
	if err := ms.Step(ctx); err != nil {
		t.Fatal(err)
	}
	var msgs int
	_ = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM hub_messages`).Scan(&msgs)
	if msgs != 1 {
		t.Fatalf("%d messages for two pre-commits, want one batch", msgs)
	}
	// A second messenger (as after a restart) sends nothing again.
	if err := newMessenger(h).Step(ctx); err != nil {
		t.Fatal(err)
	}
	stepUntil(t, f, ms, func() bool {
		p, _ := h.PollPreCommitState(ctx, ss[1].id)
		return p.State == hub.OnChainLanded
	})
	maddr, _ := address.NewIDAddress(f.Miner)
	for _, s := range ss {
		pc, err := f.API.StateSectorPreCommitInfo(ctx, maddr, s.id.Number, types.TipSetKey{})
		if err != nil || pc == nil || !pc.Info.SealedCID.Equals(piece.SealedCID(s.commR)) {
			t.Fatalf("pre-commit on chain of %s: %+v %v", s.id, pc, err)
		}
		if r, err := h.SubmitPersisted(ctx, "w1", s.id, "local"); err != nil || r.Res != hub.Accepted {
			t.Fatal(r, err)
		}
	}
	// Seeds, proofs, one prove-commit batch.
	for _, s := range ss {
		var seed hub.SeedResp
		stepUntil(t, f, ms, func() bool {
			var err error
			seed, err = ms.WaitSeed(ctx, "w1", s.id)
			if err != nil {
				t.Fatal(err)
			}
			return !seed.ShouldWait
		})
		var tk, sd [32]byte
		copy(tk[:], s.ticket.Ticket)
		copy(sd[:], seed.Seed.Seed)
		c1, err := eng.C1(ctx, stage.C1Task{SealTask: s.task, Ticket: tk, Seed: sd, CommD: s.commD})
		if err != nil {
			t.Fatal(err)
		}
		c2, err := eng.C2(ctx, c1)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if r, err := h.SubmitProof(ctx, "w1", s.id, c2.Proof); err != nil || r.Res != hub.Accepted {
				t.Fatalf("SubmitProof: %+v %v", r, err)
			}
		}
		if r, _ := h.SubmitProof(ctx, "w1", s.id, append([]byte{1}, c2.Proof...)); r.Res != hub.MismatchedSubmission {
			t.Errorf("another proof: %+v", r)
		}
	}
	stepUntil(t, f, ms, func() bool {
		p, _ := h.PollProofState(ctx, ss[1].id)
		return p.State == hub.OnChainLanded
	})
	for _, s := range ss {
		si, err := f.API.StateSectorGetInfo(ctx, maddr, s.id.Number, types.TipSetKey{})
		if err != nil || si == nil || !si.SealedCID.Equals(piece.SealedCID(s.commR)) {
			t.Fatalf("sector %s on chain: %+v %v", s.id, si, err)
		}
		if err := h.ReportFinalized(ctx, "w1", s.id); err != nil {
			t.Fatal(err)
		}
	}
	_ = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM hub_messages`).Scan(&msgs)
	if msgs != 2 {
		t.Errorf("%d messages, want 2 (one pre-commit and one prove-commit batch)", msgs)
	}
}

func stepUntil(t *testing.T, f *devnettest.Chain, ms *hub.Messenger, cond func() bool) {
	t.Helper()
	for range 40 {
		if err := ms.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
		if cond() {
			return
		}
		f.Advance(t, 1)
	}
	t.Fatalf("condition not reached within 40 epochs; messages: %s", dumpMessages(ms))
}

func dumpMessages(ms *hub.Messenger) string { return ms.Debug(context.Background()) }

// stuckBaseFee is the base fee the devnet is raised to over a message
// pushed at its starting base fee (1 attoFIL): the message, with a fee cap
// of 2 × 1 + its 100,000 premium (the devnet's estimate), stays in the
// pool, never included.
var stuckBaseFee = big.FromAttoFIL(1_000_000)

// syncBuffer is a log sink safe for the hub's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) count(substr string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Count(s.b.String(), substr)
}

// pushSpy is a chain that records pushes, and can stop the hub around the
// first push of a message it has not pushed before, as a kill would:
// before calls cancel and returns without pushing, after pushes then
// cancels.
type pushSpy struct {
	chain.API
	mu            sync.Mutex
	pushed        []cid.Cid
	before, after context.CancelFunc
}

func (p *pushSpy) MpoolPush(ctx context.Context, sm *ftypes.SignedMessage) (cid.Cid, error) {
	sc, err := sm.Cid()
	if err != nil {
		return cid.Undef, err
	}
	p.mu.Lock()
	var before, after context.CancelFunc
	if !slices.ContainsFunc(p.pushed, sc.Equals) {
		before, after = p.before, p.after
		p.before, p.after = nil, nil
	}
	if before == nil {
		p.pushed = append(p.pushed, sc)
	}
	p.mu.Unlock()
	if before != nil {
		before()
		return cid.Undef, context.Canceled
	}
	c, err := p.API.MpoolPush(ctx, sm)
	if after != nil {
		after()
	}
	return c, err
}

// replaceEnv is a devnet and a hub with a miner and sectors submitted for
// pre-commit with a made-up CommR: the miner actor takes any sealed CID
// at pre-commit, and these sectors are never proven.
type replaceEnv struct {
	f    *devnettest.Chain
	db   *store.DB
	h    *hub.Hub
	ids  []hub.SectorID
	logs *syncBuffer
}

func newReplaceEnv(t *testing.T, db *store.DB, sectors int) *replaceEnv {
	t.Helper()
	ctx := context.Background()
	e := &replaceEnv{f: devnettest.New(t), db: db, logs: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h, err := hub.New(ctx, hub.Options{DB: db, Tickets: hub.ChainTickets{API: e.f.API, Lookback: 2}, Lease: time.Hour, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	e.h = h
	if err := h.AddMiner(ctx, hub.Miner{Actor: e.f.Miner, ProofType: proof.StackedDrg2KiBV1_1, Worker: e.f.Worker}); err != nil {
		t.Fatal(err)
	}
	attachUnreached(t, h, "local")
	e.f.Advance(t, 3)
	cc, err := hub.UnsealedCID(proof.StackedDrg2KiBV1_1, nil)
	if err != nil {
		t.Fatal(err)
	}
	commD, err := piece.DecodeV1(cc)
	if err != nil {
		t.Fatal(err)
	}
	for i := range sectors {
		a, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w1"})
		if err != nil || a == nil {
			t.Fatal(a, err)
		}
		tk, err := h.AssignTicket(ctx, "w1", a.ID)
		if err != nil {
			t.Fatal(err)
		}
		commR := [32]byte{0: 0xcc, 1: byte(i + 1)}
		if r, err := h.SubmitPreCommit(ctx, "w1", a.ID, hub.PreCommitInfo{CommR: commR, CommD: commD, Ticket: tk}); err != nil || r.Res != hub.Accepted {
			t.Fatalf("SubmitPreCommit: %+v %v", r, err)
		}
		e.ids = append(e.ids, a.ID)
	}
	return e
}

// messenger returns a messenger sending all the sectors in one message,
// replacing after 3 epochs; edit changes its options.
func (e *replaceEnv) messenger(t *testing.T, api chain.API, edit func(*hub.MessageOptions)) *hub.Messenger {
	t.Helper()
	pol := devnet.DefaultGenesis().Policy
	o := hub.MessageOptions{Chain: api, Signer: func(context.Context, hub.Miner) (wallet.Signer, error) { return e.f.Signer, nil },
		BatchMax: len(e.ids), BatchWait: time.Hour, SectorLifetime: pol.MaxProveCommitDuration + pol.MinSectorExpiration + 100,
		PreCommitChallengeDelay: pol.PreCommitChallengeDelay, ReplaceAfter: 3}
	if edit != nil {
		edit(&o)
	}
	ms, err := e.h.NewMessenger(o)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// hubMessage is a row of hub_messages.
type hubMessage struct {
	cid, family, state, exec string
	nonce, exitCode          int64
	msg                      *ftypes.SignedMessage
}

func (e *replaceEnv) messages(t *testing.T) map[string]hubMessage {
	t.Helper()
	rows, err := e.db.QueryContext(context.Background(), `SELECT cid, family, state, exec_cid, nonce, exit_code, signed FROM hub_messages`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]hubMessage{}
	for rows.Next() {
		var m hubMessage
		var signed []byte
		if err := rows.Scan(&m.cid, &m.family, &m.state, &m.exec, &m.nonce, &m.exitCode, &signed); err != nil {
			t.Fatal(err)
		}
		if m.msg, err = ftypes.DecodeSignedMessage(signed); err != nil {
			t.Fatal(err)
		}
		out[m.cid] = m
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// only returns the one message, failing unless there is exactly one.
func only(t *testing.T, ms map[string]hubMessage) hubMessage {
	t.Helper()
	if len(ms) != 1 {
		t.Fatalf("%d messages, want 1: %v", len(ms), ms)
	}
	for _, m := range ms {
		return m
	}
	panic("unreachable")
}

// family checks that the hub's messages are one family, the original
// and its replacement, and that exec is the one that executed (the other
// replaced); it returns the original and the replacement.
func (e *replaceEnv) family(t *testing.T, want int, exec func(orig, repl hubMessage) hubMessage) (orig, repl hubMessage) {
	t.Helper()
	ms := e.messages(t)
	if len(ms) != want {
		t.Fatalf("%d messages, want %d: %v", len(ms), want, ms)
	}
	for _, m := range ms {
		if m.cid == m.family {
			orig = m
		} else {
			repl = m
		}
	}
	for _, m := range ms {
		if m.family != orig.cid || m.nonce != orig.nonce {
			t.Errorf("message %s: family %s nonce %d, want family %s nonce %d", m.cid, m.family, m.nonce, orig.cid, orig.nonce)
		}
	}
	if repl.cid == "" {
		return orig, repl
	}
	o, r := orig.msg.Message, repl.msg.Message
	if r.To != o.To || r.From != o.From || r.Nonce != o.Nonce || r.Value.Cmp(o.Value) != 0 || r.Method != o.Method || !bytes.Equal(r.Params, o.Params) {
		t.Errorf("the replacement is not the same message: %+v, original %+v", r, o)
	}
	minPremium := o.GasPremium.Mul(big.NewInt(125)).Int.Div(big.NewInt(100)).Add(big.NewInt(1))
	if r.GasPremium.Int.Cmp(minPremium) < 0 {
		t.Errorf("replacement premium %s, want at least %s", r.GasPremium.Int, minPremium)
	}
	if exec != nil {
		x := exec(orig, repl)
		for _, m := range ms {
			st := "replaced"
			if m.cid == x.cid {
				st = "landed"
			}
			if m.state != st || m.exec != x.cid {
				t.Errorf("message %s: %s, executed %q; want %s, executed %s", m.cid, m.state, m.exec, st, x.cid)
			}
		}
		e.onChain(t, orig, x.cid, repl)
	}
	return orig, repl
}

// onChain checks that of the family of orig (with its other members)
// exactly one message executed, exec, and that the sectors are
// pre-committed and point at orig.
func (e *replaceEnv) onChain(t *testing.T, orig hubMessage, exec string, others ...hubMessage) {
	t.Helper()
	ctx := context.Background()
	cids := []string{exec}
	for _, m := range append(others, orig) {
		if m.cid != exec {
			cids = append(cids, m.cid)
		}
	}
	for i, s := range cids {
		c, err := cid.Decode(s)
		if err != nil {
			t.Fatal(err)
		}
		l, err := e.f.API.StateSearchMsg(ctx, types.TipSetKey{}, c, -1, false)
		if err != nil {
			t.Fatal(err)
		}
		if ran := l != nil; ran != (i == 0) || (ran && l.Receipt.ExitCode != 0) {
			t.Errorf("message %s on chain: %+v, want executed %v", s, l, i == 0)
		}
	}
	act, err := e.f.API.StateGetActor(ctx, e.f.Worker, types.TipSetKey{})
	if err != nil || act.Nonce != uint64(orig.nonce)+1 {
		t.Errorf("sender's nonce %+v %v, want %d: one message with nonce %d", act, err, orig.nonce+1, orig.nonce)
	}
	maddr, _ := address.NewIDAddress(e.f.Miner)
	for _, id := range e.ids {
		if p, err := e.h.PollPreCommitState(ctx, id); err != nil || p.State != hub.OnChainLanded {
			t.Errorf("sector %s: %+v %v", id, p, err)
		}
		if pc, err := e.f.API.StateSectorPreCommitInfo(ctx, maddr, id.Number, types.TipSetKey{}); err != nil || pc == nil {
			t.Errorf("sector %s has no pre-commit on chain: %v", id, err)
		}
		var msg string
		if err := e.db.QueryRowContext(ctx, `SELECT precommit_msg FROM hub_sectors WHERE miner = $1 AND number = $2`, int64(id.Miner), int64(id.Number)).Scan(&msg); err != nil || msg != orig.cid {
			t.Errorf("sector %s points at %q %v, want its family %s", id, msg, err, orig.cid)
		}
	}
}

func (e *replaceEnv) landed(ctx context.Context) func() bool {
	return func() bool {
		for _, id := range e.ids {
			if p, _ := e.h.PollPreCommitState(ctx, id); p.State != hub.OnChainLanded {
				return false
			}
		}
		return true
	}
}

func mustStep(t *testing.T, ms *hub.Messenger) {
	t.Helper()
	if err := ms.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestMessenger_ReplacesStuckMessage pushes a pre-commit batch, raises
// the devnet's base fee over its fee cap so that it stays in the pool,
// and checks that the hub waits ReplaceAfter epochs, replaces it (same
// nonce and call, premium ≥ 1.25 × + 1, fee cap over the base fee), that
// the replacement lands alone and settles the sectors, and that
// hub_messages keeps the family.
func TestMessenger_ReplacesStuckMessage(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newReplaceEnv(t, db, 2)
		ms := e.messenger(t, e.f.API, nil)
		mustStep(t, ms)
		orig := only(t, e.messages(t))
		if err := e.f.Node.SetBaseFee(stuckBaseFee); err != nil {
			t.Fatal(err)
		}
		// Pushed at the head's epoch: not replaced while a tipset made
		// within 3 epochs could still include it.
		for range 3 {
			e.f.Advance(t, 1)
			mustStep(t, ms)
		}
		if m := only(t, e.messages(t)); m.state != "pushed" {
			t.Fatalf("stuck message is %s, want pushed; %s", m.state, ms.Debug(ctx))
		}
		stepUntil(t, e.f, ms, e.landed(ctx))
		_, repl := e.family(t, 2, func(_, repl hubMessage) hubMessage { return repl })
		if repl.msg.Message.GasFeeCap.Cmp(stuckBaseFee) < 0 {
			t.Errorf("replacement fee cap %s, below the base fee", repl.msg.Message.GasFeeCap.AttoString())
		}
		c, _ := cid.Decode(orig.cid)
		if l, err := e.f.API.StateSearchMsg(ctx, types.TipSetKey{}, c, -1, true); err != nil || l == nil || l.Message.String() != repl.cid {
			t.Errorf("lookup of the original allowing replacement: %+v %v, want %s", l, err, repl.cid)
		}
		if n := e.logs.count("message replaced"); n != 1 {
			t.Errorf("%d replacements logged, want 1", n)
		}
		// Settled: more epochs replace nothing.
		for range 5 {
			e.f.Advance(t, 1)
			mustStep(t, ms)
		}
		if n := len(e.messages(t)); n != 2 {
			t.Errorf("%d messages after the family settled, want 2", n)
		}
	})
}

// TestMessenger_ReplacementWaitsForMaxFeeCap sends a batch when the base
// fee is above MaxFeeCap: the node refuses it, and no replacement under
// the cap could be included, so the hub warns once and waits. A hub
// restarted with a higher cap replaces it, and the replacement lands.
func TestMessenger_ReplacementWaitsForMaxFeeCap(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newReplaceEnv(t, db, 1)
		if err := e.f.Node.SetBaseFee(stuckBaseFee); err != nil {
			t.Fatal(err)
		}
		ms := e.messenger(t, e.f.API, func(o *hub.MessageOptions) { o.MaxFeeCap = big.FromAttoFIL(500_000) })
		for range 10 {
			mustStep(t, ms)
			e.f.Advance(t, 1)
		}
		if m := only(t, e.messages(t)); m.state != "pushed" || m.msg.Message.GasFeeCap.Cmp(big.FromAttoFIL(500_000)) != 0 {
			t.Fatalf("message %s with fee cap %s, want pushed at the cap", m.state, m.msg.Message.GasFeeCap.AttoString())
		}
		if n := e.logs.count("message stuck and not replaced"); n != 1 {
			t.Errorf("%d warnings, want one for the message; logs:\n%s", n, e.logs.b.String())
		}
		if e.logs.count("is below the base fee") == 0 {
			t.Errorf("the warning does not say the cap is below the base fee")
		}
		// The node's reason shows in the message's row, and is logged once
		// however many times the message is pushed again.
		listed, err := e.h.Messages(ctx, hub.MessageFilter{})
		if err != nil || len(listed) != 1 || !strings.Contains(listed[0].PushError, "gas fee cap too low") {
			t.Errorf("the refused message as listed: %+v, %v", listed, err)
		}
		if n := e.logs.count("the node refused a message;"); n != 1 {
			t.Errorf("%d refusals logged, want 1; logs:\n%s", n, e.logs.b.String())
		}
		if n := e.logs.count("a message pushed again was refused"); n != 0 {
			t.Errorf("%d refusals of the same reason logged again", n)
		}
		raised := e.messenger(t, e.f.API, func(o *hub.MessageOptions) { o.MaxFeeCap = big.FromAttoFIL(5_000_000) })
		stepUntil(t, e.f, raised, e.landed(ctx))
		orig, repl := e.family(t, 2, func(_, repl hubMessage) hubMessage { return repl })
		if repl.msg.Message.GasFeeCap.Cmp(big.FromAttoFIL(5_000_000)) > 0 {
			t.Errorf("replacement fee cap %s above MaxFeeCap", repl.msg.Message.GasFeeCap.AttoString())
		}
		// Settled: the family waits no more, and no refusal is shown.
		listed, err = e.h.Messages(ctx, hub.MessageFilter{})
		if err != nil || len(listed) != 2 {
			t.Fatalf("messages: %+v, %v", listed, err)
		}
		for _, m := range listed {
			if m.PushError != "" {
				t.Errorf("message %s (original %s), %s: push error %q", m.CID, orig.cid, m.State, m.PushError)
			}
		}
	})
}

// TestMessenger_ResumesReplacement stops the hub around the push of a
// replacement (its row written ahead) and starts a second messenger on
// the same store: it pushes that replacement and nothing else, or, when
// the original landed meanwhile, pushes nothing and settles the sectors
// from the original.
func TestMessenger_ResumesReplacement(t *testing.T) {
	for _, tt := range []struct {
		name          string
		afterPush     bool // the kill comes after the push reached the node
		originalLands bool // the base fee falls back before the restart
	}{
		{name: "killed before the push"},
		{name: "killed after the push", afterPush: true},
		{name: "the original lands meanwhile", originalLands: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				e := newReplaceEnv(t, db, 2)
				spy := &pushSpy{API: e.f.API}
				first := e.messenger(t, spy, nil)
				mustStep(t, first)
				if err := e.f.Node.SetBaseFee(stuckBaseFee); err != nil {
					t.Fatal(err)
				}
				for range 3 {
					e.f.Advance(t, 1)
					mustStep(t, first)
				}
				e.f.Advance(t, 1)
				kctx, kill := context.WithCancel(ctx)
				spy.mu.Lock()
				if tt.afterPush {
					spy.after = kill
				} else {
					spy.before = kill
				}
				spy.mu.Unlock()
				if err := first.Step(kctx); err == nil {
					t.Fatal("the killed step reported no error")
				}
				orig, repl := e.family(t, 2, nil)
				if orig.state != "pushed" || repl.state != "signed" {
					t.Fatalf("after the kill: original %s, replacement %s; want pushed and signed", orig.state, repl.state)
				}
				if tt.originalLands {
					if err := e.f.Node.SetBaseFee(big.FromAttoFIL(1)); err != nil {
						t.Fatal(err)
					}
					e.f.Advance(t, 2)
				}
				spy2 := &pushSpy{API: e.f.API}
				second := e.messenger(t, spy2, nil)
				mustStep(t, second)
				switch {
				case tt.originalLands:
					if len(spy2.pushed) != 0 {
						t.Errorf("pushed %v, want nothing: the original landed", spy2.pushed)
					}
					e.family(t, 2, func(orig, _ hubMessage) hubMessage { return orig })
					return
				case len(spy2.pushed) != 1 || spy2.pushed[0].String() != repl.cid:
					t.Fatalf("pushed %v, want only the replacement %s", spy2.pushed, repl.cid)
				}
				stepUntil(t, e.f, second, e.landed(ctx))
				e.family(t, 2, func(_, repl hubMessage) hubMessage { return repl })
			})
		})
	}
}

// TestMessenger_FailedExecutionIsNotReplaced proves a pre-committed
// sector with a bad proof: the prove-commit executes and fails, is
// recorded failed with its exit code, and is neither replaced nor sent
// again however long the hub runs.
func TestMessenger_FailedExecutionIsNotReplaced(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newReplaceEnv(t, db, 1)
		ms := e.messenger(t, e.f.API, func(o *hub.MessageOptions) { o.ReplaceAfter = 1 })
		id := e.ids[0]
		stepUntil(t, e.f, ms, e.landed(ctx))
		if r, err := e.h.SubmitPersisted(ctx, "w1", id, "local"); err != nil || r.Res != hub.Accepted {
			t.Fatal(r, err)
		}
		stepUntil(t, e.f, ms, func() bool {
			s, err := ms.WaitSeed(ctx, "w1", id)
			return err == nil && !s.ShouldWait
		})
		if r, err := e.h.SubmitProof(ctx, "w1", id, bytes.Repeat([]byte{7}, 192)); err != nil || r.Res != hub.Accepted {
			t.Fatal(r, err)
		}
		stepUntil(t, e.f, ms, func() bool {
			p, _ := e.h.PollProofState(ctx, id)
			return p.State == hub.OnChainFailed
		})
		for range 5 {
			e.f.Advance(t, 1)
			mustStep(t, ms)
		}
		ms2 := e.messages(t)
		if len(ms2) != 2 {
			t.Fatalf("%d messages, want the pre-commit and one prove-commit: %s", len(ms2), ms.Debug(ctx))
		}
		for _, m := range ms2 {
			if m.msg.Message.Method == uint64(actors.MinerProveCommitSectors3) && (m.state != "failed" || m.exitCode == 0 || m.exec != m.cid) {
				t.Errorf("prove-commit %s: %s exit %d executed %s; want failed with its exit code", m.cid, m.state, m.exitCode, m.exec)
			}
		}
		if p, _ := e.h.PollProofState(ctx, id); !strings.Contains(p.Desc, "exit code") {
			t.Errorf("proof state %+v does not give the exit code", p)
		}
	})
}

// TestReplacementFees checks the fee rule of a replacement.
func TestReplacementFees(t *testing.T) {
	a := big.FromAttoFIL
	for _, tt := range []struct {
		name                   string
		old, est               hub.Fees
		baseFee, maxFeeCap     big.TokenAmount
		percent                int64
		wantFeeCap, wantPremum big.TokenAmount
		wantErr                string
	}{
		{name: "base fee rose", old: hub.Fees{FeeCap: a(100_002), Premium: a(100_000)}, est: hub.Fees{FeeCap: a(2_100_000), Premium: a(100_000)},
			baseFee: a(1_000_000), percent: 125, wantFeeCap: a(2_100_000), wantPremum: a(125_001)},
		{name: "estimate above the minimum", old: hub.Fees{FeeCap: a(100_002), Premium: a(100_000)}, est: hub.Fees{FeeCap: a(400_000), Premium: a(300_000)},
			baseFee: a(200_000), percent: 125, wantFeeCap: a(500_000), wantPremum: a(300_000)},
		{name: "old fee cap kept", old: hub.Fees{FeeCap: a(5_000_000), Premium: a(100)}, est: hub.Fees{FeeCap: a(300), Premium: a(100)},
			baseFee: a(100), percent: 125, wantFeeCap: a(5_000_000), wantPremum: a(126)},
		{name: "higher ratio", old: hub.Fees{FeeCap: a(1000), Premium: a(100)}, est: hub.Fees{FeeCap: a(300), Premium: a(100)},
			baseFee: a(100), percent: 200, wantFeeCap: a(1000), wantPremum: a(201)},
		{name: "capped, still includable", old: hub.Fees{FeeCap: a(100_002), Premium: a(100_000)}, est: hub.Fees{FeeCap: a(2_100_000), Premium: a(100_000)},
			baseFee: a(1_000_000), maxFeeCap: a(1_050_000), percent: 125, wantFeeCap: a(1_050_000), wantPremum: a(125_001)},
		{name: "capped premium", old: hub.Fees{FeeCap: a(100_002), Premium: a(100_000)}, est: hub.Fees{FeeCap: a(600_000), Premium: a(300_000)},
			baseFee: a(1), maxFeeCap: a(200_000), percent: 125, wantFeeCap: a(200_000), wantPremum: a(200_000)},
		{name: "cap below the base fee", old: hub.Fees{FeeCap: a(100_002), Premium: a(100_000)}, est: hub.Fees{FeeCap: a(2_100_000), Premium: a(100_000)},
			baseFee: a(1_000_000), maxFeeCap: a(500_000), percent: 125, wantErr: "below the base fee"},
		{name: "cap below the premium", old: hub.Fees{FeeCap: a(1_000_000), Premium: a(1_000_000)}, est: hub.Fees{FeeCap: a(1_000_002), Premium: a(100)},
			baseFee: a(1), maxFeeCap: a(1_000_000), percent: 125, wantErr: "below the premium"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := hub.ReplacementFees(tt.old, tt.est, tt.baseFee, tt.maxFeeCap, tt.percent)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("%+v %v, want an error with %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got.FeeCap.Cmp(tt.wantFeeCap) != 0 || got.Premium.Cmp(tt.wantPremum) != 0 {
				t.Fatalf("fee cap %s premium %s (%v), want %s and %s", got.FeeCap.AttoString(), got.Premium.AttoString(), err,
					tt.wantFeeCap.AttoString(), tt.wantPremum.AttoString())
			}
		})
	}
}

// TestMessenger_NonceTakenElsewhere has a message the hub did not sign
// take the nonce of the hub's stuck message: the same call re-sent with
// higher fees (an operator's `lotus mpool replace`) settles the sectors
// from its receipt; a different message drops the hub's, whose sectors
// are then sent again, with the next nonce, and land.
func TestMessenger_NonceTakenElsewhere(t *testing.T) {
	for _, tt := range []struct {
		name   string
		resent bool
	}{
		{name: "the same call re-sent", resent: true},
		{name: "another message"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				e := newReplaceEnv(t, db, 2)
				if !tt.resent {
					// Above MaxFeeCap: the node refuses the hub's message, and
					// its nonce is the next one a new message is given.
					if err := e.f.Node.SetBaseFee(stuckBaseFee); err != nil {
						t.Fatal(err)
					}
				}
				ms := e.messenger(t, e.f.API, func(o *hub.MessageOptions) {
					o.ReplaceAfter, o.MaxFeeCap = -1, big.FromAttoFIL(500_000)
				})
				mustStep(t, ms)
				orig := only(t, e.messages(t))
				var other cid.Cid
				if tt.resent {
					if err := e.f.Node.SetBaseFee(stuckBaseFee); err != nil {
						t.Fatal(err)
					}
					e.f.Advance(t, 2)
					mustStep(t, ms)
					m := orig.msg.Message
					m.GasFeeCap, m.GasPremium = big.FromAttoFIL(3_000_000), big.FromAttoFIL(200_000)
					sm, err := wallet.SignMessage(ctx, e.f.Signer, &m)
					if err != nil {
						t.Fatal(err)
					}
					if other, err = e.f.API.MpoolPush(ctx, sm); err != nil {
						t.Fatal(err)
					}
				} else {
					sm, err := e.f.API.MpoolPushMessage(ctx, &ftypes.Message{From: e.f.Worker, To: e.f.Worker, Value: big.FromAttoFIL(1)}, nil)
					if err != nil {
						t.Fatal(err)
					}
					if sm.Message.Nonce != uint64(orig.nonce) {
						t.Fatalf("the other message has nonce %d, want the hub's %d", sm.Message.Nonce, orig.nonce)
					}
					other, _ = sm.Cid()
					e.f.Advance(t, 2)
					if err := e.f.Node.SetBaseFee(big.FromAttoFIL(1)); err != nil {
						t.Fatal(err)
					}
				}
				stepUntil(t, e.f, ms, e.landed(ctx))
				msgs := e.messages(t)
				first := msgs[orig.cid]
				if tt.resent {
					if len(msgs) != 1 || first.state != "replaced" || first.exec != other.String() || first.exitCode != 0 {
						t.Fatalf("messages %v, want the hub's replaced by %s", msgs, other)
					}
					e.onChain(t, orig, other.String())
					return
				}
				if first.state != "dropped" {
					t.Fatalf("the hub's message is %s, want dropped; %s", first.state, ms.Debug(ctx))
				}
				delete(msgs, orig.cid)
				again := only(t, msgs)
				if again.family != again.cid || again.state != "landed" || again.nonce != orig.nonce+1 {
					t.Fatalf("the sectors' new message: %+v, want landed with nonce %d", again, orig.nonce+1)
				}
				for _, id := range e.ids {
					var msg string
					if err := db.QueryRowContext(ctx, `SELECT precommit_msg FROM hub_sectors WHERE miner = $1 AND number = $2`,
						int64(id.Miner), int64(id.Number)).Scan(&msg); err != nil || msg != again.cid {
						t.Errorf("sector %s points at %q %v, want %s", id, msg, err, again.cid)
					}
				}
			})
		})
	}
}
