package state

import (
	"bytes"
	"encoding/binary"

	cbg "github.com/whyrusleeping/cbor-gen"
	"golang.org/x/crypto/blake2b"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
	"github.com/strata-sp/strata/proof"
)

// Miner is a storage miner actor's state: the network's miner State
// (builtin-actors actors/miner/src/state.rs) in Go structs instead of
// HAMTs and AMTs, with the same meaning field by field where a field
// exists.
//
// Simplifications, all deliberate (the devnet has no reward actor and no
// circulating-supply model):
//   - Deposits and pledge are fixed amounts per sector from the Policy
//     (PreCommitDepositPer32GiB and InitialPledgePer32GiB scaled to the
//     sector size, at least 1 attoFIL); there is no vesting, no fee debt,
//     no daily fee, and no fault or termination penalty: a terminated
//     sector's pledge is simply unlocked. The only funds burned are the
//     deposits of pre-commits that expire unproven.
//   - There is no beneficiary other than the owner, no consensus fault
//     and no owner change; WindowPoSt proofs are verified when submitted
//     (never accepted optimistically), so there is nothing to dispute.
//   - Quality-adjusted power equals raw power (no verified deals).
//   - Onboarding is PreCommitSectorBatch2 then ProveCommitSectors3 with one
//     proof per sector, for the V1_1 seal proofs the devnet's engine
//     verifies: no aggregates, no synthetic or NI-PoRep, no DealIDs in
//     pre-commits (deals are activated through piece manifests), no
//     verified allocations. Workers may have secp256k1 keys as well as BLS
//     ones (resolveWorker).
//   - Partitions are never compacted; a terminated sector stays in its
//     partition's Sectors and Terminated sets while its info is deleted.
//     Pre-commits expire without the network's clean-up delay.
//
// As on the network, a new sector is unproven (no power) until the first
// WindowPoSt of its deadline; faults (declared, skipped or detected at a
// deadline's close) remove power at once and recoveries restore it when
// proven; sectors expire on time, or early after FaultMaxAge of being
// faulty, at their deadline's close (minerCron). The methods' doc comments
// list their exit codes.
//
// Sector infos and pre-commit infos are never modified in place: a change
// stores a new value, so that clone (which copies the maps, not the infos)
// yields an independent state.
type Miner struct {
	Info MinerConfig
	// ProvingPeriodStart is the first epoch of the miner's current (or, at
	// creation, first) proving period; periods start at a per-miner offset
	// the network derives from the miner's address and creation epoch.
	ProvingPeriodStart int64
	// CurrentDeadline is the index of the deadline the cron closes next.
	CurrentDeadline uint64
	// PreCommits are the pre-committed, not yet proven sectors.
	PreCommits map[uint64]*types.SectorPreCommitOnChainInfo
	// Sectors are the live sectors (active, faulty or unproven).
	Sectors map[uint64]*types.SectorOnChainInfo
	// AllocatedSectors are every sector number ever pre-committed; a
	// number is never used twice.
	AllocatedSectors bitfield.BitField
	// Deadlines has Policy.WPoStPeriodDeadlines entries.
	Deadlines []*MinerDeadline
	// PreCommitDeposits is the balance locked by pre-commits,
	// InitialPledge the balance locked by live sectors. The rest of the
	// actor's balance is available (WithdrawBalance).
	PreCommitDeposits big.TokenAmount
	InitialPledge     big.TokenAmount
}

// MinerConfig is a miner's configuration (the network's MinerInfo).
// Addresses are actor IDs.
type MinerConfig struct {
	Owner            uint64
	Worker           uint64
	ControlAddresses []uint64
	// PendingWorkerKey is a worker change waiting for its epoch and for
	// ConfirmChangeWorkerAddress; nil when none is pending.
	PendingWorkerKey *WorkerKeyChange
	// PeerID is the libp2p peer ID's bytes (may be empty); Multiaddrs are
	// binary multiaddrs.
	PeerID                     []byte
	Multiaddrs                 [][]byte
	WindowPoStProofType        proof.PoStProof
	SectorSize                 proof.SectorSize
	WindowPoStPartitionSectors uint64
}

// WorkerKeyChange is a pending worker change.
type WorkerKeyChange struct {
	NewWorker   uint64
	EffectiveAt int64
}

// Limits of the network's miner actor (builtin-actors runtime policy).
const (
	maxControlAddresses  = 10
	maxPeerIDLength      = 128
	maxMultiaddrData     = 1024
	declarationsMax      = 3000
	maxSectorNumber      = 1<<63 - 1
	maxChainCommitRandom = 32
)

// The miner's own exit codes (chain/actors).
const (
	exitBalanceInvariantsBroken     = types.ExitCode(actors.ExitBalanceInvariantsBroken)
	exitNotificationSendFailed      = types.ExitCode(actors.ExitNotificationSendFailed)
	exitNotificationReceiverAborted = types.ExitCode(actors.ExitNotificationReceiverAborted)
	exitNotificationResponseInvalid = types.ExitCode(actors.ExitNotificationResponseInvalid)
	exitNotificationRejected        = types.ExitCode(actors.ExitNotificationRejected)
)

// clone returns a copy of m that shares no mutable data with it.
func (m *Miner) clone() *Miner {
	c := *m
	c.Info.ControlAddresses = append([]uint64(nil), m.Info.ControlAddresses...)
	if m.Info.ControlAddresses == nil {
		c.Info.ControlAddresses = nil
	}
	if m.Info.PendingWorkerKey != nil {
		k := *m.Info.PendingWorkerKey
		c.Info.PendingWorkerKey = &k
	}
	c.PreCommits = make(map[uint64]*types.SectorPreCommitOnChainInfo, len(m.PreCommits))
	for k, v := range m.PreCommits {
		c.PreCommits[k] = v
	}
	c.Sectors = make(map[uint64]*types.SectorOnChainInfo, len(m.Sectors))
	for k, v := range m.Sectors {
		c.Sectors[k] = v
	}
	c.Deadlines = make([]*MinerDeadline, len(m.Deadlines))
	for i, d := range m.Deadlines {
		c.Deadlines[i] = d.clone()
	}
	return &c
}

// available is the part of balance neither deposits nor pledge lock.
func (m *Miner) available(balance big.TokenAmount) big.TokenAmount {
	return balance.Sub(m.PreCommitDeposits).Sub(m.InitialPledge)
}

// power is the miner's raw and quality-adjusted power: its active
// sectors' size.
func (m *Miner) power() (raw, qa big.Int) {
	var n uint64
	for _, d := range m.Deadlines {
		for _, p := range d.Partitions {
			n += p.active().Count()
		}
	}
	raw = big.NewIntUnsigned(n).Mul(big.NewIntUnsigned(uint64(m.Info.SectorSize)))
	return raw, raw
}

// controlling reports whether id may act as the miner's worker: the
// owner, the worker or a control address (the network's check for every
// worker-driven method since actors v10).
func (m *Miner) controlling(id uint64) bool {
	if id == m.Info.Owner || id == m.Info.Worker {
		return true
	}
	for _, c := range m.Info.ControlAddresses {
		if c == id {
			return true
		}
	}
	return false
}

// perSectorAmount scales a per-32-GiB amount to a sector size, at least 1
// attoFIL.
func perSectorAmount(per32GiB big.TokenAmount, size proof.SectorSize) big.TokenAmount {
	v := per32GiB.Mul(big.NewIntUnsigned(uint64(size))).Int.Div(big.NewIntUnsigned(uint64(proof.Size32GiB)))
	if v.Sign() <= 0 {
		v = big.NewInt(1)
	}
	return big.TokenAmount{Int: v}
}

// preCommitDeposit is the deposit one pre-commit of a sector size locks.
func (p Policy) preCommitDeposit(size proof.SectorSize) big.TokenAmount {
	return perSectorAmount(p.PreCommitDepositPer32GiB, size)
}

// initialPledge is the pledge one sector of a size locks while live.
func (p Policy) initialPledge(size proof.SectorSize) big.TokenAmount {
	return perSectorAmount(p.InitialPledgePer32GiB, size)
}

// commitMiner stores a miner's new state and updates its power claim.
func (s *State) commitMiner(id uint64, m *Miner) {
	s.Miners[id] = m
	raw, qa := m.power()
	s.Power.setClaim(id, raw, qa)
}

// decodeActorParams decodes untrusted method parameters as the network's
// actors do (chain/actors.DecodeParams): missing parameters abort with
// ExitIllegalArgument, anything else that does not decode with
// ExitSerialization.
func decodeActorParams(b []byte, v cbg.CBORUnmarshaler) *Abort {
	if err := actors.DecodeParams(b, v); err != nil {
		return Abortf(types.ExitCode(actors.ParamsExitCode(err)), "decode params: %v", err)
	}
	return nil
}

// checkNoParams checks the parameters of a method that takes none.
func checkNoParams(b []byte) *Abort {
	if err := actors.CheckNoParams(b); err != nil {
		return Abortf(types.ExitCode(actors.ParamsExitCode(err)), "%v", err)
	}
	return nil
}

// resolveAccount resolves an address to an account actor's ID, failing
// with ExitIllegalArgument as the miner's resolve_*_address do.
func (s *State) resolveAccount(a address.Address, what string) (uint64, *Abort) {
	id, err := s.Lookup(a)
	if err != nil {
		return 0, Abortf(ExitIllegalArgument, "unable to resolve %s address %s", what, a)
	}
	if k := s.Actors[id].Kind; k != KindAccount {
		return 0, Abortf(ExitIllegalArgument, "%s actor %s must be an account, is %s", what, a, k)
	}
	return id, nil
}

// resolveWorker resolves a worker address: it must be an account with a
// key address.
//
// The network requires a BLS key (the worker signs blocks, which BLS
// aggregation needs). The devnet also accepts secp256k1 workers, because
// its block signing and Strata's wallet handle both kinds of key; a
// message the network accepts is accepted here too. Accounts without a
// key address (the burnt-funds actor) and delegated (f4) accounts are
// refused with ExitIllegalArgument.
func (s *State) resolveWorker(a address.Address) (uint64, *Abort) {
	id, ab := s.resolveAccount(a, "worker")
	if ab != nil {
		return 0, ab
	}
	if key := s.Actors[id].Address; !key.Empty() {
		switch key.Protocol() {
		case address.BLS, address.SECP256K1:
			return id, nil
		}
	}
	return 0, Abortf(ExitIllegalArgument, "worker account %s must have a BLS (or, in the devnet, secp256k1) key", a)
}

// resolveControls resolves control addresses (at most 10, each an account).
func (s *State) resolveControls(as []address.Address) ([]uint64, *Abort) {
	if len(as) > maxControlAddresses {
		return nil, Abortf(ExitIllegalArgument, "control addresses length %d exceeds max control addresses length %d", len(as), maxControlAddresses)
	}
	var ids []uint64
	for _, a := range as {
		id, ab := s.resolveAccount(a, "control")
		if ab != nil {
			return nil, ab
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// checkPeerInfo checks a peer ID and multiaddrs against the network's
// limits.
func checkPeerInfo(peer []byte, addrs [][]byte) *Abort {
	if len(peer) > maxPeerIDLength {
		return Abortf(ExitIllegalArgument, "peer ID size of %d exceeds maximum size of %d", len(peer), maxPeerIDLength)
	}
	total := 0
	for _, a := range addrs {
		if len(a) == 0 {
			return Abortf(ExitIllegalArgument, "invalid empty multiaddr")
		}
		total += len(a)
	}
	if total > maxMultiaddrData {
		return Abortf(ExitIllegalArgument, "multiaddr size of %d exceeds maximum of %d", total, maxMultiaddrData)
	}
	return nil
}

// provingPeriodOffset is the network's assign_proving_period_offset: the
// first 8 bytes, big-endian, of blake2b-256 over the CBOR of the miner's ID
// address and the creation epoch (i64 big-endian), modulo the proving
// period.
func (p Policy) provingPeriodOffset(id uint64, epoch int64) int64 {
	var buf bytes.Buffer
	a := IDAddress(id)
	_ = a.MarshalCBOR(&buf) // an ID address always encodes
	var e [8]byte
	binary.BigEndian.PutUint64(e[:], uint64(epoch))
	buf.Write(e[:])
	d := blake2b.Sum256(buf.Bytes())
	return int64(binary.BigEndian.Uint64(d[:8]) % uint64(p.ProvingPeriod()))
}

// newMiner is the miner constructor: it checks what CreateMiner passes on
// and returns the new miner's state, changing nothing. The window PoSt
// proof must be a V1_1 type (10..14); the devnet enables every size. The
// partition size is Policy.WindowPoStPartitionSectors.
func (s *State) newMiner(env *Env, id uint64, p *actors.CreateMinerParams) (*Miner, *Abort) {
	if ab := checkPeerInfo(p.Peer, p.Multiaddrs); ab != nil {
		return nil, ab
	}
	if p.WindowPoStProofType < proof.StackedDrgWindow2KiBV1_1 || p.WindowPoStProofType > proof.StackedDrgWindow64GiBV1_1 {
		return nil, Abortf(ExitIllegalArgument, "proof type %d not allowed for new miner actors", int64(p.WindowPoStProofType))
	}
	size, err := p.WindowPoStProofType.SectorSize()
	if err != nil {
		return nil, Abortf(ExitIllegalArgument, "proof type %d: %v", int64(p.WindowPoStProofType), err)
	}
	owner, ab := s.resolveAccount(p.Owner, "owner")
	if ab != nil {
		return nil, ab
	}
	worker, ab := s.resolveWorker(p.Worker)
	if ab != nil {
		return nil, ab
	}
	pol := s.Policy
	offset := pol.provingPeriodOffset(id, env.Epoch)
	start := quantizeDown(env.Epoch, pol.ProvingPeriod(), offset)
	m := &Miner{
		Info: MinerConfig{
			Owner:                      owner,
			Worker:                     worker,
			PeerID:                     append([]byte(nil), p.Peer...),
			WindowPoStProofType:        p.WindowPoStProofType,
			SectorSize:                 size,
			WindowPoStPartitionSectors: pol.WindowPoStPartitionSectors,
		},
		ProvingPeriodStart: start,
		CurrentDeadline:    uint64((env.Epoch - start) / pol.WPoStChallengeWindow),
		PreCommits:         map[uint64]*types.SectorPreCommitOnChainInfo{},
		Sectors:            map[uint64]*types.SectorOnChainInfo{},
		Deadlines:          make([]*MinerDeadline, pol.WPoStPeriodDeadlines),
	}
	for _, a := range p.Multiaddrs {
		m.Info.Multiaddrs = append(m.Info.Multiaddrs, append([]byte(nil), a...))
	}
	for i := range m.Deadlines {
		m.Deadlines[i] = &MinerDeadline{}
	}
	return m, nil
}

// minerMethod serves miner actors. Removed methods (6, 7, 8, 25, 26, 27,
// 29, 33) answer ExitUnhandledMessage as the network does; so do the live
// methods the devnet does not implement (consensus faults, disputes,
// compaction, owner and beneficiary changes, replica updates, NI-PoRep).
func (s *State) minerMethod(c *Call) ([]byte, *Abort) {
	m := s.Miners[c.Receiver]
	if m == nil {
		return nil, Abortf(ExitIllegalState, "miner f0%d has no state", c.Receiver)
	}
	switch actors.MethodNum(c.Method) {
	case actors.MinerConstructor:
		return nil, Abortf(ExitForbidden, "miner constructor: caller f0%d is not the init actor", c.Caller)
	case actors.MinerControlAddresses:
		return s.minerControlAddresses(c, m)
	case actors.MinerChangeWorkerAddress, actors.MinerChangeWorkerAddressExported:
		return s.minerChangeWorkerAddress(c, m)
	case actors.MinerConfirmChangeWorkerAddress, actors.MinerConfirmChangeWorkerAddressExported:
		return s.minerConfirmChangeWorkerAddress(c, m)
	case actors.MinerChangePeerID, actors.MinerChangePeerIDExported:
		return s.minerChangePeerID(c, m)
	case actors.MinerChangeMultiaddrs, actors.MinerChangeMultiaddrsExported:
		return s.minerChangeMultiaddrs(c, m)
	case actors.MinerIsControllingAddressExported:
		return s.minerIsControllingAddress(c, m)
	case actors.MinerWithdrawBalance, actors.MinerWithdrawBalanceExported:
		return s.minerWithdrawBalance(c, m)
	case actors.MinerSubmitWindowedPoSt:
		return s.minerSubmitWindowedPoSt(c, m)
	case actors.MinerDeclareFaults:
		return s.minerDeclareFaults(c, m)
	case actors.MinerDeclareFaultsRecovered:
		return s.minerDeclareFaultsRecovered(c, m)
	case actors.MinerTerminateSectors:
		return s.minerTerminateSectors(c, m)
	case actors.MinerPreCommitSectorBatch2:
		return s.minerPreCommitSectorBatch2(c, m)
	case actors.MinerProveCommitSectors3:
		return s.minerProveCommitSectors3(c, m)
	case actors.MinerExtendSectorExpiration2:
		return s.minerExtendSectorExpiration2(c, m)
	case actors.MinerOnDeferredCronEvent, actors.MinerCheckSectorProven, actors.MinerApplyRewards,
		actors.MinerInternalSectorSetupForPreseal:
		return nil, Abortf(ExitForbidden, "miner method %d: caller f0%d is not the builtin actor that calls it", c.Method, c.Caller)
	}
	if name, removed := actors.RemovedMinerMethod(actors.MethodNum(c.Method)); removed {
		return nil, Abortf(ExitUnhandledMessage, "invalid method %d (%s was removed)", c.Method, name)
	}
	return nil, Abortf(ExitUnhandledMessage, "invalid method %d for miner actor", c.Method)
}

// minerByAddress resolves a view's miner address.
func (s *State) minerByAddress(a address.Address) (uint64, *Miner, error) {
	id, err := s.Lookup(a)
	if err != nil {
		return 0, nil, err
	}
	m := s.Miners[id]
	if s.Actors[id].Kind != KindMiner || m == nil {
		return 0, nil, errNotMiner(a)
	}
	return id, m, nil
}
