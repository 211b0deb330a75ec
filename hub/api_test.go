package hub_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/store/enginetest"
)

// TestAPI_WorkerTokenCannotOperate serves both APIs over JSON-RPC: a
// worker token (write) drives the Sealer API, and is refused the operator
// API, which an admin token reaches.
func TestAPI_WorkerTokenCannotOperate(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	h := newHub(t, enginetest.SQLite(t), c, &fixedTickets{})
	secret, _ := rpc.NewSecret()
	auth, _ := rpc.NewAuthority(secret)
	srv, err := rpc.NewServer(rpc.ServerOptions{Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Register(hub.Namespace, h.SealerAPI(nil), &(&hub.SealerStruct{}).Internal); err != nil {
		t.Fatal(err)
	}
	if err := srv.Register(hub.OperatorNamespace, h.OperatorAPI(), &(&hub.OperatorStruct{}).Internal); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(rpc.Path, srv)
	hs := httptest.NewServer(mux)
	defer hs.Close()
	dial := func(perm rpc.Perm) (*hub.SealerStruct, *hub.OperatorStruct) {
		perms, _ := rpc.PermsUpTo(perm)
		tok, _ := auth.NewToken(perms, nil)
		var s hub.SealerStruct
		var o hub.OperatorStruct
		for ns, p := range map[string]any{hub.Namespace: &s.Internal, hub.OperatorNamespace: &o.Internal} {
			closer, err := rpc.NewClient(ctx, hs.URL+rpc.Path, ns, p, rpc.ClientOptions{Token: tok})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(closer)
		}
		return &s, &o
	}
	workerS, workerO := dial(rpc.PermWrite)
	_, adminO := dial(rpc.PermAdmin)

	// A token bound to worker w2 acts only as w2.
	w2tok, _ := auth.NewToken([]rpc.Perm{rpc.PermRead, rpc.PermWrite}, map[string]any{hub.WorkerClaim: "w2"})
	var w2S hub.SealerStruct
	closer, err := rpc.NewClient(ctx, hs.URL+rpc.Path, hub.Namespace, &w2S.Internal, rpc.ClientOptions{Token: w2tok})
	if err != nil {
		t.Fatal(err)
	}
	defer closer()
	if err := w2S.Internal.Ping(ctx, hub.WorkerInfo{Name: "w1"}); !errors.Is(err, rpc.ErrPermission) {
		t.Errorf("w2's token pinging as w1: %v", err)
	}
	if _, err := w2S.Internal.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w1"}); !errors.Is(err, rpc.ErrPermission) {
		t.Errorf("w2's token allocating as w1: %v", err)
	}
	if err := w2S.Internal.Ping(ctx, hub.WorkerInfo{Name: "w2"}); err != nil {
		t.Errorf("w2's token pinging as w2: %v", err)
	}
	if err := workerO.Internal.MinersAdd(ctx, hub.Miner{Actor: 1000}); !errors.Is(err, rpc.ErrPermission) {
		t.Errorf("worker token adding a miner: %v", err)
	}
	for name, call := range map[string]func() error{
		"Sectors":       func() error { _, err := workerO.Internal.Sectors(ctx, hub.SectorFilter{}); return err },
		"SectorsAbort":  func() error { return workerO.Internal.SectorsAbort(ctx, hub.SectorID{Miner: 1000}, "x") },
		"SectorsResume": func() error { _, err := workerO.Internal.SectorsResume(ctx, hub.SectorID{Miner: 1000}); return err },
		"Workers":       func() error { _, err := workerO.Internal.Workers(ctx); return err },
		"Messages":      func() error { _, err := workerO.Internal.Messages(ctx, hub.MessageFilter{}); return err },
		"PiecesAdd":     func() error { _, err := workerO.Internal.PiecesAdd(ctx, hub.PieceSpec{}); return err },
		"PiecesList":    func() error { _, err := workerO.Internal.PiecesList(ctx, hub.PieceFilter{}); return err },
		"StorageAttach": func() error { return workerO.Internal.StorageAttach(ctx, hub.StoreSpec{Name: "a", Path: "/a"}) },
		"StorageList":   func() error { _, err := workerO.Internal.StorageList(ctx); return err },
		"StorageDetach": func() error { return workerO.Internal.StorageDetach(ctx, "a", true) },
	} {
		if err := call(); !errors.Is(err, rpc.ErrPermission) {
			t.Errorf("worker token calling Hub.%s: %v", name, err)
		}
	}
	addMiner(t, h, 1000, 0, 0)
	ms, err := adminO.Internal.MinersList(ctx)
	if err != nil || len(ms) != 1 || ms[0].Actor != 1000 {
		t.Fatalf("admin MinersList: %+v, %v", ms, err)
	}
	s, err := workerS.Internal.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w1"})
	if err != nil || s == nil || s.ID != (hub.SectorID{Miner: 1000, Number: 0}) {
		t.Fatalf("AllocateSector over RPC: %+v, %v", s, err)
	}
	tk, err := workerS.Internal.AssignTicket(ctx, "w1", s.ID)
	if err != nil || len(tk.Ticket) != 32 {
		t.Fatalf("AssignTicket: %+v, %v", tk, err)
	}
	r, err := workerS.Internal.SubmitPreCommit(ctx, "w1", s.ID, hub.PreCommitInfo{CommR: [32]byte{1}, CommD: ccCommD(t), Ticket: tk})
	if err != nil || r.Res != hub.Accepted {
		t.Fatalf("SubmitPreCommit: %+v, %v", r, err)
	}
	if _, err := workerS.Internal.AssignTicket(ctx, "w1", hub.SectorID{Miner: 1000, Number: 7}); !errors.Is(err, rpc.ErrNotFound) {
		t.Errorf("unknown sector: %v", err)
	}
	none, err := workerS.Internal.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w1", AllowedMiners: []uint64{999}})
	if err != nil || none != nil {
		t.Errorf("nothing to do should be null: %+v, %v", none, err)
	}
}
