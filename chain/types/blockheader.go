package types

import (
	"bytes"
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"
	"golang.org/x/crypto/blake2b"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/sig"
	ftypes "github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/internal/cborx"
	"github.com/strata-sp/strata/proof"
)

// MaxBlockHeaderSize is the largest CBOR block header DecodeBlockHeader
// accepts: 1 MiB, libp2p pubsub's default message size limit, which every
// gossiped block (header plus message CIDs) must fit. Real headers are about
// 1 KiB; beacon entries after a long chain halt are what grows them.
const MaxBlockHeaderSize = 1 << 20

// BlockHeader is a Filecoin block header (lotus chain/types.BlockHeader).
// Its CBOR is the 16-element array of its fields in order, and its CID is
// the dag-cbor, blake2b-256 CIDv1 of that CBOR.
//
// Ticket, ElectionProof, BLSAggregate and BlockSig may be nil (JSON null,
// CBOR null), as in a genesis block.
type BlockHeader struct {
	Miner         address.Address
	Ticket        *Ticket
	ElectionProof *ElectionProof
	// BeaconEntries are the drand entries since the parent's last one; the
	// same for every block of a tipset.
	BeaconEntries []BeaconEntry
	WinPoStProof  []PoStProof
	// Parents is the parent tipset's key as CIDs, in block order.
	Parents []cid.Cid
	// ParentWeight is the chain weight up to and including the parents.
	ParentWeight big.Int
	Height       int64 // epoch
	// ParentStateRoot, ParentMessageReceipts and ParentBaseFee are the
	// results of executing the parent tipset.
	ParentStateRoot       cid.Cid
	ParentMessageReceipts cid.Cid
	// Messages is the CID of the block's MsgMeta (BLS and secp message AMTs).
	Messages cid.Cid
	// BLSAggregate aggregates the signatures of the block's BLS messages.
	BLSAggregate *sig.Signature
	Timestamp    uint64 // unix seconds
	// BlockSig is the miner worker's signature over SigningBytes.
	BlockSig      *sig.Signature
	ForkSignaling uint64
	ParentBaseFee big.TokenAmount
}

// Ticket is a block's VRF ticket (lotus chain/types.Ticket); CBOR
// [VRFProof], JSON {"VRFProof":base64}.
type Ticket struct {
	VRFProof []byte
}

// Equals reports whether t and o carry the same proof.
func (t *Ticket) Equals(o *Ticket) bool { return bytes.Equal(t.VRFProof, o.VRFProof) }

// Less orders tickets as Lotus orders a tipset's blocks: by the blake2b-256
// digest of the VRF proof, compared as bytes.
func (t *Ticket) Less(o *Ticket) bool {
	a := blake2b.Sum256(t.VRFProof)
	b := blake2b.Sum256(o.VRFProof)
	return bytes.Compare(a[:], b[:]) < 0
}

// ElectionProof proves a block's miner won the election (lotus
// chain/types.ElectionProof); CBOR [WinCount, VRFProof].
type ElectionProof struct {
	WinCount int64
	VRFProof []byte
}

// BeaconEntry is one drand round (lotus chain/types.BeaconEntry); CBOR
// [Round, Data].
type BeaconEntry struct {
	Round uint64
	Data  []byte
}

// PoStProof is a proof of spacetime with its registered proof type
// (go-state-types proof.PoStProof); CBOR [PoStProof, ProofBytes]. Blocks
// carry winning PoSts; SubmitWindowedPoSt carries a window PoSt.
type PoStProof struct {
	PoStProof  proof.PoStProof
	ProofBytes []byte
}

const blockHeaderFields = 16

var (
	_ cbg.CBORMarshaler   = (*BlockHeader)(nil)
	_ cbg.CBORUnmarshaler = (*BlockHeader)(nil)
	_ cbg.CBORMarshaler   = (*Ticket)(nil)
	_ cbg.CBORUnmarshaler = (*Ticket)(nil)
	_ cbg.CBORMarshaler   = (*ElectionProof)(nil)
	_ cbg.CBORUnmarshaler = (*ElectionProof)(nil)
	_ cbg.CBORMarshaler   = (*BeaconEntry)(nil)
	_ cbg.CBORUnmarshaler = (*BeaconEntry)(nil)
	_ cbg.CBORMarshaler   = (*PoStProof)(nil)
	_ cbg.CBORUnmarshaler = (*PoStProof)(nil)
)

// MarshalCBOR writes h as the CBOR tuple Lotus hashes for the block CID.
// A nil *BlockHeader writes CBOR null. Undefined CIDs and Undef Miner are
// errors: the chain has no encoding for them.
func (h *BlockHeader) MarshalCBOR(w io.Writer) error {
	if h == nil {
		_, err := w.Write(cbg.CborNull)
		return err
	}
	const what = "block header"
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajArray, blockHeaderFields); err != nil {
		return err
	}
	if err := h.Miner.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("%s: field Miner: %w", what, err)
	}
	if err := h.Ticket.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("%s: field Ticket: %w", what, err)
	}
	if err := h.ElectionProof.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("%s: field ElectionProof: %w", what, err)
	}
	if err := cborx.WriteArrayHeader(cw, len(h.BeaconEntries)); err != nil {
		return fmt.Errorf("%s: field BeaconEntries: %w", what, err)
	}
	for i := range h.BeaconEntries {
		if err := h.BeaconEntries[i].MarshalCBOR(cw); err != nil {
			return fmt.Errorf("%s: field BeaconEntries: item %d: %w", what, i, err)
		}
	}
	if err := cborx.WriteArrayHeader(cw, len(h.WinPoStProof)); err != nil {
		return fmt.Errorf("%s: field WinPoStProof: %w", what, err)
	}
	for i := range h.WinPoStProof {
		if err := h.WinPoStProof[i].MarshalCBOR(cw); err != nil {
			return fmt.Errorf("%s: field WinPoStProof: item %d: %w", what, i, err)
		}
	}
	if err := writeCIDs(cw, h.Parents); err != nil {
		return fmt.Errorf("%s: field Parents: %w", what, err)
	}
	if err := h.ParentWeight.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("%s: field ParentWeight: %w", what, err)
	}
	if err := cborx.WriteInt64(cw, h.Height); err != nil {
		return err
	}
	if err := cborx.WriteCID(cw, h.ParentStateRoot); err != nil {
		return fmt.Errorf("%s: field ParentStateRoot: %w", what, err)
	}
	if err := cborx.WriteCID(cw, h.ParentMessageReceipts); err != nil {
		return fmt.Errorf("%s: field ParentMessageReceipts: %w", what, err)
	}
	if err := cborx.WriteCID(cw, h.Messages); err != nil {
		return fmt.Errorf("%s: field Messages: %w", what, err)
	}
	if err := h.BLSAggregate.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("%s: field BLSAggregate: %w", what, err)
	}
	if err := cborx.WriteUint64(cw, h.Timestamp); err != nil {
		return err
	}
	if err := h.BlockSig.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("%s: field BlockSig: %w", what, err)
	}
	if err := cborx.WriteUint64(cw, h.ForkSignaling); err != nil {
		return err
	}
	if err := h.ParentBaseFee.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("%s: field ParentBaseFee: %w", what, err)
	}
	return nil
}

// UnmarshalCBOR reads one CBOR block header from r, with cbor-gen's limits
// (8192 items per array, 2 MiB per byte string). It does not bound the
// whole header; DecodeBlockHeader does.
func (h *BlockHeader) UnmarshalCBOR(r io.Reader) (err error) {
	const what = "block header"
	*h = BlockHeader{}
	cr := cbg.NewCborReader(r)
	if _, err := cborx.ReadTuple(cr, what, blockHeaderFields); err != nil {
		return err
	}
	if err := h.Miner.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr(what, "Miner", err)
	}
	if h.Ticket, err = readOptional[Ticket](cr); err != nil {
		return cborx.FieldErr(what, "Ticket", err)
	}
	if h.ElectionProof, err = readOptional[ElectionProof](cr); err != nil {
		return cborx.FieldErr(what, "ElectionProof", err)
	}
	if h.BeaconEntries, err = readTuples[BeaconEntry](cr); err != nil {
		return cborx.FieldErr(what, "BeaconEntries", err)
	}
	if h.WinPoStProof, err = readTuples[PoStProof](cr); err != nil {
		return cborx.FieldErr(what, "WinPoStProof", err)
	}
	if h.Parents, err = readCIDs(cr); err != nil {
		return cborx.FieldErr(what, "Parents", err)
	}
	if err := h.ParentWeight.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr(what, "ParentWeight", err)
	}
	if h.Height, err = cborx.ReadInt64(cr); err != nil {
		return cborx.FieldErr(what, "Height", err)
	}
	if h.ParentStateRoot, err = cborx.ReadCID(cr); err != nil {
		return cborx.FieldErr(what, "ParentStateRoot", err)
	}
	if h.ParentMessageReceipts, err = cborx.ReadCID(cr); err != nil {
		return cborx.FieldErr(what, "ParentMessageReceipts", err)
	}
	if h.Messages, err = cborx.ReadCID(cr); err != nil {
		return cborx.FieldErr(what, "Messages", err)
	}
	if h.BLSAggregate, err = readOptional[sig.Signature](cr); err != nil {
		return cborx.FieldErr(what, "BLSAggregate", err)
	}
	if h.Timestamp, err = cborx.ReadUint64(cr); err != nil {
		return cborx.FieldErr(what, "Timestamp", err)
	}
	if h.BlockSig, err = readOptional[sig.Signature](cr); err != nil {
		return cborx.FieldErr(what, "BlockSig", err)
	}
	if h.ForkSignaling, err = cborx.ReadUint64(cr); err != nil {
		return cborx.FieldErr(what, "ForkSignaling", err)
	}
	if err := h.ParentBaseFee.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr(what, "ParentBaseFee", err)
	}
	return nil
}

// DecodeBlockHeader decodes a CBOR block header that must fill all of b,
// refusing inputs over MaxBlockHeaderSize before reading them.
func DecodeBlockHeader(b []byte) (*BlockHeader, error) {
	if len(b) > MaxBlockHeaderSize {
		return nil, fmt.Errorf("block header: %w: %d bytes, max %d", ErrTooLarge, len(b), MaxBlockHeaderSize)
	}
	var h BlockHeader
	if err := cborx.Decode("block header", b, &h); err != nil {
		return nil, err
	}
	return &h, nil
}

// Serialize returns h's CBOR bytes.
func (h *BlockHeader) Serialize() ([]byte, error) { return cborx.Encode(h) }

// Cid returns the block's CID: the dag-cbor, blake2b-256 CIDv1 of its CBOR.
func (h *BlockHeader) Cid() (cid.Cid, error) {
	b, err := h.Serialize()
	if err != nil {
		return cid.Undef, err
	}
	return ftypes.CID(b), nil
}

// SigningBytes returns what the miner's worker key signs into BlockSig: the
// header's CBOR with BlockSig set to null (lotus BlockHeader.SigningBytes).
func (h *BlockHeader) SigningBytes() ([]byte, error) {
	c := *h
	c.BlockSig = nil
	return c.Serialize()
}

// MarshalCBOR writes t as [VRFProof]; a nil *Ticket writes CBOR null.
func (t *Ticket) MarshalCBOR(w io.Writer) error {
	if t == nil {
		_, err := w.Write(cbg.CborNull)
		return err
	}
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajArray, 1); err != nil {
		return err
	}
	if err := cborx.WriteBytes(cw, t.VRFProof); err != nil {
		return fmt.Errorf("ticket: field VRFProof: %w", err)
	}
	return nil
}

// UnmarshalCBOR reads one CBOR ticket from r.
func (t *Ticket) UnmarshalCBOR(r io.Reader) (err error) {
	*t = Ticket{}
	cr := cbg.NewCborReader(r)
	if _, err := cborx.ReadTuple(cr, "ticket", 1); err != nil {
		return err
	}
	if t.VRFProof, err = cborx.ReadBytes(cr, cborx.MaxBytes); err != nil {
		return cborx.FieldErr("ticket", "VRFProof", err)
	}
	return nil
}

// MarshalCBOR writes p as [WinCount, VRFProof]; a nil *ElectionProof writes
// CBOR null.
func (p *ElectionProof) MarshalCBOR(w io.Writer) error {
	if p == nil {
		_, err := w.Write(cbg.CborNull)
		return err
	}
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajArray, 2); err != nil {
		return err
	}
	if err := cborx.WriteInt64(cw, p.WinCount); err != nil {
		return err
	}
	if err := cborx.WriteBytes(cw, p.VRFProof); err != nil {
		return fmt.Errorf("election proof: field VRFProof: %w", err)
	}
	return nil
}

// UnmarshalCBOR reads one CBOR election proof from r.
func (p *ElectionProof) UnmarshalCBOR(r io.Reader) (err error) {
	const what = "election proof"
	*p = ElectionProof{}
	cr := cbg.NewCborReader(r)
	if _, err := cborx.ReadTuple(cr, what, 2); err != nil {
		return err
	}
	if p.WinCount, err = cborx.ReadInt64(cr); err != nil {
		return cborx.FieldErr(what, "WinCount", err)
	}
	if p.VRFProof, err = cborx.ReadBytes(cr, cborx.MaxBytes); err != nil {
		return cborx.FieldErr(what, "VRFProof", err)
	}
	return nil
}

// MarshalCBOR writes e as [Round, Data].
func (e *BeaconEntry) MarshalCBOR(w io.Writer) error {
	if e == nil {
		_, err := w.Write(cbg.CborNull)
		return err
	}
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajArray, 2); err != nil {
		return err
	}
	if err := cborx.WriteUint64(cw, e.Round); err != nil {
		return err
	}
	if err := cborx.WriteBytes(cw, e.Data); err != nil {
		return fmt.Errorf("beacon entry: field Data: %w", err)
	}
	return nil
}

// UnmarshalCBOR reads one CBOR beacon entry from r.
func (e *BeaconEntry) UnmarshalCBOR(r io.Reader) (err error) {
	const what = "beacon entry"
	*e = BeaconEntry{}
	cr := cbg.NewCborReader(r)
	if _, err := cborx.ReadTuple(cr, what, 2); err != nil {
		return err
	}
	if e.Round, err = cborx.ReadUint64(cr); err != nil {
		return cborx.FieldErr(what, "Round", err)
	}
	if e.Data, err = cborx.ReadBytes(cr, cborx.MaxBytes); err != nil {
		return cborx.FieldErr(what, "Data", err)
	}
	return nil
}

// MarshalCBOR writes p as [PoStProof, ProofBytes].
func (p *PoStProof) MarshalCBOR(w io.Writer) error {
	if p == nil {
		_, err := w.Write(cbg.CborNull)
		return err
	}
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajArray, 2); err != nil {
		return err
	}
	if err := cborx.WriteInt64(cw, int64(p.PoStProof)); err != nil {
		return err
	}
	if err := cborx.WriteBytes(cw, p.ProofBytes); err != nil {
		return fmt.Errorf("PoSt proof: field ProofBytes: %w", err)
	}
	return nil
}

// UnmarshalCBOR reads one CBOR PoSt proof from r.
func (p *PoStProof) UnmarshalCBOR(r io.Reader) error {
	const what = "PoSt proof"
	*p = PoStProof{}
	cr := cbg.NewCborReader(r)
	if _, err := cborx.ReadTuple(cr, what, 2); err != nil {
		return err
	}
	t, err := cborx.ReadInt64(cr)
	if err != nil {
		return cborx.FieldErr(what, "PoStProof", err)
	}
	p.PoStProof = proof.PoStProof(t)
	if p.ProofBytes, err = cborx.ReadBytes(cr, cborx.MaxBytes); err != nil {
		return cborx.FieldErr(what, "ProofBytes", err)
	}
	return nil
}

// unmarshaler is a pointer to T that decodes itself from CBOR.
type unmarshaler[T any] interface {
	*T
	cbg.CBORUnmarshaler
}

// readOptional reads an optional (pointer) field: CBOR null gives nil.
func readOptional[T any, P unmarshaler[T]](cr *cbg.CborReader) (*T, error) {
	if null, err := cborx.ReadNull(cr); err != nil || null {
		return nil, err
	}
	v := new(T)
	if err := P(v).UnmarshalCBOR(cr); err != nil {
		return nil, err
	}
	return v, nil
}

// readTuples reads an array of at most 8192 structs; an empty array reads as
// nil, as cbor-gen does.
func readTuples[T any, P unmarshaler[T]](cr *cbg.CborReader) ([]T, error) {
	n, err := cborx.ReadArrayHeader(cr)
	if err != nil || n == 0 {
		return nil, err
	}
	out := make([]T, n)
	for i := range out {
		if err := P(&out[i]).UnmarshalCBOR(cr); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("item %d: %w", i, err)
		}
	}
	return out, nil
}
