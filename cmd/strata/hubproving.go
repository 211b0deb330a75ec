package main

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/strata-sp/strata/hub"
)

// The operator's proving commands: hub proving, hub sectors check.

func runHubProving(ctx context.Context, e *env, args []string) error {
	f := newHubOpFlags("hub proving status", e)
	if err := parse(f.fs, args); err != nil {
		return err
	}
	var miner uint64
	if f.fs.NArg() > 1 {
		return usagef("hub proving status: at most one MINER")
	}
	if f.fs.NArg() == 1 {
		var err error
		if miner, err = parseActor(f.fs.Arg(0)); err != nil {
			return usagef("hub proving status: MINER: %v", err)
		}
	}
	o, closer, err := dialHub(ctx, e, *f.home)
	if err != nil {
		return err
	}
	defer closer()
	ss, err := o.Internal.ProvingStatus(ctx, miner)
	if err != nil {
		return err
	}
	if *f.asJSON {
		return printJSON(e.stdout, ss)
	}
	for i, s := range ss {
		if i > 0 {
			fmt.Fprintln(e.stdout)
		}
		printProvingStatus(e, s)
	}
	if len(ss) == 0 {
		fmt.Fprintln(e.stdout, "no miners: strata hub miners add")
	}
	return nil
}

func printProvingStatus(e *env, s hub.ProvingStatus) {
	w := e.stdout
	d := s.Deadline
	fmt.Fprintf(w, "Miner f0%d at epoch %d\n", s.Miner, s.Epoch)
	fmt.Fprintf(w, "  Sectors:        %d live, %d faulty, %d recovering\n", s.Sectors, s.Faulty, s.Recovering)
	state := "open"
	if !d.IsOpen() {
		state = "not open"
	}
	fmt.Fprintf(w, "  Deadline:       %d of %d (%s: epochs %d..%d, challenge at %d)\n", d.Index, d.WPoStPeriodDeadlines, state, d.Open, d.Close-1, d.Challenge)
	fmt.Fprintf(w, "  Next deadline:  %d opens at %d (in %d epochs), fault cutoff %d\n", s.Next.Index, s.Next.Open, s.Next.Open-s.Epoch, s.Next.FaultCutoff)
	if r := s.LastPoSt; r != nil {
		fmt.Fprintf(w, "  Last PoSt:      deadline %d (opened %d) partitions %s: %d sectors, %d skipped, %s in %s; %s\n",
			r.Deadline, r.Open, dash(r.Partitions), r.Sectors, len(r.Faults), recordState(r), r.Took, r.Message)
	} else {
		fmt.Fprintln(w, "  Last PoSt:      none")
	}
	if r := s.LastCheck; r != nil {
		fmt.Fprintf(w, "  Last check:     deadline %d (opens %d): %d sectors, %d faulty, in %s\n", r.Deadline, r.Open, r.Sectors, len(r.Faults), r.Took)
	}
	for _, r := range s.LastDeclarations {
		fmt.Fprintf(w, "  Declared:       %s for deadline %d (opens %d): sectors %s, %s\n", r.Kind, r.Deadline, r.Open, joinUints(r.Faults), recordState(r))
	}
	if s.Err != "" {
		fmt.Fprintf(w, "  Error:          %s (%s)\n", s.Err, s.ErrAt.Format(time.DateTime))
	}
}

func recordState(r *hub.ProvingRecord) string {
	switch r.State {
	case "landed":
		return fmt.Sprintf("landed at %d", r.Height)
	case "failed":
		return fmt.Sprintf("failed (exit %d)", r.ExitCode)
	}
	return dash(r.State)
}

func joinUints(ns []uint64) string {
	if len(ns) == 0 {
		return "-"
	}
	s := ""
	for i, n := range ns {
		if i > 0 {
			s += ","
		}
		s += strconv.FormatUint(n, 10)
	}
	return s
}

func runHubSectorsCheck(ctx context.Context, e *env, args []string) error {
	f := newHubOpFlags("hub sectors check", e)
	deadline := f.fs.Int("deadline", -1, "only the sectors of this deadline")
	all := f.fs.Bool("all", false, "list every sector checked, not only the bad ones")
	if err := parse(f.fs, args); err != nil {
		return err
	}
	if f.fs.NArg() != 1 {
		return usagef("hub sectors check: want MINER")
	}
	miner, err := parseActor(f.fs.Arg(0))
	if err != nil {
		return usagef("hub sectors check: MINER: %v", err)
	}
	var dl *uint64
	if *deadline >= 0 {
		v := uint64(*deadline)
		dl = &v
	}
	o, closer, err := dialHub(ctx, e, *f.home)
	if err != nil {
		return err
	}
	defer closer()
	cs, err := o.Internal.SectorsCheck(ctx, miner, dl)
	if err != nil {
		return err
	}
	if *f.asJSON {
		return printJSON(e.stdout, cs)
	}
	bad := 0
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SECTOR\tDEADLINE\tPARTITION\tON CHAIN\tFILES")
	for _, c := range cs {
		if !c.OK {
			bad++
		}
		if c.OK && !*all {
			continue
		}
		chain := "active"
		switch {
		case c.Recovering:
			chain = "recovering"
		case c.Faulty:
			chain = "faulty"
		}
		files := "ok"
		if !c.OK {
			files = oneLine(c.Reason, 120)
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%s\t%s\n", c.Number, c.Deadline, c.Partition, chain, files)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%d sectors checked, %d bad\n", len(cs), bad)
	return nil
}

func runHubProvingWinning(ctx context.Context, e *env, args []string) error {
	f := newHubOpFlags("hub proving winning", e)
	if err := parse(f.fs, args); err != nil {
		return err
	}
	if f.fs.NArg() != 1 {
		return usagef("hub proving winning: want MINER")
	}
	miner, err := parseActor(f.fs.Arg(0))
	if err != nil {
		return usagef("hub proving winning: MINER: %v", err)
	}
	o, closer, err := dialHub(ctx, e, *f.home)
	if err != nil {
		return err
	}
	defer closer()
	w, err := o.Internal.ProvingWinning(ctx, miner)
	if err != nil {
		return err
	}
	if *f.asJSON {
		return printJSON(e.stdout, w)
	}
	fmt.Fprintf(e.stdout, "Miner f0%d at epoch %d: %d eligible sectors, challenged %s\n", w.Miner, w.Epoch, w.Eligible, joinUints(w.Sectors))
	if w.Verified {
		fmt.Fprintf(e.stdout, "WinningPoSt generated in %s and verified\n", w.Took)
		return nil
	}
	return fmt.Errorf("no valid WinningPoSt: %s", w.Err)
}
