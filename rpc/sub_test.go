package rpc_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/strata-sp/strata/rpc"
)

// SubStruct is a streaming API, shaped like Lotus's ChainNotify.
type SubStruct struct {
	Count   func(ctx context.Context, n int) (<-chan Tick, error) `perm:"read"`
	Forever func(ctx context.Context) (<-chan int, error)         `perm:"read"`
	Refuse  func(ctx context.Context) (<-chan int, error)         `perm:"read"`
	Hang    func(ctx context.Context) error                       `perm:"read"`
}

type Tick struct {
	N    int
	Name string
}

type subImpl struct {
	stopped  chan struct{} // closed when Forever's producer saw its context end
	canceled chan struct{} // closed when Hang's context ended
}

func (s *subImpl) Count(_ context.Context, n int) (<-chan Tick, error) {
	ch := make(chan Tick)
	go func() {
		defer close(ch)
		for i := range n {
			ch <- Tick{N: i, Name: strings.Repeat("x", i%3)}
		}
	}()
	return ch, nil
}

func (s *subImpl) Forever(ctx context.Context) (<-chan int, error) {
	ch := make(chan int)
	go func() {
		defer close(ch)
		defer close(s.stopped)
		for i := 0; ; i++ {
			select {
			case ch <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch, nil
}

func (s *subImpl) Refuse(context.Context) (<-chan int, error) {
	return nil, rpc.Errorf(rpc.KindConflict, "no more subscribers")
}

func (s *subImpl) Hang(ctx context.Context) error {
	<-ctx.Done()
	close(s.canceled)
	return ctx.Err()
}

func subServer(t *testing.T) (*fixture, *subImpl, *httptest.Server, string) {
	t.Helper()
	f := newFixture(t, rpc.Limits{RequestTimeout: time.Minute})
	impl := &subImpl{stopped: make(chan struct{}), canceled: make(chan struct{})}
	if err := f.srv.Register("Sub", impl, &SubStruct{}); err != nil {
		t.Fatal(err)
	}
	return f, impl, f.http, f.read
}

func subClient(t *testing.T, hs *httptest.Server, scheme, tok string) *SubStruct {
	t.Helper()
	var c SubStruct
	u := strings.Replace(hs.URL, "http", scheme, 1) + rpc.Path
	closer, err := rpc.NewClient(context.Background(), u, "Sub", &c, rpc.ClientOptions{Token: tok})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closer)
	return &c
}

func TestSubscription_DeliversInOrderAndCloses(t *testing.T) {
	_, _, hs, tok := subServer(t)
	c := subClient(t, hs, "ws", tok)
	ch, err := c.Count(context.Background(), 500)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for tick := range ch {
		if tick.N != n || tick.Name != strings.Repeat("x", n%3) {
			t.Fatalf("value %d = %+v", n, tick)
		}
		n++
	}
	if n != 500 {
		t.Errorf("got %d values, want 500", n)
	}
	// Ordinary calls still work on the same connection afterwards, and
	// several subscriptions run side by side.
	a, _ := c.Count(context.Background(), 3)
	b, _ := c.Count(context.Background(), 4)
	na, nb := 0, 0
	for range a {
		na++
	}
	for range b {
		nb++
	}
	if na != 3 || nb != 4 {
		t.Errorf("concurrent subscriptions gave %d and %d values", na, nb)
	}
	if _, err := c.Refuse(context.Background()); !errors.Is(err, rpc.ErrConflict) {
		t.Errorf("refused subscription: %v", err)
	}
}

func TestSubscription_CancelReachesServer(t *testing.T) {
	_, impl, hs, tok := subServer(t)
	c := subClient(t, hs, "ws", tok)
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := c.Forever(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if v := <-ch; v != i {
			t.Fatalf("value %d = %d", i, v)
		}
	}
	cancel()
	select {
	case <-impl.stopped: // xrpc.cancel ended the handler's context
	case <-time.After(10 * time.Second):
		t.Fatal("the server's producer never saw the cancellation")
	}
	for range ch { // the client's channel closes
	}
}

func TestSubscription_CancelOfPlainCall(t *testing.T) {
	f, impl, hs, tok := subServer(t)
	c := subClient(t, hs, "ws", tok)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- c.Hang(ctx) }()
	waitInFlight(t, f.reg)
	cancel()
	if err := <-errc; !errors.Is(err, rpc.ErrTransient) {
		t.Errorf("canceled call = %v", err)
	}
	select {
	case <-impl.canceled:
	case <-time.After(10 * time.Second):
		t.Fatal("xrpc.cancel did not cancel the call on the server")
	}
}

func TestSubscription_NeedsWebSocket(t *testing.T) {
	_, _, hs, tok := subServer(t)
	c := subClient(t, hs, "http", tok)
	if _, err := c.Count(context.Background(), 1); !errors.Is(err, rpc.ErrInvalid) || !strings.Contains(err.Error(), "ws://") {
		t.Errorf("subscription over an http client = %v", err)
	}
	// A raw POST to a subscription method is refused by the server.
	f := &fixture{http: hs}
	_, body := f.post(t, tok, `{"jsonrpc":"2.0","id":1,"method":"Sub.Count","params":[1]}`)
	if !strings.Contains(string(body), "call it over a WebSocket") {
		t.Errorf("POST to a subscription: %s", body)
	}
}

func TestSubscription_EndsWhenConnectionCloses(t *testing.T) {
	f, _, hs, tok := subServer(t)
	c := subClient(t, hs, "ws", tok)
	ch, err := c.Forever(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	<-ch
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = f.srv.Shutdown(ctx)
	done := make(chan struct{})
	go func() {
		for range ch {
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("subscription channel still open after the connection closed")
	}
}

// TestSubscription_WireFormat checks the frames a Lotus (go-jsonrpc) client
// expects: the answer carries the channel id, values come as xrpc.ch.val
// notifications [id, value], and xrpc.ch.close [id] ends the channel.
func TestSubscription_WireFormat(t *testing.T) {
	_, _, hs, tok := subServer(t)
	ctx := context.Background()
	u := "ws" + strings.TrimPrefix(hs.URL, "http") + rpc.Path + "?token=" + tok
	c, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := c.Write(ctx, websocket.MessageText, []byte(`{"jsonrpc":"2.0","id":7,"method":"Sub.Count","params":[2]}`)); err != nil {
		t.Fatal(err)
	}
	var frames []string
	for range 4 {
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		frames = append(frames, string(b))
	}
	want := []string{
		`{"jsonrpc":"2.0","id":7,"result":1}`,
		`{"jsonrpc":"2.0","method":"xrpc.ch.val","params":[1,{"N":0,"Name":""}]}`,
		`{"jsonrpc":"2.0","method":"xrpc.ch.val","params":[1,{"N":1,"Name":"x"}]}`,
		`{"jsonrpc":"2.0","method":"xrpc.ch.close","params":[1]}`,
	}
	for i := range want {
		var got, exp any
		_ = json.Unmarshal([]byte(frames[i]), &got)
		_ = json.Unmarshal([]byte(want[i]), &exp)
		gb, _ := json.Marshal(got)
		eb, _ := json.Marshal(exp)
		if string(gb) != string(eb) {
			t.Errorf("frame %d = %s, want %s", i, frames[i], want[i])
		}
	}
}

// TestWS_MessageLimits: a message over MaxBodyBytes closes the connection
// with 1009 (message too big); messages of varied sizes on one connection,
// read into reused buffers, each get their own answer.
func TestWS_MessageLimits(t *testing.T) {
	f := newFixture(t, rpc.Limits{MaxBodyBytes: 4 << 10})
	ctx := context.Background()
	u := "ws" + strings.TrimPrefix(f.http.URL, "http") + rpc.Path + "?token=" + f.read
	c, _, err := websocket.Dial(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for i, n := range []int{3000, 10, 2000, 0, 3500, 1} {
		s := strings.Repeat(string(rune('a'+i)), n)
		req := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"Test.Echo","params":[%q]}`, i, s)
		if err := c.Write(ctx, websocket.MessageText, []byte(req)); err != nil {
			t.Fatal(err)
		}
		_, b, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			ID     int
			Result string
		}
		if err := json.Unmarshal(b, &r); err != nil || r.ID != i || r.Result != s {
			t.Fatalf("answer %d: id %d, %d bytes, %v", i, r.ID, len(r.Result), err)
		}
	}
	big := `{"jsonrpc":"2.0","id":1,"method":"Test.Echo","params":["` + strings.Repeat("x", 5<<10) + `"]}`
	if err := c.Write(ctx, websocket.MessageText, []byte(big)); err != nil {
		t.Fatal(err)
	}
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, _, err = c.Read(rctx)
	if got := websocket.CloseStatus(err); got != websocket.StatusMessageTooBig {
		t.Fatalf("after an oversized message: %v (close status %d), want %d", err, got, websocket.StatusMessageTooBig)
	}
}
