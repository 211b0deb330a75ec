package chain

import (
	"context"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/daemon"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
	"github.com/strata-sp/strata/fil/piece"
	ftypes "github.com/strata-sp/strata/fil/types"
)

// FullNodeStruct is API's proxy: each method's permission (Lotus's: write
// for MpoolPush, sign for MpoolPushMessage, read for the rest) and the
// client rpc.NewClient fills. Register an implementation with
// rpc.Server.Register(Namespace, impl, &(&FullNodeStruct{}).Internal);
// Version belongs to the daemon's Common API.
type FullNodeStruct struct {
	// Common is served by the daemon of the process (Version's BlockDelay
	// comes from daemon.Options).
	Common   daemon.CommonStruct
	Internal struct {
		ChainHead                         func(ctx context.Context) (*types.TipSet, error)                                                                                 `perm:"read"`
		ChainGetTipSetByHeight            func(ctx context.Context, h int64, tsk types.TipSetKey) (*types.TipSet, error)                                                   `perm:"read"`
		ChainNotify                       func(ctx context.Context) (<-chan []*types.HeadChange, error)                                                                    `perm:"read"`
		ChainGetMessage                   func(ctx context.Context, c cid.Cid) (*ftypes.Message, error)                                                                    `perm:"read"`
		ChainReadObj                      func(ctx context.Context, c cid.Cid) ([]byte, error)                                                                             `perm:"read"`
		MpoolPush                         func(ctx context.Context, m *ftypes.SignedMessage) (cid.Cid, error)                                                              `perm:"write"`
		MpoolGetNonce                     func(ctx context.Context, a address.Address) (uint64, error)                                                                     `perm:"read"`
		MpoolPushMessage                  func(ctx context.Context, m *ftypes.Message, spec *types.MessageSendSpec) (*ftypes.SignedMessage, error)                         `perm:"sign"`
		GasEstimateMessageGas             func(ctx context.Context, m *ftypes.Message, spec *types.MessageSendSpec, tsk types.TipSetKey) (*ftypes.Message, error)          `perm:"read"`
		StateWaitMsg                      func(ctx context.Context, c cid.Cid, confidence uint64, limit int64, allowReplaced bool) (*types.MsgLookup, error)               `perm:"read"`
		StateSearchMsg                    func(ctx context.Context, from types.TipSetKey, c cid.Cid, limit int64, allowReplaced bool) (*types.MsgLookup, error)            `perm:"read"`
		StateGetActor                     func(ctx context.Context, a address.Address, tsk types.TipSetKey) (*types.Actor, error)                                          `perm:"read"`
		StateLookupID                     func(ctx context.Context, a address.Address, tsk types.TipSetKey) (address.Address, error)                                       `perm:"read"`
		StateAccountKey                   func(ctx context.Context, a address.Address, tsk types.TipSetKey) (address.Address, error)                                       `perm:"read"`
		WalletBalance                     func(ctx context.Context, a address.Address) (big.TokenAmount, error)                                                            `perm:"read"`
		StateNetworkName                  func(ctx context.Context) (string, error)                                                                                        `perm:"read"`
		StateNetworkVersion               func(ctx context.Context, tsk types.TipSetKey) (types.NetworkVersion, error)                                                     `perm:"read"`
		StateGetRandomnessFromTickets     func(ctx context.Context, tag types.DomainSeparationTag, epoch int64, entropy []byte, tsk types.TipSetKey) ([]byte, error)       `perm:"read"`
		StateGetRandomnessFromBeacon      func(ctx context.Context, tag types.DomainSeparationTag, epoch int64, entropy []byte, tsk types.TipSetKey) ([]byte, error)       `perm:"read"`
		StateMinerInfo                    func(ctx context.Context, a address.Address, tsk types.TipSetKey) (types.MinerInfo, error)                                       `perm:"read"`
		StateMinerPower                   func(ctx context.Context, a address.Address, tsk types.TipSetKey) (*types.MinerPower, error)                                     `perm:"read"`
		StateMinerProvingDeadline         func(ctx context.Context, a address.Address, tsk types.TipSetKey) (*types.DeadlineInfo, error)                                   `perm:"read"`
		StateMinerDeadlines               func(ctx context.Context, a address.Address, tsk types.TipSetKey) ([]types.Deadline, error)                                      `perm:"read"`
		StateMinerPartitions              func(ctx context.Context, a address.Address, deadline uint64, tsk types.TipSetKey) ([]types.Partition, error)                    `perm:"read"`
		StateMinerSectors                 func(ctx context.Context, a address.Address, filter *bitfield.BitField, tsk types.TipSetKey) ([]*types.SectorOnChainInfo, error) `perm:"read"`
		StateSectorGetInfo                func(ctx context.Context, a address.Address, n uint64, tsk types.TipSetKey) (*types.SectorOnChainInfo, error)                    `perm:"read"`
		StateSectorPreCommitInfo          func(ctx context.Context, a address.Address, n uint64, tsk types.TipSetKey) (*types.SectorPreCommitOnChainInfo, error)           `perm:"read"`
		StateMinerFaults                  func(ctx context.Context, a address.Address, tsk types.TipSetKey) (bitfield.BitField, error)                                     `perm:"read"`
		StateMinerRecoveries              func(ctx context.Context, a address.Address, tsk types.TipSetKey) (bitfield.BitField, error)                                     `perm:"read"`
		StateMinerInitialPledgeCollateral func(ctx context.Context, a address.Address, pci types.SectorPreCommitInfo, tsk types.TipSetKey) (big.TokenAmount, error)        `perm:"read"`
		StateMarketStorageDeal            func(ctx context.Context, id uint64, tsk types.TipSetKey) (*types.MarketDeal, error)                                             `perm:"read"`
		StateMarketDeals                  func(ctx context.Context, tsk types.TipSetKey) (map[string]*types.MarketDeal, error)                                             `perm:"read"`
		StateMarketBalance                func(ctx context.Context, a address.Address, tsk types.TipSetKey) (types.MarketBalance, error)                                   `perm:"read"`
		StateDealProviderCollateralBounds func(ctx context.Context, size piece.PaddedSize, verified bool, tsk types.TipSetKey) (types.DealCollateralBounds, error)         `perm:"read"`
	}
}

var _ API = (*FullNodeStruct)(nil)

// Version implements API through the Common API every Strata daemon (and
// Lotus) serves.
func (s *FullNodeStruct) Version(ctx context.Context) (daemon.APIVersion, error) {
	return s.Common.Version(ctx)
}

// ChainHead implements API.
func (s *FullNodeStruct) ChainHead(ctx context.Context) (*types.TipSet, error) {
	return s.Internal.ChainHead(ctx)
}

// ChainGetTipSetByHeight implements API.
func (s *FullNodeStruct) ChainGetTipSetByHeight(ctx context.Context, h int64, tsk types.TipSetKey) (*types.TipSet, error) {
	return s.Internal.ChainGetTipSetByHeight(ctx, h, tsk)
}

// ChainNotify implements API.
func (s *FullNodeStruct) ChainNotify(ctx context.Context) (<-chan []*types.HeadChange, error) {
	return s.Internal.ChainNotify(ctx)
}

// ChainGetMessage implements API.
func (s *FullNodeStruct) ChainGetMessage(ctx context.Context, c cid.Cid) (*ftypes.Message, error) {
	return s.Internal.ChainGetMessage(ctx, c)
}

// ChainReadObj implements API.
func (s *FullNodeStruct) ChainReadObj(ctx context.Context, c cid.Cid) ([]byte, error) {
	return s.Internal.ChainReadObj(ctx, c)
}

// MpoolPush implements API.
func (s *FullNodeStruct) MpoolPush(ctx context.Context, m *ftypes.SignedMessage) (cid.Cid, error) {
	return s.Internal.MpoolPush(ctx, m)
}

// MpoolGetNonce implements API.
func (s *FullNodeStruct) MpoolGetNonce(ctx context.Context, a address.Address) (uint64, error) {
	return s.Internal.MpoolGetNonce(ctx, a)
}

// MpoolPushMessage implements API.
func (s *FullNodeStruct) MpoolPushMessage(ctx context.Context, m *ftypes.Message, spec *types.MessageSendSpec) (*ftypes.SignedMessage, error) {
	return s.Internal.MpoolPushMessage(ctx, m, spec)
}

// GasEstimateMessageGas implements API.
func (s *FullNodeStruct) GasEstimateMessageGas(ctx context.Context, m *ftypes.Message, spec *types.MessageSendSpec, tsk types.TipSetKey) (*ftypes.Message, error) {
	return s.Internal.GasEstimateMessageGas(ctx, m, spec, tsk)
}

// StateWaitMsg implements API.
func (s *FullNodeStruct) StateWaitMsg(ctx context.Context, c cid.Cid, confidence uint64, limit int64, allowReplaced bool) (*types.MsgLookup, error) {
	return s.Internal.StateWaitMsg(ctx, c, confidence, limit, allowReplaced)
}

// StateSearchMsg implements API.
func (s *FullNodeStruct) StateSearchMsg(ctx context.Context, from types.TipSetKey, c cid.Cid, limit int64, allowReplaced bool) (*types.MsgLookup, error) {
	return s.Internal.StateSearchMsg(ctx, from, c, limit, allowReplaced)
}

// StateGetActor implements API.
func (s *FullNodeStruct) StateGetActor(ctx context.Context, a address.Address, tsk types.TipSetKey) (*types.Actor, error) {
	return s.Internal.StateGetActor(ctx, a, tsk)
}

// StateLookupID implements API.
func (s *FullNodeStruct) StateLookupID(ctx context.Context, a address.Address, tsk types.TipSetKey) (address.Address, error) {
	return s.Internal.StateLookupID(ctx, a, tsk)
}

// StateAccountKey implements API.
func (s *FullNodeStruct) StateAccountKey(ctx context.Context, a address.Address, tsk types.TipSetKey) (address.Address, error) {
	return s.Internal.StateAccountKey(ctx, a, tsk)
}

// WalletBalance implements API.
func (s *FullNodeStruct) WalletBalance(ctx context.Context, a address.Address) (big.TokenAmount, error) {
	return s.Internal.WalletBalance(ctx, a)
}

// StateNetworkName implements API.
func (s *FullNodeStruct) StateNetworkName(ctx context.Context) (string, error) {
	return s.Internal.StateNetworkName(ctx)
}

// StateNetworkVersion implements API.
func (s *FullNodeStruct) StateNetworkVersion(ctx context.Context, tsk types.TipSetKey) (types.NetworkVersion, error) {
	return s.Internal.StateNetworkVersion(ctx, tsk)
}

// StateGetRandomnessFromTickets implements API.
func (s *FullNodeStruct) StateGetRandomnessFromTickets(ctx context.Context, tag types.DomainSeparationTag, epoch int64, entropy []byte, tsk types.TipSetKey) ([]byte, error) {
	return s.Internal.StateGetRandomnessFromTickets(ctx, tag, epoch, entropy, tsk)
}

// StateGetRandomnessFromBeacon implements API.
func (s *FullNodeStruct) StateGetRandomnessFromBeacon(ctx context.Context, tag types.DomainSeparationTag, epoch int64, entropy []byte, tsk types.TipSetKey) ([]byte, error) {
	return s.Internal.StateGetRandomnessFromBeacon(ctx, tag, epoch, entropy, tsk)
}

// StateMinerInfo implements API.
func (s *FullNodeStruct) StateMinerInfo(ctx context.Context, a address.Address, tsk types.TipSetKey) (types.MinerInfo, error) {
	return s.Internal.StateMinerInfo(ctx, a, tsk)
}

// StateMinerPower implements API.
func (s *FullNodeStruct) StateMinerPower(ctx context.Context, a address.Address, tsk types.TipSetKey) (*types.MinerPower, error) {
	return s.Internal.StateMinerPower(ctx, a, tsk)
}

// StateMinerProvingDeadline implements API.
func (s *FullNodeStruct) StateMinerProvingDeadline(ctx context.Context, a address.Address, tsk types.TipSetKey) (*types.DeadlineInfo, error) {
	return s.Internal.StateMinerProvingDeadline(ctx, a, tsk)
}

// StateMinerDeadlines implements API.
func (s *FullNodeStruct) StateMinerDeadlines(ctx context.Context, a address.Address, tsk types.TipSetKey) ([]types.Deadline, error) {
	return s.Internal.StateMinerDeadlines(ctx, a, tsk)
}

// StateMinerPartitions implements API.
func (s *FullNodeStruct) StateMinerPartitions(ctx context.Context, a address.Address, deadline uint64, tsk types.TipSetKey) ([]types.Partition, error) {
	return s.Internal.StateMinerPartitions(ctx, a, deadline, tsk)
}

// StateMinerSectors implements API.
func (s *FullNodeStruct) StateMinerSectors(ctx context.Context, a address.Address, filter *bitfield.BitField, tsk types.TipSetKey) ([]*types.SectorOnChainInfo, error) {
	return s.Internal.StateMinerSectors(ctx, a, filter, tsk)
}

// StateSectorGetInfo implements API.
func (s *FullNodeStruct) StateSectorGetInfo(ctx context.Context, a address.Address, n uint64, tsk types.TipSetKey) (*types.SectorOnChainInfo, error) {
	return s.Internal.StateSectorGetInfo(ctx, a, n, tsk)
}

// StateSectorPreCommitInfo implements API.
func (s *FullNodeStruct) StateSectorPreCommitInfo(ctx context.Context, a address.Address, n uint64, tsk types.TipSetKey) (*types.SectorPreCommitOnChainInfo, error) {
	return s.Internal.StateSectorPreCommitInfo(ctx, a, n, tsk)
}

// StateMinerFaults implements API.
func (s *FullNodeStruct) StateMinerFaults(ctx context.Context, a address.Address, tsk types.TipSetKey) (bitfield.BitField, error) {
	return s.Internal.StateMinerFaults(ctx, a, tsk)
}

// StateMinerRecoveries implements API.
func (s *FullNodeStruct) StateMinerRecoveries(ctx context.Context, a address.Address, tsk types.TipSetKey) (bitfield.BitField, error) {
	return s.Internal.StateMinerRecoveries(ctx, a, tsk)
}

// StateMinerInitialPledgeCollateral implements API.
func (s *FullNodeStruct) StateMinerInitialPledgeCollateral(ctx context.Context, a address.Address, pci types.SectorPreCommitInfo, tsk types.TipSetKey) (big.TokenAmount, error) {
	return s.Internal.StateMinerInitialPledgeCollateral(ctx, a, pci, tsk)
}

// StateMarketStorageDeal implements API.
func (s *FullNodeStruct) StateMarketStorageDeal(ctx context.Context, id uint64, tsk types.TipSetKey) (*types.MarketDeal, error) {
	return s.Internal.StateMarketStorageDeal(ctx, id, tsk)
}

// StateMarketDeals implements API.
func (s *FullNodeStruct) StateMarketDeals(ctx context.Context, tsk types.TipSetKey) (map[string]*types.MarketDeal, error) {
	return s.Internal.StateMarketDeals(ctx, tsk)
}

// StateMarketBalance implements API.
func (s *FullNodeStruct) StateMarketBalance(ctx context.Context, a address.Address, tsk types.TipSetKey) (types.MarketBalance, error) {
	return s.Internal.StateMarketBalance(ctx, a, tsk)
}

// StateDealProviderCollateralBounds implements API.
func (s *FullNodeStruct) StateDealProviderCollateralBounds(ctx context.Context, size piece.PaddedSize, verified bool, tsk types.TipSetKey) (types.DealCollateralBounds, error) {
	return s.Internal.StateDealProviderCollateralBounds(ctx, size, verified, tsk)
}
