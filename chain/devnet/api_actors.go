package devnet

import (
	"context"
	"errors"

	"github.com/strata-sp/strata/chain/state"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/rpc"
)

// view runs f on the state under the read lock, after resolving tsk, and
// maps the state's errors to rpc kinds.
func view[T any](a *API, tsk types.TipSetKey, f func(st *state.State, ts *types.TipSet) (T, error)) (T, error) {
	a.n.mu.RLock()
	defer a.n.mu.RUnlock()
	var zero T
	ts, err := a.n.tipset(tsk)
	if err != nil {
		return zero, err
	}
	v, err := f(a.n.st, ts)
	if err != nil {
		switch {
		case errors.Is(err, state.ErrActorNotFound), errors.Is(err, state.ErrDealNotFound):
			return zero, rpc.Errorf(rpc.KindNotFound, "%v", err)
		case errors.Is(err, state.ErrNotMiner):
			return zero, rpc.Errorf(rpc.KindInvalid, "%v", err)
		}
		return zero, err
	}
	return v, nil
}

// StateMinerInfo implements chain.API.
func (a *API) StateMinerInfo(_ context.Context, m address.Address, tsk types.TipSetKey) (types.MinerInfo, error) {
	return view(a, tsk, func(st *state.State, _ *types.TipSet) (types.MinerInfo, error) { return st.MinerInfo(m) })
}

// StateMinerPower implements chain.API.
func (a *API) StateMinerPower(_ context.Context, m address.Address, tsk types.TipSetKey) (*types.MinerPower, error) {
	return view(a, tsk, func(st *state.State, _ *types.TipSet) (*types.MinerPower, error) { return st.MinerPower(m) })
}

// StateMinerProvingDeadline implements chain.API at the named tipset's epoch.
func (a *API) StateMinerProvingDeadline(_ context.Context, m address.Address, tsk types.TipSetKey) (*types.DeadlineInfo, error) {
	return view(a, tsk, func(st *state.State, ts *types.TipSet) (*types.DeadlineInfo, error) {
		return st.ProvingDeadline(m, ts.Height())
	})
}

// StateMinerDeadlines implements chain.API.
func (a *API) StateMinerDeadlines(_ context.Context, m address.Address, tsk types.TipSetKey) ([]types.Deadline, error) {
	return view(a, tsk, func(st *state.State, _ *types.TipSet) ([]types.Deadline, error) { return st.Deadlines(m) })
}

// StateMinerPartitions implements chain.API.
func (a *API) StateMinerPartitions(_ context.Context, m address.Address, dl uint64, tsk types.TipSetKey) ([]types.Partition, error) {
	return view(a, tsk, func(st *state.State, _ *types.TipSet) ([]types.Partition, error) { return st.Partitions(m, dl) })
}

// StateMinerSectors implements chain.API.
func (a *API) StateMinerSectors(_ context.Context, m address.Address, filter *bitfield.BitField, tsk types.TipSetKey) ([]*types.SectorOnChainInfo, error) {
	return view(a, tsk, func(st *state.State, _ *types.TipSet) ([]*types.SectorOnChainInfo, error) {
		return st.Sectors(m, filter)
	})
}

// StateSectorGetInfo implements chain.API; nil when the sector is not there.
func (a *API) StateSectorGetInfo(_ context.Context, m address.Address, n uint64, tsk types.TipSetKey) (*types.SectorOnChainInfo, error) {
	return view(a, tsk, func(st *state.State, _ *types.TipSet) (*types.SectorOnChainInfo, error) { return st.SectorInfo(m, n) })
}

// StateSectorPreCommitInfo implements chain.API; nil when not pre-committed.
func (a *API) StateSectorPreCommitInfo(_ context.Context, m address.Address, n uint64, tsk types.TipSetKey) (*types.SectorPreCommitOnChainInfo, error) {
	return view(a, tsk, func(st *state.State, _ *types.TipSet) (*types.SectorPreCommitOnChainInfo, error) {
		return st.PreCommitInfo(m, n)
	})
}

// StateMinerFaults implements chain.API.
func (a *API) StateMinerFaults(_ context.Context, m address.Address, tsk types.TipSetKey) (bitfield.BitField, error) {
	return view(a, tsk, func(st *state.State, _ *types.TipSet) (bitfield.BitField, error) { return st.Faults(m) })
}

// StateMinerRecoveries implements chain.API.
func (a *API) StateMinerRecoveries(_ context.Context, m address.Address, tsk types.TipSetKey) (bitfield.BitField, error) {
	return view(a, tsk, func(st *state.State, _ *types.TipSet) (bitfield.BitField, error) { return st.Recoveries(m) })
}

// StateMinerInitialPledgeCollateral implements chain.API.
func (a *API) StateMinerInitialPledgeCollateral(_ context.Context, m address.Address, pci types.SectorPreCommitInfo, tsk types.TipSetKey) (big.TokenAmount, error) {
	return view(a, tsk, func(st *state.State, _ *types.TipSet) (big.TokenAmount, error) { return st.InitialPledge(m, pci) })
}

// StateMarketStorageDeal implements chain.API.
func (a *API) StateMarketStorageDeal(_ context.Context, id uint64, tsk types.TipSetKey) (*types.MarketDeal, error) {
	return view(a, tsk, func(st *state.State, _ *types.TipSet) (*types.MarketDeal, error) { return st.MarketDeal(id) })
}

// StateMarketDeals implements chain.API.
func (a *API) StateMarketDeals(_ context.Context, tsk types.TipSetKey) (map[string]*types.MarketDeal, error) {
	return view(a, tsk, func(st *state.State, _ *types.TipSet) (map[string]*types.MarketDeal, error) {
		return st.MarketDeals(), nil
	})
}

// StateMarketBalance implements chain.API.
func (a *API) StateMarketBalance(_ context.Context, m address.Address, tsk types.TipSetKey) (types.MarketBalance, error) {
	return view(a, tsk, func(st *state.State, _ *types.TipSet) (types.MarketBalance, error) { return st.MarketBalance(m) })
}

// StateDealProviderCollateralBounds implements chain.API.
func (a *API) StateDealProviderCollateralBounds(_ context.Context, size piece.PaddedSize, verified bool, tsk types.TipSetKey) (types.DealCollateralBounds, error) {
	return view(a, tsk, func(st *state.State, _ *types.TipSet) (types.DealCollateralBounds, error) {
		return st.DealProviderCollateralBounds(size, verified), nil
	})
}
