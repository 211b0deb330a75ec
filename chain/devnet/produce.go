package devnet

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/chain/state"
	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/sig"
	ftypes "github.com/strata-sp/strata/fil/types"
)

// load reads the stored chain, restores the last snapshot and re-executes
// the tipsets after it.
func (n *Node) load(ctx context.Context) error {
	rows, err := n.db.QueryContext(ctx, `SELECT height, header FROM chain_tipsets ORDER BY height`)
	if err != nil {
		return fmt.Errorf("devnet: load chain: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var h int64
		var b []byte
		if err := rows.Scan(&h, &b); err != nil {
			return fmt.Errorf("devnet: load chain: %w", err)
		}
		if h != int64(len(n.tipsets)) {
			return fmt.Errorf("devnet: load chain: tipset %d missing", len(n.tipsets))
		}
		hdr, err := types.DecodeBlockHeader(b)
		if err != nil {
			return fmt.Errorf("devnet: load chain: tipset %d: %w", h, err)
		}
		ts, err := types.NewTipSet([]*types.BlockHeader{hdr})
		if err != nil {
			return fmt.Errorf("devnet: load chain: tipset %d: %w", h, err)
		}
		n.tipsets = append(n.tipsets, ts)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("devnet: load chain: %w", err)
	}
	if len(n.tipsets) == 0 {
		return errors.New("devnet: load chain: no genesis tipset")
	}
	head := n.head().Height()
	var snapHeight int64
	var snap []byte
	err = n.db.QueryRowContext(ctx, `SELECT height, state FROM chain_snapshots WHERE height <= $1 ORDER BY height DESC LIMIT 1`, head).Scan(&snapHeight, &snap)
	if err != nil {
		return fmt.Errorf("devnet: load state snapshot: %w", err)
	}
	if n.st, err = state.Restore(snap); err != nil {
		return fmt.Errorf("devnet: %w", err)
	}
	start := time.Now()
	for h := snapHeight; h < head; h++ {
		msgs, err := n.loadMessages(ctx, h)
		if err != nil {
			return err
		}
		n.execute(h, msgs)
	}
	if n.pendingExec, err = n.loadMessages(ctx, head); err != nil {
		return err
	}
	for _, m := range n.pendingExec {
		if id, err := n.st.Lookup(m.Message.From); err == nil {
			n.pool.included(id, m)
		}
	}
	n.log.Info("devnet chain loaded", "head", head, "snapshot", snapHeight, "replayed", head-snapHeight, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// loadMessages reads the messages the tipset at height includes, in order.
func (n *Node) loadMessages(ctx context.Context, height int64) ([]*ftypes.SignedMessage, error) {
	rows, err := n.db.QueryContext(ctx, `SELECT signed FROM chain_messages WHERE height = $1 ORDER BY idx`, height)
	if err != nil {
		return nil, fmt.Errorf("devnet: load messages of %d: %w", height, err)
	}
	defer rows.Close()
	var out []*ftypes.SignedMessage
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		m, err := ftypes.DecodeSignedMessage(b)
		if err != nil {
			return nil, fmt.Errorf("devnet: stored message at %d: %w", height, err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (n *Node) head() *types.TipSet { return n.tipsets[len(n.tipsets)-1] }

// env is the execution environment of the tipset at epoch: its messages
// pay the base fee they were included under, its ParentBaseFee (not the
// node's current one, which SetBaseFee may have changed since).
func (n *Node) env(epoch int64) *state.Env {
	return &state.Env{Epoch: epoch, BaseFee: n.tipsets[epoch].ParentBaseFee(), Verifier: n.cfg.Verifier,
		Randomness: func(tag types.DomainSeparationTag, e int64, entropy []byte, beacon bool) ([32]byte, error) {
			return n.randomness(tag, e, entropy, beacon, epoch)
		}}
}

// randomness draws chain randomness at epoch e as seen from epoch at (no
// look-ahead): from the ticket of the tipset at e, or its beacon entry.
func (n *Node) randomness(tag types.DomainSeparationTag, e int64, entropy []byte, beacon bool, at int64) ([32]byte, error) {
	if e > at {
		return [32]byte{}, fmt.Errorf("cannot draw randomness from the future: epoch %d, head %d", e, at)
	}
	ts := n.tipsets[max(e, 0)]
	blk := ts.MinTicketBlock()
	if beacon {
		if len(blk.BeaconEntries) == 0 {
			return [32]byte{}, fmt.Errorf("tipset %d has no beacon entry", ts.Height())
		}
		return DrawRandomness(blk.BeaconEntries[len(blk.BeaconEntries)-1].Data, tag, e, entropy), nil
	}
	return DrawRandomness(blk.Ticket.VRFProof, tag, e, entropy), nil
}

// execute applies the messages of the tipset at height to n.st, then cron,
// and returns the receipts.
func (n *Node) execute(height int64, msgs []*ftypes.SignedMessage) []types.MessageReceipt {
	env := n.env(height)
	out := make([]types.MessageReceipt, len(msgs))
	for i, m := range msgs {
		out[i] = n.st.ApplyMessage(env, &m.Message, messageSize(m))
	}
	n.st.Cron(env)
	return out
}

// messageSize is the size gas is charged for: the unsigned message's CBOR.
func messageSize(m *ftypes.SignedMessage) int {
	b, err := m.Message.Serialize()
	if err != nil {
		return MaxMessageSize
	}
	return len(b)
}

// Start makes a tipset every BlockTime until Close (with a manual clock it
// does nothing: call Advance). A failure to persist a tipset stops the
// loop; Err reports it.
func (n *Node) Start() {
	n.startOnce.Do(n.start)
}

func (n *Node) start() {
	if n.cfg.BlockTime <= 0 {
		close(n.done)
		return
	}
	go func() {
		defer close(n.done)
		t := time.NewTicker(n.cfg.BlockTime)
		defer t.Stop()
		for {
			select {
			case <-n.stop:
				return
			case <-t.C:
			}
			if err := n.produce(context.Background()); err != nil {
				n.log.Error("devnet stopped: cannot make the next tipset", "err", err)
				n.mu.Lock()
				n.runErr = err
				n.mu.Unlock()
				return
			}
		}
	}()
}

// Err is why block production stopped, if it did.
func (n *Node) Err() error {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.runErr
}

// Advance makes k tipsets now (the manual clock of tests).
func (n *Node) Advance(ctx context.Context, k int) error {
	for range k {
		if err := n.produce(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Close stops block production and ends subscriptions. It does not close
// the store.
func (n *Node) Close() {
	n.closeMu.Do(func() {
		close(n.stop)
		n.startOnce.Do(func() { close(n.done) }) // never started
		<-n.done
		n.mu.Lock()
		for s := range n.subs {
			s.close()
		}
		n.subs = nil
		n.mu.Unlock()
	})
}

// produce makes the next tipset: it executes the head's messages and cron,
// selects messages from the pool, builds and signs the block, and writes it
// all in one transaction.
func (n *Node) produce(ctx context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.runErr != nil {
		return n.runErr
	}
	head := n.head()
	epoch := head.Height() + 1
	executed := n.pendingExec
	receipts := n.execute(head.Height(), executed)
	msgs := n.pool.selectMessages(n.st, n.baseFee, MaxBlockMessages)

	// The whole state is serialised only for a snapshot; the state root is
	// chained from the parent's (see buildBlock).
	var snap []byte
	if epoch%n.cfg.SnapshotEvery == 0 {
		var err error
		if snap, err = n.st.Snapshot(); err != nil {
			return n.fail(fmt.Errorf("snapshot: %w", err))
		}
	}
	hdr, err := n.buildBlock(head, epoch, msgs, receipts)
	if err != nil {
		return n.fail(err)
	}
	ts, err := types.NewTipSet([]*types.BlockHeader{hdr})
	if err != nil {
		return n.fail(err)
	}
	if err := n.persist(ctx, ts, hdr, msgs, executed, receipts, snap); err != nil {
		return n.fail(fmt.Errorf("write tipset %d: %w", epoch, err))
	}
	n.tipsets = append(n.tipsets, ts)
	n.pendingExec = msgs
	for _, m := range msgs {
		if id, err := n.st.Lookup(m.Message.From); err == nil {
			n.pool.included(id, m)
		}
	}
	n.pool.prune(n.st)
	close(n.headCh)
	n.headCh = make(chan struct{})
	for s := range n.subs {
		s.send([]*types.HeadChange{{Type: types.HCApply, Val: ts}})
	}
	return nil
}

// fail records a production failure: the in-memory state may be ahead of
// the store, so the node stops; a restart resumes from the store.
func (n *Node) fail(err error) error {
	n.runErr = err
	return err
}

// buildBlock makes and signs the block at epoch.
//
// Its ParentStateRoot names the state the parent's messages produced
// without serialising that state (it can be large, and a tipset is made
// every block time): execution is deterministic, so the state is fixed by
// the previous state, the messages executed and their receipts, and the
// root is the CID of [parent's ParentStateRoot, parent's Messages,
// ParentMessageReceipts]. The genesis root is the CID of the genesis state.
func (n *Node) buildBlock(parent *types.TipSet, epoch int64, msgs []*ftypes.SignedMessage, receipts []types.MessageReceipt) (*types.BlockHeader, error) {
	pb := parent.MinTicketBlock()
	tk, err := n.producer.Sign(drawBytes(pb.Ticket.VRFProof, types.DSTTicketProduction, epoch, addrCBOR(producerAddr)))
	if err != nil {
		return nil, err
	}
	ep, err := n.producer.Sign(drawBytes(tk.Data, types.DSTElectionProofProduction, epoch, addrCBOR(producerAddr)))
	if err != nil {
		return nil, err
	}
	prevBeacon := pb.BeaconEntries[len(pb.BeaconEntries)-1].Data
	be, err := n.beacon.Sign(beaconMsg(prevBeacon, uint64(epoch)))
	if err != nil {
		return nil, err
	}
	var bls, secp []cid.Cid
	var blsSigs []sig.Signature
	for _, m := range msgs {
		c, err := m.Cid()
		if err != nil {
			return nil, err
		}
		if m.Signature.Type == sig.BLS {
			bls = append(bls, c)
			blsSigs = append(blsSigs, m.Signature)
		} else {
			secp = append(secp, c)
		}
	}
	blsRoot, err := cidOfCBOR(&cidList{cids: bls})
	if err != nil {
		return nil, err
	}
	secpRoot, err := cidOfCBOR(&cidList{cids: secp})
	if err != nil {
		return nil, err
	}
	meta, err := cidOfCBOR(&cidList{cids: []cid.Cid{blsRoot, secpRoot}})
	if err != nil {
		return nil, err
	}
	var rb bytes.Buffer
	for i := range receipts {
		if err := receipts[i].MarshalCBOR(&rb); err != nil {
			return nil, err
		}
	}
	receiptsRoot := ftypes.CID(rb.Bytes())
	root, err := cidOfCBOR(&cidList{cids: []cid.Cid{pb.ParentStateRoot, pb.Messages, receiptsRoot}})
	if err != nil {
		return nil, err
	}
	hdr := &types.BlockHeader{
		Miner:                 producerAddr,
		Ticket:                &types.Ticket{VRFProof: tk.Data},
		ElectionProof:         &types.ElectionProof{WinCount: 1, VRFProof: ep.Data},
		BeaconEntries:         []types.BeaconEntry{{Round: uint64(epoch), Data: be.Data}},
		Parents:               parent.Cids(),
		ParentWeight:          big.NewInt(epoch),
		Height:                epoch,
		ParentStateRoot:       root,
		ParentMessageReceipts: receiptsRoot,
		Messages:              meta,
		Timestamp:             uint64(max(time.Now().Unix(), int64(pb.Timestamp))),
		ParentBaseFee:         n.baseFee,
	}
	if len(blsSigs) > 0 {
		agg, err := sig.AggregateBLS(blsSigs)
		if err != nil {
			return nil, err
		}
		hdr.BLSAggregate = &agg
	}
	sb, err := hdr.SigningBytes()
	if err != nil {
		return nil, err
	}
	bs, err := n.producer.Sign(sb)
	if err != nil {
		return nil, err
	}
	hdr.BlockSig = &bs
	return hdr, nil
}

func drawBytes(base []byte, tag types.DomainSeparationTag, round int64, entropy []byte) []byte {
	r := DrawRandomness(base, tag, round, entropy)
	return r[:]
}

// persist writes a tipset, its messages and its parent's receipts.
func (n *Node) persist(ctx context.Context, ts *types.TipSet, hdr *types.BlockHeader, msgs, executed []*ftypes.SignedMessage, receipts []types.MessageReceipt, snap []byte) error {
	hb, err := hdr.Serialize()
	if err != nil {
		return err
	}
	type row struct {
		cid, msgCid, sender string
		nonce               uint64
		signed              []byte
	}
	rows := make([]row, len(msgs))
	for i, m := range msgs {
		c, err := m.Cid()
		if err != nil {
			return err
		}
		mc, err := m.Message.Cid()
		if err != nil {
			return err
		}
		b, err := m.Serialize()
		if err != nil {
			return err
		}
		rows[i] = row{c.String(), mc.String(), m.Message.From.String(), m.Message.Nonce, b}
	}
	execCids := make([]string, len(executed))
	for i, m := range executed {
		c, err := m.Cid()
		if err != nil {
			return err
		}
		execCids[i] = c.String()
	}
	epoch := ts.Height()
	return n.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO chain_tipsets (height, cid, header) VALUES ($1, $2, $3)`, epoch, ts.Cids()[0].String(), hb); err != nil {
			return err
		}
		for i, r := range rows {
			if _, err := tx.ExecContext(ctx, `INSERT INTO chain_messages (cid, msg_cid, height, idx, signed, sender, nonce) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				r.cid, r.msgCid, epoch, i, r.signed, r.sender, int64(r.nonce)); err != nil {
				return err
			}
		}
		for i, c := range execCids {
			rc := receipts[i]
			if _, err := tx.ExecContext(ctx, `UPDATE chain_messages SET executed = TRUE, exit_code = $1, ret = $2, gas_used = $3 WHERE cid = $4`,
				int64(rc.ExitCode), rc.Return, rc.GasUsed, c); err != nil {
				return err
			}
		}
		if snap != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO chain_snapshots (height, state) VALUES ($1, $2)`, epoch, snap); err != nil {
				return err
			}
			// Keep the last two snapshots.
			if _, err := tx.ExecContext(ctx, `DELETE FROM chain_snapshots WHERE height < $1 AND height > 0`, epoch-n.cfg.SnapshotEvery); err != nil {
				return err
			}
		}
		return nil
	})
}
