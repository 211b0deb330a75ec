// Package wallet is the signing boundary of a storage provider: what a sign
// request is (MsgMeta, Request and its decoding), the Wallet.* API a wallet
// process serves (WalletStruct), and the Signer interface the hub, market
// and raas sign through, with a Local implementation (keys in this process)
// and a Remote one (a `strata wallet run` service reached over JSON-RPC).
//
// Whatever the implementation, a signer never signs bytes on a caller's word
// about what they are: a chain message arrives with its CBOR, and the bytes
// to sign must be that message's CID; a deal proposal or storage ask must be
// the CBOR of one. Decode does that check, and a service's policy then
// judges the decoded request (package wallet/policy).
package wallet

import (
	"context"
	"fmt"
	"time"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/sig"
)

// Namespace is the JSON-RPC namespace of a wallet process.
const Namespace = "Wallet"

// MsgType says what the bytes to sign are. The names are Lotus's
// (api.MsgType) where Lotus has one.
type MsgType string

// The kinds of sign request.
const (
	// MTChainMsg: the bytes are a message's CID; MsgMeta.Extra holds the
	// message's CBOR.
	MTChainMsg MsgType = "message"
	// MTDealProposal: the bytes are a deal proposal's CBOR (the client's
	// signature in a ClientDealProposal); Extra is empty or the same bytes.
	MTDealProposal MsgType = "dealproposal"
	// MTStorageAsk: the bytes are a storage ask's CBOR, signed by the
	// miner's worker; Extra is empty or the same bytes.
	MTStorageAsk MsgType = "storageask"
	// MTDealStatusRequest: the bytes are what a deal status request signs: a
	// deal's 16-byte UUID (Boost) or the CBOR of a proposal CID (tag 42, as
	// go-fil-markets signs it); never bare CID bytes, which could be a
	// message's CID.
	MTDealStatusRequest MsgType = "dealstatusrequest"
	// MTUnknown: other bytes, which the wallet cannot check. A scoped token
	// may sign them only when its policy says raw_bytes = true, and even
	// then not bytes that are a CID (a message's CID must come as a
	// message, with its CBOR).
	MTUnknown MsgType = "unknown"
)

// Valid reports whether t is one of the kinds above.
func (t MsgType) Valid() bool {
	switch t {
	case MTChainMsg, MTDealProposal, MTStorageAsk, MTDealStatusRequest, MTUnknown:
		return true
	}
	return false
}

// MsgMeta tells the wallet what it is asked to sign: Lotus's api.MsgMeta,
// {"Type":..., "Extra": base64}.
type MsgMeta struct {
	Type MsgType
	// Extra is what the signed bytes must be derived from: a chain
	// message's CBOR for MTChainMsg.
	Extra []byte
}

// KeyInfo is a private key as Lotus's WalletImport and WalletExport carry
// it: {"Type":"secp256k1"|"bls","PrivateKey":base64}.
type KeyInfo struct {
	Type       string
	PrivateKey []byte
}

// Key returns the key ki holds.
func (ki KeyInfo) Key() (sig.PrivateKey, error) {
	var t sig.Type
	switch ki.Type {
	case "secp256k1":
		t = sig.Secp256k1
	case "bls":
		t = sig.BLS
	default:
		return nil, fmt.Errorf("key type %q: want secp256k1 or bls", ki.Type)
	}
	return sig.NewPrivateKey(t, ki.PrivateKey)
}

// KeyInfoOf returns k as a KeyInfo.
func KeyInfoOf(k sig.PrivateKey) (KeyInfo, error) {
	switch k.Type() {
	case sig.Secp256k1:
		return KeyInfo{Type: "secp256k1", PrivateKey: k.Bytes()}, nil
	case sig.BLS:
		return KeyInfo{Type: "bls", PrivateKey: k.Bytes()}, nil
	}
	return KeyInfo{}, fmt.Errorf("key type %s cannot be exported", k.Type())
}

// String never shows the key.
func (ki KeyInfo) String() string { return "KeyInfo{" + ki.Type + ", <private>}" }

// Token is a scoped wallet token as the service records it.
type Token struct {
	ID      string
	Name    string
	Policy  string // the policy file's text
	Created time.Time
	// Revoked is when the token was revoked; zero while it is valid.
	Revoked time.Time
	// Token is the bearer token itself; only TokenCreate returns it.
	Token string `json:",omitempty"`
}

// Decision is what the wallet did with a sign request.
type Decision string

// The decisions.
const (
	Allowed Decision = "allowed"
	Denied  Decision = "denied"
)

// AuditEntry is one sign request in the wallet's append-only audit log.
type AuditEntry struct {
	Seq     int64
	Time    time.Time
	TokenID string // "admin" for an unscoped admin token, "local" in process
	Address string
	Kind    MsgType
	// For chain messages:
	MessageCID string `json:",omitempty"`
	To         string `json:",omitempty"`
	Method     uint64
	Value      string `json:",omitempty"` // attoFIL
	GasFeeCap  string `json:",omitempty"`
	GasPremium string `json:",omitempty"`
	Nonce      uint64
	// Subject names what a non-message request was about (a deal's
	// provider, an ask's miner).
	Subject  string `json:",omitempty"`
	Decision Decision
	Reason   string `json:",omitempty"`
}

// AuditQuery selects audit entries, newest first.
type AuditQuery struct {
	TokenID  string
	Address  string
	Decision Decision
	Since    time.Time
	// Limit caps the entries returned; 0 means 100, at most 10,000.
	Limit int
}

// API is what a wallet process serves under Namespace. Sign, List, Has and
// Balance are what signers use; the rest is for the operator (admin).
type API interface {
	// Sign signs toSign with addr's key after checking that toSign is what
	// meta says and that the caller's token allows it. A refusal is an
	// rpc error of kind permission (policy) or invalid (bytes that do not
	// match meta), and is recorded in the audit log like every request.
	Sign(ctx context.Context, addr address.Address, toSign []byte, meta MsgMeta) (*sig.Signature, error)
	// List returns the addresses the caller may sign with that have keys.
	List(ctx context.Context) ([]address.Address, error)
	// Has reports whether the wallet holds addr's key and the caller may
	// use it.
	Has(ctx context.Context, addr address.Address) (bool, error)
	// Balance is addr's balance on chain.
	Balance(ctx context.Context, addr address.Address) (big.TokenAmount, error)

	// New generates a key ("secp256k1" or "bls").
	New(ctx context.Context, typ string) (address.Address, error)
	Import(ctx context.Context, ki KeyInfo) (address.Address, error)
	Export(ctx context.Context, addr address.Address) (KeyInfo, error)
	Delete(ctx context.Context, addr address.Address) error
	SetDefault(ctx context.Context, addr address.Address) error
	Default(ctx context.Context) (address.Address, error)

	// TokenCreate checks a policy file and returns a new token bound to it.
	TokenCreate(ctx context.Context, name, policy string) (Token, error)
	TokenList(ctx context.Context) ([]Token, error)
	// TokenRevoke revokes a token; the next request with it is refused.
	TokenRevoke(ctx context.Context, id string) error
	Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, error)
}

// WalletStruct is API's proxy: the permission of each method, and the
// typed client rpc.NewClient fills.
type WalletStruct struct {
	Internal struct {
		Sign    func(ctx context.Context, addr address.Address, toSign []byte, meta MsgMeta) (*sig.Signature, error) `perm:"sign"`
		List    func(ctx context.Context) ([]address.Address, error)                                                 `perm:"read"`
		Has     func(ctx context.Context, addr address.Address) (bool, error)                                        `perm:"read"`
		Balance func(ctx context.Context, addr address.Address) (big.TokenAmount, error)                             `perm:"read"`

		New         func(ctx context.Context, typ string) (address.Address, error)   `perm:"admin"`
		Import      func(ctx context.Context, ki KeyInfo) (address.Address, error)   `perm:"admin"`
		Export      func(ctx context.Context, addr address.Address) (KeyInfo, error) `perm:"admin"`
		Delete      func(ctx context.Context, addr address.Address) error            `perm:"admin"`
		SetDefault  func(ctx context.Context, addr address.Address) error            `perm:"admin"`
		Default     func(ctx context.Context) (address.Address, error)               `perm:"read"`
		TokenCreate func(ctx context.Context, name, policy string) (Token, error)    `perm:"admin"`
		TokenList   func(ctx context.Context) ([]Token, error)                       `perm:"admin"`
		TokenRevoke func(ctx context.Context, id string) error                       `perm:"admin"`
		Audit       func(ctx context.Context, q AuditQuery) ([]AuditEntry, error)    `perm:"admin"`
	}
}

var _ API = (*WalletStruct)(nil)

// Sign implements API.
func (w *WalletStruct) Sign(ctx context.Context, addr address.Address, toSign []byte, meta MsgMeta) (*sig.Signature, error) {
	return w.Internal.Sign(ctx, addr, toSign, meta)
}

// List implements API.
func (w *WalletStruct) List(ctx context.Context) ([]address.Address, error) {
	return w.Internal.List(ctx)
}

// Has implements API.
func (w *WalletStruct) Has(ctx context.Context, addr address.Address) (bool, error) {
	return w.Internal.Has(ctx, addr)
}

// Balance implements API.
func (w *WalletStruct) Balance(ctx context.Context, addr address.Address) (big.TokenAmount, error) {
	return w.Internal.Balance(ctx, addr)
}

// New implements API.
func (w *WalletStruct) New(ctx context.Context, typ string) (address.Address, error) {
	return w.Internal.New(ctx, typ)
}

// Import implements API.
func (w *WalletStruct) Import(ctx context.Context, ki KeyInfo) (address.Address, error) {
	return w.Internal.Import(ctx, ki)
}

// Export implements API.
func (w *WalletStruct) Export(ctx context.Context, addr address.Address) (KeyInfo, error) {
	return w.Internal.Export(ctx, addr)
}

// Delete implements API.
func (w *WalletStruct) Delete(ctx context.Context, addr address.Address) error {
	return w.Internal.Delete(ctx, addr)
}

// SetDefault implements API.
func (w *WalletStruct) SetDefault(ctx context.Context, addr address.Address) error {
	return w.Internal.SetDefault(ctx, addr)
}

// Default implements API.
func (w *WalletStruct) Default(ctx context.Context) (address.Address, error) {
	return w.Internal.Default(ctx)
}

// TokenCreate implements API.
func (w *WalletStruct) TokenCreate(ctx context.Context, name, policy string) (Token, error) {
	return w.Internal.TokenCreate(ctx, name, policy)
}

// TokenList implements API.
func (w *WalletStruct) TokenList(ctx context.Context) ([]Token, error) {
	return w.Internal.TokenList(ctx)
}

// TokenRevoke implements API.
func (w *WalletStruct) TokenRevoke(ctx context.Context, id string) error {
	return w.Internal.TokenRevoke(ctx, id)
}

// Audit implements API.
func (w *WalletStruct) Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	return w.Internal.Audit(ctx, q)
}
