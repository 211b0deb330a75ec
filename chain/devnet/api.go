package devnet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/daemon"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	ftypes "github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/internal/buildinfo"
	"github.com/strata-sp/strata/rpc"
)

// API serves chain.API from a node. Errors use the rpc kinds (not found,
// invalid) with Lotus's texts.
type API struct{ n *Node }

// API returns the node's chain API.
func (n *Node) API() *API { return &API{n: n} }

// tipset resolves a key (empty: the head) to a tipset of the chain.
func (n *Node) tipset(tsk types.TipSetKey) (*types.TipSet, error) {
	if tsk.IsEmpty() {
		return n.head(), nil
	}
	cids := tsk.Cids()
	if len(cids) == 1 {
		// Find by CID; blocks are one per tipset.
		for i := len(n.tipsets) - 1; i >= 0; i-- {
			if n.tipsets[i].Cids()[0].Equals(cids[0]) {
				return n.tipsets[i], nil
			}
		}
	}
	return nil, rpc.Errorf(rpc.KindNotFound, "loading tipset %s: not found", tsk)
}

// ChainHead implements chain.API.
func (a *API) ChainHead(context.Context) (*types.TipSet, error) {
	a.n.mu.RLock()
	defer a.n.mu.RUnlock()
	return a.n.head(), nil
}

// ChainGetTipSetByHeight implements chain.API. The devnet has no null rounds.
func (a *API) ChainGetTipSetByHeight(_ context.Context, h int64, tsk types.TipSetKey) (*types.TipSet, error) {
	a.n.mu.RLock()
	defer a.n.mu.RUnlock()
	from, err := a.n.tipset(tsk)
	if err != nil {
		return nil, err
	}
	if h > from.Height() {
		return nil, rpc.Errorf(rpc.KindInvalid, "looking for tipset with height greater than start point, req: %d, head: %d", h, from.Height())
	}
	if h < 0 {
		return nil, rpc.Errorf(rpc.KindInvalid, "negative height %d", h)
	}
	return a.n.tipsets[h], nil
}

// subscriber is one ChainNotify stream. Batches that do not fit its buffer
// are dropped with the stream closed (a client too slow to follow the chain
// subscribes again), so block production never waits for a client.
type subscriber struct {
	mu     sync.Mutex
	ch     chan []*types.HeadChange
	closed bool
}

func (s *subscriber) send(b []*types.HeadChange) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.ch <- b:
	default:
		s.closed = true
		close(s.ch)
	}
}

func (s *subscriber) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}

// ChainNotify implements chain.API.
func (a *API) ChainNotify(ctx context.Context) (<-chan []*types.HeadChange, error) {
	s := &subscriber{ch: make(chan []*types.HeadChange, 64)}
	a.n.mu.Lock()
	if a.n.subs == nil {
		a.n.mu.Unlock()
		return nil, rpc.Errorf(rpc.KindTransient, "devnet is shutting down")
	}
	s.ch <- []*types.HeadChange{{Type: types.HCCurrent, Val: a.n.head()}}
	a.n.subs[s] = struct{}{}
	a.n.mu.Unlock()
	go func() {
		<-ctx.Done()
		a.n.mu.Lock()
		if a.n.subs != nil {
			delete(a.n.subs, s)
		}
		a.n.mu.Unlock()
		s.close()
	}()
	return s.ch, nil
}

// storedMessage finds a message the chain includes by its CID or its
// unsigned message's CID.
func (n *Node) storedMessage(ctx context.Context, c cid.Cid) (*ftypes.SignedMessage, error) {
	var b []byte
	err := n.db.QueryRowContext(ctx, `SELECT signed FROM chain_messages WHERE cid = $1 OR msg_cid = $1 LIMIT 1`, c.String()).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, rpc.Errorf(rpc.KindNotFound, "message %s not found", c)
	}
	if err != nil {
		return nil, err
	}
	return ftypes.DecodeSignedMessage(b)
}

// ChainGetMessage implements chain.API.
func (a *API) ChainGetMessage(ctx context.Context, c cid.Cid) (*ftypes.Message, error) {
	m, err := a.n.storedMessage(ctx, c)
	if err != nil {
		return nil, err
	}
	return &m.Message, nil
}

// ChainReadObj implements chain.API for block headers and messages.
func (a *API) ChainReadObj(ctx context.Context, c cid.Cid) ([]byte, error) {
	var b []byte
	err := a.n.db.QueryRowContext(ctx, `SELECT header FROM chain_tipsets WHERE cid = $1`, c.String()).Scan(&b)
	if err == nil {
		return b, nil
	}
	m, err := a.n.storedMessage(ctx, c)
	if err != nil {
		return nil, rpc.Errorf(rpc.KindNotFound, "blockstore: block not found: %s", c)
	}
	if mc, _ := m.Message.Cid(); mc.Equals(c) {
		return m.Message.Serialize()
	}
	return m.Serialize()
}

// MpoolPush implements chain.API.
func (a *API) MpoolPush(_ context.Context, m *ftypes.SignedMessage) (cid.Cid, error) {
	if m == nil {
		return cid.Undef, rpc.Errorf(rpc.KindInvalid, "no message")
	}
	b, err := m.Serialize()
	if err != nil {
		return cid.Undef, rpc.Errorf(rpc.KindInvalid, "message: %v", err)
	}
	if len(b) > MaxProofMessageSize {
		return cid.Undef, rpc.Errorf(rpc.KindInvalid, "message of %d bytes exceeds the %d-byte limit", len(b), MaxProofMessageSize)
	}
	msg := &m.Message
	if len(b) > MaxMessageSize {
		a.n.mu.RLock()
		proofs := a.n.st.ProofMessage(msg)
		a.n.mu.RUnlock()
		if !proofs {
			return cid.Undef, rpc.Errorf(rpc.KindInvalid, "message of %d bytes exceeds the %d-byte limit", len(b), MaxMessageSize)
		}
	}
	switch {
	case msg.Version != 0:
		return cid.Undef, rpc.Errorf(rpc.KindInvalid, "message version %d: validation failure", msg.Version)
	case msg.To.Empty():
		return cid.Undef, rpc.Errorf(rpc.KindInvalid, "message has no receiver: validation failure")
	case msg.Value.Sign() < 0 || msg.GasFeeCap.Sign() < 0 || msg.GasPremium.Sign() < 0:
		return cid.Undef, rpc.Errorf(rpc.KindInvalid, "negative value or gas price: validation failure")
	case msg.GasPremium.Cmp(msg.GasFeeCap) > 0:
		return cid.Undef, rpc.Errorf(rpc.KindInvalid, "gas premium above the fee cap: validation failure")
	case msg.GasLimit <= 0 || msg.GasLimit > 10_000_000_000:
		return cid.Undef, rpc.Errorf(rpc.KindInvalid, "gas limit %d out of range: validation failure", msg.GasLimit)
	}
	c, err := m.Cid()
	if err != nil {
		return cid.Undef, err
	}
	// Resolve the key under the read lock, verify without a lock (the
	// expensive part), then add under the write lock.
	a.n.mu.RLock()
	_, err = senderID(a.n.st, msg.From)
	var key address.Address
	if err == nil {
		key, err = a.n.st.AccountKey(msg.From)
		if err != nil {
			err = fmt.Errorf("sender %s has no key address: %w", msg.From, err)
		}
	}
	a.n.mu.RUnlock()
	if err != nil {
		return cid.Undef, rpc.Errorf(rpc.KindInvalid, "%v", err)
	}
	if err := m.VerifySignature(key); err != nil {
		return cid.Undef, rpc.Errorf(rpc.KindInvalid, "bad signature of %s (key %s): %v", msg.From, key, err)
	}
	a.n.mu.Lock()
	defer a.n.mu.Unlock()
	id, err := senderID(a.n.st, msg.From)
	if err != nil {
		return cid.Undef, rpc.Errorf(rpc.KindInvalid, "%v", err)
	}
	if err := a.n.pool.add(a.n.st, a.n.baseFee, id, m); err != nil {
		return cid.Undef, rpc.Errorf(rpc.KindInvalid, "%v", err)
	}
	return c, nil
}

// MpoolGetNonce implements chain.API.
func (a *API) MpoolGetNonce(_ context.Context, addr address.Address) (uint64, error) {
	a.n.mu.RLock()
	defer a.n.mu.RUnlock()
	id, err := a.n.st.Lookup(addr)
	if err != nil {
		return 0, nil // an account that does not exist yet starts at 0
	}
	return a.n.pool.nextNonce(a.n.st, id), nil
}

// estimateGas fills the zero gas fields of m.
func (n *Node) estimateGas(m *ftypes.Message) {
	if m.GasPremium.Sign() == 0 {
		m.GasPremium = big.FromAttoFIL(100_000)
	}
	if m.GasFeeCap.Sign() == 0 {
		m.GasFeeCap = n.baseFee.Add(n.baseFee).Add(m.GasPremium)
	}
	if m.GasLimit == 0 {
		m.GasLimit = 1 << 40 // the largest encoding the estimate covers
		b, _ := m.Serialize()
		m.GasLimit = n.st.GasUsed(m, len(b))
	}
}

// GasEstimateMessageGas implements chain.API: the devnet's gas is a
// function of the message alone, so the estimate is exact.
func (a *API) GasEstimateMessageGas(_ context.Context, m *ftypes.Message, _ *types.MessageSendSpec, _ types.TipSetKey) (*ftypes.Message, error) {
	if m == nil {
		return nil, rpc.Errorf(rpc.KindInvalid, "no message")
	}
	out := *m
	a.n.mu.RLock()
	defer a.n.mu.RUnlock()
	a.n.estimateGas(&out)
	return &out, nil
}

// MpoolPushMessage implements chain.API for the devnet's genesis keys.
func (a *API) MpoolPushMessage(ctx context.Context, m *ftypes.Message, spec *types.MessageSendSpec) (*ftypes.SignedMessage, error) {
	if m == nil {
		return nil, rpc.Errorf(rpc.KindInvalid, "no message")
	}
	if m.Nonce != 0 {
		return nil, rpc.Errorf(rpc.KindInvalid, "MpoolPushMessage expects message nonce to be 0, was %d", m.Nonce)
	}
	a.n.mu.RLock()
	key, err := a.n.st.AccountKey(m.From)
	var k = a.n.keys[key]
	a.n.mu.RUnlock()
	if err != nil || k == nil {
		return nil, rpc.Errorf(rpc.KindInvalid, "the devnet holds no key for %s", m.From)
	}
	// Without this, two calls could read the same next nonce before either
	// pushes, and the second would fail as a replacement.
	a.n.pushMu.Lock()
	defer a.n.pushMu.Unlock()
	msg := *m
	a.n.mu.Lock()
	a.n.estimateGas(&msg)
	if id, err := a.n.st.Lookup(msg.From); err == nil {
		msg.Nonce = a.n.pool.nextNonce(a.n.st, id)
	}
	a.n.mu.Unlock()
	sm, err := ftypes.SignMessage(&msg, k)
	if err != nil {
		return nil, err
	}
	if _, err := a.MpoolPush(ctx, sm); err != nil {
		return nil, err
	}
	return sm, nil
}

// lookup finds where message c executed, if it has.
func (n *Node) lookup(ctx context.Context, c cid.Cid, allowReplaced bool) (*types.MsgLookup, error) {
	var (
		cidStr, sender string
		height, exit   int64
		nonce, gas     int64
		executed       bool
		ret            []byte
	)
	err := n.db.QueryRowContext(ctx, `SELECT cid, height, executed, exit_code, ret, gas_used, sender, nonce FROM chain_messages WHERE cid = $1 OR msg_cid = $1 LIMIT 1`,
		c.String()).Scan(&cidStr, &height, &executed, &exit, &ret, &gas, &sender, &nonce)
	if errors.Is(err, sql.ErrNoRows) && allowReplaced {
		n.mu.RLock()
		sn, ok := n.pool.replaced[c.String()]
		n.mu.RUnlock()
		if ok {
			err = n.db.QueryRowContext(ctx, `SELECT cid, height, executed, exit_code, ret, gas_used, sender, nonce FROM chain_messages WHERE sender = $1 AND nonce = $2 LIMIT 1`,
				sn.from, int64(sn.nonce)).Scan(&cidStr, &height, &executed, &exit, &ret, &gas, &sender, &nonce)
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !executed {
		return nil, nil
	}
	mc, err := cid.Parse(cidStr)
	if err != nil {
		return nil, err
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	execTS := n.tipsets[height+1]
	return &types.MsgLookup{Message: mc, Receipt: types.MessageReceipt{ExitCode: types.ExitCode(exit), Return: ret, GasUsed: gas},
		TipSet: execTS.Key(), Height: execTS.Height()}, nil
}

// StateSearchMsg implements chain.API.
func (a *API) StateSearchMsg(ctx context.Context, _ types.TipSetKey, c cid.Cid, _ int64, allowReplaced bool) (*types.MsgLookup, error) {
	return a.n.lookup(ctx, c, allowReplaced)
}

// StateWaitMsg implements chain.API.
func (a *API) StateWaitMsg(ctx context.Context, c cid.Cid, confidence uint64, _ int64, allowReplaced bool) (*types.MsgLookup, error) {
	for {
		a.n.mu.RLock()
		ch := a.n.headCh
		head := a.n.head().Height()
		a.n.mu.RUnlock()
		l, err := a.n.lookup(ctx, c, allowReplaced)
		if err != nil {
			return nil, err
		}
		if l != nil && head >= l.Height+int64(confidence) {
			return l, nil
		}
		select {
		case <-ch:
		case <-a.n.stop:
			return nil, rpc.Errorf(rpc.KindTransient, "devnet is shutting down")
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// StateGetActor implements chain.API.
func (a *API) StateGetActor(_ context.Context, addr address.Address, tsk types.TipSetKey) (*types.Actor, error) {
	a.n.mu.RLock()
	defer a.n.mu.RUnlock()
	if _, err := a.n.tipset(tsk); err != nil {
		return nil, err
	}
	act, err := a.n.st.ActorView(addr)
	if err != nil {
		return nil, rpc.Errorf(rpc.KindNotFound, "resolution lookup failed (%s): %v", addr, err)
	}
	return act, nil
}

// StateLookupID implements chain.API.
func (a *API) StateLookupID(_ context.Context, addr address.Address, tsk types.TipSetKey) (address.Address, error) {
	a.n.mu.RLock()
	defer a.n.mu.RUnlock()
	if _, err := a.n.tipset(tsk); err != nil {
		return address.Address{}, err
	}
	id, err := a.n.st.Lookup(addr)
	if err != nil {
		return address.Address{}, rpc.Errorf(rpc.KindNotFound, "actor not found")
	}
	return address.NewIDAddress(id)
}

// StateAccountKey implements chain.API.
func (a *API) StateAccountKey(_ context.Context, addr address.Address, tsk types.TipSetKey) (address.Address, error) {
	a.n.mu.RLock()
	defer a.n.mu.RUnlock()
	if _, err := a.n.tipset(tsk); err != nil {
		return address.Address{}, err
	}
	k, err := a.n.st.AccountKey(addr)
	if err != nil {
		return address.Address{}, rpc.Errorf(rpc.KindNotFound, "%v", err)
	}
	return k, nil
}

// WalletBalance implements chain.API.
func (a *API) WalletBalance(_ context.Context, addr address.Address) (big.TokenAmount, error) {
	a.n.mu.RLock()
	defer a.n.mu.RUnlock()
	return a.n.st.Balance(addr), nil
}

// StateNetworkName implements chain.API.
func (a *API) StateNetworkName(context.Context) (string, error) {
	a.n.mu.RLock()
	defer a.n.mu.RUnlock()
	return a.n.st.NetworkName, nil
}

// StateNetworkVersion implements chain.API.
func (a *API) StateNetworkVersion(_ context.Context, tsk types.TipSetKey) (types.NetworkVersion, error) {
	a.n.mu.RLock()
	defer a.n.mu.RUnlock()
	if _, err := a.n.tipset(tsk); err != nil {
		return 0, err
	}
	return a.n.st.NetworkVersion, nil
}

func (a *API) randomness(tag types.DomainSeparationTag, epoch int64, entropy []byte, tsk types.TipSetKey, beacon bool) ([]byte, error) {
	a.n.mu.RLock()
	defer a.n.mu.RUnlock()
	ts, err := a.n.tipset(tsk)
	if err != nil {
		return nil, err
	}
	r, err := a.n.randomness(tag, epoch, entropy, beacon, ts.Height())
	if err != nil {
		return nil, rpc.Errorf(rpc.KindInvalid, "%v", err)
	}
	return r[:], nil
}

// StateGetRandomnessFromTickets implements chain.API.
func (a *API) StateGetRandomnessFromTickets(_ context.Context, tag types.DomainSeparationTag, epoch int64, entropy []byte, tsk types.TipSetKey) ([]byte, error) {
	return a.randomness(tag, epoch, entropy, tsk, false)
}

// StateGetRandomnessFromBeacon implements chain.API.
func (a *API) StateGetRandomnessFromBeacon(_ context.Context, tag types.DomainSeparationTag, epoch int64, entropy []byte, tsk types.TipSetKey) ([]byte, error) {
	return a.randomness(tag, epoch, entropy, tsk, true)
}

// Version implements chain.API for in-process users; over JSON-RPC the
// daemon's Common API answers it with the same block delay.
func (a *API) Version(context.Context) (daemon.APIVersion, error) {
	return daemon.APIVersion{Version: buildinfo.Get().String(), APIVersion: 1 << 16, BlockDelay: uint64(a.n.cfg.BlockTime / time.Second), Agent: "strata"}, nil
}
