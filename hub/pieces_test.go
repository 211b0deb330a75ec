package hub_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/fil/commp"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/store"
	"github.com/strata-sp/strata/store/enginetest"
)

// pieceOf returns the piece CID v1, padded size and payload of n random
// bytes.
func pieceOf(t testing.TB, n int) (cid.Cid, piece.PaddedSize, []byte) {
	t.Helper()
	data := make([]byte, n)
	rand.Read(data)
	h := commp.New(commp.Options{Workers: 1})
	h.Write(data)
	c, size, err := h.Sum()
	if err != nil {
		t.Fatal(err)
	}
	return c, piece.PaddedSize(size), data
}

func TestPieces_AddRefusesBadSpecs(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := newHub(t, db, &clock{t: time.Unix(1_700_000_000, 0)}, nil)
		addMiner(t, h, 1000, 0, 0)
		c, size, _ := pieceOf(t, 1000)
		v2, err := piece.ToV2(c, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			spec hub.PieceSpec
			want string
		}{
			{"no CID", hub.PieceSpec{Source: "/x"}, "no CID"},
			{"not a piece CID", hub.PieceSpec{CID: piece.SealedCID([32]byte{1}), Size: 1024, Source: "/x"}, "not a piece CID"},
			{"v1 without a size", hub.PieceSpec{CID: c, Source: "/x"}, "size"},
			{"size not a power of two", hub.PieceSpec{CID: c, Size: 1000, Source: "/x"}, "size"},
			{"payload larger than the piece", hub.PieceSpec{CID: c, Size: 1024, PayloadSize: 1017, Source: "/x"}, "do not fit"},
			{"v2 with another size", hub.PieceSpec{CID: v2, Size: 2048, Source: "/x"}, "not 2048"},
			{"v2 with another payload", hub.PieceSpec{CID: v2, PayloadSize: 999, Source: "/x"}, "not 999"},
			{"no source", hub.PieceSpec{CID: c, Size: size}, "no source"},
			{"source with a newline", hub.PieceSpec{CID: c, Size: size, Source: "/x\n/y"}, "control characters"},
			{"source too long", hub.PieceSpec{CID: c, Size: size, Source: "/" + strings.Repeat("x", hub.MaxSourceLen)}, "limit"},
			{"unknown miner", hub.PieceSpec{CID: c, Size: size, Source: "/x", Miner: 7}, "not on this hub"},
			{"larger than the miner's sectors", hub.PieceSpec{CID: c, Size: 4096, Source: "/x", Miner: 1000}, "does not fit"},
		} {
			_, err := h.AddPiece(ctx, tc.spec)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s: %v, want an error with %q", tc.name, err, tc.want)
			}
		}
		// A v2 CID carries its size and payload.
		p, err := h.AddPiece(ctx, hub.PieceSpec{CID: v2, Source: "/data/a"})
		if err != nil || !p.CID.Equals(c) || p.Size != size || p.PayloadSize != 1000 || p.State != hub.PieceWaiting {
			t.Errorf("v2 piece: %+v, %v", p, err)
		}
	})
}

// TestPieces_AcquireDealsFillsSectorsInOrder: pieces go to sectors oldest
// first, each at an offset aligned to its size, only to a miner they
// allow; the answer is fixed once given; a sector without pieces is
// committed capacity; an aborted sector's pieces wait again; and the
// pre-commit's CommD must be the pieces'.
func TestPieces_AcquireDealsFillsSectorsInOrder(t *testing.T) {
	enginetest.ForEach(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := &clock{t: time.Unix(1_700_000_000, 0)}
		h := newHub(t, db, clk, &fixedTickets{})
		addMiner(t, h, 1000, 0, 0)
		addMiner(t, h, 1001, 0, 0)
		add := func(n int, miner uint64) hub.Piece {
			clk.add(time.Millisecond)
			c, size, _ := pieceOf(t, n)
			p, err := h.AddPiece(ctx, hub.PieceSpec{CID: c, Size: size, PayloadSize: uint64(n), Miner: miner, Source: "/data"})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		// 1024 + 256 (at 1024) + 512 (aligned to 1536) fill a 2 KiB
		// sector; the 1024 after them waits for the next one; the piece
		// for miner 1001 never goes to 1000.
		a, b, c := add(1000, 1000), add(200, 0), add(500, 0)
		other := add(300, 1001)
		d := add(1000, 0)
		alloc := func(worker string, miners ...uint64) hub.SectorID {
			s, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: worker, AllowedMiners: miners})
			if err != nil || s == nil {
				t.Fatalf("allocate: %+v, %v", s, err)
			}
			return s.ID
		}
		ids := func(ds []hub.Deal) []string {
			var out []string
			for _, d := range ds {
				out = append(out, d.PieceID)
			}
			return out
		}
		s1 := alloc("w1", 1000)
		if _, err := h.AcquireDeals(ctx, "w2", s1); !errors.Is(err, rpc.ErrConflict) {
			t.Errorf("AcquireDeals by another worker: %v", err)
		}
		d1, err := h.AcquireDeals(ctx, "w1", s1)
		if err != nil || strings.Join(ids(d1), ",") != strings.Join([]string{a.ID, b.ID, c.ID}, ",") {
			t.Fatalf("first sector's deals = %v, %v; want %s,%s,%s", ids(d1), err, a.ID, b.ID, c.ID)
		}
		again, _ := h.AcquireDeals(ctx, "w1", s1)
		if strings.Join(ids(again), ",") != strings.Join(ids(d1), ",") {
			t.Errorf("AcquireDeals again = %v, want the same %v", ids(again), ids(d1))
		}
		s2 := alloc("w1", 1000)
		d2, _ := h.AcquireDeals(ctx, "w1", s2)
		if strings.Join(ids(d2), ",") != d.ID {
			t.Errorf("second sector's deals = %v, want %s", ids(d2), d.ID)
		}
		s3 := alloc("w1", 1000)
		if d3, err := h.AcquireDeals(ctx, "w1", s3); err != nil || len(d3) != 0 {
			t.Errorf("third sector: %v, %v; want committed capacity", ids(d3), err)
		}
		// A piece added now does not change a sector whose deals are fixed.
		add(100, 0)
		if d3, _ := h.AcquireDeals(ctx, "w1", s3); len(d3) != 0 {
			t.Errorf("third sector after a new piece: %v", ids(d3))
		}
		s4 := alloc("w1", 1001)
		if d4, _ := h.AcquireDeals(ctx, "w1", s4); len(d4) != 2 || d4[0].PieceID != other.ID {
			t.Errorf("miner 1001's sector: %v, want %s first", ids(d4), other.ID)
		}

		// The pre-commit's CommD must be the pieces'.
		tk, err := h.AssignTicket(ctx, "w1", s1)
		if err != nil {
			t.Fatal(err)
		}
		if r, _ := h.SubmitPreCommit(ctx, "w1", s1, hub.PreCommitInfo{CommR: [32]byte{1}, CommD: ccCommD(t), Ticket: tk}); r.Res != hub.Rejected {
			t.Errorf("a CC CommD for a sector with pieces: %+v", r)
		}
		unsealed, err := hub.UnsealedCID(proof.StackedDrg2KiBV1_1, d1)
		if err != nil {
			t.Fatal(err)
		}
		commD, err := piece.DecodeV1(unsealed)
		if err != nil {
			t.Fatal(err)
		}
		if r, err := h.SubmitPreCommit(ctx, "w1", s1, hub.PreCommitInfo{CommR: [32]byte{1}, CommD: commD, Ticket: tk}); err != nil || r.Res != hub.Accepted {
			t.Errorf("the pieces' CommD: %+v, %v", r, err)
		}

		// Aborting the second sector returns its piece to the waiting list
		// and the next sector takes it.
		if err := h.AbortSector(ctx, s2, "test"); err != nil {
			t.Fatal(err)
		}
		ps, err := h.Pieces(ctx, hub.PieceFilter{State: hub.PieceWaiting})
		if err != nil || len(ps) != 1 || ps[0].ID != d.ID || ps[0].Sector != nil {
			t.Errorf("waiting pieces after the abort: %+v, %v", ps, err)
		}
		s5 := alloc("w1", 1000)
		if d5, _ := h.AcquireDeals(ctx, "w1", s5); len(d5) != 1 || d5[0].PieceID != d.ID {
			t.Errorf("the sector after the abort: %v, want %s", ids(d5), d.ID)
		}
		if _, err := h.AcquireDeals(ctx, "w1", s2); !errors.Is(err, rpc.ErrConflict) {
			t.Errorf("AcquireDeals for an aborted sector: %v", err)
		}
	})
}
