package processor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Config configures a Client. A zero optional field selects its default.
type Config struct {
	// Stage names the stage; the processor must print ReadyLine(Stage).
	// Required.
	Stage string
	// Bin is the executable, a path or a name looked up in PATH. Required.
	Bin string
	// Args are its arguments (without the program name).
	Args []string
	// Env holds "KEY=VALUE" entries added to the environment the processor
	// inherits from the worker, or, with ClearEnv, its whole environment.
	Env      []string
	ClearEnv bool
	// Dir is its working directory; empty means the worker's.
	Dir string

	// Concurrency bounds the requests in flight in the processor at once.
	// Default 1. A request whose caller gave up keeps its slot until the
	// processor answers it or exits, because the processor is still busy.
	Concurrency int
	// ReadyTimeout bounds the wait for the ready line. Default 1 minute.
	ReadyTimeout time.Duration
	// StopTimeout is how long Close lets the processor finish its requests
	// after closing its stdin, before killing it. Default 10 seconds.
	StopTimeout time.Duration
	// MaxLineBytes bounds one reply line. Default DefaultMaxLineBytes.
	MaxLineBytes int

	// MaxRestarts bounds the restarts in a row, that is without any reply
	// from the processor in between, before the Client gives up and every
	// call fails with ErrNotReady. Default 5; negative: never restart.
	MaxRestarts int
	// RestartBackoff is the delay before the first restart in a row; it
	// doubles at each further one, up to MaxRestartBackoff. Defaults 1 second
	// and 30 seconds.
	RestartBackoff    time.Duration
	MaxRestartBackoff time.Duration

	// Logger receives the Client's records and, at Info, each line the
	// processor writes on stderr. Default: records are discarded.
	Logger *slog.Logger
}

// Validate reports a missing or invalid field.
func (c Config) Validate() error {
	var errs []error
	if c.Stage == "" || strings.ContainsAny(c.Stage, "\r\n") {
		errs = append(errs, fmt.Errorf("stage %q: must be a non-empty name on one line", c.Stage))
	}
	if c.Bin == "" {
		errs = append(errs, errors.New("bin: required"))
	}
	for _, e := range c.Env {
		if !strings.Contains(e, "=") {
			errs = append(errs, fmt.Errorf("env %q: want KEY=VALUE", e))
		}
	}
	if c.Concurrency < 0 {
		errs = append(errs, fmt.Errorf("concurrency %d: negative", c.Concurrency))
	}
	if c.MaxLineBytes < 0 {
		errs = append(errs, fmt.Errorf("max line bytes %d: negative", c.MaxLineBytes))
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{
		{"ready timeout", c.ReadyTimeout},
		{"stop timeout", c.StopTimeout},
		{"restart backoff", c.RestartBackoff},
		{"max restart backoff", c.MaxRestartBackoff},
	} {
		if d.d < 0 {
			errs = append(errs, fmt.Errorf("%s %s: negative", d.name, d.d))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("processor config: %w", err)
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Concurrency == 0 {
		c.Concurrency = 1
	}
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = time.Minute
	}
	if c.StopTimeout == 0 {
		c.StopTimeout = 10 * time.Second
	}
	if c.MaxLineBytes == 0 {
		c.MaxLineBytes = DefaultMaxLineBytes
	}
	if c.MaxRestarts == 0 {
		c.MaxRestarts = 5
	}
	if c.RestartBackoff == 0 {
		c.RestartBackoff = time.Second
	}
	if c.MaxRestartBackoff == 0 {
		c.MaxRestartBackoff = 30 * time.Second
	}
	if c.MaxRestartBackoff < c.RestartBackoff {
		c.MaxRestartBackoff = c.RestartBackoff
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Client runs a processor executable and sends it tasks. It restarts the
// processor when it dies. A Client is safe for concurrent use.
type Client struct {
	cfg    Config
	log    *slog.Logger
	nextID atomic.Uint64
	slots  chan struct{} // one token per request in flight

	ctx    context.Context // cancelled by Close: stops restarts
	cancel context.CancelFunc
	wg     sync.WaitGroup // the supervisor

	mu      sync.Mutex
	cur     *proc         // the running process; nil while restarting
	err     error         // set once: ErrClosed, or the give-up error
	changed chan struct{} // closed and replaced when cur or err changes

	closeOnce sync.Once
	closeErr  error
}

// Start starts the processor executable described by cfg and waits for its
// ready line. ctx bounds only this first start; the Client lives until Close.
// A failure to start is returned (wrapping ErrNotReady) rather than retried,
// since it is most likely a configuration error.
func Start(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	log := cfg.Logger.With("stage", cfg.Stage)
	p, err := spawn(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:     cfg,
		log:     log,
		slots:   make(chan struct{}, cfg.Concurrency),
		cur:     p,
		changed: make(chan struct{}),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	c.wg.Add(1)
	go c.supervise(p)
	return c, nil
}

// PID returns the process id of the running processor, or 0 while there is
// none (during a restart, after giving up, after Close).
func (c *Client) PID() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur == nil {
		return 0
	}
	return c.cur.pid
}

// Call sends task, encoded with encoding/json, and decodes the reply's output
// into out (skipped if out is nil or the output is null). If the processor is
// restarting, Call waits for it.
//
// Errors: ErrRemote wrapped with the processor's err_msg; ErrProcessorExited
// (an *ExitError) if the processor died with the request in flight, after which
// the Client restarts it and a retry may succeed; ErrNotReady once the Client
// gave up restarting; ErrClosed after Close; ctx's error if ctx ends first, in
// which case the request is abandoned and its reply, if any, discarded.
func (c *Client) Call(ctx context.Context, task any, out any) error {
	raw, err := json.Marshal(task)
	if err != nil {
		return fmt.Errorf("%s call: encode task: %w", c.cfg.Stage, err)
	}
	if !utf8.Valid(raw) { // possible only through a json.RawMessage
		return fmt.Errorf("%s call: encode task: not valid UTF-8", c.cfg.Stage)
	}
	select {
	case c.slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("%s call: wait for a slot: %w", c.cfg.Stage, context.Cause(ctx))
	case <-c.ctx.Done():
		return fmt.Errorf("%s call: %w", c.cfg.Stage, ErrClosed)
	}
	release := sync.OnceFunc(func() { <-c.slots })
	id := c.nextID.Add(1)
	line := appendRequest(make([]byte, 0, len(raw)+32), id, raw)
	for {
		p, err := c.current(ctx)
		if err != nil {
			release()
			return fmt.Errorf("%s call: %w", c.cfg.Stage, err)
		}
		pc := &pendingCall{res: make(chan callResult, 1), release: release}
		if !p.register(id, pc) {
			<-p.done // it just died: nothing was sent, use the next one
			continue
		}
		select {
		case p.reqs <- line:
		case <-p.done:
			// Failed by the exit path; the result is waiting below.
		case <-ctx.Done():
			if p.unregister(id) {
				release()
				return fmt.Errorf("%s call %d: %w", c.cfg.Stage, id, context.Cause(ctx))
			}
		}
		select {
		case r := <-pc.res:
			return c.result(id, r, out)
		case <-ctx.Done():
			p.abandon(id)
			return fmt.Errorf("%s call %d: abandoned: %w", c.cfg.Stage, id, context.Cause(ctx))
		}
	}
}

func (c *Client) result(id uint64, r callResult, out any) error {
	if r.err != nil {
		return fmt.Errorf("%s call %d: %w", c.cfg.Stage, id, r.err)
	}
	if r.reply.ErrMsg != nil {
		return fmt.Errorf("%s call %d: %w: %s", c.cfg.Stage, id, ErrRemote, *r.reply.ErrMsg)
	}
	if out != nil && len(r.reply.Output) > 0 {
		if err := json.Unmarshal(r.reply.Output, out); err != nil {
			return fmt.Errorf("%s call %d: decode output: %w", c.cfg.Stage, id, err)
		}
	}
	return nil
}

// current returns the running process, waiting through a restart.
func (c *Client) current(ctx context.Context) (*proc, error) {
	for {
		c.mu.Lock()
		p, err, changed := c.cur, c.err, c.changed
		c.mu.Unlock()
		if err != nil {
			return nil, err
		}
		if p != nil {
			select {
			case <-p.done:
				// Dead, and the supervisor is about to say so.
			default:
				return p, nil
			}
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}

// set changes the running process and the terminal error, and wakes waiters.
// It keeps the first terminal error.
func (c *Client) set(p *proc, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cur = p
	if c.err == nil {
		c.err = err
	}
	close(c.changed)
	c.changed = make(chan struct{})
}

// supervise restarts the processor each time it exits, until Close or until
// MaxRestarts restarts in a row fail to get a reply out of it.
func (c *Client) supervise(p *proc) {
	defer c.wg.Done()
	inARow := 0
	for {
		select {
		case <-p.done:
		case <-c.ctx.Done():
			return
		}
		if c.ctx.Err() != nil {
			return // Close is stopping it
		}
		c.set(nil, nil)
		var last error = p.exitErr
		if p.replied.Load() {
			inARow = 0
		}
		for {
			inARow++
			if c.cfg.MaxRestarts < 0 || inARow > c.cfg.MaxRestarts {
				err := fmt.Errorf("%w: gave up after %d restarts in a row: %w", ErrNotReady, inARow-1, last)
				c.log.Error("processor keeps failing; not restarting it", "err", err)
				c.set(nil, err)
				return
			}
			delay := c.backoff(inARow)
			c.log.Warn("restarting processor", "attempt", inARow, "delay", delay, "cause", last)
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-c.ctx.Done():
				t.Stop()
				return
			}
			np, err := spawn(c.ctx, c.cfg, c.log)
			if err != nil {
				if c.ctx.Err() != nil {
					return
				}
				last = err
				continue
			}
			p = np
			c.set(p, nil)
			break
		}
	}
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.cfg.RestartBackoff
	for i := 1; i < attempt && d < c.cfg.MaxRestartBackoff; i++ {
		d *= 2
	}
	return min(d, c.cfg.MaxRestartBackoff)
}

// Close stops the Client: new calls fail with ErrClosed, the processor's stdin
// is closed so that it finishes the requests in flight and exits, and after
// Config.StopTimeout (or when ctx ends, if sooner) it is killed; requests
// still in flight then fail with ErrClosed. Close returns when the process is
// gone; it is idempotent, and returns a non-nil error only if the process had
// to be killed.
func (c *Client) Close(ctx context.Context) error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		if c.err == nil {
			c.err = ErrClosed
		} else {
			c.err = fmt.Errorf("%w (after: %w)", ErrClosed, c.err)
		}
		close(c.changed)
		c.changed = make(chan struct{})
		c.mu.Unlock()
		c.cancel()  // stops the supervisor, and a start in progress
		c.wg.Wait() // so c.cur is final
		c.mu.Lock()
		p := c.cur
		c.cur = nil
		c.mu.Unlock()
		if p != nil {
			c.closeErr = p.stop(ctx, c.cfg.StopTimeout)
		}
	})
	return c.closeErr
}
