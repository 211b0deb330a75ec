package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/strata-sp/strata/daemon"
	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/rpc"
)

// TestCLI_HubAgainstDevnet runs a devnet and a hub as separate processes:
// a miner created on chain is added to the hub, a worker token allocates
// its sector and gets a ticket drawn from the chain, and cannot reach the
// operator API.
func TestCLI_HubAgainstDevnet(t *testing.T) {
	ctx := context.Background()
	devnetCmd, devHome, _ := startDevnet(t, "--chain-block-time", "50ms")
	defer func() { _ = devnetCmd.Process.Signal(syscall.SIGTERM); waitExit(t, devnetCmd, 10*time.Second) }()
	dh := []string{"--home", devHome.Dir}
	code, out, errs := runCLI(t, nil, append([]string{"chain", "keys", "--json"}, dh...)...)
	var keys []struct{ Address string }
	if code != 0 || json.Unmarshal([]byte(out), &keys) != nil {
		t.Fatalf("chain keys: %d %q %q", code, out, errs)
	}
	code, out, errs = runCLI(t, nil, append([]string{"chain", "miner", "create", "--owner", keys[0].Address, "--json"}, dh...)...)
	var m struct{ IDAddress string }
	if code != 0 || json.Unmarshal([]byte(out), &m) != nil {
		t.Fatalf("miner create: %d %q %q", code, out, errs)
	}

	devInfo, _ := devHome.APIInfo()
	devTok, _ := os.ReadFile(devHome.Path("token"))
	devInfo.Token = strings.TrimSpace(string(devTok))
	hHome := daemon.Home{Dir: filepath.Join(t.TempDir(), "hub")}
	exe, _ := os.Executable()
	cmd := exec.Command(exe, "hub", "run", "--home", hHome.Dir, "--api-listen-address", "127.0.0.1:0", "--hub-ticket-lookback", "2")
	cmd.Env = append(os.Environ(), envReexec+"=1", rpc.EnvFullNode+"="+devInfo.String())
	logs := &logBuffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	waitFor(t, func() bool { _, err := hHome.APIInfo(); return err == nil })
	hh := []string{"--home", hHome.Dir}

	if code, _, errs = runCLI(t, nil, append([]string{"hub", "miners", "add", "--actor", m.IDAddress, "--worker", keys[0].Address, "--numbers", "1-100"}, hh...)...); code != 0 {
		t.Fatalf("miners add: %d %q\n%s", code, errs, logs)
	}
	if code, _, errs = runCLI(t, nil, append([]string{"hub", "miners", "add", "--actor", m.IDAddress, "--worker", keys[0].Address}, hh...)...); code != 1 || !strings.Contains(errs, "already") {
		t.Errorf("adding it again: %d %q", code, errs)
	}
	code, out, _ = runCLI(t, nil, append([]string{"hub", "miners", "list", "--json"}, hh...)...)
	var ms []hub.Miner
	if code != 0 || json.Unmarshal([]byte(out), &ms) != nil || len(ms) != 1 || ms[0].MinNumber != 1 || ms[0].MaxNumber != 100 {
		t.Fatalf("miners list: %d %q", code, out)
	}

	// A worker token (write).
	secret, err := hHome.Secret(false)
	if err != nil {
		t.Fatal(err)
	}
	auth, _ := rpc.NewAuthority(secret)
	perms, _ := rpc.PermsUpTo(rpc.PermWrite)
	tok, _ := auth.NewToken(perms, nil)
	info, _ := hHome.APIInfo()
	info.Token = tok
	var sealer hub.SealerStruct
	var op hub.OperatorStruct
	for ns, p := range map[string]any{hub.Namespace: &sealer.Internal, hub.OperatorNamespace: &op.Internal} {
		closer, err := rpc.DialAPIInfo(ctx, info, ns, p)
		if err != nil {
			t.Fatal(err)
		}
		defer closer()
	}
	s, err := sealer.Internal.AllocateSector(ctx, hub.AllocateSectorSpec{Worker: "w1"})
	if err != nil || s == nil || s.ID.Number != 1 {
		t.Fatalf("allocate: %+v, %v\n%s", s, err, logs)
	}
	tk, err := sealer.Internal.AssignTicket(ctx, "w1", s.ID)
	if err != nil || len(tk.Ticket) != 32 || tk.Epoch < 0 {
		t.Fatalf("ticket: %+v, %v\n%s", tk, err, logs)
	}
	if _, err := op.Internal.MinersList(ctx); err == nil {
		t.Error("a worker token listed miners")
	}
	code, out, _ = runCLI(t, nil, append([]string{"hub", "sectors", "status", m.IDAddress, "1", "--json"}, hh...)...)
	var si hub.SectorInfo
	if code != 0 || json.Unmarshal([]byte(out), &si) != nil || si.Worker != "w1" || si.Ticket.Epoch != tk.Epoch {
		t.Errorf("sectors status: %d %q", code, out)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if code, _ := waitExit(t, cmd, 10*time.Second); code != 0 {
		t.Errorf("hub exit code %d\n%s", code, logs)
	}
}
