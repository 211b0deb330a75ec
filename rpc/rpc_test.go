package rpc_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/strata-sp/strata/rpc"
)

// TestStruct is the proxy struct of the test API.
type TestStruct struct {
	Noop   func(ctx context.Context) error                              `perm:"read"`
	Echo   func(ctx context.Context, s string) (string, error)          `perm:"read"`
	Add    func(ctx context.Context, a, b int) (int, error)             `perm:"read"`
	Put    func(ctx context.Context, k string, v []byte) error          `perm:"write"`
	Get    func(ctx context.Context, k string) ([]byte, error)          `perm:"read"`
	Fail   func(ctx context.Context, kind rpc.Kind) error               `perm:"read"`
	Boom   func(ctx context.Context) error                              `perm:"read"`
	Broken func(ctx context.Context) error                              `perm:"read"`
	Sleep  func(ctx context.Context, ms int) (string, error)            `perm:"read"`
	Whoami func(ctx context.Context) (map[string]string, error)         `perm:"admin"`
	Scoped func(ctx context.Context) ([]string, error)                  `perm:"sign"`
	Pair   func(ctx context.Context, p struct{ A, B int }) (int, error) `perm:"read"`
	Float  func(ctx context.Context, f float64) error                   `perm:"read"`
}

type testImpl struct {
	mu sync.Mutex
	kv map[string][]byte
}

func (t *testImpl) Noop(context.Context) error                       { return nil }
func (t *testImpl) Echo(_ context.Context, s string) (string, error) { return s, nil }
func (t *testImpl) Add(_ context.Context, a, b int) (int, error)     { return a + b, nil }
func (t *testImpl) Put(_ context.Context, k string, v []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.kv[k] = v
	return nil
}
func (t *testImpl) Get(_ context.Context, k string) ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	v, ok := t.kv[k]
	if !ok {
		return nil, fmt.Errorf("get: %w", rpc.Errorf(rpc.KindNotFound, "key %q not found", k))
	}
	return v, nil
}
func (t *testImpl) Fail(_ context.Context, k rpc.Kind) error {
	return rpc.Errorf(k, "failing with kind %s", k)
}
func (t *testImpl) Boom(context.Context) error { panic("boom") }
func (t *testImpl) Broken(context.Context) error {
	return errors.New("secret database path /var/lib/x is broken")
}
func (t *testImpl) Sleep(ctx context.Context, ms int) (string, error) {
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
		return "slept", nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}
func (t *testImpl) Whoami(ctx context.Context) (map[string]string, error) {
	c, _ := rpc.ClaimsFrom(ctx)
	return map[string]string{"allow": fmt.Sprint(c.Allow)}, nil
}
func (t *testImpl) Scoped(ctx context.Context) ([]string, error) {
	c, _ := rpc.ClaimsFrom(ctx)
	var addrs []string
	if _, err := c.Scope("Addresses", &addrs); err != nil {
		return nil, rpc.Errorf(rpc.KindPermission, "%v", err)
	}
	return addrs, nil
}
func (t *testImpl) Pair(_ context.Context, p struct{ A, B int }) (int, error) { return p.A * p.B, nil }
func (t *testImpl) Float(context.Context, float64) error                      { return nil }

type fixture struct {
	srv   *rpc.Server
	http  *httptest.Server
	auth  *rpc.Authority
	reg   *prometheus.Registry
	read  string
	write string
	admin string
}

func newFixture(t testing.TB, limits rpc.Limits) *fixture {
	t.Helper()
	secret, err := rpc.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	auth, err := rpc.NewAuthority(secret)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	srv, err := rpc.NewServer(rpc.ServerOptions{Auth: auth, Limits: limits, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Register("Test", &testImpl{kv: map[string][]byte{}}, &TestStruct{}); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(rpc.Path, srv)
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	f := &fixture{srv: srv, http: hs, auth: auth, reg: reg}
	f.read = f.token(t, rpc.PermRead)
	f.write = f.token(t, rpc.PermWrite)
	f.admin = f.token(t, rpc.PermAdmin)
	return f
}

func (f *fixture) token(t testing.TB, p rpc.Perm) string {
	t.Helper()
	perms, err := rpc.PermsUpTo(p)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := f.auth.NewToken(perms, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *fixture) client(t *testing.T, scheme, token string) *TestStruct {
	t.Helper()
	var c TestStruct
	u := strings.Replace(f.http.URL, "http", scheme, 1) + rpc.Path
	closer, err := rpc.NewClient(context.Background(), u, "Test", &c, rpc.ClientOptions{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closer)
	return &c
}

// post sends a raw body and decodes the answer.
func (f *fixture) post(t *testing.T, token, body string) (int, json.RawMessage) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.http.URL+rpc.Path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b
}

type wireResp struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Data    struct {
			Kind string `json:"kind"`
		} `json:"data"`
	} `json:"error"`
}

func decode(t *testing.T, b []byte) wireResp {
	t.Helper()
	var r wireResp
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("response %s is not a JSON-RPC response: %v", b, err)
	}
	return r
}

// alive checks that the server still answers a normal call.
func (f *fixture) alive(t *testing.T) {
	t.Helper()
	code, b := f.post(t, f.read, `{"jsonrpc":"2.0","id":99,"method":"Test.Add","params":[2,3]}`)
	if r := decode(t, b); code != 200 || string(r.Result) != "5" {
		t.Fatalf("server no longer serving: %d %s", code, b)
	}
}

func TestServer_ProtocolErrors(t *testing.T) {
	f := newFixture(t, rpc.Limits{MaxBodyBytes: 1 << 10, MaxBatch: 3})
	big := `{"jsonrpc":"2.0","id":1,"method":"Test.Echo","params":["` + strings.Repeat("x", 2<<10) + `"]}`
	tests := []struct {
		name     string
		token    string
		body     string
		status   int
		code     int
		kind     rpc.Kind
		contains string
	}{
		{"no token", "", `{"jsonrpc":"2.0","id":1,"method":"Test.Noop"}`, 401, rpc.CodePermission, rpc.KindPermission, "missing bearer token"},
		{"bad token", "abc.def.ghi", `{"jsonrpc":"2.0","id":1,"method":"Test.Noop"}`, 401, rpc.CodePermission, rpc.KindPermission, "invalid token"},
		{"read token, write method", f.read, `{"jsonrpc":"2.0","id":1,"method":"Test.Put","params":["k","AA=="]}`, 200, rpc.CodePermission, rpc.KindPermission, `needs permission "write"`},
		{"write token, admin method", f.write, `{"jsonrpc":"2.0","id":1,"method":"Test.Whoami"}`, 200, rpc.CodePermission, rpc.KindPermission, `needs permission "admin"`},
		{"malformed json", f.read, `{"jsonrpc":"2.0","id":1,"method":`, 200, rpc.CodeParseError, rpc.KindInvalid, "parse error"},
		{"empty body", f.read, ``, 200, rpc.CodeInvalidRequest, rpc.KindInvalid, "empty request body"},
		{"not an object", f.read, `42`, 200, rpc.CodeInvalidRequest, rpc.KindInvalid, "invalid request"},
		{"wrong version", f.read, `{"jsonrpc":"1.0","id":1,"method":"Test.Noop"}`, 200, rpc.CodeInvalidRequest, rpc.KindInvalid, `"jsonrpc" must be "2.0"`},
		{"no method", f.read, `{"jsonrpc":"2.0","id":1}`, 200, rpc.CodeInvalidRequest, rpc.KindInvalid, `"method" is missing`},
		{"object id", f.read, `{"jsonrpc":"2.0","id":{},"method":"Test.Noop"}`, 200, rpc.CodeInvalidRequest, rpc.KindInvalid, `"id" must be`},
		{"unknown method", f.read, `{"jsonrpc":"2.0","id":1,"method":"Test.Nope"}`, 200, rpc.CodeMethodNotFound, rpc.KindNotFound, `method "Test.Nope" not found`},
		{"too few params", f.read, `{"jsonrpc":"2.0","id":1,"method":"Test.Add","params":[1]}`, 200, rpc.CodeInvalidParams, rpc.KindInvalid, "takes 2 params, got 1"},
		{"too many params", f.read, `{"jsonrpc":"2.0","id":1,"method":"Test.Add","params":[1,2,3]}`, 200, rpc.CodeInvalidParams, rpc.KindInvalid, "takes 2 params, got 3"},
		{"named params", f.read, `{"jsonrpc":"2.0","id":1,"method":"Test.Add","params":{"a":1}}`, 200, rpc.CodeInvalidParams, rpc.KindInvalid, "must be a JSON array"},
		{"wrong param type", f.read, `{"jsonrpc":"2.0","id":1,"method":"Test.Add","params":["x",2]}`, 200, rpc.CodeInvalidParams, rpc.KindInvalid, "param 1"},
		{"body over limit", f.read, big, 413, rpc.CodeInvalidRequest, rpc.KindInvalid, "exceeds the limit of 1024 bytes"},
		{"batch over limit", f.read, `[{"jsonrpc":"2.0","id":1,"method":"Test.Noop"},{"jsonrpc":"2.0","id":2,"method":"Test.Noop"},{"jsonrpc":"2.0","id":3,"method":"Test.Noop"},{"jsonrpc":"2.0","id":4,"method":"Test.Noop"}]`, 200, rpc.CodeInvalidRequest, rpc.KindInvalid, "batch of 4 requests exceeds the limit of 3"},
		{"empty batch", f.read, `[]`, 200, rpc.CodeInvalidRequest, rpc.KindInvalid, "empty batch"},
		{"panic", f.read, `{"jsonrpc":"2.0","id":1,"method":"Test.Boom"}`, 200, rpc.CodeInternal, rpc.KindInternal, "internal error (ref "},
		{"unclassified error hides details", f.read, `{"jsonrpc":"2.0","id":1,"method":"Test.Broken"}`, 200, rpc.CodeInternal, rpc.KindInternal, "internal error (ref "},
		{"typed error", f.read, `{"jsonrpc":"2.0","id":1,"method":"Test.Fail","params":["conflict"]}`, 200, rpc.CodeConflict, rpc.KindConflict, "failing with kind conflict"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, b := f.post(t, tc.token, tc.body)
			if status != tc.status {
				t.Errorf("HTTP status %d, want %d (%s)", status, tc.status, b)
			}
			r := decode(t, b)
			if r.Error == nil {
				t.Fatalf("no error in %s", b)
			}
			if r.Error.Code != tc.code || r.Error.Data.Kind != string(tc.kind) || !strings.Contains(r.Error.Message, tc.contains) {
				t.Errorf("got code %d kind %q message %q; want code %d kind %q containing %q",
					r.Error.Code, r.Error.Data.Kind, r.Error.Message, tc.code, tc.kind, tc.contains)
			}
			if strings.Contains(r.Error.Message, "/var/lib") {
				t.Errorf("internal details leaked: %q", r.Error.Message)
			}
			f.alive(t)
		})
	}
}

func TestServer_Batch(t *testing.T) {
	f := newFixture(t, rpc.Limits{})
	body := `[{"jsonrpc":"2.0","id":"a","method":"Test.Add","params":[1,2]},
		{"jsonrpc":"2.0","method":"Test.Noop"},
		{"jsonrpc":"2.0","id":7,"method":"Test.Nope"},
		5,
		{"jsonrpc":"2.0","id":8,"method":"Test.Echo","params":["hi"]}]`
	status, b := f.post(t, f.read, body)
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	var rs []wireResp
	if err := json.Unmarshal(b, &rs); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if len(rs) != 4 { // the notification gets no answer
		t.Fatalf("got %d responses, want 4: %s", len(rs), b)
	}
	if string(rs[0].ID) != `"a"` || string(rs[0].Result) != "3" {
		t.Errorf("first: %s %s", rs[0].ID, rs[0].Result)
	}
	if string(rs[1].ID) != "7" || rs[1].Error == nil || rs[1].Error.Code != rpc.CodeMethodNotFound {
		t.Errorf("second: %+v", rs[1])
	}
	if string(rs[2].ID) != "null" || rs[2].Error == nil || rs[2].Error.Code != rpc.CodeInvalidRequest {
		t.Errorf("third: %+v", rs[2])
	}
	if string(rs[3].Result) != `"hi"` {
		t.Errorf("fourth: %s", rs[3].Result)
	}
	// Only notifications: nothing to say.
	status, b = f.post(t, f.read, `{"jsonrpc":"2.0","method":"Test.Noop"}`)
	if status != http.StatusNoContent || len(b) != 0 {
		t.Errorf("notification: status %d body %q", status, b)
	}
}

func TestClient_TypedCalls(t *testing.T) {
	for _, scheme := range []string{"http", "ws"} {
		t.Run(scheme, func(t *testing.T) {
			f := newFixture(t, rpc.Limits{RequestTimeout: 200 * time.Millisecond})
			ctx := context.Background()
			w := f.client(t, scheme, f.write)
			if err := w.Put(ctx, "k", []byte{1, 2, 3}); err != nil {
				t.Fatal(err)
			}
			v, err := w.Get(ctx, "k")
			if err != nil || !bytes.Equal(v, []byte{1, 2, 3}) {
				t.Fatalf("Get = %v, %v", v, err)
			}
			_, err = w.Get(ctx, "missing")
			if !errors.Is(err, rpc.ErrNotFound) || !strings.Contains(err.Error(), `key "missing" not found`) {
				t.Errorf("Get(missing) error = %v, want not_found", err)
			}
			var re *rpc.Error
			if !errors.As(err, &re) || re.Kind != rpc.KindNotFound || re.Code != rpc.CodeNotFound {
				t.Errorf("error %#v is not a not_found *rpc.Error", err)
			}
			for _, k := range []rpc.Kind{rpc.KindInvalid, rpc.KindConflict, rpc.KindTransient, rpc.KindPermission} {
				if err := w.Fail(ctx, k); !errors.Is(err, &rpc.Error{Kind: k}) {
					t.Errorf("Fail(%s) = %v", k, err)
				}
			}
			if err := w.Boom(ctx); !errors.Is(err, rpc.ErrInternal) {
				t.Errorf("Boom = %v, want internal", err)
			}
			if _, err := w.Whoami(ctx); !errors.Is(err, rpc.ErrPermission) {
				t.Errorf("Whoami with a write token = %v, want permission", err)
			}
			// A param JSON cannot carry fails on the client, before sending.
			if err := w.Float(ctx, math.NaN()); !errors.Is(err, rpc.ErrInvalid) || !strings.Contains(err.Error(), "encode params") {
				t.Errorf("Float(NaN) = %v, want an invalid-params error from the client", err)
			}
			if n, err := w.Pair(ctx, struct{ A, B int }{6, 7}); err != nil || n != 42 {
				t.Errorf("Pair = %d, %v", n, err)
			}
			// The per-request timeout reaches the handler's context.
			if _, err := w.Sleep(ctx, 5000); !errors.Is(err, rpc.ErrTransient) || !strings.Contains(err.Error(), "timed out") {
				t.Errorf("Sleep past the timeout = %v, want transient timeout", err)
			}
			// The caller's deadline ends the wait on the client side.
			cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
			defer cancel()
			if _, err := w.Sleep(cctx, 150); !errors.Is(err, rpc.ErrTransient) {
				t.Errorf("Sleep with a short caller deadline = %v, want transient", err)
			}
			a := f.client(t, scheme, f.admin)
			who, err := a.Whoami(ctx)
			if err != nil || who["allow"] != "[read write sign admin]" {
				t.Errorf("Whoami = %v, %v", who, err)
			}
			// Concurrent calls on one client (one WebSocket) all come back right.
			var wg sync.WaitGroup
			errs := make(chan error, 100)
			for i := range 100 {
				wg.Go(func() {
					n, err := w.Add(ctx, i, 1000)
					if err == nil && n != i+1000 {
						err = fmt.Errorf("Add(%d) = %d", i, n)
					}
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestClient_NoToken(t *testing.T) {
	for _, scheme := range []string{"http", "ws"} {
		t.Run(scheme, func(t *testing.T) {
			f := newFixture(t, rpc.Limits{})
			c := f.client(t, scheme, "")
			err := c.Noop(context.Background())
			if !errors.Is(err, rpc.ErrPermission) || !strings.Contains(err.Error(), "missing bearer token") {
				t.Errorf("Noop without a token = %v, want permission error", err)
			}
		})
	}
}

func TestClient_ServerDown(t *testing.T) {
	f := newFixture(t, rpc.Limits{})
	c := f.client(t, "http", f.read)
	f.http.Close()
	err := c.Noop(context.Background())
	if !errors.Is(err, rpc.ErrTransient) {
		t.Errorf("call to a closed server = %v, want transient", err)
	}
}

func TestClient_WebSocketConnectionLost(t *testing.T) {
	f := newFixture(t, rpc.Limits{})
	c := f.client(t, "ws", f.read)
	ctx := context.Background()
	if err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
	// The server drops every connection and refuses new WebSocket calls:
	// the client reports a transient error at once instead of hanging.
	if err := f.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Noop(cctx); !errors.Is(err, rpc.ErrTransient) || cctx.Err() != nil {
		t.Errorf("call after the server dropped the connection = %v, want a prompt transient error", err)
	}
}

func TestServer_ScopedClaims(t *testing.T) {
	f := newFixture(t, rpc.Limits{})
	tok, err := f.auth.NewToken([]rpc.Perm{rpc.PermRead, rpc.PermSign}, map[string]any{"Addresses": []string{"f01000", "f01001"}})
	if err != nil {
		t.Fatal(err)
	}
	c := f.client(t, "http", tok)
	got, err := c.Scoped(context.Background())
	if err != nil || fmt.Sprint(got) != "[f01000 f01001]" {
		t.Errorf("Scoped = %v, %v", got, err)
	}
	if _, err := f.auth.NewToken([]rpc.Perm{rpc.PermRead}, map[string]any{"Allow": 1}); err == nil {
		t.Error("a token overriding Allow was signed")
	}
	if _, err := f.auth.NewToken([]rpc.Perm{"root"}, nil); err == nil {
		t.Error("a token with an unknown permission was signed")
	}
}

func TestServer_Metrics(t *testing.T) {
	f := newFixture(t, rpc.Limits{})
	c := f.client(t, "http", f.read)
	for range 3 {
		_ = c.Noop(context.Background())
	}
	_ = c.Fail(context.Background(), rpc.KindConflict)
	if err := testutil.GatherAndCompare(f.reg, strings.NewReader(`
# HELP strata_rpc_requests_total JSON-RPC calls by method and outcome (ok or the error kind).
# TYPE strata_rpc_requests_total counter
strata_rpc_requests_total{method="Test.Fail",outcome="conflict"} 1
strata_rpc_requests_total{method="Test.Noop",outcome="ok"} 3
`), "strata_rpc_requests_total"); err != nil {
		t.Error(err)
	}
}

func TestServer_RegisterChecks(t *testing.T) {
	auth, _ := rpc.NewAuthority(bytes.Repeat([]byte{1}, 32))
	srv, _ := rpc.NewServer(rpc.ServerOptions{Auth: auth})
	type noPerm struct {
		Noop func(ctx context.Context) error
	}
	type badSig struct {
		Noop func(ctx context.Context, x int) error `perm:"read"`
	}
	type noCtx struct {
		Noop func() error `perm:"read"`
	}
	type missing struct {
		Nothing func(ctx context.Context) error `perm:"read"`
	}
	tests := []struct {
		name  string
		proxy any
		want  string
	}{
		{"no perm tag", &noPerm{}, "perm tag"},
		{"signature differs", &badSig{}, "has signature"},
		{"no context", &noCtx{}, "context.Context"},
		{"method missing", &missing{}, "has no method Nothing"},
		{"not a pointer", TestStruct{}, "pointer to a struct"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := srv.Register("X", &testImpl{}, tc.proxy)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Register = %v, want error containing %q", err, tc.want)
			}
		})
	}
	if err := srv.Register("T", &testImpl{}, &TestStruct{}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Register("T", &testImpl{}, &TestStruct{}); err == nil {
		t.Error("registered the same namespace twice")
	}
	if got := srv.Methods()["T.Put"]; got != rpc.PermWrite {
		t.Errorf("T.Put perm = %q", got)
	}
}

func TestServer_AnonymousRead(t *testing.T) {
	auth, _ := rpc.NewAuthority(bytes.Repeat([]byte{1}, 32))
	srv, err := rpc.NewServer(rpc.ServerOptions{Auth: auth, Anonymous: []rpc.Perm{rpc.PermRead}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Register("Test", &testImpl{kv: map[string][]byte{}}, &TestStruct{}); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	var c TestStruct
	closer, _ := rpc.NewClient(context.Background(), hs.URL, "Test", &c, rpc.ClientOptions{})
	defer closer()
	if n, err := c.Add(context.Background(), 1, 1); err != nil || n != 2 {
		t.Errorf("anonymous read = %d, %v", n, err)
	}
	if err := c.Put(context.Background(), "k", nil); !errors.Is(err, rpc.ErrPermission) {
		t.Errorf("anonymous write = %v, want permission", err)
	}
}

func TestServer_WebSocketShutdownDrains(t *testing.T) {
	f := newFixture(t, rpc.Limits{})
	c := f.client(t, "ws", f.read)
	ctx := context.Background()
	if err := c.Noop(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		s, err := c.Sleep(ctx, 300)
		if err == nil && s != "slept" {
			err = fmt.Errorf("Sleep = %q", s)
		}
		done <- err
	}()
	waitInFlight(t, f.reg)
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := f.srv.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Errorf("call in flight during shutdown: %v", err)
	}
}

// waitInFlight waits until the server runs at least one call.
func waitInFlight(t *testing.T, reg *prometheus.Registry) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == "strata_rpc_requests_in_flight" && mf.GetMetric()[0].GetGauge().GetValue() >= 1 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no call in flight after 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
