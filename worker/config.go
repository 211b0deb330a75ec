package worker

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/stage"
)

// Config is a worker's TOML file, modelled on damocles-worker's:
//
//	[worker]
//	name = "w1"                          # default: the host name
//	parent_cache = "/var/tmp/parents"    # SDR parent caches
//
//	[sector_manager]
//	api = "TOKEN:/ip4/10.0.0.1/tcp/1789/http"   # default: $HUB_API_INFO
//
//	[sealing]
//	allowed_miners = [1000, 1001]        # default: any
//	allowed_sizes = ["2KiB", "32GiB"]    # default: any
//	seal_interval = "5s"                 # sleep when the hub has nothing
//	rpc_polling_interval = "2s"          # between Poll* calls
//	recover_interval = "1s"              # first back-off after a failure
//	max_retries = 5                      # then the thread pauses
//	ping_interval = "10s"                # heartbeat renewing the leases; keep it well under the hub's Lease
//
//	[[sealing_thread]]
//	location = "/mnt/nvme0/t0"           # one directory per thread
//	plan = "sealer"
//
//	[[attached]]                          # persist stores
//	name = "store-a"
//	location = "/mnt/store-a"
//
//	[processors.limitation.concurrent]   # at most N tasks of a stage at once, all threads
//	pc1 = 2
//	c2 = 1
//
//	[processors.ext_locks]               # named counting locks shared by stages
//	gpu = 1
//
//	[[processors.pc2]]                   # run pc2 out of process; several = a pool
//	bin = "/usr/local/bin/strata"        # default: this executable
//	args = ["processor", "pc2"]          # default: processor STAGE [--concurrency N]
//	envs = { CUDA_VISIBLE_DEVICES = "0" }
//	concurrent = 2                       # tasks it runs at once (default 1)
//	locks = ["gpu"]                      # ext_locks held while a task runs on it
//
//	[[processors.transfer]]              # replaces the built-in copy at persist
//	bin = "/usr/local/bin/my-transfer"   # required; see ExternalTransfer
//
// The stages of [[processors.STAGE]] and processors.limitation.concurrent
// are the engine.Sealer stages: add_pieces, tree_d, pc1, pc2, c1, c2,
// finalize and unseal (see Processors). Unknown keys are errors.
type Config struct {
	Worker struct {
		Name        string `toml:"name"`
		ParentCache string `toml:"parent_cache"`
	} `toml:"worker"`
	SectorManager struct {
		API string `toml:"api"`
	} `toml:"sector_manager"`
	Sealing struct {
		AllowedMiners      []uint64 `toml:"allowed_miners"`
		AllowedSizes       []string `toml:"allowed_sizes"`
		SealInterval       duration `toml:"seal_interval"`
		RPCPollingInterval duration `toml:"rpc_polling_interval"`
		RecoverInterval    duration `toml:"recover_interval"`
		MaxRetries         int      `toml:"max_retries"`
		PingInterval       duration `toml:"ping_interval"`
	} `toml:"sealing"`
	Threads []struct {
		Location string `toml:"location"`
		Plan     string `toml:"plan"`
	} `toml:"sealing_thread"`
	Attached []struct {
		Name     string `toml:"name"`
		Location string `toml:"location"`
	} `toml:"attached"`
	Processors ProcessorsConfig `toml:"processors"`
}

// ProcessorsConfig is the [processors] table: how many tasks of each stage
// run at once, the named locks stages share, and which stages run in
// external processors (see Processors and ExternalTransfer).
type ProcessorsConfig struct {
	Limitation struct {
		// Concurrent bounds the tasks of a stage running at once in this
		// worker, over all its threads; a stage not listed is unbounded.
		Concurrent map[string]int `toml:"concurrent"`
	} `toml:"limitation"`
	// ExtLocks are named counting locks: a task on a processor holds one
	// unit of each of the processor's locks while it runs.
	ExtLocks map[string]int `toml:"ext_locks"`

	// The processor pools of the stages; an empty one runs in process.
	AddPieces []ProcessorConfig `toml:"add_pieces"`
	TreeD     []ProcessorConfig `toml:"tree_d"`
	PC1       []ProcessorConfig `toml:"pc1"`
	PC2       []ProcessorConfig `toml:"pc2"`
	C1        []ProcessorConfig `toml:"c1"`
	C2        []ProcessorConfig `toml:"c2"`
	Finalize  []ProcessorConfig `toml:"finalize"`
	Unseal    []ProcessorConfig `toml:"unseal"`

	// Transfer replaces CopyTransfer at persist when not empty.
	Transfer []TransferConfig `toml:"transfer"`
}

// ProcessorConfig is one [[processors.STAGE]] entry: an executable
// speaking the processor protocol of package proof/processor.
type ProcessorConfig struct {
	// Bin is the executable: a path (relative ones are taken relative to
	// the config file) or a name looked up in PATH. Empty means this
	// executable (os.Executable), whose `strata processor` serves every
	// stage.
	Bin string `toml:"bin"`
	// Args are its arguments; nil means
	// ["processor", STAGE] followed by ["--concurrency", N] when
	// Concurrent is over 1. An explicit empty list means none.
	Args []string `toml:"args"`
	// Envs are added to the environment it inherits from the worker.
	Envs map[string]string `toml:"envs"`
	// Concurrent is how many tasks it runs at once; nil means 1.
	Concurrent *int `toml:"concurrent"`
	// Locks name processors.ext_locks held while a task runs on it.
	Locks []string `toml:"locks"`
}

// TransferConfig is one [[processors.transfer]] entry (see
// ExternalTransfer): the executable run once per persist.
type TransferConfig struct {
	Bin        string            `toml:"bin"` // required; resolved as ProcessorConfig.Bin
	Args       []string          `toml:"args"`
	Envs       map[string]string `toml:"envs"`
	Concurrent *int              `toml:"concurrent"` // transfers it runs at once; nil means 1
}

// sealerStages are the stages of engine.Sealer, in pipeline order.
var sealerStages = []string{stage.AddPieces, stage.TreeD, stage.PC1, stage.PC2, stage.C1, stage.C2, stage.Finalize, stage.Unseal}

// Stages returns the processor pools by stage name, without the stages
// that have none.
func (p *ProcessorsConfig) Stages() map[string][]ProcessorConfig {
	all := map[string][]ProcessorConfig{
		stage.AddPieces: p.AddPieces, stage.TreeD: p.TreeD, stage.PC1: p.PC1, stage.PC2: p.PC2,
		stage.C1: p.C1, stage.C2: p.C2, stage.Finalize: p.Finalize, stage.Unseal: p.Unseal,
	}
	for k, v := range all {
		if len(v) == 0 {
			delete(all, k)
		}
	}
	return all
}

// resolve makes each relative bin path (one with a separator) relative
// to base.
func (p *ProcessorsConfig) resolve(base string) {
	abs := func(bin string) string {
		if bin != "" && !filepath.IsAbs(bin) && strings.ContainsRune(bin, filepath.Separator) {
			return filepath.Join(base, bin)
		}
		return bin
	}
	for _, pool := range []([]ProcessorConfig){p.AddPieces, p.TreeD, p.PC1, p.PC2, p.C1, p.C2, p.Finalize, p.Unseal} {
		for i := range pool {
			pool[i].Bin = abs(pool[i].Bin)
		}
	}
	for i := range p.Transfer {
		p.Transfer[i].Bin = abs(p.Transfer[i].Bin)
	}
}

// Validate checks the stage names, concurrencies, locks and executables.
// A bin must exist (and be executable) or be found in PATH.
func (p *ProcessorsConfig) Validate() error {
	for _, name := range slices.Sorted(maps.Keys(p.Limitation.Concurrent)) {
		n := p.Limitation.Concurrent[name]
		if !slices.Contains(sealerStages, name) {
			return fmt.Errorf("processors.limitation.concurrent: unknown stage %q (want one of %s)", name, strings.Join(sealerStages, ", "))
		}
		if n < 1 {
			return fmt.Errorf("processors.limitation.concurrent.%s = %d: must be at least 1", name, n)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(p.ExtLocks)) {
		if name == "" {
			return errors.New("processors.ext_locks: empty lock name")
		}
		if n := p.ExtLocks[name]; n < 1 {
			return fmt.Errorf("processors.ext_locks.%s = %d: must be at least 1", name, n)
		}
	}
	stages := p.Stages()
	for _, st := range sealerStages {
		for i, e := range stages[st] {
			where := fmt.Sprintf("processors.%s[%d]", st, i)
			if err := checkConcurrent(where, e.Concurrent); err != nil {
				return err
			}
			if e.Bin != "" {
				if err := checkBin(where, e.Bin); err != nil {
					return err
				}
			}
			if err := checkEnvs(where, e.Envs); err != nil {
				return err
			}
			seen := map[string]bool{}
			for _, l := range e.Locks {
				if _, ok := p.ExtLocks[l]; !ok {
					return fmt.Errorf("%s.locks: %q is not in processors.ext_locks", where, l)
				}
				if seen[l] {
					return fmt.Errorf("%s.locks: %q twice", where, l)
				}
				seen[l] = true
			}
		}
	}
	for i, e := range p.Transfer {
		where := fmt.Sprintf("processors.transfer[%d]", i)
		if e.Bin == "" {
			return fmt.Errorf("%s.bin: required", where)
		}
		if err := checkBin(where, e.Bin); err != nil {
			return err
		}
		if err := checkConcurrent(where, e.Concurrent); err != nil {
			return err
		}
		if err := checkEnvs(where, e.Envs); err != nil {
			return err
		}
	}
	return nil
}

func checkConcurrent(where string, n *int) error {
	if n != nil && *n < 1 {
		return fmt.Errorf("%s.concurrent = %d: must be at least 1", where, *n)
	}
	return nil
}

func checkBin(where, bin string) error {
	if _, err := exec.LookPath(bin); err != nil {
		return fmt.Errorf("%s.bin %q: not found: %w", where, bin, err)
	}
	return nil
}

func checkEnvs(where string, envs map[string]string) error {
	for k := range envs {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return fmt.Errorf("%s.envs: invalid name %q", where, k)
		}
	}
	return nil
}

type duration struct{ time.Duration }

func (d *duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MaxConfigSize bounds a worker config file.
const MaxConfigSize = 1 << 20

// ParseConfig parses and checks a worker config; relative locations are
// taken relative to base.
func ParseConfig(data []byte, base string) (*Config, error) {
	if len(data) > MaxConfigSize {
		return nil, fmt.Errorf("worker config: %d bytes, the limit is %d", len(data), MaxConfigSize)
	}
	var c Config
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&c)
	if err != nil {
		return nil, fmt.Errorf("worker config: %w", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("worker config: unknown key %s", strings.Join(keys, ", "))
	}
	if c.Worker.Name == "" {
		if c.Worker.Name, err = os.Hostname(); err != nil {
			return nil, fmt.Errorf("worker config: worker.name is empty and the host name is unknown: %w", err)
		}
	}
	if len(c.Threads) == 0 {
		return nil, errors.New("worker config: no [[sealing_thread]]")
	}
	seen := map[string]bool{}
	for i := range c.Threads {
		th := &c.Threads[i]
		if th.Location == "" {
			return nil, fmt.Errorf("worker config: sealing_thread[%d].location is empty", i)
		}
		if !filepath.IsAbs(th.Location) {
			th.Location = filepath.Join(base, th.Location)
		}
		th.Location = filepath.Clean(th.Location)
		if seen[th.Location] {
			return nil, fmt.Errorf("worker config: sealing_thread[%d].location %s is another thread's", i, th.Location)
		}
		seen[th.Location] = true
		// A thread removes its sector's files (cache, sealed, ...) from
		// its directory: a thread inside another's would lose its own.
		for j, o := range c.Threads[:i] {
			if inside(th.Location, o.Location) || inside(o.Location, th.Location) {
				return nil, fmt.Errorf("worker config: sealing_thread[%d].location %s and sealing_thread[%d].location %s are one inside the other", j, o.Location, i, th.Location)
			}
		}
		if th.Plan == "" {
			th.Plan = "sealer"
		}
		if th.Plan != "sealer" {
			return nil, fmt.Errorf("worker config: sealing_thread[%d].plan %q: only \"sealer\" is supported", i, th.Plan)
		}
	}
	for i := range c.Attached {
		a := &c.Attached[i]
		if a.Name == "" || a.Location == "" {
			return nil, fmt.Errorf("worker config: attached[%d] needs a name and a location", i)
		}
		if !filepath.IsAbs(a.Location) {
			a.Location = filepath.Join(base, a.Location)
		}
	}
	if _, err := c.proofTypes(); err != nil {
		return nil, err
	}
	c.Processors.resolve(base)
	if err := c.Processors.Validate(); err != nil {
		return nil, fmt.Errorf("worker config: %w", err)
	}
	if c.Worker.ParentCache == "" {
		c.Worker.ParentCache = filepath.Join(os.TempDir(), "strata-parents")
	} else if !filepath.IsAbs(c.Worker.ParentCache) {
		c.Worker.ParentCache = filepath.Join(base, c.Worker.ParentCache)
	}
	return &c, nil
}

// inside reports whether dir is below parent; both are clean absolute
// paths.
func inside(dir, parent string) bool {
	if parent == string(filepath.Separator) {
		return dir != parent
	}
	return strings.HasPrefix(dir, parent+string(filepath.Separator))
}

var sizes = map[string]proof.SealProof{"2KiB": proof.StackedDrg2KiBV1_1, "8MiB": proof.StackedDrg8MiBV1_1,
	"512MiB": proof.StackedDrg512MiBV1_1, "32GiB": proof.StackedDrg32GiBV1_1, "64GiB": proof.StackedDrg64GiBV1_1}

func (c *Config) proofTypes() ([]proof.SealProof, error) {
	var out []proof.SealProof
	for _, s := range c.Sealing.AllowedSizes {
		p, ok := sizes[s]
		if !ok {
			return nil, fmt.Errorf("worker config: sealing.allowed_sizes: %q is not 2KiB, 8MiB, 512MiB, 32GiB or 64GiB", s)
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// ThreadConfigs returns each thread's configuration. With
// [[processors.transfer]], every thread gets the same ExternalTransfer, so
// that its processors' concurrent bound holds over all the threads.
func (c *Config) ThreadConfigs() []ThreadConfig {
	pts, _ := c.proofTypes()
	var tr Transferer
	if len(c.Processors.Transfer) > 0 {
		tr = NewExternalTransfer(c.Processors.Transfer)
	}
	var stores []PersistStore
	var locs []string
	for _, a := range c.Attached {
		stores = append(stores, PersistStore{Name: a.Name, Dir: a.Location})
	}
	for _, th := range c.Threads {
		locs = append(locs, th.Location)
	}
	out := make([]ThreadConfig, len(c.Threads))
	for i, th := range c.Threads {
		out[i] = ThreadConfig{Index: i, Location: th.Location, Worker: c.Worker.Name,
			Spec:   hub.AllocateSectorSpec{Worker: c.Worker.Name, AllowedMiners: c.Sealing.AllowedMiners, AllowedProofTypes: pts, Locations: locs},
			Stores: stores, ParentCache: c.Worker.ParentCache,
			Idle: c.Sealing.SealInterval.Duration, Poll: c.Sealing.RPCPollingInterval.Duration, Retry: c.Sealing.RecoverInterval.Duration,
			MaxRetries: c.Sealing.MaxRetries, Transfer: tr}
	}
	return out
}
