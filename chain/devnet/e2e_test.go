package devnet_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/chain"
	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/chain/devnet"
	"github.com/strata-sp/strata/chain/state"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/config"
	"github.com/strata-sp/strata/daemon"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
	"github.com/strata-sp/strata/fil/commp"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/fil/sig"
	ftypes "github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/engine"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/stage"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/store"
)

// e2ePolicy is the devnet policy scaled so that a sector's whole life fits
// in about 150 epochs: proving periods of 4 deadlines of 6 epochs, the seed
// 2 epochs after a pre-commit, deals and sectors a few hundred epochs long.
// With 4 deadlines a sector's deadline is mutable (terminable) while neither
// it nor the one before it is open.
func e2ePolicy() state.Policy {
	p := state.DevnetPolicy()
	p.PreCommitChallengeDelay = 2
	p.MaxProveCommitDuration = 40
	p.MaxPreCommitRandomnessLookback = 40
	p.WPoStPeriodDeadlines = 4
	p.WPoStChallengeWindow = 6
	p.WPoStChallengeLookback = 1
	p.FaultDeclarationCutoff = 2
	p.FaultMaxAge = 3 * 24 // three proving periods
	p.MinSectorExpiration = 100
	p.DealMinDuration = 100
	return p
}

// e2e drives a devnet served by a real daemon through a JSON-RPC client.
type e2e struct {
	t    *testing.T
	ctx  context.Context
	node *devnet.Node // only for Advance: the manual clock
	api  chain.API    // everything else
	pol  state.Policy
	dir  string

	miners  []*e2eMiner
	pending []pendingPoSt // WindowPoSts pushed, receipt not yet seen
	info    rpc.APIInfo
	db      *store.DB
	gen     devnet.GenesisConfig
}

// e2eMiner is a storage provider as the test runs it: its addresses, its
// sealed sectors and its WindowPoSt schedule.
type e2eMiner struct {
	name          string
	owner, worker address.Address // key addresses of genesis accounts
	id            address.Address // f0
	actor         uint64
	entropy       []byte // CBOR of the ID address: the miner's randomness entropy
	sectors       map[uint64]*e2eSector
	// autoPoSt makes every step submit the miner's WindowPoSt when one of
	// its deadlines with live sectors is open (a WindowPoSt scheduler).
	autoPoSt bool
	posted   map[int64]bool // deadline occurrences (by Open) already submitted
	posts    []int64        // Open of each occurrence proven, in order
}

// e2eSector is a sector sealed with the built-in engine.
type e2eSector struct {
	number      uint64
	sector      seal.Sector
	task        stage.SealTask
	pieces      []piece.Info
	deals       []uint64 // deal of each piece
	ticketEpoch int64
	ticket      [32]byte
	commD       [32]byte
	unsealed    cid.Cid
	commR       [32]byte
	preCommit   int64 // PreCommitEpoch, from the chain
	proof       []byte
}

type pendingPoSt struct {
	m  *e2eMiner
	dl types.DeadlineInfo
	c  cid.Cid
}

// newE2E opens a manual-clock devnet on a fresh SQLite file, serves its
// chain API from a daemon listening on 127.0.0.1:0 as `strata chain run`
// does, and dials it with chain.NewClient using the api and token files the
// daemon writes into its home.
func newE2E(t *testing.T) *e2e {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	dir := t.TempDir()
	db := openDB(t, filepath.Join(dir, "chain.db"))
	t.Cleanup(func() { db.Close() })
	gen := devnet.DefaultGenesis()
	gen.NetworkName = "strata-e2e"
	gen.Policy = e2ePolicy()
	node, err := devnet.Open(ctx, db, devnet.Config{Genesis: gen}) // BlockTime 0: a manual clock
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(node.Close)
	home := daemon.Home{Dir: filepath.Join(dir, "home")}
	d, err := daemon.New(daemon.Options{Process: "chain", Namespace: chain.Namespace, Home: home, API: config.DefaultAPI(0)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	if err := d.RPC().Register(chain.Namespace, node.API(), &(&chain.FullNodeStruct{}).Internal); err != nil {
		t.Fatal(err)
	}
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	node.Start()
	info, err := home.APIInfo()
	if err != nil {
		t.Fatal(err)
	}
	api, closer, err := chain.NewClient(ctx, info)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closer)
	return &e2e{t: t, ctx: ctx, node: node, api: api, pol: gen.Policy, dir: dir, info: info, db: db, gen: gen}
}

func (e *e2e) height() int64 {
	e.t.Helper()
	ts, err := e.api.ChainHead(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return ts.Height()
}

// step makes one tipset, then checks the receipts of pending WindowPoSts
// and submits those that are due.
func (e *e2e) step() {
	e.t.Helper()
	if err := e.node.Advance(e.ctx, 1); err != nil {
		e.t.Fatal(err)
	}
	e.settlePoSts()
	e.autoPoSt()
}

// until steps until cond holds, at most limit epochs.
func (e *e2e) until(what string, limit int, cond func(head int64) bool) {
	e.t.Helper()
	for range limit {
		if cond(e.height()) {
			return
		}
		e.step()
	}
	e.t.Fatalf("%s: not reached within %d epochs (head %d)", what, limit, e.height())
}

// encode is a message's params.
func (e *e2e) encode(v cbg.CBORMarshaler) []byte {
	e.t.Helper()
	if v == nil {
		return nil
	}
	b, err := actors.EncodeParams(v)
	if err != nil {
		e.t.Fatal(err)
	}
	return b
}

// push sends a message from a genesis key with MpoolPushMessage: the devnet
// assigns the nonce, fills the gas and signs with its own key.
func (e *e2e) push(from, to address.Address, method actors.MethodNum, value big.TokenAmount, params cbg.CBORMarshaler) cid.Cid {
	e.t.Helper()
	sm, err := e.api.MpoolPushMessage(e.ctx, &ftypes.Message{From: from, To: to, Value: value, Method: uint64(method), Params: e.encode(params)}, nil)
	if err != nil {
		e.t.Fatalf("push method %d to %s: %v", method, to, err)
	}
	c, err := sm.Cid()
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// pushSigned signs a message with k itself (nonce from MpoolGetNonce, gas
// from GasEstimateMessageGas) and pushes it with MpoolPush, as a wallet
// outside the node does.
func (e *e2e) pushSigned(k sig.PrivateKey, to address.Address, method actors.MethodNum, value big.TokenAmount, params cbg.CBORMarshaler) cid.Cid {
	e.t.Helper()
	from, err := k.Address()
	if err != nil {
		e.t.Fatal(err)
	}
	nonce, err := e.api.MpoolGetNonce(e.ctx, from)
	if err != nil {
		e.t.Fatal(err)
	}
	m := &ftypes.Message{From: from, To: to, Nonce: nonce, Value: value, Method: uint64(method), Params: e.encode(params)}
	est, err := e.api.GasEstimateMessageGas(e.ctx, m, nil, types.EmptyTSK)
	if err != nil {
		e.t.Fatal(err)
	}
	sm, err := ftypes.SignMessage(est, k)
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := e.api.MpoolPush(e.ctx, sm)
	if err != nil {
		e.t.Fatalf("push method %d to %s: %v", method, to, err)
	}
	return c
}

// wait steps until message c has executed and returns its lookup.
func (e *e2e) wait(c cid.Cid) *types.MsgLookup {
	e.t.Helper()
	for range 10 {
		l, err := e.api.StateSearchMsg(e.ctx, types.EmptyTSK, c, -1, false)
		if err != nil {
			e.t.Fatal(err)
		}
		if l != nil {
			// Executed: StateWaitMsg answers at once, with the same lookup.
			w, err := e.api.StateWaitMsg(e.ctx, c, 0, -1, false)
			if err != nil || w.Height != l.Height || w.Receipt.ExitCode != l.Receipt.ExitCode {
				e.t.Fatalf("StateWaitMsg %s: %+v %v, StateSearchMsg found %+v", c, w, err, l)
			}
			return w
		}
		e.step()
	}
	e.t.Fatalf("message %s not executed after 10 epochs", c)
	return nil
}

// mustExit waits for c and checks its exit code.
//
// A message executes at the epoch of the tipset that includes it; its
// lookup's Height is the next tipset's, whose parent state holds the
// receipt (as in Lotus). The devnet has no null rounds, so the execution
// epoch is Height-1, which the test compares with the epochs the chain
// records (PreCommitEpoch, Activation, SectorStartEpoch).
func (e *e2e) mustExit(what string, c cid.Cid, code actors.ExitCode) *types.MsgLookup {
	e.t.Helper()
	l := e.wait(c)
	if l.Receipt.ExitCode != types.ExitCode(code) {
		e.t.Fatalf("%s: exit %d, want %d (%s)", what, l.Receipt.ExitCode, code, code)
	}
	return l
}

// lookupID is StateLookupID as an actor ID.
func (e *e2e) lookupID(a address.Address) address.Address {
	e.t.Helper()
	id, err := e.api.StateLookupID(e.ctx, a, types.EmptyTSK)
	if err != nil {
		e.t.Fatalf("lookup %s: %v", a, err)
	}
	return id
}

func (e *e2e) randomness(tag types.DomainSeparationTag, epoch int64, entropy []byte, beacon bool) [32]byte {
	e.t.Helper()
	get := e.api.StateGetRandomnessFromTickets
	if beacon {
		get = e.api.StateGetRandomnessFromBeacon
	}
	b, err := get(e.ctx, tag, epoch, entropy, types.EmptyTSK)
	if err != nil || len(b) != 32 {
		e.t.Fatalf("randomness tag %d at %d: %x %v", tag, epoch, b, err)
	}
	return [32]byte(b)
}

func (e *e2e) provingDeadline(m *e2eMiner) types.DeadlineInfo {
	e.t.Helper()
	di, err := e.api.StateMinerProvingDeadline(e.ctx, m.id, types.EmptyTSK)
	if err != nil {
		e.t.Fatal(err)
	}
	return *di
}

func (e *e2e) partitions(m *e2eMiner, dl uint64) []types.Partition {
	e.t.Helper()
	ps, err := e.api.StateMinerPartitions(e.ctx, m.id, dl, types.EmptyTSK)
	if err != nil {
		e.t.Fatal(err)
	}
	return ps
}

// sectorDeadline finds where sector n of m is, over StateMinerPartitions.
func (e *e2e) sectorDeadline(m *e2eMiner, n uint64) (dl, part uint64) {
	e.t.Helper()
	for d := range e.pol.WPoStPeriodDeadlines {
		for i, p := range e.partitions(m, d) {
			if p.AllSectors.IsSet(n) {
				return d, uint64(i)
			}
		}
	}
	e.t.Fatalf("%s: sector %d is in no partition", m.name, n)
	return 0, 0
}

func (e *e2e) power(m *e2eMiner) int64 {
	e.t.Helper()
	p, err := e.api.StateMinerPower(e.ctx, m.id, types.EmptyTSK)
	if err != nil {
		e.t.Fatal(err)
	}
	n, _ := p.MinerPower.RawBytePower.Int64()
	return n
}

func (e *e2e) faults(m *e2eMiner) bitfield.BitField {
	e.t.Helper()
	f, err := e.api.StateMinerFaults(e.ctx, m.id, types.EmptyTSK)
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

// postParams builds m's WindowPoSt for the open deadline di at the current
// head, as a prover does from the chain alone: the partitions with live
// sectors, the sectors to prove (live, not faulty unless declared
// recovered) in ascending number as the chain verifies them, the challenge
// from the beacon at di.Challenge with the miner's entropy, and the chain
// commitment at the head's epoch (after di.Challenge, before the epoch the
// message executes at).
func (e *e2e) postParams(m *e2eMiner, di types.DeadlineInfo) *actors.SubmitWindowedPoStParams {
	e.t.Helper()
	head := e.height()
	commit := e.randomness(types.DSTPoStChainCommit, head, nil, false)
	p := &actors.SubmitWindowedPoStParams{Deadline: di.Index, ChainCommitEpoch: head, ChainCommitRand: commit[:]}
	var numbers []uint64
	for i, part := range e.partitions(m, di.Index) {
		if part.LiveSectors.IsEmpty() {
			continue
		}
		p.Partitions = append(p.Partitions, actors.PoStPartition{Index: uint64(i), Skipped: bitfield.New()})
		bad := bitfield.Subtract(part.FaultySectors, part.RecoveringSectors)
		_ = bitfield.Subtract(part.LiveSectors, bad).ForEach(func(n uint64) error {
			numbers = append(numbers, n)
			return nil
		})
	}
	slices.Sort(numbers)
	var sectors []seal.Sector
	for _, n := range numbers {
		s := m.sectors[n]
		if s == nil {
			e.t.Fatalf("%s: the chain lists sector %d, which was never sealed", m.name, n)
		}
		sectors = append(sectors, s.sector)
	}
	rnd := e.randomness(types.DSTWindowedPoStChallengeSeed, di.Challenge, m.entropy, true)
	out, err := engine.Local{}.GenerateWindowPoSt(e.ctx, stage.PoStTask{Proof: proof.StackedDrgWindow2KiBV1_1, Miner: m.actor, Randomness: rnd, Sectors: sectors})
	if err != nil || len(out.Faults) != 0 {
		e.t.Fatalf("%s: window post: %v %+v", m.name, err, out.Faults)
	}
	p.Proofs = []types.PoStProof{{PoStProof: proof.StackedDrgWindow2KiBV1_1, ProofBytes: out.Proof}}
	return p
}

// postDue reports the deadline m must prove now, if any: its open deadline
// holds live sectors, has not been submitted for, and a message pushed now
// (executed at head+1) still lands in it.
func (e *e2e) postDue(m *e2eMiner) (types.DeadlineInfo, bool) {
	e.t.Helper()
	head := e.height()
	di := e.provingDeadline(m)
	if head < di.Open || head+1 >= di.Close || m.posted[di.Open] {
		return di, false
	}
	for _, p := range e.partitions(m, di.Index) {
		if !p.LiveSectors.IsEmpty() {
			return di, true
		}
	}
	return di, false
}

// autoPoSt submits the WindowPoSts due of the miners that prove
// automatically.
func (e *e2e) autoPoSt() {
	e.t.Helper()
	for _, m := range e.miners {
		if !m.autoPoSt {
			continue
		}
		if di, ok := e.postDue(m); ok {
			e.submitPoSt(m, di)
		}
	}
}

func (e *e2e) submitPoSt(m *e2eMiner, di types.DeadlineInfo) {
	e.t.Helper()
	c := e.push(m.worker, m.id, actors.MinerSubmitWindowedPoSt, big.TokenAmount{}, e.postParams(m, di))
	m.posted[di.Open] = true
	e.pending = append(e.pending, pendingPoSt{m: m, dl: di, c: c})
}

// settlePoSts checks the WindowPoSts that have executed: exit 0, and their
// partitions healthy afterwards (no faults, no recoveries left, every live
// sector active).
func (e *e2e) settlePoSts() {
	e.t.Helper()
	var left []pendingPoSt
	for _, p := range e.pending {
		l, err := e.api.StateSearchMsg(e.ctx, types.EmptyTSK, p.c, -1, false)
		if err != nil {
			e.t.Fatal(err)
		}
		if l == nil {
			left = append(left, p)
			continue
		}
		if l.Receipt.ExitCode != 0 {
			e.t.Fatalf("%s: WindowPoSt of deadline %d (open %d): exit %d", p.m.name, p.dl.Index, p.dl.Open, l.Receipt.ExitCode)
		}
		if exec := l.Height - 1; exec < p.dl.Open || exec >= p.dl.Close {
			e.t.Fatalf("%s: WindowPoSt executed at %d, outside deadline %d [%d, %d)", p.m.name, exec, p.dl.Index, p.dl.Open, p.dl.Close)
		}
		if head := l.Height; head < p.dl.Close {
			// Still in the window: the deadline counts the submission.
			dls, err := e.api.StateMinerDeadlines(e.ctx, p.m.id, types.EmptyTSK)
			if err != nil || uint64(len(dls)) != e.pol.WPoStPeriodDeadlines || dls[p.dl.Index].PostSubmissions.IsEmpty() {
				e.t.Fatalf("%s: deadlines after the WindowPoSt of deadline %d: %+v %v", p.m.name, p.dl.Index, dls, err)
			}
		}
		for i, part := range e.partitions(p.m, p.dl.Index) {
			if !part.FaultySectors.IsEmpty() || !part.RecoveringSectors.IsEmpty() || !part.ActiveSectors.Equal(part.LiveSectors) {
				e.t.Fatalf("%s: deadline %d partition %d after its WindowPoSt: faulty %s, recovering %s, active %s, live %s",
					p.m.name, p.dl.Index, i, part.FaultySectors, part.RecoveringSectors, part.ActiveSectors, part.LiveSectors)
			}
		}
		p.m.posts = append(p.m.posts, p.dl.Open)
		e.t.Logf("epoch %d: %s proved deadline %d (open %d)", l.Height-1, p.m.name, p.dl.Index, p.dl.Open)
	}
	e.pending = left
}

// makePiece writes a piece of random data (the piece's whole unpadded
// capacity) and returns its padded size, CID and file.
func makePiece(t *testing.T, rng *mrand.ChaCha8, dir string, size piece.PaddedSize) stage.PieceFile {
	t.Helper()
	data := make([]byte, size.Unpadded())
	_, _ = rng.Read(data)
	h := commp.New(commp.Options{Workers: 1})
	if _, err := h.Write(data); err != nil {
		t.Fatal(err)
	}
	c, got, err := h.Sum()
	if err != nil || piece.PaddedSize(got) != size {
		t.Fatalf("commp: %v, size %d, want %d", err, got, size)
	}
	f, err := os.CreateTemp(dir, "piece-*")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	return stage.PieceFile{Size: size, CID: c, Path: f.Name()}
}

// sealPreCommit stages a sector from piece files and runs TreeD, PC1 and
// PC2 with the sealing ticket the chain gives at the head's epoch for m
// (SealRandomness, from tickets, entropy the miner's address).
func (e *e2e) sealPreCommit(m *e2eMiner, n uint64, pieces []stage.PieceFile) *e2eSector {
	e.t.Helper()
	ctx := e.ctx
	eng := engine.Local{}
	d := filepath.Join(e.dir, m.name, strconv.FormatUint(n, 10))
	s := &e2eSector{number: n, sector: seal.Sector{Proof: proof.StackedDrg2KiBV1_1, Miner: m.actor, Number: n,
		Staged: filepath.Join(d, "staged"), Cache: filepath.Join(d, "cache"), Sealed: filepath.Join(d, "sealed")}}
	s.task = stage.SealTask{Sector: s.sector, ParentCache: filepath.Join(e.dir, "parents")}
	if err := os.MkdirAll(s.sector.Cache, 0o755); err != nil {
		e.t.Fatal(err)
	}
	out, err := eng.AddPieces(ctx, stage.AddPiecesTask{Staged: s.sector.Staged, SectorSize: piece.PaddedSize(proof.Size2KiB), Pieces: pieces})
	if err != nil {
		e.t.Fatal(err)
	}
	s.pieces = out.Pieces
	td, err := eng.TreeD(ctx, stage.TreeDTask{Staged: s.sector.Staged, Tree: filepath.Join(s.sector.Cache, seal.TreeDFile)})
	if err != nil {
		e.t.Fatal(err)
	}
	// The staged sector's CommD is the one the chain computes from the
	// piece manifests.
	want, err := commp.UnsealedCID(piece.PaddedSize(proof.Size2KiB), s.pieces)
	if err != nil || !want.Equals(td.CommD) {
		e.t.Fatalf("CommD %s, pieces give %s (%v)", td.CommD, want, err)
	}
	s.unsealed = td.CommD
	if s.commD, err = piece.DecodeV1(td.CommD); err != nil {
		e.t.Fatal(err)
	}
	s.ticketEpoch = e.height()
	s.ticket = e.randomness(types.DSTSealRandomness, s.ticketEpoch, m.entropy, false)
	if _, err := eng.PC1(ctx, stage.PC1Task{SealTask: s.task, Ticket: s.ticket, CommD: s.commD}); err != nil {
		e.t.Fatal(err)
	}
	pc2, err := eng.PC2(ctx, s.task)
	if err != nil {
		e.t.Fatal(err)
	}
	s.commR = pc2.CommR
	m.sectors[n] = s
	return s
}

// sealProve runs C1 and C2 with the interactive seed the chain gives at
// PreCommitEpoch + PreCommitChallengeDelay (from the beacon), then Finalize.
func (e *e2e) sealProve(m *e2eMiner, s *e2eSector) {
	e.t.Helper()
	eng := engine.Local{}
	seed := e.randomness(types.DSTInteractiveSealChallengeSeed, s.preCommit+e.pol.PreCommitChallengeDelay, m.entropy, true)
	c1, err := eng.C1(e.ctx, stage.C1Task{SealTask: s.task, Ticket: s.ticket, Seed: seed, CommD: s.commD})
	if err != nil {
		e.t.Fatal(err)
	}
	c2, err := eng.C2(e.ctx, c1)
	if err != nil {
		e.t.Fatal(err)
	}
	s.proof = c2.Proof
	if _, err := eng.Finalize(e.ctx, stage.FinalizeTask{Sector: s.sector}); err != nil {
		e.t.Fatal(err)
	}
}

// proveParams activates a sector with its pieces, each notifying the market
// of its deal.
func proveParams(s *e2eSector, proofBytes []byte) *actors.ProveCommitSectors3Params {
	act := actors.SectorActivationManifest{SectorNumber: s.number}
	for i, p := range s.pieces {
		act.Pieces = append(act.Pieces, actors.PieceActivationManifest{CID: p.CID, Size: uint64(p.Size),
			Notify: []actors.DataActivationNotification{{Address: actors.MarketAddr, Payload: actors.EncodeDealID(s.deals[i])}}})
	}
	return &actors.ProveCommitSectors3Params{SectorActivations: []actors.SectorActivationManifest{act},
		SectorProofs: [][]byte{proofBytes}, RequireActivationSuccess: true, RequireNotificationSuccess: true}
}

// TestDevnet_EndToEnd is the acceptance test of issue 5. It drives the
// devnet over JSON-RPC only: the node runs behind a real daemon and the
// test talks to it through chain.NewClient, exactly as a storage provider
// would. The only calls that bypass RPC are node.Advance, which ticks the
// manual clock (a devnet with a block time would tick on its own), and
// node.Keys, read once to learn the funded genesis keys as `strata chain
// run` hands them out in its keys/ directory.
//
// Two miners are created; a client with a key of its own, funded by a
// transfer, signs deals whose pieces are random data, and both parties
// lock escrow. Each miner seals a 2 KiB sector from its deals' pieces with
// the built-in engine (ticket and seed from the chain), pre-commits and
// prove-commits it with piece manifests that activate the deals, and
// proves it with WindowPoSt in its deadline. Miner B then misses a
// deadline, sees its sector faulty, declares it recovered and proves it
// again; miner A terminates its sector, whose deals then answer "not
// found". On the way, wrong messages fail with their documented exit
// codes.
func TestDevnet_EndToEnd(t *testing.T) {
	start := time.Now()
	e := newE2E(t)
	ctx := e.ctx
	lap := time.Now()
	timing := func(phase string) {
		t.Logf("%-28s %6s  (head %d)", phase, time.Since(lap).Round(time.Millisecond), e.height())
		lap = time.Now()
	}

	// The genesis keys, ordered by actor ID as the chain knows them.
	type account struct {
		addr address.Address
		id   address.Address
		key  sig.PrivateKey
	}
	var secp []account
	var bls account
	for a := range e.node.Keys() {
		k := keyOf(t, e.node, a)
		acc := account{addr: a, id: e.lookupID(a), key: k}
		if k.Type() == sig.BLS {
			bls = acc
		} else {
			secp = append(secp, acc)
		}
	}
	slices.SortFunc(secp, func(x, y account) int {
		i, _ := x.id.ID()
		j, _ := y.id.ID()
		return cmp.Compare(i, j)
	})
	if len(secp) != 3 || bls.key == nil {
		t.Fatalf("genesis keys: %d secp256k1, BLS %v", len(secp), bls.addr)
	}
	if name, err := e.api.StateNetworkName(ctx); err != nil || name != "strata-e2e" {
		t.Fatalf("network name %q %v", name, err)
	}

	// A client key of its own, funded by a transfer the test signs.
	clientKey, err := sig.GenerateKey(sig.Secp256k1, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	client, _ := clientKey.Address()
	fund := e.pushSigned(secp[2].key, client, actors.MethodSend, big.FromFIL(100), nil)

	// Two miners: A owned by a secp256k1 key with the BLS key as worker (as
	// the network requires), B with one secp256k1 key for both (which the
	// devnet allows).
	a := &e2eMiner{name: "A", owner: secp[0].addr, worker: bls.addr}
	b := &e2eMiner{name: "B", owner: secp[1].addr, worker: secp[1].addr}
	e.miners = []*e2eMiner{a, b}
	creates := map[*e2eMiner]cid.Cid{}
	for _, m := range e.miners {
		creates[m] = e.push(m.owner, actors.PowerAddr, actors.PowerCreateMiner, big.FromFIL(10), &actors.CreateMinerParams{
			Owner: m.owner, Worker: m.worker, WindowPoStProofType: proof.StackedDrgWindow2KiBV1_1})
	}
	e.mustExit("fund client", fund, actors.ExitOk)
	if bal, err := e.api.WalletBalance(ctx, client); err != nil || !bal.Equals(big.FromFIL(100).Int) {
		t.Fatalf("client balance %s %v", bal, err)
	}
	for _, m := range e.miners {
		l := e.mustExit("create miner "+m.name, creates[m], actors.ExitOk)
		var r actors.CreateMinerReturn
		if err := actors.DecodeReturn(l.Receipt.Return, &r); err != nil {
			t.Fatal(err)
		}
		m.id = r.IDAddress
		m.actor, _ = m.id.ID()
		if got := e.lookupID(r.RobustAddress); got != m.id {
			t.Fatalf("miner %s: robust %s resolves to %s, created as %s", m.name, r.RobustAddress, got, m.id)
		}
		info, err := e.api.StateMinerInfo(ctx, r.RobustAddress, types.EmptyTSK)
		if err != nil {
			t.Fatal(err)
		}
		if info.Owner != e.lookupID(m.owner) || info.Worker != e.lookupID(m.worker) || info.SectorSize != proof.Size2KiB ||
			info.WindowPoStProofType != proof.StackedDrgWindow2KiBV1_1 || info.WindowPoStPartitionSectors != e.pol.WindowPoStPartitionSectors {
			t.Fatalf("miner %s info %+v", m.name, info)
		}
		var buf bytes.Buffer
		if err := m.id.MarshalCBOR(&buf); err != nil {
			t.Fatal(err)
		}
		m.entropy = buf.Bytes()
		m.sectors = map[uint64]*e2eSector{}
		m.posted = map[int64]bool{}
	}
	if a.id == b.id {
		t.Fatal("both miners got the same ID")
	}
	timing("accounts and miners")

	// Escrow: the client (its own signature) and both providers (their
	// owners, through the node).
	escrow := big.FromFIL(1)
	adds := []cid.Cid{e.pushSigned(clientKey, actors.MarketAddr, actors.MarketAddBalance, escrow, &actors.AddBalanceParams{ProviderOrClient: client})}
	for _, m := range e.miners {
		adds = append(adds, e.push(m.owner, actors.MarketAddr, actors.MarketAddBalance, escrow, &actors.AddBalanceParams{ProviderOrClient: m.id}))
	}
	for _, c := range adds {
		e.mustExit("add balance", c, actors.ExitOk)
	}
	for _, x := range []address.Address{client, a.id, b.id} {
		mb, err := e.api.StateMarketBalance(ctx, x, types.EmptyTSK)
		if err != nil || !mb.Escrow.Equals(escrow.Int) || mb.Locked.Sign() != 0 {
			t.Fatalf("escrow of %s: %+v %v", x, mb, err)
		}
	}

	// Deals on random data: A gets two 1 KiB pieces, which fill its
	// sector; B one 2 KiB piece.
	rng := mrand.NewChaCha8([32]byte{'e', '2', 'e'})
	pieceDir := filepath.Join(e.dir, "pieces")
	if err := os.MkdirAll(pieceDir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[*e2eMiner][]stage.PieceFile{
		a: {makePiece(t, rng, pieceDir, 1024), makePiece(t, rng, pieceDir, 1024)},
		b: {makePiece(t, rng, pieceDir, 2048)},
	}
	dealStart := e.height() + 40 // after the prove-commits, which must come first
	dealEnd := dealStart + 2*e.pol.DealMinDuration
	deals := map[*e2eMiner][]ftypes.ClientDealProposal{}
	for _, m := range e.miners {
		for i, f := range files[m] {
			bounds, err := e.api.StateDealProviderCollateralBounds(ctx, f.Size, false, types.EmptyTSK)
			if err != nil || bounds.Min.Sign() <= 0 {
				t.Fatalf("collateral bounds: %+v %v", bounds, err)
			}
			label, _ := ftypes.NewLabelFromString("strata e2e " + m.name + strconv.Itoa(i))
			p := &ftypes.DealProposal{PieceCID: f.CID, PieceSize: uint64(f.Size), Client: client, Provider: m.id, Label: label,
				StartEpoch: dealStart, EndEpoch: dealEnd, StoragePricePerEpoch: big.FromAttoFIL(1000),
				ProviderCollateral: bounds.Min, ClientCollateral: big.FromAttoFIL(0)}
			cp, err := ftypes.SignDealProposal(p, clientKey)
			if err != nil {
				t.Fatal(err)
			}
			deals[m] = append(deals[m], *cp)
		}
	}
	// Only the provider's worker or a control address may publish: the
	// client's own attempt fails with ExitForbidden.
	byClient := e.pushSigned(clientKey, actors.MarketAddr, actors.MarketPublishStorageDeals, big.TokenAmount{},
		&actors.PublishStorageDealsParams{Deals: deals[a]})
	publish := map[*e2eMiner]cid.Cid{}
	for _, m := range e.miners {
		publish[m] = e.push(m.worker, actors.MarketAddr, actors.MarketPublishStorageDeals, big.TokenAmount{},
			&actors.PublishStorageDealsParams{Deals: deals[m]})
	}
	e.mustExit("PublishStorageDeals by the client", byClient, actors.ExitForbidden)
	clientID := e.lookupID(client)
	dealIDs := map[*e2eMiner][]uint64{}
	for _, m := range e.miners {
		l := e.mustExit("PublishStorageDeals for "+m.name, publish[m], actors.ExitOk)
		var r actors.PublishStorageDealsReturn
		if err := actors.DecodeReturn(l.Receipt.Return, &r); err != nil {
			t.Fatal(err)
		}
		if r.ValidDeals.Count() != uint64(len(deals[m])) {
			t.Fatalf("%s: %d of %d deals valid", m.name, r.ValidDeals.Count(), len(deals[m]))
		}
		dealIDs[m] = r.IDs
		for i, id := range r.IDs {
			md, err := e.api.StateMarketStorageDeal(ctx, id, types.EmptyTSK)
			if err != nil {
				t.Fatal(err)
			}
			if md.Proposal.Client != clientID || md.Proposal.Provider != m.id || !md.Proposal.PieceCID.Equals(files[m][i].CID) ||
				md.State.SectorStartEpoch != types.NoEpoch {
				t.Fatalf("deal %d: %+v", id, md)
			}
		}
	}
	timing("escrow and deals")

	// Seal and pre-commit one sector per miner, with the ticket drawn at
	// the head's epoch: the pre-commit executes at the next one, after it.
	const sectorNumber = 1
	preCommits := map[*e2eMiner]cid.Cid{}
	for _, m := range e.miners {
		s := e.sealPreCommit(m, sectorNumber, files[m])
		s.deals = dealIDs[m]
		pc := types.SectorPreCommitInfo{SealProof: proof.StackedDrg2KiBV1_1, SectorNumber: s.number, SealedCID: piece.SealedCID(s.commR),
			SealRandEpoch: s.ticketEpoch, Expiration: dealEnd + 20, UnsealedCid: &s.unsealed}
		preCommits[m] = e.push(m.worker, m.id, actors.MinerPreCommitSectorBatch2, big.TokenAmount{},
			&actors.PreCommitSectorBatch2Params{Sectors: []types.SectorPreCommitInfo{pc}})
	}
	for _, m := range e.miners {
		l := e.mustExit("pre-commit "+m.name, preCommits[m], actors.ExitOk)
		pci, err := e.api.StateSectorPreCommitInfo(ctx, m.id, sectorNumber, types.EmptyTSK)
		if err != nil || pci == nil {
			t.Fatalf("%s: pre-commit info %+v %v", m.name, pci, err)
		}
		s := m.sectors[sectorNumber]
		if pci.PreCommitEpoch != l.Height-1 || !pci.Info.SealedCID.Equals(piece.SealedCID(s.commR)) || pci.PreCommitDeposit.Sign() <= 0 {
			t.Fatalf("%s: pre-commit %+v, executed at %d", m.name, pci, l.Height-1)
		}
		s.preCommit = pci.PreCommitEpoch
	}
	// A prove-commit executing before the seed epoch is refused
	// (ExitForbidden), whatever its proof: the seed does not exist yet.
	s := a.sectors[sectorNumber]
	if head := e.height(); head+1 > s.preCommit+e.pol.PreCommitChallengeDelay {
		t.Fatalf("head %d is already past the seed epoch %d", head, s.preCommit+e.pol.PreCommitChallengeDelay)
	}
	early := e.push(a.worker, a.id, actors.MinerProveCommitSectors3, big.TokenAmount{}, proveParams(s, []byte{0}))
	e.mustExit("prove-commit before the seed", early, actors.ExitForbidden)
	timing("seal and pre-commit")

	// Prove-commit once the seed epoch has passed, activating the deals.
	e.until("seed epoch", 10, func(head int64) bool {
		return head >= max(a.sectors[sectorNumber].preCommit, b.sectors[sectorNumber].preCommit)+e.pol.PreCommitChallengeDelay
	})
	proves := map[*e2eMiner]cid.Cid{}
	for _, m := range e.miners {
		s := m.sectors[sectorNumber]
		e.sealProve(m, s)
		proves[m] = e.push(m.worker, m.id, actors.MinerProveCommitSectors3, big.TokenAmount{}, proveParams(s, s.proof))
	}
	for _, m := range e.miners {
		l := e.mustExit("prove-commit "+m.name, proves[m], actors.ExitOk)
		var r actors.BatchReturn
		if err := actors.DecodeReturn(l.Receipt.Return, &r); err != nil || r.SuccessCount != 1 || !r.AllOK() {
			t.Fatalf("%s: prove-commit return %+v %v", m.name, r, err)
		}
		activation := l.Height - 1
		si, err := e.api.StateSectorGetInfo(ctx, m.id, sectorNumber, types.EmptyTSK)
		if err != nil || si == nil || si.Activation != activation || !si.SealedCID.Equals(piece.SealedCID(m.sectors[sectorNumber].commR)) {
			t.Fatalf("%s: sector info %+v %v", m.name, si, err)
		}
		for _, id := range dealIDs[m] {
			md, err := e.api.StateMarketStorageDeal(ctx, id, types.EmptyTSK)
			if err != nil || md.State.SectorStartEpoch != activation || md.State.SectorNumber != sectorNumber {
				t.Fatalf("%s: deal %d after prove-commit at %d: %+v %v", m.name, id, activation, md, err)
			}
		}
		if ss, err := e.api.StateMinerSectors(ctx, m.id, nil, types.EmptyTSK); err != nil || len(ss) != 1 || ss[0].SectorNumber != sectorNumber {
			t.Fatalf("%s: sectors %+v %v", m.name, ss, err)
		}
		// Unproven until its first WindowPoSt: no power yet.
		if p := e.power(m); p != 0 {
			t.Fatalf("%s: power %d before the first WindowPoSt", m.name, p)
		}
	}
	secDL := map[*e2eMiner]uint64{}
	for _, m := range e.miners {
		secDL[m], _ = e.sectorDeadline(m, sectorNumber)
		t.Logf("%s (%s): sector %d in deadline %d", m.name, m.id, sectorNumber, secDL[m])
	}
	timing("prove-commit")

	// First WindowPoSts. B proves automatically; A's first window also
	// carries three wrong messages, in the same block as its good proof:
	// a proof with a flipped byte and a proof naming another deadline fail
	// with ExitIllegalArgument (16), and so does a termination of a sector
	// whose deadline is open (immutable).
	b.autoPoSt = true
	var due types.DeadlineInfo
	e.until("A's first deadline", int(e.pol.ProvingPeriod())+2, func(int64) bool {
		var ok bool
		due, ok = e.postDue(a)
		return ok
	})
	if due.Index != secDL[a] {
		t.Fatalf("A is due in deadline %d, its sector is in %d", due.Index, secDL[a])
	}
	corrupt := e.postParams(a, due)
	corrupt.Proofs[0].ProofBytes[len(corrupt.Proofs[0].ProofBytes)/2] ^= 1
	badProof := e.push(a.worker, a.id, actors.MinerSubmitWindowedPoSt, big.TokenAmount{}, corrupt)
	other := e.postParams(a, due)
	other.Deadline = (due.Index + 1) % e.pol.WPoStPeriodDeadlines
	wrongDL := e.push(a.worker, a.id, actors.MinerSubmitWindowedPoSt, big.TokenAmount{}, other)
	terminate := &actors.TerminateSectorsParams{Terminations: []actors.FaultDeclaration{
		{Deadline: secDL[a], Partition: 0, Sectors: bitfield.NewFromSet([]uint64{sectorNumber})}}}
	immutable := e.push(a.worker, a.id, actors.MinerTerminateSectors, big.TokenAmount{}, terminate)
	a.autoPoSt = true
	e.autoPoSt() // A's good proof, same block
	e.mustExit("WindowPoSt with a corrupted proof", badProof, actors.ExitIllegalArgument)
	e.mustExit("WindowPoSt for the wrong deadline", wrongDL, actors.ExitIllegalArgument)
	e.mustExit("termination in the open deadline", immutable, actors.ExitIllegalArgument)
	e.until("both miners' first WindowPoSt", int(e.pol.ProvingPeriod())+2, func(int64) bool {
		return len(a.posts) >= 1 && len(b.posts) >= 1
	})
	for _, m := range e.miners {
		if p := e.power(m); p != int64(proof.Size2KiB) {
			t.Fatalf("%s: power %d after its first WindowPoSt", m.name, p)
		}
	}
	timing("first WindowPoSts")

	// B misses the next occurrence of its deadline: at its close the cron
	// marks the sector faulty and its power goes; A keeps proving.
	b.autoPoSt = false
	missedOpen := slices.Max(slices.Collect(maps.Keys(b.posted))) + e.pol.ProvingPeriod()
	missedClose := missedOpen + e.pol.WPoStChallengeWindow
	e.until("B's missed deadline to close", int(e.pol.ProvingPeriod())+2*int(e.pol.WPoStChallengeWindow), func(head int64) bool {
		return head >= missedClose
	})
	if f := e.faults(b); !f.IsSet(sectorNumber) {
		t.Fatalf("B: faults %s after missing deadline %d", f, secDL[b])
	}
	dlB, partB := e.sectorDeadline(b, sectorNumber)
	if part := e.partitions(b, dlB)[partB]; !part.FaultySectors.IsSet(sectorNumber) || part.ActiveSectors.IsSet(sectorNumber) {
		t.Fatalf("B: partition after the missed deadline: %+v", part)
	}
	if p := e.power(b); p != 0 {
		t.Fatalf("B: power %d while faulty", p)
	}
	if f := e.faults(a); !f.IsEmpty() {
		t.Fatalf("A: faults %s", f)
	}
	if md, err := e.api.StateMarketStorageDeal(ctx, dealIDs[b][0], types.EmptyTSK); err != nil || md.State.SlashEpoch != types.NoEpoch {
		t.Fatalf("B's deal while its sector is faulty: %+v %v", md, err)
	}
	timing("missed deadline")

	// B declares the sector recovered, before the fault cutoff of the
	// deadline's next occurrence, and proves it there.
	recovery := e.push(b.worker, b.id, actors.MinerDeclareFaultsRecovered, big.TokenAmount{}, &actors.DeclareFaultsRecoveredParams{
		Recoveries: []actors.FaultDeclaration{{Deadline: dlB, Partition: partB, Sectors: bitfield.NewFromSet([]uint64{sectorNumber})}}})
	e.mustExit("declare recovered", recovery, actors.ExitOk)
	rec, err := e.api.StateMinerRecoveries(ctx, b.id, types.EmptyTSK)
	if err != nil || !rec.IsSet(sectorNumber) {
		t.Fatalf("B: recoveries %s %v", rec, err)
	}
	if part := e.partitions(b, dlB)[partB]; !part.RecoveringSectors.IsSet(sectorNumber) || !part.FaultySectors.IsSet(sectorNumber) {
		t.Fatalf("B: partition after declaring the recovery: %+v", part)
	}
	b.autoPoSt = true
	before := len(b.posts)
	e.until("B's recovery proof", int(e.pol.ProvingPeriod())+2, func(int64) bool { return len(b.posts) > before })
	if got := b.posts[len(b.posts)-1]; got != missedOpen+e.pol.ProvingPeriod() {
		t.Fatalf("B proved the occurrence opening at %d, want %d", got, missedOpen+e.pol.ProvingPeriod())
	}
	if f := e.faults(b); !f.IsEmpty() {
		t.Fatalf("B: faults %s after the recovery proof", f)
	}
	if rec, err := e.api.StateMinerRecoveries(ctx, b.id, types.EmptyTSK); err != nil || !rec.IsEmpty() {
		t.Fatalf("B: recoveries %s %v after the recovery proof", rec, err)
	}
	if p := e.power(b); p != int64(proof.Size2KiB) {
		t.Fatalf("B: power %d after the recovery", p)
	}
	timing("recovery")

	// A terminates its sector once the sector's deadline is mutable
	// (neither open nor next at the epoch the message executes): its deals
	// are slashed and removed, and the sector is gone.
	e.until("A's deadline to be mutable", int(e.pol.ProvingPeriod())+2, func(head int64) bool {
		di := e.provingDeadline(a)
		cur := di.Index
		if head+1 >= di.Close {
			cur = (cur + 1) % e.pol.WPoStPeriodDeadlines
		}
		return cur != secDL[a] && (cur+1)%e.pol.WPoStPeriodDeadlines != secDL[a]
	})
	l := e.mustExit("terminate", e.push(a.worker, a.id, actors.MinerTerminateSectors, big.TokenAmount{}, terminate), actors.ExitOk)
	terminated := l.Height - 1
	var tr actors.TerminateSectorsReturn
	if err := actors.DecodeReturn(l.Receipt.Return, &tr); err != nil || !tr.Done {
		t.Fatalf("terminate return %+v %v", tr, err)
	}
	for _, id := range dealIDs[a] {
		md, err := e.api.StateMarketStorageDeal(ctx, id, types.EmptyTSK)
		if err == nil || !strings.Contains(err.Error(), "not found") || !errors.Is(err, rpc.ErrNotFound) {
			t.Fatalf("deal %d of the terminated sector: %+v %v", id, md, err)
		}
	}
	if si, err := e.api.StateSectorGetInfo(ctx, a.id, sectorNumber, types.EmptyTSK); err != nil || si != nil {
		t.Fatalf("terminated sector info %+v %v", si, err)
	}
	if part := e.partitions(a, secDL[a])[0]; part.LiveSectors.IsSet(sectorNumber) || !part.AllSectors.IsSet(sectorNumber) {
		t.Fatalf("A: partition after the termination: %+v", part)
	}
	if p := e.power(a); p != 0 {
		t.Fatalf("A: power %d after the termination", p)
	}
	if mb, err := e.api.StateMarketBalance(ctx, a.id, types.EmptyTSK); err != nil || mb.Locked.Sign() != 0 {
		t.Fatalf("A's escrow after the termination: %+v %v", mb, err)
	}
	// B's deal is untouched.
	if md, err := e.api.StateMarketStorageDeal(ctx, dealIDs[b][0], types.EmptyTSK); err != nil || md.State.SectorNumber != sectorNumber ||
		md.State.SlashEpoch != types.NoEpoch {
		t.Fatalf("B's deal after A's termination: %+v %v", md, err)
	}
	timing("termination")

	// One more period: B keeps proving, A's deadline closes with nothing
	// left to prove, and nothing turns faulty.
	before = len(b.posts)
	e.until("a proving period after the termination", int(e.pol.ProvingPeriod())+2, func(head int64) bool {
		return head > terminated+e.pol.ProvingPeriod()
	})
	if len(b.posts) <= before {
		t.Fatal("B did not prove in the last period")
	}
	for _, m := range e.miners {
		if f := e.faults(m); !f.IsEmpty() {
			t.Fatalf("%s: faults %s at the end", m.name, f)
		}
	}
	if len(e.pending) != 0 {
		t.Fatalf("%d WindowPoSts still pending", len(e.pending))
	}
	timing("last period")

	// The raw JSON of the main methods' results has the fields and JSON
	// types Lotus documents (golden files in chain/types/testdata).
	e.checkShapes([]shapeCheck{
		{"ChainHead", nil, "tipset.json"},
		{"StateSearchMsg", []any{[]any{}, l.Message, -1, true}, "msglookup.json"},
		{"StateWaitMsg", []any{l.Message, 0, -1, true}, "msglookup.json"},
		{"StateGetActor", []any{b.id, nil}, "actor.json"},
		{"StateMinerInfo", []any{b.id, nil}, "minerinfo.json"},
		{"StateMinerPower", []any{b.id, nil}, "minerpower.json"},
		{"StateMinerProvingDeadline", []any{b.id, nil}, "deadlineinfo.json"},
		{"StateMinerDeadlines", []any{b.id, nil}, "deadlines.json"},
		{"StateMinerPartitions", []any{b.id, secDL[b], nil}, "partitions.json"},
		{"StateMinerFaults", []any{b.id, nil}, "minerfaults.json"},
		{"StateSectorGetInfo", []any{b.id, sectorNumber, nil}, "sectoronchaininfo.json"},
		{"StateMarketStorageDeal", []any{dealIDs[b][0], nil}, "marketdeal.json"},
		{"StateMarketDeals", []any{nil}, "marketdeals.json"},
		{"StateMarketBalance", []any{b.id, nil}, "marketbalance.json"},
		{"StateDealProviderCollateralBounds", []any{2048, false, nil}, "dealcollateralbounds.json"},
	})

	// A restarted node (the same store) has the same head, balances, deals
	// and sectors.
	e.checkRestart([]address.Address{a.id, b.id, a.owner, b.owner})
	t.Logf("%d epochs, %d WindowPoSts by A, %d by B, in %s", e.height(), len(a.posts), len(b.posts), time.Since(start).Round(time.Millisecond))
}

type shapeCheck struct {
	method string
	params []any
	golden string
}

// checkShapes calls each method over plain HTTP JSON-RPC and compares the
// shape of its raw result with the golden file: the same keys in every
// object and the same JSON type at every leaf, where null matches anything
// (Lotus's optional fields) and a map keyed by deal ID is compared by its
// values.
func (e *e2e) checkShapes(checks []shapeCheck) {
	e.t.Helper()
	u, err := e.info.URL()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, c := range checks {
		params := c.params
		if params == nil {
			params = []any{}
		}
		body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "Filecoin." + c.method, "params": params})
		req, _ := http.NewRequestWithContext(e.ctx, http.MethodPost, u, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+e.info.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			e.t.Fatal(err)
		}
		var env struct {
			Result json.RawMessage
			Error  json.RawMessage
		}
		err = json.NewDecoder(resp.Body).Decode(&env)
		resp.Body.Close()
		if err != nil || len(env.Error) > 0 {
			e.t.Fatalf("%s: %s %v", c.method, env.Error, err)
		}
		golden, err := os.ReadFile(filepath.Join("..", "types", "testdata", c.golden))
		if err != nil {
			e.t.Fatal(err)
		}
		var got, want any
		if err := json.Unmarshal(env.Result, &got); err != nil {
			e.t.Fatal(err)
		}
		if err := json.Unmarshal(golden, &want); err != nil {
			e.t.Fatal(err)
		}
		if c.method == "StateMarketDeals" {
			got, want = firstValue(got), firstValue(want)
		}
		if msg := sameShape(c.method, got, want); msg != "" {
			e.t.Errorf("%s: %s\n got %s", c.method, msg, env.Result)
		}
	}
}

func firstValue(v any) any {
	m, _ := v.(map[string]any)
	for _, x := range m {
		return x
	}
	return nil
}

// sameShape describes the first difference of shape between got and want,
// or returns "".
func sameShape(path string, got, want any) string {
	if got == nil || want == nil {
		return ""
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: want an object, got %T", path, got)
		}
		for k := range w {
			if _, ok := g[k]; !ok {
				return fmt.Sprintf("%s: field %s missing", path, k)
			}
		}
		for k := range g {
			if _, ok := w[k]; !ok {
				return fmt.Sprintf("%s: field %s not in Lotus's shape", path, k)
			}
		}
		keys := make([]string, 0, len(w))
		for k := range w {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if msg := sameShape(path+"."+k, g[k], w[k]); msg != "" {
				return msg
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Sprintf("%s: want an array, got %T", path, got)
		}
		if len(g) > 0 && len(w) > 0 {
			return sameShape(path+"[0]", g[0], w[0])
		}
	default:
		if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", want) {
			return fmt.Sprintf("%s: want %T, got %T", path, want, got)
		}
	}
	return ""
}

// checkRestart stops the node, opens a new one on the same store and
// compares what the chain API answers before and after.
func (e *e2e) checkRestart(addrs []address.Address) {
	e.t.Helper()
	snapshot := func(api chain.API) string {
		var out []any
		head, err := api.ChainHead(e.ctx)
		if err != nil {
			e.t.Fatal(err)
		}
		deals, err := api.StateMarketDeals(e.ctx, types.EmptyTSK)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, head.Key(), deals)
		for _, a := range addrs {
			bal, err := api.WalletBalance(e.ctx, a)
			if err != nil {
				e.t.Fatal(err)
			}
			out = append(out, bal)
			if secs, err := api.StateMinerSectors(e.ctx, a, nil, types.EmptyTSK); err == nil {
				parts, _ := api.StateMinerDeadlines(e.ctx, a, types.EmptyTSK)
				faults, _ := api.StateMinerFaults(e.ctx, a, types.EmptyTSK)
				out = append(out, secs, parts, faults)
			}
		}
		b, err := json.Marshal(out)
		if err != nil {
			e.t.Fatal(err)
		}
		return string(b)
	}
	before := snapshot(e.node.API())
	e.node.Close()
	n2, err := devnet.Open(e.ctx, e.db, devnet.Config{Genesis: e.gen})
	if err != nil {
		e.t.Fatal(err)
	}
	defer n2.Close()
	if after := snapshot(n2.API()); after != before {
		e.t.Fatalf("after a restart:\n%s\nbefore:\n%s", after, before)
	}
	if !strings.Contains(before, `"SectorNumber":1`) || !strings.Contains(before, `"Proposal"`) {
		e.t.Fatalf("the compared state holds no sector or deal: %s", before)
	}
	if err := n2.Advance(e.ctx, 3); err != nil {
		e.t.Fatalf("the restarted chain does not go on: %v", err)
	}
}
