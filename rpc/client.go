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
	"strings"
	"sync"
	"sync/atomic"

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
		id := fmt.Sprint(ids.Add(1))
		rawParams, err := json.Marshal(params)
		if err != nil {
			return fail(&Error{Kind: KindInvalid, Message: fmt.Sprintf("%s: encode params: %v", name, err), cause: err})
		}
		body, err := json.Marshal(request{JSONRPC: "2.0", ID: json.RawMessage(id), Method: name, Params: rawParams})
		if err != nil {
			return fail(&Error{Kind: KindInvalid, Message: fmt.Sprintf("%s: encode request: %v", name, err), cause: err})
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
	pending map[string]chan *response
	closed  bool
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
	w.pending = make(map[string]chan *response)
	go w.readLoop(c)
	return c, nil
}

// readLoop delivers responses to their callers until the connection fails,
// then fails every pending call so that the next call redials.
func (w *wsTransport) readLoop(c *websocket.Conn) {
	for {
		_, msg, err := c.Read(context.Background())
		if err != nil {
			break
		}
		var resp response
		if json.Unmarshal(msg, &resp) != nil {
			continue // not for a pending call of ours
		}
		w.mu.Lock()
		ch, ok := w.pending[string(resp.ID)]
		delete(w.pending, string(resp.ID))
		w.mu.Unlock()
		if ok {
			ch <- &resp
		}
	}
	w.mu.Lock()
	if w.conn == c {
		w.conn = nil
	}
	pending := w.pending
	w.pending = nil
	w.mu.Unlock()
	for _, ch := range pending {
		close(ch)
	}
	_ = c.CloseNow()
}

func (w *wsTransport) roundTrip(ctx context.Context, id string, body []byte) (*response, error) {
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
	w.pending[id] = ch
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
		return nil, transientErr("rpc call", ctx.Err())
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
