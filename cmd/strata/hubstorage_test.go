package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/strata-sp/strata/hub"
)

func TestParseBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want uint64
		bad  bool
	}{
		{in: "0", want: 0},
		{in: "4096", want: 4096},
		{in: "4096B", want: 4096},
		{in: "10GiB", want: 10 << 30},
		{in: "10 gib", want: 10 << 30},
		{in: "1.5TiB", want: 3 << 39},
		{in: "2TB", want: 2e12},
		{in: "512MiB", want: 512 << 20},
		{in: "0.5KiB", want: 512},
		{in: "16EiB", bad: true},
		{in: "18446744073709551616", bad: true},
		{in: "", bad: true},
		{in: "GiB", bad: true},
		{in: "10GiBs", bad: true},
		{in: "-1", bad: true},
		{in: "1.2.3KiB", bad: true},
	} {
		got, err := parseBytes(tc.in)
		if tc.bad {
			if err == nil {
				t.Errorf("parseBytes(%q) = %d, want an error", tc.in, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

// TestCLI_HubStorage attaches, lists and detaches persist stores through
// the CLI against a hub process (without a chain).
func TestCLI_HubStorage(t *testing.T) {
	dir := t.TempDir()
	hHome := filepath.Join(dir, "hub")
	cmd, logs := startProcess(t, hHome, nil, "hub", "run", "--home", hHome, "--api-listen-address", "127.0.0.1:0")
	hh := []string{"--home", hHome}
	storeA := t.TempDir()

	code, out, errs := runCLI(t, nil, append([]string{"hub", "storage", "attach", "a", "--path", storeA, "--weight", "5", "--capacity", "10GiB",
		"--allow-miners", "f01000,f01001", "--deny-miners", "f01001", "--json"}, hh...)...)
	var a hub.StoreInfo
	if code != 0 || json.Unmarshal([]byte(out), &a) != nil {
		t.Fatalf("attach a: %d %q %q\n%s", code, out, errs, logs)
	}
	if a.Name != "a" || a.Path != storeA || a.Weight != 5 || a.Capacity != 10<<30 || a.Available != 10<<30 || !a.Reachable ||
		len(a.AllowMiners) != 2 || len(a.DenyMiners) != 1 || a.DenyMiners[0] != 1001 {
		t.Errorf("attach a: %+v", a)
	}
	// A store the hub does not reach: attached, with a warning.
	far := filepath.Join(dir, "not-mounted")
	code, _, errs = runCLI(t, nil, append([]string{"hub", "storage", "attach", "far", "--path", far, "--read-only"}, hh...)...)
	if code != 0 || !strings.Contains(errs, "does not reach") || !strings.Contains(errs, "without --capacity") {
		t.Errorf("attach far: %d %q", code, errs)
	}
	for _, bad := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"rel", "--path", "relative/dir"}, 1, "not absolute"},
		{[]string{"x", "--path", storeA, "--capacity", "lots"}, 2, "--capacity"},
		{[]string{"x", "--path", storeA, "--allow-miners", "f1abc"}, 2, "--allow-miners"},
		{[]string{"x"}, 2, "--path is required"},
		{[]string{"--path", storeA}, 2, "NAME"},
	} {
		code, _, errs := runCLI(t, nil, append(append([]string{"hub", "storage", "attach"}, bad.args...), hh...)...)
		if code != bad.code || !strings.Contains(errs, bad.want) {
			t.Errorf("attach %v: %d %q, want %d and %q", bad.args, code, errs, bad.code, bad.want)
		}
	}

	code, out, errs = runCLI(t, nil, append([]string{"hub", "storage", "list", "--json"}, hh...)...)
	var ss []hub.StoreInfo
	if code != 0 || json.Unmarshal([]byte(out), &ss) != nil || len(ss) != 2 || ss[0].Name != "a" || ss[1].Name != "far" ||
		!ss[1].ReadOnly || ss[1].Reachable || ss[1].Err == "" {
		t.Errorf("list: %d %q %q", code, out, errs)
	}
	code, out, _ = runCLI(t, nil, append([]string{"hub", "storage", "list"}, hh...)...)
	if code != 0 || !strings.Contains(out, "10.0 GiB") || !strings.Contains(out, "only f01000,f01001, not f01001") || !strings.Contains(out, "read-only") {
		t.Errorf("list as text: %d\n%s", code, out)
	}

	if code, out, errs = runCLI(t, nil, append([]string{"hub", "storage", "detach", "far"}, hh...)...); code != 0 || !strings.Contains(out, "far detached") {
		t.Errorf("detach far: %d %q %q", code, out, errs)
	}
	if code, _, errs = runCLI(t, nil, append([]string{"hub", "storage", "detach", "far", "--force"}, hh...)...); code != 1 || !strings.Contains(errs, "not attached") {
		t.Errorf("detach far again: %d %q", code, errs)
	}
	code, out, _ = runCLI(t, nil, append([]string{"hub", "storage", "list", "--json"}, hh...)...)
	if code != 0 || json.Unmarshal([]byte(out), &ss) != nil || len(ss) != 1 {
		t.Errorf("list after detach: %d %q", code, out)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if code, _ := waitExit(t, cmd, 10*time.Second); code != 0 {
		t.Errorf("hub exit code %d\n%s", code, logs)
	}
}
