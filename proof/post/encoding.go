package post

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/proof/ptree"
)

// ErrEncoding wraps every decoding error.
var ErrEncoding = errors.New("bad PoSt proof encoding")

// Limits checked before anything is decoded: the most sectors of a
// WindowPoSt partition, and the most challenges per sector (WinningPoSt).
const (
	MaxSectors    = 2349
	MaxChallenges = 66
	// MaxEncodedSize bounds a whole encoded proof.
	MaxEncodedSize = MaxSectors*(16+2*34) + MaxSectors*10*(ptree.MaxEncodedSize+5) + 64
)

// Marshal encodes proofs as compact CBOR: an array of sectors, each
// [number, comm_c, comm_r_last, [leaf proof bytes...]].
func Marshal(proofs []SectorProof) ([]byte, error) {
	var buf bytes.Buffer
	w := cbg.NewCborWriter(&buf)
	if err := w.WriteMajorTypeHeader(cbg.MajArray, uint64(len(proofs))); err != nil {
		return nil, err
	}
	for _, sp := range proofs {
		if err := w.WriteMajorTypeHeader(cbg.MajArray, 4); err != nil {
			return nil, err
		}
		if err := w.WriteMajorTypeHeader(cbg.MajUnsignedInt, sp.Number); err != nil {
			return nil, err
		}
		for _, c := range [][32]byte{sp.CommC, sp.CommRLast} {
			if err := cbg.WriteByteArray(w, c[:]); err != nil {
				return nil, err
			}
		}
		if err := w.WriteMajorTypeHeader(cbg.MajArray, uint64(len(sp.Leaves))); err != nil {
			return nil, err
		}
		for _, l := range sp.Leaves {
			b, err := l.MarshalBinary()
			if err != nil {
				return nil, err
			}
			if err := cbg.WriteByteArray(w, b); err != nil {
				return nil, err
			}
		}
	}
	return buf.Bytes(), nil
}

// Unmarshal decodes what Marshal encodes. It checks the total size first,
// every count and length before allocating, and rejects trailing bytes.
func Unmarshal(b []byte) ([]SectorProof, error) {
	if len(b) > MaxEncodedSize {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrEncoding, len(b), MaxEncodedSize)
	}
	br := bytes.NewReader(b)
	r := cbg.NewCborReader(br)
	n, err := readHeader(r, cbg.MajArray, MaxSectors, "sector list")
	if err != nil {
		return nil, err
	}
	out := make([]SectorProof, n)
	for i := range out {
		if _, err := readHeader(r, cbg.MajArray, 4, "sector proof"); err != nil {
			return nil, err
		}
		num, err := readHeader(r, cbg.MajUnsignedInt, ^uint64(0), "sector number")
		if err != nil {
			return nil, err
		}
		out[i].Number = num
		for _, dst := range []*[32]byte{&out[i].CommC, &out[i].CommRLast} {
			c, err := cbg.ReadByteArray(r, 32)
			if err != nil || len(c) != 32 {
				return nil, fmt.Errorf("%w: sector %d: commitment is not 32 bytes (%v)", ErrEncoding, i, err)
			}
			copy(dst[:], c)
		}
		k, err := readHeader(r, cbg.MajArray, MaxChallenges, "leaf proof list")
		if err != nil {
			return nil, err
		}
		out[i].Leaves = make([]*ptree.Proof, k)
		for j := range out[i].Leaves {
			lb, err := cbg.ReadByteArray(r, ptree.MaxEncodedSize)
			if err != nil {
				return nil, fmt.Errorf("%w: sector %d leaf %d: %w", ErrEncoding, i, j, err)
			}
			var p ptree.Proof
			if err := p.UnmarshalBinary(lb); err != nil {
				return nil, fmt.Errorf("%w: sector %d leaf %d: %w", ErrEncoding, i, j, err)
			}
			out[i].Leaves[j] = &p
		}
	}
	if br.Len() != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrEncoding, br.Len())
	}
	return out, nil
}

// readHeader reads a CBOR header of major type maj whose value is at most max.
func readHeader(r *cbg.CborReader, maj byte, max uint64, what string) (uint64, error) {
	m, v, err := r.ReadHeader()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, fmt.Errorf("%w: %s: %w", ErrEncoding, what, err)
	}
	if m != maj {
		return 0, fmt.Errorf("%w: %s has CBOR major type %d, want %d", ErrEncoding, what, m, maj)
	}
	if v > max {
		return 0, fmt.Errorf("%w: %s of %d exceeds %d", ErrEncoding, what, v, max)
	}
	return v, nil
}
