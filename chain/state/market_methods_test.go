package state

import (
	"errors"
	"testing"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
	"github.com/strata-sp/strata/fil/piece"
	ftypes "github.com/strata-sp/strata/fil/types"
)

// wantExit fails unless ab has exit code want (ExitOk: no abort).
func wantMarketExit(t *testing.T, ab *Abort, want types.ExitCode) {
	t.Helper()
	switch {
	case ab == nil && want != ExitOk:
		t.Fatalf("succeeded, want exit %d", want)
	case ab != nil && ab.Code != want:
		t.Fatalf("exit %d (%s), want %d", ab.Code, ab.Msg, want)
	}
}

func TestMarket_AddBalance(t *testing.T) {
	unknown, err := address.NewSecp256k1Address(make([]byte, 65))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		caller func(f *marketFixture) uint64
		method actors.MethodNum
		value  big.TokenAmount
		params func(f *marketFixture) []byte // nil: AddBalance(to)
		to     func(f *marketFixture) address.Address
		want   types.ExitCode
		owner  func(f *marketFixture) uint64 // whose escrow grows
	}{
		{name: "client funds itself by key address", value: big.FromFIL(3),
			to: func(f *marketFixture) address.Address { return f.s.Actors[f.client].Address }, owner: func(f *marketFixture) uint64 { return f.client }},
		{name: "any caller funds a miner by f2 address", caller: func(f *marketFixture) uint64 { return f.other }, value: big.FromFIL(2),
			to: func(f *marketFixture) address.Address { return f.minerAddr }, owner: func(f *marketFixture) uint64 { return f.miner }},
		{name: "exported method number", method: actors.MarketAddBalanceExported, value: big.FromAttoFIL(1),
			to: func(f *marketFixture) address.Address { return IDAddress(f.client2) }, owner: func(f *marketFixture) uint64 { return f.client2 }},
		{name: "zero value", value: big.TokenAmount{}, want: ExitIllegalArgument,
			to: func(f *marketFixture) address.Address { return IDAddress(f.client) }},
		{name: "negative value", value: big.FromAttoFIL(-1), want: ExitIllegalArgument,
			to: func(f *marketFixture) address.Address { return IDAddress(f.client) }},
		{name: "unresolvable address", value: big.FromFIL(1), want: ExitIllegalArgument,
			to: func(f *marketFixture) address.Address { return unknown }},
		{name: "singleton is neither client nor miner", value: big.FromFIL(1), want: ExitIllegalArgument,
			to: func(f *marketFixture) address.Address { return IDAddress(RewardID) }},
		{name: "no params", value: big.FromFIL(1), want: ExitIllegalArgument,
			params: func(*marketFixture) []byte { return []byte{} }},
		{name: "params not an address", value: big.FromFIL(1), want: ExitSerialization,
			params: func(*marketFixture) []byte { return []byte{0x01} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newMarketFixture(t)
			caller := f.client
			if tc.caller != nil {
				caller = tc.caller(f)
			}
			method := tc.method
			if method == 0 {
				method = actors.MarketAddBalance
			}
			var params []byte
			if tc.params != nil {
				params = tc.params(f)
			} else {
				params = marketCBOR(t, &actors.AddBalanceParams{ProviderOrClient: tc.to(f)})
			}
			ret, ab := f.callRaw(caller, method, tc.value, params)
			wantMarketExit(t, ab, tc.want)
			if tc.want != ExitOk {
				return
			}
			if len(ret) != 0 {
				t.Errorf("return %x, want none", ret)
			}
			owner := tc.owner(f)
			if got := f.s.Market.Escrow[owner]; !got.Equals(tc.value.Int) {
				t.Errorf("escrow %s, want %s", got.AttoString(), tc.value.AttoString())
			}
			mb, err := f.s.MarketBalance(IDAddress(owner))
			if err != nil || !mb.Escrow.Equals(tc.value.Int) || !mb.Locked.IsZero() {
				t.Errorf("MarketBalance = %+v, %v", mb, err)
			}
		})
	}
}

func TestMarket_WithdrawBalance(t *testing.T) {
	tests := []struct {
		name      string
		caller    func(f *marketFixture) uint64
		method    actors.MethodNum
		from      func(f *marketFixture) address.Address
		amount    big.TokenAmount
		params    []byte
		want      types.ExitCode
		withdrawn big.TokenAmount
		unlocked  bool // withdrawn is all that is not locked
		recipient func(f *marketFixture) uint64
	}{
		{name: "client withdraws part", from: func(f *marketFixture) address.Address { return IDAddress(f.client) },
			amount: big.FromFIL(3), withdrawn: big.FromFIL(3), recipient: func(f *marketFixture) uint64 { return f.client }},
		{name: "client asks more than is unlocked", method: actors.MarketWithdrawBalanceExported,
			from:   func(f *marketFixture) address.Address { return f.s.Actors[f.client].Address },
			amount: big.FromFIL(100), unlocked: true, recipient: func(f *marketFixture) uint64 { return f.client }},
		{name: "owner withdraws the miner's escrow", caller: func(f *marketFixture) uint64 { return f.owner },
			from: func(f *marketFixture) address.Address { return f.minerAddr }, amount: big.FromFIL(1),
			withdrawn: big.FromFIL(1), recipient: func(f *marketFixture) uint64 { return f.owner }},
		{name: "worker withdraws, funds go to the owner", caller: func(f *marketFixture) uint64 { return f.worker },
			from: func(f *marketFixture) address.Address { return IDAddress(f.miner) }, amount: big.FromFIL(2),
			withdrawn: big.FromFIL(2), recipient: func(f *marketFixture) uint64 { return f.owner }},
		{name: "zero amount", from: func(f *marketFixture) address.Address { return IDAddress(f.client) },
			recipient: func(f *marketFixture) uint64 { return f.client }},
		{name: "control address may not withdraw", caller: func(f *marketFixture) uint64 { return f.control },
			from: func(f *marketFixture) address.Address { return f.minerAddr }, amount: big.FromFIL(1), want: ExitForbidden},
		{name: "another account may not withdraw a client's escrow", caller: func(f *marketFixture) uint64 { return f.client2 },
			from: func(f *marketFixture) address.Address { return IDAddress(f.client) }, amount: big.FromFIL(1), want: ExitForbidden},
		{name: "negative amount", from: func(f *marketFixture) address.Address { return IDAddress(f.client) },
			amount: big.FromAttoFIL(-1), want: ExitIllegalArgument},
		{name: "unresolvable address", from: func(f *marketFixture) address.Address { return IDAddress(999_999) },
			amount: big.FromFIL(1), want: ExitIllegalArgument},
		{name: "no params", params: []byte{}, want: ExitIllegalArgument},
		{name: "wrong tuple", params: []byte{0x81, 0x40}, want: ExitSerialization},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newMarketFixture(t)
			f.fundAll()
			// Lock some of the client's escrow in a deal: the unlocked
			// rest is what may be withdrawn.
			f.mustPublish(f.deal(nil))
			caller := f.client
			if tc.caller != nil {
				caller = tc.caller(f)
			}
			method := tc.method
			if method == 0 {
				method = actors.MarketWithdrawBalance
			}
			params := tc.params
			if params == nil {
				params = marketCBOR(t, &actors.MarketWithdrawBalanceParams{ProviderOrClientAddress: tc.from(f), Amount: tc.amount})
			}
			var holder uint64
			if tc.from != nil {
				holder, _ = f.s.Lookup(tc.from(f))
			}
			withdrawn := tc.withdrawn
			if tc.unlocked {
				withdrawn = f.s.Market.available(holder)
			}
			escrow := f.s.Market.Escrow[holder]
			var before big.TokenAmount
			if tc.recipient != nil {
				before = f.s.Actors[tc.recipient(f)].Balance
			}
			ret, ab := f.callRaw(caller, method, big.TokenAmount{}, params)
			wantMarketExit(t, ab, tc.want)
			if tc.want != ExitOk {
				return
			}
			var r actors.WithdrawBalanceReturn
			if err := actors.DecodeReturn(ret, &r); err != nil {
				t.Fatal(err)
			}
			if !r.AmountWithdrawn.Equals(withdrawn.Int) {
				t.Errorf("withdrew %s, want %s", r.AmountWithdrawn.AttoString(), withdrawn.AttoString())
			}
			if got := f.s.Actors[tc.recipient(f)].Balance.Sub(before); !got.Equals(withdrawn.Int) {
				t.Errorf("recipient received %s, want %s", got.AttoString(), withdrawn.AttoString())
			}
			if got := escrow.Sub(f.s.Market.Escrow[holder]); !got.Equals(withdrawn.Int) {
				t.Errorf("escrow fell by %s, want %s", got.AttoString(), withdrawn.AttoString())
			}
		})
	}
}

func TestMarket_PublishStorageDeals_Success(t *testing.T) {
	f := newMarketFixture(t)
	f.fundAll()
	byBLS := f.sign(f.proposal(f.client2, nil), f.client2Key)
	// A client named by its key address is stored as its ID address.
	byKey := f.deal(func(p *ftypes.DealProposal) { p.Client = f.s.Actors[f.client].Address })
	plain := f.deal(nil)
	batch := []ftypes.ClientDealProposal{byBLS, byKey, plain}

	ret, ab := f.call(f.worker, actors.MarketPublishStorageDeals, big.TokenAmount{}, &actors.PublishStorageDealsParams{Deals: batch})
	wantMarketExit(t, ab, ExitOk)
	var r actors.PublishStorageDealsReturn
	if err := actors.DecodeReturn(ret, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.IDs) != 3 || r.IDs[0] != 0 || r.IDs[1] != 1 || r.IDs[2] != 2 {
		t.Fatalf("IDs %v, want [0 1 2]", r.IDs)
	}
	if !r.ValidDeals.Equal(bitfield.NewFromSet([]uint64{0, 1, 2})) {
		t.Errorf("ValidDeals %v", r.ValidDeals)
	}
	// The same batch again: all duplicates of pending proposals.
	_, ab = f.call(f.control, actors.MarketPublishStorageDeals, big.TokenAmount{}, &actors.PublishStorageDealsParams{Deals: batch})
	wantMarketExit(t, ab, ExitIllegalArgument)
	// A control address publishes through the exported number.
	ret, ab = f.call(f.control, actors.MarketPublishStorageDealsExported, big.TokenAmount{}, &actors.PublishStorageDealsParams{Deals: []ftypes.ClientDealProposal{f.deal(nil)}})
	wantMarketExit(t, ab, ExitOk)
	if err := actors.DecodeReturn(ret, &r); err != nil || len(r.IDs) != 1 || r.IDs[0] != 3 {
		t.Fatalf("publish by control address: IDs %v, %v", r.IDs, err)
	}

	md, err := f.s.MarketDeal(1)
	if err != nil {
		t.Fatal(err)
	}
	if md.Proposal.Client != IDAddress(f.client) || md.Proposal.Provider != IDAddress(f.miner) {
		t.Errorf("stored proposal names %s and %s, want ID addresses", md.Proposal.Client, md.Proposal.Provider)
	}
	if want := (types.DealState{SectorStartEpoch: -1, LastUpdatedEpoch: -1, SlashEpoch: -1}); md.State != want {
		t.Errorf("state %+v, want %+v", md.State, want)
	}
	if all := f.s.MarketDeals(); len(all) != 4 || all["3"] == nil {
		t.Errorf("MarketDeals has %d deals", len(all))
	}
	p := byBLS.Proposal
	mb, _ := f.s.MarketBalance(IDAddress(f.client2))
	if !mb.Locked.Equals(p.ClientBalanceRequirement().Int) {
		t.Errorf("client2 locked %s, want %s", mb.Locked.AttoString(), p.ClientBalanceRequirement().AttoString())
	}
	mb, _ = f.s.MarketBalance(f.minerAddr)
	if !mb.Locked.Equals(p.ProviderCollateral.Mul(big.NewInt(4)).Int) {
		t.Errorf("provider locked %s, want 4 × %s", mb.Locked.AttoString(), p.ProviderCollateral.AttoString())
	}
}

func TestMarket_PublishStorageDeals_Aborts(t *testing.T) {
	tests := []struct {
		name   string
		caller func(f *marketFixture) uint64
		params func(f *marketFixture) []byte
		want   types.ExitCode
	}{
		{name: "no deals", want: ExitIllegalArgument, params: func(f *marketFixture) []byte {
			return marketCBOR(f.t, &actors.PublishStorageDealsParams{})
		}},
		{name: "provider unresolvable", want: ExitNotFound, params: func(f *marketFixture) []byte {
			return f.dealParams(f.deal(func(p *ftypes.DealProposal) { p.Provider = IDAddress(999_999) }))
		}},
		{name: "provider not a miner", want: ExitIllegalArgument, params: func(f *marketFixture) []byte {
			return f.dealParams(f.deal(func(p *ftypes.DealProposal) { p.Provider = IDAddress(f.other) }))
		}},
		{name: "owner is not worker or control", caller: func(f *marketFixture) uint64 { return f.owner }, want: ExitForbidden,
			params: func(f *marketFixture) []byte { return f.dealParams(f.deal(nil)) }},
		{name: "client may not publish", caller: func(f *marketFixture) uint64 { return f.client }, want: ExitForbidden,
			params: func(f *marketFixture) []byte { return f.dealParams(f.deal(nil)) }},
		{name: "all deals invalid", want: ExitIllegalArgument, params: func(f *marketFixture) []byte {
			return f.dealParams(f.deal(func(p *ftypes.DealProposal) { p.StartEpoch = 1 }), f.sign(f.proposal(f.client, nil), f.client2Key))
		}},
		{name: "no params", want: ExitIllegalArgument, params: func(*marketFixture) []byte { return nil }},
		{name: "malformed params", want: ExitSerialization, params: func(*marketFixture) []byte { return []byte{0x81, 0x81, 0x00} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newMarketFixture(t)
			f.fundAll()
			caller := f.worker
			if tc.caller != nil {
				caller = tc.caller(f)
			}
			_, ab := f.callRaw(caller, actors.MarketPublishStorageDeals, big.TokenAmount{}, tc.params(f))
			wantMarketExit(t, ab, tc.want)
		})
	}
}

// dealParams encodes PublishStorageDeals params.
func (f *marketFixture) dealParams(deals ...ftypes.ClientDealProposal) []byte {
	f.t.Helper()
	return marketCBOR(f.t, &actors.PublishStorageDealsParams{Deals: deals})
}

// TestMarket_PublishStorageDeals_InvalidDeal checks each reason a single
// deal is dropped: published next to a valid deal it is left out of
// ValidDeals; alone, the message aborts with 16.
func TestMarket_PublishStorageDeals_InvalidDeal(t *testing.T) {
	mut := func(m func(f *marketFixture, p *ftypes.DealProposal)) func(f *marketFixture) ftypes.ClientDealProposal {
		return func(f *marketFixture) ftypes.ClientDealProposal {
			return f.deal(func(p *ftypes.DealProposal) { m(f, p) })
		}
	}
	tests := []struct {
		name string
		deal func(f *marketFixture) ftypes.ClientDealProposal
	}{
		{"signed by another key", func(f *marketFixture) ftypes.ClientDealProposal {
			return f.sign(f.proposal(f.client, nil), f.client2Key)
		}},
		{"changed after signing", func(f *marketFixture) ftypes.ClientDealProposal {
			d := f.deal(nil)
			d.Proposal.StoragePricePerEpoch = big.FromAttoFIL(1)
			return d
		}},
		{"client unknown", mut(func(f *marketFixture, p *ftypes.DealProposal) { p.Client = IDAddress(999_999) })},
		{"client is a miner", mut(func(f *marketFixture, p *ftypes.DealProposal) { p.Client = IDAddress(f.miner2) })},
		{"piece CID not unsealed commitment", mut(func(f *marketFixture, p *ftypes.DealProposal) {
			p.PieceCID = piece.SealedCID([32]byte{1})
		})},
		{"piece CID v2", mut(func(f *marketFixture, p *ftypes.DealProposal) {
			c, err := piece.CIDv2([32]byte{2}, 1000)
			if err != nil {
				f.t.Fatal(err)
			}
			p.PieceCID = c
		})},
		{"piece CID dag-cbor", mut(func(f *marketFixture, p *ftypes.DealProposal) {
			p.PieceCID = cid.NewCidV1(cid.DagCBOR, p.PieceCID.Hash())
		})},
		{"piece size not a power of two", mut(func(f *marketFixture, p *ftypes.DealProposal) { p.PieceSize = 3072 })},
		{"piece size below 128", mut(func(f *marketFixture, p *ftypes.DealProposal) { p.PieceSize = 64 })},
		{"end before start", mut(func(f *marketFixture, p *ftypes.DealProposal) { p.EndEpoch = p.StartEpoch })},
		{"start elapsed", mut(func(f *marketFixture, p *ftypes.DealProposal) {
			p.StartEpoch = f.env.Epoch - 1
			p.EndEpoch = p.StartEpoch + f.s.Policy.DealMinDuration
		})},
		{"duration too short", mut(func(f *marketFixture, p *ftypes.DealProposal) { p.EndEpoch-- })},
		{"duration too long", mut(func(f *marketFixture, p *ftypes.DealProposal) {
			p.EndEpoch = p.StartEpoch + f.s.Policy.DealMaxDuration + 1
		})},
		{"negative price", mut(func(f *marketFixture, p *ftypes.DealProposal) { p.StoragePricePerEpoch = big.FromAttoFIL(-1) })},
		{"price above total supply", mut(func(f *marketFixture, p *ftypes.DealProposal) {
			p.StoragePricePerEpoch = totalFilecoin.Add(big.FromAttoFIL(1))
		})},
		{"provider collateral below min", mut(func(f *marketFixture, p *ftypes.DealProposal) {
			p.ProviderCollateral = p.ProviderCollateral.Sub(big.FromAttoFIL(1))
		})},
		{"provider collateral above max", mut(func(f *marketFixture, p *ftypes.DealProposal) {
			p.ProviderCollateral = p.ProviderCollateral.Mul(big.NewInt(100)).Add(big.FromAttoFIL(1))
		})},
		{"negative client collateral", mut(func(f *marketFixture, p *ftypes.DealProposal) { p.ClientCollateral = big.FromAttoFIL(-1) })},
		{"client escrow too small", mut(func(f *marketFixture, p *ftypes.DealProposal) { p.ClientCollateral = big.FromFIL(10) })},
		{"provider escrow too small", mut(func(f *marketFixture, p *ftypes.DealProposal) {
			// 11 FIL is within the collateral bounds of a 2 TiB piece
			// but above the provider's 10 FIL escrow.
			p.PieceSize = 2 << 40
			p.ProviderCollateral = big.FromFIL(11)
		})},
		{"another provider in the batch", mut(func(f *marketFixture, p *ftypes.DealProposal) { p.Provider = IDAddress(f.miner2) })},
		{"provider's f2 address when the batch names its ID", mut(func(f *marketFixture, p *ftypes.DealProposal) { p.Provider = f.minerAddr })},
		{"verified deal without DataCap", mut(func(f *marketFixture, p *ftypes.DealProposal) { p.VerifiedDeal = true })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newMarketFixture(t)
			f.fundAll()
			bad := tc.deal(f)
			r, ab := f.publish(f.deal(nil), bad)
			if ab != nil {
				t.Fatalf("valid + invalid deal: %v", ab)
			}
			if len(r.IDs) != 1 || !r.ValidDeals.Equal(bitfield.NewFromSet([]uint64{0})) {
				t.Fatalf("IDs %v ValidDeals %v, want only deal 0", r.IDs, r.ValidDeals)
			}
			if bad.Proposal.Provider == IDAddress(f.miner) {
				// Alone (and first), it fails the message.
				_, ab = f.publish(bad)
				wantMarketExit(t, ab, ExitIllegalArgument)
			}
		})
	}
}

func TestMarket_PublishStorageDeals_Duplicates(t *testing.T) {
	f := newMarketFixture(t)
	f.fundAll()
	d := f.deal(nil)
	// The same proposal twice in a batch: only the first is valid.
	r, ab := f.publish(d, d)
	if ab != nil {
		t.Fatal(ab)
	}
	if !r.ValidDeals.Equal(bitfield.NewFromSet([]uint64{0})) {
		t.Fatalf("ValidDeals %v", r.ValidDeals)
	}
	// Again, signed anew with the client's key address: the normalised
	// proposal has the same CID, so it is a duplicate of the pending one.
	again := d.Proposal
	again.Client = f.s.Actors[f.client].Address
	_, ab = f.publish(f.sign(again, f.clientKey))
	wantMarketExit(t, ab, ExitIllegalArgument)
}

func TestMarket_PublishStorageDeals_CumulativeLockup(t *testing.T) {
	f := newMarketFixture(t)
	f.fundAll()
	// Each deal needs 6 of the client's 10 FIL: the second is dropped.
	big6 := func(p *ftypes.DealProposal) { p.ClientCollateral = big.FromFIL(6) }
	r, ab := f.publish(f.deal(big6), f.deal(big6), f.deal(nil))
	if ab != nil {
		t.Fatal(ab)
	}
	if !r.ValidDeals.Equal(bitfield.NewFromSet([]uint64{0, 2})) || len(r.IDs) != 2 {
		t.Fatalf("IDs %v ValidDeals %v, want deals 0 and 2", r.IDs, r.ValidDeals)
	}
}

func TestMarket_SectorContentChanged(t *testing.T) {
	type piecePatch func(f *marketFixture, pc *actors.PieceChange)
	tests := []struct {
		name       string
		caller     func(f *marketFixture) uint64
		epoch      int64 // 0: the fixture's
		expiration int64 // 0: marketFarExpiration
		patch      piecePatch
		dup        bool // name the deal twice
		twice      bool // activate once before
		accepted   bool
	}{
		{name: "activates", accepted: true},
		{name: "at the start epoch", epoch: marketEpoch + 10, accepted: true},
		{name: "after the start epoch", epoch: marketEpoch + 11},
		{name: "deal ends after the sector", expiration: marketEpoch + 10 + 600 - 1},
		{name: "deal ends with the sector", expiration: marketEpoch + 10 + 600, accepted: true},
		{name: "another miner's deal", caller: func(f *marketFixture) uint64 { return f.miner2 }},
		{name: "piece CID differs", patch: func(f *marketFixture, pc *actors.PieceChange) { pc.Data = f.nextPiece().CID }},
		{name: "piece size differs", patch: func(f *marketFixture, pc *actors.PieceChange) { pc.Size *= 2 }},
		{name: "unknown deal", patch: func(f *marketFixture, pc *actors.PieceChange) { pc.Payload = actors.EncodeDealID(77) }},
		{name: "payload not a deal ID", patch: func(f *marketFixture, pc *actors.PieceChange) { pc.Payload = []byte{0x40} }},
		{name: "payload with trailing bytes", patch: func(f *marketFixture, pc *actors.PieceChange) { pc.Payload = []byte{0x00, 0x00} }},
		{name: "deal named twice", dup: true, accepted: true},
		{name: "already activated", twice: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newMarketFixture(t)
			f.fundAll()
			ids := f.mustPublish(f.deal(nil))
			id := ids[0]
			if tc.twice {
				if acc, ab := f.activate(f.miner, 3, marketFarExpiration, id); ab != nil || !acc[0] {
					t.Fatalf("first activation: %v %v", acc, ab)
				}
			}
			if tc.epoch != 0 {
				f.env.Epoch = tc.epoch
			}
			expiration := int64(marketFarExpiration)
			if tc.expiration != 0 {
				expiration = tc.expiration
			}
			caller := f.miner
			if tc.caller != nil {
				caller = tc.caller(f)
			}
			d := f.s.Market.Deals[id]
			pc := actors.PieceChange{Data: d.Proposal.PieceCID, Size: d.Proposal.PieceSize, Payload: actors.EncodeDealID(id)}
			if tc.patch != nil {
				tc.patch(f, &pc)
			}
			added := []actors.PieceChange{pc}
			if tc.dup {
				added = append(added, pc)
			}
			params := &actors.SectorContentChangedParams{Sectors: []actors.SectorChanges{
				{Sector: 9, MinimumCommitmentEpoch: expiration, Added: added},
				{Sector: 10, MinimumCommitmentEpoch: expiration}, // no pieces
			}}
			ret := f.mustCall(caller, actors.MarketSectorContentChanged, big.TokenAmount{}, params)
			var r actors.SectorContentChangedReturn
			if err := actors.DecodeReturn(ret, &r); err != nil {
				t.Fatal(err)
			}
			if len(r.Sectors) != 2 || len(r.Sectors[0].Accepted) != len(added) || len(r.Sectors[1].Accepted) != 0 {
				t.Fatalf("return shape %+v", r)
			}
			if r.Sectors[0].Accepted[0] != tc.accepted {
				t.Fatalf("accepted %v, want %v", r.Sectors[0].Accepted[0], tc.accepted)
			}
			if tc.dup && r.Sectors[0].Accepted[1] {
				t.Errorf("a deal named twice was accepted twice")
			}
			st, err := f.dealState(id)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.accepted:
				want := types.DealState{SectorNumber: 9, SectorStartEpoch: f.env.Epoch, LastUpdatedEpoch: -1, SlashEpoch: -1}
				if st != want {
					t.Errorf("state %+v, want %+v", st, want)
				}
				if got := f.s.Market.SectorDeals[f.miner][9]; len(got) != 1 || got[0] != id {
					t.Errorf("sector 9 lists deals %v", got)
				}
			case tc.twice:
				if st.SectorNumber != 3 {
					t.Errorf("re-activation moved the deal to sector %d", st.SectorNumber)
				}
			default:
				if st.SectorStartEpoch != -1 {
					t.Errorf("rejected deal has state %+v", st)
				}
			}
		})
	}
}

func TestMarket_SectorContentChanged_Aborts(t *testing.T) {
	tests := []struct {
		name   string
		caller func(f *marketFixture) uint64
		params []byte
		want   types.ExitCode
	}{
		{name: "account caller", caller: func(f *marketFixture) uint64 { return f.worker }, want: ExitForbidden},
		{name: "market itself", caller: func(f *marketFixture) uint64 { return MarketID }, want: ExitForbidden},
		{name: "no params", params: []byte{}, want: ExitIllegalArgument},
		{name: "malformed params", params: []byte{0x81, 0x83, 0x00}, want: ExitSerialization},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newMarketFixture(t)
			f.fundAll()
			id := f.mustPublish(f.deal(nil))[0]
			d := f.s.Market.Deals[id]
			params := tc.params
			if params == nil {
				params = marketCBOR(t, &actors.SectorContentChangedParams{Sectors: []actors.SectorChanges{{Sector: 1, MinimumCommitmentEpoch: marketFarExpiration,
					Added: []actors.PieceChange{{Data: d.Proposal.PieceCID, Size: d.Proposal.PieceSize, Payload: actors.EncodeDealID(id)}}}}})
			}
			caller := f.miner
			if tc.caller != nil {
				caller = tc.caller(f)
			}
			_, ab := f.callRaw(caller, actors.MarketSectorContentChanged, big.TokenAmount{}, params)
			wantMarketExit(t, ab, tc.want)
		})
	}
}

func TestMarket_OnMinerSectorsTerminate(t *testing.T) {
	tests := []struct {
		name    string
		caller  func(f *marketFixture) uint64
		epoch   int64 // termination epoch, relative to the deal's start
		sectors []uint64
		params  []byte
		want    types.ExitCode
		slashed bool
	}{
		{name: "mid-deal termination slashes", epoch: 100, sectors: []uint64{5}, slashed: true},
		{name: "termination before the start slashes, pays nothing", epoch: -5, sectors: []uint64{5, 6}, slashed: true},
		{name: "deal already ended is not slashed", epoch: 600, sectors: []uint64{5}},
		{name: "other sector", epoch: 100, sectors: []uint64{4}},
		{name: "huge sector set", epoch: 100, sectors: nil, slashed: true},
		{name: "another miner's sectors", caller: func(f *marketFixture) uint64 { return f.miner2 }, epoch: 100, sectors: []uint64{5}},
		{name: "account caller", caller: func(f *marketFixture) uint64 { return f.owner }, epoch: 100, sectors: []uint64{5}, want: ExitForbidden},
		{name: "no params", params: []byte{}, want: ExitIllegalArgument},
		{name: "malformed params", params: []byte{0x82, 0x00, 0x41, 0x01}, want: ExitSerialization},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newMarketFixture(t)
			f.fundAll()
			id := f.mustPublish(f.deal(nil))[0]
			if acc, ab := f.activate(f.miner, 5, marketFarExpiration, id); ab != nil || !acc[0] {
				t.Fatalf("activate: %v %v", acc, ab)
			}
			d := f.s.Market.Deals[id]
			p := d.Proposal
			params := tc.params
			if params == nil {
				set := bitfield.NewFromSet(tc.sectors)
				if tc.sectors == nil {
					var err error
					if set, err = bitfield.NewFromRuns([]uint64{0, 1 << 62}); err != nil {
						t.Fatal(err)
					}
				}
				params = marketCBOR(t, &actors.OnMinerSectorsTerminateParams{Epoch: p.StartEpoch + tc.epoch, Sectors: set})
			}
			caller := f.miner
			if tc.caller != nil {
				caller = tc.caller(f)
			}
			burnt := f.s.Actors[BurntFundsID].Balance
			clientEscrow, providerEscrow := f.s.Market.Escrow[f.client], f.s.Market.Escrow[f.miner]
			ret, ab := f.callRaw(caller, actors.MarketOnMinerSectorsTerminate, big.TokenAmount{}, params)
			wantMarketExit(t, ab, tc.want)
			if ab != nil {
				return
			}
			if len(ret) != 0 {
				t.Errorf("return %x, want none", ret)
			}
			_, err := f.s.MarketDeal(id)
			if !tc.slashed {
				if err != nil {
					t.Fatalf("deal gone: %v", err)
				}
				if got := f.s.Actors[BurntFundsID].Balance; !got.Equals(burnt.Int) {
					t.Errorf("burnt %s", got.Sub(burnt).AttoString())
				}
				return
			}
			if !errors.Is(err, ErrDealNotFound) {
				t.Fatalf("deal after termination: %v", err)
			}
			if got := f.s.Actors[BurntFundsID].Balance.Sub(burnt); !got.Equals(p.ProviderCollateral.Int) {
				t.Errorf("burnt %s, want the provider collateral %s", got.AttoString(), p.ProviderCollateral.AttoString())
			}
			paid := p.StoragePricePerEpoch.Mul(big.NewInt(max(tc.epoch, 0)))
			if got := clientEscrow.Sub(f.s.Market.Escrow[f.client]); !got.Equals(paid.Int) {
				t.Errorf("client paid %s, want %s", got.AttoString(), paid.AttoString())
			}
			if got := f.s.Market.Escrow[f.miner].Sub(providerEscrow); !got.Equals(paid.Sub(p.ProviderCollateral).Int) {
				t.Errorf("provider escrow moved by %s, want %s", got.AttoString(), paid.Sub(p.ProviderCollateral).AttoString())
			}
			if mb, _ := f.s.MarketBalance(IDAddress(f.client)); !mb.Locked.IsZero() {
				t.Errorf("client still has %s locked", mb.Locked.AttoString())
			}
			if len(f.s.Market.SectorDeals) != 0 {
				t.Errorf("sector index left: %v", f.s.Market.SectorDeals)
			}
		})
	}
}

func TestMarket_UnknownMethod(t *testing.T) {
	f := newMarketFixture(t)
	for _, m := range []actors.MethodNum{actors.MarketConstructor, actors.MarketVerifyDealsForActivation, actors.MarketBatchActivateDeals, 8, actors.MarketCronTick, 12345} {
		_, ab := f.callRaw(f.client, m, big.TokenAmount{}, nil)
		if ab == nil || ab.Code != ExitUnhandledMessage {
			t.Errorf("method %d: %v, want exit 22", m, ab)
		}
	}
}
