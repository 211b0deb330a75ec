package state

import (
	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/proof"
)

// minerPreCommitSectorBatch2 is PreCommitSectorBatch2 (28), the network's
// pre_commit_sector_batch2 without deals:
//   - the caller must be the owner, worker or a control address
//     (ExitForbidden);
//   - ExitIllegalArgument for an empty batch or one over
//     Policy.PreCommitSectorBatchMaxSize; a sector number repeated in the
//     batch, above 2^63-1, or already allocated; a seal proof other than
//     the V1_1 proof (5..9) whose window PoSt proof is the miner's; a
//     sealed CID without the sealed-commitment prefix or an unsealed CID
//     without the unsealed one; a seal randomness epoch not before the
//     current epoch or older than Policy.MaxPreCommitRandomnessLookback;
//     an expiration less than Policy.MinSectorExpiration after the latest
//     possible activation (now + MaxProveCommitDuration) or more than
//     Policy.MaxSectorExpirationExtension after now; and, in the devnet,
//     any DealIDs (the network accepts them here only for
//     ProveCommitSectors3 to refuse the sector later; deals are activated
//     through piece manifests);
//   - ExitInsufficientFunds when the available balance, which includes
//     the message's value, does not cover the deposits.
//
// Each sector locks Policy.preCommitDeposit(sector size) until it is
// proven or expires.
func (s *State) minerPreCommitSectorBatch2(c *Call, m *Miner) ([]byte, *Abort) {
	var p actors.PreCommitSectorBatch2Params
	if ab := decodeActorParams(c.Params, &p); ab != nil {
		return nil, ab
	}
	if !m.controlling(c.Caller) {
		return nil, Abortf(ExitForbidden, "caller f0%d is not the owner, worker or a control address", c.Caller)
	}
	pol, now := s.Policy, c.Env.Epoch
	switch {
	case len(p.Sectors) == 0:
		return nil, Abortf(ExitIllegalArgument, "batch empty")
	case len(p.Sectors) > pol.PreCommitSectorBatchMaxSize:
		return nil, Abortf(ExitIllegalArgument, "batch of %d too large, max %d", len(p.Sectors), pol.PreCommitSectorBatchMaxSize)
	}
	earliest := now - pol.MaxPreCommitRandomnessLookback
	seen := map[uint64]bool{}
	numbers := make([]uint64, 0, len(p.Sectors))
	for _, pc := range p.Sectors {
		n := pc.SectorNumber
		if seen[n] {
			return nil, Abortf(ExitIllegalArgument, "duplicate sector number %d", n)
		}
		seen[n] = true
		numbers = append(numbers, n)
		if ab := m.checkSealProof(pc.SealProof); ab != nil {
			return nil, ab
		}
		if n > maxSectorNumber {
			return nil, Abortf(ExitIllegalArgument, "sector number %d out of range 0..(2^63-1)", n)
		}
		if _, err := piece.DecodeSealed(pc.SealedCID); err != nil {
			return nil, Abortf(ExitIllegalArgument, "sealed CID had wrong prefix: %v", err)
		}
		if pc.UnsealedCid != nil {
			if _, err := piece.DecodeV1(*pc.UnsealedCid); err != nil {
				return nil, Abortf(ExitIllegalArgument, "unsealed CID had wrong prefix: %v", err)
			}
		}
		if pc.SealRandEpoch >= now {
			return nil, Abortf(ExitIllegalArgument, "seal challenge epoch %d must be before now %d", pc.SealRandEpoch, now)
		}
		if pc.SealRandEpoch < earliest {
			return nil, Abortf(ExitIllegalArgument, "seal challenge epoch %d too old, must be after %d", pc.SealRandEpoch, earliest)
		}
		if ab := pol.checkExpiration(now, now+pol.MaxProveCommitDuration, pc.Expiration); ab != nil {
			return nil, ab
		}
		if len(pc.DealIDs) != 0 {
			return nil, Abortf(ExitIllegalArgument, "sector %d: pre-commits with deal IDs are not supported; activate deals with piece manifests in ProveCommitSectors3", n)
		}
		if m.AllocatedSectors.IsSet(n) {
			return nil, Abortf(ExitIllegalArgument, "sector number %d already allocated", n)
		}
	}
	deposit := pol.preCommitDeposit(m.Info.SectorSize)
	total := deposit.Mul(big.NewInt(int64(len(p.Sectors))))
	if avail := m.available(s.Actors[c.Receiver].Balance); avail.Cmp(total) < 0 {
		return nil, Abortf(ExitInsufficientFunds, "insufficient funds %s for pre-commit deposit: %s", avail.AttoString(), total.AttoString())
	}

	n := m.clone()
	for _, pc := range p.Sectors {
		info := pc
		info.DealIDs = nil
		n.PreCommits[pc.SectorNumber] = &types.SectorPreCommitOnChainInfo{Info: info, PreCommitDeposit: deposit, PreCommitEpoch: now}
	}
	n.AllocatedSectors = bitfield.Union(n.AllocatedSectors, bitfield.NewFromSet(numbers))
	n.PreCommitDeposits = n.PreCommitDeposits.Add(total)
	s.commitMiner(c.Receiver, n)
	return nil, nil
}

// checkSealProof accepts the seal proofs the devnet can verify whose
// sectors the miner's window PoSt proof proves: the V1_1 (interactive,
// non-synthetic) proof of the miner's sector size.
func (m *Miner) checkSealProof(sp proof.SealProof) *Abort {
	if sp < proof.StackedDrg2KiBV1_1 || sp > proof.StackedDrg64GiBV1_1 {
		return Abortf(ExitIllegalArgument, "unsupported seal proof type %d", int64(sp))
	}
	if w, _ := sp.WindowPoSt(); w != m.Info.WindowPoStProofType {
		return Abortf(ExitIllegalArgument, "sector Window PoSt proof type %d must match miner Window PoSt proof type %d (seal proof type %d)",
			int64(w), int64(m.Info.WindowPoStProofType), int64(sp))
	}
	return nil
}

// checkExpiration is the network's validate_expiration without the
// per-proof maximum lifetime (the devnet's extension bound is the limit).
func (p Policy) checkExpiration(now, activation, expiration int64) *Abort {
	switch {
	case expiration <= activation:
		return Abortf(ExitIllegalArgument, "sector expiration %d must be after activation %d", expiration, activation)
	case expiration-activation < p.MinSectorExpiration:
		return Abortf(ExitIllegalArgument, "invalid expiration %d, total sector lifetime (%d) must exceed %d after activation %d",
			expiration, expiration-activation, p.MinSectorExpiration, activation)
	case expiration > now+p.MaxSectorExpirationExtension:
		return Abortf(ExitIllegalArgument, "invalid expiration %d, cannot be more than %d past current epoch %d",
			expiration, p.MaxSectorExpirationExtension, now)
	}
	return nil
}
