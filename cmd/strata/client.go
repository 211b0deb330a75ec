package main

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/strata-sp/strata/fil/prep"
)

func clientCommand() *command {
	return &command{
		name:    "client",
		summary: "data-client tools: prep",
		subs: []*command{{
			name:    "prep",
			summary: "turn a file or directory into a CAR and compute its piece commitment",
			usage:   "PATH -o OUT.car [--json]",
			run:     runPrep,
		}},
	}
}

func runPrep(ctx context.Context, e *env, args []string) error {
	fl := newFlags("client prep", e)
	out := fl.String("o", "", "output CAR file (required)")
	asJSON := fl.Bool("json", false, "print JSON")
	if err := parse(fl, interleave(args, "json")); err != nil {
		return err
	}
	if fl.NArg() != 1 || *out == "" {
		return usagef("client prep: want PATH and -o OUT.car")
	}
	size, err := prepInputSize(fl.Arg(0))
	if err != nil {
		return err
	}
	res, err := prep.Prepare(ctx, fl.Arg(0), *out, prep.Options{Progress: newProgress(e, size)})
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, map[string]any{
			"root": res.Root.String(), "car": *out, "carSize": res.CARSize, "inputBytes": res.InputBytes,
			"pieceCid": res.Piece.CID.String(), "pieceCidV2": res.Piece.CIDv2.String(), "pieceSize": res.Piece.PaddedSize,
		})
	}
	_, err = fmt.Fprintf(e.stdout, "Root CID:          %s\nCAR:               %s (%d bytes)\nPiece CID:         %s\nPiece CID v2:      %s\nPadded piece size: %d (%s)\n",
		res.Root, *out, res.CARSize, res.Piece.CID, res.Piece.CIDv2, res.Piece.PaddedSize, bytesIEC(int64(res.Piece.PaddedSize)))
	return err
}

// prepInputSize is the number of bytes under path, to decide on a progress bar.
func prepInputSize(path string) (int64, error) {
	var n int64
	err := filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	return n, err
}
