package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/strata-sp/strata/daemon"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/unsealed"
)

// runSeal is "strata util seal": seal one sector with the built-in engine
// and print its commitments, so an operator can cross-check another sealer.
func runSeal(ctx context.Context, e *env, args []string) error {
	fs := newFlags("util seal", e)
	sizeFlag := fs.String("size", "2KiB", "sector size: 2KiB, 8MiB, 512MiB, 32GiB or 64GiB")
	dataFlag := fs.String("data", "", "file with the sector's data, up to size·127/128 bytes, zero-filled (default: all zeros)")
	proverID := fs.Uint64("prover-id", 0, "the miner's actor ID")
	sectorNum := fs.Uint64("sector-number", 0, "sector number")
	ticketHex := fs.String("ticket", "", "ticket, 32 bytes in hex (default: zeros)")
	version := fs.String("porep-version", "1.1", "graph version: 1.0 (V1 proofs) or 1.1 (V1_1)")
	dir := fs.String("dir", "", "keep the sector's files here (default: a temporary directory, removed)")
	parents := fs.String("parent-cache", "", "parent cache directory (default $STRATA_HOME/parents)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("util seal: unexpected argument %q", fs.Arg(0))
	}
	sp, err := sealProofFor(*sizeFlag, *version)
	if err != nil {
		return usagef("util seal: %v", err)
	}
	var ticket [32]byte
	if *ticketHex != "" {
		b, err := hex.DecodeString(strings.TrimPrefix(*ticketHex, "0x"))
		if err != nil || len(b) != 32 {
			return usagef("util seal: --ticket must be 32 bytes of hex")
		}
		copy(ticket[:], b)
	}
	size, _ := sp.SectorSize()
	work := *dir
	if work == "" {
		if work, err = os.MkdirTemp("", "strata-seal-"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	}
	if *parents == "" {
		h, err := daemon.DefaultHome("parents", e.getenv)
		if err != nil {
			return err
		}
		*parents = h.Dir
	}
	capacity := int64(size) / 128 * 127
	var data io.Reader = bytes.NewReader(nil)
	if *dataFlag != "" {
		f, err := os.Open(*dataFlag)
		if err != nil {
			return err
		}
		defer f.Close()
		if st, err := f.Stat(); err != nil || st.Size() > capacity {
			return fmt.Errorf("%s does not fit a %s sector (at most %d bytes)", *dataFlag, *sizeFlag, capacity)
		}
		data = f
	}
	s := seal.Sector{Proof: sp, Miner: *proverID, Number: *sectorNum,
		Staged: filepath.Join(work, "staged"), Cache: filepath.Join(work, "cache"), Sealed: filepath.Join(work, "sealed")}
	eng := &seal.Engine{ParentCacheDir: *parents}
	zeros := io.LimitReader(zeroReader{}, capacity)
	if _, err := unsealed.AddPieces(ctx, s.Staged, piece.PaddedSize(size), []unsealed.Piece{{
		Size: piece.PaddedSize(size), Data: io.LimitReader(io.MultiReader(data, zeros), capacity),
	}}); err != nil {
		return err
	}
	commD, err := eng.TreeD(ctx, s)
	if err != nil {
		return err
	}
	replicaID, err := eng.PC1(ctx, s, ticket, commD)
	if err != nil {
		return err
	}
	c, err := eng.PC2(ctx, s)
	if err != nil {
		return err
	}
	h := func(b [32]byte) string { return hex.EncodeToString(b[:]) }
	if *asJSON {
		return printJSON(e.stdout, map[string]any{
			"proof": sp.String(), "proofNumber": int64(sp), "replicaId": h(replicaID),
			"commD": h(commD), "commDCid": piece.CIDv1(commD).String(),
			"commC": h(c.CommC), "commRLast": h(c.CommRLast),
			"commR": h(c.CommR), "commRCid": piece.SealedCID(c.CommR).String(),
		})
	}
	_, err = fmt.Fprintf(e.stdout, "proof:        %s (%d)\nreplica_id:   %s\ncomm_d:       %s\n              %s\ncomm_c:       %s\ncomm_r_last:  %s\ncomm_r:       %s\n              %s\n",
		sp, int64(sp), h(replicaID), h(commD), piece.CIDv1(commD), h(c.CommC), h(c.CommRLast), h(c.CommR), piece.SealedCID(c.CommR))
	return err
}

// sealProofFor maps a size name and graph version to the registered proof.
func sealProofFor(size, version string) (proof.SealProof, error) {
	base := map[string]proof.SealProof{"2KiB": proof.StackedDrg2KiBV1, "8MiB": proof.StackedDrg8MiBV1,
		"512MiB": proof.StackedDrg512MiBV1, "32GiB": proof.StackedDrg32GiBV1, "64GiB": proof.StackedDrg64GiBV1}
	p, ok := base[size]
	if !ok {
		return 0, fmt.Errorf("--size %q is not 2KiB, 8MiB, 512MiB, 32GiB or 64GiB", size)
	}
	switch version {
	case "1.0":
		return p, nil
	case "1.1":
		return p + proof.StackedDrg2KiBV1_1, nil
	default:
		return 0, fmt.Errorf("--porep-version %q is not 1.0 or 1.1", version)
	}
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}
