package worker

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/strata-sp/strata/hub"
	"github.com/strata-sp/strata/proof"
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
//
//	[[sealing_thread]]
//	location = "/mnt/nvme0/t0"           # one directory per thread
//	plan = "sealer"
//
//	[[attached]]                          # persist stores
//	name = "store-a"
//	location = "/mnt/store-a"
//
// Unknown keys are errors.
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
	} `toml:"sealing"`
	Threads []struct {
		Location string `toml:"location"`
		Plan     string `toml:"plan"`
	} `toml:"sealing_thread"`
	Attached []struct {
		Name     string `toml:"name"`
		Location string `toml:"location"`
	} `toml:"attached"`
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
	if c.Worker.ParentCache == "" {
		c.Worker.ParentCache = filepath.Join(os.TempDir(), "strata-parents")
	} else if !filepath.IsAbs(c.Worker.ParentCache) {
		c.Worker.ParentCache = filepath.Join(base, c.Worker.ParentCache)
	}
	return &c, nil
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

// ThreadConfigs returns each thread's configuration.
func (c *Config) ThreadConfigs() []ThreadConfig {
	pts, _ := c.proofTypes()
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
			MaxRetries: c.Sealing.MaxRetries}
	}
	return out
}
