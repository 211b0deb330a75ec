package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/strata-sp/strata/hub"
)

// A proven sector's life after sealing: `hub sectors terminate`, `extend`
// and `remove` (see hub.Hub.TerminateSectors). The hub's proving
// scheduler sends the messages once each sector's deadline may be
// changed; `hub sectors status --json` shows where each is (Life,
// ExtendTo).

// maxSectorArgs bounds the sectors a command names, as the hub does.
const maxSectorArgs = 10_000

// sectorNumbers parses NUMBER... after MINER: numbers and FROM-TO ranges.
func sectorNumbers(cmd string, args []string) (uint64, []uint64, error) {
	if len(args) < 2 {
		return 0, nil, usagef("%s: want MINER NUMBER...", cmd)
	}
	miner, err := parseActor(args[0])
	if err != nil {
		return 0, nil, usagef("%s: MINER: %v", cmd, err)
	}
	var out []uint64
	for _, a := range args[1:] {
		from, to, isRange := strings.Cut(a, "-")
		lo, err := strconv.ParseUint(from, 10, 63)
		if err != nil {
			return 0, nil, usagef("%s: NUMBER %q: want a sector number or FROM-TO", cmd, a)
		}
		hi := lo
		if isRange {
			if hi, err = strconv.ParseUint(to, 10, 63); err != nil || hi < lo {
				return 0, nil, usagef("%s: NUMBER %q: want a sector number or FROM-TO", cmd, a)
			}
		}
		if hi-lo >= maxSectorArgs || len(out)+int(hi-lo+1) > maxSectorArgs {
			return 0, nil, usagef("%s: more than %d sectors: name fewer at a time", cmd, maxSectorArgs)
		}
		for n := lo; n <= hi; n++ {
			out = append(out, n)
		}
	}
	return miner, out, nil
}

// describeNumbers shortens a list of sector numbers for a message.
func describeNumbers(ns []uint64) string {
	const show = 10
	s := make([]string, 0, min(len(ns), show))
	for _, n := range ns[:min(len(ns), show)] {
		s = append(s, strconv.FormatUint(n, 10))
	}
	if len(ns) > show {
		return fmt.Sprintf("%s and %d more", strings.Join(s, ", "), len(ns)-show)
	}
	return strings.Join(s, ", ")
}

func runHubSectorsTerminate(ctx context.Context, e *env, args []string) error {
	f := newHubOpFlags("hub sectors terminate", e)
	yes := f.fs.Bool("yes", false, "really terminate: the sectors' pledge is burnt and their deals end")
	if err := parse(f.fs, interleave(args, "json", "yes")); err != nil {
		return err
	}
	miner, ns, err := sectorNumbers("hub sectors terminate", f.fs.Args())
	if err != nil {
		return err
	}
	if !*yes {
		return usagef("hub sectors terminate: terminating %d sectors of f0%d (%s) ends their deals, burns their pledge and a termination fee, "+
			"and cannot be undone; the hub sends TerminateSectors once each sector's deadline may be changed, and their files may be "+
			"removed once it landed (hub sectors remove). Re-run with --yes", len(ns), miner, describeNumbers(ns))
	}
	o, closer, err := dialHub(ctx, e, *f.home)
	if err != nil {
		return err
	}
	defer closer()
	if err := o.Internal.SectorsTerminate(ctx, miner, ns); err != nil {
		return err
	}
	if *f.asJSON {
		return printJSON(e.stdout, map[string]any{"miner": miner, "sectors": ns, "life": hub.LifeTerminate})
	}
	fmt.Fprintf(e.stdout, "%d sectors of f0%d to terminate (%s): the hub sends TerminateSectors once each one's deadline may be changed; "+
		"`hub sectors status` shows Life terminated once it landed\n", len(ns), miner, describeNumbers(ns))
	return nil
}

func runHubSectorsExtend(ctx context.Context, e *env, args []string) error {
	f := newHubOpFlags("hub sectors extend", e)
	exp := f.fs.Int64("expiration", 0, "the epoch the sectors are to expire at (see their expiration with `strata chain sectors MINER`)")
	if err := parse(f.fs, interleave(args, "json")); err != nil {
		return err
	}
	miner, ns, err := sectorNumbers("hub sectors extend", f.fs.Args())
	if err != nil {
		return err
	}
	if *exp <= 0 {
		return usagef("hub sectors extend: want --expiration EPOCH, the new expiration of the sectors")
	}
	o, closer, err := dialHub(ctx, e, *f.home)
	if err != nil {
		return err
	}
	defer closer()
	if err := o.Internal.SectorsExtend(ctx, miner, ns, *exp); err != nil {
		return err
	}
	if *f.asJSON {
		return printJSON(e.stdout, map[string]any{"miner": miner, "sectors": ns, "expiration": *exp})
	}
	fmt.Fprintf(e.stdout, "%d sectors of f0%d to extend to epoch %d (%s): the hub sends ExtendSectorExpiration2 once each one's deadline may be changed\n",
		len(ns), miner, *exp, describeNumbers(ns))
	return nil
}

func runHubSectorsRemove(ctx context.Context, e *env, args []string) error {
	f := newHubOpFlags("hub sectors remove", e)
	yes := f.fs.Bool("yes", false, "really delete the sector's files")
	if err := parse(f.fs, interleave(args, "json", "yes")); err != nil {
		return err
	}
	id, err := sectorArgs("hub sectors remove", f.fs)
	if err != nil {
		return err
	}
	if !*yes {
		return usagef("hub sectors remove: this deletes sector %s's sealed file and cache from its store; the hub refuses unless its "+
			"termination landed (or it was aborted). Re-run with --yes", id)
	}
	o, closer, err := dialHub(ctx, e, *f.home)
	if err != nil {
		return err
	}
	defer closer()
	if err := o.Internal.SectorsRemove(ctx, id); err != nil {
		return err
	}
	if *f.asJSON {
		return printJSON(e.stdout, map[string]any{"sector": id, "life": hub.LifeRemoved})
	}
	fmt.Fprintf(e.stdout, "sector %s removed: its files are deleted\n", id)
	return nil
}
