package hub

import (
	"context"

	"github.com/strata-sp/strata/rpc"
)

// OperatorNamespace is the JSON-RPC namespace of the operator API.
const OperatorNamespace = "Hub"

// SealerStruct is the worker-facing API's proxy (namespace Sealer). Its
// methods need "write": a worker token is created with --perm write, so
// it cannot reach the operator API, which needs "admin".
type SealerStruct struct {
	Internal struct {
		AllocateSector     func(ctx context.Context, spec AllocateSectorSpec) (*AllocatedSector, error)                  `perm:"write"`
		AssignTicket       func(ctx context.Context, worker string, id SectorID) (Ticket, error)                         `perm:"write"`
		SubmitPreCommit    func(ctx context.Context, worker string, id SectorID, info PreCommitInfo) (SubmitResp, error) `perm:"write"`
		PollPreCommitState func(ctx context.Context, id SectorID) (PollResp, error)                                      `perm:"write"`
		SubmitPersisted    func(ctx context.Context, worker string, id SectorID, store string) (SubmitResp, error)       `perm:"write"`
		WaitSeed           func(ctx context.Context, worker string, id SectorID) (SeedResp, error)                       `perm:"write"`
		SubmitProof        func(ctx context.Context, worker string, id SectorID, proof []byte) (SubmitResp, error)       `perm:"write"`
		PollProofState     func(ctx context.Context, id SectorID) (PollResp, error)                                      `perm:"write"`
		ReportState        func(ctx context.Context, id SectorID, rep StateReport) (SectorStateResp, error)              `perm:"write"`
		ReportFinalized    func(ctx context.Context, worker string, id SectorID) error                                   `perm:"write"`
		ReportAborted      func(ctx context.Context, worker string, id SectorID, reason string) error                    `perm:"write"`
		Ping               func(ctx context.Context, info WorkerInfo) error                                              `perm:"write"`
	}
}

// OperatorStruct is the operator API's proxy (namespace Hub); admin only.
type OperatorStruct struct {
	Internal struct {
		MinersAdd  func(ctx context.Context, m Miner) error                   `perm:"admin"`
		MinersList func(ctx context.Context) ([]Miner, error)                 `perm:"admin"`
		Sector     func(ctx context.Context, id SectorID) (SectorInfo, error) `perm:"admin"`
	}
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
	if a.ms == nil {
		return SeedResp{}, rpc.Errorf(rpc.KindTransient, "this hub has no chain to draw seeds from")
	}
	return a.ms.WaitSeed(ctx, worker, id)
}
func (a sealerAPI) SubmitProof(ctx context.Context, worker string, id SectorID, proof []byte) (SubmitResp, error) {
	return a.h.SubmitProof(ctx, worker, id, proof)
}
func (a sealerAPI) PollProofState(ctx context.Context, id SectorID) (PollResp, error) {
	return a.h.PollProofState(ctx, id)
}

func (a sealerAPI) AllocateSector(ctx context.Context, spec AllocateSectorSpec) (*AllocatedSector, error) {
	return a.h.AllocateSector(ctx, spec)
}
func (a sealerAPI) AssignTicket(ctx context.Context, worker string, id SectorID) (Ticket, error) {
	return a.h.AssignTicket(ctx, worker, id)
}
func (a sealerAPI) SubmitPreCommit(ctx context.Context, worker string, id SectorID, info PreCommitInfo) (SubmitResp, error) {
	return a.h.SubmitPreCommit(ctx, worker, id, info)
}
func (a sealerAPI) PollPreCommitState(ctx context.Context, id SectorID) (PollResp, error) {
	return a.h.PollPreCommitState(ctx, id)
}
func (a sealerAPI) SubmitPersisted(ctx context.Context, worker string, id SectorID, store string) (SubmitResp, error) {
	return a.h.SubmitPersisted(ctx, worker, id, store)
}
func (a sealerAPI) ReportState(ctx context.Context, id SectorID, rep StateReport) (SectorStateResp, error) {
	return a.h.ReportState(ctx, id, rep)
}
func (a sealerAPI) ReportFinalized(ctx context.Context, worker string, id SectorID) error {
	return a.h.ReportFinalized(ctx, worker, id)
}
func (a sealerAPI) ReportAborted(ctx context.Context, worker string, id SectorID, reason string) error {
	return a.h.ReportAborted(ctx, worker, id, reason)
}
func (a sealerAPI) Ping(ctx context.Context, info WorkerInfo) error { return a.h.Ping(ctx, info) }

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
