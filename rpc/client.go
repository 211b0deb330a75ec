package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// ClientOptions configure NewClient.
type ClientOptions struct {
	// Token is sent as "Authorization: Bearer <Token>" when not empty.
	Token string
	// Header holds extra request headers.
	Header http.Header
	// HTTPClient carries HTTP calls and the WebSocket handshake; nil uses a
	// client of its own with keep-alive.
	HTTPClient *http.Client
	// MaxResponseBytes bounds a response; zero means 64 MiB.
	MaxResponseBytes int64
}

// NewClient fills the func fields of proxy (a pointer to an API's proxy
// struct, the one the server registered with) with calls to
// "namespace.Field" at addr: an http(s):// URL sends each call as a POST, a
// ws(s):// URL keeps one WebSocket connection, redialled after a failure.
// The returned closer releases the connection.
//
// Every error a call returns is an *Error: the server's, or one of kind
// transient for a transport failure (connection refused, timeout) that
// unwraps to the cause.
func NewClient(ctx context.Context, addr, namespace string, proxy any, opts ClientOptions) (closer func(), err error) {
	fields, err := proxyFields(proxy)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(addr)
	if err != nil {
		return nil, fmt.Errorf("rpc client: address %q: %w", addr, err)
	}
	hdr := opts.Header.Clone()
	if hdr == nil {
		hdr = http.Header{}
	}
	if opts.Token != "" {
		hdr.Set("Authorization", "Bearer "+opts.Token)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, ForceAttemptHTTP2: false}}
	}
	maxResp := opts.MaxResponseBytes
	if maxResp <= 0 {
		maxResp = 64 << 20
	}
	var t transport
	switch u.Scheme {
	case "http", "https":
		t = &httpTransport{url: addr, header: hdr, client: hc, maxResp: maxResp}
	case "ws", "wss":
		t = &wsTransport{url: addr, header: hdr, client: hc, maxResp: maxResp}
	default:
		return nil, fmt.Errorf("rpc client: address %q: scheme must be http, https, ws or wss", addr)
	}
	pv := reflect.ValueOf(proxy).Elem()
	var ids atomic.Int64
	for _, f := range fields {
		pv.FieldByName(f.name).Set(reflect.MakeFunc(f.typ, makeCall(t, namespace+"."+f.name, f.typ, &ids)))
	}
	return t.close, nil
}

// DialAPIInfo is NewClient for an APIInfo: its URL, and its token.
func DialAPIInfo(ctx context.Context, info APIInfo, namespace string, proxy any) (closer func(), err error) {
	u, err := info.URL()
	if err != nil {
		return nil, err
	}
	return NewClient(ctx, u, namespace, proxy, ClientOptions{Token: info.Token})
}

func makeCall(t transport, name string, ft reflect.Type, ids *atomic.Int64) func([]reflect.Value) []reflect.Value {
	hasResult := ft.NumOut() == 2
	// The request is {"jsonrpc":"2.0","method":NAME,"id":ID,"params":P},
	// built around the encoded params rather than encoded again (which
	// would scan and copy them once more).
	quoted, _ := json.Marshal(name) // a string always encodes
	head := `{"jsonrpc":"2.0","method":` + string(quoted) + `,"id":`
	return func(in []reflect.Value) []reflect.Value {
		ctx, _ := in[0].Interface().(context.Context)
		if ctx == nil {
			ctx = context.Background()
		}
		params := make([]any, len(in)-1)
		for i, a := range in[1:] {
			params[i] = a.Interface()
		}
		fail := func(err error) []reflect.Value {
			ev := reflect.New(errorType).Elem()
			ev.Set(reflect.ValueOf(err))
			if hasResult {
				return []reflect.Value{reflect.Zero(ft.Out(0)), ev}
			}
			return []reflect.Value{ev}
		}
		id := strconv.FormatInt(ids.Add(1), 10)
		rawParams, err := json.Marshal(params)
		if err != nil {
			return fail(&Error{Kind: KindInvalid, Message: fmt.Sprintf("%s: encode params: %v", name, err), cause: err})
		}
		body := make([]byte, 0, len(head)+len(id)+len(`,"params":}`)+len(rawParams))
		body = append(append(append(append(append(body, head...), id...), `,"params":`...), rawParams...), '}')
		if hasResult && ft.Out(0).Kind() == reflect.Chan {
			sub, ok := t.(subscriber)
			if !ok {
				return fail(&Error{Kind: KindInvalid, Message: fmt.Sprintf("%s is a subscription: dial a ws:// or wss:// address", name)})
			}
			ch, err := sub.subscribe(ctx, id, body, ft.Out(0).Elem())
			if err != nil {
				return fail(err)
			}
			return []reflect.Value{ch.Convert(ft.Out(0)), reflect.Zero(errorType)}
		}
		resp, err := t.roundTrip(ctx, id, body)
		if err != nil {
			return fail(err)
		}
		if resp.Error != nil {
			return fail(resp.Error.toError())
		}
		if !hasResult {
			return []reflect.Value{reflect.Zero(errorType)}
		}
		out := reflect.New(ft.Out(0))
		if err := json.Unmarshal(resp.Result, out.Interface()); err != nil {
			return fail(&Error{Kind: KindInternal, Message: fmt.Sprintf("%s: decode result: %v", name, err), cause: err})
		}
		return []reflect.Value{out.Elem(), reflect.Zero(errorType)}
	}
}

// subscriber is a transport that can carry subscriptions.
type subscriber interface {
	// subscribe sends the request and returns a channel of elem values that
	// lives until the server closes it, ctx ends or the connection fails.
	subscribe(ctx context.Context, id string, req []byte, elem reflect.Type) (reflect.Value, error)
}

// transport sends one encoded request and returns its response.
type transport interface {
	roundTrip(ctx context.Context, id string, req []byte) (*response, error)
	close()
}

func transientErr(format string, cause error, args ...any) *Error {
	return &Error{Kind: KindTransient, Message: fmt.Sprintf(format, args...) + ": " + cause.Error(), cause: cause}
}

type httpTransport struct {
	url     string
	header  http.Header
	client  *http.Client
	maxResp int64
}

func (h *httpTransport) roundTrip(ctx context.Context, _ string, body []byte) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return nil, &Error{Kind: KindInvalid, Message: err.Error(), cause: err}
	}
	req.Header = h.header.Clone()
	req.Header.Set("Content-Type", "application/json")
	res, err := h.client.Do(req)
	if err != nil {
		return nil, transientErr("rpc POST %s", err, h.url)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, h.maxResp+1))
	if err != nil {
		return nil, transientErr("rpc read response", err)
	}
	if int64(len(data)) > h.maxResp {
		return nil, &Error{Kind: KindInvalid, Message: fmt.Sprintf("response exceeds the limit of %d bytes", h.maxResp)}
	}
	var resp response
	if err := json.Unmarshal(data, &resp); err != nil || (resp.Error == nil && resp.Result == nil) {
		return nil, statusError(res.StatusCode, data)
	}
	return &resp, nil
}

// statusError describes an HTTP failure that carried no JSON-RPC answer.
func statusError(code int, body []byte) *Error {
	msg := fmt.Sprintf("HTTP %d: %s", code, strings.TrimSpace(string(body[:min(len(body), 200)])))
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return &Error{Kind: KindPermission, Message: msg}
	case code == http.StatusNotFound:
		return &Error{Kind: KindNotFound, Message: msg}
	case code >= 500 || code == http.StatusTooManyRequests:
		return &Error{Kind: KindTransient, Message: msg}
	default:
		return &Error{Kind: KindInvalid, Message: msg}
	}
}

func (h *httpTransport) close() { h.client.CloseIdleConnections() }

// wsTransport multiplexes calls over one WebSocket connection.
type wsTransport struct {
	url     string
	header  http.Header
	client  *http.Client
	maxResp int64

	mu      sync.Mutex
	conn    *websocket.Conn
	pending map[string]pendingCall
	subs    map[uint64]*clientSub
	closed  bool
}

// pendingCall waits for its response; a subscription's sub is registered
// by the read loop as the response arrives, before any value can.
type pendingCall struct {
	ch  chan *response
	sub *clientSub
}

func (w *wsTransport) dial(ctx context.Context) (*websocket.Conn, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, &Error{Kind: KindInvalid, Message: "client closed"}
	}
	if w.conn != nil {
		return w.conn, nil
	}
	c, res, err := websocket.Dial(ctx, w.url, &websocket.DialOptions{HTTPClient: w.client, HTTPHeader: w.header})
	if err != nil {
		if res != nil && res.StatusCode != http.StatusSwitchingProtocols {
			var resp response
			body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
			if json.Unmarshal(body, &resp) == nil && resp.Error != nil {
				return nil, resp.Error.toError()
			}
			return nil, statusError(res.StatusCode, body)
		}
		return nil, transientErr("rpc dial %s", err, w.url)
	}
	c.SetReadLimit(w.maxResp)
	w.conn = c
	w.pending = make(map[string]pendingCall)
	w.subs = make(map[uint64]*clientSub)
	go w.readLoop(c)
	return c, nil
}

// wsMessage is anything the server sends: a response, or a notification of
// a subscription.
type wsMessage struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *wireError      `json:"error"`
}

// readLoop delivers responses to their callers and values to their
// subscriptions until the connection fails, then fails every pending call
// and ends every subscription, so that the next call redials.
func (w *wsTransport) readLoop(c *websocket.Conn) {
	for {
		// Read from a pooled buffer: json.Unmarshal copies what msg keeps.
		_, data, buf, err := readMessage(c)
		if err != nil {
			break
		}
		var msg wsMessage
		err = json.Unmarshal(data, &msg)
		releaseBody(buf)
		if err != nil {
			continue // not for us
		}
		if msg.Method != "" {
			w.notify(msg.Method, msg.Params)
			continue
		}
		id := string(bytes.TrimSpace(msg.ID))
		w.mu.Lock()
		p, ok := w.pending[id]
		delete(w.pending, id)
		if ok && p.sub != nil && msg.Error == nil {
			var chID uint64
			if json.Unmarshal(msg.Result, &chID) == nil {
				p.sub.chID = chID
				w.subs[chID] = p.sub
			}
		}
		w.mu.Unlock()
		if ok {
			p.ch <- &response{ID: msg.ID, Result: msg.Result, Error: msg.Error}
		}
	}
	w.mu.Lock()
	if w.conn == c {
		w.conn = nil
	}
	pending, subs := w.pending, w.subs
	w.pending, w.subs = nil, nil
	w.mu.Unlock()
	for _, p := range pending {
		close(p.ch)
	}
	for _, s := range subs {
		s.end()
	}
	_ = c.CloseNow()
}

// notify routes xrpc.ch.val and xrpc.ch.close to their subscription.
func (w *wsTransport) notify(method string, params json.RawMessage) {
	var p []json.RawMessage
	if json.Unmarshal(params, &p) != nil || len(p) == 0 {
		return
	}
	var chID uint64
	if json.Unmarshal(p[0], &chID) != nil {
		return
	}
	w.mu.Lock()
	sub := w.subs[chID]
	if method == methodChClose {
		delete(w.subs, chID)
	}
	w.mu.Unlock()
	if sub == nil {
		return
	}
	switch {
	case method == methodChVal && len(p) == 2:
		sub.push(p[1])
	case method == methodChClose:
		sub.end()
	}
}

func (w *wsTransport) subscribe(ctx context.Context, id string, body []byte, elem reflect.Type) (reflect.Value, error) {
	sub := newClientSub(elem)
	resp, err := w.send(ctx, id, body, sub)
	if err != nil {
		return reflect.Value{}, err
	}
	if resp.Error != nil {
		return reflect.Value{}, resp.Error.toError()
	}
	go sub.pump(ctx, func() { w.cancel(id, sub) })
	return sub.out, nil
}

// cancel ends a subscription the caller gave up on and tells the server.
func (w *wsTransport) cancel(id string, sub *clientSub) {
	w.mu.Lock()
	c := w.conn
	if w.subs != nil && w.subs[sub.chID] == sub {
		delete(w.subs, sub.chID)
	}
	w.mu.Unlock()
	if c != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Write(ctx, websocket.MessageText, notification(methodCancel, id))
	}
}

func (w *wsTransport) roundTrip(ctx context.Context, id string, body []byte) (*response, error) {
	return w.send(ctx, id, body, nil)
}

// send writes a request and waits for its response. A caller that gives up
// tells the server with xrpc.cancel, as Lotus's client does.
func (w *wsTransport) send(ctx context.Context, id string, body []byte, sub *clientSub) (*response, error) {
	c, err := w.dial(ctx)
	if err != nil {
		return nil, err
	}
	ch := make(chan *response, 1)
	w.mu.Lock()
	if w.pending == nil || w.conn != c {
		w.mu.Unlock()
		return nil, &Error{Kind: KindTransient, Message: "websocket connection lost"}
	}
	w.pending[id] = pendingCall{ch: ch, sub: sub}
	w.mu.Unlock()
	forget := func() {
		w.mu.Lock()
		if w.pending != nil {
			delete(w.pending, id)
		}
		w.mu.Unlock()
	}
	if err := c.Write(ctx, websocket.MessageText, body); err != nil {
		forget()
		return nil, transientErr("rpc websocket write", err)
	}
	select {
	case resp, ok := <-ch:
		if !ok {
			return nil, &Error{Kind: KindTransient, Message: "websocket connection lost before the answer"}
		}
		return resp, nil
	case <-ctx.Done():
		forget()
		wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = c.Write(wctx, websocket.MessageText, notification(methodCancel, id))
		cancel()
		return nil, transientErr("rpc call", ctx.Err())
	}
}

// clientSub is one subscription on the client side. Values queue without
// bound, so a slow consumer never stalls the connection's other calls.
type clientSub struct {
	elem reflect.Type
	out  reflect.Value // chan elem, handed to the caller as <-chan elem
	chID uint64        // set by the read loop under the transport's lock

	mu    sync.Mutex
	queue []json.RawMessage
	ended bool
	wake  chan struct{}
}

func newClientSub(elem reflect.Type) *clientSub {
	return &clientSub{elem: elem, out: reflect.MakeChan(reflect.ChanOf(reflect.BothDir, elem), 0), wake: make(chan struct{}, 1)}
}

func (s *clientSub) push(v json.RawMessage) {
	s.mu.Lock()
	s.queue = append(s.queue, v)
	s.mu.Unlock()
	s.signal()
}

func (s *clientSub) end() {
	s.mu.Lock()
	s.ended = true
	s.mu.Unlock()
	s.signal()
}

func (s *clientSub) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// pump delivers queued values in order until the server ends the
// subscription (then the channel closes) or ctx ends (then cancel tells the
// server and the channel closes). Values that do not decode are dropped.
func (s *clientSub) pump(ctx context.Context, cancel func()) {
	defer s.out.Close()
	done := reflect.ValueOf(ctx.Done())
	for {
		s.mu.Lock()
		q, ended := s.queue, s.ended
		s.queue = nil
		s.mu.Unlock()
		for _, raw := range q {
			v := reflect.New(s.elem)
			if json.Unmarshal(raw, v.Interface()) != nil {
				continue
			}
			chosen, _, _ := reflect.Select([]reflect.SelectCase{
				{Dir: reflect.SelectSend, Chan: s.out, Send: v.Elem()},
				{Dir: reflect.SelectRecv, Chan: done},
			})
			if chosen == 1 {
				cancel()
				return
			}
		}
		if len(q) > 0 {
			continue
		}
		if ended {
			return
		}
		select {
		case <-s.wake:
		case <-ctx.Done():
			cancel()
			return
		}
	}
}

func (w *wsTransport) close() {
	w.mu.Lock()
	w.closed = true
	c := w.conn
	w.mu.Unlock()
	if c != nil {
		_ = c.Close(websocket.StatusNormalClosure, "")
	}
}
