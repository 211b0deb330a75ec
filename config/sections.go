package config

import (
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// API configures a process's HTTP listener: JSON-RPC at /rpc/v1, /healthz,
// /readyz and /metrics.
type API struct {
	ListenAddress  string   `toml:"ListenAddress" comment:"host:port to listen on (port 0 picks a free port)"`
	MaxBodyBytes   int64    `toml:"MaxBodyBytes" comment:"largest JSON-RPC request body or WebSocket message, in bytes"`
	MaxBatch       int      `toml:"MaxBatch" comment:"most requests in one JSON-RPC batch"`
	RequestTimeout Duration `toml:"RequestTimeout" comment:"deadline of each call"`
	DrainTimeout   Duration `toml:"DrainTimeout" comment:"on the first SIGINT/SIGTERM, how long calls in flight may run before the process exits"`
}

// DefaultAPI returns the API defaults for a process listening on port.
func DefaultAPI(port int) API {
	return API{
		ListenAddress:  net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		MaxBodyBytes:   8 << 20,
		MaxBatch:       100,
		RequestTimeout: Duration(time.Minute),
		DrainTimeout:   Duration(30 * time.Second),
	}
}

// Validate checks the section; prefix is its name in the file.
func (a API) Validate(prefix string) error {
	var errs []error
	if _, port, err := net.SplitHostPort(a.ListenAddress); err != nil {
		errs = append(errs, Errorf(prefix+".ListenAddress", "%q is not host:port: %v", a.ListenAddress, err))
	} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		errs = append(errs, Errorf(prefix+".ListenAddress", "port %q is not a number from 0 to 65535", port))
	}
	if a.MaxBodyBytes < 1024 {
		errs = append(errs, Errorf(prefix+".MaxBodyBytes", "%d is below the minimum of 1024", a.MaxBodyBytes))
	}
	if a.MaxBatch < 1 {
		errs = append(errs, Errorf(prefix+".MaxBatch", "must be at least 1, got %d", a.MaxBatch))
	}
	if a.RequestTimeout.Std() <= 0 {
		errs = append(errs, Errorf(prefix+".RequestTimeout", "must be positive, got %s", a.RequestTimeout.Std()))
	}
	if a.DrainTimeout.Std() < 0 {
		errs = append(errs, Errorf(prefix+".DrainTimeout", "must not be negative, got %s", a.DrainTimeout.Std()))
	}
	return errors.Join(errs...)
}

// Log configures logging.
type Log struct {
	Level  string `toml:"Level" comment:"debug, info, warn or error"`
	Format string `toml:"Format" comment:"text or json"`
}

// DefaultLog returns the logging defaults.
func DefaultLog() Log { return Log{Level: "info", Format: "text"} }

// SlogLevel returns the level as a slog.Level.
func (l Log) SlogLevel() slog.Level {
	var v slog.Level
	_ = v.UnmarshalText([]byte(l.Level))
	return v
}

// Validate checks the section.
func (l Log) Validate(prefix string) error {
	var errs []error
	var v slog.Level
	if err := v.UnmarshalText([]byte(l.Level)); err != nil {
		errs = append(errs, Errorf(prefix+".Level", "%q is not debug, info, warn or error", l.Level))
	}
	if l.Format != "text" && l.Format != "json" {
		errs = append(errs, Errorf(prefix+".Format", "%q is not text or json", l.Format))
	}
	return errors.Join(errs...)
}

// Store configures the SQL database.
type Store struct {
	Driver string `toml:"Driver" comment:"sqlite (embedded, the default) or postgres (shared, for HA and scale-out)"`
	Path   string `toml:"Path" comment:"sqlite: database file; a relative path is inside the process's home"`
	URL    string `toml:"URL" comment:"postgres: connection URL, e.g. postgres://user:pass@host:5432/strata?sslmode=disable"`
}

// DefaultStore returns the embedded SQLite default.
func DefaultStore() Store { return Store{Driver: "sqlite", Path: "strata.db"} }

// Validate checks the section.
func (s Store) Validate(prefix string) error {
	switch s.Driver {
	case "sqlite":
		if strings.TrimSpace(s.Path) == "" {
			return Errorf(prefix+".Path", "required with Driver = \"sqlite\"")
		}
	case "postgres":
		if !strings.HasPrefix(s.URL, "postgres://") && !strings.HasPrefix(s.URL, "postgresql://") {
			return Errorf(prefix+".URL", "required with Driver = \"postgres\" and must start with postgres://")
		}
	default:
		return Errorf(prefix+".Driver", "%q is not sqlite or postgres", s.Driver)
	}
	return nil
}
