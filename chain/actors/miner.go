package actors

import (
	"fmt"
	"io"
	"math"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
	"github.com/strata-sp/strata/proof"
)

// This file holds the miner actor's message parameters and returns
// (research/actor-params.md §3). Callers that are not the owner, worker or a
// control address as a method requires get ExitForbidden; bad input
// ExitIllegalArgument; deposit and pledge shortfalls ExitInsufficientFunds.

var (
	_ cbg.CBORMarshaler   = (*MinerConstructorParams)(nil)
	_ cbg.CBORUnmarshaler = (*MinerConstructorParams)(nil)
	_ cbg.CBORMarshaler   = (*ControlAddressesReturn)(nil)
	_ cbg.CBORUnmarshaler = (*ControlAddressesReturn)(nil)
	_ cbg.CBORMarshaler   = (*ChangeWorkerAddressParams)(nil)
	_ cbg.CBORUnmarshaler = (*ChangeWorkerAddressParams)(nil)
	_ cbg.CBORMarshaler   = (*ChangePeerIDParams)(nil)
	_ cbg.CBORUnmarshaler = (*ChangePeerIDParams)(nil)
	_ cbg.CBORMarshaler   = (*ChangeMultiaddrsParams)(nil)
	_ cbg.CBORUnmarshaler = (*ChangeMultiaddrsParams)(nil)
	_ cbg.CBORMarshaler   = (*ChangeOwnerAddressParams)(nil)
	_ cbg.CBORUnmarshaler = (*ChangeOwnerAddressParams)(nil)
	_ cbg.CBORMarshaler   = (*SubmitWindowedPoStParams)(nil)
	_ cbg.CBORUnmarshaler = (*SubmitWindowedPoStParams)(nil)
	_ cbg.CBORMarshaler   = (*PoStPartition)(nil)
	_ cbg.CBORUnmarshaler = (*PoStPartition)(nil)
	_ cbg.CBORMarshaler   = (*FaultDeclaration)(nil)
	_ cbg.CBORUnmarshaler = (*FaultDeclaration)(nil)
	_ cbg.CBORMarshaler   = (*DeclareFaultsParams)(nil)
	_ cbg.CBORUnmarshaler = (*DeclareFaultsParams)(nil)
	_ cbg.CBORMarshaler   = (*DeclareFaultsRecoveredParams)(nil)
	_ cbg.CBORUnmarshaler = (*DeclareFaultsRecoveredParams)(nil)
	_ cbg.CBORMarshaler   = (*TerminateSectorsParams)(nil)
	_ cbg.CBORUnmarshaler = (*TerminateSectorsParams)(nil)
	_ cbg.CBORMarshaler   = (*TerminateSectorsReturn)(nil)
	_ cbg.CBORUnmarshaler = (*TerminateSectorsReturn)(nil)
	_ cbg.CBORMarshaler   = (*PreCommitSectorBatch2Params)(nil)
	_ cbg.CBORUnmarshaler = (*PreCommitSectorBatch2Params)(nil)
	_ cbg.CBORMarshaler   = (*ProveCommitSectors3Params)(nil)
	_ cbg.CBORUnmarshaler = (*ProveCommitSectors3Params)(nil)
	_ cbg.CBORMarshaler   = (*SectorActivationManifest)(nil)
	_ cbg.CBORUnmarshaler = (*SectorActivationManifest)(nil)
	_ cbg.CBORMarshaler   = (*PieceActivationManifest)(nil)
	_ cbg.CBORUnmarshaler = (*PieceActivationManifest)(nil)
	_ cbg.CBORMarshaler   = (*VerifiedAllocationKey)(nil)
	_ cbg.CBORUnmarshaler = (*VerifiedAllocationKey)(nil)
	_ cbg.CBORMarshaler   = (*DataActivationNotification)(nil)
	_ cbg.CBORUnmarshaler = (*DataActivationNotification)(nil)
	_ cbg.CBORMarshaler   = (*BatchReturn)(nil)
	_ cbg.CBORUnmarshaler = (*BatchReturn)(nil)
	_ cbg.CBORMarshaler   = (*FailCode)(nil)
	_ cbg.CBORUnmarshaler = (*FailCode)(nil)
	_ cbg.CBORMarshaler   = (*ProveReplicaUpdates3Params)(nil)
	_ cbg.CBORUnmarshaler = (*ProveReplicaUpdates3Params)(nil)
	_ cbg.CBORMarshaler   = (*SectorUpdateManifest)(nil)
	_ cbg.CBORUnmarshaler = (*SectorUpdateManifest)(nil)
	_ cbg.CBORMarshaler   = (*ProveCommitSectorsNIParams)(nil)
	_ cbg.CBORUnmarshaler = (*ProveCommitSectorsNIParams)(nil)
	_ cbg.CBORMarshaler   = (*SectorNIActivationInfo)(nil)
	_ cbg.CBORUnmarshaler = (*SectorNIActivationInfo)(nil)
	_ cbg.CBORMarshaler   = (*ExtendSectorExpiration2Params)(nil)
	_ cbg.CBORUnmarshaler = (*ExtendSectorExpiration2Params)(nil)
	_ cbg.CBORMarshaler   = (*ExpirationExtension2)(nil)
	_ cbg.CBORUnmarshaler = (*ExpirationExtension2)(nil)
	_ cbg.CBORMarshaler   = (*SectorClaim)(nil)
	_ cbg.CBORUnmarshaler = (*SectorClaim)(nil)
	_ cbg.CBORMarshaler   = (*MinerWithdrawBalanceParams)(nil)
	_ cbg.CBORUnmarshaler = (*MinerWithdrawBalanceParams)(nil)
	_ cbg.CBORMarshaler   = (*WithdrawBalanceReturn)(nil)
	_ cbg.CBORUnmarshaler = (*WithdrawBalanceReturn)(nil)
	_ cbg.CBORMarshaler   = (*ChangeBeneficiaryParams)(nil)
	_ cbg.CBORUnmarshaler = (*ChangeBeneficiaryParams)(nil)
	_ cbg.CBORMarshaler   = (*GetBeneficiaryReturn)(nil)
	_ cbg.CBORUnmarshaler = (*GetBeneficiaryReturn)(nil)
	_ cbg.CBORMarshaler   = (*IsControllingAddressParams)(nil)
	_ cbg.CBORUnmarshaler = (*IsControllingAddressParams)(nil)
	_ cbg.CBORMarshaler   = (*IsControllingAddressReturn)(nil)
	_ cbg.CBORUnmarshaler = (*IsControllingAddressReturn)(nil)
	_ cbg.CBORMarshaler   = (*VestingFunds)(nil)
	_ cbg.CBORUnmarshaler = (*VestingFunds)(nil)
	_ cbg.CBORMarshaler   = (*VestingFund)(nil)
	_ cbg.CBORUnmarshaler = (*VestingFund)(nil)
	_ cbg.CBORMarshaler   = (*GetVestingFundsReturn)(nil)
	_ cbg.CBORUnmarshaler = (*GetVestingFundsReturn)(nil)
)

// AggregateProof is a registered aggregation proof type (go-state-types
// abi.RegisteredAggregationProof).
type AggregateProof int64

// The registered aggregation proofs. ProveCommitSectors3 and
// ProveReplicaUpdates3 accept only SnarkPackV2.
const (
	SnarkPackV1 AggregateProof = 0
	SnarkPackV2 AggregateProof = 1
)

// UpdateProof is a registered replica-update (SnapDeals) proof type
// (go-state-types abi.RegisteredUpdateProof), numbered by sector size.
type UpdateProof int64

// The registered update proofs.
const (
	UpdateProofStackedDrg2KiBV1   UpdateProof = 0
	UpdateProofStackedDrg8MiBV1   UpdateProof = 1
	UpdateProofStackedDrg512MiBV1 UpdateProof = 2
	UpdateProofStackedDrg32GiBV1  UpdateProof = 3
	UpdateProofStackedDrg64GiBV1  UpdateProof = 4
)

// MinerConstructorParams are what the power actor, through init's Exec,
// constructs a miner with (MinerConstructor); CBOR [OwnerAddr, WorkerAddr,
// ControlAddrs, WindowPoStProofType, PeerID, Multiaddrs].
type MinerConstructorParams struct {
	OwnerAddr           address.Address
	WorkerAddr          address.Address
	ControlAddrs        []address.Address
	WindowPoStProofType proof.PoStProof
	PeerID              []byte // libp2p peer ID bytes
	Multiaddrs          [][]byte
}

// MarshalCBOR writes p as the 6-tuple; a nil pointer writes CBOR null.
func (p *MinerConstructorParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "miner constructor params")
	e.tuple(6)
	e.address("OwnerAddr", p.OwnerAddr)
	e.address("WorkerAddr", p.WorkerAddr)
	e.addresses("ControlAddrs", p.ControlAddrs)
	e.int(int64(p.WindowPoStProofType))
	e.bytes("PeerID", p.PeerID)
	e.byteList("Multiaddrs", p.Multiaddrs)
	return e.done()
}

// UnmarshalCBOR reads one CBOR miner constructor params from r.
func (p *MinerConstructorParams) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "miner constructor params")
	d.tuple(6)
	v := MinerConstructorParams{
		OwnerAddr:           d.address("OwnerAddr"),
		WorkerAddr:          d.address("WorkerAddr"),
		ControlAddrs:        d.addresses("ControlAddrs"),
		WindowPoStProofType: proof.PoStProof(d.int("WindowPoStProofType")),
		PeerID:              d.bytes("PeerID"),
		Multiaddrs:          d.byteList("Multiaddrs"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

// ControlAddressesReturn is the return of MinerControlAddresses (Rust
// GetControlAddressesReturn); CBOR [Owner, Worker, ControlAddrs], all ID
// addresses.
type ControlAddressesReturn struct {
	Owner        address.Address
	Worker       address.Address
	ControlAddrs []address.Address
}

// MarshalCBOR writes r as the 3-tuple; a nil pointer writes CBOR null.
func (r *ControlAddressesReturn) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, r == nil); isNull {
		return err
	}
	e := newEncoder(w, "ControlAddresses return")
	e.tuple(3)
	e.address("Owner", r.Owner)
	e.address("Worker", r.Worker)
	e.addresses("ControlAddrs", r.ControlAddrs)
	return e.done()
}

// UnmarshalCBOR reads one CBOR ControlAddresses return from rd.
func (r *ControlAddressesReturn) UnmarshalCBOR(rd io.Reader) error {
	d := newDecoder(rd, "ControlAddresses return")
	d.tuple(3)
	v := ControlAddressesReturn{
		Owner:        d.address("Owner"),
		Worker:       d.address("Worker"),
		ControlAddrs: d.addresses("ControlAddrs"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*r = v
	return nil
}

// ChangeWorkerAddressParams are the parameters of MinerChangeWorkerAddress;
// CBOR [NewWorker, NewControlAddrs]. Only the owner may call it. The control
// list is replaced at once; a new worker (a BLS account) is queued and takes
// effect through MinerConfirmChangeWorkerAddress.
type ChangeWorkerAddressParams struct {
	NewWorker       address.Address
	NewControlAddrs []address.Address
}

// MarshalCBOR writes p as the 2-tuple; a nil pointer writes CBOR null.
func (p *ChangeWorkerAddressParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "ChangeWorkerAddress params")
	e.tuple(2)
	e.address("NewWorker", p.NewWorker)
	e.addresses("NewControlAddrs", p.NewControlAddrs)
	return e.done()
}

// UnmarshalCBOR reads one CBOR ChangeWorkerAddress params from r.
func (p *ChangeWorkerAddressParams) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "ChangeWorkerAddress params")
	d.tuple(2)
	v := ChangeWorkerAddressParams{
		NewWorker:       d.address("NewWorker"),
		NewControlAddrs: d.addresses("NewControlAddrs"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

// ChangePeerIDParams are the parameters of MinerChangePeerID; CBOR [NewID].
type ChangePeerIDParams struct {
	NewID []byte
}

// MarshalCBOR writes p as the 1-tuple; a nil pointer writes CBOR null.
func (p *ChangePeerIDParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "ChangePeerID params")
	e.tuple(1)
	e.bytes("NewID", p.NewID)
	return e.done()
}

// UnmarshalCBOR reads one CBOR ChangePeerID params from r.
func (p *ChangePeerIDParams) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "ChangePeerID params")
	d.tuple(1)
	v := ChangePeerIDParams{NewID: d.bytes("NewID")}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

// ChangeMultiaddrsParams are the parameters of MinerChangeMultiaddrs; CBOR
// [NewMultiaddrs].
type ChangeMultiaddrsParams struct {
	NewMultiaddrs [][]byte
}

// MarshalCBOR writes p as the 1-tuple; a nil pointer writes CBOR null.
func (p *ChangeMultiaddrsParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "ChangeMultiaddrs params")
	e.tuple(1)
	e.byteList("NewMultiaddrs", p.NewMultiaddrs)
	return e.done()
}

// UnmarshalCBOR reads one CBOR ChangeMultiaddrs params from r.
func (p *ChangeMultiaddrsParams) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "ChangeMultiaddrs params")
	d.tuple(1)
	v := ChangeMultiaddrsParams{NewMultiaddrs: d.byteList("NewMultiaddrs")}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

// ChangeOwnerAddressParams are the parameters of MinerChangeOwnerAddress. It
// is transparent: the CBOR is the bare address.
type ChangeOwnerAddressParams struct {
	NewOwner address.Address
}

// MarshalCBOR writes p as a bare address; a nil pointer writes CBOR null.
func (p *ChangeOwnerAddressParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "ChangeOwnerAddress params")
	e.address("", p.NewOwner)
	return e.done()
}

// UnmarshalCBOR reads one CBOR ChangeOwnerAddress params from r.
func (p *ChangeOwnerAddressParams) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "ChangeOwnerAddress params")
	v := ChangeOwnerAddressParams{NewOwner: d.address("")}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

// SubmitWindowedPoStParams are the parameters of MinerSubmitWindowedPoSt;
// CBOR [Deadline, Partitions, Proofs, ChainCommitEpoch, ChainCommitRand].
// The actor requires the currently open deadline, exactly one proof, of the
// miner's WindowPoStProofType, and a ChainCommitRand of at most 32 bytes
// equal to the chain randomness at ChainCommitEpoch (research/actor-params.md
// §3); encoding does not check those rules.
type SubmitWindowedPoStParams struct {
	Deadline         uint64
	Partitions       []PoStPartition
	Proofs           []types.PoStProof
	ChainCommitEpoch int64
	ChainCommitRand  []byte
}

// MarshalCBOR writes p as the 5-tuple; a nil pointer writes CBOR null.
func (p *SubmitWindowedPoStParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "SubmitWindowedPoSt params")
	e.tuple(5)
	e.uint(p.Deadline)
	encodeList(e, "Partitions", p.Partitions)
	encodeList(e, "Proofs", p.Proofs)
	e.int(p.ChainCommitEpoch)
	e.bytes("ChainCommitRand", p.ChainCommitRand)
	return e.done()
}

// UnmarshalCBOR reads one CBOR SubmitWindowedPoSt params from r.
func (p *SubmitWindowedPoStParams) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "SubmitWindowedPoSt params")
	d.tuple(5)
	v := SubmitWindowedPoStParams{
		Deadline:         d.uint("Deadline"),
		Partitions:       decodeList[PoStPartition](d, "Partitions"),
		Proofs:           decodeList[types.PoStProof](d, "Proofs"),
		ChainCommitEpoch: d.int("ChainCommitEpoch"),
		ChainCommitRand:  d.bytes("ChainCommitRand"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

// PoStPartition names a partition proven by a SubmitWindowedPoSt and the
// sectors skipped in it (declared faulty by the submission); CBOR [Index,
// Skipped].
type PoStPartition struct {
	Index   uint64
	Skipped bitfield.BitField
}

// MarshalCBOR writes p as [Index, Skipped]; a nil pointer writes CBOR null.
func (p *PoStPartition) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "PoSt partition")
	e.tuple(2)
	e.uint(p.Index)
	e.bitfield("Skipped", p.Skipped)
	return e.done()
}

// UnmarshalCBOR reads one CBOR PoSt partition from r.
func (p *PoStPartition) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "PoSt partition")
	d.tuple(2)
	v := PoStPartition{
		Index:   d.uint("Index"),
		Skipped: d.bitfield("Skipped"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

// FaultDeclaration names sectors of one partition; CBOR [Deadline,
// Partition, Sectors]. The actor refuses a fault or recovery declaration for
// a deadline past its fault cutoff (types.DeadlineInfo.FaultCutoffPassed),
// and a termination in the current or next deadline.
type FaultDeclaration struct {
	Deadline  uint64
	Partition uint64
	Sectors   bitfield.BitField
}

// RecoveryDeclaration has the shape and encoding of FaultDeclaration.
type RecoveryDeclaration = FaultDeclaration

// TerminationDeclaration has the shape and encoding of FaultDeclaration.
type TerminationDeclaration = FaultDeclaration

// MarshalCBOR writes d as [Deadline, Partition, Sectors]; a nil pointer
// writes CBOR null.
func (d *FaultDeclaration) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, d == nil); isNull {
		return err
	}
	e := newEncoder(w, "declaration")
	e.tuple(3)
	e.uint(d.Deadline)
	e.uint(d.Partition)
	e.bitfield("Sectors", d.Sectors)
	return e.done()
}

// UnmarshalCBOR reads one CBOR fault, recovery or termination declaration
// from r.
func (d *FaultDeclaration) UnmarshalCBOR(r io.Reader) error {
	dec := newDecoder(r, "declaration")
	dec.tuple(3)
	v := FaultDeclaration{
		Deadline:  dec.uint("Deadline"),
		Partition: dec.uint("Partition"),
		Sectors:   dec.bitfield("Sectors"),
	}
	if err := dec.done(); err != nil {
		return err
	}
	*d = v
	return nil
}

// DeclareFaultsParams are the parameters of MinerDeclareFaults; CBOR
// [Faults].
type DeclareFaultsParams struct {
	Faults []FaultDeclaration
}

// MarshalCBOR writes p as the 1-tuple; a nil pointer writes CBOR null.
func (p *DeclareFaultsParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	return marshalDeclarations(w, "DeclareFaults params", "Faults", p.Faults)
}

// UnmarshalCBOR reads one CBOR DeclareFaults params from r.
func (p *DeclareFaultsParams) UnmarshalCBOR(r io.Reader) error {
	ds, err := unmarshalDeclarations(r, "DeclareFaults params", "Faults")
	if err != nil {
		return err
	}
	*p = DeclareFaultsParams{Faults: ds}
	return nil
}

// DeclareFaultsRecoveredParams are the parameters of
// MinerDeclareFaultsRecovered; CBOR [Recoveries].
type DeclareFaultsRecoveredParams struct {
	Recoveries []RecoveryDeclaration
}

// MarshalCBOR writes p as the 1-tuple; a nil pointer writes CBOR null.
func (p *DeclareFaultsRecoveredParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	return marshalDeclarations(w, "DeclareFaultsRecovered params", "Recoveries", p.Recoveries)
}

// UnmarshalCBOR reads one CBOR DeclareFaultsRecovered params from r.
func (p *DeclareFaultsRecoveredParams) UnmarshalCBOR(r io.Reader) error {
	ds, err := unmarshalDeclarations(r, "DeclareFaultsRecovered params", "Recoveries")
	if err != nil {
		return err
	}
	*p = DeclareFaultsRecoveredParams{Recoveries: ds}
	return nil
}

// TerminateSectorsParams are the parameters of MinerTerminateSectors; CBOR
// [Terminations].
type TerminateSectorsParams struct {
	Terminations []TerminationDeclaration
}

// MarshalCBOR writes p as the 1-tuple; a nil pointer writes CBOR null.
func (p *TerminateSectorsParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	return marshalDeclarations(w, "TerminateSectors params", "Terminations", p.Terminations)
}

// UnmarshalCBOR reads one CBOR TerminateSectors params from r.
func (p *TerminateSectorsParams) UnmarshalCBOR(r io.Reader) error {
	ds, err := unmarshalDeclarations(r, "TerminateSectors params", "Terminations")
	if err != nil {
		return err
	}
	*p = TerminateSectorsParams{Terminations: ds}
	return nil
}

// marshalDeclarations writes the 1-tuple [[declaration…]].
func marshalDeclarations(w io.Writer, what, field string, ds []FaultDeclaration) error {
	e := newEncoder(w, what)
	e.tuple(1)
	encodeList(e, field, ds)
	return e.done()
}

// unmarshalDeclarations reads the 1-tuple [[declaration…]].
func unmarshalDeclarations(r io.Reader, what, field string) ([]FaultDeclaration, error) {
	d := newDecoder(r, what)
	d.tuple(1)
	ds := decodeList[FaultDeclaration](d, field)
	return ds, d.done()
}

// TerminateSectorsReturn is the return of MinerTerminateSectors; CBOR
// [Done]. Done is false when early-termination work was left for cron; the
// miner may call again with no sectors to continue it.
type TerminateSectorsReturn struct {
	Done bool
}

// MarshalCBOR writes r as the 1-tuple; a nil pointer writes CBOR null.
func (r *TerminateSectorsReturn) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, r == nil); isNull {
		return err
	}
	e := newEncoder(w, "TerminateSectors return")
	e.tuple(1)
	e.boolean(r.Done)
	return e.done()
}

// UnmarshalCBOR reads one CBOR TerminateSectors return from rd.
func (r *TerminateSectorsReturn) UnmarshalCBOR(rd io.Reader) error {
	d := newDecoder(rd, "TerminateSectors return")
	d.tuple(1)
	v := TerminateSectorsReturn{Done: d.boolean("Done")}
	if err := d.done(); err != nil {
		return err
	}
	*r = v
	return nil
}

// PreCommitSectorBatch2Params are the parameters of
// MinerPreCommitSectorBatch2; CBOR [Sectors]. Each sector's DealIDs must be
// empty (ProveCommitSectors3 refuses pre-commits with deals), SealedCID must
// carry the sealed-commitment prefix and UnsealedCid, when set, the unsealed
// one (ExitIllegalArgument otherwise); nil UnsealedCid means a CC sector.
type PreCommitSectorBatch2Params struct {
	Sectors []types.SectorPreCommitInfo
}

// MarshalCBOR writes p as the 1-tuple; a nil pointer writes CBOR null.
func (p *PreCommitSectorBatch2Params) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "PreCommitSectorBatch2 params")
	e.tuple(1)
	encodeList(e, "Sectors", p.Sectors)
	return e.done()
}

// UnmarshalCBOR reads one CBOR PreCommitSectorBatch2 params from r.
func (p *PreCommitSectorBatch2Params) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "PreCommitSectorBatch2 params")
	d.tuple(1)
	n := d.list("Sectors")
	var sectors []types.SectorPreCommitInfo
	for i := 0; i < n && d.err == nil; i++ {
		var s types.SectorPreCommitInfo
		d.exact(itemField("Sectors", i), &s)
		sectors = append(sectors, s)
	}
	if err := d.done(); err != nil {
		return err
	}
	*p = PreCommitSectorBatch2Params{Sectors: sectors}
	return nil
}

// ProveCommitSectors3Params are the parameters of MinerProveCommitSectors3;
// CBOR [SectorActivations, SectorProofs, AggregateProof, AggregateProofType,
// RequireActivationSuccess, RequireNotificationSuccess].
//
// Exactly one of SectorProofs (one seal proof per activation) and
// AggregateProof must be non-empty; AggregateProofType is nil with
// per-sector proofs and SnarkPackV2 with an aggregate. With
// RequireActivationSuccess any per-sector failure aborts the message
// (ExitIllegalArgument); with RequireNotificationSuccess a failed
// notification aborts it (ExitNotificationSendFailed …
// ExitNotificationRejected).
type ProveCommitSectors3Params struct {
	SectorActivations          []SectorActivationManifest
	SectorProofs               [][]byte
	AggregateProof             []byte
	AggregateProofType         *AggregateProof
	RequireActivationSuccess   bool
	RequireNotificationSuccess bool
}

// MarshalCBOR writes p as the 6-tuple; a nil pointer writes CBOR null.
func (p *ProveCommitSectors3Params) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "ProveCommitSectors3 params")
	e.tuple(6)
	encodeList(e, "SectorActivations", p.SectorActivations)
	e.byteList("SectorProofs", p.SectorProofs)
	e.bytes("AggregateProof", p.AggregateProof)
	e.optAggregateProof(p.AggregateProofType)
	e.boolean(p.RequireActivationSuccess)
	e.boolean(p.RequireNotificationSuccess)
	return e.done()
}

// UnmarshalCBOR reads one CBOR ProveCommitSectors3 params from r.
func (p *ProveCommitSectors3Params) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "ProveCommitSectors3 params")
	d.tuple(6)
	v := ProveCommitSectors3Params{
		SectorActivations:          decodeList[SectorActivationManifest](d, "SectorActivations"),
		SectorProofs:               d.byteList("SectorProofs"),
		AggregateProof:             d.bytes("AggregateProof"),
		AggregateProofType:         d.optAggregateProof("AggregateProofType"),
		RequireActivationSuccess:   d.boolean("RequireActivationSuccess"),
		RequireNotificationSuccess: d.boolean("RequireNotificationSuccess"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

func (e *encoder) optAggregateProof(t *AggregateProof) {
	if t == nil {
		e.null()
		return
	}
	e.int(int64(*t))
}

func (d *decoder) optAggregateProof(field string) *AggregateProof {
	if d.isNull(field) || d.err != nil {
		return nil
	}
	t := AggregateProof(d.int(field))
	if d.err != nil {
		return nil
	}
	return &t
}

// SectorActivationManifest names a pre-committed sector to activate and the
// pieces of its data, in order; CBOR [SectorNumber, Pieces]. A CC sector
// has no pieces; a data sector's pieces must reproduce the pre-committed
// CommD, an implicit zero piece filling the rest.
type SectorActivationManifest struct {
	SectorNumber uint64
	Pieces       []PieceActivationManifest
}

// MarshalCBOR writes m as the 2-tuple; a nil pointer writes CBOR null.
func (m *SectorActivationManifest) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, m == nil); isNull {
		return err
	}
	e := newEncoder(w, "sector activation manifest")
	e.tuple(2)
	e.uint(m.SectorNumber)
	encodeList(e, "Pieces", m.Pieces)
	return e.done()
}

// UnmarshalCBOR reads one CBOR sector activation manifest from r.
func (m *SectorActivationManifest) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "sector activation manifest")
	d.tuple(2)
	v := SectorActivationManifest{
		SectorNumber: d.uint("SectorNumber"),
		Pieces:       decodeList[PieceActivationManifest](d, "Pieces"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*m = v
	return nil
}

// PieceActivationManifest is one piece of a sector being activated; CBOR
// [CID, Size, VerifiedAllocationKey, Notify]. CID is the piece commitment
// and Size its padded size. When VerifiedAllocationKey is set the miner
// claims that FIL+ allocation at the verified registry before notifying
// anyone. A deal piece notifies the market: Notify =
// [{MarketAddr, EncodeDealID(dealID)}].
type PieceActivationManifest struct {
	CID                   cid.Cid
	Size                  uint64
	VerifiedAllocationKey *VerifiedAllocationKey
	Notify                []DataActivationNotification
}

// MarshalCBOR writes m as the 4-tuple; a nil pointer writes CBOR null.
func (m *PieceActivationManifest) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, m == nil); isNull {
		return err
	}
	e := newEncoder(w, "piece activation manifest")
	e.tuple(4)
	e.cid("CID", m.CID)
	e.uint(m.Size)
	if m.VerifiedAllocationKey == nil {
		e.null()
	} else {
		e.object("VerifiedAllocationKey", m.VerifiedAllocationKey)
	}
	encodeList(e, "Notify", m.Notify)
	return e.done()
}

// UnmarshalCBOR reads one CBOR piece activation manifest from r.
func (m *PieceActivationManifest) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "piece activation manifest")
	d.tuple(4)
	var v PieceActivationManifest
	v.CID = d.cid("CID")
	v.Size = d.uint("Size")
	if !d.isNull("VerifiedAllocationKey") && d.err == nil {
		v.VerifiedAllocationKey = new(VerifiedAllocationKey)
		d.object("VerifiedAllocationKey", v.VerifiedAllocationKey)
	}
	v.Notify = decodeList[DataActivationNotification](d, "Notify")
	if err := d.done(); err != nil {
		return err
	}
	*m = v
	return nil
}

// VerifiedAllocationKey names a FIL+ allocation; CBOR [Client, ID]: the
// client's actor ID and the allocation ID.
type VerifiedAllocationKey struct {
	Client uint64
	ID     uint64
}

// MarshalCBOR writes k as the 2-tuple; a nil pointer writes CBOR null.
func (k *VerifiedAllocationKey) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, k == nil); isNull {
		return err
	}
	e := newEncoder(w, "verified allocation key")
	e.tuple(2)
	e.uint(k.Client)
	e.uint(k.ID)
	return e.done()
}

// UnmarshalCBOR reads one CBOR verified allocation key from r.
func (k *VerifiedAllocationKey) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "verified allocation key")
	d.tuple(2)
	v := VerifiedAllocationKey{Client: d.uint("Client"), ID: d.uint("ID")}
	if err := d.done(); err != nil {
		return err
	}
	*k = v
	return nil
}

// DataActivationNotification asks the miner to notify an actor of an
// activated piece; CBOR [Address, Payload]. Payload is receiver-specific:
// for the market, the CBOR deal ID (EncodeDealID).
type DataActivationNotification struct {
	Address address.Address
	Payload []byte
}

// MarshalCBOR writes n as the 2-tuple; a nil pointer writes CBOR null.
func (n *DataActivationNotification) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, n == nil); isNull {
		return err
	}
	e := newEncoder(w, "data activation notification")
	e.tuple(2)
	e.address("Address", n.Address)
	e.bytes("Payload", n.Payload)
	return e.done()
}

// UnmarshalCBOR reads one CBOR data activation notification from r.
func (n *DataActivationNotification) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "data activation notification")
	d.tuple(2)
	v := DataActivationNotification{Address: d.address("Address"), Payload: d.bytes("Payload")}
	if err := d.done(); err != nil {
		return err
	}
	*n = v
	return nil
}

// BatchReturn reports the outcome of each item of a batch; CBOR
// [SuccessCount, FailCodes]. Items not listed in FailCodes succeeded. The
// network's counts and codes are u32.
type BatchReturn struct {
	SuccessCount uint32
	FailCodes    []FailCode
}

// FailCode is the exit code of a failed batch item at index Idx; CBOR [Idx,
// Code].
type FailCode struct {
	Idx  uint32
	Code ExitCode
}

// ProveCommitSectors3Return is the return of MinerProveCommitSectors3, a
// bare BatchReturn with one item per sector activation.
type ProveCommitSectors3Return = BatchReturn

// ProveReplicaUpdates3Return is the return of MinerProveReplicaUpdates3, a
// bare BatchReturn with one item per sector update.
type ProveReplicaUpdates3Return = BatchReturn

// ProveCommitSectorsNIReturn is the return of MinerProveCommitSectorsNI, a
// bare BatchReturn with one item per sector.
type ProveCommitSectorsNIReturn = BatchReturn

// NewBatchReturn returns the BatchReturn of a batch whose items ended with
// codes, in order (ExitOk for success).
func NewBatchReturn(codes []ExitCode) BatchReturn {
	var b BatchReturn
	for i, c := range codes {
		if c == ExitOk {
			b.SuccessCount++
		} else {
			b.FailCodes = append(b.FailCodes, FailCode{Idx: uint32(i), Code: c})
		}
	}
	return b
}

// Size returns the number of items of the batch.
func (b BatchReturn) Size() int { return int(b.SuccessCount) + len(b.FailCodes) }

// AllOK reports whether every item succeeded.
func (b BatchReturn) AllOK() bool { return len(b.FailCodes) == 0 }

// Codes returns the exit code of every item, in order.
func (b BatchReturn) Codes() []ExitCode {
	codes := make([]ExitCode, 0, b.Size())
	for _, f := range b.FailCodes {
		for uint32(len(codes)) < f.Idx {
			codes = append(codes, ExitOk)
		}
		codes = append(codes, f.Code)
	}
	for len(codes) < b.Size() {
		codes = append(codes, ExitOk)
	}
	return codes
}

// MarshalCBOR writes b as the 2-tuple; a nil pointer writes CBOR null.
func (b *BatchReturn) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, b == nil); isNull {
		return err
	}
	e := newEncoder(w, "batch return")
	e.tuple(2)
	e.uint(uint64(b.SuccessCount))
	encodeList(e, "FailCodes", b.FailCodes)
	return e.done()
}

// UnmarshalCBOR reads one CBOR batch return from r.
func (b *BatchReturn) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "batch return")
	d.tuple(2)
	v := BatchReturn{
		SuccessCount: d.uint32("SuccessCount"),
		FailCodes:    decodeList[FailCode](d, "FailCodes"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*b = v
	return nil
}

// MarshalCBOR writes f as [Idx, Code]; Code must fit the network's u32 (a
// negative code fails with ErrIntOverflow). A nil pointer writes CBOR null.
func (f *FailCode) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, f == nil); isNull {
		return err
	}
	e := newEncoder(w, "fail code")
	if f.Code < 0 || f.Code > math.MaxUint32 {
		e.fail("Code", fmt.Errorf("%w: exit code %d does not fit uint32", ErrIntOverflow, int64(f.Code)))
		return e.done()
	}
	e.tuple(2)
	e.uint(uint64(f.Idx))
	e.uint(uint64(f.Code))
	return e.done()
}

// UnmarshalCBOR reads one CBOR fail code from r.
func (f *FailCode) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "fail code")
	d.tuple(2)
	v := FailCode{Idx: d.uint32("Idx"), Code: ExitCode(d.uint32("Code"))}
	if err := d.done(); err != nil {
		return err
	}
	*f = v
	return nil
}

// ProveReplicaUpdates3Params are the parameters of
// MinerProveReplicaUpdates3 (SnapDeals); CBOR [SectorUpdates, SectorProofs,
// AggregateProof, UpdateProofsType, AggregateProofType,
// RequireActivationSuccess, RequireNotificationSuccess], with the proof rules
// of ProveCommitSectors3Params.
type ProveReplicaUpdates3Params struct {
	SectorUpdates              []SectorUpdateManifest
	SectorProofs               [][]byte
	AggregateProof             []byte
	UpdateProofsType           UpdateProof
	AggregateProofType         *AggregateProof
	RequireActivationSuccess   bool
	RequireNotificationSuccess bool
}

// MarshalCBOR writes p as the 7-tuple; a nil pointer writes CBOR null.
func (p *ProveReplicaUpdates3Params) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "ProveReplicaUpdates3 params")
	e.tuple(7)
	encodeList(e, "SectorUpdates", p.SectorUpdates)
	e.byteList("SectorProofs", p.SectorProofs)
	e.bytes("AggregateProof", p.AggregateProof)
	e.int(int64(p.UpdateProofsType))
	e.optAggregateProof(p.AggregateProofType)
	e.boolean(p.RequireActivationSuccess)
	e.boolean(p.RequireNotificationSuccess)
	return e.done()
}

// UnmarshalCBOR reads one CBOR ProveReplicaUpdates3 params from r.
func (p *ProveReplicaUpdates3Params) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "ProveReplicaUpdates3 params")
	d.tuple(7)
	v := ProveReplicaUpdates3Params{
		SectorUpdates:              decodeList[SectorUpdateManifest](d, "SectorUpdates"),
		SectorProofs:               d.byteList("SectorProofs"),
		AggregateProof:             d.bytes("AggregateProof"),
		UpdateProofsType:           UpdateProof(d.int("UpdateProofsType")),
		AggregateProofType:         d.optAggregateProof("AggregateProofType"),
		RequireActivationSuccess:   d.boolean("RequireActivationSuccess"),
		RequireNotificationSuccess: d.boolean("RequireNotificationSuccess"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

// SectorUpdateManifest names a CC sector to fill with data and its pieces;
// CBOR [Sector, Deadline, Partition, NewSealedCID, Pieces].
type SectorUpdateManifest struct {
	Sector       uint64
	Deadline     uint64
	Partition    uint64
	NewSealedCID cid.Cid
	Pieces       []PieceActivationManifest
}

// MarshalCBOR writes m as the 5-tuple; a nil pointer writes CBOR null.
func (m *SectorUpdateManifest) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, m == nil); isNull {
		return err
	}
	e := newEncoder(w, "sector update manifest")
	e.tuple(5)
	e.uint(m.Sector)
	e.uint(m.Deadline)
	e.uint(m.Partition)
	e.cid("NewSealedCID", m.NewSealedCID)
	encodeList(e, "Pieces", m.Pieces)
	return e.done()
}

// UnmarshalCBOR reads one CBOR sector update manifest from r.
func (m *SectorUpdateManifest) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "sector update manifest")
	d.tuple(5)
	v := SectorUpdateManifest{
		Sector:       d.uint("Sector"),
		Deadline:     d.uint("Deadline"),
		Partition:    d.uint("Partition"),
		NewSealedCID: d.cid("NewSealedCID"),
		Pieces:       decodeList[PieceActivationManifest](d, "Pieces"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*m = v
	return nil
}

// ProveCommitSectorsNIParams are the parameters of MinerProveCommitSectorsNI
// (non-interactive PoRep, CC sectors only); CBOR [Sectors, AggregateProof,
// SealProofType, AggregateProofType, ProvingDeadline,
// RequireActivationSuccess]. SealProofType must be an NI-PoRep proof
// (proof.StackedDrg*V1_2_Feat_NiPoRep).
type ProveCommitSectorsNIParams struct {
	Sectors                  []SectorNIActivationInfo
	AggregateProof           []byte
	SealProofType            proof.SealProof
	AggregateProofType       AggregateProof
	ProvingDeadline          uint64
	RequireActivationSuccess bool
}

// MarshalCBOR writes p as the 6-tuple; a nil pointer writes CBOR null.
func (p *ProveCommitSectorsNIParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "ProveCommitSectorsNI params")
	e.tuple(6)
	encodeList(e, "Sectors", p.Sectors)
	e.bytes("AggregateProof", p.AggregateProof)
	e.int(int64(p.SealProofType))
	e.int(int64(p.AggregateProofType))
	e.uint(p.ProvingDeadline)
	e.boolean(p.RequireActivationSuccess)
	return e.done()
}

// UnmarshalCBOR reads one CBOR ProveCommitSectorsNI params from r.
func (p *ProveCommitSectorsNIParams) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "ProveCommitSectorsNI params")
	d.tuple(6)
	v := ProveCommitSectorsNIParams{
		Sectors:                  decodeList[SectorNIActivationInfo](d, "Sectors"),
		AggregateProof:           d.bytes("AggregateProof"),
		SealProofType:            proof.SealProof(d.int("SealProofType")),
		AggregateProofType:       AggregateProof(d.int("AggregateProofType")),
		ProvingDeadline:          d.uint("ProvingDeadline"),
		RequireActivationSuccess: d.boolean("RequireActivationSuccess"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

// SectorNIActivationInfo is one sector of a ProveCommitSectorsNI; CBOR
// [SealingNumber, SealerID, SealedCID, SectorNumber, SealRandEpoch,
// Expiration]. SealingNumber and SealerID (the miner's actor ID) are what
// the replica was sealed with; SectorNumber is where it goes in state.
type SectorNIActivationInfo struct {
	SealingNumber uint64
	SealerID      uint64
	SealedCID     cid.Cid
	SectorNumber  uint64
	SealRandEpoch int64
	Expiration    int64
}

// MarshalCBOR writes s as the 6-tuple; a nil pointer writes CBOR null.
func (s *SectorNIActivationInfo) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, s == nil); isNull {
		return err
	}
	e := newEncoder(w, "NI sector activation info")
	e.tuple(6)
	e.uint(s.SealingNumber)
	e.uint(s.SealerID)
	e.cid("SealedCID", s.SealedCID)
	e.uint(s.SectorNumber)
	e.int(s.SealRandEpoch)
	e.int(s.Expiration)
	return e.done()
}

// UnmarshalCBOR reads one CBOR NI sector activation info from r.
func (s *SectorNIActivationInfo) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "NI sector activation info")
	d.tuple(6)
	v := SectorNIActivationInfo{
		SealingNumber: d.uint("SealingNumber"),
		SealerID:      d.uint("SealerID"),
		SealedCID:     d.cid("SealedCID"),
		SectorNumber:  d.uint("SectorNumber"),
		SealRandEpoch: d.int("SealRandEpoch"),
		Expiration:    d.int("Expiration"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*s = v
	return nil
}

// ExtendSectorExpiration2Params are the parameters of
// MinerExtendSectorExpiration2; CBOR [Extensions].
type ExtendSectorExpiration2Params struct {
	Extensions []ExpirationExtension2
}

// MarshalCBOR writes p as the 1-tuple; a nil pointer writes CBOR null.
func (p *ExtendSectorExpiration2Params) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "ExtendSectorExpiration2 params")
	e.tuple(1)
	encodeList(e, "Extensions", p.Extensions)
	return e.done()
}

// UnmarshalCBOR reads one CBOR ExtendSectorExpiration2 params from r.
func (p *ExtendSectorExpiration2Params) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "ExtendSectorExpiration2 params")
	d.tuple(1)
	v := ExtendSectorExpiration2Params{Extensions: decodeList[ExpirationExtension2](d, "Extensions")}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

// ExpirationExtension2 extends sectors of one partition; CBOR [Deadline,
// Partition, Sectors, SectorsWithClaims, NewExpiration]. Sectors without
// FIL+ claims go in Sectors; sectors with claims must be listed in
// SectorsWithClaims, naming every claim to keep or drop.
type ExpirationExtension2 struct {
	Deadline          uint64
	Partition         uint64
	Sectors           bitfield.BitField
	SectorsWithClaims []SectorClaim
	NewExpiration     int64
}

// MarshalCBOR writes x as the 5-tuple; a nil pointer writes CBOR null.
func (x *ExpirationExtension2) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, x == nil); isNull {
		return err
	}
	e := newEncoder(w, "expiration extension")
	e.tuple(5)
	e.uint(x.Deadline)
	e.uint(x.Partition)
	e.bitfield("Sectors", x.Sectors)
	encodeList(e, "SectorsWithClaims", x.SectorsWithClaims)
	e.int(x.NewExpiration)
	return e.done()
}

// UnmarshalCBOR reads one CBOR expiration extension from r.
func (x *ExpirationExtension2) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "expiration extension")
	d.tuple(5)
	v := ExpirationExtension2{
		Deadline:          d.uint("Deadline"),
		Partition:         d.uint("Partition"),
		Sectors:           d.bitfield("Sectors"),
		SectorsWithClaims: decodeList[SectorClaim](d, "SectorsWithClaims"),
		NewExpiration:     d.int("NewExpiration"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*x = v
	return nil
}

// SectorClaim lists the FIL+ claims of a sector being extended; CBOR
// [SectorNumber, MaintainClaims, DropClaims], claims by ID.
type SectorClaim struct {
	SectorNumber   uint64
	MaintainClaims []uint64
	DropClaims     []uint64
}

// MarshalCBOR writes c as the 3-tuple; a nil pointer writes CBOR null.
func (c *SectorClaim) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, c == nil); isNull {
		return err
	}
	e := newEncoder(w, "sector claim")
	e.tuple(3)
	e.uint(c.SectorNumber)
	e.uints("MaintainClaims", c.MaintainClaims)
	e.uints("DropClaims", c.DropClaims)
	return e.done()
}

// UnmarshalCBOR reads one CBOR sector claim from r.
func (c *SectorClaim) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "sector claim")
	d.tuple(3)
	v := SectorClaim{
		SectorNumber:   d.uint("SectorNumber"),
		MaintainClaims: d.uints("MaintainClaims"),
		DropClaims:     d.uints("DropClaims"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*c = v
	return nil
}

// MinerWithdrawBalanceParams are the parameters of the miner's
// WithdrawBalance (MinerWithdrawBalance); CBOR [AmountRequested]. The return
// is a WithdrawBalanceReturn.
type MinerWithdrawBalanceParams struct {
	AmountRequested big.TokenAmount
}

// MarshalCBOR writes p as the 1-tuple; a nil pointer writes CBOR null.
func (p *MinerWithdrawBalanceParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "miner WithdrawBalance params")
	e.tuple(1)
	e.token("AmountRequested", p.AmountRequested)
	return e.done()
}

// UnmarshalCBOR reads one CBOR miner WithdrawBalance params from r.
func (p *MinerWithdrawBalanceParams) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "miner WithdrawBalance params")
	d.tuple(1)
	v := MinerWithdrawBalanceParams{AmountRequested: d.token("AmountRequested")}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

// WithdrawBalanceReturn is the return of both the miner's and the market's
// WithdrawBalance: the amount actually withdrawn. It is transparent: the
// CBOR is the bare big int.
type WithdrawBalanceReturn struct {
	AmountWithdrawn big.TokenAmount
}

// MarshalCBOR writes r as a bare big int; a nil pointer writes CBOR null.
func (r *WithdrawBalanceReturn) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, r == nil); isNull {
		return err
	}
	e := newEncoder(w, "WithdrawBalance return")
	e.token("", r.AmountWithdrawn)
	return e.done()
}

// UnmarshalCBOR reads one CBOR WithdrawBalance return from rd.
func (r *WithdrawBalanceReturn) UnmarshalCBOR(rd io.Reader) error {
	d := newDecoder(rd, "WithdrawBalance return")
	v := WithdrawBalanceReturn{AmountWithdrawn: d.token("")}
	if err := d.done(); err != nil {
		return err
	}
	*r = v
	return nil
}

// ChangeBeneficiaryParams are the parameters of MinerChangeBeneficiary; CBOR
// [NewBeneficiary, NewQuota, NewExpiration].
type ChangeBeneficiaryParams struct {
	NewBeneficiary address.Address
	NewQuota       big.TokenAmount
	NewExpiration  int64
}

// MarshalCBOR writes p as the 3-tuple; a nil pointer writes CBOR null.
func (p *ChangeBeneficiaryParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "ChangeBeneficiary params")
	e.tuple(3)
	e.address("NewBeneficiary", p.NewBeneficiary)
	e.token("NewQuota", p.NewQuota)
	e.int(p.NewExpiration)
	return e.done()
}

// UnmarshalCBOR reads one CBOR ChangeBeneficiary params from r.
func (p *ChangeBeneficiaryParams) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "ChangeBeneficiary params")
	d.tuple(3)
	v := ChangeBeneficiaryParams{
		NewBeneficiary: d.address("NewBeneficiary"),
		NewQuota:       d.token("NewQuota"),
		NewExpiration:  d.int("NewExpiration"),
	}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

// GetBeneficiaryReturn is the return of MinerGetBeneficiary; CBOR [Active,
// Proposed] with Active = [Beneficiary, [Quota, UsedQuota, Expiration]] and
// Proposed null or [NewBeneficiary, NewQuota, NewExpiration,
// ApprovedByBeneficiary, ApprovedByNominee]. It reuses the API's types, so
// the answer maps onto types.MinerInfo.
type GetBeneficiaryReturn struct {
	Active   ActiveBeneficiary
	Proposed *types.PendingBeneficiaryChange
}

// ActiveBeneficiary is the current beneficiary of a miner and its terms.
type ActiveBeneficiary struct {
	Beneficiary address.Address
	Term        types.BeneficiaryTerm
}

// MarshalCBOR writes r as the 2-tuple; a nil pointer writes CBOR null.
func (r *GetBeneficiaryReturn) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, r == nil); isNull {
		return err
	}
	e := newEncoder(w, "GetBeneficiary return")
	e.tuple(2)
	e.tuple(2)
	e.address("Active.Beneficiary", r.Active.Beneficiary)
	e.tuple(3)
	e.token("Active.Term.Quota", r.Active.Term.Quota)
	e.token("Active.Term.UsedQuota", r.Active.Term.UsedQuota)
	e.int(r.Active.Term.Expiration)
	if p := r.Proposed; p == nil {
		e.null()
	} else {
		e.tuple(5)
		e.address("Proposed.NewBeneficiary", p.NewBeneficiary)
		e.token("Proposed.NewQuota", p.NewQuota)
		e.int(p.NewExpiration)
		e.boolean(p.ApprovedByBeneficiary)
		e.boolean(p.ApprovedByNominee)
	}
	return e.done()
}

// UnmarshalCBOR reads one CBOR GetBeneficiary return from rd.
func (r *GetBeneficiaryReturn) UnmarshalCBOR(rd io.Reader) error {
	d := newDecoder(rd, "GetBeneficiary return")
	d.tuple(2)
	var v GetBeneficiaryReturn
	d.nested("Active", 2)
	v.Active.Beneficiary = d.address("Active.Beneficiary")
	d.nested("Active.Term", 3)
	v.Active.Term = types.BeneficiaryTerm{
		Quota:      d.token("Active.Term.Quota"),
		UsedQuota:  d.token("Active.Term.UsedQuota"),
		Expiration: d.int("Active.Term.Expiration"),
	}
	if !d.isNull("Proposed") && d.err == nil {
		d.nested("Proposed", 5)
		v.Proposed = &types.PendingBeneficiaryChange{
			NewBeneficiary:        d.address("Proposed.NewBeneficiary"),
			NewQuota:              d.token("Proposed.NewQuota"),
			NewExpiration:         d.int("Proposed.NewExpiration"),
			ApprovedByBeneficiary: d.boolean("Proposed.ApprovedByBeneficiary"),
			ApprovedByNominee:     d.boolean("Proposed.ApprovedByNominee"),
		}
	}
	if err := d.done(); err != nil {
		return err
	}
	*r = v
	return nil
}

// IsControllingAddressParams are the parameters of
// MinerIsControllingAddressExported, which the market calls to check a
// PublishStorageDeals caller. It is transparent: the CBOR is the bare
// address.
type IsControllingAddressParams struct {
	Address address.Address
}

// MarshalCBOR writes p as a bare address; a nil pointer writes CBOR null.
func (p *IsControllingAddressParams) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, p == nil); isNull {
		return err
	}
	e := newEncoder(w, "IsControllingAddress params")
	e.address("", p.Address)
	return e.done()
}

// UnmarshalCBOR reads one CBOR IsControllingAddress params from r.
func (p *IsControllingAddressParams) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "IsControllingAddress params")
	v := IsControllingAddressParams{Address: d.address("")}
	if err := d.done(); err != nil {
		return err
	}
	*p = v
	return nil
}

// IsControllingAddressReturn reports whether the address is the miner's
// owner, worker or a control address. It is transparent: the CBOR is the
// bare bool.
type IsControllingAddressReturn struct {
	IsControlling bool
}

// MarshalCBOR writes r as a bare bool; a nil pointer writes CBOR null.
func (r *IsControllingAddressReturn) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, r == nil); isNull {
		return err
	}
	e := newEncoder(w, "IsControllingAddress return")
	e.boolean(r.IsControlling)
	return e.done()
}

// UnmarshalCBOR reads one CBOR IsControllingAddress return from rd.
func (r *IsControllingAddressReturn) UnmarshalCBOR(rd io.Reader) error {
	d := newDecoder(rd, "IsControllingAddress return")
	v := IsControllingAddressReturn{IsControlling: d.boolean("")}
	if err := d.done(); err != nil {
		return err
	}
	*r = v
	return nil
}

// VestingFund is an amount of a miner's balance that vests at Epoch; CBOR
// [Epoch, Amount].
type VestingFund struct {
	Epoch  int64
	Amount big.TokenAmount
}

// MarshalCBOR writes f as the 2-tuple; a nil pointer writes CBOR null.
func (f *VestingFund) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, f == nil); isNull {
		return err
	}
	e := newEncoder(w, "vesting fund")
	e.tuple(2)
	e.int(f.Epoch)
	e.token("Amount", f.Amount)
	return e.done()
}

// UnmarshalCBOR reads one CBOR vesting fund from r.
func (f *VestingFund) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "vesting fund")
	d.tuple(2)
	v := VestingFund{Epoch: d.int("Epoch"), Amount: d.token("Amount")}
	if err := d.done(); err != nil {
		return err
	}
	*f = v
	return nil
}

// VestingFunds is a list of vesting entries, in epoch order: a bare CBOR
// array, as the miner state's vesting-funds tail (actors v16+) stores it
// and as GetVestingFundsReturn carries it.
type VestingFunds []VestingFund

// MarshalCBOR writes f as a bare array; a nil pointer writes CBOR null.
func (f *VestingFunds) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, f == nil); isNull {
		return err
	}
	e := newEncoder(w, "vesting funds")
	encodeList(e, "", *f)
	return e.done()
}

// UnmarshalCBOR reads one CBOR vesting-funds list from r.
func (f *VestingFunds) UnmarshalCBOR(r io.Reader) error {
	d := newDecoder(r, "vesting funds")
	v := decodeList[VestingFund](d, "")
	if err := d.done(); err != nil {
		return err
	}
	*f = v
	return nil
}

// GetVestingFundsReturn is the return of MinerGetVestingFundsExported; CBOR
// [VestingFunds].
type GetVestingFundsReturn struct {
	VestingFunds VestingFunds
}

// MarshalCBOR writes r as the 1-tuple; a nil pointer writes CBOR null.
func (r *GetVestingFundsReturn) MarshalCBOR(w io.Writer) error {
	if isNull, err := marshalNull(w, r == nil); isNull {
		return err
	}
	e := newEncoder(w, "GetVestingFunds return")
	e.tuple(1)
	e.object("VestingFunds", &r.VestingFunds)
	return e.done()
}

// UnmarshalCBOR reads one CBOR GetVestingFunds return from rd.
func (r *GetVestingFundsReturn) UnmarshalCBOR(rd io.Reader) error {
	d := newDecoder(rd, "GetVestingFunds return")
	d.tuple(1)
	var v GetVestingFundsReturn
	d.object("VestingFunds", &v.VestingFunds)
	if err := d.done(); err != nil {
		return err
	}
	*r = v
	return nil
}
