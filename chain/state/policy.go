package state

import (
	"fmt"

	"github.com/strata-sp/strata/fil/big"
)

// Policy holds the protocol constants the actors use. MainnetPolicy has
// the network's values (go-state-types builtin/v17 miner policy and
// builtin/network.go, research/primitives.md §4); a devnet scales the
// epoch counts down so that proving periods pass in seconds.
type Policy struct {
	// PreCommitChallengeDelay is the wait, after a pre-commit, before the
	// interactive seed can be drawn and the sector proven.
	PreCommitChallengeDelay int64
	// MaxProveCommitDuration is how long a pre-commit may wait for its
	// prove-commit before it expires and its deposit is burned.
	MaxProveCommitDuration int64
	// MaxPreCommitRandomnessLookback bounds how old a pre-commit's seal
	// randomness epoch may be.
	MaxPreCommitRandomnessLookback int64
	// WPoStPeriodDeadlines is the number of deadlines in a proving period;
	// WPoStChallengeWindow the epochs of one deadline. The proving period
	// is their product.
	WPoStPeriodDeadlines uint64
	WPoStChallengeWindow int64
	// WPoStChallengeLookback is how long before a deadline opens its
	// challenge randomness is drawn.
	WPoStChallengeLookback int64
	// FaultDeclarationCutoff is how long before a deadline opens faults
	// and recoveries for it may no longer be declared.
	FaultDeclarationCutoff int64
	// FaultMaxAge is how long a sector may stay faulty before it is
	// terminated.
	FaultMaxAge int64
	// WindowPoStPartitionSectors is the number of sectors in a partition
	// (the network's is per proof type: 2349 for 32 GiB, 2 for the small
	// test sizes; a devnet may use 2349 for every size).
	WindowPoStPartitionSectors uint64
	// MinSectorExpiration and MaxSectorExpirationExtension bound a
	// sector's lifetime from its activation.
	MinSectorExpiration          int64
	MaxSectorExpirationExtension int64
	// PreCommitSectorBatchMaxSize bounds the sectors of one
	// PreCommitSectorBatch2 (and of one ProveCommitSectors3).
	PreCommitSectorBatchMaxSize int
	// DealMinDuration and DealMaxDuration bound a deal's duration.
	DealMinDuration int64
	DealMaxDuration int64
	// ChainFinality is the depth after which the chain does not revert.
	ChainFinality int64

	// Simplified amounts (the network computes these from reward and power
	// estimates; the devnet charges fixed amounts per 32 GiB of sector,
	// scaled to the sector size, at least 1 attoFIL).
	PreCommitDepositPer32GiB big.TokenAmount
	InitialPledgePer32GiB    big.TokenAmount
	// DealProviderCollateralMinPerGiB is the minimum provider collateral
	// per GiB of deal (StateDealProviderCollateralBounds's Min); Max is
	// 100x Min.
	DealProviderCollateralMinPerGiB big.TokenAmount
}

// Epochs per day on the network (30 s epochs).
const EpochsPerDay = 2880

// MainnetPolicy returns the network's constants.
func MainnetPolicy() Policy {
	return Policy{
		PreCommitChallengeDelay:         150,
		MaxProveCommitDuration:          30*EpochsPerDay + 150,
		MaxPreCommitRandomnessLookback:  EpochsPerDay + 900,
		WPoStPeriodDeadlines:            48,
		WPoStChallengeWindow:            60,
		WPoStChallengeLookback:          20,
		FaultDeclarationCutoff:          70,
		FaultMaxAge:                     42 * EpochsPerDay,
		WindowPoStPartitionSectors:      2349,
		MinSectorExpiration:             180 * EpochsPerDay,
		MaxSectorExpirationExtension:    1278 * EpochsPerDay,
		PreCommitSectorBatchMaxSize:     256,
		DealMinDuration:                 180 * EpochsPerDay,
		DealMaxDuration:                 1278 * EpochsPerDay,
		ChainFinality:                   900,
		PreCommitDepositPer32GiB:        big.MustParseTokenAmount("0.1 FIL"),
		InitialPledgePer32GiB:           big.MustParseTokenAmount("0.2 FIL"),
		DealProviderCollateralMinPerGiB: big.MustParseTokenAmount("0.0001 FIL"),
	}
}

// DevnetPolicy returns the devnet's default constants: the network's
// structure with epoch counts scaled down so that at a 1 s block time a
// sector is provable 10 s after its pre-commit and a proving period lasts
// a minute (4 deadlines of 15 epochs), with partitions of 128 sectors.
func DevnetPolicy() Policy {
	p := MainnetPolicy()
	p.PreCommitChallengeDelay = 10
	p.MaxProveCommitDuration = 600
	p.MaxPreCommitRandomnessLookback = 600
	p.WPoStPeriodDeadlines = 4
	p.WPoStChallengeWindow = 15
	p.WPoStChallengeLookback = 3
	p.FaultDeclarationCutoff = 5
	p.FaultMaxAge = 3 * 60 // three proving periods
	p.MinSectorExpiration = 600
	p.MaxSectorExpirationExtension = 100 * EpochsPerDay
	p.DealMinDuration = 600
	p.ChainFinality = 20
	// The built-in engine's WindowPoSt is vanilla: Merkle paths, about
	// 5.3 KB per 2 KiB sector where the network's SNARK is 192 bytes per
	// partition. A partition is proven in one message, whose CBOR a
	// wallet signs up to 1 MiB of (and whose params Lotus bounds at
	// 2 MiB): 128 sectors, about 680 KB of proof, fit.
	p.WindowPoStPartitionSectors = 128
	return p
}

// ProvingPeriod is the length of a proving period in epochs.
func (p Policy) ProvingPeriod() int64 {
	return int64(p.WPoStPeriodDeadlines) * p.WPoStChallengeWindow
}

// Validate checks that the constants make a workable chain.
func (p Policy) Validate() error {
	switch {
	case p.WPoStPeriodDeadlines < 1 || p.WPoStPeriodDeadlines > 48:
		return fmt.Errorf("policy: %d deadlines per proving period, want 1..48", p.WPoStPeriodDeadlines)
	case p.WPoStChallengeWindow < 2:
		return fmt.Errorf("policy: challenge window of %d epochs, want at least 2", p.WPoStChallengeWindow)
	case p.WPoStChallengeLookback < 0 || p.FaultDeclarationCutoff < 0:
		return fmt.Errorf("policy: negative challenge lookback or fault cutoff")
	case p.FaultDeclarationCutoff <= p.WPoStChallengeLookback:
		return fmt.Errorf("policy: fault cutoff (%d) must exceed the challenge lookback (%d)", p.FaultDeclarationCutoff, p.WPoStChallengeLookback)
	case p.FaultDeclarationCutoff >= p.ProvingPeriod():
		return fmt.Errorf("policy: fault cutoff (%d) must be shorter than the proving period (%d)", p.FaultDeclarationCutoff, p.ProvingPeriod())
	case p.PreCommitChallengeDelay < 1 || p.MaxProveCommitDuration <= p.PreCommitChallengeDelay:
		return fmt.Errorf("policy: pre-commit challenge delay %d, max prove-commit duration %d", p.PreCommitChallengeDelay, p.MaxProveCommitDuration)
	case p.FaultMaxAge < p.ProvingPeriod():
		return fmt.Errorf("policy: fault max age %d is shorter than a proving period (%d)", p.FaultMaxAge, p.ProvingPeriod())
	case p.WindowPoStPartitionSectors < 1:
		return fmt.Errorf("policy: partitions of %d sectors", p.WindowPoStPartitionSectors)
	case p.MinSectorExpiration < 1 || p.MaxSectorExpirationExtension < p.MinSectorExpiration:
		return fmt.Errorf("policy: sector expiration bounds %d..%d", p.MinSectorExpiration, p.MaxSectorExpirationExtension)
	case p.PreCommitSectorBatchMaxSize < 1:
		return fmt.Errorf("policy: pre-commit batches of %d", p.PreCommitSectorBatchMaxSize)
	case p.DealMinDuration < 1 || p.DealMaxDuration < p.DealMinDuration:
		return fmt.Errorf("policy: deal duration bounds %d..%d", p.DealMinDuration, p.DealMaxDuration)
	case p.ChainFinality < 1:
		return fmt.Errorf("policy: chain finality %d", p.ChainFinality)
	}
	return nil
}
