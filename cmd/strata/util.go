package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/prep"
)

func utilCommand() *command {
	return &command{
		name:    "util",
		summary: "tools for Filecoin data: commp, address, seal",
		subs: []*command{
			{
				name:    "commp",
				summary: "compute the piece commitment of a file (a CAR or any data)",
				usage:   "FILE [--json]",
				run:     runCommP,
			},
			{
				name:    "seal",
				summary: "seal a sector with the built-in engine and print its commitments",
				usage:   "--size 2KiB [--data FILE] [--prover-id N] [--sector-number N] [--ticket HEX] [--porep-version 1.1] [--json]",
				run:     runSeal,
			},
			{
				name:    "address",
				summary: "decode a Filecoin address",
				usage:   "ADDRESS [--json]",
				run:     runAddress,
			},
		},
	}
}

// interleave lets flags follow positional arguments ("commp FILE --json").
func interleave(args []string, boolFlags ...string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) > 1 && a[0] == '-' {
			flags = append(flags, a)
			isBool := false
			for _, b := range boolFlags {
				if a == "-"+b || a == "--"+b {
					isBool = true
				}
			}
			if !isBool && !containsEq(a) && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

func containsEq(s string) bool {
	for _, c := range s {
		if c == '=' {
			return true
		}
	}
	return false
}

func runCommP(ctx context.Context, e *env, args []string) error {
	fs := newFlags("util commp", e)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, interleave(args, "json")); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("util commp: want one FILE")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", fs.Arg(0))
	}
	p, err := prep.Commitment(ctx, f, st.Size(), prep.Options{Progress: newProgress(e, st.Size())})
	if err != nil {
		return fmt.Errorf("commp %s: %w", fs.Arg(0), err)
	}
	if *asJSON {
		return printJSON(e.stdout, map[string]any{
			"file": fs.Arg(0), "payloadSize": p.PayloadSize, "pieceSize": p.PaddedSize,
			"pieceCid": p.CID.String(), "pieceCidV2": p.CIDv2.String(),
		})
	}
	_, err = fmt.Fprintf(e.stdout, "File:              %s\nPayload size:      %d\nPadded piece size: %d (%s)\nPiece CID:         %s\nPiece CID v2:      %s\n",
		fs.Arg(0), p.PayloadSize, p.PaddedSize, bytesIEC(int64(p.PaddedSize)), p.CID, p.CIDv2)
	return err
}

func runAddress(_ context.Context, e *env, args []string) error {
	fs := newFlags("util address", e)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, interleave(args, "json")); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("util address: want one ADDRESS")
	}
	a, network, err := address.Parse(fs.Arg(0))
	if err != nil {
		return err
	}
	out := []struct{ k, v string }{
		{"address", a.Format(network)},
		{"network", network.String()},
		{"protocol", fmt.Sprintf("%d (%s)", a.Protocol(), a.Protocol())},
		{"payload", hex.EncodeToString(a.Payload())},
		{"bytes", hex.EncodeToString(a.Bytes())},
	}
	js := map[string]any{
		"address": a.Format(network), "network": network.String(), "protocol": int(a.Protocol()),
		"protocolName": a.Protocol().String(), "payload": hex.EncodeToString(a.Payload()), "bytes": hex.EncodeToString(a.Bytes()),
	}
	switch a.Protocol() {
	case address.ID:
		id, _ := a.ID()
		out = append(out, struct{ k, v string }{"id", fmt.Sprint(id)})
		js["id"] = id
	case address.SECP256K1, address.Actor:
		out = append(out, struct{ k, v string }{"key hash", hex.EncodeToString(a.Payload()) + " (blake2b-160)"})
		js["keyHash"] = hex.EncodeToString(a.Payload())
	case address.BLS:
		out = append(out, struct{ k, v string }{"public key", hex.EncodeToString(a.Payload()) + " (BLS12-381 G1)"})
		js["publicKey"] = hex.EncodeToString(a.Payload())
	case address.Delegated:
		ns, sub, _ := a.Delegated()
		out = append(out, struct{ k, v string }{"namespace", fmt.Sprint(ns)}, struct{ k, v string }{"subaddress", hex.EncodeToString(sub)})
		js["namespace"], js["subaddress"] = ns, hex.EncodeToString(sub)
		if ns == 10 && len(sub) == 20 {
			out = append(out, struct{ k, v string }{"eth address", "0x" + hex.EncodeToString(sub)})
			js["ethAddress"] = "0x" + hex.EncodeToString(sub)
		}
	}
	if *asJSON {
		return printJSON(e.stdout, js)
	}
	for _, kv := range out {
		if _, err := fmt.Fprintf(e.stdout, "%-12s %s\n", kv.k+":", kv.v); err != nil {
			return err
		}
	}
	return nil
}

// startCPUProfile writes a CPU profile to path until the returned stop.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
