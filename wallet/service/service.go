// Package service is the wallet process's core: the Wallet.* API
// (wallet.API) over an encrypted keystore, with a policy per scoped token,
// revocation, and an append-only audit log of every sign request in the
// store (SQLite or PostgreSQL).
//
// Who is calling comes from the RPC claims in the context:
//   - a token carrying the TokenClaim is scoped: its policy (wallet/policy)
//     decides every sign request, and it can only see its own addresses;
//   - a token with admin permission and no TokenClaim may sign anything;
//   - any other token may not sign (a plain `auth create-token --perm sign`
//     token has no policy, so it gets none of the keys);
//   - a call without claims comes from this process (the CLI working on a
//     keystore while no wallet runs) and is treated as admin.
//
// Every sign request, allowed or refused, is written to the audit log
// before the answer goes back; if the log cannot be written, nothing is
// signed.
package service

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/strata-sp/strata/chain"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/sig"
	"github.com/strata-sp/strata/rpc"
	"github.com/strata-sp/strata/store"
	"github.com/strata-sp/strata/wallet"
	"github.com/strata-sp/strata/wallet/keystore"
	"github.com/strata-sp/strata/wallet/policy"
)

// TokenClaim is the JWT claim naming a scoped token's id.
const TokenClaim = "WalletToken"

// Caller names recorded in the audit log for unscoped callers.
const (
	CallerAdmin = "admin"
	CallerLocal = "local"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the wallet's schema migrations (component "wallet").
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err) // the embedded directory exists
	}
	return sub
}

// TokenIssuer signs bearer tokens; *rpc.Authority is one.
type TokenIssuer interface {
	NewToken(perms []rpc.Perm, extra map[string]any) (string, error)
}

// Options configure a Service.
type Options struct {
	Keys *keystore.Store
	DB   *store.DB
	// Issuer signs the tokens TokenCreate returns; nil disables TokenCreate.
	Issuer TokenIssuer
	// Chain answers Balance; nil makes Balance fail with a clear error.
	Chain chain.API
	// Refresh is how often the token table is re-read, so that a token
	// revoked through another wallet process sharing the database is
	// refused here too; 0 means 2 s. Revocation through this process takes
	// effect at once.
	Refresh time.Duration
	Logger  *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Service implements wallet.API. It is safe for concurrent use.
type Service struct {
	keys   *keystore.Store
	db     *store.DB
	issuer TokenIssuer
	chain  chain.API
	log    *slog.Logger
	now    func() time.Time
	audit  *auditLog

	mu     sync.RWMutex
	tokens map[string]*tokenState

	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

type tokenState struct {
	info    wallet.Token
	policy  *policy.Policy // nil if the stored policy no longer parses
	limiter *policy.Limiter
}

var _ wallet.API = (*Service)(nil)

// New migrates the wallet schema, loads the token table and starts the
// audit writer. Close stops it.
func New(ctx context.Context, o Options) (*Service, error) {
	if o.Keys == nil || o.DB == nil {
		return nil, errors.New("wallet service: Keys and DB are required")
	}
	if _, err := o.DB.Migrate(ctx, "wallet", Migrations()); err != nil {
		return nil, fmt.Errorf("wallet service: %w", err)
	}
	s := &Service{
		keys: o.Keys, db: o.DB, issuer: o.Issuer, chain: o.Chain,
		log: o.Logger, now: o.Now,
		tokens:  map[string]*tokenState{},
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.loadTokens(ctx); err != nil {
		return nil, err
	}
	s.audit = newAuditLog(o.DB)
	refresh := o.Refresh
	if refresh <= 0 {
		refresh = 2 * time.Second
	}
	go s.refreshLoop(refresh)
	return s, nil
}

// Close stops the audit writer and the token refresh; later sign requests
// fail.
func (s *Service) Close() {
	s.once.Do(func() {
		close(s.stop)
		<-s.stopped
		s.audit.Close()
	})
}

func (s *Service) refreshLoop(every time.Duration) {
	defer close(s.stopped)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), every)
			if err := s.loadTokens(ctx); err != nil {
				s.log.Warn("reload wallet tokens", "err", err)
			}
			cancel()
		}
	}
}

// loadTokens reads the token table, keeping the rate-limit state of tokens
// already known.
func (s *Service) loadTokens(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, policy, created_at, revoked_at FROM wallet_tokens`)
	if err != nil {
		return fmt.Errorf("load wallet tokens: %w", err)
	}
	defer rows.Close()
	var list []wallet.Token
	for rows.Next() {
		var t wallet.Token
		var created int64
		var revoked sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Name, &t.Policy, &created, &revoked); err != nil {
			return fmt.Errorf("load wallet tokens: %w", err)
		}
		t.Created = time.Unix(0, created).UTC()
		if revoked.Valid {
			t.Revoked = time.Unix(0, revoked.Int64).UTC()
		}
		list = append(list, t)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load wallet tokens: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range list {
		if old, ok := s.tokens[t.ID]; ok {
			// Revocation only moves one way: a read that started before a
			// revocation must not undo it.
			if old.info.Revoked.IsZero() && !t.Revoked.IsZero() {
				old.info.Revoked = t.Revoked
			}
			continue
		}
		s.tokens[t.ID] = s.newTokenState(t)
	}
	return nil
}

func (s *Service) newTokenState(t wallet.Token) *tokenState {
	st := &tokenState{info: t}
	p, err := policy.Parse([]byte(t.Policy))
	if err != nil {
		s.log.Error("stored wallet token policy does not parse; the token is refused", "token", t.ID, "err", err)
		return st
	}
	st.policy, st.limiter = p, policy.NewLimiter(p)
	return st
}

// caller is who is calling and what they may do; policy is nil for admin.
type caller struct {
	id     string
	policy *policy.Policy
	limit  *policy.Limiter
}

func (c caller) admin() bool { return c.policy == nil }

// who identifies the caller from the RPC claims in ctx.
func (s *Service) who(ctx context.Context) (caller, error) {
	claims, ok := rpc.ClaimsFrom(ctx)
	if !ok {
		return caller{id: CallerLocal}, nil
	}
	var id string
	scoped, err := claims.Scope(TokenClaim, &id)
	if err != nil {
		return caller{id: "?"}, rpc.Errorf(rpc.KindPermission, "wallet token: %v", err)
	}
	if !scoped {
		if claims.Has(rpc.PermAdmin) {
			return caller{id: CallerAdmin}, nil
		}
		return caller{id: "?"}, rpc.Errorf(rpc.KindPermission, "this token has no wallet policy: create one with `strata wallet token create --policy FILE`, or use an admin token")
	}
	s.mu.RLock()
	st, ok := s.tokens[id]
	var revoked time.Time
	if ok {
		revoked = st.info.Revoked
	}
	s.mu.RUnlock()
	switch {
	case !ok:
		return caller{id: id}, rpc.Errorf(rpc.KindPermission, "wallet token %s is unknown to this wallet", id)
	case !revoked.IsZero():
		return caller{id: id}, rpc.Errorf(rpc.KindPermission, "wallet token %s was revoked at %s", id, revoked.Format(time.RFC3339))
	case st.policy == nil:
		return caller{id: id}, rpc.Errorf(rpc.KindPermission, "wallet token %s has a policy this wallet cannot parse", id)
	}
	return caller{id: id, policy: st.policy, limit: st.limiter}, nil
}

func (c caller) mayUse(a address.Address) bool {
	return c.admin() || c.policy.AnyAddress || slices.Contains(c.policy.Addresses, a)
}

// Sign implements wallet.API.
func (s *Service) Sign(ctx context.Context, addr address.Address, toSign []byte, meta wallet.MsgMeta) (*sig.Signature, error) {
	e := &wallet.AuditEntry{Time: s.now().UTC(), Address: addr.String(), Kind: meta.Type}
	// The entry is written even if the caller goes away meanwhile.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	who, err := s.who(ctx)
	e.TokenID = who.id
	if err != nil {
		return nil, s.refuse(ctx, e, err)
	}
	req, err := wallet.Decode(toSign, meta)
	if err != nil {
		return nil, s.refuse(ctx, e, rpc.Errorf(rpc.KindInvalid, "%w", err))
	}
	describe(e, req)
	if !who.admin() {
		if err := who.policy.Check(addr, req); err != nil {
			return nil, s.refuse(ctx, e, rpc.Errorf(rpc.KindPermission, "%w", err))
		}
		if err := who.limit.Allow(s.now()); err != nil {
			return nil, s.refuse(ctx, e, rpc.Errorf(rpc.KindTransient, "%w", err))
		}
	}
	k, err := s.keys.Key(addr)
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, s.refuse(ctx, e, rpc.Errorf(rpc.KindNotFound, "the wallet holds no key for %s", addr))
	} else if err != nil {
		s.log.Error("read key", "address", addr, "err", err)
		return nil, s.refuse(ctx, e, rpc.Errorf(rpc.KindInternal, "key for %s is unusable: %w", addr, err))
	}
	signature, err := k.Sign(toSign)
	if err != nil {
		return nil, s.refuse(ctx, e, rpc.Errorf(rpc.KindInternal, "sign with %s: %w", addr, err))
	}
	e.Decision = wallet.Allowed
	if err := s.audit.Append(ctx, e); err != nil {
		s.log.Error("audit log write failed; signature withheld", "err", err)
		return nil, rpc.Errorf(rpc.KindTransient, "audit log unavailable, nothing signed: %w", err)
	}
	return &signature, nil
}

// refuse records a refused request and returns err (or the audit failure).
func (s *Service) refuse(ctx context.Context, e *wallet.AuditEntry, err error) error {
	e.Decision, e.Reason = wallet.Denied, err.Error()
	if aerr := s.audit.Append(ctx, e); aerr != nil {
		s.log.Error("audit log write failed", "err", aerr)
		return errors.Join(err, rpc.Errorf(rpc.KindTransient, "audit log unavailable: %w", aerr))
	}
	s.log.Info("sign request refused", "token", e.TokenID, "address", e.Address, "kind", e.Kind, "reason", e.Reason)
	return err
}

func describe(e *wallet.AuditEntry, r *wallet.Request) {
	switch {
	case r.Message != nil:
		m := r.Message
		e.MessageCID = r.MessageCID.String()
		e.To, e.Method, e.Nonce = m.To.String(), m.Method, m.Nonce
		e.Value, e.GasFeeCap, e.GasPremium = m.Value.Int.String(), m.GasFeeCap.Int.String(), m.GasPremium.Int.String()
	case r.Deal != nil:
		e.Subject = "provider " + r.Deal.Provider.String()
		e.Value = r.Deal.TotalStorageFee().Int.String()
	case r.Ask != nil:
		e.Subject = "miner " + r.Ask.Miner.String()
	}
}

// List implements wallet.API.
func (s *Service) List(ctx context.Context) ([]address.Address, error) {
	who, err := s.who(ctx)
	if err != nil {
		return nil, err
	}
	all, err := s.keys.List()
	if err != nil {
		return nil, rpc.Errorf(rpc.KindInternal, "%w", err)
	}
	out := all[:0]
	for _, a := range all {
		if who.mayUse(a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// Has implements wallet.API.
func (s *Service) Has(ctx context.Context, addr address.Address) (bool, error) {
	who, err := s.who(ctx)
	if err != nil {
		return false, err
	}
	return who.mayUse(addr) && s.keys.Has(addr), nil
}

// Balance implements wallet.API.
func (s *Service) Balance(ctx context.Context, addr address.Address) (big.TokenAmount, error) {
	if _, err := s.who(ctx); err != nil {
		return big.TokenAmount{}, err
	}
	if s.chain == nil {
		return big.TokenAmount{}, rpc.Errorf(rpc.KindTransient, "this wallet has no chain node configured (FULLNODE_API_INFO or [Chain] APIInfo)")
	}
	b, err := s.chain.WalletBalance(ctx, addr)
	if err != nil {
		return big.TokenAmount{}, rpc.Errorf(rpc.KindTransient, "balance of %s from the chain: %w", addr, err)
	}
	return b, nil
}

func keyErr(err error) error {
	switch {
	case errors.Is(err, keystore.ErrNotFound):
		return rpc.Errorf(rpc.KindNotFound, "%w", err)
	case errors.Is(err, keystore.ErrExists):
		return rpc.Errorf(rpc.KindConflict, "%w", err)
	case errors.Is(err, keystore.ErrUnknownKeyType), errors.Is(err, keystore.ErrCorrupt):
		return rpc.Errorf(rpc.KindInvalid, "%w", err)
	}
	return rpc.Errorf(rpc.KindInternal, "%w", err)
}

// New implements wallet.API.
func (s *Service) New(_ context.Context, typ string) (address.Address, error) {
	var t sig.Type
	switch typ {
	case "secp256k1", "":
		t = sig.Secp256k1
	case "bls":
		t = sig.BLS
	default:
		return address.Undef, rpc.Errorf(rpc.KindInvalid, "key type %q: want secp256k1 or bls", typ)
	}
	a, err := s.keys.New(t)
	if err != nil {
		return address.Undef, keyErr(err)
	}
	s.log.Info("new key", "address", a)
	return a, nil
}

// Import implements wallet.API.
func (s *Service) Import(_ context.Context, ki wallet.KeyInfo) (address.Address, error) {
	k, err := ki.Key()
	if err != nil {
		return address.Undef, rpc.Errorf(rpc.KindInvalid, "import: %w", err)
	}
	a, err := s.keys.Import(k)
	if err != nil {
		return address.Undef, keyErr(err)
	}
	s.log.Info("imported key", "address", a)
	return a, nil
}

// Export implements wallet.API.
func (s *Service) Export(_ context.Context, addr address.Address) (wallet.KeyInfo, error) {
	k, err := s.keys.Key(addr)
	if err != nil {
		return wallet.KeyInfo{}, keyErr(err)
	}
	s.log.Warn("exported key", "address", addr)
	ki, err := wallet.KeyInfoOf(k)
	if err != nil {
		return wallet.KeyInfo{}, rpc.Errorf(rpc.KindInvalid, "%w", err)
	}
	return ki, nil
}

// Delete implements wallet.API.
func (s *Service) Delete(_ context.Context, addr address.Address) error {
	if err := s.keys.Delete(addr); err != nil {
		return keyErr(err)
	}
	s.log.Warn("deleted key", "address", addr)
	return nil
}

// SetDefault implements wallet.API.
func (s *Service) SetDefault(_ context.Context, addr address.Address) error {
	if err := s.keys.SetDefault(addr); err != nil {
		return keyErr(err)
	}
	return nil
}

// Default implements wallet.API. A scoped token sees the default only if
// its policy covers it.
func (s *Service) Default(ctx context.Context) (address.Address, error) {
	who, err := s.who(ctx)
	if err != nil {
		return address.Undef, err
	}
	a, err := s.keys.Default()
	if err != nil {
		return address.Undef, keyErr(err)
	}
	if !who.mayUse(a) {
		return address.Undef, rpc.Errorf(rpc.KindNotFound, "no default address for this token")
	}
	return a, nil
}

// TokenCreate implements wallet.API.
func (s *Service) TokenCreate(ctx context.Context, name, pol string) (wallet.Token, error) {
	if s.issuer == nil {
		return wallet.Token{}, rpc.Errorf(rpc.KindInvalid, "this wallet cannot issue tokens")
	}
	if len(name) > 200 || strings.ContainsAny(name, "\x00\n\r") {
		return wallet.Token{}, rpc.Errorf(rpc.KindInvalid, "token name: at most 200 characters on one line")
	}
	p, err := policy.Parse([]byte(pol))
	if err != nil {
		return wallet.Token{}, rpc.Errorf(rpc.KindInvalid, "%w", err)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return wallet.Token{}, rpc.Errorf(rpc.KindInternal, "token id: %w", err)
	}
	t := wallet.Token{ID: hex.EncodeToString(b[:]), Name: name, Policy: pol, Created: s.now().UTC()}
	tok, err := s.issuer.NewToken([]rpc.Perm{rpc.PermRead, rpc.PermWrite, rpc.PermSign}, map[string]any{TokenClaim: t.ID})
	if err != nil {
		return wallet.Token{}, rpc.Errorf(rpc.KindInternal, "%w", err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO wallet_tokens (id, name, policy, created_at) VALUES ($1, $2, $3, $4)`,
		t.ID, t.Name, t.Policy, t.Created.UnixNano()); err != nil {
		return wallet.Token{}, rpc.Errorf(rpc.KindInternal, "store token: %w", err)
	}
	s.mu.Lock()
	s.tokens[t.ID] = &tokenState{info: t, policy: p, limiter: policy.NewLimiter(p)}
	s.mu.Unlock()
	s.log.Info("token created", "token", t.ID, "name", name)
	t.Token = tok
	return t, nil
}

// TokenList implements wallet.API.
func (s *Service) TokenList(ctx context.Context) ([]wallet.Token, error) {
	if err := s.loadTokens(ctx); err != nil {
		return nil, rpc.Errorf(rpc.KindInternal, "%w", err)
	}
	s.mu.RLock()
	out := make([]wallet.Token, 0, len(s.tokens))
	for _, st := range s.tokens {
		out = append(out, st.info)
	}
	s.mu.RUnlock()
	sortTokens(out)
	return out, nil
}

func sortTokens(t []wallet.Token) {
	slices.SortFunc(t, func(a, b wallet.Token) int {
		if c := a.Created.Compare(b.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// TokenRevoke implements wallet.API. Revoking a revoked token is not an
// error; the first revocation time is kept.
func (s *Service) TokenRevoke(ctx context.Context, id string) error {
	now := s.now().UTC()
	res, err := s.db.ExecContext(ctx, `UPDATE wallet_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`, now.UnixNano(), id)
	if err != nil {
		return rpc.Errorf(rpc.KindInternal, "revoke token: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return rpc.Errorf(rpc.KindNotFound, "no wallet token %q", id)
	}
	s.mu.Lock()
	if st, ok := s.tokens[id]; ok && st.info.Revoked.IsZero() {
		st.info.Revoked = now
	}
	s.mu.Unlock()
	s.log.Warn("token revoked", "token", id)
	return nil
}

// Audit implements wallet.API.
func (s *Service) Audit(ctx context.Context, q wallet.AuditQuery) ([]wallet.AuditEntry, error) {
	out, err := s.audit.query(ctx, q)
	if err != nil {
		return nil, rpc.Errorf(rpc.KindInternal, "%w", err)
	}
	return out, nil
}
