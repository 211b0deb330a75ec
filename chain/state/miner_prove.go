package state

import (
	"bytes"
	"context"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/commp"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/proof/engine"
	"github.com/strata-sp/strata/proof/seal"
)

// minerEntropy is the entropy the miner draws its randomness with: the
// CBOR of its ID address, as the network's actor (the receiver's address)
// and Lotus's sealing and proving code do.
func minerEntropy(id uint64) []byte {
	var buf bytes.Buffer
	a := IDAddress(id)
	_ = a.MarshalCBOR(&buf) // an ID address always encodes
	return buf.Bytes()
}

// chainRandomness draws chain randomness for a method, aborting with
// ExitIllegalState when the chain cannot give it.
func (e *Env) chainRandomness(tag types.DomainSeparationTag, epoch int64, entropy []byte, beacon bool) ([32]byte, *Abort) {
	if e.Randomness == nil {
		return [32]byte{}, Abortf(ExitIllegalState, "no chain randomness available")
	}
	r, err := e.Randomness(tag, epoch, entropy, beacon)
	if err != nil {
		return [32]byte{}, Abortf(ExitIllegalState, "randomness (tag %d, epoch %d): %v", tag, epoch, err)
	}
	return r, nil
}

// batchCodes collects one exit code per item of a batch.
type batchCodes []types.ExitCode

func (b batchCodes) ok(i int) bool { return b[i] == ExitOk }

func (b batchCodes) count() (ok int) {
	for _, c := range b {
		if c == ExitOk {
			ok++
		}
	}
	return ok
}

func (b batchCodes) ret() actors.BatchReturn {
	r := actors.BatchReturn{}
	for i, c := range b {
		if c == ExitOk {
			r.SuccessCount++
		} else {
			r.FailCodes = append(r.FailCodes, actors.FailCode{Idx: uint32(i), Code: actors.ExitCode(c)})
		}
	}
	return r
}

// minerProveCommitSectors3 is ProveCommitSectors3 (34), the network's
// prove_commit_sectors3 with per-sector proofs.
//
// Whole-message aborts: a caller other than the owner, worker or a
// control address (ExitForbidden); ExitIllegalArgument for no activations,
// more than Policy.PreCommitSectorBatchMaxSize, a sector listed twice,
// both or neither of SectorProofs and AggregateProof, a proof count other
// than the activation count, an aggregate type with per-sector proofs, any
// aggregate (the devnet's engine has no aggregation; the network needs
// SnarkPackV2), an invalid piece (CID, size, or pieces that do not fit or
// do not reproduce the pre-committed CommD), a notification to anyone but
// the market (FIP-0076 allows only it), no valid pre-commit or proof left,
// or any per-sector failure under RequireActivationSuccess; ExitNotFound
// for a sector that is not pre-committed (the network loads all
// pre-commits first); ExitForbidden when a sector's interactive epoch
// (PreCommitEpoch + PreCommitChallengeDelay) has not passed; ExitIllegalState
// for mixed seal proofs; ExitInsufficientFunds when the balance without
// deposits and pledge (plus the deposits the batch releases) does not
// cover the new pledge; under RequireNotificationSuccess, the market's
// refusal (1002 aborted, 1003 invalid answer, 1004 a piece rejected).
//
// Per-sector failures, in the returned BatchReturn: a pre-commit past
// MaxProveCommitDuration or with deal IDs, an invalid proof, and (devnet)
// a piece with a verified allocation, since the devnet has no verified
// registry: all ExitIllegalArgument.
//
// A proof is checked with Env.Verifier.VerifySeal for the sector's ticket
// (SealRandomness at SealRandEpoch, from tickets) and seed
// (InteractiveSealChallengeSeed at the interactive epoch, from the beacon),
// both with the miner's address as entropy, CommD computed from the pieces
// (the zero commitment for a CC sector) and CommR from the sealed CID.
// Activated sectors lose their pre-commit deposit lock, lock
// Policy.initialPledge each, are assigned to deadlines (unproven: they gain
// power at their first WindowPoSt), and their pieces' notifications go to
// the market in one SectorContentChanged call, after the miner's state is
// updated as on the network; a failed notification is ignored unless
// RequireNotificationSuccess, when everything is rolled back.
func (s *State) minerProveCommitSectors3(c *Call, m *Miner) ([]byte, *Abort) {
	var p actors.ProveCommitSectors3Params
	if ab := decodeActorParams(c.Params, &p); ab != nil {
		return nil, ab
	}
	if !m.controlling(c.Caller) {
		return nil, Abortf(ExitForbidden, "caller f0%d is not the owner, worker or a control address", c.Caller)
	}
	pol, now, acts := s.Policy, c.Env.Epoch, p.SectorActivations
	hasProofs, hasAggregate := len(p.SectorProofs) > 0, len(p.AggregateProof) > 0
	switch {
	case len(acts) == 0:
		return nil, Abortf(ExitIllegalArgument, "no sectors to prove")
	case len(acts) > pol.PreCommitSectorBatchMaxSize:
		return nil, Abortf(ExitIllegalArgument, "%d sectors to prove, max %d", len(acts), pol.PreCommitSectorBatchMaxSize)
	case hasProofs == hasAggregate:
		return nil, Abortf(ExitIllegalArgument, "exactly one of sector proofs or aggregate proof must be non-empty")
	case hasProofs && len(p.SectorProofs) != len(acts):
		return nil, Abortf(ExitIllegalArgument, "mismatched lengths: %d sector activations, %d proofs", len(acts), len(p.SectorProofs))
	case hasProofs && p.AggregateProofType != nil:
		return nil, Abortf(ExitIllegalArgument, "aggregate proof type must be null with individual proofs")
	case hasAggregate && (p.AggregateProofType == nil || *p.AggregateProofType != actors.SnarkPackV2):
		return nil, Abortf(ExitIllegalArgument, "aggregate proof type must be SnarkPackV2")
	case hasAggregate:
		return nil, Abortf(ExitIllegalArgument, "aggregate seal proofs are not supported by the devnet; send one proof per sector")
	}

	// Load every pre-commit (all must exist) and check the pieces.
	pcs := make([]*types.SectorPreCommitOnChainInfo, len(acts))
	commDs := make([][32]byte, len(acts))
	seen := map[uint64]bool{}
	for i, a := range acts {
		if seen[a.SectorNumber] {
			return nil, Abortf(ExitIllegalArgument, "sector %d listed twice", a.SectorNumber)
		}
		seen[a.SectorNumber] = true
		pc := m.PreCommits[a.SectorNumber]
		if pc == nil {
			return nil, Abortf(ExitNotFound, "sector %d not found", a.SectorNumber)
		}
		pcs[i] = pc
		d, ab := s.checkPieces(m, pc, a)
		if ab != nil {
			return nil, ab
		}
		commDs[i] = d
	}

	// Validate the pre-commits (the network's validate_precommits).
	codes := make(batchCodes, len(acts))
	for i, pc := range pcs {
		if now > pc.PreCommitEpoch+pol.MaxProveCommitDuration {
			codes[i] = ExitIllegalArgument // commitment expired
			continue
		}
		if len(pc.Info.DealIDs) != 0 {
			codes[i] = ExitIllegalArgument // pre-commit has deals
			continue
		}
		if i > 0 && pcs[i-1].Info.SealProof != pc.Info.SealProof {
			return nil, Abortf(ExitIllegalState, "seal proof type mismatch %d vs %d", int64(pcs[i-1].Info.SealProof), int64(pc.Info.SealProof))
		}
		if now <= pc.PreCommitEpoch+pol.PreCommitChallengeDelay {
			return nil, Abortf(ExitForbidden, "too early to prove sector %d: wait until after epoch %d", pc.Info.SectorNumber, pc.PreCommitEpoch+pol.PreCommitChallengeDelay)
		}
	}
	if codes.count() == 0 {
		return nil, Abortf(ExitIllegalArgument, "no valid precommits specified")
	}
	if p.RequireActivationSuccess && codes.count() != len(codes) {
		return nil, Abortf(ExitIllegalArgument, "invalid precommits while requiring activation success")
	}

	// Verify the proofs of the sectors still valid.
	entropy := minerEntropy(c.Receiver)
	for i, pc := range pcs {
		if !codes.ok(i) {
			continue
		}
		ticket, ab := c.Env.chainRandomness(types.DSTSealRandomness, pc.Info.SealRandEpoch, entropy, false)
		if ab != nil {
			return nil, ab
		}
		seed, ab := c.Env.chainRandomness(types.DSTInteractiveSealChallengeSeed, pc.PreCommitEpoch+pol.PreCommitChallengeDelay, entropy, true)
		if ab != nil {
			return nil, ab
		}
		commR, err := piece.DecodeSealed(pc.Info.SealedCID)
		if err != nil {
			return nil, Abortf(ExitIllegalState, "sector %d: sealed CID: %v", pc.Info.SectorNumber, err)
		}
		v := engine.SealVerifyInfo{
			PublicInputs: seal.PublicInputs{Proof: pc.Info.SealProof, Miner: c.Receiver, Number: pc.Info.SectorNumber,
				Ticket: ticket, Seed: seed, CommD: commDs[i], CommR: commR},
			Proof: p.SectorProofs[i],
		}
		if c.Env.Verifier == nil {
			return nil, Abortf(ExitIllegalState, "no proof verifier")
		}
		if err := c.Env.Verifier.VerifySeal(context.Background(), v); err != nil {
			if p.RequireActivationSuccess {
				return nil, Abortf(ExitIllegalArgument, "invalid proof for sector %d while requiring activation success: %v", pc.Info.SectorNumber, err)
			}
			codes[i] = ExitIllegalArgument
		}
	}
	if codes.count() == 0 {
		return nil, Abortf(ExitIllegalArgument, "no valid proofs specified")
	}

	// Activate the data: the devnet has no verified registry to claim
	// allocations from.
	for i, a := range acts {
		if !codes.ok(i) {
			continue
		}
		for _, pm := range a.Pieces {
			if pm.VerifiedAllocationKey != nil {
				if p.RequireActivationSuccess {
					return nil, Abortf(ExitIllegalArgument, "sector %d: verified allocations are not supported by the devnet", a.SectorNumber)
				}
				codes[i] = ExitIllegalArgument
				break
			}
		}
	}
	if codes.count() == 0 {
		return nil, Abortf(ExitIllegalArgument, "all prove commits failed to validate")
	}

	// Pledge.
	pledge := pol.initialPledge(m.Info.SectorSize)
	released, total := big.TokenAmount{}, big.TokenAmount{}
	for i, pc := range pcs {
		if codes.ok(i) {
			released = released.Add(pc.PreCommitDeposit)
			total = total.Add(pledge)
		}
	}
	unlocked := m.available(s.Actors[c.Receiver].Balance).Add(released)
	if unlocked.Cmp(total) < 0 {
		return nil, Abortf(ExitInsufficientFunds, "insufficient funds for aggregate initial pledge requirement %s, available: %s", total.AttoString(), unlocked.AttoString())
	}
	br := codes.ret()
	ret, ab := cborBytes(&br)
	if ab != nil {
		return nil, ab
	}

	// The new miner state and the notifications.
	n := m.clone()
	var activated []uint64
	var changes []actors.SectorChanges
	for i, a := range acts {
		if !codes.ok(i) {
			continue
		}
		pc := pcs[i]
		num := pc.Info.SectorNumber
		var space uint64
		var added []actors.PieceChange
		for _, pm := range a.Pieces {
			space += pm.Size
			for _, nt := range pm.Notify {
				added = append(added, actors.PieceChange{Data: pm.CID, Size: pm.Size, Payload: nt.Payload})
			}
		}
		if len(added) > 0 {
			changes = append(changes, actors.SectorChanges{Sector: num, MinimumCommitmentEpoch: pc.Info.Expiration, Added: added})
		}
		n.Sectors[num] = &types.SectorOnChainInfo{
			SectorNumber:   num,
			SealProof:      pc.Info.SealProof,
			SealedCID:      pc.Info.SealedCID,
			Activation:     now,
			Expiration:     pc.Info.Expiration,
			DealWeight:     big.NewIntUnsigned(space).Mul(big.NewInt(pc.Info.Expiration - now)),
			InitialPledge:  pledge,
			PowerBaseEpoch: now,
			Flags:          types.SimpleQAPower,
		}
		delete(n.PreCommits, num)
		activated = append(activated, num)
	}
	n.PreCommitDeposits = n.PreCommitDeposits.Sub(released)
	n.InitialPledge = n.InitialPledge.Add(total)
	n.assignSectors(pol, now, activated)

	var snapshot []byte
	if len(changes) > 0 && p.RequireNotificationSuccess {
		var err error
		if snapshot, err = s.Snapshot(); err != nil {
			return nil, Abortf(ExitIllegalState, "snapshot before notification: %v", err)
		}
	}
	s.commitMiner(c.Receiver, n)
	if len(changes) > 0 {
		if ab := s.notifyMarket(c, changes, p.RequireNotificationSuccess); ab != nil {
			r, err := Restore(snapshot)
			if err != nil {
				panic("restore state after a failed notification: " + err.Error())
			}
			*s = *r
			return nil, ab
		}
	}
	return ret, nil
}

// checkPieces checks a sector's piece manifests and returns the CommD they
// give, which must be the pre-committed one (ExitIllegalArgument otherwise,
// as for malformed pieces and notifications to anyone but the market).
func (s *State) checkPieces(m *Miner, pc *types.SectorPreCommitOnChainInfo, a actors.SectorActivationManifest) ([32]byte, *Abort) {
	n := a.SectorNumber
	infos := make([]piece.Info, 0, len(a.Pieces))
	for j, pm := range a.Pieces {
		size := piece.PaddedSize(pm.Size)
		if err := size.Validate(); err != nil {
			return [32]byte{}, Abortf(ExitIllegalArgument, "sector %d piece %d: %v", n, j, err)
		}
		for _, nt := range pm.Notify {
			if id, err := s.Lookup(nt.Address); err != nil || id != MarketID {
				return [32]byte{}, Abortf(ExitIllegalArgument, "sector %d piece %d: disallowed notification receiver %s", n, j, nt.Address)
			}
		}
		infos = append(infos, piece.Info{Size: size, CID: pm.CID})
	}
	got, err := commp.UnsealedCID(piece.PaddedSize(m.Info.SectorSize), infos)
	if err != nil {
		return [32]byte{}, Abortf(ExitIllegalArgument, "sector %d pieces: %v", n, err)
	}
	want := pc.Info.UnsealedCid
	if want == nil {
		zero, err := commp.UnsealedCID(piece.PaddedSize(m.Info.SectorSize), nil)
		if err != nil {
			return [32]byte{}, Abortf(ExitIllegalState, "zero CommD: %v", err)
		}
		want = &zero
	}
	if !got.Equals(*want) {
		return [32]byte{}, Abortf(ExitIllegalArgument, "unsealed CID does not match pieces for sector %d: computed %s, declared %s", n, got, *want)
	}
	d, err := piece.DecodeV1(got)
	if err != nil {
		return [32]byte{}, Abortf(ExitIllegalState, "sector %d CommD: %v", n, err)
	}
	return d, nil
}

// notifyMarket sends the market SectorContentChanged for activated pieces
// (the network's notify_data_consumers). When required, any failure
// aborts with the notification exit codes; otherwise failures are
// ignored (an aborting market has changed nothing).
func (s *State) notifyMarket(c *Call, changes []actors.SectorChanges, require bool) *Abort {
	params, ab := cborBytes(&actors.SectorContentChangedParams{Sectors: changes})
	if ab != nil {
		if require {
			return Abortf(exitNotificationSendFailed, "encode notification: %s", ab.Msg)
		}
		return nil
	}
	ret, ab := s.invoke(&Call{Env: c.Env, Caller: c.Receiver, Origin: c.Origin, Receiver: MarketID,
		Method: uint64(actors.MarketSectorContentChanged), Params: params})
	if !require {
		return nil
	}
	if ab != nil {
		return Abortf(exitNotificationReceiverAborted, "market aborted the sector content notification: %s", ab.Error())
	}
	var r actors.SectorContentChangedReturn
	if err := actors.DecodeReturn(ret, &r); err != nil || len(r.Sectors) != len(changes) {
		return Abortf(exitNotificationResponseInvalid, "invalid answer to the sector content notification: %v", err)
	}
	for i, sc := range changes {
		if len(r.Sectors[i].Accepted) != len(sc.Added) {
			return Abortf(exitNotificationResponseInvalid, "answer for sector %d has %d pieces, sent %d", sc.Sector, len(r.Sectors[i].Accepted), len(sc.Added))
		}
		for j, ok := range r.Sectors[i].Accepted {
			if !ok {
				return Abortf(exitNotificationRejected, "market rejected piece %d (%s) of sector %d", j, sc.Added[j].Data, sc.Sector)
			}
		}
	}
	return nil
}
