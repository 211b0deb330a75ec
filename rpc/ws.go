package rpc

import (
	"context"
	"errors"
	"net/http"
	"sync"

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

	sem := make(chan struct{}, s.limits.MaxInFlight)
	for {
		typ, msg, err := c.Read(ctx)
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
			return
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			s.calls.Done()
			return
		}
		go func() {
			defer func() { <-sem; s.calls.Done() }()
			out, ok := s.dispatch(ctx, claims, msg)
			if ok {
				if err := c.Write(ctx, websocket.MessageText, out); err != nil {
					s.log.Debug("websocket write", "err", err)
				}
			}
		}()
	}
}
