package seal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/strata-sp/strata/fil/fr32"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/poseidon"
	"github.com/strata-sp/strata/proof/sdr"
)

// Finalize drops what only sealing needed: the layer files, tree_c and
// tree_d. tree_r_last and p_aux stay for PoSt. With dropStaged the staged
// (unsealed) copy goes too; data can still be unsealed from the replica.
func (e *Engine) Finalize(_ context.Context, s Sector, dropStaged bool) error {
	p, err := sectorParams(s)
	if err != nil {
		return err
	}
	var names []string
	for l := 1; l <= p.layers; l++ {
		names = append(names, sdr.LayerFileName(l))
	}
	for k := range p.shape.BaseTrees() {
		names = append(names, TreeCFile(k))
	}
	names = append(names, TreeDFile)
	var errs []error
	for _, n := range names {
		if err := os.Remove(filepath.Join(s.Cache, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if dropStaged {
		if err := os.Remove(s.Staged); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("finalize: %w", err)
	}
	return nil
}

// Unseal writes to w the original (unpadded) bytes [offset, offset+size) of
// the sector, decoded from its replica: each node is replica − key, the key
// being the last layer's label. If Finalize dropped the layers, they are
// labelled again first (PC1 for ticket and CommD). offset and size must be
// multiples of 127 (whole Fr32 quads).
func (e *Engine) Unseal(ctx context.Context, s Sector, ticket, commD [32]byte, offset, size uint64, w io.Writer) error {
	p, err := sectorParams(s)
	if err != nil {
		return err
	}
	q := uint64(fr32.UnpaddedChunk)
	if offset%q != 0 || size%q != 0 || offset+size > uint64(p.size)/fr32.PaddedChunk*q || offset+size < offset {
		return fmt.Errorf("unseal: range [%d, %d) is not whole quads within the sector's %d bytes", offset, offset+size, uint64(p.size)/fr32.PaddedChunk*q)
	}
	last := filepath.Join(s.Cache, sdr.LayerFileName(p.layers))
	if _, err := os.Stat(last); errors.Is(err, os.ErrNotExist) {
		if _, err := e.PC1(ctx, s, ticket, commD); err != nil {
			return fmt.Errorf("unseal: relabel: %w", err)
		}
	}
	keys, err := os.Open(last)
	if err != nil {
		return fmt.Errorf("unseal: %w", err)
	}
	defer keys.Close()
	sealed, err := os.Open(s.Sealed)
	if err != nil {
		return fmt.Errorf("unseal: %w", err)
	}
	defer sealed.Close()
	uw := fr32.NewUnpadWriter(w)
	start := offset / q * fr32.PaddedChunk
	end := (offset + size) / q * fr32.PaddedChunk
	rep := make([]byte, encodeChunk*proof.NodeSize)
	key := make([]byte, encodeChunk*proof.NodeSize)
	for off := start; off < end; off += uint64(len(rep)) {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(uint64(len(rep)), end-off)
		if _, err := sealed.ReadAt(rep[:n], int64(off)); err != nil {
			return fmt.Errorf("unseal: read replica: %w", err)
		}
		if _, err := keys.ReadAt(key[:n], int64(off)); err != nil {
			return fmt.Errorf("unseal: read keys: %w", err)
		}
		for i := uint64(0); i < n; i += proof.NodeSize {
			r, err := poseidon.FromBytes([32]byte(rep[i : i+32]))
			if err != nil {
				return fmt.Errorf("unseal: replica node %d: %w", (off+i)/32, err)
			}
			k, err := poseidon.FromBytes([32]byte(key[i : i+32]))
			if err != nil {
				return fmt.Errorf("unseal: key %d: %w", (off+i)/32, err)
			}
			r.Sub(&r, &k)
			d := poseidon.ToBytes(&r)
			copy(rep[i:], d[:])
		}
		if _, err := uw.Write(rep[:n]); err != nil {
			return fmt.Errorf("unseal: %w", err)
		}
	}
	return uw.Close()
}
