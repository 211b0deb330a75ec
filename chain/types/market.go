package types

import (
	"io"

	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/fil/big"
	ftypes "github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/internal/cborx"
)

// MarketDeal is a published deal with its state (lotus api.MarketDeal), the
// answer of StateMarketStorageDeal and the values of StateMarketDeals (a
// JSON object keyed by decimal deal ID).
type MarketDeal struct {
	Proposal ftypes.DealProposal
	State    DealState
}

// DealState is a deal's activation state: the market actor's DealState
// (v13+) and Lotus's api.MarketDealState, which have the same fields.
// CBOR [SectorNumber, SectorStartEpoch, LastUpdatedEpoch, SlashEpoch].
//
// A published but not yet activated deal has no state in the actor; the API
// then reports SectorNumber 0 (also a valid sector number) and -1 epochs.
type DealState struct {
	SectorNumber     uint64
	SectorStartEpoch int64 // -1 until activated
	LastUpdatedEpoch int64 // -1 if never updated
	SlashEpoch       int64 // -1 if never slashed
}

// NoEpoch is the -1 DealState uses for "not yet" and "never".
const NoEpoch int64 = -1

var (
	_ cbg.CBORMarshaler   = (*DealState)(nil)
	_ cbg.CBORUnmarshaler = (*DealState)(nil)
)

// MarshalCBOR writes s as the 4-tuple; a nil pointer writes CBOR null.
func (s *DealState) MarshalCBOR(w io.Writer) error {
	if s == nil {
		_, err := w.Write(cbg.CborNull)
		return err
	}
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajArray, 4); err != nil {
		return err
	}
	if err := cborx.WriteUint64(cw, s.SectorNumber); err != nil {
		return err
	}
	for _, e := range []int64{s.SectorStartEpoch, s.LastUpdatedEpoch, s.SlashEpoch} {
		if err := cborx.WriteInt64(cw, e); err != nil {
			return err
		}
	}
	return nil
}

// UnmarshalCBOR reads one CBOR deal state from r.
func (s *DealState) UnmarshalCBOR(r io.Reader) (err error) {
	const what = "deal state"
	*s = DealState{}
	cr := cbg.NewCborReader(r)
	if _, err := cborx.ReadTuple(cr, what, 4); err != nil {
		return err
	}
	if s.SectorNumber, err = cborx.ReadUint64(cr); err != nil {
		return cborx.FieldErr(what, "SectorNumber", err)
	}
	if s.SectorStartEpoch, err = cborx.ReadInt64(cr); err != nil {
		return cborx.FieldErr(what, "SectorStartEpoch", err)
	}
	if s.LastUpdatedEpoch, err = cborx.ReadInt64(cr); err != nil {
		return cborx.FieldErr(what, "LastUpdatedEpoch", err)
	}
	if s.SlashEpoch, err = cborx.ReadInt64(cr); err != nil {
		return cborx.FieldErr(what, "SlashEpoch", err)
	}
	return nil
}

// DecodeDealState decodes a CBOR deal state that must fill all of b.
func DecodeDealState(b []byte) (*DealState, error) {
	var s DealState
	if err := cborx.Decode("deal state", b, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Serialize returns s's CBOR bytes.
func (s *DealState) Serialize() ([]byte, error) { return cborx.Encode(s) }

// MarketBalance is an address's market escrow and the part of it locked in
// deals (lotus api.MarketBalance).
type MarketBalance struct {
	Escrow big.TokenAmount
	Locked big.TokenAmount
}

// DealCollateralBounds are the provider collateral limits for a deal (lotus
// api.DealCollateralBounds). Lotus overestimates Min by 10%.
type DealCollateralBounds struct {
	Min big.TokenAmount
	Max big.TokenAmount
}
