package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/strata-sp/strata/daemon"
	"github.com/strata-sp/strata/rpc"
)

// envReexec makes the test binary behave as the strata binary (the same
// run as main), with a slow test method added to the daemon it starts.
const envReexec = "STRATA_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(envReexec) == "1" {
		e := newEnv()
		e.extend = func(d *daemon.Daemon) error {
			return d.RPC().Register("Test", slowAPI{}, &slowStruct{})
		}
		os.Exit(run(context.Background(), e, os.Args[1:]))
	}
	os.Exit(m.Run())
}

type slowStruct struct {
	Sleep func(ctx context.Context, ms int) (string, error) `perm:"read"`
}

type slowAPI struct{}

func (slowAPI) Sleep(ctx context.Context, ms int) (string, error) {
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
		return "slept", nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// startDevnet starts "strata devnet" as a separate process and waits until
// it has written its api file.
func startDevnet(t *testing.T, extra ...string) (*exec.Cmd, daemon.Home, *logBuffer) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	home := daemon.Home{Dir: filepath.Join(t.TempDir(), "devnet")}
	args := append([]string{"devnet", "--home", home.Dir, "--api-listen-address", "127.0.0.1:0", "--log-level", "debug"}, extra...)
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), envReexec+"=1")
	logs := &logBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := home.APIInfo(); err == nil {
			return cmd, home, logs
		}
		if time.Now().After(deadline) {
			t.Fatalf("devnet did not start; logs:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logBuffer collects a child's stderr; the exec copier writes while the
// test reads.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func dial(t *testing.T, home daemon.Home) (*slowStruct, *daemon.CommonStruct) {
	t.Helper()
	info, err := home.APIInfo()
	if err != nil {
		t.Fatal(err)
	}
	var slow slowStruct
	var common daemon.CommonStruct
	for ns, proxy := range map[string]any{"Test": &slow, "Filecoin": &common.Internal} {
		closer, err := rpc.DialAPIInfo(context.Background(), info, ns, proxy)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(closer)
	}
	return &slow, &common
}

func waitExit(t *testing.T, cmd *exec.Cmd, within time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), time.Since(start)
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, time.Since(start)
	case <-time.After(within):
		t.Fatalf("process still running after %s", within)
		return -1, 0
	}
}

func TestDevnet_SIGTERMDrainsRequestInFlight(t *testing.T) {
	cmd, home, logs := startDevnet(t)
	slow, common := dial(t, home)
	ctx := context.Background()
	if v, err := common.Version(ctx); err != nil || !strings.HasPrefix(v.Version, "0.") {
		t.Fatalf("Filecoin.Version = %+v, %v", v, err)
	}
	result := make(chan error, 1)
	go func() {
		s, err := slow.Sleep(ctx, 1500)
		if err == nil && s != "slept" {
			err = errors.New("wrong answer " + s)
		}
		result <- err
	}()
	waitInFlight(t, home)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-result; err != nil {
		t.Fatalf("request in flight at SIGTERM: %v\nlogs:\n%s", err, logs)
	}
	code, _ := waitExit(t, cmd, 10*time.Second)
	if code != 0 {
		t.Errorf("exit code %d after a drained SIGTERM; logs:\n%s", code, logs)
	}
	if _, err := os.Stat(home.Path("api")); !os.IsNotExist(err) {
		t.Errorf("api file left behind: %v", err)
	}
	if !strings.Contains(logs.String(), "draining") {
		t.Errorf("no drain in the logs:\n%s", logs)
	}
}

func TestDevnet_SecondSignalExitsAtOnce(t *testing.T) {
	cmd, home, logs := startDevnet(t)
	slow, _ := dial(t, home)
	go func() { _, _ = slow.Sleep(context.Background(), 20000) }()
	waitInFlight(t, home)
	_ = cmd.Process.Signal(syscall.SIGINT)
	waitFor(t, func() bool { return strings.Contains(logs.String(), "draining") })
	_ = cmd.Process.Signal(syscall.SIGINT)
	code, took := waitExit(t, cmd, 5*time.Second)
	if code != exitError || took > 3*time.Second {
		t.Errorf("second signal: exit code %d after %s, want %d at once; logs:\n%s", code, took, exitError, logs)
	}
}

func TestDevnet_RestartsOnSameHome(t *testing.T) {
	cmd, home, _ := startDevnet(t)
	_, common := dial(t, home)
	s1, err := common.Session(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := home.APIInfo()
	if err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	waitExit(t, cmd, 10*time.Second)

	// Restart on the same home: same secret, so old tokens stay valid; a new session.
	exe, _ := os.Executable()
	cmd2 := exec.Command(exe, "devnet", "--home", home.Dir, "--api-listen-address", "127.0.0.1:0")
	cmd2.Env = append(os.Environ(), envReexec+"=1")
	if err := cmd2.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd2.Process.Kill(); _, _ = cmd2.Process.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := home.APIInfo(); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("restart did not come up")
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, common2 := dial(t, home)
	perms, err := common2.AuthVerify(context.Background(), tok.Token)
	if err != nil || len(perms) != 4 {
		t.Errorf("old admin token after restart: %v, %v", perms, err)
	}
	if s2, _ := common2.Session(context.Background()); s2 == s1 || s2 == "" {
		t.Errorf("session did not change across restart: %q", s2)
	}
}

// runCLI runs a command in-process.
func runCLI(t *testing.T, getenv map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(k string) string { return getenv[k] }}
	code := run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

func TestCLI(t *testing.T) {
	home := t.TempDir()
	envs := map[string]string{"STRATA_HOME": home}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"version", []string{"version"}, 0, "strata 0.1.0-dev", ""},
		{"version json", []string{"version", "--json"}, 0, `"version": "0.1.0-dev"`, ""},
		{"version extra arg", []string{"version", "x"}, 2, "", "version takes no arguments"},
		{"no command", nil, 2, "", "strata: missing command"},
		{"unknown command", []string{"frobnicate"}, 2, "", `strata: unknown command "frobnicate"`},
		{"unknown sub", []string{"auth", "nope"}, 2, "", `strata auth: unknown command "nope"`},
		{"help", []string{"help"}, 0, "devnet", ""},
		{"help devnet run", []string{"help", "devnet", "run"}, 0, "-api-listen-address", ""},
		{"help unknown", []string{"help", "nope"}, 2, "", `unknown command "nope"`},
		{"bad flag", []string{"devnet", "--no-such-flag"}, 2, "", "flag provided but not defined"},
		{"bad config value", []string{"devnet", "--log-level", "loud", "--home", filepath.Join(home, "x")}, 1, "", `Log.Level: "loud"`},
		{"config default", []string{"devnet", "config", "default"}, 0, `ListenAddress = "127.0.0.1:1234"`, ""},
		{"token before first start", []string{"auth", "create-token", "--service", "devnet"}, 1, "", "has no secret yet"},
		{"token bad perm", []string{"auth", "create-token", "--service", "devnet", "--perm", "root"}, 2, "", `--perm "root"`},
		{"token bad service", []string{"auth", "create-token", "--service", "nope"}, 2, "", "--service must be one of"},
		{"api-info not running", []string{"auth", "api-info", "--service", "hub"}, 1, "", "is the process running?"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, envs, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errs, tc.stderr) {
				t.Errorf("strata %v: exit %d, stdout %q, stderr %q; want exit %d, stdout containing %q, stderr containing %q",
					tc.args, code, out, errs, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}

func TestCLI_ConfigDefaultLoads(t *testing.T) {
	code, out, _ := runCLI(t, nil, "devnet", "config", "default")
	if code != 0 {
		t.Fatal(code)
	}
	// The printed file, saved in a home, starts a devnet with exactly the defaults.
	cfgPath := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(cfgPath, []byte(strings.Replace(out, "127.0.0.1:1234", "127.0.0.1:0", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd, home, logs := startDevnet(t, "--config", cfgPath)
	_, common := dial(t, home)
	if _, err := common.Version(context.Background()); err != nil {
		t.Fatalf("devnet with the default config: %v\n%s", err, logs)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	waitExit(t, cmd, 10*time.Second)
}

func TestCLI_AuthAgainstRunningDevnet(t *testing.T) {
	cmd, home, _ := startDevnet(t)
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); waitExit(t, cmd, 10*time.Second) }()
	code, out, errs := runCLI(t, nil, "auth", "api-info", "--service", "devnet", "--home", home.Dir, "--perm", "write")
	if code != 0 || !strings.HasPrefix(out, "FULLNODE_API_INFO=") {
		t.Fatalf("api-info: %d %q %q", code, out, errs)
	}
	info, err := rpc.ParseAPIInfo(strings.TrimSpace(strings.TrimPrefix(out, "FULLNODE_API_INFO=")))
	if err != nil {
		t.Fatal(err)
	}
	var common daemon.CommonStruct
	closer, err := rpc.DialAPIInfo(context.Background(), info, "Filecoin", &common.Internal)
	if err != nil {
		t.Fatal(err)
	}
	defer closer()
	perms, err := common.AuthVerify(context.Background(), info.Token)
	if err != nil || len(perms) != 2 || perms[1] != rpc.PermWrite {
		t.Errorf("token from api-info grants %v, %v; want [read write]", perms, err)
	}
	if _, err := common.AuthNew(context.Background(), []rpc.Perm{rpc.PermRead}); !errors.Is(err, rpc.ErrPermission) {
		t.Errorf("AuthNew with a write token = %v, want permission", err)
	}
	code, out, _ = runCLI(t, nil, "auth", "create-token", "--service", "devnet", "--home", home.Dir, "--perm", "admin")
	if code != 0 {
		t.Fatal(code)
	}
	perms, err = common.AuthVerify(context.Background(), strings.TrimSpace(out))
	if err != nil || len(perms) != 4 {
		t.Errorf("create-token admin grants %v, %v", perms, err)
	}
}

// waitInFlight polls the process's /metrics until a call is running.
func waitInFlight(t *testing.T, home daemon.Home) {
	t.Helper()
	info, err := home.APIInfo()
	if err != nil {
		t.Fatal(err)
	}
	u, _ := info.URL()
	metrics := strings.TrimSuffix(u, rpc.Path) + "/metrics"
	waitFor(t, func() bool {
		res, err := http.Get(metrics)
		if err != nil {
			return false
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "strata_rpc_requests_in_flight "); ok && v != "0" {
				return true
			}
		}
		return false
	})
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 15s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
