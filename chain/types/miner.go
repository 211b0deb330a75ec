package types

import (
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/proof"
)

// MinerInfo is a miner's configuration (lotus api.MinerInfo), the answer of
// StateMinerInfo; never null.
//
// With no pending worker change NewWorker is Undef (JSON "<empty>") and
// WorkerChangeEpoch -1. PeerId is null when unset or unparsable;
// PendingOwnerAddress and PendingBeneficiaryTerm are null when nothing is
// pending; ControlAddresses may be null.
type MinerInfo struct {
	Owner             address.Address // ID address
	Worker            address.Address // ID address
	NewWorker         address.Address // ID address or Undef
	ControlAddresses  []address.Address
	WorkerChangeEpoch int64
	PeerId            *PeerID
	// Multiaddrs are binary multiaddrs; base64 strings in JSON.
	Multiaddrs                 [][]byte
	WindowPoStProofType        proof.PoStProof
	SectorSize                 proof.SectorSize
	WindowPoStPartitionSectors uint64
	// ConsensusFaultElapsed is the epoch at which the miner's last
	// consensus fault penalty ends (-1 if none).
	ConsensusFaultElapsed  int64
	PendingOwnerAddress    *address.Address
	Beneficiary            address.Address
	BeneficiaryTerm        *BeneficiaryTerm
	PendingBeneficiaryTerm *PendingBeneficiaryChange
}

// BeneficiaryTerm limits what a miner's beneficiary may withdraw
// (go-state-types miner.BeneficiaryTerm).
type BeneficiaryTerm struct {
	Quota      big.TokenAmount
	UsedQuota  big.TokenAmount
	Expiration int64
}

// PendingBeneficiaryChange is a proposed beneficiary change awaiting
// approval (go-state-types miner.PendingBeneficiaryChange).
type PendingBeneficiaryChange struct {
	NewBeneficiary        address.Address
	NewQuota              big.TokenAmount
	NewExpiration         int64
	ApprovedByBeneficiary bool
	ApprovedByNominee     bool
}

// MinerPower is a miner's and the network's power (lotus api.MinerPower).
type MinerPower struct {
	MinerPower Claim
	TotalPower Claim
	// HasMinPower reports whether the miner meets the consensus minimum
	// and so may win blocks.
	HasMinPower bool
}

// Claim is an amount of storage power in bytes (go-state-types power.Claim).
type Claim struct {
	RawBytePower    big.Int
	QualityAdjPower big.Int
}

// DeadlineInfo locates a miner's WindowPoSt deadline in time (go-state-types
// dline.Info), the answer of StateMinerProvingDeadline. Every field is an
// epoch except Index and WPoStPeriodDeadlines.
type DeadlineInfo struct {
	CurrentEpoch int64  // the epoch this info was computed at
	PeriodStart  int64  // first epoch of the proving period (may be in the future)
	Index        uint64 // deadline index in [0, WPoStPeriodDeadlines)
	Open         int64  // first epoch proofs may be submitted
	Close        int64  // first epoch proofs may no longer be submitted
	Challenge    int64  // epoch of the challenge randomness
	FaultCutoff  int64  // first epoch faults can no longer be declared for this deadline

	// Protocol constants, as the miner actor uses them.
	WPoStPeriodDeadlines   uint64
	WPoStProvingPeriod     int64
	WPoStChallengeWindow   int64
	WPoStChallengeLookback int64
	FaultDeclarationCutoff int64
}

// DeadlineParams are the WindowPoSt constants a DeadlineInfo is computed from.
type DeadlineParams struct {
	PeriodDeadlines        uint64 // deadlines per proving period
	ProvingPeriod          int64  // epochs per proving period
	ChallengeWindow        int64  // epochs per deadline
	ChallengeLookback      int64  // epochs from challenge to open
	FaultDeclarationCutoff int64  // epochs before open that faults close
}

// MainnetDeadlineParams returns mainnet's WindowPoSt constants: 48
// deadlines of 60 epochs in a 2880-epoch period, lookback 20, fault cutoff 70.
func MainnetDeadlineParams() DeadlineParams {
	return DeadlineParams{
		PeriodDeadlines:        48,
		ProvingPeriod:          2880,
		ChallengeWindow:        60,
		ChallengeLookback:      20,
		FaultDeclarationCutoff: 70,
	}
}

// NewDeadlineInfo computes deadline number index of the proving period starting
// at periodStart, seen at currentEpoch (go-state-types dline.NewInfo). An
// index past the last deadline gives an empty deadline right after the
// period, as the actor does.
func NewDeadlineInfo(periodStart int64, index uint64, currentEpoch int64, p DeadlineParams) DeadlineInfo {
	d := DeadlineInfo{
		CurrentEpoch:           currentEpoch,
		PeriodStart:            periodStart,
		Index:                  index,
		WPoStPeriodDeadlines:   p.PeriodDeadlines,
		WPoStProvingPeriod:     p.ProvingPeriod,
		WPoStChallengeWindow:   p.ChallengeWindow,
		WPoStChallengeLookback: p.ChallengeLookback,
		FaultDeclarationCutoff: p.FaultDeclarationCutoff,
	}
	if index >= p.PeriodDeadlines {
		after := periodStart + p.ProvingPeriod
		d.Open, d.Close, d.Challenge = after, after, after
		return d
	}
	d.Open = periodStart + int64(index)*p.ChallengeWindow
	d.Close = d.Open + p.ChallengeWindow
	d.Challenge = d.Open - p.ChallengeLookback
	d.FaultCutoff = d.Open - p.FaultDeclarationCutoff
	return d
}

func (d DeadlineInfo) params() DeadlineParams {
	return DeadlineParams{
		PeriodDeadlines:        d.WPoStPeriodDeadlines,
		ProvingPeriod:          d.WPoStProvingPeriod,
		ChallengeWindow:        d.WPoStChallengeWindow,
		ChallengeLookback:      d.WPoStChallengeLookback,
		FaultDeclarationCutoff: d.FaultDeclarationCutoff,
	}
}

// PeriodStarted reports whether the proving period has begun.
func (d DeadlineInfo) PeriodStarted() bool { return d.CurrentEpoch >= d.PeriodStart }

// NextPeriodStart returns the first epoch of the next proving period.
func (d DeadlineInfo) NextPeriodStart() int64 { return d.PeriodStart + d.WPoStProvingPeriod }

// IsOpen reports whether proofs for the deadline may be submitted now.
func (d DeadlineInfo) IsOpen() bool { return d.CurrentEpoch >= d.Open && d.CurrentEpoch < d.Close }

// HasElapsed reports whether the deadline has closed.
func (d DeadlineInfo) HasElapsed() bool { return d.CurrentEpoch >= d.Close }

// FaultCutoffPassed reports whether faults can no longer be declared.
func (d DeadlineInfo) FaultCutoffPassed() bool { return d.CurrentEpoch >= d.FaultCutoff }

// Last returns the deadline's last open epoch.
func (d DeadlineInfo) Last() int64 { return d.Close - 1 }

// NextNotElapsed returns d if it has not closed, else the same deadline in
// the first later proving period in which it has not.
func (d DeadlineInfo) NextNotElapsed() DeadlineInfo {
	if !d.HasElapsed() || d.WPoStProvingPeriod <= 0 {
		return d
	}
	periods := 1 + (d.CurrentEpoch-d.Close)/d.WPoStProvingPeriod
	return NewDeadlineInfo(d.PeriodStart+periods*d.WPoStProvingPeriod, d.Index, d.CurrentEpoch, d.params())
}
