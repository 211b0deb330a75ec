package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCLI_UtilCommP(t *testing.T) {
	dir := t.TempDir()
	// Row "cc,1017,2048,baga6ea4seaqf3n5..." of ../shared/vectors/commp.csv.
	p := filepath.Join(dir, "cc.bin")
	if err := os.WriteFile(p, bytes.Repeat([]byte{0xcc}, 1017), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, nil, "util", "commp", p, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct {
		PayloadSize uint64 `json:"payloadSize"`
		PieceSize   uint64 `json:"pieceSize"`
		PieceCid    string `json:"pieceCid"`
		PieceCidV2  string `json:"pieceCidV2"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got.PayloadSize != 1017 || got.PieceSize != 2048 || got.PieceCid != "baga6ea4seaqf3n5ob5qonkwnxfcbjzftsagbnrjfzualqvzhcylz46b7sgz6wmi" || !strings.HasPrefix(got.PieceCidV2, "bafkzcib") {
		t.Errorf("util commp = %+v", got)
	}
	code, out, _ = runCLI(t, nil, "util", "commp", p)
	if code != 0 || !strings.Contains(out, "Padded piece size: 2048 (2.0 KiB)") {
		t.Errorf("text output: %q", out)
	}
	small := filepath.Join(dir, "small")
	_ = os.WriteFile(small, make([]byte, 64), 0o644)
	if code, _, errs := runCLI(t, nil, "util", "commp", small); code != 1 || !strings.Contains(errs, "at least 65") {
		t.Errorf("64-byte payload: exit %d, %q", code, errs)
	}
	if code, _, errs := runCLI(t, nil, "util", "commp"); code != 2 || !strings.Contains(errs, "want one FILE") {
		t.Errorf("no file: exit %d, %q", code, errs)
	}
	if code, _, _ := runCLI(t, nil, "util", "commp", dir); code != 1 {
		t.Errorf("directory: exit %d", code)
	}
}

func TestCLI_UtilAddress(t *testing.T) {
	tests := []struct {
		addr string
		code int
		want []string
	}{
		{"t01024", 0, []string{"protocol:    0 (id)", "bytes:       008008", "id:          1024", "network:     testnet"}},
		{"f410fkkld55ioe7qg24wvt7fu6pbknb56ht7pt4zamxa", 0, []string{"eth address: 0x52963ef50e27e06d72d59fcb4f3c2a687be3cfef", "namespace:   10"}},
		{"t15ihq5ibzwki2b4ep2f46avlkrqzhpqgtga7pdrq", 0, []string{"bytes:       01ea0f0ea039b291a0f08fd179e0556a8c3277c0d3", "key hash:"}},
		{"t15ihq5ibzwki2b4ep2f46avlkrqzhpqgtga7pdrr", 1, nil}, // checksum off by one character
		{"x01024", 1, nil},
	}
	for _, tc := range tests {
		code, out, errs := runCLI(t, nil, "util", "address", tc.addr)
		if code != tc.code {
			t.Errorf("%s: exit %d (%s)", tc.addr, code, errs)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", tc.addr, w, out)
			}
		}
	}
}

func TestCLI_ClientPrep(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "data")
	if err := os.MkdirAll(filepath.Join(src, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 12<<20) // distinct chunks, so no block dedups away
	_, _ = rand.NewChaCha8([32]byte{1}).Read(big)
	_ = os.WriteFile(filepath.Join(src, "sub", "big.bin"), big, 0o644)
	_ = os.WriteFile(filepath.Join(src, "small.txt"), []byte("hello"), 0o644)
	car := filepath.Join(dir, "out.car")

	// On a terminal, a progress bar goes to stderr; the result to stdout.
	var stdout, stderr bytes.Buffer
	e := &env{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }, isTerminal: func(io.Writer) bool { return true }}
	if code := run(context.Background(), e, []string{"client", "prep", src, "-o", car, "--json"}); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var res struct {
		Root, PieceCid string
		CarSize        uint64 `json:"carSize"`
		PieceSize      uint64 `json:"pieceSize"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	st, err := os.Stat(car)
	if err != nil || uint64(st.Size()) != res.CarSize || res.PieceSize != 16<<20 || !strings.HasPrefix(res.Root, "bafybei") {
		t.Errorf("prep = %+v; CAR %v %v", res, st, err)
	}
	for _, w := range []string{"import", "commp", "100.0%"} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("progress on a terminal lacks %q: %q", w, stderr.String())
		}
	}
	// The CAR's CommP from util commp agrees.
	code, out, _ := runCLI(t, nil, "util", "commp", car, "--json")
	if code != 0 || !strings.Contains(out, res.PieceCid) {
		t.Errorf("util commp of the CAR: %s", out)
	}
	// Not a terminal: no progress output at all.
	code, _, errs := runCLI(t, nil, "client", "prep", src, "-o", filepath.Join(dir, "b.car"))
	if code != 0 || errs != "" {
		t.Errorf("prep off a terminal: exit %d, stderr %q", code, errs)
	}
	if code, _, errs := runCLI(t, nil, "client", "prep", src); code != 2 || !strings.Contains(errs, "-o OUT.car") {
		t.Errorf("no -o: exit %d %q", code, errs)
	}
}

func TestCLI_UtilSeal(t *testing.T) {
	envs := map[string]string{"STRATA_HOME": t.TempDir()}
	// The end-to-end 2 KiB sector of sdr-spec §6(c).
	code, out, errs := runCLI(t, envs, "util", "seal", "--size", "2KiB", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if got["commR"] != "b2298a51987c872ff986126b6c9a5b95e3f4fa076c04d5581fbe86a23441526d" ||
		got["replicaId"] != "edf690d1b380c34e45eb64f5fe322903c59ddc2184f06cbe57ac519f8eccba16" ||
		got["proof"] != "StackedDrg2KiBV1_1" || !strings.HasPrefix(got["commRCid"].(string), "bagboea4b5abc") {
		t.Errorf("util seal = %s", out)
	}
	for _, bad := range [][]string{
		{"--size", "3KiB"}, {"--porep-version", "2.0"}, {"--ticket", "abcd"},
	} {
		if code, _, _ := runCLI(t, envs, append([]string{"util", "seal"}, bad...)...); code != 2 {
			t.Errorf("util seal %v: exit %d, want 2", bad, code)
		}
	}
}

func TestCLI_BenchSeal(t *testing.T) {
	code, out, errs := runCLI(t, map[string]string{"STRATA_HOME": t.TempDir()}, "bench", "seal", "--size", "2KiB", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"addpiecesSeconds", "treedSeconds", "pc1Seconds", "pc2Seconds", "c1Seconds", "verifySeconds", "unsealSeconds", "windowpostSeconds", "winningverifySeconds", "peakRSSBytes"} {
		if v, ok := got[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v", k, got[k])
		}
	}
	if !strings.Contains(errs, "pc2") {
		t.Errorf("no progress lines on stderr: %q", errs)
	}
}

// TestCLI_BenchHub runs a small `strata bench hub` over both transports: every
// kind of call the simulated threads make is answered, none fails.
func TestCLI_BenchHub(t *testing.T) {
	// The simulated workers run in a process of their own: this test
	// binary, as strata.
	t.Setenv(envReexec, "1")
	for _, mode := range []string{"ws", "http", "ws-same-process"} {
		t.Run(mode, func(t *testing.T) {
			transport, _, same := strings.Cut(mode, "-")
			args := []string{"bench", "hub", "--workers", "3", "--threads", "2", "--sectors", "20", "--rate", "200",
				"--warmup", "200ms", "--duration", "1s", "--cycle", "4", "--json"}
			if transport == "http" {
				args = append(args, "--http")
			}
			if same {
				args = append(args, "--same-process")
			}
			code, out, errs := runCLI(t, map[string]string{"STRATA_HOME": t.TempDir()}, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			var got struct {
				Transport         string
				SameProcess       bool
				WorkersCPUPerCall time.Duration
				Calls, Errors     int64
				ByCall            map[string]struct{ Calls, Errors int64 }
			}
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if got.Transport != transport || got.Calls < 100 || got.Errors != 0 {
				t.Fatalf("transport %q, %d calls, %d errors", got.Transport, got.Calls, got.Errors)
			}
			if got.SameProcess != same || (got.WorkersCPUPerCall > 0) == same {
				t.Fatalf("same process %v, workers' CPU per call %s", got.SameProcess, got.WorkersCPUPerCall)
			}
			for _, call := range []string{"ReportState", "PollPreCommitState", "Ping", "ReportAborted", "AllocateSector", "AssignTicket"} {
				if c := got.ByCall[call]; c.Calls == 0 || c.Errors != 0 {
					t.Errorf("%s: %d calls, %d errors", call, c.Calls, c.Errors)
				}
			}
		})
	}
}
