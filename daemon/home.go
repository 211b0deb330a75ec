package daemon

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/strata-sp/strata/internal/atomicfile"
	"github.com/strata-sp/strata/rpc"
)

// Home is a process's home directory. It holds, as Lotus's repo does:
//
//	config.toml       the process's configuration (optional)
//	keystore/jwt      the HS256 secret of its tokens, hex, mode 0600
//	api               its API multiaddr, while it runs
//	token             an admin token, mode 0600
//	lock              held (flock) by the running process
type Home struct {
	Dir string
}

// EnvHome names the directory holding every process's home (default ~/.strata).
const EnvHome = "STRATA_HOME"

// DefaultHome returns the home of process: $STRATA_HOME/process, or
// ~/.strata/process.
func DefaultHome(process string, getenv func(string) string) (Home, error) {
	base := getenv(EnvHome)
	if base == "" {
		h := getenv("HOME")
		if h == "" {
			var err error
			if h, err = os.UserHomeDir(); err != nil {
				return Home{}, fmt.Errorf("no home directory: set %s or --home: %w", EnvHome, err)
			}
		}
		base = filepath.Join(h, ".strata")
	}
	return Home{Dir: filepath.Join(base, process)}, nil
}

// Path resolves p inside the home, unless it is absolute.
func (h Home) Path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(h.Dir, p)
}

// ConfigPath is where the process's config.toml lives.
func (h Home) ConfigPath() string { return h.Path("config.toml") }

// ErrLocked means another process holds the home.
var ErrLocked = errors.New("home directory is in use by another process")

// Lock creates the home if needed and takes its lock for this process; the
// lock goes with the process, however it ends.
func (h Home) Lock() (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Join(h.Dir, "keystore"), 0o700); err != nil {
		return nil, fmt.Errorf("create home: %w", err)
	}
	f, err := os.OpenFile(h.Path("lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock home: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("%w: %s", ErrLocked, h.Dir)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); _ = f.Close() }, nil
}

// Secret returns the JWT secret, creating it when create is set and none exists.
func (h Home) Secret(create bool) ([]byte, error) {
	p := h.Path(filepath.Join("keystore", "jwt"))
	b, err := os.ReadFile(p)
	switch {
	case err == nil:
		s, derr := hex.DecodeString(strings.TrimSpace(string(b)))
		if derr != nil || len(s) < rpc.SecretSize {
			return nil, fmt.Errorf("jwt secret %s is damaged (want %d hex-encoded bytes)", p, rpc.SecretSize)
		}
		return s, nil
	case !errors.Is(err, os.ErrNotExist) || !create:
		return nil, fmt.Errorf("read jwt secret: %w", err)
	}
	s, err := rpc.NewSecret()
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(p, []byte(hex.EncodeToString(s)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write jwt secret: %w", err)
	}
	return s, nil
}

// WriteAPI records where the process listens and an admin token, so that
// local commands find it.
func (h Home) WriteAPI(maddr, adminToken string) error {
	if err := atomicfile.WriteFile(h.Path("token"), []byte(adminToken), 0o600); err != nil {
		return fmt.Errorf("write token: %w", err)
	}
	if err := atomicfile.WriteFile(h.Path("api"), []byte(maddr), 0o644); err != nil {
		return fmt.Errorf("write api: %w", err)
	}
	return nil
}

// RemoveAPI removes the api file (the process no longer listens).
func (h Home) RemoveAPI() error {
	if err := os.Remove(h.Path("api")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// APIInfo reads the api and token files of a running process.
func (h Home) APIInfo() (rpc.APIInfo, error) {
	addr, err := os.ReadFile(h.Path("api"))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return rpc.APIInfo{}, fmt.Errorf("no api file in %s: is the process running?", h.Dir)
		}
		return rpc.APIInfo{}, err
	}
	tok, err := os.ReadFile(h.Path("token"))
	if err != nil {
		return rpc.APIInfo{}, fmt.Errorf("read token: %w", err)
	}
	return rpc.ParseAPIInfo(strings.TrimSpace(string(tok)) + ":" + strings.TrimSpace(string(addr)))
}
