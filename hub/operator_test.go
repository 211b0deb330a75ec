package hub_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/store"
	"github.com/strata-sp/strata/store/enginetest"
)

// TestOperator_ListAbortResume: the operator's listing filters, an abort
// that reaches the worker at its next report and poll, and a resume that
// queues a failed pre-commit again and clears a reported failure.
func TestOperator_ListAbortResume(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := &clock{t: time.Unix(1_700_000_000, 0)}
		h := newHub(t, db, clk, &fixedTickets{})
		addMiner(t, h, 1000, 0, 0)
		addMiner(t, h, 1001, 0, 0)
		var ids []hub.SectorID
		for _, w := range []string{"w1", "w1", "w2"} {
			s, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: w})
			if err != nil || s == nil {
				t.Fatal(s, err)
			}
			ids = append(ids, s.ID)
		}
		if err := h.Ping(ctx, hub.WorkerInfo{Name: "w1", Threads: 2, Summary: map[string]int{"running": 2}}); err != nil {
			t.Fatal(err)
		}
		list := func(f hub.SectorFilter) []hub.SectorID {
			t.Helper()
			ss, err := h.Sectors(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []hub.SectorID
			for _, s := range ss {
				out = append(out, s.ID)
			}
			return out
		}
		if got := list(hub.SectorFilter{}); len(got) != 3 {
			t.Errorf("all sectors: %v", got)
		}
		if got := list(hub.SectorFilter{Worker: "w2"}); len(got) != 1 || got[0] != ids[2] {
			t.Errorf("w2's sectors: %v, want %v", got, ids[2])
		}
		if got := list(hub.SectorFilter{Miner: ids[0].Miner}); len(got) != 2 {
			t.Errorf("miner %d's sectors: %v", ids[0].Miner, got)
		}

		// A worker's failure is kept and listed until resumed.
		if _, err := h.ReportState(ctx, ids[1], hub.StateReport{Worker: "w1", Change: hub.StateChange{Prev: "PC1Done", Next: "PC1Done"},
			Failure: &hub.Failure{Level: hub.FailurePermanent, Desc: "disk full"}}); err != nil {
			t.Fatal(err)
		}
		if got := list(hub.SectorFilter{Failed: true}); len(got) != 1 || got[0] != ids[1] {
			t.Errorf("failed sectors: %v, want %v", got, ids[1])
		}
		if s, _ := h.Sector(ctx, ids[1]); !strings.Contains(s.Failure, "disk full") {
			t.Errorf("sector failure = %q", s.Failure)
		}
		did, err := h.ResumeSector(ctx, ids[1])
		if err != nil || !strings.Contains(did, "failure was cleared") {
			t.Errorf("resume: %q, %v", did, err)
		}
		if got := list(hub.SectorFilter{Failed: true}); len(got) != 0 {
			t.Errorf("failed sectors after resume: %v", got)
		}

		// A failed pre-commit is queued again by resume.
		tk, err := h.AssignTicket(ctx, "w1", ids[0])
		if err != nil {
			t.Fatal(err)
		}
		if r, err := h.SubmitPreCommit(ctx, "w1", ids[0], hub.PreCommitInfo{CommR: [32]byte{1}, CommD: ccCommD(t), Ticket: tk}); err != nil || r.Res != hub.Accepted {
			t.Fatal(r, err)
		}
		if _, err := db.ExecContext(ctx, `UPDATE hub_sectors SET precommit_state = 'Failed', precommit_msg = 'bafyfailed', abort_reason = 'exit 16'
			WHERE miner = $1 AND number = $2`, int64(ids[0].Miner), int64(ids[0].Number)); err != nil {
			t.Fatal(err)
		}
		if p, _ := h.PollPreCommitState(ctx, ids[0]); p.State != hub.OnChainFailed {
			t.Errorf("poll of the failed pre-commit: %+v", p)
		}
		if did, err := h.ResumeSector(ctx, ids[0]); err != nil || !strings.Contains(did, "pre-commit will be sent again") {
			t.Errorf("resume of the failed pre-commit: %q, %v", did, err)
		}
		if s, _ := h.Sector(ctx, ids[0]); s.PreCommitState != hub.OnChainPending || s.AbortReason != "" {
			t.Errorf("after resume: %+v", s)
		}
		if p, _ := h.PollPreCommitState(ctx, ids[0]); p.State != hub.OnChainPending {
			t.Errorf("poll after resume: %+v", p)
		}

		// Abort: the worker hears of it at its next report and poll, and
		// the sector leaves the active list.
		if err := h.AbortSector(ctx, ids[0], "bad disk"); err != nil {
			t.Fatal(err)
		}
		if err := h.AbortSector(ctx, ids[0], "again"); err != nil {
			t.Errorf("abort again: %v", err)
		}
		r, err := h.ReportState(ctx, ids[0], hub.StateReport{Worker: "w1", Change: hub.StateChange{Prev: "PCSubmitted", Next: "PCSubmitted"}})
		if err != nil || r.AbortReason != "bad disk" {
			t.Errorf("report after abort: %+v, %v", r, err)
		}
		if p, _ := h.PollPreCommitState(ctx, ids[0]); p.State != hub.OnChainShouldAbort {
			t.Errorf("poll after abort: %+v", p)
		}
		if got := list(hub.SectorFilter{Active: true}); len(got) != 2 {
			t.Errorf("active sectors after the abort: %v", got)
		}
		if _, err := h.ResumeSector(ctx, ids[0]); !errors.Is(err, rpc.ErrConflict) {
			t.Errorf("resume of an aborted sector: %v", err)
		}
		if err := h.AbortSector(ctx, hub.SectorID{Miner: 1000, Number: 99}, ""); !errors.Is(err, rpc.ErrNotFound) {
			t.Errorf("abort of an unknown sector: %v", err)
		}

		ws, err := h.Workers(ctx)
		if err != nil || len(ws) != 1 || ws[0].Name != "w1" || ws[0].Sectors != 1 || !strings.Contains(ws[0].Info, "running=2") {
			t.Errorf("workers: %+v, %v", ws, err)
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO hub_messages (cid, miner, kind, sender, nonce, signed, sectors, state, created_at, updated_at)
			VALUES ('bafy1', 1000, 'precommit', 'f1x', 7, $1, '0,1', 'landed', 1, 2)`, []byte{0}); err != nil {
			t.Fatal(err)
		}
		ms, err := h.Messages(ctx, hub.MessageFilter{Miner: 1000})
		if err != nil || len(ms) != 1 || ms[0].Nonce != 7 || len(ms[0].Sectors) != 2 || ms[0].State != "landed" {
			t.Errorf("messages: %+v, %v", ms, err)
		}
		if ms, _ := h.Messages(ctx, hub.MessageFilter{State: "pushed"}); len(ms) != 0 {
			t.Errorf("pushed messages: %+v", ms)
		}
	})
}
