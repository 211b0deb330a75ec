package types

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/sig"
	"github.com/strata-sp/strata/internal/cborx"
)

// DealProposal is a storage deal proposal (go-state-types market
// DealProposal, unchanged since actors v9); CBOR is the 11-element array of
// its fields in order.
type DealProposal struct {
	PieceCID     cid.Cid
	PieceSize    uint64 // padded piece size
	VerifiedDeal bool
	Client       address.Address
	Provider     address.Address
	Label        DealLabel
	StartEpoch   int64
	EndEpoch     int64
	// StoragePricePerEpoch is paid from StartEpoch to EndEpoch.
	StoragePricePerEpoch big.TokenAmount
	ProviderCollateral   big.TokenAmount
	ClientCollateral     big.TokenAmount
}

var (
	_ cbg.CBORMarshaler   = (*DealProposal)(nil)
	_ cbg.CBORUnmarshaler = (*DealProposal)(nil)
)

const dealProposalFields = 11

// Duration returns EndEpoch - StartEpoch.
func (p *DealProposal) Duration() int64 { return p.EndEpoch - p.StartEpoch }

// TotalStorageFee returns the price per epoch times the duration.
func (p *DealProposal) TotalStorageFee() big.TokenAmount {
	return p.StoragePricePerEpoch.Mul(big.NewInt(p.Duration()))
}

// ClientBalanceRequirement returns what the client must lock: collateral
// plus the total storage fee.
func (p *DealProposal) ClientBalanceRequirement() big.TokenAmount {
	return p.ClientCollateral.Add(p.TotalStorageFee())
}

// ProviderBalanceRequirement returns what the provider must lock.
func (p *DealProposal) ProviderBalanceRequirement() big.TokenAmount {
	return p.ProviderCollateral
}

// MarshalCBOR writes p as a CBOR tuple.
func (p *DealProposal) MarshalCBOR(w io.Writer) error {
	if p == nil {
		_, err := w.Write(cbg.CborNull)
		return err
	}
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajArray, dealProposalFields); err != nil {
		return err
	}
	if err := cborx.WriteCID(cw, p.PieceCID); err != nil {
		return fmt.Errorf("deal proposal: field PieceCID: %w", err)
	}
	if err := cborx.WriteUint64(cw, p.PieceSize); err != nil {
		return err
	}
	if err := cborx.WriteBool(cw, p.VerifiedDeal); err != nil {
		return err
	}
	if err := p.Client.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("deal proposal: field Client: %w", err)
	}
	if err := p.Provider.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("deal proposal: field Provider: %w", err)
	}
	if err := p.Label.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("deal proposal: field Label: %w", err)
	}
	if err := cborx.WriteInt64(cw, p.StartEpoch); err != nil {
		return err
	}
	if err := cborx.WriteInt64(cw, p.EndEpoch); err != nil {
		return err
	}
	if err := p.StoragePricePerEpoch.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("deal proposal: field StoragePricePerEpoch: %w", err)
	}
	if err := p.ProviderCollateral.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("deal proposal: field ProviderCollateral: %w", err)
	}
	if err := p.ClientCollateral.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("deal proposal: field ClientCollateral: %w", err)
	}
	return nil
}

// UnmarshalCBOR reads one CBOR deal proposal from r.
func (p *DealProposal) UnmarshalCBOR(r io.Reader) (err error) {
	*p = DealProposal{}
	cr := cbg.NewCborReader(r)
	if _, err := cborx.ReadTuple(cr, "deal proposal", dealProposalFields); err != nil {
		return err
	}
	const what = "deal proposal"
	if p.PieceCID, err = cbg.ReadCid(cr); err != nil {
		return cborx.FieldErr(what, "PieceCID", err)
	}
	if p.PieceSize, err = cborx.ReadUint64(cr); err != nil {
		return cborx.FieldErr(what, "PieceSize", err)
	}
	if p.VerifiedDeal, err = cborx.ReadBool(cr); err != nil {
		return cborx.FieldErr(what, "VerifiedDeal", err)
	}
	if err := p.Client.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr(what, "Client", err)
	}
	if err := p.Provider.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr(what, "Provider", err)
	}
	if err := p.Label.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr(what, "Label", err)
	}
	if p.StartEpoch, err = cborx.ReadInt64(cr); err != nil {
		return cborx.FieldErr(what, "StartEpoch", err)
	}
	if p.EndEpoch, err = cborx.ReadInt64(cr); err != nil {
		return cborx.FieldErr(what, "EndEpoch", err)
	}
	if err := p.StoragePricePerEpoch.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr(what, "StoragePricePerEpoch", err)
	}
	if err := p.ProviderCollateral.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr(what, "ProviderCollateral", err)
	}
	if err := p.ClientCollateral.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr(what, "ClientCollateral", err)
	}
	return nil
}

// DecodeDealProposal decodes a CBOR deal proposal that must fill all of b.
func DecodeDealProposal(b []byte) (*DealProposal, error) {
	var p DealProposal
	if err := cborx.Decode("deal proposal", b, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Serialize returns p's CBOR bytes, which are also what the client signs.
func (p *DealProposal) Serialize() ([]byte, error) { return cborx.Encode(p) }

// Cid returns the proposal's CID, the CID of its CBOR bytes; the market
// actor keys pending proposals by it.
func (p *DealProposal) Cid() (cid.Cid, error) {
	b, err := p.Serialize()
	if err != nil {
		return cid.Undef, err
	}
	return CID(b), nil
}

// MarshalJSON writes the Lotus shape: PieceCID as {"/":…}, addresses as
// strings, amounts as decimal strings, the label as a string.
func (p DealProposal) MarshalJSON() ([]byte, error) {
	return json.Marshal(dealProposalJSON(p))
}

// UnmarshalJSON reads the Lotus shape.
func (p *DealProposal) UnmarshalJSON(b []byte) error {
	var j dealProposalJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("deal proposal JSON: %w", err)
	}
	*p = DealProposal(j)
	return nil
}

// dealProposalJSON has DealProposal's fields without its methods, so that
// encoding/json handles them field by field.
type dealProposalJSON struct {
	PieceCID             cid.Cid
	PieceSize            uint64
	VerifiedDeal         bool
	Client               address.Address
	Provider             address.Address
	Label                DealLabel
	StartEpoch           int64
	EndEpoch             int64
	StoragePricePerEpoch big.TokenAmount
	ProviderCollateral   big.TokenAmount
	ClientCollateral     big.TokenAmount
}

// ClientDealProposal is a deal proposal signed by its client (go-state-types
// market ClientDealProposal); CBOR [Proposal, ClientSignature].
type ClientDealProposal struct {
	Proposal        DealProposal
	ClientSignature sig.Signature
}

var (
	_ cbg.CBORMarshaler   = (*ClientDealProposal)(nil)
	_ cbg.CBORUnmarshaler = (*ClientDealProposal)(nil)
)

const clientDealProposalFields = 2

// SignDealProposal signs p's CBOR bytes with the client's key k. Deal
// proposals sign their CBOR, not their CID (lotus itests: cborutil.Dump then
// WalletSign).
func SignDealProposal(p *DealProposal, k sig.PrivateKey) (*ClientDealProposal, error) {
	b, err := p.Serialize()
	if err != nil {
		return nil, fmt.Errorf("sign deal proposal: %w", err)
	}
	s, err := k.Sign(b)
	if err != nil {
		return nil, fmt.Errorf("sign deal proposal: %w", err)
	}
	return &ClientDealProposal{Proposal: *p, ClientSignature: s}, nil
}

// VerifySignature checks the client's signature over the proposal's CBOR by
// signer, the key address of Proposal.Client (Client itself when it is an f1
// or f3 address, else its account key from chain state).
func (c *ClientDealProposal) VerifySignature(signer address.Address) error {
	b, err := c.Proposal.Serialize()
	if err != nil {
		return fmt.Errorf("verify deal proposal: %w", err)
	}
	if err := sig.Verify(c.ClientSignature, signer, b); err != nil {
		return fmt.Errorf("verify deal proposal: %w", err)
	}
	return nil
}

// MarshalCBOR writes c as the CBOR tuple [Proposal, ClientSignature].
func (c *ClientDealProposal) MarshalCBOR(w io.Writer) error {
	if c == nil {
		_, err := w.Write(cbg.CborNull)
		return err
	}
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajArray, clientDealProposalFields); err != nil {
		return err
	}
	if err := c.Proposal.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("client deal proposal: field Proposal: %w", err)
	}
	if err := c.ClientSignature.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("client deal proposal: field ClientSignature: %w", err)
	}
	return nil
}

// UnmarshalCBOR reads one CBOR client deal proposal from r.
func (c *ClientDealProposal) UnmarshalCBOR(r io.Reader) error {
	*c = ClientDealProposal{}
	cr := cbg.NewCborReader(r)
	if _, err := cborx.ReadTuple(cr, "client deal proposal", clientDealProposalFields); err != nil {
		return err
	}
	if err := c.Proposal.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr("client deal proposal", "Proposal", err)
	}
	if err := c.ClientSignature.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr("client deal proposal", "ClientSignature", err)
	}
	return nil
}

// DecodeClientDealProposal decodes a CBOR client deal proposal that must fill
// all of b.
func DecodeClientDealProposal(b []byte) (*ClientDealProposal, error) {
	var c ClientDealProposal
	if err := cborx.Decode("client deal proposal", b, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// Serialize returns c's CBOR bytes.
func (c *ClientDealProposal) Serialize() ([]byte, error) { return cborx.Encode(c) }

// Cid returns the CID of c's CBOR, by which deal-making protocols refer to a
// signed proposal.
func (c *ClientDealProposal) Cid() (cid.Cid, error) {
	b, err := c.Serialize()
	if err != nil {
		return cid.Undef, err
	}
	return CID(b), nil
}
