package hub

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/strata-sp/strata/rpc"
)

// OperatorNamespace is the JSON-RPC namespace of the operator API.
const OperatorNamespace = "Hub"

// SealerStruct is the worker-facing API's proxy (namespace Sealer). Its
// methods need "write": a worker token is created with --perm write, so
// it cannot reach the operator API, which needs "admin".
type SealerStruct struct {
	Internal struct {
		AllocateSector     func(ctx context.Context, spec AllocateSectorSpec) (*AllocatedSector, error)                    `perm:"write"`
		AcquireDeals       func(ctx context.Context, worker string, id SectorID) ([]Deal, error)                           `perm:"write"`
		AssignTicket       func(ctx context.Context, worker string, id SectorID) (Ticket, error)                           `perm:"write"`
		SubmitPreCommit    func(ctx context.Context, worker string, id SectorID, info PreCommitInfo) (SubmitResp, error)   `perm:"write"`
		PollPreCommitState func(ctx context.Context, id SectorID) (PollResp, error)                                        `perm:"write"`
		ReserveStore       func(ctx context.Context, worker string, id SectorID, candidates []string) (StoreChoice, error) `perm:"write"`
		SubmitPersisted    func(ctx context.Context, worker string, id SectorID, store string) (SubmitResp, error)         `perm:"write"`
		WaitSeed           func(ctx context.Context, worker string, id SectorID) (SeedResp, error)                         `perm:"write"`
		SubmitProof        func(ctx context.Context, worker string, id SectorID, proof []byte) (SubmitResp, error)         `perm:"write"`
		PollProofState     func(ctx context.Context, id SectorID) (PollResp, error)                                        `perm:"write"`
		ReportState        func(ctx context.Context, id SectorID, rep StateReport) (SectorStateResp, error)                `perm:"write"`
		ReportFinalized    func(ctx context.Context, worker string, id SectorID) error                                     `perm:"write"`
		ReportAborted      func(ctx context.Context, worker string, id SectorID, reason string) error                      `perm:"write"`
		Ping               func(ctx context.Context, info WorkerInfo) error                                                `perm:"write"`
	}
}

// OperatorStruct is the operator API's proxy (namespace Hub); admin only.
type OperatorStruct struct {
	Internal struct {
		MinersAdd     func(ctx context.Context, m Miner) error                          `perm:"admin"`
		MinersList    func(ctx context.Context) ([]Miner, error)                        `perm:"admin"`
		Sector        func(ctx context.Context, id SectorID) (SectorInfo, error)        `perm:"admin"`
		Sectors       func(ctx context.Context, f SectorFilter) ([]SectorInfo, error)   `perm:"admin"`
		SectorsAbort  func(ctx context.Context, id SectorID, reason string) error       `perm:"admin"`
		SectorsResume func(ctx context.Context, id SectorID) (string, error)            `perm:"admin"`
		Workers       func(ctx context.Context) ([]WorkerStatus, error)                 `perm:"admin"`
		Messages      func(ctx context.Context, f MessageFilter) ([]MessageInfo, error) `perm:"admin"`
		PiecesAdd     func(ctx context.Context, spec PieceSpec) (Piece, error)          `perm:"admin"`
		PiecesList    func(ctx context.Context, f PieceFilter) ([]Piece, error)         `perm:"admin"`
		// ProvingStatus is the proving of every miner, or of one (not 0).
		ProvingStatus func(ctx context.Context, miner uint64) ([]ProvingStatus, error) `perm:"admin"`
		// SectorsCheck checks the files of a miner's live sectors (of one
		// deadline when not nil), declaring nothing.
		SectorsCheck func(ctx context.Context, miner uint64, deadline *uint64) ([]SectorCheck, error) `perm:"admin"`
		// ProvingWinning makes and verifies the WinningPoSt a block at
		// the head would need (a dry run).
		ProvingWinning func(ctx context.Context, miner uint64) (WinningCheck, error) `perm:"admin"`
		StorageAttach  func(ctx context.Context, spec StoreSpec) error               `perm:"admin"`
		StorageList    func(ctx context.Context) ([]StoreInfo, error)                `perm:"admin"`
		StorageDetach  func(ctx context.Context, name string, force bool) error      `perm:"admin"`
		// SectorsTerminate, SectorsExtend and SectorsRemove are a proven
		// sector's life after sealing (see Hub.TerminateSectors).
		SectorsTerminate func(ctx context.Context, miner uint64, numbers []uint64) error                   `perm:"admin"`
		SectorsExtend    func(ctx context.Context, miner uint64, numbers []uint64, expiration int64) error `perm:"admin"`
		SectorsRemove    func(ctx context.Context, id SectorID) error                                      `perm:"admin"`
	}
}

// WorkerClaim is the JWT claim binding a worker token to one worker name
// (`strata hub workers token NAME`): a call made with it must name that
// worker, so one machine cannot act for another's sectors. A write token
// without it may name any worker (a trusted fleet).
const WorkerClaim = "HubWorker"

// maxName bounds a name or path a worker sends: its name, a thread
// directory, a store name, a state name (PATH_MAX).
const maxName = 4096

// maxCandidates bounds the stores a worker offers ReserveStore.
const maxCandidates = 256

// maxSummary bounds the conditions a Ping counts threads by.
const maxSummary = 32

// checkName refuses a name the hub would store that it should not: too
// long, or with control characters (NUL, which PostgreSQL's TEXT does not
// take, or a terminal escape shown to the operator).
func checkName(what, s string) error {
	switch {
	case len(s) > maxName:
		return rpc.Errorf(rpc.KindInvalid, "the %s is %d bytes long, the limit is %d", what, len(s), maxName)
	case !utf8.ValidString(s):
		return rpc.Errorf(rpc.KindInvalid, "the %s is not UTF-8", what)
	case strings.ContainsFunc(s, unicode.IsControl):
		return rpc.Errorf(rpc.KindInvalid, "the %s %q has control characters", what, s)
	}
	return nil
}

// checkText refuses free text (an abort reason, a failure's description)
// that PostgreSQL's TEXT does not take.
func checkText(what, s string) error {
	switch {
	case !utf8.ValidString(s):
		return rpc.Errorf(rpc.KindInvalid, "the %s is not UTF-8", what)
	case strings.ContainsRune(s, 0):
		return rpc.Errorf(rpc.KindInvalid, "the %s has a NUL byte", what)
	}
	return nil
}

// asWorker checks that worker is a name the hub can store and that the
// caller's token may act as it.
func asWorker(ctx context.Context, worker string) error {
	if err := checkName("worker name", worker); err != nil {
		return err
	}
	c, ok := rpc.ClaimsFrom(ctx)
	if !ok {
		return nil // in process
	}
	var bound string
	scoped, err := c.Scope(WorkerClaim, &bound)
	if err != nil {
		return rpc.Errorf(rpc.KindPermission, "%w", err)
	}
	if scoped && bound != worker {
		return rpc.Errorf(rpc.KindPermission, "this token is worker %q's; the call names worker %q", bound, worker)
	}
	return nil
}

// sealerAPI adapts Hub to SealerStruct's method set.
type sealerAPI struct {
	h  *Hub
	ms *Messenger
}

// SealerAPI returns the value to register under Namespace with
// SealerStruct.Internal. ms answers WaitSeed; nil makes WaitSeed fail
// (a hub without a chain).
func (h *Hub) SealerAPI(ms *Messenger) any { return sealerAPI{h, ms} }

func (a sealerAPI) WaitSeed(ctx context.Context, worker string, id SectorID) (SeedResp, error) {
	if err := asWorker(ctx, worker); err != nil {
		return SeedResp{}, err
	}
	if a.ms == nil {
		return SeedResp{}, rpc.Errorf(rpc.KindTransient, "this hub has no chain to draw seeds from")
	}
	return a.ms.WaitSeed(ctx, worker, id)
}
func (a sealerAPI) SubmitProof(ctx context.Context, worker string, id SectorID, proof []byte) (SubmitResp, error) {
	if err := asWorker(ctx, worker); err != nil {
		return SubmitResp{}, err
	}
	return a.h.SubmitProof(ctx, worker, id, proof)
}
func (a sealerAPI) PollProofState(ctx context.Context, id SectorID) (PollResp, error) {
	return a.h.PollProofState(ctx, id)
}

func (a sealerAPI) AllocateSector(ctx context.Context, spec AllocateSectorSpec) (*AllocatedSector, error) {
	if err := asWorker(ctx, spec.Worker); err != nil {
		return nil, err
	}
	return a.h.AllocateSector(ctx, spec)
}
func (a sealerAPI) AcquireDeals(ctx context.Context, worker string, id SectorID) ([]Deal, error) {
	if err := asWorker(ctx, worker); err != nil {
		return nil, err
	}
	return a.h.AcquireDeals(ctx, worker, id)
}
func (a sealerAPI) AssignTicket(ctx context.Context, worker string, id SectorID) (Ticket, error) {
	if err := asWorker(ctx, worker); err != nil {
		return Ticket{}, err
	}
	return a.h.AssignTicket(ctx, worker, id)
}
func (a sealerAPI) SubmitPreCommit(ctx context.Context, worker string, id SectorID, info PreCommitInfo) (SubmitResp, error) {
	if err := asWorker(ctx, worker); err != nil {
		return SubmitResp{}, err
	}
	return a.h.SubmitPreCommit(ctx, worker, id, info)
}
func (a sealerAPI) PollPreCommitState(ctx context.Context, id SectorID) (PollResp, error) {
	return a.h.PollPreCommitState(ctx, id)
}
func (a sealerAPI) ReserveStore(ctx context.Context, worker string, id SectorID, candidates []string) (StoreChoice, error) {
	if err := asWorker(ctx, worker); err != nil {
		return StoreChoice{}, err
	}
	if len(candidates) > maxCandidates {
		return StoreChoice{}, rpc.Errorf(rpc.KindInvalid, "reserve a store: %d candidate stores, the limit is %d", len(candidates), maxCandidates)
	}
	for _, c := range candidates {
		if err := checkName("store name", c); err != nil {
			return StoreChoice{}, err
		}
	}
	return a.h.ReserveStore(ctx, worker, id, candidates)
}
func (a sealerAPI) SubmitPersisted(ctx context.Context, worker string, id SectorID, store string) (SubmitResp, error) {
	if err := asWorker(ctx, worker); err != nil {
		return SubmitResp{}, err
	}
	if err := checkName("store name", store); err != nil {
		return SubmitResp{}, err
	}
	return a.h.SubmitPersisted(ctx, worker, id, store)
}
func (a sealerAPI) ReportState(ctx context.Context, id SectorID, rep StateReport) (SectorStateResp, error) {
	if err := asWorker(ctx, rep.Worker); err != nil {
		return SectorStateResp{}, err
	}
	if err := checkReport(rep); err != nil {
		return SectorStateResp{}, err
	}
	return a.h.ReportState(ctx, id, rep)
}
func (a sealerAPI) ReportFinalized(ctx context.Context, worker string, id SectorID) error {
	if err := asWorker(ctx, worker); err != nil {
		return err
	}
	return a.h.ReportFinalized(ctx, worker, id)
}
func (a sealerAPI) ReportAborted(ctx context.Context, worker string, id SectorID, reason string) error {
	if err := asWorker(ctx, worker); err != nil {
		return err
	}
	if err := checkText("abort reason", reason); err != nil {
		return err
	}
	return a.h.ReportAborted(ctx, worker, id, reason)
}
func (a sealerAPI) Ping(ctx context.Context, info WorkerInfo) error {
	if err := asWorker(ctx, info.Name); err != nil {
		return err
	}
	if len(info.Summary) > maxSummary {
		return rpc.Errorf(rpc.KindInvalid, "ping: %d thread conditions, the limit is %d", len(info.Summary), maxSummary)
	}
	for k := range info.Summary {
		if err := checkName("thread condition", k); err != nil {
			return err
		}
	}
	return a.h.Ping(ctx, info)
}

// checkReport checks what a report stores: the location, the state and
// the failure.
func checkReport(rep StateReport) error {
	if err := checkName("location", rep.Location); err != nil {
		return err
	}
	if err := checkName("state", rep.Change.Next); err != nil {
		return err
	}
	if f := rep.Failure; f != nil {
		if err := checkName("failure level", string(f.Level)); err != nil {
			return err
		}
		if err := checkText("failure", f.Desc); err != nil {
			return err
		}
	}
	return nil
}

// operatorAPI adapts Hub to OperatorStruct's method set.
type operatorAPI struct{ h *Hub }

// OperatorAPI returns the value to register under OperatorNamespace with
// OperatorStruct.Internal.
func (h *Hub) OperatorAPI() any { return operatorAPI{h} }

func (a operatorAPI) MinersAdd(ctx context.Context, m Miner) error    { return a.h.AddMiner(ctx, m) }
func (a operatorAPI) MinersList(ctx context.Context) ([]Miner, error) { return a.h.Miners(ctx) }
func (a operatorAPI) Sector(ctx context.Context, id SectorID) (SectorInfo, error) {
	return a.h.Sector(ctx, id)
}
func (a operatorAPI) Sectors(ctx context.Context, f SectorFilter) ([]SectorInfo, error) {
	return a.h.Sectors(ctx, f)
}
func (a operatorAPI) SectorsAbort(ctx context.Context, id SectorID, reason string) error {
	return a.h.AbortSector(ctx, id, reason)
}
func (a operatorAPI) SectorsResume(ctx context.Context, id SectorID) (string, error) {
	return a.h.ResumeSector(ctx, id)
}
func (a operatorAPI) Workers(ctx context.Context) ([]WorkerStatus, error) { return a.h.Workers(ctx) }
func (a operatorAPI) Messages(ctx context.Context, f MessageFilter) ([]MessageInfo, error) {
	return a.h.Messages(ctx, f)
}
func (a operatorAPI) PiecesAdd(ctx context.Context, spec PieceSpec) (Piece, error) {
	return a.h.AddPiece(ctx, spec)
}
func (a operatorAPI) PiecesList(ctx context.Context, f PieceFilter) ([]Piece, error) {
	return a.h.Pieces(ctx, f)
}

// errNoProving answers the proving calls of a hub without a chain.
var errNoProving = rpc.Errorf(rpc.KindInvalid, "the hub runs without a chain ([Chain] APIInfo): it does not prove")

func (a operatorAPI) ProvingStatus(ctx context.Context, miner uint64) ([]ProvingStatus, error) {
	if a.h.proving == nil {
		return nil, errNoProving
	}
	return a.h.proving.Status(ctx, miner)
}

func (a operatorAPI) ProvingWinning(ctx context.Context, miner uint64) (WinningCheck, error) {
	if a.h.proving == nil {
		return WinningCheck{}, errNoProving
	}
	return a.h.proving.WinningCheck(ctx, miner)
}

func (a operatorAPI) SectorsCheck(ctx context.Context, miner uint64, deadline *uint64) ([]SectorCheck, error) {
	if a.h.proving == nil {
		return nil, errNoProving
	}
	return a.h.proving.CheckMiner(ctx, miner, deadline)
}

func (a operatorAPI) StorageAttach(ctx context.Context, spec StoreSpec) error {
	return a.h.AttachStore(ctx, spec)
}
func (a operatorAPI) StorageList(ctx context.Context) ([]StoreInfo, error) { return a.h.Stores(ctx) }
func (a operatorAPI) StorageDetach(ctx context.Context, name string, force bool) error {
	return a.h.DetachStore(ctx, name, force)
}
func (a operatorAPI) SectorsTerminate(ctx context.Context, miner uint64, numbers []uint64) error {
	return a.h.TerminateSectors(ctx, miner, numbers)
}
func (a operatorAPI) SectorsExtend(ctx context.Context, miner uint64, numbers []uint64, expiration int64) error {
	return a.h.ExtendSectors(ctx, miner, numbers, expiration)
}
func (a operatorAPI) SectorsRemove(ctx context.Context, id SectorID) error {
	return a.h.RemoveSector(ctx, id)
}
