package commp

import (
	"fmt"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/fil/sha254"
)

// UnsealedCID returns CommD, the unsealed sector CID, of a sector of
// sectorSize bytes that holds pieces in this order, as lotus and
// rust-fil-proofs compute it (GenerateUnsealedCID; primitives.md §2.6).
//
// Each piece starts at the next offset aligned to its own size; the gaps and
// the rest of the sector are zero pieces. Pieces are given by v1 CIDs, or by
// v2 CIDs whose size must match the listed size. With no pieces, CommD is the
// zero commitment of the sector.
//
// The computation follows the stack of rust-fil-proofs filecoin-proofs
// pieces.rs compute_comm_d: a piece larger than the top of the stack first
// gets zero pieces pushed until the top is as large (its alignment padding),
// and equal neighbours merge into their parent. Only the O(log sector)
// nodes on the stack are hashed; zero subtrees come from the table.
func UnsealedCID(sectorSize piece.PaddedSize, pieces []piece.Info) (cid.Cid, error) {
	if err := sectorSize.Validate(); err != nil {
		return cid.Undef, fmt.Errorf("commp: sector size: %w", err)
	}
	sectorLevel := sectorSize.Height()
	var st commStack
	var offset uint64
	for i, p := range pieces {
		if err := p.Size.Validate(); err != nil {
			return cid.Undef, fmt.Errorf("commp: piece %d: %w", i, err)
		}
		comm, size, err := piece.Decode(p.CID)
		if err != nil {
			return cid.Undef, fmt.Errorf("commp: piece %d: %w", i, err)
		}
		if size != 0 && size != p.Size {
			return cid.Undef, fmt.Errorf("%w: piece %d CID %s is %d bytes, listed as %d", ErrSizeMismatch, i, p.CID, size, p.Size)
		}
		n := uint64(p.Size)
		start := (offset + n - 1) &^ (n - 1)
		if start > uint64(sectorSize) || n > uint64(sectorSize)-start {
			return cid.Undef, fmt.Errorf("%w: piece %d of %d bytes at offset %d overruns the %d-byte sector",
				ErrPiecesDoNotFit, i, n, start, uint64(sectorSize))
		}
		offset = start + n
		level := p.Size.Height()
		for st.n > 0 && st.top().level < level {
			st.pushReduce(st.top().level, zeroComms[st.top().level])
		}
		st.pushReduce(level, comm)
	}
	if st.n == 0 {
		return piece.CIDv1(zeroComms[sectorLevel]), nil
	}
	for st.n > 1 {
		st.pushReduce(st.top().level, zeroComms[st.top().level])
	}
	// Fill the rest of the sector with zeros, as lotus appends zero pieces
	// before calling the proofs (ffiwrapper GenerateUnsealedCID).
	root := st.frames[0]
	for l := root.level; l < sectorLevel; l++ {
		root.comm = sha254.Node(root.comm, zeroComms[l])
	}
	return piece.CIDv1(root.comm), nil
}

// frame is a subtree root on the CommD stack.
type frame struct {
	level int
	comm  [32]byte
}

// commStack is the CommD stack. Its levels strictly decrease from bottom to
// top after every reduction, so it never holds more than one frame per level.
type commStack struct {
	frames [piece.MaxHeight + 2]frame
	n      int
}

func (s *commStack) top() frame { return s.frames[s.n-1] }

// pushReduce pushes a subtree root, then merges the top two frames while
// they are siblings of the same level.
func (s *commStack) pushReduce(level int, comm [32]byte) {
	s.frames[s.n] = frame{level, comm}
	s.n++
	for s.n > 1 && s.frames[s.n-2].level == s.frames[s.n-1].level {
		l, r := s.frames[s.n-2], s.frames[s.n-1]
		s.n--
		s.frames[s.n-1] = frame{l.level + 1, sha254.Node(l.comm, r.comm)}
	}
}
