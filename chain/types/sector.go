package types

import (
	"fmt"
	"io"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/internal/cborx"
	"github.com/strata-sp/strata/proof"
)

// SectorOnChainInfo is a proven sector in miner state (go-state-types
// builtin/v19 miner.SectorOnChainInfo), the answer of StateSectorGetInfo
// and StateMinerSectors.
//
// JSON has every field but DeprecatedDealIDs; ExpectedDayReward,
// ExpectedStoragePledge, ReplacedDayReward and SectorKeyCID are null when
// unset. CBOR is the 16-tuple of all fields; decoding also reads the
// 15-tuple of sectors written before FIP-0100 (nv25), with DailyFee zero
// (research/actor-params.md §4).
type SectorOnChainInfo struct {
	SectorNumber uint64
	SealProof    proof.SealProof
	SealedCID    cid.Cid // CommR
	// DeprecatedDealIDs is always empty in current state; kept so that old
	// state round-trips. Lotus hides it from JSON.
	DeprecatedDealIDs     []uint64 `json:"-"`
	Activation            int64    // epoch the sector was activated
	Expiration            int64    // epoch the sector expires
	DealWeight            big.Int
	VerifiedDealWeight    big.Int
	InitialPledge         big.TokenAmount
	ExpectedDayReward     *big.TokenAmount
	ExpectedStoragePledge *big.TokenAmount
	PowerBaseEpoch        int64 // epoch the power (and rewards) are counted from
	ReplacedDayReward     *big.TokenAmount
	SectorKeyCID          *cid.Cid // CommR before the first replica update
	Flags                 SectorOnChainInfoFlags
	DailyFee              big.TokenAmount
}

// SectorOnChainInfoFlags are bit flags of a sector.
type SectorOnChainInfoFlags uint64

// SimpleQAPower marks a sector whose quality-adjusted power follows the
// simple (FIP-0045) rule.
const SimpleQAPower SectorOnChainInfoFlags = 1 << 0

var (
	_ cbg.CBORMarshaler   = (*SectorOnChainInfo)(nil)
	_ cbg.CBORUnmarshaler = (*SectorOnChainInfo)(nil)
	_ cbg.CBORMarshaler   = (*SectorPreCommitInfo)(nil)
	_ cbg.CBORUnmarshaler = (*SectorPreCommitInfo)(nil)
	_ cbg.CBORMarshaler   = (*SectorPreCommitOnChainInfo)(nil)
	_ cbg.CBORUnmarshaler = (*SectorPreCommitOnChainInfo)(nil)
)

// MarshalCBOR writes s as the 16-tuple; a nil pointer writes CBOR null.
func (s *SectorOnChainInfo) MarshalCBOR(w io.Writer) error {
	if s == nil {
		_, err := w.Write(cbg.CborNull)
		return err
	}
	const what = "sector on-chain info"
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajArray, 16); err != nil {
		return err
	}
	if err := cborx.WriteUint64(cw, s.SectorNumber); err != nil {
		return err
	}
	if err := cborx.WriteInt64(cw, int64(s.SealProof)); err != nil {
		return err
	}
	if err := cborx.WriteCID(cw, s.SealedCID); err != nil {
		return fmt.Errorf("%s: field SealedCID: %w", what, err)
	}
	if err := cborx.WriteUint64s(cw, s.DeprecatedDealIDs); err != nil {
		return fmt.Errorf("%s: field DeprecatedDealIDs: %w", what, err)
	}
	if err := cborx.WriteInt64(cw, s.Activation); err != nil {
		return err
	}
	if err := cborx.WriteInt64(cw, s.Expiration); err != nil {
		return err
	}
	if err := s.DealWeight.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("%s: field DealWeight: %w", what, err)
	}
	if err := s.VerifiedDealWeight.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("%s: field VerifiedDealWeight: %w", what, err)
	}
	if err := s.InitialPledge.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("%s: field InitialPledge: %w", what, err)
	}
	if err := writeOptionalAmount(cw, s.ExpectedDayReward); err != nil {
		return fmt.Errorf("%s: field ExpectedDayReward: %w", what, err)
	}
	if err := writeOptionalAmount(cw, s.ExpectedStoragePledge); err != nil {
		return fmt.Errorf("%s: field ExpectedStoragePledge: %w", what, err)
	}
	if err := cborx.WriteInt64(cw, s.PowerBaseEpoch); err != nil {
		return err
	}
	if err := writeOptionalAmount(cw, s.ReplacedDayReward); err != nil {
		return fmt.Errorf("%s: field ReplacedDayReward: %w", what, err)
	}
	if err := cborx.WriteOptionalCID(cw, s.SectorKeyCID); err != nil {
		return fmt.Errorf("%s: field SectorKeyCID: %w", what, err)
	}
	if err := cborx.WriteUint64(cw, uint64(s.Flags)); err != nil {
		return err
	}
	if err := s.DailyFee.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("%s: field DailyFee: %w", what, err)
	}
	return nil
}

// UnmarshalCBOR reads one CBOR sector of 15 or 16 fields from r.
func (s *SectorOnChainInfo) UnmarshalCBOR(r io.Reader) (err error) {
	const what = "sector on-chain info"
	*s = SectorOnChainInfo{}
	cr := cbg.NewCborReader(r)
	n, err := cborx.ReadTuple(cr, what, 15, 16)
	if err != nil {
		return err
	}
	if s.SectorNumber, err = cborx.ReadUint64(cr); err != nil {
		return cborx.FieldErr(what, "SectorNumber", err)
	}
	p, err := cborx.ReadInt64(cr)
	if err != nil {
		return cborx.FieldErr(what, "SealProof", err)
	}
	s.SealProof = proof.SealProof(p)
	if s.SealedCID, err = cborx.ReadCID(cr); err != nil {
		return cborx.FieldErr(what, "SealedCID", err)
	}
	if s.DeprecatedDealIDs, err = cborx.ReadUint64s(cr); err != nil {
		return cborx.FieldErr(what, "DeprecatedDealIDs", err)
	}
	if s.Activation, err = cborx.ReadInt64(cr); err != nil {
		return cborx.FieldErr(what, "Activation", err)
	}
	if s.Expiration, err = cborx.ReadInt64(cr); err != nil {
		return cborx.FieldErr(what, "Expiration", err)
	}
	if err := s.DealWeight.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr(what, "DealWeight", err)
	}
	if err := s.VerifiedDealWeight.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr(what, "VerifiedDealWeight", err)
	}
	if err := s.InitialPledge.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr(what, "InitialPledge", err)
	}
	if s.ExpectedDayReward, err = readOptional[big.TokenAmount](cr); err != nil {
		return cborx.FieldErr(what, "ExpectedDayReward", err)
	}
	if s.ExpectedStoragePledge, err = readOptional[big.TokenAmount](cr); err != nil {
		return cborx.FieldErr(what, "ExpectedStoragePledge", err)
	}
	if s.PowerBaseEpoch, err = cborx.ReadInt64(cr); err != nil {
		return cborx.FieldErr(what, "PowerBaseEpoch", err)
	}
	if s.ReplacedDayReward, err = readOptional[big.TokenAmount](cr); err != nil {
		return cborx.FieldErr(what, "ReplacedDayReward", err)
	}
	if s.SectorKeyCID, err = cborx.ReadOptionalCID(cr); err != nil {
		return cborx.FieldErr(what, "SectorKeyCID", err)
	}
	f, err := cborx.ReadUint64(cr)
	if err != nil {
		return cborx.FieldErr(what, "Flags", err)
	}
	s.Flags = SectorOnChainInfoFlags(f)
	if n == 16 {
		if err := s.DailyFee.UnmarshalCBOR(cr); err != nil {
			return cborx.FieldErr(what, "DailyFee", err)
		}
	}
	return nil
}

// DecodeSectorOnChainInfo decodes a CBOR sector that must fill all of b.
func DecodeSectorOnChainInfo(b []byte) (*SectorOnChainInfo, error) {
	var s SectorOnChainInfo
	if err := cborx.Decode("sector on-chain info", b, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Serialize returns s's CBOR bytes.
func (s *SectorOnChainInfo) Serialize() ([]byte, error) { return cborx.Encode(s) }

// SectorPreCommitInfo is what a miner pre-commits for one sector
// (go-state-types miner.SectorPreCommitInfo), as sent in
// PreCommitSectorBatch2 and StateMinerInitialPledgeCollateral. CBOR is the
// 7-tuple of its fields; UnsealedCid nil (CBOR and JSON null) means a CC
// sector's zero-data CommD.
type SectorPreCommitInfo struct {
	SealProof     proof.SealProof
	SectorNumber  uint64
	SealedCID     cid.Cid // CommR
	SealRandEpoch int64   // epoch of the sealing ticket
	// DealIDs must be empty since ProveCommitSectors3 (deals are activated
	// through piece manifests); JSON null when empty.
	DealIDs     []uint64
	Expiration  int64
	UnsealedCid *cid.Cid // CommD
}

// MarshalCBOR writes p as the 7-tuple; a nil pointer writes CBOR null.
func (p *SectorPreCommitInfo) MarshalCBOR(w io.Writer) error {
	if p == nil {
		_, err := w.Write(cbg.CborNull)
		return err
	}
	const what = "sector pre-commit info"
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajArray, 7); err != nil {
		return err
	}
	if err := cborx.WriteInt64(cw, int64(p.SealProof)); err != nil {
		return err
	}
	if err := cborx.WriteUint64(cw, p.SectorNumber); err != nil {
		return err
	}
	if err := cborx.WriteCID(cw, p.SealedCID); err != nil {
		return fmt.Errorf("%s: field SealedCID: %w", what, err)
	}
	if err := cborx.WriteInt64(cw, p.SealRandEpoch); err != nil {
		return err
	}
	if err := cborx.WriteUint64s(cw, p.DealIDs); err != nil {
		return fmt.Errorf("%s: field DealIDs: %w", what, err)
	}
	if err := cborx.WriteInt64(cw, p.Expiration); err != nil {
		return err
	}
	if err := cborx.WriteOptionalCID(cw, p.UnsealedCid); err != nil {
		return fmt.Errorf("%s: field UnsealedCid: %w", what, err)
	}
	return nil
}

// UnmarshalCBOR reads one CBOR pre-commit info from r.
func (p *SectorPreCommitInfo) UnmarshalCBOR(r io.Reader) (err error) {
	const what = "sector pre-commit info"
	*p = SectorPreCommitInfo{}
	cr := cbg.NewCborReader(r)
	if _, err := cborx.ReadTuple(cr, what, 7); err != nil {
		return err
	}
	sp, err := cborx.ReadInt64(cr)
	if err != nil {
		return cborx.FieldErr(what, "SealProof", err)
	}
	p.SealProof = proof.SealProof(sp)
	if p.SectorNumber, err = cborx.ReadUint64(cr); err != nil {
		return cborx.FieldErr(what, "SectorNumber", err)
	}
	if p.SealedCID, err = cborx.ReadCID(cr); err != nil {
		return cborx.FieldErr(what, "SealedCID", err)
	}
	if p.SealRandEpoch, err = cborx.ReadInt64(cr); err != nil {
		return cborx.FieldErr(what, "SealRandEpoch", err)
	}
	if p.DealIDs, err = cborx.ReadUint64s(cr); err != nil {
		return cborx.FieldErr(what, "DealIDs", err)
	}
	if p.Expiration, err = cborx.ReadInt64(cr); err != nil {
		return cborx.FieldErr(what, "Expiration", err)
	}
	if p.UnsealedCid, err = cborx.ReadOptionalCID(cr); err != nil {
		return cborx.FieldErr(what, "UnsealedCid", err)
	}
	return nil
}

// DecodeSectorPreCommitInfo decodes a CBOR pre-commit info that must fill
// all of b.
func DecodeSectorPreCommitInfo(b []byte) (*SectorPreCommitInfo, error) {
	var p SectorPreCommitInfo
	if err := cborx.Decode("sector pre-commit info", b, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Serialize returns p's CBOR bytes.
func (p *SectorPreCommitInfo) Serialize() ([]byte, error) { return cborx.Encode(p) }

// SectorPreCommitOnChainInfo is a pre-committed sector in miner state
// (go-state-types miner.SectorPreCommitOnChainInfo), the answer of
// StateSectorPreCommitInfo (null when the sector is not pre-committed).
// CBOR [Info, PreCommitDeposit, PreCommitEpoch].
type SectorPreCommitOnChainInfo struct {
	Info             SectorPreCommitInfo
	PreCommitDeposit big.TokenAmount
	PreCommitEpoch   int64
}

// MarshalCBOR writes p as the 3-tuple; a nil pointer writes CBOR null.
func (p *SectorPreCommitOnChainInfo) MarshalCBOR(w io.Writer) error {
	if p == nil {
		_, err := w.Write(cbg.CborNull)
		return err
	}
	const what = "sector pre-commit on-chain info"
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajArray, 3); err != nil {
		return err
	}
	if err := p.Info.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("%s: field Info: %w", what, err)
	}
	if err := p.PreCommitDeposit.MarshalCBOR(cw); err != nil {
		return fmt.Errorf("%s: field PreCommitDeposit: %w", what, err)
	}
	return cborx.WriteInt64(cw, p.PreCommitEpoch)
}

// UnmarshalCBOR reads one CBOR pre-commit on-chain info from r.
func (p *SectorPreCommitOnChainInfo) UnmarshalCBOR(r io.Reader) (err error) {
	const what = "sector pre-commit on-chain info"
	*p = SectorPreCommitOnChainInfo{}
	cr := cbg.NewCborReader(r)
	if _, err := cborx.ReadTuple(cr, what, 3); err != nil {
		return err
	}
	if err := p.Info.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr(what, "Info", err)
	}
	if err := p.PreCommitDeposit.UnmarshalCBOR(cr); err != nil {
		return cborx.FieldErr(what, "PreCommitDeposit", err)
	}
	if p.PreCommitEpoch, err = cborx.ReadInt64(cr); err != nil {
		return cborx.FieldErr(what, "PreCommitEpoch", err)
	}
	return nil
}

// DecodeSectorPreCommitOnChainInfo decodes a CBOR pre-commit on-chain info
// that must fill all of b.
func DecodeSectorPreCommitOnChainInfo(b []byte) (*SectorPreCommitOnChainInfo, error) {
	var p SectorPreCommitOnChainInfo
	if err := cborx.Decode("sector pre-commit on-chain info", b, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Serialize returns p's CBOR bytes.
func (p *SectorPreCommitOnChainInfo) Serialize() ([]byte, error) { return cborx.Encode(p) }

// writeOptionalAmount writes an optional big integer: CBOR null when nil.
func writeOptionalAmount(cw *cbg.CborWriter, a *big.TokenAmount) error {
	if a == nil {
		_, err := cw.Write(cbg.CborNull)
		return err
	}
	return a.MarshalCBOR(cw)
}
