package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/coder/websocket"
)

// wsConn is one server-side WebSocket connection. Each text message is a
// request or a batch; calls run concurrently (at most Limits.MaxInFlight per
// connection) and answers go back in completion order, matched by id.
type wsConn struct {
	c      *websocket.Conn
	cancel context.CancelFunc
	once   sync.Once
}

func (w *wsConn) close(reason string) {
	w.once.Do(func() {
		_ = w.c.Close(websocket.StatusGoingAway, reason)
		w.cancel()
	})
}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request, claims Claims) {
	// Accept checks the Origin header against the Host, refusing cross-site
	// browser pages; programs send no Origin and are accepted.
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		s.log.Debug("websocket upgrade failed", "err", err)
		return
	}
	c.SetReadLimit(s.limits.MaxBodyBytes)
	// The connection outlives the upgrade request: its context is our own.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	conn := &wsConn{c: c, cancel: cancel}

	s.mu.Lock()
	if s.draining {
		s.mu.Unlock()
		conn.close("server shutting down")
		return
	}
	s.conns[conn] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, conn)
		s.mu.Unlock()
		conn.close("")
	}()

	sess := &session{
		ctx:     ctx,
		log:     s.log,
		cancels: map[string]context.CancelFunc{},
		write:   func(b []byte) error { return c.Write(ctx, websocket.MessageText, b) },
	}
	sem := make(chan struct{}, s.limits.MaxInFlight)
	for {
		// The read needs no context: ctx ends only in conn.close, which
		// closes the connection and so ends the read (a context would
		// cost a callback registration per message).
		typ, msg, buf, err := readMessage(c)
		if err != nil {
			if errors.As(err, new(websocket.CloseError)) || ctx.Err() != nil {
				return
			}
			// Too large a message, or a broken connection: the close code
			// (1009 for a message over the limit) tells the peer which.
			s.log.Debug("websocket read", "err", err)
			return
		}
		if typ != websocket.MessageText {
			releaseBody(buf)
			_ = c.Close(websocket.StatusUnsupportedData, "send JSON-RPC as text messages")
			return
		}
		s.mu.Lock()
		draining := s.draining
		if !draining {
			s.calls.Add(1)
		}
		s.mu.Unlock()
		if draining {
			releaseBody(buf)
			return
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			releaseBody(buf)
			s.calls.Done()
			return
		}
		go func() {
			// The decoded request holds copies of what it needs from msg.
			defer func() { releaseBody(buf); <-sem; s.calls.Done() }()
			out, starts, ok := s.dispatch(ctx, claims, msg, sess)
			if ok {
				if err := sess.write(out); err != nil {
					s.log.Debug("websocket write", "err", err)
				}
			}
			// Subscriptions start after their answer is written, so the
			// client knows the channel id before its first value.
			for _, start := range starts {
				start()
			}
		}()
	}
}

// readMessage reads the next message into a buffer from bodies (see
// releaseBody), within the connection's read limit.
func readMessage(c *websocket.Conn) (websocket.MessageType, []byte, *bytes.Buffer, error) {
	typ, r, err := c.Reader(context.Background())
	if err != nil {
		return 0, nil, nil, err
	}
	buf := bodies.Get().(*bytes.Buffer)
	buf.Reset()
	if _, err := buf.ReadFrom(r); err != nil {
		releaseBody(buf)
		return 0, nil, nil, err
	}
	return typ, buf.Bytes(), buf, nil
}

// The notifications of Lotus's go-jsonrpc for channels and cancellation, so
// that Lotus clients can subscribe to Strata and Strata to Lotus.
const (
	methodCancel  = "xrpc.cancel"   // client → server, params [request id]
	methodChVal   = "xrpc.ch.val"   // server → client, params [channel id, value]
	methodChClose = "xrpc.ch.close" // server → client, params [channel id]
)

// session is the per-connection state of a WebSocket: the calls in flight,
// which the client may cancel, and the subscription channel ids.
type session struct {
	ctx   context.Context
	log   *slog.Logger
	write func([]byte) error

	mu      sync.Mutex
	cancels map[string]context.CancelFunc
	chans   atomic.Uint64
}

func idKey(id json.RawMessage) string { return string(bytes.TrimSpace(id)) }

func (s *session) track(id json.RawMessage, cancel context.CancelFunc) {
	s.mu.Lock()
	s.cancels[idKey(id)] = cancel
	s.mu.Unlock()
}

func (s *session) untrack(id json.RawMessage) {
	s.mu.Lock()
	delete(s.cancels, idKey(id))
	s.mu.Unlock()
}

// cancelRequest handles xrpc.cancel: params [id] of a call in flight or a
// subscription. Unknown ids are ignored (the call may have just ended).
func (s *session) cancelRequest(params json.RawMessage) {
	var p []json.RawMessage
	if json.Unmarshal(params, &p) != nil || len(p) != 1 {
		s.log.Debug("malformed xrpc.cancel", "params", string(params))
		return
	}
	s.mu.Lock()
	cancel := s.cancels[idKey(p[0])]
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

func (s *session) nextChannel() uint64 { return s.chans.Add(1) }

// forward sends each value of a subscription's channel as xrpc.ch.val until
// the channel closes or ctx ends (client cancel, connection closed), then
// sends xrpc.ch.close. A subscription method must stop sending and close
// its channel when its context ends.
func (s *session) forward(ctx context.Context, done func(), id uint64, ch reflect.Value) {
	defer done()
	cases := []reflect.SelectCase{
		{Dir: reflect.SelectRecv, Chan: ch},
		{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())},
	}
	for {
		chosen, v, ok := reflect.Select(cases)
		if chosen == 1 || !ok {
			break
		}
		val, err := json.Marshal(v.Interface())
		if err != nil {
			s.log.Error("subscription value does not encode; closing it", "channel", id, "err", err)
			break
		}
		if err := s.write(notification(methodChVal, fmt.Sprint(id), string(val))); err != nil {
			return // the connection is gone
		}
	}
	if s.ctx.Err() == nil {
		_ = s.write(notification(methodChClose, fmt.Sprint(id)))
	}
}

// notification encodes a request without an id.
func notification(method string, params ...string) []byte {
	raws := make([]json.RawMessage, len(params))
	for i, p := range params {
		raws[i] = json.RawMessage(p)
	}
	return mustJSON(request{JSONRPC: "2.0", Method: method, Params: mustJSON(raws)})
}
