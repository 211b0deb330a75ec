package state

import (
	"bytes"
	"testing"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
	ftypes "github.com/strata-sp/strata/fil/types"
)

// fuzzMarketMethods are the market methods the fuzz target calls, by the
// first input byte.
var fuzzMarketMethods = []actors.MethodNum{
	actors.MarketAddBalance,
	actors.MarketWithdrawBalance,
	actors.MarketPublishStorageDeals,
	actors.MarketOnMinerSectorsTerminate,
	actors.MarketSectorContentChanged,
	actors.MarketAddBalanceExported,
	actors.MarketWithdrawBalanceExported,
	actors.MarketPublishStorageDealsExported,
}

// FuzzMarket feeds arbitrary params to each market method of a state with
// escrow, pending and active deals: the method never panics, an abort
// changes nothing, total balance is conserved and the market's invariants
// hold, also after a cron at a later epoch.
func FuzzMarket(f *testing.F) {
	fx := newMarketFixture(f)
	fx.fundAll()
	ids := fx.mustPublish(fx.deal(nil), fx.deal(nil), fx.sign(fx.proposal(fx.client2, nil), fx.client2Key))
	if acc, ab := fx.activate(fx.miner, 1, marketFarExpiration, ids[1]); ab != nil || !acc[0] {
		f.Fatalf("activate: %v %v", acc, ab)
	}
	callers := []uint64{fx.client, fx.client2, fx.owner, fx.worker, fx.control, fx.other, fx.miner, fx.miner2, MarketID, BurntFundsID}
	base := fx.snapshot()

	// Seeds: a valid call of each method.
	d0 := fx.s.Market.Deals[ids[0]].Proposal
	seed := func(method, caller byte, value uint32, params []byte) {
		f.Add(method, caller, value, uint16(0), params)
	}
	seed(0, 0, 1000, marketCBOR(f, &actors.AddBalanceParams{ProviderOrClient: IDAddress(fx.client)}))
	seed(1, 2, 0, marketCBOR(f, &actors.MarketWithdrawBalanceParams{ProviderOrClientAddress: fx.minerAddr, Amount: big.FromFIL(1)}))
	seed(2, 3, 0, fx.dealParams(fx.deal(nil)))
	seed(3, 6, 0, marketCBOR(f, &actors.OnMinerSectorsTerminateParams{Epoch: marketEpoch + 50, Sectors: bitfield.NewFromSet([]uint64{1})}))
	seed(4, 6, 0, marketCBOR(f, &actors.SectorContentChangedParams{Sectors: []actors.SectorChanges{{Sector: 2, MinimumCommitmentEpoch: marketFarExpiration,
		Added: []actors.PieceChange{{Data: d0.PieceCID, Size: d0.PieceSize, Payload: actors.EncodeDealID(ids[0])}}}}}))
	seed(2, 4, 0, fx.dealParams(fx.deal(func(p *ftypes.DealProposal) { p.VerifiedDeal = true }), fx.deal(nil)))

	f.Fuzz(func(t *testing.T, method, caller byte, value uint32, epoch uint16, params []byte) {
		s, err := Restore(base)
		if err != nil {
			t.Fatal(err)
		}
		env := &Env{Epoch: marketEpoch + int64(epoch%1024)}
		from := callers[int(caller)%len(callers)]
		v := big.FromAttoFIL(int64(value))
		// A self-send moves no funds, and the market never sends value to
		// itself: a call from the market carries none.
		if s.Actors[from].Balance.Cmp(v) < 0 || from == MarketID {
			v = big.TokenAmount{}
		}
		m := fuzzMarketMethods[int(method)%len(fuzzMarketMethods)]
		before, _ := s.Snapshot()
		total := s.TotalBalance()

		s.transfer(from, MarketID, v)
		_, ab := s.invoke(&Call{Env: env, Caller: from, Receiver: MarketID, Value: v, Method: uint64(m), Params: params})
		if ab != nil {
			s.transfer(MarketID, from, v)
			if after, _ := s.Snapshot(); !bytes.Equal(before, after) {
				t.Fatalf("method %d aborted (%v) but changed the state", m, ab)
			}
		}
		if got := s.TotalBalance(); !got.Equals(total.Int) {
			t.Fatalf("method %d: total balance %s, was %s", m, got.AttoString(), total.AttoString())
		}
		checkMarketInvariants(t, s)

		env.Epoch += 2000 // past every start, some ends
		s.marketCron(env)
		if got := s.TotalBalance(); !got.Equals(total.Int) {
			t.Fatalf("cron: total balance %s, was %s", got.AttoString(), total.AttoString())
		}
		checkMarketInvariants(t, s)
	})
}
