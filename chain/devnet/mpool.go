package devnet

import (
	"fmt"
	"sort"

	"github.com/strata-sp/strata/chain/state"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	ftypes "github.com/strata-sp/strata/fil/types"
)

// mpool holds the messages waiting for a block, by sender and nonce, and
// the highest nonce of each sender in the head's (not yet executed)
// messages. Senders are keyed by ID so that an account's f1 and f0 forms
// meet. The Node's lock guards it.
type mpool struct {
	pending map[uint64]map[uint64]*ftypes.SignedMessage
	// inHead is one past the highest nonce of each sender among the head's
	// messages.
	inHead map[uint64]uint64
	count  int
	// replaced maps the CID of each message replaced by fee to its sender
	// and nonce, so that a lookup allowing replacement finds the message
	// that took its place.
	replaced map[string]senderNonce
}

type senderNonce struct {
	from  string
	nonce uint64
}

func newMpool() *mpool {
	return &mpool{pending: map[uint64]map[uint64]*ftypes.SignedMessage{}, inHead: map[uint64]uint64{}, replaced: map[string]senderNonce{}}
}

// nextNonce is the nonce the sender's next new message needs: after the
// state's, the head's and the contiguous pending ones.
func (p *mpool) nextNonce(st *state.State, id uint64) uint64 {
	next := st.Actor(id).Nonce
	if h, ok := p.inHead[id]; ok && h > next {
		next = h
	}
	for {
		if _, ok := p.pending[id][next]; !ok {
			return next
		}
		next++
	}
}

// add checks a message against the state and the pool and adds it,
// replacing a pending message of the same nonce when its premium is at
// least 1.25 times higher. Errors end with Lotus's texts.
func (p *mpool) add(st *state.State, baseFee big.TokenAmount, id uint64, m *ftypes.SignedMessage) error {
	msg := &m.Message
	if msg.GasFeeCap.Cmp(baseFee) < 0 {
		return fmt.Errorf("fee cap %s below the base fee %s: gas fee cap too low", msg.GasFeeCap.AttoString(), baseFee.AttoString())
	}
	if used := st.GasUsed(msg, messageSize(m)); msg.GasLimit < used {
		return fmt.Errorf("gas limit %d below the %d the message uses: validation failure", msg.GasLimit, used)
	}
	minNonce := st.Actor(id).Nonce
	if h, ok := p.inHead[id]; ok && h > minNonce {
		minNonce = h
	}
	if msg.Nonce < minNonce {
		return fmt.Errorf("nonce %d, next is %d: message nonce too low", msg.Nonce, minNonce)
	}
	old, replacing := p.pending[id][msg.Nonce]
	if !replacing {
		if next := p.nextNonce(st, id); msg.Nonce > next {
			return fmt.Errorf("nonce %d, next is %d: unfulfilled nonce gap", msg.Nonce, next)
		}
		if len(p.pending[id]) >= MaxPendingPerSender {
			return fmt.Errorf("%d pending: too many pending messages for actor", len(p.pending[id]))
		}
	} else {
		need := old.Message.GasPremium.Mul(big.NewInt(replaceNum)).Int.Div(big.NewInt(replaceDen))
		if msg.GasPremium.Cmp(big.TokenAmount{Int: need}) < 0 {
			if oc, _ := old.Cid(); true {
				if nc, _ := m.Cid(); oc.Equals(nc) {
					return fmt.Errorf("message with nonce already exists")
				}
			}
			return fmt.Errorf("premium %s, need at least %s: replace by fee has too low GasPremium", msg.GasPremium.AttoString(), need)
		}
	}
	// Funds for this message and the sender's other pending ones.
	need := msg.Value.Add(msg.GasFeeCap.Mul(big.NewInt(msg.GasLimit)))
	for n, o := range p.pending[id] {
		if n != msg.Nonce {
			need = need.Add(o.Message.Value.Add(o.Message.GasFeeCap.Mul(big.NewInt(o.Message.GasLimit))))
		}
	}
	if bal := st.Actor(id).Balance; bal.Cmp(need) < 0 {
		return fmt.Errorf("balance %s, pending messages need %s: not enough funds to execute transaction", bal.AttoString(), need.AttoString())
	}
	if p.pending[id] == nil {
		p.pending[id] = map[uint64]*ftypes.SignedMessage{}
	}
	if !replacing {
		p.count++
	} else if oc, err := old.Cid(); err == nil {
		p.replaced[oc.String()] = senderNonce{msg.From.String(), msg.Nonce}
	}
	p.pending[id][msg.Nonce] = m
	return nil
}

// selectMessages takes, for each sender in ID order, its pending messages
// with consecutive nonces from the state's, while the state can execute
// them, up to limit messages.
func (p *mpool) selectMessages(st *state.State, baseFee big.TokenAmount, limit int) []*ftypes.SignedMessage {
	ids := make([]uint64, 0, len(p.pending))
	for id := range p.pending {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var out []*ftypes.SignedMessage
	for _, id := range ids {
		act := st.Actor(id)
		if act == nil {
			continue
		}
		bal := act.Balance
		for nonce := act.Nonce; len(out) < limit; nonce++ {
			m, ok := p.pending[id][nonce]
			if !ok {
				break
			}
			cost := m.Message.Value.Add(m.Message.GasFeeCap.Mul(big.NewInt(m.Message.GasLimit)))
			if m.Message.GasFeeCap.Cmp(baseFee) < 0 || bal.Cmp(cost) < 0 {
				break
			}
			bal = bal.Sub(cost)
			out = append(out, m)
		}
	}
	return out
}

// included records that m, from sender id, is in the head: it leaves the
// pool.
func (p *mpool) included(id uint64, m *ftypes.SignedMessage) {
	if _, ok := p.pending[id][m.Message.Nonce]; ok {
		delete(p.pending[id], m.Message.Nonce)
		p.count--
	}
	if m.Message.Nonce+1 > p.inHead[id] {
		p.inHead[id] = m.Message.Nonce + 1
	}
}

// prune drops what the state has made stale: messages below the sender's
// nonce, and the head-nonce marks the state has caught up with.
func (p *mpool) prune(st *state.State) {
	for id, byNonce := range p.pending {
		act := st.Actor(id)
		for n := range byNonce {
			if act == nil || n < act.Nonce {
				delete(byNonce, n)
				p.count--
			}
		}
		if len(byNonce) == 0 {
			delete(p.pending, id)
		}
	}
	for id, h := range p.inHead {
		if act := st.Actor(id); act == nil || act.Nonce >= h {
			delete(p.inHead, id)
		}
	}
}

// senderID resolves a message's sender to an account ID.
func senderID(st *state.State, a address.Address) (uint64, error) {
	id, err := st.Lookup(a)
	if err != nil {
		return 0, fmt.Errorf("sender %s: actor not found", a)
	}
	if st.Actor(id).Kind != state.KindAccount {
		return 0, fmt.Errorf("sender %s is not an account: validation failure", a)
	}
	return id, nil
}
