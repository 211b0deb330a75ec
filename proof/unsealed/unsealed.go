// Package unsealed builds a sector's unsealed side: the staged sector file
// (AddPieces: Fr32-padded pieces at their aligned offsets, zeros between and
// after them) and tree_d, the binary SHA-254 Merkle tree over it whose root
// is CommD (TreeD). The vanilla proofs open tree_d paths.
package unsealed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/fil/commp"
	"github.com/strata-sp/strata/fil/fr32"
	"github.com/strata-sp/strata/fil/piece"
)

// Errors, checked with errors.Is.
var (
	// ErrCommPMismatch means a piece's data does not hash to the CID given.
	ErrCommPMismatch = errors.New("piece data does not match its piece CID")
	// ErrShortPiece means a piece's reader ended before its unpadded size.
	ErrShortPiece = errors.New("piece data shorter than the piece")
	// ErrDoesNotFit means the pieces overrun the sector.
	ErrDoesNotFit = errors.New("pieces do not fit in the sector")
	// ErrBadTree means a tree file is damaged or of the wrong size.
	ErrBadTree = errors.New("bad tree_d file")
)

// Piece is one piece to add to a sector.
type Piece struct {
	// Size is the padded piece size, a power of two ≥ 128.
	Size piece.PaddedSize
	// CID is the expected v1 piece CID; cid.Undef accepts whatever the data
	// hashes to.
	CID cid.Cid
	// Data yields the piece's unpadded bytes: exactly Size·127/128 of them
	// (a deal's payload followed by the zeros that fill its piece).
	Data io.Reader
}

// AddPieces writes the staged sector file at path, sectorSize bytes long:
// each piece Fr32-padded at the next offset aligned to its size, zeros in
// the gaps and after the last piece. Each piece's commitment is computed
// while it is written and checked against its CID. The file appears whole
// or not at all (a temporary file renamed at the end), so a rerun after a
// crash starts clean. It returns the pieces as the sector records them.
func AddPieces(ctx context.Context, path string, sectorSize piece.PaddedSize, pieces []Piece) ([]piece.Info, error) {
	if err := sectorSize.Validate(); err != nil {
		return nil, fmt.Errorf("add pieces: sector size: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("add pieces: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	defer tmp.Close()
	// The gaps and the tail are holes: zeros that take no disk.
	if err := tmp.Truncate(int64(sectorSize)); err != nil {
		return nil, fmt.Errorf("add pieces: %w", err)
	}
	infos := make([]piece.Info, 0, len(pieces))
	var offset uint64
	for i, p := range pieces {
		if err := p.Size.Validate(); err != nil {
			return nil, fmt.Errorf("add pieces: piece %d: %w", i, err)
		}
		n := uint64(p.Size)
		start := (offset + n - 1) &^ (n - 1)
		if start > uint64(sectorSize) || n > uint64(sectorSize)-start {
			return nil, fmt.Errorf("%w: piece %d of %d bytes at offset %d overruns the %d-byte sector", ErrDoesNotFit, i, n, start, uint64(sectorSize))
		}
		c, err := writePiece(ctx, tmp, int64(start), p)
		if err != nil {
			return nil, fmt.Errorf("add pieces: piece %d: %w", i, err)
		}
		infos = append(infos, piece.Info{Size: p.Size, CID: c})
		offset = start + n
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("add pieces: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("add pieces: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("add pieces: %w", err)
	}
	return infos, nil
}

func writePiece(ctx context.Context, f *os.File, offset int64, p Piece) (cid.Cid, error) {
	unpadded := int64(p.Size) / fr32.PaddedChunk * fr32.UnpaddedChunk
	h := commp.New(commp.Options{})
	pw := fr32.NewPadWriter(io.NewOffsetWriter(f, offset))
	buf := make([]byte, 4<<20-4<<20%fr32.UnpaddedChunk)
	var done int64
	for done < unpadded {
		if err := ctx.Err(); err != nil {
			return cid.Undef, err
		}
		n, err := io.ReadFull(p.Data, buf[:min(int64(len(buf)), unpadded-done)])
		if n > 0 {
			_, _ = h.Write(buf[:n])
			if _, werr := pw.Write(buf[:n]); werr != nil {
				return cid.Undef, werr
			}
			done += int64(n)
		}
		if err != nil && done < unpadded {
			return cid.Undef, fmt.Errorf("%w: got %d of %d bytes: %v", ErrShortPiece, done, unpadded, err)
		}
	}
	// Exactly the piece: no bytes may follow.
	var one [1]byte
	if n, _ := p.Data.Read(one[:]); n > 0 {
		return cid.Undef, fmt.Errorf("piece data longer than its %d unpadded bytes", unpadded)
	}
	got, _, err := h.Sum()
	if err != nil {
		return cid.Undef, err
	}
	if p.CID.Defined() && !p.CID.Equals(got) {
		return cid.Undef, fmt.Errorf("%w: data hashes to %s, the deal says %s", ErrCommPMismatch, got, p.CID)
	}
	return got, nil
}
