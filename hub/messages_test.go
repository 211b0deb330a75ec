package hub_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/strata-sp/strata/chain/devnet"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/internal/devnettest"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/engine"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/stage"
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
