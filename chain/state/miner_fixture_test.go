package state

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"
	"golang.org/x/crypto/blake2b"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/fil/sig"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/engine"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/stage"
)

// minerTestRandomness is the tests' chain randomness: blake2b-256 over the tag,
// the epoch, the beacon flag and the entropy.
func minerTestRandomness(tag types.DomainSeparationTag, epoch int64, entropy []byte, beacon bool) ([32]byte, error) {
	var b [17]byte
	binary.BigEndian.PutUint64(b[:8], uint64(tag))
	binary.BigEndian.PutUint64(b[8:16], uint64(epoch))
	if beacon {
		b[16] = 1
	}
	return blake2b.Sum256(append(b[:], entropy...)), nil
}

// minerTestPolicy is the devnet policy with two-sector partitions, so that a
// few sectors make several partitions.
func minerTestPolicy() Policy {
	p := DevnetPolicy()
	p.WindowPoStPartitionSectors = 2
	return p
}

// sealedSector is a 2 KiB sector sealed for the fixture's miner.
type sealedSector struct {
	sector   seal.Sector
	commD    [32]byte
	commR    [32]byte
	proof    []byte
	unsealed *cid.Cid // nil for CC
	pieces   []actors.PieceActivationManifest
}

// minerFixture is a devnet state with four funded accounts (owner and
// control with secp256k1 keys, worker with a BLS key, and an outsider),
// optionally a miner, and sectors sealed for real with engine.Local.
type minerFixture struct {
	t     testing.TB
	s     *State
	epoch int64
	dir   string

	owner, worker, control, other                 uint64
	ownerAddr, workerAddr, controlAddr, otherAddr address.Address

	keys map[uint64]sig.PrivateKey // the accounts' keys

	miner     uint64
	minerAddr address.Address // robust (f2)
	sealed    map[uint64]*sealedSector
	total     big.TokenAmount
}

// minerFixtureStart is the epoch a fixture starts at.
const minerFixtureStart = 10

func newMinerFixture(t testing.TB) *minerFixture {
	t.Helper()
	rng := rand.NewChaCha8([32]byte{'m', 'i', 'n', 'e', 'r'})
	g := Genesis{NetworkName: "minertest", Policy: minerTestPolicy(), Reserve: big.FromFIL(1000)}
	var addrs []address.Address
	var keys []sig.PrivateKey
	for _, ty := range []sig.Type{sig.Secp256k1, sig.BLS, sig.Secp256k1, sig.Secp256k1} {
		k, err := sig.GenerateKey(ty, rng)
		if err != nil {
			t.Fatal(err)
		}
		a, err := k.Address()
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, a)
		keys = append(keys, k)
		g.Accounts = append(g.Accounts, GenesisAccount{Address: a, Balance: big.FromFIL(1000)})
	}
	s, err := NewState(g)
	if err != nil {
		t.Fatal(err)
	}
	f := &minerFixture{t: t, s: s, epoch: minerFixtureStart, sealed: map[uint64]*sealedSector{}, total: s.TotalBalance(),
		keys: map[uint64]sig.PrivateKey{}}
	if dir, ok := t.(interface{ TempDir() string }); ok {
		f.dir = dir.TempDir()
	}
	ids := make([]uint64, len(addrs))
	for i, a := range addrs {
		if ids[i], err = s.Lookup(a); err != nil {
			t.Fatal(err)
		}
	}
	f.owner, f.worker, f.control, f.other = ids[0], ids[1], ids[2], ids[3]
	for i, id := range ids {
		f.keys[id] = keys[i]
	}
	f.ownerAddr, f.workerAddr, f.controlAddr, f.otherAddr = addrs[0], addrs[1], addrs[2], addrs[3]
	return f
}

func (f *minerFixture) env() *Env {
	return &Env{Epoch: f.epoch, BaseFee: big.FromAttoFIL(100), Randomness: minerTestRandomness, Verifier: engine.Local{}}
}

// cbor returns v's CBOR bytes.
func cborOf(t testing.TB, v cbg.CBORMarshaler) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := v.MarshalCBOR(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (f *minerFixture) snapshot() []byte {
	f.t.Helper()
	b, err := f.s.Snapshot()
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// callRaw invokes method of receiver as send does (the value moves first
// and back on an abort) and checks the handler contract: an abort changes
// nothing, the total balance is conserved and the invariants hold.
func (f *minerFixture) callRaw(caller, receiver uint64, method actors.MethodNum, value big.TokenAmount, params []byte) ([]byte, *Abort) {
	f.t.Helper()
	before := f.snapshot()
	origin := f.s.Actors[caller].Address
	if origin.Empty() {
		origin = IDAddress(caller)
	}
	f.s.transfer(caller, receiver, value)
	c := &Call{Env: f.env(), Caller: caller, Origin: origin, Receiver: receiver, Value: value, Method: uint64(method), Params: params}
	ret, ab := f.s.invoke(c)
	if ab != nil {
		f.s.transfer(receiver, caller, value)
		if after := f.snapshot(); !bytes.Equal(before, after) {
			f.t.Errorf("method %d of f0%d aborted (%v) but changed the state", method, receiver, ab)
		}
	}
	f.check()
	return ret, ab
}

// call is callRaw with params encoded from v (nil: no params).
func (f *minerFixture) call(caller uint64, method actors.MethodNum, v cbg.CBORMarshaler) ([]byte, *Abort) {
	f.t.Helper()
	var params []byte
	if v != nil {
		params = cborOf(f.t, v)
	}
	return f.callRaw(caller, f.miner, method, big.TokenAmount{}, params)
}

// mustCall is call that fails the test on an abort.
func (f *minerFixture) mustCall(caller uint64, method actors.MethodNum, v cbg.CBORMarshaler) []byte {
	f.t.Helper()
	ret, ab := f.call(caller, method, v)
	if ab != nil {
		f.t.Fatalf("method %d: %v", method, ab)
	}
	return ret
}

// check checks the balance total and the miner and power invariants.
func (f *minerFixture) check() {
	f.t.Helper()
	if got := f.s.TotalBalance(); !got.Equals(f.total.Int) {
		f.t.Errorf("epoch %d: total balance %s, was %s", f.epoch, got.AttoString(), f.total.AttoString())
	}
	checkMinerInvariants(f.t, f.s)
}

// checkMinerInvariants checks every miner's state and the power totals.
func checkMinerInvariants(t testing.TB, s *State) {
	t.Helper()
	raw, qa, count := big.Int{}, big.Int{}, int64(0)
	for id, m := range s.Miners {
		if len(m.Deadlines) == 0 {
			continue // a bare miner built by hand
		}
		count++
		deposits := big.TokenAmount{}
		for _, pc := range m.PreCommits {
			deposits = deposits.Add(pc.PreCommitDeposit)
			if !m.AllocatedSectors.IsSet(pc.Info.SectorNumber) {
				t.Errorf("miner %d: pre-commit %d not allocated", id, pc.Info.SectorNumber)
			}
		}
		if !deposits.Equals(m.PreCommitDeposits.Int) {
			t.Errorf("miner %d: deposits %s, pre-commits hold %s", id, m.PreCommitDeposits, deposits)
		}
		pledge := big.TokenAmount{}
		live := map[uint64]bool{}
		for i, d := range m.Deadlines {
			for j, p := range d.Partitions {
				if !bitfield.Subtract(bitfield.Union(p.Unproven, p.Faults, p.Terminated), p.Sectors).IsEmpty() ||
					!bitfield.Intersect(p.Faults, p.Terminated).IsEmpty() || !bitfield.Intersect(p.Unproven, p.Terminated).IsEmpty() ||
					!bitfield.Subtract(p.Recoveries, p.Faults).IsEmpty() || p.Sectors.Count() > m.Info.WindowPoStPartitionSectors {
					t.Errorf("miner %d deadline %d partition %d: bad sets %+v", id, i, j, p)
				}
				if uint64(len(p.FaultExpirations)) != p.Faults.Count() {
					t.Errorf("miner %d deadline %d partition %d: %d fault expirations for %d faults", id, i, j, len(p.FaultExpirations), p.Faults.Count())
				}
				_ = p.live().ForEach(func(n uint64) error {
					if live[n] {
						t.Errorf("miner %d: sector %d in two partitions", id, n)
					}
					live[n] = true
					return nil
				})
			}
		}
		for n, si := range m.Sectors {
			pledge = pledge.Add(si.InitialPledge)
			if !live[n] {
				t.Errorf("miner %d: sector %d has an info but is not live in a partition", id, n)
			}
		}
		if len(live) != len(m.Sectors) {
			t.Errorf("miner %d: %d live sectors, %d infos", id, len(live), len(m.Sectors))
		}
		if !pledge.Equals(m.InitialPledge.Int) {
			t.Errorf("miner %d: pledge %s, sectors hold %s", id, m.InitialPledge, pledge)
		}
		if m.available(s.Actors[id].Balance).Sign() < 0 {
			t.Errorf("miner %d: balance %s below deposits and pledge", id, s.Actors[id].Balance)
		}
		r, q := m.power()
		c := s.Power.Claims[id]
		if c == nil || !c.RawBytePower.Equals(r) || !c.QualityAdjPower.Equals(q) {
			t.Errorf("miner %d: claim %+v, sectors give %s", id, c, r)
		}
	}
	for _, c := range s.Power.Claims {
		raw, qa = raw.Add(c.RawBytePower), qa.Add(c.QualityAdjPower)
	}
	if !raw.Equals(s.Power.TotalRawBytePower) || !qa.Equals(s.Power.TotalQualityAdjPower) {
		t.Errorf("power totals %s/%s, claims sum to %s/%s", s.Power.TotalRawBytePower, s.Power.TotalQualityAdjPower, raw, qa)
	}
	if count > s.Power.MinerCount {
		t.Errorf("miner count %d, %d miners", s.Power.MinerCount, count)
	}
}

// advance runs cron for every epoch from the current one up to (not
// including) to, checking the invariants after each.
func (f *minerFixture) advance(to int64) {
	f.t.Helper()
	for f.epoch < to {
		f.s.Cron(f.env())
		f.check()
		f.epoch++
	}
}

// createMinerParams are the fixture's CreateMiner parameters.
func (f *minerFixture) createMinerParams() *actors.CreateMinerParams {
	return &actors.CreateMinerParams{Owner: f.ownerAddr, Worker: f.workerAddr,
		WindowPoStProofType: proof.StackedDrgWindow2KiBV1_1, Peer: []byte{0, 4, 'p', 'e', 'e', 'r'}, // an identity multihash
		Multiaddrs: [][]byte{{1, 2, 3}}}
}

// createMiner creates the fixture's miner, owned by owner with 100 FIL,
// and adds control as a control address.
func (f *minerFixture) createMiner() {
	f.t.Helper()
	ret, ab := f.callRaw(f.owner, PowerID, actors.PowerCreateMiner, big.FromFIL(100), cborOf(f.t, f.createMinerParams()))
	if ab != nil {
		f.t.Fatal(ab)
	}
	var r actors.CreateMinerReturn
	if err := actors.DecodeReturn(ret, &r); err != nil {
		f.t.Fatal(err)
	}
	id, err := r.IDAddress.ID()
	if err != nil {
		f.t.Fatal(err)
	}
	f.miner, f.minerAddr = id, r.RobustAddress
	f.mustCall(f.owner, actors.MinerChangeWorkerAddress, &actors.ChangeWorkerAddressParams{NewWorker: f.workerAddr, NewControlAddrs: []address.Address{f.controlAddr}})
}

// m is the fixture's miner state.
func (f *minerFixture) m() *Miner { return f.s.Miners[f.miner] }

// sealSector seals sector n as it will be pre-committed at pcEpoch with a
// ticket drawn at pcEpoch-1: CC, or holding the data of testPieceData (one
// piece of 1024 padded bytes) when not nil.
func (f *minerFixture) sealSector(n uint64, pcEpoch int64, testPieceData []byte) *sealedSector {
	f.t.Helper()
	ctx := context.Background()
	eng := engine.Local{}
	entropy := minerEntropy(f.miner)
	ticket, _ := minerTestRandomness(types.DSTSealRandomness, pcEpoch-1, entropy, false)
	seed, _ := minerTestRandomness(types.DSTInteractiveSealChallengeSeed, pcEpoch+f.s.Policy.PreCommitChallengeDelay, entropy, true)
	d := filepath.Join(f.dir, strconv.FormatUint(f.miner, 10)+"-"+strconv.FormatUint(n, 10))
	sec := seal.Sector{Proof: proof.StackedDrg2KiBV1_1, Miner: f.miner, Number: n,
		Staged: filepath.Join(d, "staged"), Cache: filepath.Join(d, "cache"), Sealed: filepath.Join(d, "sealed")}
	if err := os.MkdirAll(sec.Cache, 0o755); err != nil {
		f.t.Fatal(err)
	}
	ss := &sealedSector{sector: sec}
	task := stage.AddPiecesTask{Staged: sec.Staged, SectorSize: 2048}
	if testPieceData != nil {
		path := filepath.Join(d, "piece")
		if err := os.WriteFile(path, testPieceData, 0o644); err != nil {
			f.t.Fatal(err)
		}
		task.Pieces = []stage.PieceFile{{Size: 1024, Path: path}}
	}
	out, err := eng.AddPieces(ctx, task)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, p := range out.Pieces {
		ss.pieces = append(ss.pieces, actors.PieceActivationManifest{CID: p.CID, Size: uint64(p.Size)})
	}
	st := stage.SealTask{Sector: sec, ParentCache: filepath.Join(f.dir, "parents")}
	td, err := eng.TreeD(ctx, stage.TreeDTask{Staged: sec.Staged, Tree: filepath.Join(sec.Cache, seal.TreeDFile)})
	if err != nil {
		f.t.Fatal(err)
	}
	if ss.commD, err = piece.DecodeV1(td.CommD); err != nil {
		f.t.Fatal(err)
	}
	if testPieceData != nil {
		c := td.CommD
		ss.unsealed = &c
	}
	if _, err := eng.PC1(ctx, stage.PC1Task{SealTask: st, Ticket: ticket, CommD: ss.commD}); err != nil {
		f.t.Fatal(err)
	}
	pc2, err := eng.PC2(ctx, st)
	if err != nil {
		f.t.Fatal(err)
	}
	ss.commR = pc2.CommR
	c1, err := eng.C1(ctx, stage.C1Task{SealTask: st, Ticket: ticket, Seed: seed, CommD: ss.commD})
	if err != nil {
		f.t.Fatal(err)
	}
	c2, err := eng.C2(ctx, c1)
	if err != nil {
		f.t.Fatal(err)
	}
	ss.proof = c2.Proof
	if _, err := eng.Finalize(ctx, stage.FinalizeTask{Sector: sec}); err != nil {
		f.t.Fatal(err)
	}
	f.sealed[n] = ss
	return ss
}

// expiration is the expiration the fixture pre-commits with.
func (f *minerFixture) expiration() int64 {
	p := f.s.Policy
	return f.epoch + p.MaxProveCommitDuration + p.MinSectorExpiration + 100
}

// preCommitInfo is the pre-commit of a sealed sector at the current epoch.
func (f *minerFixture) preCommitInfo(n uint64) types.SectorPreCommitInfo {
	ss := f.sealed[n]
	return types.SectorPreCommitInfo{SealProof: proof.StackedDrg2KiBV1_1, SectorNumber: n, SealedCID: piece.SealedCID(ss.commR),
		SealRandEpoch: f.epoch - 1, Expiration: f.expiration(), UnsealedCid: ss.unsealed}
}

// preCommit seals CC sectors and pre-commits them at the current epoch.
func (f *minerFixture) preCommit(numbers ...uint64) {
	f.t.Helper()
	for _, n := range numbers {
		f.sealSector(n, f.epoch, nil)
	}
	f.preCommitSealed(numbers...)
}

// preCommitSealed pre-commits sectors sealed for the current epoch.
func (f *minerFixture) preCommitSealed(numbers ...uint64) {
	f.t.Helper()
	p := &actors.PreCommitSectorBatch2Params{}
	for _, n := range numbers {
		p.Sectors = append(p.Sectors, f.preCommitInfo(n))
	}
	f.mustCall(f.worker, actors.MinerPreCommitSectorBatch2, p)
}

// testPieceData is the payload of a 1024-byte piece.
func testPieceData(seed byte) []byte {
	b := make([]byte, 1016)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

// proveParams are ProveCommitSectors3 params for sealed sectors.
func (f *minerFixture) proveParams(numbers ...uint64) *actors.ProveCommitSectors3Params {
	p := &actors.ProveCommitSectors3Params{RequireActivationSuccess: true, RequireNotificationSuccess: true}
	for _, n := range numbers {
		ss := f.sealed[n]
		pieces := append([]actors.PieceActivationManifest(nil), ss.pieces...)
		p.SectorActivations = append(p.SectorActivations, actors.SectorActivationManifest{SectorNumber: n, Pieces: pieces})
		p.SectorProofs = append(p.SectorProofs, append([]byte(nil), ss.proof...))
	}
	return p
}

// prove prove-commits sealed sectors and checks they all succeed.
func (f *minerFixture) prove(numbers ...uint64) {
	f.t.Helper()
	ret := f.mustCall(f.worker, actors.MinerProveCommitSectors3, f.proveParams(numbers...))
	var r actors.BatchReturn
	if err := actors.DecodeReturn(ret, &r); err != nil || int(r.SuccessCount) != len(numbers) {
		f.t.Fatalf("prove %v: %+v %v", numbers, r, err)
	}
}

// onboard pre-commits and proves CC sectors.
func (f *minerFixture) onboard(numbers ...uint64) {
	f.t.Helper()
	f.preCommit(numbers...)
	f.advance(f.epoch + f.s.Policy.PreCommitChallengeDelay + 1)
	f.prove(numbers...)
}

// deadlineOf returns where sector n is.
func (f *minerFixture) deadlineOf(n uint64) (dl, part uint64) {
	f.t.Helper()
	dl, part, ok := f.m().sectorLocation(n)
	if !ok {
		f.t.Fatalf("sector %d is in no partition", n)
	}
	return dl, part
}

// advanceToOpen advances to the first epoch at which deadline dl is open.
func (f *minerFixture) advanceToOpen(dl uint64) {
	f.t.Helper()
	for i := 0; ; i++ {
		d := f.s.Policy.currentDeadline(f.m().ProvingPeriodStart, f.epoch)
		if d.Index == dl && f.epoch == d.Open {
			return
		}
		if i > int(f.s.Policy.ProvingPeriod())+1 {
			f.t.Fatalf("deadline %d never opened", dl)
		}
		f.advance(f.epoch + 1)
	}
}

// advancePastClose advances to the first epoch after the current deadline
// closes (its cron has run).
func (f *minerFixture) advancePastClose() {
	f.t.Helper()
	d := f.s.Policy.currentDeadline(f.m().ProvingPeriodStart, f.epoch)
	f.advance(d.Close)
}

// postParams builds a SubmitWindowedPoSt for the open deadline over the
// given partitions, skipping skipped, with a real proof of the sectors the
// actor will expect.
func (f *minerFixture) postParams(partitions []uint64, skipped bitfield.BitField) *actors.SubmitWindowedPoStParams {
	f.t.Helper()
	m := f.m()
	dl := f.s.Policy.currentDeadline(m.ProvingPeriodStart, f.epoch)
	commit, _ := minerTestRandomness(types.DSTPoStChainCommit, f.epoch-1, nil, false)
	p := &actors.SubmitWindowedPoStParams{Deadline: dl.Index, ChainCommitEpoch: f.epoch - 1, ChainCommitRand: commit[:]}
	var sectors []seal.Sector
	for _, idx := range partitions {
		p.Partitions = append(p.Partitions, actors.PoStPartition{Index: idx, Skipped: skipped})
		part := m.Deadlines[dl.Index].Partitions[idx].clone()
		part.addFaults(skipped, 0)
		part.removeFaults(part.Recoveries)
		_ = bitfield.Subtract(part.live(), part.Faults).ForEach(func(n uint64) error {
			sectors = append(sectors, f.sealed[n].sector)
			return nil
		})
	}
	sort.Slice(sectors, func(i, j int) bool { return sectors[i].Number < sectors[j].Number })
	rnd, _ := minerTestRandomness(types.DSTWindowedPoStChallengeSeed, dl.Challenge, minerEntropy(f.miner), true)
	var bytes_ []byte
	if len(sectors) > 0 {
		out, err := engine.Local{}.GenerateWindowPoSt(context.Background(), stage.PoStTask{
			Proof: proof.StackedDrgWindow2KiBV1_1, Miner: f.miner, Randomness: rnd, Sectors: sectors})
		if err != nil || len(out.Faults) != 0 {
			f.t.Fatalf("window post: %v %v", out.Faults, err)
		}
		bytes_ = out.Proof
	}
	p.Proofs = []types.PoStProof{{PoStProof: proof.StackedDrgWindow2KiBV1_1, ProofBytes: bytes_}}
	return p
}

// submitPoSt proves every partition of the open deadline.
func (f *minerFixture) submitPoSt() {
	f.t.Helper()
	dl := f.s.Policy.currentDeadline(f.m().ProvingPeriodStart, f.epoch)
	var parts []uint64
	for i := range f.m().Deadlines[dl.Index].Partitions {
		parts = append(parts, uint64(i))
	}
	f.mustCall(f.worker, actors.MinerSubmitWindowedPoSt, f.postParams(parts, bitfield.New()))
}

// proveAllOnce walks one proving period, proving every deadline that has
// partitions when it opens.
func (f *minerFixture) proveAllOnce() {
	f.t.Helper()
	for range f.s.Policy.WPoStPeriodDeadlines {
		dl := f.s.Policy.currentDeadline(f.m().ProvingPeriodStart, f.epoch)
		if len(f.m().Deadlines[dl.Index].Partitions) > 0 {
			if f.epoch == dl.Open {
				f.advance(f.epoch + 1)
			}
			f.submitPoSt()
		}
		f.advancePastClose()
	}
}

// proveUntilOpen advances, deadline by deadline, to the second epoch of
// deadline target's next opening, proving on the way every deadline with
// partitions except target and those in miss.
func (f *minerFixture) proveUntilOpen(target uint64, miss ...uint64) {
	f.t.Helper()
	skip := map[uint64]bool{target: true}
	for _, d := range miss {
		skip[d] = true
	}
	for i := uint64(0); ; i++ {
		if i > 2*f.s.Policy.WPoStPeriodDeadlines {
			f.t.Fatalf("deadline %d never opened", target)
		}
		dl := f.s.Policy.currentDeadline(f.m().ProvingPeriodStart, f.epoch)
		if f.epoch == dl.Open {
			f.advance(f.epoch + 1)
		}
		if dl.Index == target {
			return
		}
		if !skip[dl.Index] && len(f.m().Deadlines[dl.Index].Partitions) > 0 && f.m().Deadlines[dl.Index].PartitionsPoSted.IsEmpty() {
			f.submitPoSt()
		}
		f.advancePastClose()
	}
}

// activeFixture returns a fixture whose miner has sectors 1..4 proven and
// active (every deadline with sectors proven once), at the first epoch of
// a deadline.
func activeFixture(t testing.TB) *minerFixture {
	t.Helper()
	f := newMinerFixture(t)
	f.createMiner()
	f.onboard(1, 2, 3, 4)
	f.advancePastClose()
	f.proveAllOnce()
	for n := uint64(1); n <= 4; n++ {
		if _, ok := f.m().Sectors[n]; !ok {
			t.Fatalf("sector %d not live", n)
		}
	}
	raw, _ := f.m().power()
	if want := big.NewInt(4 * 2048); !raw.Equals(want) {
		t.Fatalf("power %s, want %s", raw, want)
	}
	return f
}

// clone returns an independent copy of the fixture (sharing the sealed
// files).
func (f *minerFixture) clone(t testing.TB) *minerFixture {
	t.Helper()
	s, err := f.s.Clone()
	if err != nil {
		t.Fatal(err)
	}
	c := *f
	c.t, c.s = t, s
	c.sealed = make(map[uint64]*sealedSector, len(f.sealed))
	for k, v := range f.sealed {
		c.sealed[k] = v
	}
	return &c
}
