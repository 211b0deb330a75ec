package rpc

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Limits bound what one caller can make a server do.
type Limits struct {
	MaxBodyBytes   int64         // largest request body (or WebSocket message)
	MaxBatch       int           // most requests in one batch
	RequestTimeout time.Duration // deadline of each call's context
	MaxInFlight    int           // concurrent calls per WebSocket connection
}

// DefaultLimits returns the limits used where a field is zero.
func DefaultLimits() Limits {
	return Limits{MaxBodyBytes: 8 << 20, MaxBatch: 100, RequestTimeout: time.Minute, MaxInFlight: 64}
}

// ServerOptions configure a Server.
type ServerOptions struct {
	// Auth verifies bearer tokens. Required.
	Auth Authenticator
	// Anonymous lists the permissions of a caller without a token. Empty (the
	// default) means such a caller is refused with HTTP 401. Lotus grants read;
	// only the devnet chain offers that, as an explicit option.
	Anonymous []Perm
	// Limits; zero fields take DefaultLimits.
	Limits Limits
	// Logger receives request failures and panics. Nil discards.
	Logger *slog.Logger
	// Metrics, when set, receives the request counters and latencies.
	Metrics prometheus.Registerer
}

// Server answers JSON-RPC calls for the methods registered on it. It is an
// http.Handler for Path (POST, and GET upgrading to WebSocket). Register all
// methods before serving; after that a Server is safe for concurrent use.
type Server struct {
	auth    Authenticator
	anon    Claims
	limits  Limits
	log     *slog.Logger
	methods map[string]*method
	metrics *metrics

	mu       sync.Mutex
	draining bool
	conns    map[*wsConn]struct{}
	calls    sync.WaitGroup // in-flight WebSocket calls
}

// NewServer returns a Server with no methods.
func NewServer(opts ServerOptions) (*Server, error) {
	if opts.Auth == nil {
		return nil, errors.New("rpc server: an Authenticator is required")
	}
	l, d := opts.Limits, DefaultLimits()
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = d.MaxBodyBytes
	}
	if l.MaxBatch <= 0 {
		l.MaxBatch = d.MaxBatch
	}
	if l.RequestTimeout <= 0 {
		l.RequestTimeout = d.RequestTimeout
	}
	if l.MaxInFlight <= 0 {
		l.MaxInFlight = d.MaxInFlight
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for _, p := range opts.Anonymous {
		if !p.Valid() {
			return nil, fmt.Errorf("rpc server: unknown anonymous permission %q", p)
		}
	}
	s := &Server{
		auth:    opts.Auth,
		anon:    Claims{Allow: opts.Anonymous},
		limits:  l,
		log:     log,
		methods: make(map[string]*method),
		conns:   make(map[*wsConn]struct{}),
	}
	if opts.Metrics != nil {
		m, err := newMetrics(opts.Metrics)
		if err != nil {
			return nil, err
		}
		s.metrics = m
	}
	return s, nil
}

// Register exposes impl's methods named by the func fields of proxy (a
// pointer to the API's proxy struct) as "namespace.Method". Each field's perm
// tag is the permission the method requires. It fails if impl lacks a method
// or a signature differs, or a name is already registered.
func (s *Server) Register(namespace string, impl, proxy any) error {
	if namespace == "" || strings.Contains(namespace, ".") {
		return fmt.Errorf("rpc register: bad namespace %q", namespace)
	}
	ms, err := bindMethods(namespace, impl, proxy)
	if err != nil {
		return fmt.Errorf("rpc register %s: %w", namespace, err)
	}
	for _, m := range ms {
		if _, dup := s.methods[m.name]; dup {
			return fmt.Errorf("rpc register: %s registered twice", m.name)
		}
	}
	for _, m := range ms {
		s.methods[m.name] = m
	}
	return nil
}

// Methods lists the registered method names with their permissions.
func (s *Server) Methods() map[string]Perm {
	out := make(map[string]Perm, len(s.methods))
	for n, m := range s.methods {
		out[n] = m.perm
	}
	return out
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	claims, err := s.authenticate(r)
	if err != nil {
		writeJSON(w, http.StatusUnauthorized, errorResponse(nil, err))
		return
	}
	switch {
	case r.Method == http.MethodPost:
		s.serveHTTP(w, r, claims)
	case r.Method == http.MethodGet && strings.EqualFold(r.Header.Get("Upgrade"), "websocket"):
		s.serveWS(w, r, claims)
	default:
		w.Header().Set("Allow", "POST, GET (WebSocket)")
		writeJSON(w, http.StatusMethodNotAllowed, errorResponse(nil,
			protocolError(CodeInvalidRequest, KindInvalid, "method %s not allowed: POST a JSON-RPC request, or open a WebSocket", r.Method)))
	}
}

// authenticate reads the bearer token (or, for browsers opening a WebSocket,
// the token query parameter, as Lotus allows).
func (s *Server) authenticate(r *http.Request) (Claims, *Error) {
	tok := ""
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, rest, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(rest) == "" {
			return Claims{}, &Error{Kind: KindPermission, Message: `malformed Authorization header (want "Bearer <token>")`}
		}
		tok = strings.TrimSpace(rest)
	} else if q := r.URL.Query().Get("token"); q != "" {
		tok = q
	}
	if tok == "" {
		if len(s.anon.Allow) > 0 {
			return s.anon, nil
		}
		return Claims{}, &Error{Kind: KindPermission, Message: "missing bearer token (send Authorization: Bearer <token>)"}
	}
	c, err := s.auth.Verify(r.Context(), tok)
	if err != nil {
		var re *Error
		if errors.As(err, &re) {
			return Claims{}, &Error{Kind: KindPermission, Message: re.Message}
		}
		return Claims{}, &Error{Kind: KindPermission, Message: "invalid token"}
	}
	return c, nil
}

// bodies holds request body buffers for reuse: the decoded request keeps
// copies of what it needs (json.RawMessage copies), so a body's buffer is
// free once its answer is written.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBody bounds the buffers kept in bodies.
const maxPooledBody = 64 << 10

// releaseBody returns buf to bodies, unless it grew too large to keep.
func releaseBody(buf *bytes.Buffer) {
	if buf != nil && buf.Cap() <= maxPooledBody {
		buf.Reset()
		bodies.Put(buf)
	}
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request, claims Claims) {
	buf := bodies.Get().(*bytes.Buffer)
	defer releaseBody(buf)
	if n := r.ContentLength; n > 0 && n <= s.limits.MaxBodyBytes {
		buf.Grow(int(n) + bytes.MinRead) // ReadFrom wants MinRead spare
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.limits.MaxBodyBytes))
	body := buf.Bytes()
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSON(w, http.StatusRequestEntityTooLarge, errorResponse(nil,
				protocolError(CodeInvalidRequest, KindInvalid, "request body exceeds the limit of %d bytes", s.limits.MaxBodyBytes)))
			return
		}
		writeJSON(w, http.StatusBadRequest, errorResponse(nil, protocolError(CodeParseError, KindInvalid, "read request body: %v", err)))
		return
	}
	out, _, ok := s.dispatch(r.Context(), claims, body, nil)
	if !ok {
		w.WriteHeader(http.StatusNoContent) // only notifications: nothing to answer
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}

// dispatch runs a body (one request or a batch) and returns the encoded
// answer, or false when nothing must be answered. On a WebSocket (sess not
// nil) it also returns the subscriptions to start once the answer is written.
func (s *Server) dispatch(ctx context.Context, claims Claims, body []byte, sess *session) ([]byte, []func(), bool) {
	items, batch, derr := decodeBody(body, s.limits.MaxBatch)
	if derr != nil {
		s.count("", derr)
		return mustJSON(errorResponse(nil, derr)), nil, true
	}
	resps := make([]response, 0, len(items))
	var starts []func()
	for _, it := range items {
		if it.err != nil {
			s.count("", it.err)
			resps = append(resps, errorResponse(it.id, it.err))
			continue
		}
		if it.req.Method == methodCancel {
			if sess != nil {
				sess.cancelRequest(it.req.Params)
			}
			continue // a notification: never answered
		}
		resp, start := s.call(ctx, claims, it.req, sess)
		if start != nil {
			starts = append(starts, start)
		}
		if !it.req.isNotification() {
			resps = append(resps, resp)
		}
	}
	switch {
	case len(resps) == 0:
		return nil, starts, false
	case batch:
		return mustJSON(resps), starts, true
	case resps[0].Error == nil && len(resps[0].Result) > 0:
		return encodeResult(resps[0].ID, resps[0].Result), starts, true
	default:
		return mustJSON(resps[0]), starts, true
	}
}

// call runs one request and builds its response. For a subscription it
// also returns the function that starts forwarding values, to be run once
// the response is on the wire.
func (s *Server) call(ctx context.Context, claims Claims, req *request, sess *session) (resp response, start func()) {
	began := time.Now()
	m, ok := s.methods[req.Method]
	if !ok {
		e := protocolError(CodeMethodNotFound, KindNotFound, "method %q not found", req.Method)
		s.count("", e)
		return errorResponse(req.ID, e), nil
	}
	s.enter()
	var failed *Error
	defer func() {
		s.leave()
		s.observe(m, failed, time.Since(began))
	}()
	fail := func(e *Error) (response, func()) {
		failed = e
		return errorResponse(req.ID, e), nil
	}
	if !claims.Has(m.perm) {
		s.log.Warn("rpc call refused", "method", m.name, "needs", m.perm, "allowed", claims.Allow)
		return fail(&Error{Kind: KindPermission, Message: fmt.Sprintf("method %s needs permission %q; the token allows %v", m.name, m.perm, claims.Allow)})
	}
	if m.sub && sess == nil {
		return fail(&Error{Kind: KindInvalid, Message: fmt.Sprintf("method %s is a subscription: call it over a WebSocket", m.name)})
	}
	args, perr := decodeParams(m, req.Params)
	if perr != nil {
		s.log.Info("rpc call with invalid params", "method", m.name, "err", perr.Message)
		return fail(perr)
	}
	ctx = WithClaims(ctx, claims)
	var cancel context.CancelFunc
	if m.sub {
		// A subscription lives until the client cancels it or the
		// connection ends, not for one request's timeout.
		ctx, cancel = context.WithCancel(ctx)
	} else {
		ctx, cancel = context.WithTimeout(ctx, s.limits.RequestTimeout)
	}
	if sess != nil && !req.isNotification() {
		sess.track(req.ID, cancel)
	}
	done := func() {
		if sess != nil && !req.isNotification() {
			sess.untrack(req.ID)
		}
		cancel()
	}

	result, err := s.invoke(ctx, m, args)
	if err != nil {
		done()
		e, ref := classify(err)
		if ref != "" {
			s.log.Error("rpc call failed", "method", m.name, "ref", ref, "err", err)
		}
		return fail(e)
	}
	if m.sub {
		if result.IsNil() {
			done()
			return fail(&Error{Kind: KindInternal, Message: fmt.Sprintf("%s returned a nil channel", m.name)})
		}
		id := sess.nextChannel()
		return response{JSONRPC: "2.0", ID: orNull(req.ID), Result: json.RawMessage(fmt.Sprint(id))},
			func() { go sess.forward(ctx, done, id, result) }
	}
	defer done()
	raw := json.RawMessage("null")
	if m.result != nil {
		b, err := json.Marshal(result.Interface())
		if err != nil {
			ref := newRef()
			s.log.Error("rpc result encoding failed", "method", m.name, "ref", ref, "err", err)
			return fail(internalError(ref))
		}
		raw = b
	}
	return response{JSONRPC: "2.0", ID: orNull(req.ID), Result: raw}, nil
}

// invoke calls the method, turning a panic into an internal error so that one
// bad handler never takes the process down.
func (s *Server) invoke(ctx context.Context, m *method, args []reflect.Value) (result reflect.Value, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("rpc handler panicked", "method", m.name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic in %s: %v", m.name, p)
		}
	}()
	in := make([]reflect.Value, 0, len(args)+1)
	in = append(in, reflect.ValueOf(ctx))
	in = append(in, args...)
	out := m.fn.Call(in)
	if e := out[len(out)-1]; !e.IsNil() {
		return reflect.Value{}, e.Interface().(error)
	}
	if m.result != nil {
		return out[0], nil
	}
	return reflect.Value{}, nil
}

// decodeParams decodes positional params into the method's argument types.
func decodeParams(m *method, params json.RawMessage) ([]reflect.Value, *Error) {
	var raw []json.RawMessage
	if p := bytes.TrimSpace(params); len(p) > 0 && !bytes.Equal(p, []byte("null")) {
		if err := json.Unmarshal(p, &raw); err != nil {
			return nil, protocolError(CodeInvalidParams, KindInvalid, "params: %v", err)
		}
	}
	if len(raw) != len(m.args) {
		return nil, protocolError(CodeInvalidParams, KindInvalid, "%s takes %d params, got %d", m.name, len(m.args), len(raw))
	}
	out := make([]reflect.Value, len(raw))
	for i, r := range raw {
		v := reflect.New(m.args[i])
		if err := json.Unmarshal(r, v.Interface()); err != nil {
			return nil, protocolError(CodeInvalidParams, KindInvalid, "%s param %d: %v", m.name, i+1, err)
		}
		out[i] = v.Elem()
	}
	return out, nil
}

// encodeResult encodes a success response as mustJSON does, without
// reflection: id is a JSON string, number or null as decoded (so compact),
// result what json.Marshal returned (compact too).
func encodeResult(id, result json.RawMessage) []byte {
	b := make([]byte, 0, len(`{"jsonrpc":"2.0","id":,"result":}`)+len(id)+len(result))
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = append(b, id...)
	b = append(b, `,"result":`...)
	b = append(b, result...)
	return append(b, '}')
}

func orNull(id json.RawMessage) json.RawMessage {
	if len(id) == 0 {
		return nullID
	}
	return id
}

func newRef() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func mustJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // messages are read by people and programs, not browsers
	if err := enc.Encode(v); err != nil {
		// Responses hold only RawMessages checked at creation, strings and ints.
		panic(fmt.Sprintf("rpc: encode response: %v", err))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(mustJSON(v))
}

// Shutdown stops taking calls on WebSocket connections, waits for the calls
// in flight (or ctx), then closes the connections. Plain HTTP requests are
// drained by http.Server.Shutdown; call both.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.draining = true
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.calls.Wait(); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("rpc shutdown: calls still running: %w", ctx.Err())
	}
	s.mu.Lock()
	conns := make([]*wsConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.close("server shutting down")
	}
	return err
}
