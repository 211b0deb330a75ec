package actors

import (
	"io"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/proof"
)

// This file holds the power actor's CreateMiner and the init actor's Exec,
// which CreateMiner calls (research/actor-params.md §2).

var (
	_ cbg.CBORMarshaler   = (*CreateMinerParams)(nil)
	_ cbg.CBORUnmarshaler = (*CreateMinerParams)(nil)
	_ cbg.CBORMarshaler   = (*ExecParams)(nil)
	_ cbg.CBORUnmarshaler = (*ExecParams)(nil)
	_ cbg.CBORMarshaler   = (*ExecReturn)(nil)
	_ cbg.CBORUnmarshaler = (*ExecReturn)(nil)
)

// CreateMinerParams are the parameters of the power actor's CreateMiner
// (PowerCreateMiner); CBOR [Owner, Worker, WindowPoStProofType, Peer,
// Multiaddrs].
//
// The worker must resolve to an account actor with a BLS key and owner and
// worker must resolve at all (ExitIllegalArgument otherwise, raised by the
// miner constructor). WindowPoStProofType must be a V1_1 window proof enabled
// on the network: 32 and 64 GiB on mainnet and calibnet, 2 KiB and 8 MiB in
// the devnet bundle.
type CreateMinerParams struct {
	Owner               address.Address
	Worker              address.Address
	WindowPoStProofType proof.PoStProof
	Peer                []byte   // libp2p peer ID bytes; may be empty
	Multiaddrs          [][]byte // binary multiaddrs
}

// MarshalCBOR writes p as the 5-tuple; a nil pointer writes CBOR null.
func (p *CreateMinerParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "CreateMiner params")
	e.tuple(5)
	e.address("Owner", p.Owner)
	e.address("Worker", p.Worker)
	e.int(int64(p.WindowPoStProofType))
	e.bytes("Peer", p.Peer)
	e.byteList("Multiaddrs", p.Multiaddrs)
	return e.done()
}

// UnmarshalCBOR reads one CBOR CreateMiner params from r.
func (p *CreateMinerParams) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "CreateMiner params")
	d.tuple(5)
	v := CreateMinerParams{
		Owner:               d.address("Owner"),
		Worker:              d.address("Worker"),
		WindowPoStProofType: proof.PoStProof(d.int("WindowPoStProofType")),
		Peer:                d.bytes("Peer"),
		Multiaddrs:          d.byteList("Multiaddrs"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

// ExecParams are the parameters of the init actor's Exec (InitExec); CBOR
// [CodeCID, ConstructorParams]. The power actor sends one with the miner's
// code CID and the CBOR of a MinerConstructorParams.
type ExecParams struct {
	CodeCID           cid.Cid
	ConstructorParams []byte
}

// MarshalCBOR writes p as the 2-tuple; a nil pointer writes CBOR null.
func (p *ExecParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "Exec params")
	e.tuple(2)
	e.cid("CodeCID", p.CodeCID)
	e.bytes("ConstructorParams", p.ConstructorParams)
	return e.done()
}

// UnmarshalCBOR reads one CBOR Exec params from r.
func (p *ExecParams) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "Exec params")
	d.tuple(2)
	v := ExecParams{
		CodeCID:           d.cid("CodeCID"),
		ConstructorParams: d.bytes("ConstructorParams"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

// ExecReturn is the return of the init actor's Exec, and so of the power
// actor's CreateMiner; CBOR [IDAddress, RobustAddress]: the new actor's ID
// address (protocol 0) and its reorg-stable actor address (protocol 2).
type ExecReturn struct {
	IDAddress     address.Address
	RobustAddress address.Address
}

// CreateMinerReturn is the return of CreateMiner, which passes on init's
// ExecReturn.
type CreateMinerReturn = ExecReturn

// MarshalCBOR writes r as the 2-tuple; a nil pointer writes CBOR null.
func (r *ExecReturn) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, r == nil); isNull {
		return err
	}
	e := newEncoder(w, "Exec return")
	e.tuple(2)
	e.address("IDAddress", r.IDAddress)
	e.address("RobustAddress", r.RobustAddress)
	return e.done()
}

// UnmarshalCBOR reads one CBOR Exec (or CreateMiner) return from rd.
func (r *ExecReturn) UnmarshalCBOR(rd io.Reader) error {
	d := newDecoder(rd, "Exec return")
	d.tuple(2)
	v := ExecReturn{
		IDAddress:     d.address("IDAddress"),
		RobustAddress: d.address("RobustAddress"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*r = v
	return nil
}
