package worker_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/strata-sp/strata/worker"
)

const threadTOML = "[[sealing_thread]]\nlocation = \"t0\"\n"

func TestConfig_Processors(t *testing.T) {
	base := t.TempDir()
	if err := os.MkdirAll(filepath.Join(base, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(base, "bin", "xfer"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := worker.ParseConfig([]byte(threadTOML+`
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

[[processors.add_pieces]]
[[processors.tree_d]]
[[processors.c1]]
[[processors.c2]]
[[processors.finalize]]
[[processors.unseal]]

[[processors.transfer]]
bin = "bin/xfer"
args = ["--fast"]
envs = { A = "1" }
concurrent = 4
`), base)
	if err != nil {
		t.Fatal(err)
	}
	p := c.Processors
	if got := p.Limitation.Concurrent; len(got) != 3 || got["pc1"] != 2 || got["pc2"] != 1 || got["c2"] != 1 {
		t.Errorf("limitation.concurrent %v", got)
	}
	if len(p.ExtLocks) != 2 || p.ExtLocks["gpu"] != 1 || p.ExtLocks["net"] != 3 {
		t.Errorf("ext_locks %v", p.ExtLocks)
	}
	if len(p.PC1) != 1 || p.PC1[0].Bin != "" || p.PC1[0].Args != nil || p.PC1[0].Concurrent != nil {
		t.Errorf("pc1 defaults %+v", p.PC1)
	}
	if len(p.PC2) != 2 {
		t.Fatalf("pc2 %+v", p.PC2)
	}
	e := p.PC2[0]
	if e.Bin != "/bin/sh" || !slices.Equal(e.Args, []string{"-c", "true"}) || e.Envs["FOO"] != "bar" ||
		e.Envs["CUDA_VISIBLE_DEVICES"] != "0" || e.Concurrent == nil || *e.Concurrent != 2 || !slices.Equal(e.Locks, []string{"net", "gpu"}) {
		t.Errorf("pc2[0] %+v", e)
	}
	if e := p.PC2[1]; e.Bin != "sh" || e.Args == nil || len(e.Args) != 0 {
		t.Errorf("pc2[1]: an explicit empty args must stay empty, not default: %+v", e)
	}
	st := p.Stages()
	for _, name := range []string{"add_pieces", "tree_d", "pc1", "pc2", "c1", "c2", "finalize", "unseal"} {
		if len(st[name]) == 0 {
			t.Errorf("stage %s has no processor", name)
		}
	}
	if len(p.Transfer) != 1 {
		t.Fatalf("transfer %+v", p.Transfer)
	}
	tr := p.Transfer[0]
	if tr.Bin != filepath.Join(base, "bin", "xfer") || !slices.Equal(tr.Args, []string{"--fast"}) || tr.Envs["A"] != "1" ||
		tr.Concurrent == nil || *tr.Concurrent != 4 {
		t.Errorf("transfer %+v", tr)
	}
	tcs := c.ThreadConfigs()
	if len(tcs) != 1 || tcs[0].Transfer == nil {
		t.Fatalf("ThreadConfigs: transfer not set: %+v", tcs)
	}
	if _, ok := tcs[0].Transfer.(*worker.ExternalTransfer); !ok {
		t.Errorf("ThreadConfigs: transfer is a %T", tcs[0].Transfer)
	}

	// Without [processors], nothing changes.
	c, err = worker.ParseConfig([]byte(threadTOML), base)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Processors.Stages()) != 0 || c.ThreadConfigs()[0].Transfer != nil {
		t.Errorf("empty [processors]: %+v", c.Processors)
	}
}

func TestConfig_ProcessorsErrors(t *testing.T) {
	for _, tc := range []struct {
		name, toml, want string
	}{
		{"limitation of an unknown stage", "[processors.limitation.concurrent]\npc3 = 1\n",
			`processors.limitation.concurrent: unknown stage "pc3" (want one of add_pieces, tree_d, pc1, pc2, c1, c2, finalize, unseal)`},
		{"limitation of transfer", "[processors.limitation.concurrent]\ntransfer = 1\n",
			`processors.limitation.concurrent: unknown stage "transfer"`},
		{"limitation zero", "[processors.limitation.concurrent]\npc1 = 0\n",
			"processors.limitation.concurrent.pc1 = 0: must be at least 1"},
		{"ext_lock zero", "[processors.ext_locks]\ngpu = 0\n",
			"processors.ext_locks.gpu = 0: must be at least 1"},
		{"processor of an unknown stage", "[[processors.pc3]]\nbin = \"/bin/sh\"\n",
			"unknown key processors.pc3"},
		{"unknown processor key", "[[processors.pc1]]\nthreads = 2\n",
			"unknown key processors.pc1.threads"},
		{"unknown processors key", "[processors]\nstatic_tree_d = 1\n",
			"unknown key processors.static_tree_d"},
		{"concurrent zero", "[[processors.pc1]]\nconcurrent = 0\n",
			"processors.pc1[0].concurrent = 0: must be at least 1"},
		{"concurrent negative", "[[processors.pc2]]\n[[processors.pc2]]\nconcurrent = -1\n",
			"processors.pc2[1].concurrent = -1: must be at least 1"},
		{"unknown lock", "[[processors.c2]]\nlocks = [\"gpu\"]\n",
			`processors.c2[0].locks: "gpu" is not in processors.ext_locks`},
		{"lock twice", "[processors.ext_locks]\ngpu = 2\n[[processors.c2]]\nlocks = [\"gpu\", \"gpu\"]\n",
			`processors.c2[0].locks: "gpu" twice`},
		{"missing bin path", "[[processors.pc1]]\nbin = \"/nonexistent/strata\"\n",
			`processors.pc1[0].bin "/nonexistent/strata": not found`},
		{"bin not in PATH", "[[processors.pc1]]\nbin = \"no-such-strata-processor\"\n",
			`processors.pc1[0].bin "no-such-strata-processor": not found`},
		{"bad env name", "[[processors.pc1]]\nenvs = { \"A=B\" = \"x\" }\n",
			`processors.pc1[0].envs: invalid name "A=B"`},
		{"transfer without bin", "[[processors.transfer]]\nargs = []\n",
			"processors.transfer[0].bin: required"},
		{"transfer bin missing", "[[processors.transfer]]\nbin = \"./no-such-transfer\"\n",
			`processors.transfer[0].bin "BASE/no-such-transfer": not found`},
		{"transfer concurrent zero", "[[processors.transfer]]\nbin = \"/bin/sh\"\nconcurrent = 0\n",
			"processors.transfer[0].concurrent = 0: must be at least 1"},
		{"transfer locks", "[processors.ext_locks]\nnet = 1\n[[processors.transfer]]\nbin = \"/bin/sh\"\nlocks = [\"net\"]\n",
			"unknown key processors.transfer.locks"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			_, err := worker.ParseConfig([]byte(threadTOML+tc.toml), base)
			want := "worker config: " + strings.ReplaceAll(tc.want, "BASE", base)
			if err == nil || !strings.HasPrefix(err.Error(), want) {
				t.Errorf("got %v\nwant %s", err, want)
			}
		})
	}
}
