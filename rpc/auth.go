package rpc

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are what a verified token grants: the Lotus "Allow" list, plus any
// scoped claims a service defines (a wallet token's addresses and policy, a
// hub token's tenant), kept raw for that service to decode.
type Claims struct {
	Allow []Perm
	Extra map[string]json.RawMessage
}

// Has reports whether the claims grant p.
func (c Claims) Has(p Perm) bool { return slices.Contains(c.Allow, p) }

// Scope decodes the scoped claim named key into v. It reports false when the
// token has no such claim.
func (c Claims) Scope(key string, v any) (bool, error) {
	raw, ok := c.Extra[key]
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("token claim %q: %w", key, err)
	}
	return true, nil
}

// Authenticator verifies a bearer token. Implementations must be safe for
// concurrent use. Verify returns an error wrapping ErrPermission for a token
// that is malformed, badly signed, expired or grants an unknown permission.
type Authenticator interface {
	Verify(ctx context.Context, token string) (Claims, error)
}

// SecretSize is the size of a generated HS256 secret, and the minimum accepted.
const SecretSize = 32

// NewSecret returns a fresh random HS256 secret.
func NewSecret() ([]byte, error) {
	b := make([]byte, SecretSize)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("generate jwt secret: %w", err)
	}
	return b, nil
}

// Authority issues and verifies HS256 tokens with one secret, in the format
// Lotus uses: header {"alg":"HS256","typ":"JWT"}, payload {"Allow":[...]}.
// It is safe for concurrent use.
type Authority struct {
	secret []byte
	parser *jwt.Parser

	mu    sync.RWMutex
	cache map[string]Claims // verified tokens without time claims
}

var _ Authenticator = (*Authority)(nil)

// maxCachedTokens bounds the verified-token cache; past it the cache restarts.
const maxCachedTokens = 4096

// NewAuthority returns an Authority for secret, which must be at least
// SecretSize bytes.
func NewAuthority(secret []byte) (*Authority, error) {
	if len(secret) < SecretSize {
		return nil, fmt.Errorf("jwt secret is %d bytes, need at least %d", len(secret), SecretSize)
	}
	return &Authority{
		secret: slices.Clone(secret),
		parser: jwt.NewParser(jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()})),
		cache:  make(map[string]Claims),
	}, nil
}

// NewToken signs a token granting perms plus the scoped claims in extra. The
// key "Allow" is reserved.
func (a *Authority) NewToken(perms []Perm, extra map[string]any) (string, error) {
	mc := jwt.MapClaims{}
	for k, v := range extra {
		if k == "Allow" {
			return "", errors.New(`token claim "Allow" is reserved for the permission list`)
		}
		mc[k] = v
	}
	for _, p := range perms {
		if !p.Valid() {
			return "", fmt.Errorf("unknown permission %q", p)
		}
	}
	mc["Allow"] = perms
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, mc).SignedString(a.secret)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return tok, nil
}

// Verify checks the signature and returns the token's claims.
func (a *Authority) Verify(_ context.Context, token string) (Claims, error) {
	a.mu.RLock()
	c, ok := a.cache[token]
	a.mu.RUnlock()
	if ok {
		return c, nil
	}
	mc := jwt.MapClaims{}
	_, err := a.parser.ParseWithClaims(token, mc, func(*jwt.Token) (any, error) { return a.secret, nil })
	if err != nil {
		return Claims{}, &Error{Kind: KindPermission, Message: "invalid token: " + err.Error(), cause: err}
	}
	c, err = claimsFromMap(mc)
	if err != nil {
		return Claims{}, &Error{Kind: KindPermission, Message: "invalid token: " + err.Error()}
	}
	// Tokens with time claims are re-checked every time; Lotus-style tokens
	// never expire, so caching them skips the HMAC and JSON work per call.
	_, hasExp := mc["exp"]
	_, hasNbf := mc["nbf"]
	if !hasExp && !hasNbf {
		a.mu.Lock()
		if len(a.cache) >= maxCachedTokens {
			clear(a.cache)
		}
		a.cache[token] = c
		a.mu.Unlock()
	}
	return c, nil
}

func claimsFromMap(mc jwt.MapClaims) (Claims, error) {
	var c Claims
	allow, ok := mc["Allow"].([]any)
	if !ok {
		return c, errors.New(`payload has no "Allow" list`)
	}
	for _, v := range allow {
		s, _ := v.(string)
		if p := Perm(s); p.Valid() {
			c.Allow = append(c.Allow, p)
		} else {
			return c, fmt.Errorf("unknown permission %v", v)
		}
	}
	for k, v := range mc {
		if k == "Allow" {
			continue
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return c, fmt.Errorf("claim %q: %w", k, err)
		}
		if c.Extra == nil {
			c.Extra = make(map[string]json.RawMessage)
		}
		c.Extra[k] = raw
	}
	return c, nil
}

type claimsKey struct{}

// WithClaims returns ctx carrying the caller's claims; the server does this
// for every authenticated call.
func WithClaims(ctx context.Context, c Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// ClaimsFrom returns the claims of the caller of the current request.
func ClaimsFrom(ctx context.Context) (Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(Claims)
	return c, ok
}
