package hub_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/fil/commp"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/store"
	"github.com/strata-sp/strata/store/enginetest"
)

// minerTickets draws the same ticket for a miner every time, so that a
// fuzz input's answer does not depend on the inputs before it.
type minerTickets struct{}

func (minerTickets) Ticket(_ context.Context, miner uint64) (hub.Ticket, error) {
	t := bytes.Repeat([]byte{byte(miner)}, 32)
	return hub.Ticket{Ticket: t, Epoch: 100}, nil
}

// fuzzPiece returns the v1 piece CID and padded size of n bytes of fill.
func fuzzPiece(tb testing.TB, n int, fill byte) (cid.Cid, piece.PaddedSize) {
	tb.Helper()
	h := commp.New(commp.Options{Workers: 1})
	h.Write(bytes.Repeat([]byte{fill}, n))
	c, size, err := h.Sum()
	if err != nil {
		tb.Fatal(err)
	}
	return c, piece.PaddedSize(size)
}

// snapTables are the hub tables a sealer fuzz input may change; each is
// copied to fuzz_snap_<table> once the fixture is set up, and restored
// from it before every input.
var snapTables = []string{"hub_miners", "hub_sectors", "hub_pieces", "hub_workers", "hub_messages", "hub_stores"}

// sealerFixture is a hub on SQLite behind a JSON-RPC server with both of
// the hub's APIs, with sectors in every state.
type sealerFixture struct {
	db    *store.DB
	srv   *rpc.Server
	logs  *bytes.Buffer // the server's log of the current input
	write string        // a write token for any worker
	w1    string        // a write token bound to worker w1
	// The fixture's sectors, by what they show.
	alloc, ticket, pc, landed, persisted, proven, other, lapsed hub.SectorID
	ticketOf                                                    map[uint64]hub.Ticket
}

func newSealerFixture(tb testing.TB) *sealerFixture {
	tb.Helper()
	ctx := context.Background()
	db := enginetest.SQLite(tb)
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	h := newHub(tb, db, clk, minerTickets{})
	addMiner(tb, h, 1000, 0, 0)   // unbounded
	addMiner(tb, h, 1001, 10, 12) // three numbers
	if err := h.AddMiner(ctx, hub.Miner{Actor: 1002, ProofType: proof.StackedDrg8MiBV1_1, MinNumber: 100, MaxNumber: 100}); err != nil {
		tb.Fatal(err)
	}
	fx := &sealerFixture{db: db, logs: &bytes.Buffer{}, ticketOf: map[uint64]hub.Ticket{}}
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	// Persist stores the hub does not reach (so that it takes persisted
	// files on the worker's word): store-a with room for six sectors (the
	// fixture persists four there), and a read-only one.
	far := filepath.Join(tb.TempDir(), "not-mounted")
	must(h.AttachStore(ctx, hub.StoreSpec{Name: "store-a", Path: far + "/a", Capacity: 6 * hub.SectorSpace(proof.Size2KiB)}))
	must(h.AttachStore(ctx, hub.StoreSpec{Name: "store-b", Path: far + "/b", Capacity: 1 << 30, ReadOnly: true}))
	alloc := func(worker string, miner uint64) hub.SectorID {
		tb.Helper()
		clk.add(time.Millisecond)
		s, err := h.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: worker, AllowedMiners: []uint64{miner}})
		if err != nil || s == nil {
			tb.Fatalf("allocate: %+v, %v", s, err)
		}
		return s.ID
	}
	exec := func(q string, id hub.SectorID) {
		tb.Helper()
		_, err := db.ExecContext(ctx, q+` WHERE miner = $1 AND number = $2`, int64(id.Miner), int64(id.Number))
		must(err)
	}
	addPiece := func(n int, fill byte, miner uint64, v2 bool) {
		tb.Helper()
		clk.add(time.Millisecond)
		c, size := fuzzPiece(tb, n, fill)
		spec := hub.PieceSpec{CID: c, Size: size, PayloadSize: uint64(n), Miner: miner, Source: fmt.Sprintf("/data/%d", fill)}
		if v2 {
			v, err := piece.ToV2(c, uint64(n))
			must(err)
			spec = hub.PieceSpec{CID: v, Miner: miner, Source: "http://example.com/piece"}
		}
		_, err := h.AddPiece(ctx, spec)
		must(err)
	}
	// precommit takes a sector from allocated to precommit_submitted.
	precommit := func(worker string, id hub.SectorID) {
		tb.Helper()
		tk, err := h.AssignTicket(ctx, worker, id)
		must(err)
		r, err := h.SubmitPreCommit(ctx, worker, id, hub.PreCommitInfo{CommR: [32]byte{1}, CommD: ccCommD(tb), Ticket: tk})
		if err != nil || r.Res != hub.Accepted {
			tb.Fatalf("pre-commit %s: %+v, %v", id, r, err)
		}
	}
	landPreCommit := func(id hub.SectorID) {
		exec(`UPDATE hub_sectors SET state = 'precommit_landed', precommit_state = 'Landed', precommit_epoch = 120`, id)
	}
	persist := func(worker string, id hub.SectorID) {
		tb.Helper()
		precommit(worker, id)
		landPreCommit(id)
		if r, err := h.SubmitPersisted(ctx, worker, id, "store-a"); err != nil || r.Res != hub.Accepted {
			tb.Fatalf("persist %s: %+v, %v", id, r, err)
		}
	}
	prove := func(worker string, id hub.SectorID) {
		tb.Helper()
		persist(worker, id)
		if r, err := h.SubmitProof(ctx, worker, id, []byte{1, 2, 3}); err != nil || r.Res != hub.Accepted {
			tb.Fatalf("proof %s: %+v, %v", id, r, err)
		}
	}
	landProof := func(id hub.SectorID) {
		exec(`UPDATE hub_sectors SET state = 'proof_landed', proof_state = 'Landed'`, id)
	}

	// Two pieces go to the first sector; two more wait.
	addPiece(1000, 1, 0, false)
	addPiece(200, 2, 1000, true)
	fx.alloc = alloc("w1", 1000)
	_, err := h.AcquireDeals(ctx, "w1", fx.alloc)
	must(err)
	addPiece(500, 3, 0, false)
	addPiece(100, 4, 1001, false)

	fx.ticket = alloc("w1", 1000)
	_, err = h.AssignTicket(ctx, "w1", fx.ticket)
	must(err)
	fx.pc = alloc("w1", 1001)
	precommit("w1", fx.pc)
	fx.landed = alloc("w1", 1000)
	precommit("w1", fx.landed)
	landPreCommit(fx.landed)
	fx.persisted = alloc("w1", 1001)
	persist("w1", fx.persisted)
	submitted := alloc("w1", 1000)
	prove("w1", submitted)
	fx.proven = alloc("w1", 1000)
	prove("w1", fx.proven)
	landProof(fx.proven)
	finalized := alloc("w1", 1000)
	prove("w1", finalized)
	landProof(finalized)
	must(h.ReportFinalized(ctx, "w1", finalized))
	aborted := alloc("w1", 1000)
	must(h.ReportAborted(ctx, "w1", aborted, "fixture"))
	fx.other = alloc("w2", 1000)
	_, err = h.ReportState(ctx, fx.other, hub.StateReport{Worker: "w2", Location: "/mnt/w2/t0", Change: hub.StateChange{Prev: "Allocated", Next: "DealsAcquired"}})
	must(err)
	// w9 stopped reporting: its sector is the first taken over.
	fx.lapsed = alloc("w9", 1000)
	precommit("w9", fx.lapsed)
	_, err = h.ReportState(ctx, fx.lapsed, hub.StateReport{Worker: "w9", Location: "/mnt/w9/t0", Change: hub.StateChange{Prev: "PC2Done", Next: "PCSubmitted"}})
	must(err)
	exec(fmt.Sprintf(`UPDATE hub_sectors SET lease_until = %d`, clk.now().Add(-time.Second).UnixNano()), fx.lapsed)
	must(h.Ping(ctx, hub.WorkerInfo{Name: "w1", Threads: 4, Summary: map[string]int{"running": 3}}))
	for _, m := range []uint64{1000, 1001} {
		tk, _ := minerTickets{}.Ticket(ctx, m)
		fx.ticketOf[m] = tk
	}

	for _, t := range snapTables {
		_, err := db.ExecContext(ctx, `CREATE TABLE fuzz_snap_`+t+` AS SELECT * FROM `+t)
		must(err)
	}

	secret, err := rpc.NewSecret()
	must(err)
	auth, err := rpc.NewAuthority(secret)
	must(err)
	fx.srv, err = rpc.NewServer(rpc.ServerOptions{Auth: auth, Logger: slog.New(slog.NewTextHandler(fx.logs, nil))})
	must(err)
	must(fx.srv.Register(hub.Namespace, h.SealerAPI(nil), &(&hub.SealerStruct{}).Internal))
	must(fx.srv.Register(hub.OperatorNamespace, h.OperatorAPI(), &(&hub.OperatorStruct{}).Internal))
	perms, err := rpc.PermsUpTo(rpc.PermWrite)
	must(err)
	fx.write, err = auth.NewToken(perms, nil)
	must(err)
	fx.w1, err = auth.NewToken(perms, map[string]any{hub.WorkerClaim: "w1"})
	must(err)
	return fx
}

// restore puts the tables back as the fixture left them.
func (fx *sealerFixture) restore(tb testing.TB) {
	tb.Helper()
	err := fx.db.Tx(context.Background(), func(tx *sql.Tx) error {
		for _, t := range snapTables {
			if _, err := tx.Exec(`DELETE FROM ` + t); err != nil {
				return err
			}
			if _, err := tx.Exec(`INSERT INTO ` + t + ` SELECT * FROM fuzz_snap_` + t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("restore the fixture: %v", err)
	}
}

// count runs a COUNT query.
func (fx *sealerFixture) count(tb testing.TB, q string, args ...any) int {
	tb.Helper()
	var n int
	if err := fx.db.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return n
}

// changed counts the rows of table that are not in the fixture's copy
// (new or changed) and the fixture's rows that are gone or changed;
// where, if set, limits the first count.
func (fx *sealerFixture) changed(tb testing.TB, table, where string) (added, removed int) {
	tb.Helper()
	if where == "" {
		where = "1 = 1"
	}
	added = fx.count(tb, `SELECT COUNT(*) FROM (SELECT * FROM `+table+` EXCEPT SELECT * FROM fuzz_snap_`+table+`) AS d WHERE `+where)
	removed = fx.count(tb, `SELECT COUNT(*) FROM (SELECT * FROM fuzz_snap_`+table+` EXCEPT SELECT * FROM `+table+`) AS d`)
	return added, removed
}

// invariants checks what must hold in the store whatever a worker sends.
func (fx *sealerFixture) invariants(tb testing.TB) {
	tb.Helper()
	var states []string
	for _, s := range []hub.State{hub.StateAllocated, hub.StatePreCommitSubmitted, hub.StatePreCommitLanded, hub.StatePersisted,
		hub.StateProofSubmitted, hub.StateProofLanded, hub.StateFinalized, hub.StateAborted} {
		states = append(states, "'"+string(s)+"'")
	}
	for what, q := range map[string]string{
		"sectors outside their miner's numbers": `SELECT COUNT(*) FROM hub_sectors s LEFT JOIN hub_miners m ON m.actor = s.miner
			WHERE m.actor IS NULL OR s.number < m.min_number OR s.number > m.max_number`,
		"miners whose next number is outside their range": `SELECT COUNT(*) FROM hub_miners
			WHERE next_number < min_number OR next_number > max_number + 1`,
		"sectors in an unknown state": `SELECT COUNT(*) FROM hub_sectors WHERE state NOT IN (` + strings.Join(states, ", ") + `)`,
		"pieces given to a sector that does not exist": `SELECT COUNT(*) FROM hub_pieces p WHERE (p.state <> 'waiting' OR p.sector_number <> -1)
			AND NOT EXISTS (SELECT 1 FROM hub_sectors s WHERE s.miner = p.sector_miner AND s.number = p.sector_number)`,
		"pieces still assigned to an aborted sector": `SELECT COUNT(*) FROM hub_pieces p JOIN hub_sectors s ON s.miner = p.sector_miner AND s.number = p.sector_number
			WHERE p.state = 'assigned' AND s.state = 'aborted'`,
		"sectors held by no worker": `SELECT COUNT(*) FROM hub_sectors WHERE worker = ''`,
	} {
		if n := fx.count(tb, q); n != 0 {
			tb.Errorf("%d %s", n, what)
		}
	}
	// Text is what PostgreSQL's TEXT takes (SQLite takes anything): UTF-8
	// without NUL. What the other engine would refuse fails the call there
	// as an internal error, and on PostgreSQL fails every report batched
	// with it.
	for _, q := range []string{
		`SELECT worker, location, worker_state, persist_store, abort_reason, failure, state FROM hub_sectors`,
		`SELECT name, info, '', '', '', '', '' FROM hub_workers`,
		`SELECT id, cid, source, state, '', '', '' FROM hub_pieces`,
	} {
		rows, err := fx.db.QueryContext(context.Background(), q)
		if err != nil {
			tb.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var v [7]string
			if err := rows.Scan(&v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]); err != nil {
				rows.Close()
				tb.Fatalf("%s: %v", q, err)
			}
			for _, s := range v {
				if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
					if len(s) > 80 {
						s = s[:40] + "..." + s[len(s)-40:]
					}
					tb.Errorf("stored text %q is not UTF-8 without NUL (%s)", s, q)
				}
			}
		}
		rows.Close()
	}
}

// wireAnswer is a JSON-RPC response as it is on the wire.
type wireAnswer struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Data    *struct {
			Kind rpc.Kind `json:"kind"`
		} `json:"data"`
	} `json:"error"`
}

// call posts one JSON-RPC request and decodes the answer.
func (fx *sealerFixture) call(tb testing.TB, token, method string, params []byte) (wireAnswer, []byte) {
	tb.Helper()
	m, _ := json.Marshal(method)
	body := `{"jsonrpc":"2.0","id":1,"method":` + string(m)
	if len(bytes.TrimSpace(params)) > 0 {
		body += `,"params":` + string(params)
	}
	body += "}"
	req := httptest.NewRequest(http.MethodPost, rpc.Path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	fx.srv.ServeHTTP(rec, req)
	b := rec.Body.Bytes()
	if rec.Code != http.StatusOK {
		tb.Fatalf("%s: HTTP %d: %s", method, rec.Code, b)
	}
	var a wireAnswer
	if err := json.Unmarshal(b, &a); err != nil || a.JSONRPC != "2.0" || a.ID == nil {
		tb.Fatalf("%s: the answer is not a JSON-RPC response (%v): %s", method, err, b)
	}
	if (a.Result == nil) == (a.Error == nil) {
		tb.Fatalf("%s: the answer has no result or error, or both: %s", method, b)
	}
	return a, b
}

// FuzzSealerAPI sends arbitrary JSON-RPC requests to the worker-facing
// API, as a worker token and as a token bound to worker w1, on a hub with
// sectors in every state. Whatever the request: no panic; the answer is a
// result or an error with a kind (never internal: bad input is the
// caller's error and must say so); a refused call changes nothing; a
// token bound to w1 changes only what w1 holds; the store's invariants
// hold; and the server still answers.
func FuzzSealerAPI(f *testing.F) {
	fx := newSealerFixture(f)
	var methods []string
	api := reflect.TypeFor[hub.SealerStruct]().Field(0).Type
	for i := range api.NumField() {
		methods = append(methods, api.Field(i).Name)
	}
	index := func(name string) uint8 {
		for i, m := range methods {
			if m == name {
				return uint8(i)
			}
		}
		f.Fatalf("no Sealer method %s", name)
		return 0
	}
	params := func(args ...any) []byte {
		b, err := json.Marshal(args)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	cc := ccCommD(f)
	tk := fx.ticketOf
	for _, s := range []struct {
		method string
		params []byte
	}{
		{"AllocateSector", params(hub.AllocateSectorSpec{Worker: "w1"})},
		{"AllocateSector", params(hub.AllocateSectorSpec{Worker: "w1", AllowedMiners: []uint64{1001}, AllowedProofTypes: []proof.SealProof{proof.StackedDrg2KiBV1_1}, Locations: []string{"/mnt/w9/t0"}})},
		{"AllocateSector", params(hub.AllocateSectorSpec{Worker: "w3", AllowedMiners: []uint64{1002}})},
		{"AllocateSector", params(hub.AllocateSectorSpec{})},
		{"AcquireDeals", params("w1", fx.alloc)},
		{"AcquireDeals", params("w1", fx.ticket)},
		{"AcquireDeals", params("w2", fx.other)},
		{"AssignTicket", params("w1", fx.alloc)},
		{"AssignTicket", params("w1", hub.SectorID{Miner: 1000, Number: 1 << 63})},
		{"SubmitPreCommit", params("w1", fx.ticket, hub.PreCommitInfo{CommR: [32]byte{1}, CommD: cc, Ticket: tk[1000]})},
		{"SubmitPreCommit", params("w1", fx.pc, hub.PreCommitInfo{CommR: [32]byte{1}, CommD: cc, Ticket: tk[1001]})},
		{"SubmitPreCommit", params("w1", fx.alloc, hub.PreCommitInfo{CommR: [32]byte{1}, CommD: cc, Ticket: tk[1000]})},
		{"PollPreCommitState", params(fx.pc)},
		{"ReserveStore", params("w1", fx.landed, []string{"store-a", "store-b"})},
		{"ReserveStore", params("w1", fx.landed, []string{"store-b", "store-c"})},
		{"ReserveStore", params("w1", fx.persisted, []string{"store-a"})},
		{"ReserveStore", params("w1", fx.pc, []string{"store-a", ""})},
		{"ReserveStore", params("w2", fx.landed, []string{"store-a"})},
		{"SubmitPersisted", params("w1", fx.landed, "store-a")},
		{"SubmitPersisted", params("w1", fx.persisted, "store-b")},
		{"WaitSeed", params("w1", fx.persisted)},
		{"SubmitProof", params("w1", fx.persisted, []byte{1, 2, 3})},
		{"PollProofState", params(fx.proven)},
		{"ReportState", params(fx.other, hub.StateReport{Worker: "w2", Location: "/mnt/w2/t0", Change: hub.StateChange{Prev: "DealsAcquired", Next: "PieceAdded", Event: "AddPieces"},
			Failure: &hub.Failure{Level: hub.FailureTemporary, Desc: "disk slow"}})},
		{"ReportState", params(fx.lapsed, hub.StateReport{Worker: "w9", Change: hub.StateChange{Next: "PCLanded"}})},
		{"ReportState", params(fx.other, hub.StateReport{Worker: "w2", Change: hub.StateChange{Next: "PC2Done"},
			Failure: &hub.Failure{Level: hub.FailurePermanent, Desc: strings.Repeat("é", 1100)}})},
		{"ReportState", params(fx.other, hub.StateReport{Worker: "w2", Location: "/mnt/w2/t0\x00", Change: hub.StateChange{Next: "PC2Done"}})},
		{"ReportFinalized", params("w1", fx.proven)},
		{"ReportAborted", params("w1", fx.ticket, "operator")},
		{"Ping", params(hub.WorkerInfo{Name: "w1", Threads: 2, Summary: map[string]int{"running": 1, "paused": 1}})},
	} {
		f.Add(index(s.method), "", s.params, false)
		f.Add(index(s.method), "", s.params, true)
	}
	f.Add(uint8(255), "Hub.PiecesAdd", params(hub.PieceSpec{Source: "/x"}), false)
	f.Add(uint8(255), "Sealer.Nope", []byte(`[]`), false)
	f.Add(index("Ping"), "", []byte(`[{"Name":"w1"},2]`), false)
	f.Add(index("AcquireDeals"), "", []byte(`["w1",{"Miner":-1,"Number":1e30}]`), false)

	f.Fuzz(func(t *testing.T, which uint8, name string, params []byte, bound bool) {
		fx.restore(t)
		fx.logs.Reset()
		method := name
		if int(which) < len(methods) {
			method = hub.Namespace + "." + methods[which]
		}
		token := fx.write
		if bound {
			token = fx.w1
		}
		a, raw := fx.call(t, token, method, params)
		if a.Error != nil {
			e := a.Error
			switch {
			case e.Data == nil || e.Data.Kind == "":
				t.Fatalf("%s: an error without a kind: %s", method, raw)
			case e.Message == "":
				t.Fatalf("%s: an error without a message: %s", method, raw)
			case e.Data.Kind == rpc.KindInternal:
				t.Fatalf("%s %s: internal error: %s\nserver log:\n%s", method, params, raw, fx.logs)
			}
			for _, tab := range snapTables {
				if added, removed := fx.changed(t, tab, ""); added+removed != 0 {
					t.Fatalf("%s refused (%s) but changed %s: %d rows new or changed, %d gone", method, e.Message, tab, added, removed)
				}
			}
		} else if !json.Valid(a.Result) {
			t.Fatalf("%s: result is not JSON: %s", method, raw)
		}
		if bound {
			// What a w1 token changes is w1's.
			if added, _ := fx.changed(t, "hub_sectors", "worker <> 'w1'"); added != 0 {
				t.Fatalf("%s with w1's token changed %d sectors of another worker: %s", method, added, raw)
			}
			if added, _ := fx.changed(t, "hub_workers", "name <> 'w1'"); added != 0 {
				t.Fatalf("%s with w1's token changed another worker's heartbeat: %s", method, raw)
			}
		}
		fx.invariants(t)
		if t.Failed() {
			t.FailNow()
		}
		// The server still answers a valid call.
		p, _ := json.Marshal([]any{fx.pc})
		if a, raw := fx.call(t, fx.write, hub.Namespace+".PollPreCommitState", p); a.Error != nil {
			t.Fatalf("a valid call after %s: %s", method, raw)
		}
	})
}

// FuzzAddPiece feeds PieceSpec JSON, as Hub.PiecesAdd receives it, to
// AddPiece. An accepted piece has a v1 piece CID, a valid size, a payload
// that fits, a source a worker can use, and is listed as returned; a
// refused one is refused as invalid or not_found and adds no row.
func FuzzAddPiece(f *testing.F) {
	ctx := context.Background()
	db := enginetest.SQLite(f)
	h := newHub(f, db, &clock{t: time.Unix(1_700_000_000, 0)}, nil)
	addMiner(f, h, 1000, 0, 0)
	if err := h.AddMiner(ctx, hub.Miner{Actor: 1001, ProofType: proof.StackedDrg32GiBV1_1}); err != nil {
		f.Fatal(err)
	}
	c, size := fuzzPiece(f, 1000, 7)
	v2, err := piece.ToV2(c, 1000)
	if err != nil {
		f.Fatal(err)
	}
	large, err := piece.CIDv2([32]byte{9}, 40<<30)
	if err != nil {
		f.Fatal(err)
	}
	spec := func(s hub.PieceSpec) string {
		b, err := json.Marshal(s)
		if err != nil {
			f.Fatal(err)
		}
		return string(b)
	}
	for _, s := range []hub.PieceSpec{
		{CID: c, Size: size, PayloadSize: 1000, Source: "/data/a"},
		{CID: c, Size: size, Miner: 1000, Source: "https://example.com/a.car"},
		{CID: v2, Source: "/data/a"},
		{CID: v2, Size: size, PayloadSize: 1000, Miner: 1000, Source: "/data/a"},
		{CID: large, Miner: 1001, Source: "/data/big"},
		{CID: large, Miner: 1000, Source: "/data/big"},
		{CID: c, Size: size, Source: "/data/a\x1b[2J"},
		{CID: c, Size: 1000, Source: "/data/a"},
		{CID: c, Size: 1 << 63, Source: "/data/a"},
		{CID: piece.SealedCID([32]byte{1}), Size: 1024, Source: "/x"},
		{Source: "/x"},
	} {
		f.Add(spec(s))
	}
	f.Add(`{"CID":{"/":"` + c.String() + `"},"Size":1024,"Source":"/a","Miner":7}`)
	f.Add(`{"CID":null,"Size":-1}`)

	f.Fuzz(func(t *testing.T, in string) {
		var s hub.PieceSpec
		if json.Unmarshal([]byte(in), &s) != nil {
			return // the RPC server answers invalid params
		}
		if _, err := db.ExecContext(ctx, `DELETE FROM hub_pieces`); err != nil {
			t.Fatal(err)
		}
		p, err := h.AddPiece(ctx, s)
		rows, lerr := h.Pieces(ctx, hub.PieceFilter{})
		if lerr != nil {
			t.Fatalf("list pieces: %v", lerr)
		}
		if err != nil {
			if !errors.Is(err, rpc.ErrInvalid) && !errors.Is(err, rpc.ErrNotFound) {
				t.Fatalf("refused with %v, not invalid or not_found", err)
			}
			if len(rows) != 0 {
				t.Fatalf("refused (%v) but added %+v", err, rows)
			}
			return
		}
		if _, derr := piece.DecodeV1(p.CID); derr != nil {
			t.Errorf("accepted piece CID %s: %v", p.CID, derr)
		}
		if verr := p.Size.Validate(); verr != nil {
			t.Errorf("accepted piece size: %v", verr)
		}
		if p.PayloadSize == 0 || p.PayloadSize > uint64(p.Size.Unpadded()) {
			t.Errorf("accepted payload of %d bytes in a %d-byte piece", p.PayloadSize, p.Size)
		}
		if p.Size > piece.PaddedSize(proof.Size64GiB) {
			t.Errorf("accepted a %d-byte piece, larger than any sector", p.Size)
		}
		if p.Source == "" || len(p.Source) > hub.MaxSourceLen || !utf8.ValidString(p.Source) || strings.ContainsFunc(p.Source, unicode.IsControl) {
			t.Errorf("accepted source %q", p.Source)
		}
		if p.Miner != s.Miner || p.State != hub.PieceWaiting || p.ID == "" {
			t.Errorf("accepted %+v for %+v", p, s)
		}
		if len(rows) != 1 {
			t.Fatalf("accepted, and %d rows listed", len(rows))
		}
		r := rows[0]
		if r.ID != p.ID || !r.CID.Equals(p.CID) || r.Size != p.Size || r.PayloadSize != p.PayloadSize || r.Miner != p.Miner ||
			r.Source != p.Source || r.State != p.State || r.Sector != nil || !r.AddedAt.Equal(p.AddedAt) {
			t.Errorf("listed %+v, accepted %+v", r, p)
		}
	})
}
