package state

import "slices"

// minerAddrs are the addresses the market checks a miner's callers
// against, as actor IDs: the answer of the miner's ControlAddresses (2),
// which the network's market requests (request_miner_control_addrs).
type minerAddrs struct {
	Owner   uint64
	Worker  uint64
	Control []uint64
}

// isWorkerOrControl reports whether id may publish deals for the miner:
// its worker or a control address, not its owner (builtin-actors market
// publish_storage_deals).
func (a minerAddrs) isWorkerOrControl(id uint64) bool {
	return id == a.Worker || slices.Contains(a.Control, id)
}

// minerControl reads miner id's owner, worker and control addresses from
// its state; ok is false when id has no miner state.
func (s *State) minerControl(id uint64) (a minerAddrs, ok bool) {
	m := s.Miners[id]
	if m == nil {
		return minerAddrs{}, false
	}
	return minerAddrs{Owner: m.Info.Owner, Worker: m.Info.Worker, Control: m.Info.ControlAddresses}, true
}
