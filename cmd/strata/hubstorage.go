package main

import (
	"context"
	"fmt"
	"math"
	"math/big"
	"math/bits"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/strata-sp/strata/hub"
)

// The operator's persist stores: `hub storage attach|list|detach`, over
// the running hub's Hub.Storage* API (admin).

func hubStorageCommand() *command {
	return &command{name: "storage", summary: "persist stores sealed sectors go to: storage attach|list|detach", subs: []*command{
		{name: "attach", summary: "attach a persist store, or replace an attached store's settings (those not given take their defaults)",
			usage: "NAME --path DIR [--weight N] [--capacity SIZE] [--read-only] [--allow-miners f0N,...] [--deny-miners f0N,...] [--json]",
			run:   runHubStorageAttach},
		{name: "list", summary: "the stores, their sectors and the space the hub counts", usage: "[--json]", run: runHubStorageList},
		{name: "detach", summary: "forget a store; refused while sectors are recorded in it, unless --force",
			usage: "NAME [--force] [--json]", run: runHubStorageDetach},
	}}
}

func runHubStorageAttach(ctx context.Context, e *env, args []string) error {
	f := newHubOpFlags("hub storage attach", e)
	path := f.fs.String("path", "", "the store's directory as the hub reaches it (absolute); workers name their own in [[attached]]")
	weight := f.fs.Uint64("weight", hub.DefaultStoreWeight, "the choice prefers stores with a higher weight × available space")
	capacity := f.fs.String("capacity", "0", "bytes the hub may fill, e.g. 10GiB or 2TB (0: the filesystem's free space)")
	readOnly := f.fs.Bool("read-only", false, "give the store no new sectors")
	allow := f.fs.String("allow-miners", "", "only these miners' sectors, comma-separated (default: any)")
	deny := f.fs.String("deny-miners", "", "never these miners' sectors, comma-separated")
	if err := parse(f.fs, interleave(args, "json", "read-only")); err != nil {
		return err
	}
	if f.fs.NArg() != 1 || f.fs.Arg(0) == "" {
		return usagef("hub storage attach: want the store's NAME ([[attached]] name in the workers' configs)")
	}
	if *path == "" {
		return usagef("hub storage attach: --path is required")
	}
	if *weight == 0 {
		return usagef("hub storage attach: --weight must be at least 1")
	}
	spec := hub.StoreSpec{Name: f.fs.Arg(0), Path: *path, Weight: *weight, ReadOnly: *readOnly}
	var err error
	if spec.Capacity, err = parseBytes(*capacity); err != nil {
		return usagef("hub storage attach: --capacity: %v", err)
	}
	if spec.AllowMiners, err = parseActors(*allow); err != nil {
		return usagef("hub storage attach: --allow-miners: %v", err)
	}
	if spec.DenyMiners, err = parseActors(*deny); err != nil {
		return usagef("hub storage attach: --deny-miners: %v", err)
	}
	o, closer, err := dialHub(ctx, e, *f.home)
	if err != nil {
		return err
	}
	defer closer()
	if err := o.Internal.StorageAttach(ctx, spec); err != nil {
		return err
	}
	// The store as the hub now counts it.
	ss, err := o.Internal.StorageList(ctx)
	if err != nil {
		return err
	}
	var got *hub.StoreInfo
	for i := range ss {
		if ss[i].Name == spec.Name {
			got = &ss[i]
		}
	}
	if got == nil {
		return fmt.Errorf("store %q was attached but is not listed (detached meanwhile?)", spec.Name)
	}
	if *f.asJSON {
		return printJSON(e.stdout, got)
	}
	fmt.Fprintf(e.stdout, "store %s attached at %s (weight %d, %s available)\n", got.Name, got.Path, got.Weight, bytesIEC(clampInt64(got.Available)))
	if !got.Reachable {
		fmt.Fprintf(e.stderr, "warning: the hub does not reach %s (%s)", got.Path, got.Err)
		if got.Capacity == 0 {
			fmt.Fprintf(e.stderr, "; without --capacity it gives the store no sector")
		}
		fmt.Fprintln(e.stderr)
	}
	return nil
}

func runHubStorageList(ctx context.Context, e *env, args []string) error {
	f := newHubOpFlags("hub storage list", e)
	if err := parse(f.fs, args); err != nil {
		return err
	}
	if f.fs.NArg() != 0 {
		return usagef("hub storage list: no arguments")
	}
	o, closer, err := dialHub(ctx, e, *f.home)
	if err != nil {
		return err
	}
	defer closer()
	ss, err := o.Internal.StorageList(ctx)
	if err != nil {
		return err
	}
	if *f.asJSON {
		if ss == nil {
			ss = []hub.StoreInfo{}
		}
		return printJSON(e.stdout, ss)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPATH\tWEIGHT\tCAPACITY\tSECTORS\tRESERVED\tAVAILABLE\tMINERS\tNOTE")
	for _, s := range ss {
		capacity := "fs"
		if s.Capacity > 0 {
			capacity = bytesIEC(clampInt64(s.Capacity))
		}
		var note []string
		if s.ReadOnly {
			note = append(note, "read-only")
		}
		if s.HubPath != "" {
			note = append(note, "here at "+s.HubPath)
		}
		if !s.Reachable {
			note = append(note, "unreachable: "+s.Err)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\n", s.Name, s.Path, s.Weight, capacity, s.Sectors,
			bytesIEC(clampInt64(s.Reserved)), bytesIEC(clampInt64(s.Available)), minersNote(s.StoreSpec), oneLine(strings.Join(note, "; "), 80))
	}
	return tw.Flush()
}

// minersNote shows a store's miner lists.
func minersNote(s hub.StoreSpec) string {
	var out []string
	if len(s.AllowMiners) > 0 {
		out = append(out, "only "+formatActors(s.AllowMiners))
	}
	if len(s.DenyMiners) > 0 {
		out = append(out, "not "+formatActors(s.DenyMiners))
	}
	if len(out) == 0 {
		return "any"
	}
	return strings.Join(out, ", ")
}

func formatActors(ms []uint64) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = "f0" + strconv.FormatUint(m, 10)
	}
	return strings.Join(s, ",")
}

func runHubStorageDetach(ctx context.Context, e *env, args []string) error {
	f := newHubOpFlags("hub storage detach", e)
	force := f.fs.Bool("force", false, "detach even while sectors are recorded in the store (their files stay; the hub forgets where)")
	if err := parse(f.fs, interleave(args, "json", "force")); err != nil {
		return err
	}
	if f.fs.NArg() != 1 || f.fs.Arg(0) == "" {
		return usagef("hub storage detach: want the store's NAME")
	}
	name := f.fs.Arg(0)
	o, closer, err := dialHub(ctx, e, *f.home)
	if err != nil {
		return err
	}
	defer closer()
	if err := o.Internal.StorageDetach(ctx, name, *force); err != nil {
		return err
	}
	if *f.asJSON {
		return printJSON(e.stdout, map[string]any{"store": name, "detached": true})
	}
	fmt.Fprintf(e.stdout, "store %s detached\n", name)
	return nil
}

// parseActors parses a comma-separated list of ID addresses (f01000).
func parseActors(s string) ([]uint64, error) {
	var out []uint64
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a == "" {
			continue
		}
		id, err := parseActor(a)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", a, err)
		}
		out = append(out, id)
	}
	return out, nil
}

// byteUnits are the units parseBytes takes, by their lower-case name:
// IEC (KiB = 1024) and SI (kB = 1000).
var byteUnits = map[string]uint64{
	"": 1, "b": 1,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50, "eib": 1 << 60,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "pb": 1e15, "eb": 1e18,
}

// parseBytes parses a size: a number, possibly with a fraction, and an
// optional unit (B, KiB, MiB, GiB, TiB, PiB, EiB, or kB, MB, GB, TB, PB,
// EB), case-insensitive: "10GiB", "1.5 TB", "4096". A fraction of a byte
// is dropped.
func parseBytes(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.TrimSpace(s[i:])
	}
	mult, ok := byteUnits[strings.ToLower(unit)]
	if num == "" || !ok {
		return 0, fmt.Errorf("%q is not a size (e.g. 4096, 10GiB, 2TB)", s)
	}
	if !strings.Contains(num, ".") {
		n, err := strconv.ParseUint(num, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a size: %w", s, err)
		}
		hi, lo := bits.Mul64(n, mult)
		if hi != 0 {
			return 0, fmt.Errorf("%q is too large", s)
		}
		return lo, nil
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, fmt.Errorf("%q is not a size (e.g. 4096, 10GiB, 2TB)", s)
	}
	r.Mul(r, new(big.Rat).SetUint64(mult))
	n := new(big.Int).Quo(r.Num(), r.Denom())
	if !n.IsUint64() {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n.Uint64(), nil
}

// clampInt64 is n for bytesIEC, which takes an int64.
func clampInt64(n uint64) int64 {
	if n > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(n)
}
