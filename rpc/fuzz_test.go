package rpc_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/strata-sp/strata/rpc"
)

// FuzzServeHTTP sends arbitrary bodies through the whole handler with a valid
// token: every answer is a JSON-RPC response (or 204 for notifications), and
// the server keeps serving.
func FuzzServeHTTP(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"Test.Add","params":[1,2]}`,
		`{"jsonrpc":"2.0","id":1,"method":"Test.Pair","params":[{"A":1,"B":2}]}`,
		`[{"jsonrpc":"2.0","id":1,"method":"Test.Echo","params":["a"]},{"jsonrpc":"2.0","method":"Test.Noop"}]`,
		`{"jsonrpc":"2.0","id":1,"method":"Test.Boom"}`,
		`{"jsonrpc":"2.0","id":1,"method":"Test.Put","params":["k","AAAA"]}`,
		`{"jsonrpc":"2.0","id":1,"method":"Test.Add","params":[1e999,2]}`,
	} {
		f.Add(s)
	}
	fx := newFixture(f, rpc.Limits{MaxBodyBytes: 1 << 16, MaxBatch: 8})
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, rpc.Path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+fx.admin)
		rec := httptest.NewRecorder()
		fx.srv.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusNoContent:
			if rec.Body.Len() != 0 {
				t.Fatalf("204 with a body: %q", rec.Body)
			}
			return
		case http.StatusOK, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for %q", rec.Code, body)
		}
		b := rec.Body.Bytes()
		if !json.Valid(b) {
			t.Fatalf("answer is not JSON: %q", b)
		}
		if b[0] == '[' {
			var rs []json.RawMessage
			if err := json.Unmarshal(b, &rs); err != nil || len(rs) == 0 {
				t.Fatalf("batch answer %q", b)
			}
			return
		}
		var r struct {
			JSONRPC string          `json:"jsonrpc"`
			ID      json.RawMessage `json:"id"`
		}
		if err := json.Unmarshal(b, &r); err != nil || r.JSONRPC != "2.0" || r.ID == nil {
			t.Fatalf("answer %q is not a JSON-RPC response", b)
		}
	})
}
