// Package daemon is the runtime every Strata process shares: its home
// directory (lock, JWT secret, api and token files), one HTTP listener for
// JSON-RPC (/rpc/v1), /healthz, /readyz and /metrics, and the Common API.
// A process builds a Daemon, registers its own API on RPC(), then calls
// Start; Close drains calls in flight. Signals are main's business.
package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/strata-sp/strata/config"
	"github.com/strata-sp/strata/rpc"
)

// Options configure a Daemon.
type Options struct {
	// Process names the process ("hub", "devnet") in logs.
	Process string
	// Namespace is the JSON-RPC namespace of the process's API; the Common
	// methods are registered under it too.
	Namespace string
	Home      Home
	API       config.API
	// BlockDelay is the chain's block time in seconds, which Version reports
	// (a chain node's; zero elsewhere).
	BlockDelay uint64
	// Anonymous permissions for callers without a token; empty refuses them.
	Anonymous []rpc.Perm
	Logger    *slog.Logger
}

// Daemon is one process's server. Its methods are safe for concurrent use.
type Daemon struct {
	opts   Options
	log    *slog.Logger
	auth   *rpc.Authority
	rpc    *rpc.Server
	reg    *prometheus.Registry
	unlock func()

	mu       sync.Mutex
	checks   map[string]func(context.Context) error
	ln       net.Listener
	srv      *http.Server
	stopped  chan struct{}
	serveErr error
	closing  bool

	closeOnce sync.Once
	closeErr  error
}

// New locks the home (creating it and its secret if needed) and prepares the
// server; nothing listens until Start.
func New(opts Options) (*Daemon, error) {
	if opts.Process == "" || opts.Namespace == "" || opts.Home.Dir == "" {
		return nil, errors.New("daemon: Process, Namespace and Home are required")
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	unlock, err := opts.Home.Lock()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", opts.Process, err)
	}
	d, err := build(opts, log)
	if err != nil {
		unlock()
		return nil, err
	}
	d.unlock = unlock
	return d, nil
}

func build(opts Options, log *slog.Logger) (*Daemon, error) {
	secret, err := opts.Home.Secret(true)
	if err != nil {
		return nil, err
	}
	auth, err := rpc.NewAuthority(secret)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	srv, err := rpc.NewServer(rpc.ServerOptions{
		Auth:      auth,
		Anonymous: opts.Anonymous,
		Limits: rpc.Limits{
			MaxBodyBytes:   opts.API.MaxBodyBytes,
			MaxBatch:       opts.API.MaxBatch,
			RequestTimeout: opts.API.RequestTimeout.Std(),
		},
		Logger:  log,
		Metrics: reg,
	})
	if err != nil {
		return nil, err
	}
	var sid [16]byte
	_, _ = rand.Read(sid[:])
	if err := srv.Register(opts.Namespace, &common{auth: auth, session: hex.EncodeToString(sid[:]), blockDelay: opts.BlockDelay}, &(&CommonStruct{}).Internal); err != nil {
		return nil, err
	}
	return &Daemon{
		opts:    opts,
		log:     log,
		auth:    auth,
		rpc:     srv,
		reg:     reg,
		checks:  map[string]func(context.Context) error{},
		stopped: make(chan struct{}),
	}, nil
}

// RPC returns the JSON-RPC server, for the process to register its API on
// before Start.
func (d *Daemon) RPC() *rpc.Server { return d.rpc }

// Authority returns the token authority of this process.
func (d *Daemon) Authority() *rpc.Authority { return d.auth }

// Metrics returns the registry served at /metrics.
func (d *Daemon) Metrics() *prometheus.Registry { return d.reg }

// AddReadyCheck adds a check to /readyz (a database ping, a chain
// connection). A check must return within the request's context.
func (d *Daemon) AddReadyCheck(name string, check func(context.Context) error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.checks[name] = check
}

// Start listens on the configured address, serves, and writes the api and
// token files into the home.
func (d *Daemon) Start(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", d.opts.API.ListenAddress)
	if err != nil {
		return fmt.Errorf("%s: listen: %w", d.opts.Process, err)
	}
	mux := http.NewServeMux()
	mux.Handle(rpc.Path, d.rpc)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", d.serveReady)
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.reg, promhttp.HandlerOpts{Registry: d.reg}))
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelDebug),
	}
	srv.RegisterOnShutdown(func() {
		// WebSocket connections are hijacked: http.Server.Shutdown does not
		// see them, so the RPC server drains them itself.
		ctx, cancel := context.WithTimeout(context.Background(), d.opts.API.DrainTimeout.Std())
		defer cancel()
		_ = d.rpc.Shutdown(ctx)
	})
	d.mu.Lock()
	d.ln, d.srv = ln, srv
	d.mu.Unlock()

	maddr, err := rpc.Multiaddr(ln.Addr())
	if err != nil {
		_ = ln.Close()
		return err
	}
	admin, err := d.auth.NewToken(rpc.AllPerms(), nil)
	if err != nil {
		_ = ln.Close()
		return err
	}
	if err := d.opts.Home.WriteAPI(maddr, admin); err != nil {
		_ = ln.Close()
		return err
	}
	go func() {
		err := srv.Serve(ln)
		d.mu.Lock()
		if !errors.Is(err, http.ErrServerClosed) {
			d.serveErr = err
		}
		d.mu.Unlock()
		close(d.stopped)
	}()
	d.log.Info("listening", "addr", ln.Addr().String(), "api", maddr, "home", d.opts.Home.Dir)
	return nil
}

// Addr is the address the daemon listens on (after Start).
func (d *Daemon) Addr() net.Addr {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ln == nil {
		return nil
	}
	return d.ln.Addr()
}

// APIInfo returns the address of this daemon with a token of perm.
func (d *Daemon) APIInfo(perm rpc.Perm) (rpc.APIInfo, error) {
	addr := d.Addr()
	if addr == nil {
		return rpc.APIInfo{}, errors.New("daemon not started")
	}
	maddr, err := rpc.Multiaddr(addr)
	if err != nil {
		return rpc.APIInfo{}, err
	}
	perms, err := rpc.PermsUpTo(perm)
	if err != nil {
		return rpc.APIInfo{}, err
	}
	tok, err := d.auth.NewToken(perms, nil)
	if err != nil {
		return rpc.APIInfo{}, err
	}
	return rpc.APIInfo{Token: tok, Addr: maddr}, nil
}

// Stopped is closed when the server stops, on Close or by failing; Err
// then says why.
func (d *Daemon) Stopped() <-chan struct{} { return d.stopped }

// Err returns the error that stopped the server on its own, if any.
func (d *Daemon) Err() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.serveErr
}

func (d *Daemon) serveReady(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	closing := d.closing
	checks := make(map[string]func(context.Context) error, len(d.checks))
	for k, v := range d.checks {
		checks[k] = v
	}
	d.mu.Unlock()
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	failed := map[string]string{}
	if closing {
		failed["process"] = "shutting down"
	}
	names := make([]string, 0, len(checks))
	for n := range checks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := checks[n](ctx); err != nil {
			failed[n] = err.Error()
		}
	}
	w.Header().Set("Content-Type", "application/json")
	status := http.StatusOK
	if len(failed) > 0 {
		status = http.StatusServiceUnavailable
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"ready": len(failed) == 0, "checks": names, "failed": failed})
}

// Close stops taking new connections, lets calls in flight finish until ctx
// ends (then cuts them), removes the api file and releases the home.
// It is idempotent; later calls return the first result.
func (d *Daemon) Close(ctx context.Context) error {
	d.closeOnce.Do(func() {
		d.mu.Lock()
		d.closing = true
		srv := d.srv
		d.mu.Unlock()
		var errs []error
		if srv != nil {
			d.log.Info("draining")
			if err := srv.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("drain: %w", err))
				_ = srv.Close()
			}
			<-d.stopped
		}
		if err := d.opts.Home.RemoveAPI(); err != nil {
			errs = append(errs, err)
		}
		if d.unlock != nil {
			d.unlock()
		}
		d.closeErr = errors.Join(errs...)
		d.log.Info("stopped")
	})
	return d.closeErr
}
