package actors

import (
	"bytes"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
	ftypes "github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/internal/cborx"
)

// This file holds the market actor's message parameters and returns and the
// SectorContentChanged notification a miner sends it when deal pieces are
// activated (research/actor-params.md §5).

var (
	_ cbg.CBORMarshaler   = (*AddBalanceParams)(nil)
	_ cbg.CBORUnmarshaler = (*AddBalanceParams)(nil)
	_ cbg.CBORMarshaler   = (*MarketWithdrawBalanceParams)(nil)
	_ cbg.CBORUnmarshaler = (*MarketWithdrawBalanceParams)(nil)
	_ cbg.CBORMarshaler   = (*PublishStorageDealsParams)(nil)
	_ cbg.CBORUnmarshaler = (*PublishStorageDealsParams)(nil)
	_ cbg.CBORMarshaler   = (*PublishStorageDealsReturn)(nil)
	_ cbg.CBORUnmarshaler = (*PublishStorageDealsReturn)(nil)
	_ cbg.CBORMarshaler   = (*OnMinerSectorsTerminateParams)(nil)
	_ cbg.CBORUnmarshaler = (*OnMinerSectorsTerminateParams)(nil)
	_ cbg.CBORMarshaler   = (*SectorContentChangedParams)(nil)
	_ cbg.CBORUnmarshaler = (*SectorContentChangedParams)(nil)
	_ cbg.CBORMarshaler   = (*SectorChanges)(nil)
	_ cbg.CBORUnmarshaler = (*SectorChanges)(nil)
	_ cbg.CBORMarshaler   = (*PieceChange)(nil)
	_ cbg.CBORUnmarshaler = (*PieceChange)(nil)
	_ cbg.CBORMarshaler   = (*SectorContentChangedReturn)(nil)
	_ cbg.CBORUnmarshaler = (*SectorContentChangedReturn)(nil)
	_ cbg.CBORMarshaler   = (*SectorReturn)(nil)
	_ cbg.CBORUnmarshaler = (*SectorReturn)(nil)
)

// AddBalanceParams are the parameters of MarketAddBalance: whose escrow the
// message value is credited to (a miner's or a client's). It is transparent:
// the CBOR is the bare address. A value ≤ 0 or an unresolvable address
// fails with ExitIllegalArgument.
type AddBalanceParams struct {
	ProviderOrClient address.Address
}

// MarshalCBOR writes p as a bare address; a nil pointer writes CBOR null.
func (p *AddBalanceParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "AddBalance params")
	e.address("", p.ProviderOrClient)
	return e.done()
}

// UnmarshalCBOR reads one CBOR AddBalance params from r.
func (p *AddBalanceParams) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "AddBalance params")
	v := AddBalanceParams{ProviderOrClient: d.address("")}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

// MarketWithdrawBalanceParams are the parameters of MarketWithdrawBalance;
// CBOR [ProviderOrClientAddress, Amount]. The return, a
// WithdrawBalanceReturn, is min(Amount, available). For a miner the caller
// must be its owner or worker and the funds go to the owner; for a client,
// the client itself (ExitForbidden otherwise).
type MarketWithdrawBalanceParams struct {
	ProviderOrClientAddress address.Address
	Amount                  big.TokenAmount
}

// MarshalCBOR writes p as the 2-tuple; a nil pointer writes CBOR null.
func (p *MarketWithdrawBalanceParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "market WithdrawBalance params")
	e.tuple(2)
	e.address("ProviderOrClientAddress", p.ProviderOrClientAddress)
	e.token("Amount", p.Amount)
	return e.done()
}

// UnmarshalCBOR reads one CBOR market WithdrawBalance params from r.
func (p *MarketWithdrawBalanceParams) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "market WithdrawBalance params")
	d.tuple(2)
	v := MarketWithdrawBalanceParams{
		ProviderOrClientAddress: d.address("ProviderOrClientAddress"),
		Amount:                  d.token("Amount"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

// PublishStorageDealsParams are the parameters of MarketPublishStorageDeals;
// CBOR [Deals]. All deals must name the same provider, whose worker or a
// control address sends the message. Invalid deals are dropped rather than
// failing the message, unless all are (ExitIllegalArgument).
type PublishStorageDealsParams struct {
	Deals []ftypes.ClientDealProposal
}

// MarshalCBOR writes p as the 1-tuple; a nil pointer writes CBOR null.
func (p *PublishStorageDealsParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "PublishStorageDeals params")
	e.tuple(1)
	encodeList(e, "Deals", p.Deals)
	return e.done()
}

// UnmarshalCBOR reads one CBOR PublishStorageDeals params from r. Each
// proposal must be canonical: the market re-serialises proposals to check
// their signatures, so a non-canonical one could never verify anyway.
func (p *PublishStorageDealsParams) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "PublishStorageDeals params")
	d.tuple(1)
	n := d.list("Deals")
	var deals []ftypes.ClientDealProposal
	for i := 0; i < n && d.err == nil; i++ {
		var deal ftypes.ClientDealProposal
		d.exact(itemField("Deals", i), &deal)
		deals = append(deals, deal)
	}
	if err := d.done(); err != nil {
		return err
	}
	*p = PublishStorageDealsParams{Deals: deals}
	return nil
}

// PublishStorageDealsReturn is the return of MarketPublishStorageDeals; CBOR
// [IDs, ValidDeals]. ValidDeals holds the indexes, into the params' Deals,
// of the deals published; IDs their new deal IDs, in the same order.
type PublishStorageDealsReturn struct {
	IDs        []uint64
	ValidDeals bitfield.BitField
}

// DealIDs pairs each published deal's index in the params with its deal ID.
// It fails if IDs and ValidDeals disagree in length.
func (r *PublishStorageDealsReturn) DealIDs() (map[uint64]uint64, error) {
	if n := r.ValidDeals.Count(); n != uint64(len(r.IDs)) {
		return nil, fmt.Errorf("PublishStorageDeals return: %d IDs for %d valid deals", len(r.IDs), n)
	}
	out := make(map[uint64]uint64, len(r.IDs))
	i := 0
	err := r.ValidDeals.ForEach(func(idx uint64) error {
		out[idx] = r.IDs[i]
		i++
		return nil
	})
	return out, err
}

// MarshalCBOR writes r as the 2-tuple; a nil pointer writes CBOR null.
func (r *PublishStorageDealsReturn) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, r == nil); isNull {
		return err
	}
	e := newEncoder(w, "PublishStorageDeals return")
	e.tuple(2)
	e.uints("IDs", r.IDs)
	e.bitfield("ValidDeals", r.ValidDeals)
	return e.done()
}

// UnmarshalCBOR reads one CBOR PublishStorageDeals return from rd.
func (r *PublishStorageDealsReturn) UnmarshalCBOR(rd io.Reader) error {
	d := newDecoder(rd, "PublishStorageDeals return")
	d.tuple(2)
	v := PublishStorageDealsReturn{
		IDs:        d.uints("IDs"),
		ValidDeals: d.bitfield("ValidDeals"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*r = v
	return nil
}

// OnMinerSectorsTerminateParams are what a miner sends the market
// (MarketOnMinerSectorsTerminate) when it terminates sectors early; CBOR
// [Epoch, Sectors]. Since actors v13 it names sectors, whose deals the
// market looks up, instead of deal IDs.
type OnMinerSectorsTerminateParams struct {
	Epoch   int64
	Sectors bitfield.BitField
}

// MarshalCBOR writes p as the 2-tuple; a nil pointer writes CBOR null.
func (p *OnMinerSectorsTerminateParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "OnMinerSectorsTerminate params")
	e.tuple(2)
	e.int(p.Epoch)
	e.bitfield("Sectors", p.Sectors)
	return e.done()
}

// UnmarshalCBOR reads one CBOR OnMinerSectorsTerminate params from r.
func (p *OnMinerSectorsTerminateParams) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "OnMinerSectorsTerminate params")
	d.tuple(2)
	v := OnMinerSectorsTerminateParams{Epoch: d.int("Epoch"), Sectors: d.bitfield("Sectors")}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

// SectorContentChangedParams are what a miner sends an actor named in piece
// activation notifications (MarketSectorContentChanged for the market): the
// changed sectors. It is transparent: the CBOR is the bare array of
// SectorChanges.
type SectorContentChangedParams struct {
	Sectors []SectorChanges
}

// MarshalCBOR writes p as a bare array; a nil pointer writes CBOR null.
func (p *SectorContentChangedParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "SectorContentChanged params")
	encodeList(e, "", p.Sectors)
	return e.done()
}

// UnmarshalCBOR reads one CBOR SectorContentChanged params from r.
func (p *SectorContentChangedParams) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "SectorContentChanged params")
	v := SectorContentChangedParams{Sectors: decodeList[SectorChanges](d, "")}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

// SectorChanges are the pieces activated in one sector; CBOR [Sector,
// MinimumCommitmentEpoch, Added]. MinimumCommitmentEpoch is the sector's
// expiration: a deal must end no later.
type SectorChanges struct {
	Sector                 uint64
	MinimumCommitmentEpoch int64
	Added                  []PieceChange
}

// MarshalCBOR writes c as the 3-tuple; a nil pointer writes CBOR null.
func (c *SectorChanges) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, c == nil); isNull {
		return err
	}
	e := newEncoder(w, "sector changes")
	e.tuple(3)
	e.uint(c.Sector)
	e.int(c.MinimumCommitmentEpoch)
	encodeList(e, "Added", c.Added)
	return e.done()
}

// UnmarshalCBOR reads one CBOR sector changes from r.
func (c *SectorChanges) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "sector changes")
	d.tuple(3)
	v := SectorChanges{
		Sector:                 d.uint("Sector"),
		MinimumCommitmentEpoch: d.int("MinimumCommitmentEpoch"),
		Added:                  decodeList[PieceChange](d, "Added"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*c = v
	return nil
}

// PieceChange is one activated piece; CBOR [Data, Size, Payload]: the piece
// CID, its padded size and the notification's payload (for the market, the
// CBOR deal ID: DecodeDealID).
type PieceChange struct {
	Data    cid.Cid
	Size    uint64
	Payload []byte
}

// MarshalCBOR writes c as the 3-tuple; a nil pointer writes CBOR null.
func (c *PieceChange) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, c == nil); isNull {
		return err
	}
	e := newEncoder(w, "piece change")
	e.tuple(3)
	e.cid("Data", c.Data)
	e.uint(c.Size)
	e.bytes("Payload", c.Payload)
	return e.done()
}

// UnmarshalCBOR reads one CBOR piece change from r.
func (c *PieceChange) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "piece change")
	d.tuple(3)
	v := PieceChange{Data: d.cid("Data"), Size: d.uint("Size"), Payload: d.bytes("Payload")}
	if err := d.done(); err != nil {
		return err
	}
	*c = v
	return nil
}

// SectorContentChangedReturn is the notified actor's answer, one
// SectorReturn per sector of the params, in order. It is transparent: the
// CBOR is a bare array of bare arrays of bools. The miner turns a false
// into ExitNotificationRejected only when RequireNotificationSuccess is set.
type SectorContentChangedReturn struct {
	Sectors []SectorReturn
}

// SectorReturn says, for each piece of a SectorChanges in order, whether
// the receiver accepted it. It is transparent: the CBOR is a bare array of
// bools.
type SectorReturn struct {
	Accepted []bool
}

// MarshalCBOR writes r as a bare array; a nil pointer writes CBOR null.
func (r *SectorContentChangedReturn) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, r == nil); isNull {
		return err
	}
	e := newEncoder(w, "SectorContentChanged return")
	encodeList(e, "", r.Sectors)
	return e.done()
}

// UnmarshalCBOR reads one CBOR SectorContentChanged return from rd.
func (r *SectorContentChangedReturn) UnmarshalCBOR(rd io.Reader) error {
	d := newDecoder(rd, "SectorContentChanged return")
	v := SectorContentChangedReturn{Sectors: decodeList[SectorReturn](d, "")}
	if err := d.done(); err != nil {
		return err
	}
	*r = v
	return nil
}

// MarshalCBOR writes r as a bare array of bools; a nil pointer writes CBOR
// null.
func (r *SectorReturn) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, r == nil); isNull {
		return err
	}
	e := newEncoder(w, "sector return")
	e.list("", len(r.Accepted))
	for _, a := range r.Accepted {
		e.boolean(a)
	}
	return e.done()
}

// UnmarshalCBOR reads one CBOR sector return from rd.
func (r *SectorReturn) UnmarshalCBOR(rd io.Reader) error {
	d := newDecoder(rd, "sector return")
	n := d.list("")
	var accepted []bool
	for i := 0; i < n && d.err == nil; i++ {
		accepted = append(accepted, d.boolean(itemField("", i)))
	}
	if err := d.done(); err != nil {
		return err
	}
	*r = SectorReturn{Accepted: accepted}
	return nil
}

// EncodeDealID returns the payload of a market notification for deal id: the
// deal ID as a CBOR unsigned integer (deal 7 is 07, deal 1000 is 1903e8).
func EncodeDealID(id uint64) []byte {
	return cbg.CborEncodeMajorType(cbg.MajUnsignedInt, id)
}

// DecodeDealID reads the deal ID of a market notification payload, which
// must be exactly one canonical CBOR unsigned integer. The market rejects
// (accepted=false) a piece whose payload does not decode.
func DecodeDealID(b []byte) (uint64, error) {
	r := bytes.NewReader(b)
	maj, n, err := readHeader(r)
	switch {
	case err != nil:
		return 0, fmt.Errorf("deal ID payload: %w", unexpectedEOF(err))
	case maj != cbg.MajUnsignedInt:
		return 0, fmt.Errorf("deal ID payload: %w: %s, want unsigned integer", ErrCBORType, cborx.MajorName(maj))
	case r.Len() != 0:
		return 0, fmt.Errorf("deal ID payload: %w: %d bytes after the item", ErrTrailingBytes, r.Len())
	}
	return n, nil
}
