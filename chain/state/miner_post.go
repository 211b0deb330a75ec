package state

import (
	"bytes"
	"context"
	"sort"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/bitfield"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/proof/engine"
	"github.com/strata-sp/strata/proof/post"
)

// minerSubmitWindowedPoSt is SubmitWindowedPoSt (5).
//
// Aborts: a caller other than the owner, worker or a control address
// (ExitForbidden); ExitIllegalArgument for a proof count other than one, a
// proof of another type than the miner's, a deadline index out of range or
// other than the open deadline, a ChainCommitRand over 32 bytes, a
// ChainCommitEpoch before the deadline's challenge epoch or not before the
// current epoch, a ChainCommitRand other than the chain's PoStChainCommit
// randomness (from tickets, no entropy) at that epoch, no partitions, a
// partition listed twice or already proven in this window, skipped sectors
// outside their partition, and a proof that does not verify ("invalid post
// was submitted"); ExitNotFound for a partition the deadline does not have;
// ExitIllegalState if the proving period has not started (unreachable: the
// deadline is computed from the current epoch, as on the network).
//
// Skipped sectors become faulty (a skipped recovery is retracted), declared
// recoveries are taken as proven, and the proof is checked with
// Env.Verifier.VerifyWindowPoSt against the randomness
// WindowedPoStChallengeSeed at the deadline's challenge epoch (from the
// beacon, with the miner's address as entropy) over the proven sectors in
// ascending number: the live sectors of the listed partitions that are not
// faulty after the skips and recoveries (unproven sectors included). A submission that proves no sector (all faulty or
// skipped) carries no proof to check. Unlike the network, which verifies
// only submissions that recover power and otherwise accepts proofs
// optimistically, the devnet always verifies. On success recovered and
// unproven sectors gain power and the partitions count as proven for this
// window.
func (s *State) minerSubmitWindowedPoSt(c *Call, m *Miner) ([]byte, *Abort) {
	var p actors.SubmitWindowedPoStParams
	if ab := decodeActorParams(c.Params, &p); ab != nil {
		return nil, ab
	}
	if !m.controlling(c.Caller) {
		return nil, Abortf(ExitForbidden, "caller f0%d is not the owner, worker or a control address", c.Caller)
	}
	pol, now := s.Policy, c.Env.Epoch
	switch {
	case len(p.Proofs) != 1:
		return nil, Abortf(ExitIllegalArgument, "expected exactly one proof, got %d", len(p.Proofs))
	case p.Proofs[0].PoStProof != m.Info.WindowPoStProofType:
		return nil, Abortf(ExitIllegalArgument, "expected proof of type %d, got %d", int64(m.Info.WindowPoStProofType), int64(p.Proofs[0].PoStProof))
	case p.Deadline >= pol.WPoStPeriodDeadlines:
		return nil, Abortf(ExitIllegalArgument, "invalid deadline %d of %d", p.Deadline, pol.WPoStPeriodDeadlines)
	case len(p.ChainCommitRand) > maxChainCommitRandom:
		return nil, Abortf(ExitIllegalArgument, "expected at most %d bytes of randomness, got %d", maxChainCommitRandom, len(p.ChainCommitRand))
	}
	dl := pol.currentDeadline(m.ProvingPeriodStart, now)
	switch {
	case !dl.PeriodStarted():
		return nil, Abortf(ExitIllegalState, "proving period %d not yet open at %d", dl.PeriodStart, now)
	case p.Deadline != dl.Index:
		return nil, Abortf(ExitIllegalArgument, "invalid deadline %d at epoch %d, expected %d", p.Deadline, now, dl.Index)
	case p.ChainCommitEpoch < dl.Challenge:
		return nil, Abortf(ExitIllegalArgument, "expected chain commit epoch %d to be after %d", p.ChainCommitEpoch, dl.Challenge)
	case p.ChainCommitEpoch >= now:
		return nil, Abortf(ExitIllegalArgument, "chain commit epoch %d must be less than the current epoch %d", p.ChainCommitEpoch, now)
	}
	commRand, ab := c.Env.chainRandomness(types.DSTPoStChainCommit, p.ChainCommitEpoch, nil, false)
	if ab != nil {
		return nil, ab
	}
	if !bytes.Equal(commRand[:], p.ChainCommitRand) {
		return nil, Abortf(ExitIllegalArgument, "post commit randomness mismatched")
	}
	if len(p.Partitions) == 0 {
		return nil, Abortf(ExitIllegalArgument, "no partitions to prove")
	}

	d := m.Deadlines[p.Deadline]
	faultExpiry := dl.Last() + pol.FaultMaxAge
	updated := make(map[uint64]*MinerPartition, len(p.Partitions))
	var proven []post.Public
	for _, pp := range p.Partitions {
		if pp.Index >= uint64(len(d.Partitions)) {
			return nil, Abortf(ExitNotFound, "no such partition %d in deadline %d", pp.Index, p.Deadline)
		}
		if updated[pp.Index] != nil {
			return nil, Abortf(ExitIllegalArgument, "duplicate partitions proven: %d", pp.Index)
		}
		if d.PartitionsPoSted.IsSet(pp.Index) {
			return nil, Abortf(ExitIllegalArgument, "partition already proven: %d", pp.Index)
		}
		part := d.Partitions[pp.Index].clone()
		if !bitfield.Subtract(pp.Skipped, part.Sectors).IsEmpty() {
			return nil, Abortf(ExitIllegalArgument, "skipped faults contains sectors outside partition %d", pp.Index)
		}
		part.addFaults(pp.Skipped, faultExpiry)
		part.removeFaults(part.Recoveries)
		part.Unproven = bitfield.New()
		updated[pp.Index] = part
		err := bitfield.Subtract(part.live(), part.Faults).ForEach(func(n uint64) error {
			si := m.Sectors[n]
			if si == nil {
				return errMissingSector(n)
			}
			commR, err := piece.DecodeSealed(si.SealedCID)
			if err != nil {
				return err
			}
			proven = append(proven, post.Public{Number: n, CommR: commR})
			return nil
		})
		if err != nil {
			return nil, Abortf(ExitIllegalState, "partition %d: %v", pp.Index, err)
		}
	}
	// The proof covers the sectors in ascending number, however the
	// partitions are listed, as the network's verifier takes them (a
	// bitfield of sectors; rust-fil-proofs' sorted replica map).
	sort.Slice(proven, func(i, j int) bool { return proven[i].Number < proven[j].Number })
	if len(proven) > 0 {
		rnd, ab := c.Env.chainRandomness(types.DSTWindowedPoStChallengeSeed, dl.Challenge, minerEntropy(c.Receiver), true)
		if ab != nil {
			return nil, ab
		}
		if c.Env.Verifier == nil {
			return nil, Abortf(ExitIllegalState, "no proof verifier")
		}
		v := engine.PoStVerifyInfo{Proof: m.Info.WindowPoStProofType, Miner: c.Receiver, Randomness: rnd,
			Sectors: proven, Bytes: p.Proofs[0].ProofBytes}
		if err := c.Env.Verifier.VerifyWindowPoSt(context.Background(), v); err != nil {
			return nil, Abortf(ExitIllegalArgument, "invalid post was submitted: %v", err)
		}
	}

	n := m.clone()
	nd := n.Deadlines[p.Deadline]
	var posted []uint64
	for idx, part := range updated {
		nd.Partitions[idx] = part
		posted = append(posted, idx)
	}
	nd.PartitionsPoSted = bitfield.Union(nd.PartitionsPoSted, bitfield.NewFromSet(posted))
	s.commitMiner(c.Receiver, n)
	return nil, nil
}

// minerDeclaration is a validated fault, recovery or termination declaration:
// sectors of one partition.
type minerDeclaration struct {
	deadline, partition uint64
	sectors             bitfield.BitField
	target              types.DeadlineInfo // the deadline occurrence it is about
}

// checkDeclarations validates fault or recovery declarations (forFaults
// only changes the messages) and merges those naming the same partition:
// at most 3000 (ExitIllegalArgument), each for a deadline in range whose
// next occurrence's fault cutoff has not passed (ExitIllegalArgument), a
// partition that exists (ExitNotFound), and sectors all in that partition
// (ExitIllegalArgument).
func (s *State) checkDeclarations(m *Miner, now int64, ds []actors.FaultDeclaration, what string) ([]minerDeclaration, *Abort) {
	pol := s.Policy
	if len(ds) > declarationsMax {
		return nil, Abortf(ExitIllegalArgument, "too many %s declarations: %d, max %d", what, len(ds), declarationsMax)
	}
	merged := map[[2]uint64]*minerDeclaration{}
	for _, d := range ds {
		if d.Deadline >= pol.WPoStPeriodDeadlines {
			return nil, Abortf(ExitIllegalArgument, "invalid %s declaration deadline %d of %d", what, d.Deadline, pol.WPoStPeriodDeadlines)
		}
		target := pol.declarationDeadline(m.ProvingPeriodStart, d.Deadline, now)
		if target.FaultCutoffPassed() {
			return nil, Abortf(ExitIllegalArgument, "invalid %s declaration deadline: late declaration for deadline %d at epoch %d (cutoff %d)",
				what, d.Deadline, now, target.FaultCutoff)
		}
		dl := m.Deadlines[d.Deadline]
		if d.Partition >= uint64(len(dl.Partitions)) {
			return nil, Abortf(ExitNotFound, "no such partition %d in deadline %d", d.Partition, d.Deadline)
		}
		if !bitfield.Subtract(d.Sectors, dl.Partitions[d.Partition].Sectors).IsEmpty() {
			return nil, Abortf(ExitIllegalArgument, "failed %s declaration: sectors not all in partition %d of deadline %d", what, d.Partition, d.Deadline)
		}
		k := [2]uint64{d.Deadline, d.Partition}
		if prev := merged[k]; prev != nil {
			prev.sectors = bitfield.Union(prev.sectors, d.Sectors)
			continue
		}
		merged[k] = &minerDeclaration{deadline: d.Deadline, partition: d.Partition, sectors: d.Sectors, target: target}
	}
	out := make([]minerDeclaration, 0, len(merged))
	for _, d := range merged {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].deadline != out[j].deadline {
			return out[i].deadline < out[j].deadline
		}
		return out[i].partition < out[j].partition
	})
	return out, nil
}

// minerDeclareFaults is DeclareFaults (10): the caller must be the owner,
// worker or a control address (ExitForbidden); declarations as
// checkDeclarations. The live sectors declared become faulty (terminated
// sectors are ignored), losing their power at once and retracting any
// declared recovery; each new fault expires Policy.FaultMaxAge after the
// last epoch of the deadline the declaration is for.
func (s *State) minerDeclareFaults(c *Call, m *Miner) ([]byte, *Abort) {
	var p actors.DeclareFaultsParams
	if ab := decodeActorParams(c.Params, &p); ab != nil {
		return nil, ab
	}
	if !m.controlling(c.Caller) {
		return nil, Abortf(ExitForbidden, "caller f0%d is not the owner, worker or a control address", c.Caller)
	}
	ds, ab := s.checkDeclarations(m, c.Env.Epoch, p.Faults, "fault")
	if ab != nil {
		return nil, ab
	}
	n := m.clone()
	for _, d := range ds {
		n.Deadlines[d.deadline].Partitions[d.partition].addFaults(d.sectors, d.target.Last()+s.Policy.FaultMaxAge)
	}
	s.commitMiner(c.Receiver, n)
	return nil, nil
}

// minerDeclareFaultsRecovered is DeclareFaultsRecovered (11): the caller
// must be the owner, worker or a control address (ExitForbidden);
// declarations as checkDeclarations. The faulty sectors declared become
// recovering; they regain power when the deadline's next WindowPoSt proves
// them, and stay faulty if it does not come.
func (s *State) minerDeclareFaultsRecovered(c *Call, m *Miner) ([]byte, *Abort) {
	var p actors.DeclareFaultsRecoveredParams
	if ab := decodeActorParams(c.Params, &p); ab != nil {
		return nil, ab
	}
	if !m.controlling(c.Caller) {
		return nil, Abortf(ExitForbidden, "caller f0%d is not the owner, worker or a control address", c.Caller)
	}
	ds, ab := s.checkDeclarations(m, c.Env.Epoch, p.Recoveries, "recovery")
	if ab != nil {
		return nil, ab
	}
	n := m.clone()
	for _, d := range ds {
		part := n.Deadlines[d.deadline].Partitions[d.partition]
		part.Recoveries = bitfield.Union(part.Recoveries, bitfield.Intersect(d.sectors, part.Faults))
	}
	s.commitMiner(c.Receiver, n)
	return nil, nil
}
