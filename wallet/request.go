package wallet

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/internal/cborx"
)

// MaxSignBytes bounds the bytes to sign and MsgMeta.Extra: a message's CBOR
// is at most a little over types.MaxParamsLength, and nothing else a wallet
// signs is larger.
const MaxSignBytes = 1 << 20

// ErrBadRequest is wrapped by every Decode error: the bytes are not what
// the request's MsgMeta says they are.
var ErrBadRequest = errors.New("bad sign request")

// Request is a sign request the wallet has checked: the bytes and, per
// kind, what they were verified to be.
type Request struct {
	Kind MsgType
	// Data is the bytes to sign.
	Data []byte
	// Message and MessageCID, for MTChainMsg: Data is MessageCID's bytes.
	Message    *types.Message
	MessageCID cid.Cid
	// Deal, for MTDealProposal: Data is its CBOR.
	Deal *types.DealProposal
	// Ask, for MTStorageAsk: Data is its CBOR.
	Ask *StorageAsk
}

// Decode checks that toSign is what meta says and returns the decoded
// request. It never trusts the caller: a chain message's CID is recomputed
// from meta.Extra and compared with toSign. Errors wrap ErrBadRequest.
func Decode(toSign []byte, meta MsgMeta) (*Request, error) {
	if len(toSign) == 0 {
		return nil, fmt.Errorf("%w: nothing to sign", ErrBadRequest)
	}
	if len(toSign) > MaxSignBytes || len(meta.Extra) > MaxSignBytes {
		return nil, fmt.Errorf("%w: %d bytes to sign with %d bytes of meta; the limit is %d", ErrBadRequest, len(toSign), len(meta.Extra), MaxSignBytes)
	}
	r := &Request{Kind: meta.Type, Data: toSign}
	switch meta.Type {
	case MTChainMsg:
		if len(meta.Extra) == 0 {
			return nil, fmt.Errorf("%w: a chain message must come with its CBOR in meta.Extra", ErrBadRequest)
		}
		m, err := types.DecodeMessage(meta.Extra)
		if err != nil {
			return nil, fmt.Errorf("%w: meta.Extra is not a chain message: %w", ErrBadRequest, err)
		}
		if b, err := m.Serialize(); err != nil || !bytes.Equal(b, meta.Extra) {
			return nil, fmt.Errorf("%w: meta.Extra is not the canonical CBOR of the message it decodes to (the chain would know it by another CID)", ErrBadRequest)
		}
		c := types.CID(meta.Extra)
		if !bytes.Equal(c.Bytes(), toSign) {
			return nil, fmt.Errorf("%w: the bytes to sign are not the CID of the message in meta.Extra (%s)", ErrBadRequest, c)
		}
		r.Message, r.MessageCID = m, c
	case MTDealProposal:
		if err := sameOrEmpty(toSign, meta.Extra); err != nil {
			return nil, err
		}
		p, err := types.DecodeDealProposal(toSign)
		if err != nil {
			return nil, fmt.Errorf("%w: not a deal proposal: %w", ErrBadRequest, err)
		}
		if b, err := p.Serialize(); err != nil || !bytes.Equal(b, toSign) {
			return nil, fmt.Errorf("%w: the bytes are not the canonical CBOR of the deal proposal they decode to", ErrBadRequest)
		}
		r.Deal = p
	case MTStorageAsk:
		if err := sameOrEmpty(toSign, meta.Extra); err != nil {
			return nil, err
		}
		a, err := DecodeStorageAsk(toSign)
		if err != nil {
			return nil, fmt.Errorf("%w: not a storage ask: %w", ErrBadRequest, err)
		}
		if b, err := a.Serialize(); err != nil || !bytes.Equal(b, toSign) {
			return nil, fmt.Errorf("%w: the bytes are not the canonical CBOR of the storage ask they decode to", ErrBadRequest)
		}
		r.Ask = a
	case MTDealStatusRequest:
		// Never bare CID bytes: a message's CID looks exactly like a
		// proposal's, and signing it would sign the message.
		if len(toSign) != 16 {
			br := bytes.NewReader(toSign)
			if _, err := cbg.ReadCid(cbg.NewCborReader(br)); err != nil || br.Len() != 0 {
				return nil, fmt.Errorf("%w: a deal status request signs a 16-byte deal UUID or the CBOR of a proposal CID, got %d bytes that are neither", ErrBadRequest, len(toSign))
			}
		}
	case MTUnknown:
	default:
		return nil, fmt.Errorf("%w: unknown kind %q (want message, dealproposal, storageask, dealstatusrequest or unknown)", ErrBadRequest, meta.Type)
	}
	return r, nil
}

func sameOrEmpty(toSign, extra []byte) error {
	if len(extra) != 0 && !bytes.Equal(extra, toSign) {
		return fmt.Errorf("%w: meta.Extra differs from the bytes to sign", ErrBadRequest)
	}
	return nil
}

// StorageAsk is a provider's price list as the markets protocols carry it
// (go-fil-markets storagemarket.StorageAsk, which Boost keeps): a CBOR tuple
// [Price, VerifiedPrice, MinPieceSize, MaxPieceSize, Miner, Timestamp,
// Expiry, SeqNo], signed by the miner's worker key.
type StorageAsk struct {
	Price         big.TokenAmount // per GiB per epoch
	VerifiedPrice big.TokenAmount
	MinPieceSize  uint64
	MaxPieceSize  uint64
	Miner         address.Address
	Timestamp     int64
	Expiry        int64
	SeqNo         uint64
}

const storageAskFields = 8

// MarshalCBOR writes a as a CBOR tuple.
func (a *StorageAsk) MarshalCBOR(w io.Writer) error {
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajArray, storageAskFields); err != nil {
		return err
	}
	if err := a.Price.MarshalCBOR(cw); err != nil {
		return err
	}
	if err := a.VerifiedPrice.MarshalCBOR(cw); err != nil {
		return err
	}
	if err := cborx.WriteUint64(cw, a.MinPieceSize); err != nil {
		return err
	}
	if err := cborx.WriteUint64(cw, a.MaxPieceSize); err != nil {
		return err
	}
	if err := a.Miner.MarshalCBOR(cw); err != nil {
		return err
	}
	if err := cborx.WriteInt64(cw, a.Timestamp); err != nil {
		return err
	}
	if err := cborx.WriteInt64(cw, a.Expiry); err != nil {
		return err
	}
	return cborx.WriteUint64(cw, a.SeqNo)
}

// UnmarshalCBOR reads one CBOR storage ask.
func (a *StorageAsk) UnmarshalCBOR(r io.Reader) (err error) {
	*a = StorageAsk{}
	cr := cbg.NewCborReader(r)
	const what = "storage ask"
	if _, err := cborx.ReadTuple(cr, what, storageAskFields); err != nil {
		return err
	}
	if err := a.Price.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr(what, "Price", err)
	}
	if err := a.VerifiedPrice.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr(what, "VerifiedPrice", err)
	}
	if a.MinPieceSize, err = cborx.ReadUint64(cr); err != nil {
		return cborx.FieldErr(what, "MinPieceSize", err)
	}
	if a.MaxPieceSize, err = cborx.ReadUint64(cr); err != nil {
		return cborx.FieldErr(what, "MaxPieceSize", err)
	}
	if err := a.Miner.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr(what, "Miner", err)
	}
	if a.Timestamp, err = cborx.ReadInt64(cr); err != nil {
		return cborx.FieldErr(what, "Timestamp", err)
	}
	if a.Expiry, err = cborx.ReadInt64(cr); err != nil {
		return cborx.FieldErr(what, "Expiry", err)
	}
	if a.SeqNo, err = cborx.ReadUint64(cr); err != nil {
		return cborx.FieldErr(what, "SeqNo", err)
	}
	return nil
}

// DecodeStorageAsk decodes a CBOR storage ask that must fill all of b.
func DecodeStorageAsk(b []byte) (*StorageAsk, error) {
	var a StorageAsk
	if err := cborx.Decode("storage ask", b, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// Serialize returns a's CBOR bytes, which are what the worker key signs.
func (a *StorageAsk) Serialize() ([]byte, error) { return cborx.Encode(a) }
