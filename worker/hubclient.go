package worker

import (
	"context"

	"github.com/strata-sp/strata/hub"
)

// Hub is the part of the hub's Sealer API a sealing thread uses. Every
// call is idempotent on the hub's side, so a thread that does not know
// whether a call went through simply makes it again.
type Hub interface {
	AllocateSector(ctx context.Context, spec hub.AllocateSectorSpec) (*hub.AllocatedSector, error)
	AcquireDeals(ctx context.Context, worker string, id hub.SectorID) ([]hub.Deal, error)
	AssignTicket(ctx context.Context, worker string, id hub.SectorID) (hub.Ticket, error)
	SubmitPreCommit(ctx context.Context, worker string, id hub.SectorID, info hub.PreCommitInfo) (hub.SubmitResp, error)
	PollPreCommitState(ctx context.Context, id hub.SectorID) (hub.PollResp, error)
	// ReserveStore asks the hub which of the thread's persist stores
	// (candidates, by name) the sector's files go to.
	ReserveStore(ctx context.Context, worker string, id hub.SectorID, candidates []string) (hub.StoreChoice, error)
	SubmitPersisted(ctx context.Context, worker string, id hub.SectorID, store string) (hub.SubmitResp, error)
	WaitSeed(ctx context.Context, worker string, id hub.SectorID) (hub.SeedResp, error)
	SubmitProof(ctx context.Context, worker string, id hub.SectorID, proof []byte) (hub.SubmitResp, error)
	PollProofState(ctx context.Context, id hub.SectorID) (hub.PollResp, error)
	ReportState(ctx context.Context, id hub.SectorID, rep hub.StateReport) (hub.SectorStateResp, error)
	ReportFinalized(ctx context.Context, worker string, id hub.SectorID) error
	ReportAborted(ctx context.Context, worker string, id hub.SectorID, reason string) error
	Ping(ctx context.Context, info hub.WorkerInfo) error
}

// Client is a Hub over a hub.SealerStruct (a JSON-RPC client).
type Client struct{ S *hub.SealerStruct }

var _ Hub = Client{}

func (c Client) AllocateSector(ctx context.Context, spec hub.AllocateSectorSpec) (*hub.AllocatedSector, error) {
	return c.S.Internal.AllocateSector(ctx, spec)
}
func (c Client) AcquireDeals(ctx context.Context, w string, id hub.SectorID) ([]hub.Deal, error) {
	return c.S.Internal.AcquireDeals(ctx, w, id)
}
func (c Client) AssignTicket(ctx context.Context, w string, id hub.SectorID) (hub.Ticket, error) {
	return c.S.Internal.AssignTicket(ctx, w, id)
}
func (c Client) SubmitPreCommit(ctx context.Context, w string, id hub.SectorID, info hub.PreCommitInfo) (hub.SubmitResp, error) {
	return c.S.Internal.SubmitPreCommit(ctx, w, id, info)
}
func (c Client) PollPreCommitState(ctx context.Context, id hub.SectorID) (hub.PollResp, error) {
	return c.S.Internal.PollPreCommitState(ctx, id)
}
func (c Client) ReserveStore(ctx context.Context, w string, id hub.SectorID, candidates []string) (hub.StoreChoice, error) {
	return c.S.Internal.ReserveStore(ctx, w, id, candidates)
}
func (c Client) SubmitPersisted(ctx context.Context, w string, id hub.SectorID, store string) (hub.SubmitResp, error) {
	return c.S.Internal.SubmitPersisted(ctx, w, id, store)
}
func (c Client) WaitSeed(ctx context.Context, w string, id hub.SectorID) (hub.SeedResp, error) {
	return c.S.Internal.WaitSeed(ctx, w, id)
}
func (c Client) SubmitProof(ctx context.Context, w string, id hub.SectorID, p []byte) (hub.SubmitResp, error) {
	return c.S.Internal.SubmitProof(ctx, w, id, p)
}
func (c Client) PollProofState(ctx context.Context, id hub.SectorID) (hub.PollResp, error) {
	return c.S.Internal.PollProofState(ctx, id)
}
func (c Client) ReportState(ctx context.Context, id hub.SectorID, rep hub.StateReport) (hub.SectorStateResp, error) {
	return c.S.Internal.ReportState(ctx, id, rep)
}
func (c Client) ReportFinalized(ctx context.Context, w string, id hub.SectorID) error {
	return c.S.Internal.ReportFinalized(ctx, w, id)
}
func (c Client) ReportAborted(ctx context.Context, w string, id hub.SectorID, reason string) error {
	return c.S.Internal.ReportAborted(ctx, w, id, reason)
}
func (c Client) Ping(ctx context.Context, info hub.WorkerInfo) error {
	return c.S.Internal.Ping(ctx, info)
}
