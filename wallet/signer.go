package wallet

import (
	"context"
	"errors"
	"fmt"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/sig"
	"github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/wallet/keystore"
)

// Signer signs for the hub, market and raas, which neither know nor care
// where the keys live. Implementations must be safe for concurrent use.
//
// Sign signs toSign with addr's key after Decode accepts (toSign, meta); a
// request Decode refuses wraps ErrBadRequest. A remote signer's refusals
// are rpc errors: kind permission when the token's policy forbids the
// request, invalid when the bytes do not match meta. Has reports whether
// the signer can sign for addr.
type Signer interface {
	Sign(ctx context.Context, addr address.Address, toSign []byte, meta MsgMeta) (*sig.Signature, error)
	Has(ctx context.Context, addr address.Address) (bool, error)
}

// SignMessage signs m with the key of m.From through s, sending the
// message's CBOR along so the signer can check what it signs.
func SignMessage(ctx context.Context, s Signer, m *types.Message) (*types.SignedMessage, error) {
	b, err := m.Serialize()
	if err != nil {
		return nil, fmt.Errorf("sign message: %w", err)
	}
	c := types.CID(b)
	sg, err := s.Sign(ctx, m.From, c.Bytes(), MsgMeta{Type: MTChainMsg, Extra: b})
	if err != nil {
		return nil, fmt.Errorf("sign message %s from %s: %w", c, m.From, err)
	}
	return &types.SignedMessage{Message: *m, Signature: *sg}, nil
}

// SignDealProposal signs p as its client through s.
func SignDealProposal(ctx context.Context, s Signer, p *types.DealProposal) (*types.ClientDealProposal, error) {
	b, err := p.Serialize()
	if err != nil {
		return nil, fmt.Errorf("sign deal proposal: %w", err)
	}
	sg, err := s.Sign(ctx, p.Client, b, MsgMeta{Type: MTDealProposal})
	if err != nil {
		return nil, fmt.Errorf("sign deal proposal from %s: %w", p.Client, err)
	}
	return &types.ClientDealProposal{Proposal: *p, ClientSignature: *sg}, nil
}

// Local is a Signer over a keystore in this process, for the devnet and
// single-machine setups. It applies Decode's checks but no token policy:
// whoever holds a Local holds the keys.
type Local struct {
	Keys *keystore.Store
}

var _ Signer = Local{}

// Sign implements Signer.
func (l Local) Sign(_ context.Context, addr address.Address, toSign []byte, meta MsgMeta) (*sig.Signature, error) {
	if _, err := Decode(toSign, meta); err != nil {
		return nil, err
	}
	k, err := l.Keys.Key(addr)
	if err != nil {
		return nil, err
	}
	s, err := k.Sign(toSign)
	if err != nil {
		return nil, fmt.Errorf("sign with %s: %w", addr, err)
	}
	return &s, nil
}

// Has implements Signer.
func (l Local) Has(_ context.Context, addr address.Address) (bool, error) {
	return l.Keys.Has(addr), nil
}

// Remote is a Signer that asks a wallet service (`strata wallet run`) over
// JSON-RPC, with a token whose policy the service enforces. It checks the
// returned signature against the request before handing it on, so a
// misbehaving service cannot slip in a signature by another key or over
// other bytes.
type Remote struct {
	API API
}

var _ Signer = Remote{}

// Sign implements Signer.
func (r Remote) Sign(ctx context.Context, addr address.Address, toSign []byte, meta MsgMeta) (*sig.Signature, error) {
	if _, err := Decode(toSign, meta); err != nil {
		return nil, err
	}
	s, err := r.API.Sign(ctx, addr, toSign, meta)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, errors.New("wallet service returned no signature")
	}
	if err := sig.Verify(*s, addr, toSign); err != nil {
		return nil, fmt.Errorf("wallet service returned a signature that does not verify for %s: %w", addr, err)
	}
	return s, nil
}

// Has implements Signer.
func (r Remote) Has(ctx context.Context, addr address.Address) (bool, error) {
	return r.API.Has(ctx, addr)
}
