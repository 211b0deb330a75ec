package daemon_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/strata-sp/strata/config"
	"github.com/strata-sp/strata/daemon"
	"github.com/strata-sp/strata/rpc"
)

func newDaemon(t *testing.T, home daemon.Home) *daemon.Daemon {
	t.Helper()
	api := config.DefaultAPI(0)
	d, err := daemon.New(daemon.Options{Process: "test", Namespace: "Test", Home: home, API: api})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	return d
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestDaemon_Lifecycle(t *testing.T) {
	home := daemon.Home{Dir: filepath.Join(t.TempDir(), "h")}
	d := newDaemon(t, home)
	var failing error = errors.New("database unreachable")
	d.AddReadyCheck("db", func(context.Context) error { return failing })
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	base := "http://" + d.Addr().String()
	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 503 || !strings.Contains(body, "database unreachable") {
		t.Errorf("/readyz with a failing check = %d %q", code, body)
	}
	failing = nil
	if code, body := get(t, base+"/readyz"); code != 200 || !strings.Contains(body, `"ready":true`) {
		t.Errorf("/readyz = %d %q", code, body)
	}

	// The api and token files let a local client in with admin rights.
	info, err := home.APIInfo()
	if err != nil {
		t.Fatal(err)
	}
	var c daemon.CommonStruct
	closer, err := rpc.DialAPIInfo(context.Background(), info, "Test", &c.Internal)
	if err != nil {
		t.Fatal(err)
	}
	defer closer()
	tok, err := c.AuthNew(context.Background(), []rpc.Perm{rpc.PermRead})
	if err != nil {
		t.Fatal(err)
	}
	perms, err := c.AuthVerify(context.Background(), string(tok))
	if err != nil || len(perms) != 1 || perms[0] != rpc.PermRead {
		t.Errorf("AuthVerify(new read token) = %v, %v", perms, err)
	}
	if _, err := c.AuthVerify(context.Background(), "garbage"); !errors.Is(err, rpc.ErrPermission) {
		t.Errorf("AuthVerify(garbage) = %v", err)
	}
	if _, err := c.AuthNew(context.Background(), []rpc.Perm{"root"}); !errors.Is(err, rpc.ErrInvalid) {
		t.Errorf("AuthNew(root) = %v, want invalid", err)
	}
	if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(body, `strata_rpc_requests_total{method="Test.AuthNew",outcome="ok"} 1`) || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics = %d, missing RPC or Go metrics", code)
	}
	if st, err := os.Stat(home.Path("token")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("token file mode: %v %v", st.Mode(), err)
	}

	// A second process on the same home is refused.
	if _, err := daemon.New(daemon.Options{Process: "test", Namespace: "Test", Home: home, API: config.DefaultAPI(0)}); !errors.Is(err, daemon.ErrLocked) {
		t.Errorf("second daemon on one home: %v, want ErrLocked", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(ctx); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if _, err := os.Stat(home.Path("api")); !os.IsNotExist(err) {
		t.Errorf("api file after Close: %v", err)
	}
	select {
	case <-d.Stopped():
	default:
		t.Error("Stopped not closed after Close")
	}
	// The home is free again, and keeps its secret.
	d2 := newDaemon(t, home)
	if err := d2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := d2.Authority().Verify(context.Background(), string(tok)); err != nil {
		t.Errorf("token from before the restart: %v", err)
	}
}

func TestHome_DamagedSecret(t *testing.T) {
	home := daemon.Home{Dir: t.TempDir()}
	if err := os.MkdirAll(home.Path("keystore"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(home.Path("keystore/jwt"), []byte("zz"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := daemon.New(daemon.Options{Process: "t", Namespace: "T", Home: home, API: config.DefaultAPI(0)}); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("damaged secret: %v", err)
	}
}

func TestDefaultHome(t *testing.T) {
	h, err := daemon.DefaultHome("hub", func(k string) string { return map[string]string{"STRATA_HOME": "/srv/strata"}[k] })
	if err != nil || h.Dir != "/srv/strata/hub" {
		t.Errorf("DefaultHome with STRATA_HOME = %v, %v", h, err)
	}
	h, err = daemon.DefaultHome("hub", func(k string) string { return map[string]string{"HOME": "/home/sp"}[k] })
	if err != nil || h.Dir != "/home/sp/.strata/hub" {
		t.Errorf("DefaultHome = %v, %v", h, err)
	}
}
