package state

import (
	"bytes"
	"errors"
	"testing"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
	"github.com/strata-sp/strata/fil/piece"
	ftypes "github.com/strata-sp/strata/fil/types"
)

// cron runs the market's cron at epoch and checks conservation and the
// market invariants.
func (f *marketFixture) cron(epoch int64) {
	f.t.Helper()
	total := f.s.TotalBalance()
	f.env.Epoch = epoch
	f.s.marketCron(f.env)
	if got := f.s.TotalBalance(); !got.Equals(total.Int) {
		f.t.Errorf("cron at %d: total balance %s, was %s", epoch, got.AttoString(), total.AttoString())
	}
	checkMarketInvariants(f.t, f.s)
}

func TestMarket_Cron(t *testing.T) {
	f := newMarketFixture(t)
	f.fundAll()
	ids := f.mustPublish(f.deal(nil), f.deal(nil))
	never, active := ids[0], ids[1]
	if acc, ab := f.activate(f.miner, 1, marketFarExpiration, active); ab != nil || !acc[0] {
		t.Fatalf("activate: %v %v", acc, ab)
	}
	p := f.s.Market.Deals[active].Proposal
	clientEscrow := f.s.Market.Escrow[f.client]
	providerEscrow := f.s.Market.Escrow[f.miner]

	// Before the start nothing happens.
	before := f.snapshot()
	f.cron(p.StartEpoch - 1)
	if !bytes.Equal(before, f.snapshot()) {
		t.Fatal("cron before the start epoch changed the state")
	}

	// At the start, the deal never activated is removed and its provider
	// collateral burned; the client's funds for it are unlocked.
	burnt := f.s.Actors[BurntFundsID].Balance
	f.cron(p.StartEpoch)
	if _, err := f.s.MarketDeal(never); !errors.Is(err, ErrDealNotFound) {
		t.Fatalf("unactivated deal after its start: %v", err)
	}
	if got := f.s.Actors[BurntFundsID].Balance.Sub(burnt); !got.Equals(p.ProviderCollateral.Int) {
		t.Errorf("burnt %s, want %s", got.AttoString(), p.ProviderCollateral.AttoString())
	}
	if got := f.s.Market.Escrow[f.client]; !got.Equals(clientEscrow.Int) {
		t.Errorf("client escrow %s, want %s (unlocked, not spent)", got.AttoString(), clientEscrow.AttoString())
	}
	if got := f.s.Market.Locked[f.client]; !got.Equals(p.ClientBalanceRequirement().Int) {
		t.Errorf("client locked %s, want the active deal's %s", got.AttoString(), p.ClientBalanceRequirement().AttoString())
	}
	if len(f.s.Market.Pending) != 0 {
		t.Errorf("pending proposals left: %v", f.s.Market.Pending)
	}
	st, err := f.dealState(active)
	if err != nil || st.SectorStartEpoch != marketEpoch {
		t.Fatalf("active deal: %+v, %v", st, err)
	}

	// Just before the end the active deal is still there, unpaid.
	f.cron(p.EndEpoch - 1)
	if _, err := f.s.MarketDeal(active); err != nil {
		t.Fatalf("active deal before its end: %v", err)
	}
	// At the end it is paid in full and removed.
	f.cron(p.EndEpoch)
	if _, err := f.s.MarketDeal(active); !errors.Is(err, ErrDealNotFound) {
		t.Fatalf("deal after its end: %v", err)
	}
	fee := p.TotalStorageFee()
	if got := clientEscrow.Sub(f.s.Market.Escrow[f.client]); !got.Equals(fee.Int) {
		t.Errorf("client paid %s, want %s", got.AttoString(), fee.AttoString())
	}
	if got := f.s.Market.Escrow[f.miner].Sub(providerEscrow); !got.Equals(fee.Sub(p.ProviderCollateral).Int) {
		t.Errorf("provider escrow moved by %s, want fee %s minus the burnt collateral", got.AttoString(), fee.AttoString())
	}
	if len(f.s.Market.Locked) != 0 || len(f.s.Market.Deals) != 0 || len(f.s.Market.SectorDeals) != 0 {
		t.Errorf("market not empty: locked %v, %d deals, sectors %v", f.s.Market.Locked, len(f.s.Market.Deals), f.s.Market.SectorDeals)
	}
	// The provider can take its earnings out.
	ret := f.mustCall(f.owner, actors.MarketWithdrawBalance, big.TokenAmount{}, &actors.MarketWithdrawBalanceParams{ProviderOrClientAddress: f.minerAddr, Amount: big.FromFIL(1000)})
	var r actors.WithdrawBalanceReturn
	if err := actors.DecodeReturn(ret, &r); err != nil || !r.AmountWithdrawn.Equals(providerEscrow.Add(fee).Sub(p.ProviderCollateral).Int) {
		t.Errorf("withdrew %s, %v", r.AmountWithdrawn.AttoString(), err)
	}
}

// TestMarket_CronTerminatedAfterEnd: a deal whose sector is terminated after
// the deal ended is not slashed; cron completes it.
func TestMarket_CronTerminatedAfterEnd(t *testing.T) {
	f := newMarketFixture(t)
	f.fundAll()
	id := f.mustPublish(f.deal(nil))[0]
	if acc, ab := f.activate(f.miner, 2, marketFarExpiration, id); ab != nil || !acc[0] {
		t.Fatalf("activate: %v %v", acc, ab)
	}
	p := f.s.Market.Deals[id].Proposal
	burnt := f.s.Actors[BurntFundsID].Balance
	f.env.Epoch = p.EndEpoch + 1
	f.mustCall(f.miner, actors.MarketOnMinerSectorsTerminate, big.TokenAmount{}, &actors.OnMinerSectorsTerminateParams{Epoch: p.EndEpoch + 1, Sectors: bitfield.NewFromSet([]uint64{2})})
	if _, err := f.s.MarketDeal(id); err != nil {
		t.Fatalf("deal removed by a late termination: %v", err)
	}
	f.cron(p.EndEpoch + 1)
	if _, err := f.s.MarketDeal(id); !errors.Is(err, ErrDealNotFound) {
		t.Fatalf("deal after cron: %v", err)
	}
	if got := f.s.Actors[BurntFundsID].Balance; !got.Equals(burnt.Int) {
		t.Errorf("burnt %s", got.Sub(burnt).AttoString())
	}
	if got := f.s.Market.Escrow[f.miner]; !got.Equals(big.FromFIL(10).Add(p.TotalStorageFee()).Int) {
		t.Errorf("provider escrow %s", got.AttoString())
	}
}

func TestMarket_Views(t *testing.T) {
	f := newMarketFixture(t)
	_, err := f.s.MarketDeal(5432)
	const want = "deal 5432 not found - deal may not have completed sealing before deal proposal start epoch, or deal may have been slashed"
	if err == nil || err.Error() != want || !errors.Is(err, ErrDealNotFound) {
		t.Errorf("MarketDeal(5432) error %v", err)
	}
	if _, err := f.s.MarketBalance(IDAddress(999_999)); !errors.Is(err, ErrActorNotFound) {
		t.Errorf("MarketBalance of an unknown actor: %v", err)
	}
	if mb, err := f.s.MarketBalance(IDAddress(f.client)); err != nil || !mb.Escrow.IsZero() || !mb.Locked.IsZero() {
		t.Errorf("MarketBalance without escrow: %+v, %v", mb, err)
	}
	if got := f.s.MarketDeals(); len(got) != 0 {
		t.Errorf("MarketDeals of an empty market: %v", got)
	}

	rate := f.s.Policy.DealProviderCollateralMinPerGiB
	for _, tc := range []struct {
		size piece.PaddedSize
		min  big.TokenAmount
	}{
		{1 << 30, rate},
		{32 << 30, rate.Mul(big.NewInt(32))},
		{2048, big.TokenAmount{Int: rate.Mul(big.NewInt(2048)).Int.Div(big.NewInt(1 << 30))}},
	} {
		for _, verified := range []bool{false, true} {
			b := f.s.DealProviderCollateralBounds(tc.size, verified)
			if !b.Min.Equals(tc.min.Int) || !b.Max.Equals(tc.min.Mul(big.NewInt(100)).Int) {
				t.Errorf("bounds(%d, %v) = %s..%s, want %s..100×", tc.size, verified, b.Min.AttoString(), b.Max.AttoString(), tc.min.AttoString())
			}
		}
	}
}

// TestMarket_SnapshotRoundTrip: a restored state has the same market,
// including a bytes label, which the proposal's Lotus JSON form would lose.
func TestMarket_SnapshotRoundTrip(t *testing.T) {
	f := newMarketFixture(t)
	f.fundAll()
	label, err := ftypes.NewLabelFromBytes([]byte{0xff, 0x00, 0x01})
	if err != nil {
		t.Fatal(err)
	}
	ids := f.mustPublish(f.deal(func(p *ftypes.DealProposal) { p.Label = label }), f.deal(nil))
	if acc, ab := f.activate(f.miner, 8, marketFarExpiration, ids[1]); ab != nil || !acc[0] {
		t.Fatalf("activate: %v %v", acc, ab)
	}
	c, err := f.s.Clone()
	if err != nil {
		t.Fatal(err)
	}
	b1, _ := f.s.Snapshot()
	b2, _ := c.Snapshot()
	if !bytes.Equal(b1, b2) {
		t.Fatal("snapshot changed through a restore")
	}
	got := c.Market.Deals[ids[0]]
	if !got.Proposal.Label.Equals(label) {
		t.Errorf("label %v after restore, want %v", got.Proposal.Label, label)
	}
	if pc, _ := got.Proposal.Cid(); !pc.Equals(got.ProposalCID) {
		t.Errorf("proposal CID changed through a restore")
	}
	// The restored maps are usable.
	var empty Market
	empty.init()
	empty.Escrow[1] = big.FromFIL(1)
	empty.SectorDeals[1] = map[uint64][]uint64{2: {3}}
}

// TestMarket_Messages drives the market through ApplyMessage, as the chain
// does: value moves with AddBalance, a failing publish leaves only gas.
func TestMarket_Messages(t *testing.T) {
	f := newMarketFixture(t)
	env := &Env{Epoch: marketEpoch, BaseFee: big.FromAttoFIL(100)}
	total := f.s.TotalBalance()
	send := func(from uint64, method actors.MethodNum, value big.TokenAmount, params []byte) types.MessageReceipt {
		t.Helper()
		m := &ftypes.Message{
			From: f.s.Actors[from].Address, To: IDAddress(MarketID), Nonce: f.s.Actors[from].Nonce,
			Value: value, Method: uint64(method), Params: params,
			GasLimit: 100_000_000, GasFeeCap: big.FromAttoFIL(200), GasPremium: big.FromAttoFIL(10),
		}
		r := f.s.ApplyMessage(env, m, 200+len(params))
		if got := f.s.TotalBalance(); !got.Equals(total.Int) {
			t.Fatalf("total balance %s, was %s", got.AttoString(), total.AttoString())
		}
		checkMarketInvariants(t, f.s)
		return r
	}
	if r := send(f.client, actors.MarketAddBalance, big.FromFIL(5), marketCBOR(t, &actors.AddBalanceParams{ProviderOrClient: IDAddress(f.client)})); r.ExitCode != ExitOk {
		t.Fatalf("AddBalance: exit %d", r.ExitCode)
	}
	if r := send(f.worker, actors.MarketAddBalance, big.FromFIL(5), marketCBOR(t, &actors.AddBalanceParams{ProviderOrClient: f.minerAddr})); r.ExitCode != ExitOk {
		t.Fatalf("AddBalance for the miner: exit %d", r.ExitCode)
	}
	if r := send(f.client, actors.MarketAddBalance, big.FromFIL(5), marketCBOR(t, &actors.AddBalanceParams{ProviderOrClient: IDAddress(RewardID)})); r.ExitCode != ExitIllegalArgument {
		t.Fatalf("AddBalance for a singleton: exit %d", r.ExitCode)
	}
	if got := f.s.Actors[MarketID].Balance; !got.Equals(big.FromFIL(10).Int) {
		t.Fatalf("market balance %s, want 10 FIL", got.AttoString())
	}
	if r := send(f.worker, actors.MarketPublishStorageDeals, big.TokenAmount{}, f.dealParams(f.deal(nil))); r.ExitCode != ExitOk {
		t.Fatalf("publish: exit %d", r.ExitCode)
	}
	if r := send(f.owner, actors.MarketPublishStorageDeals, big.TokenAmount{}, f.dealParams(f.deal(nil))); r.ExitCode != ExitForbidden {
		t.Fatalf("publish by the owner: exit %d", r.ExitCode)
	}
	if _, err := f.s.MarketDeal(0); err != nil {
		t.Fatal(err)
	}
}
