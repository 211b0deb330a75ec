package worker_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-sp/strata/fil/commp"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/stage"
	"github.com/strata-sp/strata/worker"
)

// docConfig is the example of Config's doc comment.
const docConfig = `[worker]
name = "w1"                          # default: the host name
parent_cache = "/var/tmp/parents"    # SDR parent caches

[sector_manager]
api = "TOKEN:/ip4/10.0.0.1/tcp/1789/http"   # default: $HUB_API_INFO

[sealing]
allowed_miners = [1000, 1001]        # default: any
allowed_sizes = ["2KiB", "32GiB"]    # default: any
seal_interval = "5s"                 # sleep when the hub has nothing
rpc_polling_interval = "2s"          # between Poll* calls
recover_interval = "1s"              # first back-off after a failure
max_retries = 5                      # then the thread pauses

[[sealing_thread]]
location = "/mnt/nvme0/t0"           # one directory per thread
plan = "sealer"

[[attached]]                          # persist stores
name = "store-a"
location = "/mnt/store-a"

[processors.limitation.concurrent]   # at most N tasks of a stage at once, all threads
pc1 = 2
c2 = 1

[processors.ext_locks]               # named counting locks shared by stages
gpu = 1

[[processors.pc2]]                   # run pc2 out of process; several = a pool
bin = "/usr/local/bin/strata"        # default: this executable
args = ["processor", "pc2"]          # default: processor STAGE [--concurrency N]
envs = { CUDA_VISIBLE_DEVICES = "0" }
concurrent = 2                       # tasks it runs at once (default 1)
locks = ["gpu"]                      # ext_locks held while a task runs on it

[[processors.transfer]]              # replaces the built-in copy at persist
bin = "/usr/local/bin/my-transfer"   # required; see ExternalTransfer
`

// within reports whether dir is inside (or is) parent.
func within(dir, parent string) bool {
	rel, err := filepath.Rel(parent, dir)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// FuzzParseConfig feeds arbitrary bytes to ParseConfig. An error says it
// is the worker config's; an accepted config has threads in distinct
// absolute directories, none inside another's (a thread cleans its
// directory's sector files, which would be the other thread's), and
// processors that check again.
func FuzzParseConfig(f *testing.F) {
	base := f.TempDir()
	if err := os.MkdirAll(filepath.Join(base, "bin"), 0o755); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "bin", "xfer"), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		docConfig,
		strings.ReplaceAll(strings.ReplaceAll(docConfig, "/usr/local/bin/strata", "sh"), "/usr/local/bin/my-transfer", "bin/xfer"),
		threadTOML,
		threadTOML + `
[processors.limitation.concurrent]
pc1 = 2
pc2 = 1
c2 = 1

[processors.ext_locks]
gpu = 1
net = 3

[[processors.pc1]]

[[processors.pc2]]
bin = "/bin/sh"
args = ["-c", "true"]
envs = { FOO = "bar", CUDA_VISIBLE_DEVICES = "0" }
concurrent = 2
locks = ["net", "gpu"]

[[processors.pc2]]
bin = "sh"
args = []

[[processors.transfer]]
bin = "bin/xfer"
args = ["--fast"]
envs = { A = "1" }
concurrent = 4
`,
		"[[sealing_thread]]\nlocation = \"t0\"\n[[sealing_thread]]\nlocation = \"./t0/\"\n",
		"[[sealing_thread]]\nlocation = \"t0\"\n[[sealing_thread]]\nlocation = \"t0/cache\"\n",
		"[[sealing_thread]]\nlocation = \"/\"\n[[sealing_thread]]\nlocation = \"/tmp/t1\"\n",
		"[worker]\nname = \"w1\"\n[[sealing_thread]]\nlocation = \"\"\n",
		"[[sealing_thread]]\nlocation = \"t0\"\nplan = \"snapup\"\n",
		"[sealing]\nallowed_sizes = [\"4KiB\"]\n" + threadTOML,
		"[sealing]\nseal_interval = \"-5s\"\nmax_retries = -1\n" + threadTOML,
		"[[attached]]\nname = \"a\"\n" + threadTOML,
		threadTOML + "[processors.ext_locks]\n\"\" = 1\n",
		threadTOML + "[[processors.c2]]\nlocks = [\"gpu\"]\n",
		"[[processors.pc1]]\nthreads = 2\n",
		"x = ",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := worker.ParseConfig(data, base)
		if err != nil {
			if c != nil {
				t.Errorf("a config with the error %v", err)
			}
			if !strings.Contains(err.Error(), "worker config") {
				t.Errorf("the error %q does not say it is the worker config's", err)
			}
			return
		}
		if len(c.Threads) == 0 {
			t.Fatal("accepted without a thread")
		}
		if c.Worker.Name == "" || !filepath.IsAbs(c.Worker.ParentCache) {
			t.Errorf("worker %+v", c.Worker)
		}
		for i, th := range c.Threads {
			if !filepath.IsAbs(th.Location) || filepath.Clean(th.Location) != th.Location {
				t.Errorf("thread %d location %q is not a clean absolute path", i, th.Location)
			}
			if th.Plan != "sealer" {
				t.Errorf("thread %d plan %q", i, th.Plan)
			}
			for j, o := range c.Threads[:i] {
				if within(th.Location, o.Location) || within(o.Location, th.Location) {
					t.Errorf("threads %d and %d share a directory: %q and %q", j, i, o.Location, th.Location)
				}
			}
		}
		for i, a := range c.Attached {
			if a.Name == "" || !filepath.IsAbs(a.Location) {
				t.Errorf("attached[%d] %+v", i, a)
			}
		}
		if err := c.Processors.Validate(); err != nil {
			t.Errorf("the accepted processors do not check again: %v", err)
		}
		tcs := c.ThreadConfigs()
		if len(tcs) != len(c.Threads) {
			t.Fatalf("%d thread configs for %d threads", len(tcs), len(c.Threads))
		}
		for i, tc := range tcs {
			if tc.Location != c.Threads[i].Location || tc.Worker != c.Worker.Name || tc.Spec.Worker != c.Worker.Name {
				t.Errorf("thread config %d: %+v", i, tc)
			}
		}
	})
}

// FuzzThreadState feeds arbitrary bytes to a thread as its sector.json.
// Load refuses what is not a sector record with an error naming the file;
// what it accepts survives Resume (save) and Load again unchanged, but
// for the pause Resume clears.
func FuzzThreadState(f *testing.F) {
	h := commp.New(commp.Options{Workers: 1})
	h.Write(bytes.Repeat([]byte{7}, 1000))
	c, size, err := h.Sum()
	if err != nil {
		f.Fatal(err)
	}
	full := worker.Sector{State: worker.C2Done, ID: hub.SectorID{Miner: 1000, Number: 3}, ProofType: proof.StackedDrg2KiBV1_1,
		Deals:  []hub.Deal{{PieceID: "61029a38a87c8421", CID: c, Size: piece.PaddedSize(size), PayloadSize: 1000, Source: "/data/a"}},
		Ticket: hub.Ticket{Ticket: bytes.Repeat([]byte{1}, 32), Epoch: 100},
		CommD:  stage.Bytes32{2}, CommR: stage.Bytes32{3}, Store: "store-a",
		Seed:  hub.Seed{Seed: bytes.Repeat([]byte{4}, 32), Epoch: 160},
		Proof: bytes.Repeat([]byte{5}, 192), Paused: true, Failure: "permanent: proof Rejected: bad", Retries: 6}
	taken := worker.Sector{State: worker.PersistSubmitted, ID: hub.SectorID{Miner: 1001, Number: 10}, ProofType: proof.StackedDrg2KiBV1_1,
		Ticket: hub.Ticket{Ticket: []byte{1}, Epoch: 1}, Store: "store-a",
		SealedPath: "/mnt/store-a/sealed/s-t01001-10", CachePath: "/mnt/store-a/cache/s-t01001-10"}
	for _, s := range []worker.Sector{full, taken, {State: worker.Empty}, {State: worker.Allocated, ID: hub.SectorID{Miner: 1000}, ProofType: proof.StackedDrg32GiBV1_1}} {
		b, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"State":"PC1Done","CommD":"zz"}`))
	f.Add([]byte(`{"State":"PC1Done","Deals":[{"CID":{"/":"bafy"}}]}`))
	f.Add([]byte(`{"State":"Allocated","ID":{"Miner":1000,"Number":-1}}`))
	f.Add([]byte(`{"State":"Allocated",`))
	f.Add([]byte{})

	dir := f.TempDir()
	path := filepath.Join(dir, "sector.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		th := worker.NewThread(worker.ThreadConfig{Index: 2, Location: dir, Worker: "w1"}, nil, nil, nil)
		s, err := th.Load()
		if err != nil {
			if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "thread 2") {
				t.Fatalf("the error %q does not name thread 2's %s", err, path)
			}
			return
		}
		if err := th.Resume(""); err != nil {
			t.Fatalf("resume an accepted state: %v", err)
		}
		saved, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := th.Load()
		if err != nil {
			t.Fatalf("load the state Resume saved: %v\n%s", err, saved)
		}
		want := s
		want.Paused, want.Failure, want.Retries = false, "", 0
		wb, err := json.Marshal(want)
		if err != nil {
			t.Fatalf("an accepted state does not encode: %v", err)
		}
		gb, _ := json.Marshal(got)
		if !bytes.Equal(wb, gb) {
			t.Fatalf("the state changed through save and load:\nloaded %s\nsaved  %s", wb, gb)
		}
		if sb, _ := json.Marshal(th.Status()); !bytes.Equal(sb, gb) {
			t.Fatalf("Status %s after Resume, the file has %s", sb, gb)
		}
		// Saving what was loaded writes the same file.
		if err := th.Resume(""); err != nil {
			t.Fatal(err)
		}
		again, _ := os.ReadFile(path)
		if !bytes.Equal(again, saved) {
			t.Fatalf("a second save wrote\n%s\nthe first\n%s", again, saved)
		}
	})
}
