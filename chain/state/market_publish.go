package state

import (
	"fmt"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
	"github.com/strata-sp/strata/fil/piece"
	ftypes "github.com/strata-sp/strata/fil/types"
)

// totalFilecoin is the network's TOTAL_FILECOIN (2·10^9 FIL), the upper
// bound of a deal's price per epoch and client collateral.
var totalFilecoin = big.FromFIL(2_000_000_000)

// gib is 2^30, the unit of DealProviderCollateralMinPerGiB.
const gib = 1 << 30

// providerCollateralMaxFactor is Max / Min of the provider collateral
// bounds (devnet policy; the network's Max is TOTAL_FILECOIN).
const providerCollateralMaxFactor = 100

// providerCollateralBounds returns the provider collateral a deal of size
// bytes must lock: Min = Policy.DealProviderCollateralMinPerGiB × size /
// 2^30 (rounded down), Max = 100 × Min. The network derives Min from the
// circulating supply and network power (deal_provider_collateral_bounds);
// the devnet has neither, so a fixed rate stands in for it.
func (p Policy) providerCollateralBounds(size uint64) (lo, hi big.TokenAmount) {
	lo = p.DealProviderCollateralMinPerGiB.Mul(big.NewIntUnsigned(size))
	lo = big.TokenAmount{Int: lo.Int.Div(big.NewInt(gib))}
	return lo, lo.Mul(big.NewInt(providerCollateralMaxFactor))
}

// publishedDeal is a deal PublishStorageDeals accepted, before it is
// written: the normalised proposal, its CID and the client's ID.
type publishedDeal struct {
	proposal ftypes.DealProposal
	cid      cid.Cid
	client   uint64
}

// marketPublishStorageDeals is PublishStorageDeals (4, and its exported
// number). Whole-message failures: no deals (16), the first deal's
// provider unresolvable (17) or not a miner (16), the caller neither that
// miner's worker nor one of its control addresses (18), every deal invalid
// (16). A deal that fails a check of its own (validateDeal; another
// provider than the first deal's, named otherwise than by the first deal's
// address or its ID address; not enough unlocked escrow for it and the
// batch's earlier deals; a duplicate of a pending proposal or of an earlier
// deal of the batch; verified) is dropped and left out of the returned
// ValidDeals. Each valid deal gets the next deal ID and is stored with ID
// addresses; its client's fee and collateral and its provider's collateral
// are locked.
func (s *State) marketPublishStorageDeals(c *Call) ([]byte, *Abort) {
	var params actors.PublishStorageDealsParams
	if ab := decodeActorParams(c.Params, &params); ab != nil {
		return nil, ab
	}
	deals := params.Deals
	if len(deals) == 0 {
		return nil, Abortf(ExitIllegalArgument, "empty deals parameter")
	}
	providerRaw := deals[0].Proposal.Provider
	provider, err := s.Lookup(providerRaw)
	if err != nil {
		return nil, Abortf(ExitNotFound, "failed to resolve provider address %s", providerRaw)
	}
	if s.Actors[provider].Kind != KindMiner {
		return nil, Abortf(ExitIllegalArgument, "deal provider %s is not a storage miner actor", providerRaw)
	}
	mc, ok := s.minerControl(provider)
	if !ok {
		return nil, Abortf(ExitIllegalState, "miner %d has no info", provider)
	}
	if !mc.isWorkerOrControl(c.Caller) {
		return nil, Abortf(ExitForbidden, "caller f0%d is not worker or control address of provider f0%d", c.Caller, provider)
	}
	providerID := IDAddress(provider)

	clientLockup := map[uint64]big.TokenAmount{}
	providerLockup := big.TokenAmount{}
	inBatch := map[string]bool{}
	var valid []publishedDeal
	var validIdx []uint64
	for i := range deals {
		d := &deals[i]
		if err := s.validateDeal(c.Env.Epoch, d); err != nil {
			continue // dropped: the network only logs why
		}
		p := d.Proposal
		if p.Provider != providerID && p.Provider != providerRaw {
			continue // deals from several providers in one batch
		}
		client, err := s.Lookup(p.Client)
		if err != nil {
			continue
		}
		cl := clientLockup[client].Add(p.ClientBalanceRequirement())
		if s.Market.available(client).Cmp(cl) < 0 {
			continue // insufficient client funds
		}
		pl := providerLockup.Add(p.ProviderBalanceRequirement())
		if s.Market.available(provider).Cmp(pl) < 0 {
			continue // insufficient provider funds
		}
		// Stored proposals carry ID addresses; the CID that detects
		// duplicates is taken after normalising, as the network does.
		p.Provider, p.Client = providerID, IDAddress(client)
		pc, err := p.Cid()
		if err != nil {
			continue
		}
		key := pc.String()
		if _, dup := s.Market.Pending[key]; dup || inBatch[key] {
			continue
		}
		if p.VerifiedDeal {
			continue // no DataCap in the devnet: see validateDeal
		}
		clientLockup[client], providerLockup = cl, pl
		inBatch[key] = true
		valid = append(valid, publishedDeal{proposal: p, cid: pc, client: client})
		validIdx = append(validIdx, uint64(i))
	}
	if len(valid) == 0 {
		return nil, Abortf(ExitIllegalArgument, "all deal proposals invalid")
	}

	ids := make([]uint64, len(valid))
	for i := range valid {
		ids[i] = s.Market.NextDealID + uint64(i)
	}
	ret, ab := cborBytes(&actors.PublishStorageDealsReturn{IDs: ids, ValidDeals: bitfield.NewFromSet(validIdx)})
	if ab != nil {
		return nil, ab
	}
	for i, v := range valid {
		id := ids[i]
		addTo(s.Market.Locked, v.client, v.proposal.ClientBalanceRequirement())
		addTo(s.Market.Locked, provider, v.proposal.ProviderBalanceRequirement())
		s.Market.Deals[id] = &Deal{Proposal: Proposal{v.proposal}, ProposalCID: v.cid}
		s.Market.Pending[v.cid.String()] = id
	}
	s.Market.NextDealID += uint64(len(valid))
	return ret, nil
}

// validateDeal checks what one deal must satisfy on its own (builtin-actors
// market validate_deal): the label, the piece (a v1 piece CID, a padded size
// that is a power of two of at least 128), the epochs (start not passed,
// end after start), the duration (Policy.DealMinDuration..DealMaxDuration),
// the price and collateral bounds, and the client's signature over the
// proposal's CBOR by the client's key address (the network asks the
// client's account actor, AuthenticateMessage; the devnet's clients are all
// accounts). The signature, the one costly check, comes last. It does not
// write.
//
// A verified deal needs the client's DataCap, which the devnet does not
// have; PublishStorageDeals drops it as the network drops the verified deal
// of a client without DataCap.
func (s *State) validateDeal(now int64, d *ftypes.ClientDealProposal) error {
	p := &d.Proposal
	if p.Label.Len() > ftypes.DealMaxLabelSize {
		return fmt.Errorf("deal label can be at most %d bytes, is %d", ftypes.DealMaxLabelSize, p.Label.Len())
	}
	if err := piece.PaddedSize(p.PieceSize).Validate(); err != nil {
		return fmt.Errorf("proposal piece size is invalid: %w", err)
	}
	if _, err := piece.DecodeV1(p.PieceCID); err != nil {
		return fmt.Errorf("proposal PieceCID undefined: %w", err)
	}
	if p.EndEpoch <= p.StartEpoch {
		return fmt.Errorf("proposal end before proposal start")
	}
	if now > p.StartEpoch {
		return fmt.Errorf("deal start epoch has already elapsed")
	}
	if dur := p.Duration(); dur < s.Policy.DealMinDuration || dur > s.Policy.DealMaxDuration {
		return fmt.Errorf("deal duration out of bounds")
	}
	if p.StoragePricePerEpoch.Sign() < 0 || p.StoragePricePerEpoch.Cmp(totalFilecoin) > 0 {
		return fmt.Errorf("storage price out of bounds")
	}
	lo, hi := s.Policy.providerCollateralBounds(p.PieceSize)
	if p.ProviderCollateral.Cmp(lo) < 0 || p.ProviderCollateral.Cmp(hi) > 0 {
		return fmt.Errorf("provider collateral out of bounds")
	}
	if p.ClientCollateral.Sign() < 0 || p.ClientCollateral.Cmp(totalFilecoin) > 0 {
		return fmt.Errorf("client collateral out of bounds")
	}
	if _, err := s.Lookup(p.Client); err != nil {
		return fmt.Errorf("client %s: %w", p.Client, err)
	}
	key, err := s.AccountKey(p.Client)
	if err != nil {
		return err
	}
	return d.VerifySignature(key)
}

// DealProviderCollateralBounds is StateDealProviderCollateralBounds's
// answer: Min = Policy.DealProviderCollateralMinPerGiB × size / 2^30, Max =
// 100 × Min, the bounds PublishStorageDeals enforces. Lotus reports Min
// 10% above the actor's bound because the network's moves with power and
// supply; the devnet's does not move, so it reports the bound itself.
// verified does not change the bounds (it does not on the network either).
func (s *State) DealProviderCollateralBounds(size piece.PaddedSize, verified bool) types.DealCollateralBounds {
	lo, hi := s.Policy.providerCollateralBounds(uint64(size))
	return types.DealCollateralBounds{Min: lo, Max: hi}
}
