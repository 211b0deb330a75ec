package hub

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/fil/commp"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/rpc"
)

// PieceState is where a piece is.
type PieceState string

// The piece states.
const (
	PieceWaiting  PieceState = "waiting"
	PieceAssigned PieceState = "assigned"
	PieceSealed   PieceState = "sealed"
)

// PieceSpec is a piece to seal: its commitment, its size and where
// workers read its data.
type PieceSpec struct {
	// CID is the piece CID, v1 or v2 (v2 also gives the payload size).
	CID cid.Cid
	// Size is the padded piece size; zero takes it from a v2 CID.
	Size piece.PaddedSize `json:",omitempty"`
	// PayloadSize is the number of data bytes at Source; the piece is
	// those bytes zero-padded to Size's unpadded size. Zero means a full
	// piece (Size's unpadded size), or a v2 CID's payload.
	PayloadSize uint64 `json:",omitempty"`
	// Miner restricts the piece to one miner; zero lets any miner take it.
	Miner uint64 `json:",omitempty"`
	// Source is where workers read the data: a path they can reach or an
	// http(s) URL.
	Source string
}

// Piece is a piece on the hub.
type Piece struct {
	ID          string
	CID         cid.Cid // v1
	Size        piece.PaddedSize
	PayloadSize uint64
	Miner       uint64 `json:",omitempty"`
	Source      string
	State       PieceState
	Sector      *SectorID `json:",omitempty"`
	AddedAt     time.Time
}

// Deal is a piece given to a sector, in the sector's order: what a worker
// needs to write it into the staged sector.
type Deal struct {
	PieceID     string
	CID         cid.Cid // v1
	Size        piece.PaddedSize
	PayloadSize uint64
	Source      string
}

// PieceIntake is how data reaches sectors: the market hands the hub each
// deal's piece through it, as `strata hub pieces add` does. AddPiece
// records a piece waiting for a sector and returns it with its ID;
// Pieces tells where each piece is (waiting, assigned to a sector, sealed
// once the sector's prove-commit landed). *Hub implements it in process
// and *OperatorStruct over JSON-RPC (admin).
type PieceIntake interface {
	AddPiece(ctx context.Context, spec PieceSpec) (Piece, error)
	Pieces(ctx context.Context, f PieceFilter) ([]Piece, error)
}

var (
	_ PieceIntake = (*Hub)(nil)
	_ PieceIntake = (*OperatorStruct)(nil)
)

// AddPiece implements PieceIntake over the operator API.
func (o *OperatorStruct) AddPiece(ctx context.Context, spec PieceSpec) (Piece, error) {
	return o.Internal.PiecesAdd(ctx, spec)
}

// Pieces implements PieceIntake over the operator API.
func (o *OperatorStruct) Pieces(ctx context.Context, f PieceFilter) ([]Piece, error) {
	return o.Internal.PiecesList(ctx, f)
}

// MaxSourceLen bounds a piece's source.
const MaxSourceLen = 4096

// maxPieceSize is the largest piece: one filling the largest sector.
const maxPieceSize = piece.PaddedSize(proof.Size64GiB)

// AddPiece records a piece waiting for a sector.
func (h *Hub) AddPiece(ctx context.Context, spec PieceSpec) (Piece, error) {
	p, err := checkPiece(spec)
	if err != nil {
		return Piece{}, err
	}
	var idb [8]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return Piece{}, asRPC(err)
	}
	p.ID, p.State, p.AddedAt = hex.EncodeToString(idb[:]), PieceWaiting, h.now()
	err = h.tx(ctx, func(tx *sql.Tx) error {
		if p.Miner != 0 {
			var pt int64
			err := h.db.QueryRow(ctx, tx, `SELECT proof_type FROM hub_miners WHERE actor = $1`, int64(p.Miner)).Scan(&pt)
			if errors.Is(err, sql.ErrNoRows) {
				return rpc.Errorf(rpc.KindNotFound, "miner f0%d is not on this hub", p.Miner)
			} else if err != nil {
				return err
			}
			size, err := proof.SealProof(pt).SectorSize()
			if err != nil {
				return err
			}
			if uint64(p.Size) > uint64(size) {
				return rpc.Errorf(rpc.KindInvalid, "a piece of %d bytes does not fit miner f0%d's %d-byte sectors", p.Size, p.Miner, size)
			}
		}
		_, err := h.db.Exec(ctx, tx, `INSERT INTO hub_pieces (id, cid, size, payload_size, miner, source, state, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)`, p.ID, p.CID.String(), int64(p.Size), int64(p.PayloadSize), int64(p.Miner),
			p.Source, string(PieceWaiting), p.AddedAt.UnixNano())
		return err
	})
	if err != nil {
		return Piece{}, err
	}
	h.log.Info("piece added", "piece", p.CID, "id", p.ID, "size", p.Size, "miner", p.Miner)
	return p, nil
}

func checkPiece(spec PieceSpec) (Piece, error) {
	p := Piece{Size: spec.Size, PayloadSize: spec.PayloadSize, Miner: spec.Miner, Source: spec.Source}
	if !spec.CID.Defined() {
		return p, rpc.Errorf(rpc.KindInvalid, "piece: no CID")
	}
	if v2, err := piece.DecodeV2(spec.CID); err == nil {
		v1, size, err := piece.ToV1(spec.CID)
		if err != nil {
			return p, rpc.Errorf(rpc.KindInvalid, "piece %s: %v", spec.CID, err)
		}
		if p.Size != 0 && p.Size != size {
			return p, rpc.Errorf(rpc.KindInvalid, "piece %s is %d bytes, not %d", spec.CID, size, p.Size)
		}
		if p.PayloadSize != 0 && p.PayloadSize != v2.PayloadSize() {
			return p, rpc.Errorf(rpc.KindInvalid, "piece %s has %d bytes of payload, not %d", spec.CID, v2.PayloadSize(), p.PayloadSize)
		}
		p.CID, p.Size, p.PayloadSize = v1, size, v2.PayloadSize()
	} else {
		if _, err := piece.DecodeV1(spec.CID); err != nil {
			return p, rpc.Errorf(rpc.KindInvalid, "piece %s is not a piece CID: %v", spec.CID, err)
		}
		p.CID = spec.CID
	}
	if err := p.Size.Validate(); err != nil {
		return p, rpc.Errorf(rpc.KindInvalid, "piece %s: size: %v", spec.CID, err)
	}
	// A larger piece fits no sector, and would not fit the BIGINT column
	// either (2^63 wraps negative, and then passes AcquireDeals' size test).
	if p.Size > maxPieceSize {
		return p, rpc.Errorf(rpc.KindInvalid, "piece %s: %d bytes do not fit the largest sector (%d bytes)", spec.CID, p.Size, maxPieceSize)
	}
	if p.PayloadSize == 0 {
		p.PayloadSize = uint64(p.Size.Unpadded())
	}
	if p.PayloadSize > uint64(p.Size.Unpadded()) {
		return p, rpc.Errorf(rpc.KindInvalid, "piece %s: %d bytes of payload do not fit a %d-byte piece", spec.CID, p.PayloadSize, p.Size)
	}
	switch {
	case p.Source == "":
		return p, rpc.Errorf(rpc.KindInvalid, "piece %s: no source to read its data from", spec.CID)
	case len(p.Source) > MaxSourceLen:
		return p, rpc.Errorf(rpc.KindInvalid, "piece %s: the source is %d bytes long, the limit is %d", spec.CID, len(p.Source), MaxSourceLen)
	case !utf8.ValidString(p.Source):
		return p, rpc.Errorf(rpc.KindInvalid, "piece %s: the source is not UTF-8", spec.CID)
	case strings.ContainsFunc(p.Source, unicode.IsControl):
		// Not only NUL and line breaks: an escape sequence in a source
		// would reach the operator's terminal through `hub pieces list`.
		return p, rpc.Errorf(rpc.KindInvalid, "piece %s: the source has control characters", spec.CID)
	}
	return p, nil
}

// AcquireDeals fixes the sector's pieces and returns them in their order:
// on the first call, the oldest waiting pieces for the sector's miner (or
// for any miner) that fit, each at the next offset aligned to its size;
// none makes a committed-capacity sector. Later calls return the same
// pieces.
func (h *Hub) AcquireDeals(ctx context.Context, worker string, id SectorID) ([]Deal, error) {
	var out []Deal
	err := h.tx(ctx, func(tx *sql.Tx) error {
		r, err := h.owned(ctx, tx, id, worker)
		if err != nil {
			return err
		}
		if r.state.Terminal() {
			return rpc.Errorf(rpc.KindConflict, "sector %s is %s", id, r.state)
		}
		if out, err = sectorDeals(ctx, tx, id); err != nil || r.dealsAcquired {
			return err
		}
		// Fix them now.
		size, err := r.proof.SectorSize()
		if err != nil {
			return err
		}
		rows, err := h.db.Query(ctx, tx, `SELECT id, cid, size, payload_size, source FROM hub_pieces
			WHERE state = $1 AND (miner = 0 OR miner = $2) AND size <= $3 ORDER BY created_at, id LIMIT 1024`,
			string(PieceWaiting), int64(id.Miner), int64(size))
		if err != nil {
			return err
		}
		var offset uint64
		for rows.Next() {
			d, err := scanDeal(rows)
			if err != nil {
				rows.Close()
				return err
			}
			start := (offset + uint64(d.Size) - 1) / uint64(d.Size) * uint64(d.Size)
			if start+uint64(d.Size) > uint64(size) {
				continue
			}
			offset = start + uint64(d.Size)
			out = append(out, d)
			if offset == uint64(size) {
				break
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		now := h.now().UnixNano()
		for i, d := range out {
			if _, err := h.db.Exec(ctx, tx, `UPDATE hub_pieces SET state = $1, sector_miner = $2, sector_number = $3, position = $4, updated_at = $5 WHERE id = $6`,
				string(PieceAssigned), int64(id.Miner), int64(id.Number), i, now, d.PieceID); err != nil {
				return err
			}
		}
		_, err = h.db.Exec(ctx, tx, `UPDATE hub_sectors SET deals_acquired = TRUE WHERE miner = $1 AND number = $2`, int64(id.Miner), int64(id.Number))
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanDeal(s scanner) (Deal, error) {
	var d Deal
	var c string
	var size, payload int64
	if err := s.Scan(&d.PieceID, &c, &size, &payload, &d.Source); err != nil {
		return d, err
	}
	var err error
	if d.CID, err = cid.Decode(c); err != nil {
		return d, fmt.Errorf("piece %s: stored CID: %w", d.PieceID, err)
	}
	d.Size, d.PayloadSize = piece.PaddedSize(size), uint64(payload)
	return d, nil
}

// sectorDeals returns the pieces assigned to the sector, in order.
func sectorDeals(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, id SectorID) ([]Deal, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, cid, size, payload_size, source FROM hub_pieces
		WHERE sector_miner = $1 AND sector_number = $2 ORDER BY position`, int64(id.Miner), int64(id.Number))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Deal
	for rows.Next() {
		d, err := scanDeal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// UnsealedCID is the CommD a sector of the given size holding the deals,
// in order, must have: the primitives' CommD of its pieces.
func UnsealedCID(p proof.SealProof, deals []Deal) (cid.Cid, error) {
	size, err := p.SectorSize()
	if err != nil {
		return cid.Undef, err
	}
	infos := make([]piece.Info, len(deals))
	for i, d := range deals {
		infos[i] = piece.Info{Size: d.Size, CID: d.CID}
	}
	return commp.UnsealedCID(piece.PaddedSize(size), infos)
}

// checkCommD answers whether a submitted CommD is the one the sector's
// pieces give; it fixes the sector's pieces (none: committed capacity)
// when AcquireDeals was never called. A non-empty answer is the reason
// for rejecting it.
func (h *Hub) checkCommD(ctx context.Context, tx *sql.Tx, id SectorID, r *sectorRow, commD [32]byte) (string, error) {
	if !r.dealsAcquired {
		if _, err := h.db.Exec(ctx, tx, `UPDATE hub_sectors SET deals_acquired = TRUE WHERE miner = $1 AND number = $2`, int64(id.Miner), int64(id.Number)); err != nil {
			return "", err
		}
	}
	deals, err := sectorDeals(ctx, tx, id)
	if err != nil {
		return "", err
	}
	want, err := UnsealedCID(r.proof, deals)
	if err != nil {
		return "", err
	}
	if got := piece.CIDv1(commD); !got.Equals(want) {
		return fmt.Sprintf("CommD %s is not the %s of the sector's %d pieces", got, want, len(deals)), nil
	}
	return "", nil
}

// releasePieces returns an aborted sector's pieces to the waiting list.
func (h *Hub) releasePieces(ctx context.Context, tx *sql.Tx, id SectorID, now int64) error {
	_, err := h.db.Exec(ctx, tx, `UPDATE hub_pieces SET state = $1, sector_miner = 0, sector_number = -1, position = 0, updated_at = $2
		WHERE sector_miner = $3 AND sector_number = $4 AND state = $5`,
		string(PieceWaiting), now, int64(id.Miner), int64(id.Number), string(PieceAssigned))
	return err
}

// PieceFilter selects pieces; zero values select all.
type PieceFilter struct {
	State PieceState `json:",omitempty"`
	Miner uint64     `json:",omitempty"`
	Limit int        `json:",omitempty"`
}

// Pieces lists pieces, oldest first.
func (h *Hub) Pieces(ctx context.Context, f PieceFilter) ([]Piece, error) {
	q := `SELECT id, cid, size, payload_size, miner, source, state, sector_miner, sector_number, created_at FROM hub_pieces WHERE 1 = 1`
	var args []any
	if f.State != "" {
		args = append(args, string(f.State))
		q += fmt.Sprintf(" AND state = $%d", len(args))
	}
	if f.Miner != 0 {
		args = append(args, int64(f.Miner))
		q += fmt.Sprintf(" AND (miner = $%d OR sector_miner = $%d)", len(args), len(args))
	}
	q += " ORDER BY created_at, id"
	q += fmt.Sprintf(" LIMIT %d", limit(f.Limit))
	rows, err := h.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, asRPC(err)
	}
	defer rows.Close()
	var out []Piece
	for rows.Next() {
		var p Piece
		var c, st string
		var size, payload, miner, smin, snum, at int64
		if err := rows.Scan(&p.ID, &c, &size, &payload, &miner, &p.Source, &st, &smin, &snum, &at); err != nil {
			return nil, asRPC(err)
		}
		if p.CID, err = cid.Decode(c); err != nil {
			return nil, asRPC(fmt.Errorf("piece %s: stored CID: %w", p.ID, err))
		}
		p.Size, p.PayloadSize, p.Miner, p.State, p.AddedAt = piece.PaddedSize(size), uint64(payload), uint64(miner), PieceState(st), time.Unix(0, at)
		if snum >= 0 {
			p.Sector = &SectorID{uint64(smin), uint64(snum)}
		}
		out = append(out, p)
	}
	return out, asRPC(rows.Err())
}

// limit bounds a listing: the default and the most are 10,000 rows.
func limit(n int) int {
	if n <= 0 || n > 10000 {
		return 10000
	}
	return n
}
