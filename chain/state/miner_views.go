package state

import (
	"fmt"
	"sort"

	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
)

// The miner views answer the chain API's StateMiner* and StateSector*
// methods with Lotus's shapes. Each takes any address of the miner (ID or
// robust) and fails with ErrActorNotFound or ErrNotMiner; what they
// return shares nothing mutable with the state.

func errNotMiner(a address.Address) error { return fmt.Errorf("%s: %w", a, ErrNotMiner) }

// MinerInfo is StateMinerInfo's answer. With no worker change pending
// NewWorker is undefined and WorkerChangeEpoch -1; the beneficiary is the
// owner with an empty term, nothing is pending, and there has been no
// consensus fault (ConsensusFaultElapsed -1).
func (s *State) MinerInfo(a address.Address) (types.MinerInfo, error) {
	_, m, err := s.minerByAddress(a)
	if err != nil {
		return types.MinerInfo{}, err
	}
	in := m.Info
	info := types.MinerInfo{
		Owner:                      IDAddress(in.Owner),
		Worker:                     IDAddress(in.Worker),
		ControlAddresses:           idAddresses(in.ControlAddresses),
		WorkerChangeEpoch:          -1,
		WindowPoStProofType:        in.WindowPoStProofType,
		SectorSize:                 in.SectorSize,
		WindowPoStPartitionSectors: in.WindowPoStPartitionSectors,
		ConsensusFaultElapsed:      -1,
		Beneficiary:                IDAddress(in.Owner),
		BeneficiaryTerm:            &types.BeneficiaryTerm{},
	}
	if k := in.PendingWorkerKey; k != nil {
		info.NewWorker = IDAddress(k.NewWorker)
		info.WorkerChangeEpoch = k.EffectiveAt
	}
	if len(in.PeerID) > 0 {
		if pid, err := types.PeerIDFromBytes(in.PeerID); err == nil {
			info.PeerId = &pid
		}
	}
	for _, ma := range in.Multiaddrs {
		info.Multiaddrs = append(info.Multiaddrs, append([]byte(nil), ma...))
	}
	return info, nil
}

// ProvingDeadline is StateMinerProvingDeadline's answer: the miner's
// deadline open at epoch.
func (s *State) ProvingDeadline(a address.Address, epoch int64) (*types.DeadlineInfo, error) {
	_, m, err := s.minerByAddress(a)
	if err != nil {
		return nil, err
	}
	dl := s.Policy.currentDeadline(m.ProvingPeriodStart, epoch).NextNotElapsed()
	return &dl, nil
}

// Deadlines is StateMinerDeadlines's answer: one entry per deadline with
// the partitions proven in its current window (no proof is disputable
// and there is no daily fee in the devnet).
func (s *State) Deadlines(a address.Address) ([]types.Deadline, error) {
	_, m, err := s.minerByAddress(a)
	if err != nil {
		return nil, err
	}
	out := make([]types.Deadline, len(m.Deadlines))
	for i, d := range m.Deadlines {
		out[i] = types.Deadline{PostSubmissions: d.PartitionsPoSted, DailyFee: big.TokenAmount{}}
	}
	return out, nil
}

// Partitions is StateMinerPartitions's answer for deadline dl (an error
// when out of range).
func (s *State) Partitions(a address.Address, dl uint64) ([]types.Partition, error) {
	_, m, err := s.minerByAddress(a)
	if err != nil {
		return nil, err
	}
	if dl >= uint64(len(m.Deadlines)) {
		return nil, fmt.Errorf("deadline %d out of range (%d deadlines)", dl, len(m.Deadlines))
	}
	ps := m.Deadlines[dl].Partitions
	out := make([]types.Partition, len(ps))
	for i, p := range ps {
		out[i] = types.Partition{
			AllSectors:        p.Sectors,
			FaultySectors:     p.Faults,
			RecoveringSectors: p.Recoveries,
			LiveSectors:       p.live(),
			ActiveSectors:     p.active(),
		}
	}
	return out, nil
}

// Sectors is StateMinerSectors's answer: the miner's live sectors in
// number order, only those in filter when it is not nil.
func (s *State) Sectors(a address.Address, filter *bitfield.BitField) ([]*types.SectorOnChainInfo, error) {
	_, m, err := s.minerByAddress(a)
	if err != nil {
		return nil, err
	}
	nums := make([]uint64, 0, len(m.Sectors))
	for n := range m.Sectors {
		if filter == nil || filter.IsSet(n) {
			nums = append(nums, n)
		}
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	out := make([]*types.SectorOnChainInfo, len(nums))
	for i, n := range nums {
		out[i] = copySector(m.Sectors[n])
	}
	return out, nil
}

// SectorInfo is StateSectorGetInfo's answer: nil when the miner has no such
// live sector.
func (s *State) SectorInfo(a address.Address, n uint64) (*types.SectorOnChainInfo, error) {
	_, m, err := s.minerByAddress(a)
	if err != nil {
		return nil, err
	}
	if si := m.Sectors[n]; si != nil {
		return copySector(si), nil
	}
	return nil, nil
}

// PreCommitInfo is StateSectorPreCommitInfo's answer: nil when the sector
// is not pre-committed.
func (s *State) PreCommitInfo(a address.Address, n uint64) (*types.SectorPreCommitOnChainInfo, error) {
	_, m, err := s.minerByAddress(a)
	if err != nil {
		return nil, err
	}
	pc := m.PreCommits[n]
	if pc == nil {
		return nil, nil
	}
	c := *pc
	c.Info.DealIDs = append([]uint64(nil), pc.Info.DealIDs...)
	if pc.Info.DealIDs == nil {
		c.Info.DealIDs = nil
	}
	if pc.Info.UnsealedCid != nil {
		u := *pc.Info.UnsealedCid
		c.Info.UnsealedCid = &u
	}
	return &c, nil
}

// Faults is StateMinerFaults's answer: every faulty sector of the miner.
func (s *State) Faults(a address.Address) (bitfield.BitField, error) {
	return s.minerSectorSet(a, func(p *MinerPartition) bitfield.BitField { return p.Faults })
}

// Recoveries is StateMinerRecoveries's answer: every sector declared
// recovered and not yet proven.
func (s *State) Recoveries(a address.Address) (bitfield.BitField, error) {
	return s.minerSectorSet(a, func(p *MinerPartition) bitfield.BitField { return p.Recoveries })
}

func (s *State) minerSectorSet(a address.Address, f func(*MinerPartition) bitfield.BitField) (bitfield.BitField, error) {
	_, m, err := s.minerByAddress(a)
	if err != nil {
		return bitfield.BitField{}, err
	}
	var sets []bitfield.BitField
	for _, d := range m.Deadlines {
		for _, p := range d.Partitions {
			sets = append(sets, f(p))
		}
	}
	return bitfield.Union(sets...), nil
}

// InitialPledge is StateMinerInitialPledgeCollateral's answer for a sector
// the miner might pre-commit: the pledge it would lock when proven, times
// 110/100 as Lotus overestimates it. The seal proof must be one the miner
// can pre-commit.
func (s *State) InitialPledge(a address.Address, pci types.SectorPreCommitInfo) (big.TokenAmount, error) {
	_, m, err := s.minerByAddress(a)
	if err != nil {
		return big.TokenAmount{}, err
	}
	if ab := m.checkSealProof(pci.SealProof); ab != nil {
		return big.TokenAmount{}, fmt.Errorf("initial pledge: %s", ab.Msg)
	}
	p := s.Policy.initialPledge(m.Info.SectorSize)
	return big.TokenAmount{Int: p.Mul(big.NewInt(110)).Int.Div(big.NewInt(100))}, nil
}

// copySector copies a sector info, sharing nothing mutable.
func copySector(si *types.SectorOnChainInfo) *types.SectorOnChainInfo {
	c := *si
	c.DeprecatedDealIDs = append([]uint64(nil), si.DeprecatedDealIDs...)
	if si.DeprecatedDealIDs == nil {
		c.DeprecatedDealIDs = nil
	}
	for _, p := range []**big.TokenAmount{&c.ExpectedDayReward, &c.ExpectedStoragePledge, &c.ReplacedDayReward} {
		if *p != nil {
			v := **p
			*p = &v
		}
	}
	if si.SectorKeyCID != nil {
		k := *si.SectorKeyCID
		c.SectorKeyCID = &k
	}
	return &c
}
