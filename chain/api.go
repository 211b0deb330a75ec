// Package chain is how every Strata process talks to a Filecoin chain: API
// is the part of Lotus's full-node JSON-RPC API v1 ("Filecoin.*") that
// Strata uses, with Lotus's method names, parameters and JSON
// (research/lotus-api-v1.md), so the same code runs against a Lotus or
// Venus node (FULLNODE_API_INFO) and against Strata's embedded devnet
// (chain/devnet), which serves this API.
//
// NewClient dials any endpoint speaking it. FullNodeStruct is the proxy a
// server registers an implementation with (rpc.Server.Register under the
// "Filecoin" namespace) and that NewClient fills.
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

// Namespace is the JSON-RPC namespace of the full-node API.
const Namespace = "Filecoin"

// API is the full-node API Strata depends on. Every method that takes a
// TipSetKey reads the parent state of that tipset, as Lotus does; the empty
// key means the head. Not-found answers follow Lotus: StateSearchMsg,
// StateSectorGetInfo and StateSectorPreCommitInfo return nil without an
// error; the others return an error.
type API interface {
	// Version is the node's version; BlockDelay is the block time in
	// seconds.
	Version(ctx context.Context) (daemon.APIVersion, error)

	ChainHead(ctx context.Context) (*types.TipSet, error)
	// ChainGetTipSetByHeight returns the tipset at height h on the chain
	// ending at tsk, or the last one before h when h is a null round.
	ChainGetTipSetByHeight(ctx context.Context, h int64, tsk types.TipSetKey) (*types.TipSet, error)
	// ChainNotify sends the head first ([{"current", head}]), then batches
	// of reverts and applies. WebSocket only.
	ChainNotify(ctx context.Context) (<-chan []*types.HeadChange, error)
	ChainGetMessage(ctx context.Context, c cid.Cid) (*ftypes.Message, error)
	ChainReadObj(ctx context.Context, c cid.Cid) ([]byte, error)

	// MpoolPush adds a signed message to the message pool and returns its
	// CID (of the signed message, or of the message for BLS).
	MpoolPush(ctx context.Context, m *ftypes.SignedMessage) (cid.Cid, error)
	// MpoolGetNonce is the next nonce of an account, pending messages
	// included.
	MpoolGetNonce(ctx context.Context, a address.Address) (uint64, error)
	// MpoolPushMessage assigns the nonce, fills gas, signs with the node's
	// key of From and pushes (a devnet serves it for its own keys).
	MpoolPushMessage(ctx context.Context, m *ftypes.Message, spec *types.MessageSendSpec) (*ftypes.SignedMessage, error)
	GasEstimateMessageGas(ctx context.Context, m *ftypes.Message, spec *types.MessageSendSpec, tsk types.TipSetKey) (*ftypes.Message, error)

	// StateWaitMsg waits until the message has executed and confidence
	// more epochs have passed.
	StateWaitMsg(ctx context.Context, c cid.Cid, confidence uint64, limit int64, allowReplaced bool) (*types.MsgLookup, error)
	StateSearchMsg(ctx context.Context, from types.TipSetKey, c cid.Cid, limit int64, allowReplaced bool) (*types.MsgLookup, error)

	StateGetActor(ctx context.Context, a address.Address, tsk types.TipSetKey) (*types.Actor, error)
	StateLookupID(ctx context.Context, a address.Address, tsk types.TipSetKey) (address.Address, error)
	StateAccountKey(ctx context.Context, a address.Address, tsk types.TipSetKey) (address.Address, error)
	WalletBalance(ctx context.Context, a address.Address) (big.TokenAmount, error)
	StateNetworkName(ctx context.Context) (string, error)
	StateNetworkVersion(ctx context.Context, tsk types.TipSetKey) (types.NetworkVersion, error)

	StateGetRandomnessFromTickets(ctx context.Context, tag types.DomainSeparationTag, epoch int64, entropy []byte, tsk types.TipSetKey) ([]byte, error)
	StateGetRandomnessFromBeacon(ctx context.Context, tag types.DomainSeparationTag, epoch int64, entropy []byte, tsk types.TipSetKey) ([]byte, error)

	StateMinerInfo(ctx context.Context, a address.Address, tsk types.TipSetKey) (types.MinerInfo, error)
	StateMinerPower(ctx context.Context, a address.Address, tsk types.TipSetKey) (*types.MinerPower, error)
	StateMinerProvingDeadline(ctx context.Context, a address.Address, tsk types.TipSetKey) (*types.DeadlineInfo, error)
	StateMinerDeadlines(ctx context.Context, a address.Address, tsk types.TipSetKey) ([]types.Deadline, error)
	StateMinerPartitions(ctx context.Context, a address.Address, deadline uint64, tsk types.TipSetKey) ([]types.Partition, error)
	// StateMinerSectors lists the miner's sectors, those in filter when it
	// is not nil.
	StateMinerSectors(ctx context.Context, a address.Address, filter *bitfield.BitField, tsk types.TipSetKey) ([]*types.SectorOnChainInfo, error)
	StateSectorGetInfo(ctx context.Context, a address.Address, n uint64, tsk types.TipSetKey) (*types.SectorOnChainInfo, error)
	StateSectorPreCommitInfo(ctx context.Context, a address.Address, n uint64, tsk types.TipSetKey) (*types.SectorPreCommitOnChainInfo, error)
	StateMinerFaults(ctx context.Context, a address.Address, tsk types.TipSetKey) (bitfield.BitField, error)
	StateMinerRecoveries(ctx context.Context, a address.Address, tsk types.TipSetKey) (bitfield.BitField, error)
	StateMinerInitialPledgeCollateral(ctx context.Context, a address.Address, pci types.SectorPreCommitInfo, tsk types.TipSetKey) (big.TokenAmount, error)

	StateMarketStorageDeal(ctx context.Context, id uint64, tsk types.TipSetKey) (*types.MarketDeal, error)
	StateMarketDeals(ctx context.Context, tsk types.TipSetKey) (map[string]*types.MarketDeal, error)
	StateMarketBalance(ctx context.Context, a address.Address, tsk types.TipSetKey) (types.MarketBalance, error)
	StateDealProviderCollateralBounds(ctx context.Context, size piece.PaddedSize, verified bool, tsk types.TipSetKey) (types.DealCollateralBounds, error)
}
