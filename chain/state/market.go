package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/big"
	ftypes "github.com/strata-sp/strata/fil/types"
)

// The storage market actor (f05) holds clients' and providers' escrow,
// records published deals, activates them when a miner reports their pieces
// in a proven sector, and settles or slashes them (research/actor-params.md
// §5; builtin-actors market, actors v17).
//
// What it does as the network does: the methods, their parameters, returns
// and exit codes (AddBalance 2, WithdrawBalance 3, PublishStorageDeals 4,
// OnMinerSectorsTerminate 7, SectorContentChanged under its FRC-0042 number);
// which deals PublishStorageDeals drops and which failures abort it; the
// client signature over the proposal's CBOR; proposals stored with ID
// addresses and refused while a proposal with the same CID is pending;
// activation writing DealState{sector, now, -1, -1}; a deal never activated
// by its start epoch losing its whole provider collateral to the burnt-funds
// actor; termination settling the deal up to the termination epoch, burning
// the provider collateral, unlocking the client's remaining funds and
// removing the deal at once, so that StateMarketStorageDeal answers "not
// found".
//
// Simplifications, each documented where it is made:
//   - Settlement happens only at a deal's end (in cron) or at its
//     termination; the network (FIP-0074, actors v13+) leaves it to
//     SettleDealPayments, which the devnet does not implement. The amounts
//     are the same; a deal that ended is removed by the next cron instead of
//     lingering until someone settles it.
//   - Cron looks at every deal each epoch instead of the network's per-epoch
//     schedule (gen_rand_next_epoch), so a deal is processed at the first
//     cron at or after its start (timeout) or end (completion) epoch rather
//     than at a pseudo-random epoch of the following 30 days.
//   - Provider collateral is bounded by Policy.DealProviderCollateralMinPerGiB
//     (Max 100 × Min), not by the network's circulating-supply formula.
//   - There is no DataCap, so a verified deal is always invalid, as it is on
//     the network for a client without DataCap.
//   - Client escrow belongs to accounts only: the devnet has no other actors
//     that could sign a deal or withdraw the funds (the network credits any
//     non-miner actor).

// ErrDealNotFound is what MarketDeal's error wraps when no deal has the ID;
// clients must treat it as a lost deal.
var ErrDealNotFound = errors.New("deal not found")

// dealNotFound prints Lotus's StateMarketStorageDeal message and matches
// ErrDealNotFound.
type dealNotFound uint64

func (e dealNotFound) Error() string {
	return fmt.Sprintf("deal %d not found - deal may not have completed sealing before deal proposal start epoch, or deal may have been slashed", uint64(e))
}

func (e dealNotFound) Unwrap() error { return ErrDealNotFound }

// Market is the storage market actor's state, JSON-serialisable for
// snapshots (call init after decoding). Invariants, which the tests check
// after every call:
//   - the market actor's balance is at least the sum of Escrow (value sent
//     with a method other than AddBalance stays in the actor, owned by no
//     one, as on the network);
//   - Locked[id] is exactly what id's deals hold (a client: the fee not yet
//     paid plus the client collateral; a provider: the provider
//     collateral), and at most Escrow[id];
//   - every deal not yet activated has its proposal CID in Pending;
//   - SectorDeals lists only activated deals, under their sector;
//   - zero balances are not stored.
type Market struct {
	// NextDealID is the ID the next published deal gets.
	NextDealID uint64
	// Escrow is each participant's market balance by actor ID.
	Escrow map[uint64]big.TokenAmount
	// Locked is the part of Escrow that deals hold, by actor ID.
	Locked map[uint64]big.TokenAmount
	// Deals are the published deals not yet removed, by deal ID.
	Deals map[uint64]*Deal
	// Pending maps the CID (String()) of each pending proposal to its deal
	// ID (the network's PendingProposals set): a proposal with the same CID
	// cannot be published meanwhile. A proposal is pending from publication
	// until its deal is removed or, once activated, until the first cron at
	// or after its start epoch.
	Pending map[string]uint64
	// SectorDeals lists the deals activated in each sector, by provider ID
	// and sector number (the network's ProviderSectors).
	SectorDeals map[uint64]map[uint64][]uint64
}

// Deal is one published deal.
type Deal struct {
	// Proposal is the proposal as stored on chain: Client and Provider are
	// ID addresses.
	Proposal Proposal
	// ProposalCID is the CID of Proposal's CBOR.
	ProposalCID cid.Cid
	// State is nil until the deal is activated: the network writes no
	// DealState before.
	State *types.DealState
	// Paid is the storage fee paid to the provider so far (per-deal payment
	// bookkeeping; settlement pays from max(StartEpoch, LastUpdatedEpoch)).
	Paid big.TokenAmount
}

// Proposal is a deal proposal kept in snapshots as its CBOR bytes, because
// the Lotus JSON form writes a bytes label as "" and a restore would change
// the deal and its CID.
type Proposal struct{ ftypes.DealProposal }

// MarshalJSON writes the proposal's CBOR as a base64 JSON string.
func (p Proposal) MarshalJSON() ([]byte, error) {
	b, err := p.DealProposal.Serialize()
	if err != nil {
		return nil, err
	}
	return json.Marshal(b)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *Proposal) UnmarshalJSON(b []byte) error {
	var raw []byte
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("market proposal: %w", err)
	}
	d, err := ftypes.DecodeDealProposal(raw)
	if err != nil {
		return fmt.Errorf("market proposal: %w", err)
	}
	p.DealProposal = *d
	return nil
}

// init makes the maps usable (after NewState or a JSON restore).
func (m *Market) init() {
	if m.Escrow == nil {
		m.Escrow = map[uint64]big.TokenAmount{}
	}
	if m.Locked == nil {
		m.Locked = map[uint64]big.TokenAmount{}
	}
	if m.Deals == nil {
		m.Deals = map[uint64]*Deal{}
	}
	if m.Pending == nil {
		m.Pending = map[string]uint64{}
	}
	if m.SectorDeals == nil {
		m.SectorDeals = map[uint64]map[uint64][]uint64{}
	}
}

// available is what id can withdraw or lock: escrow minus locked.
func (m *Market) available(id uint64) big.TokenAmount {
	return m.Escrow[id].Sub(m.Locked[id])
}

// addTo adds v (which may be negative) to t[id], dropping zero entries.
func addTo(t map[uint64]big.TokenAmount, id uint64, v big.TokenAmount) {
	n := t[id].Add(v)
	if n.IsZero() {
		delete(t, id)
		return
	}
	t[id] = n
}

// dealIDs returns the IDs of all deals in ascending order, so that cron
// and views are deterministic.
func (m *Market) dealIDs() []uint64 {
	ids := make([]uint64, 0, len(m.Deals))
	for id := range m.Deals {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// marketMethod serves the market actor. The internal numbers and their
// FRC-0042 exported aliases run the same method, as on the network.
func (s *State) marketMethod(c *Call) ([]byte, *Abort) {
	switch actors.MethodNum(c.Method) {
	case actors.MarketAddBalance, actors.MarketAddBalanceExported:
		return s.marketAddBalance(c)
	case actors.MarketWithdrawBalance, actors.MarketWithdrawBalanceExported:
		return s.marketWithdrawBalance(c)
	case actors.MarketPublishStorageDeals, actors.MarketPublishStorageDealsExported:
		return s.marketPublishStorageDeals(c)
	case actors.MarketOnMinerSectorsTerminate:
		return s.marketOnMinerSectorsTerminate(c)
	case actors.MarketSectorContentChanged:
		return s.marketSectorContentChanged(c)
	}
	return nil, Abortf(ExitUnhandledMessage, "invalid method %d for market actor", c.Method)
}
