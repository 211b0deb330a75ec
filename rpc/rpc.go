// Package rpc is the JSON-RPC 2.0 layer every Strata process speaks: HTTP POST
// and WebSocket on /rpc/v1, Lotus-style bearer-token auth, positional params,
// and errors with a stable kind.
//
// An API is declared once, as a "proxy" struct of func fields, each tagged with
// the permission it needs (the shape Lotus uses in its generated proxies):
//
//	type CommonStruct struct {
//		Version func(ctx context.Context) (APIVersion, error) `perm:"read"`
//	}
//
// A Server registers any value whose methods match those fields under a
// namespace (Server.Register), and NewClient fills the func fields of the same
// struct with calls over the wire, so callers get compile-time checked calls.
// The first argument of every method is a context.Context; the last result is
// an error, optionally preceded by one value.
package rpc

import (
	"fmt"
	"slices"
)

// Perm is a permission a token grants and a method requires. The four
// permissions are ordered read < write < sign < admin, exactly as Lotus: a
// token "with perm write" carries Allow = [read, write].
type Perm string

// The permissions, in increasing order of power.
const (
	PermRead  Perm = "read"
	PermWrite Perm = "write"
	PermSign  Perm = "sign"
	PermAdmin Perm = "admin"
)

// AllPerms lists every permission in increasing order.
func AllPerms() []Perm { return []Perm{PermRead, PermWrite, PermSign, PermAdmin} }

// PermsUpTo returns the permissions a token created "with perm p" carries:
// p and every weaker one. It fails for an unknown permission.
func PermsUpTo(p Perm) ([]Perm, error) {
	all := AllPerms()
	i := slices.Index(all, p)
	if i < 0 {
		return nil, fmt.Errorf("unknown permission %q (want one of read, write, sign, admin)", p)
	}
	return all[:i+1], nil
}

// Valid reports whether p is one of the four permissions.
func (p Perm) Valid() bool { return slices.Contains(AllPerms(), p) }

// Path is the HTTP path of the JSON-RPC endpoint, for POST and WebSocket.
const Path = "/rpc/v1"
