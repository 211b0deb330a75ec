package daemon

import (
	"context"

	"github.com/strata-sp/strata/internal/buildinfo"
	"github.com/strata-sp/strata/rpc"
)

// Common is the API every Strata process serves under its namespace, shaped
// as Lotus's common API so that tools written for Lotus recognise it.
type Common interface {
	// Version reports the binary's version and the API version.
	Version(ctx context.Context) (APIVersion, error)
	// AuthVerify returns the permissions of a token, or a permission error.
	AuthVerify(ctx context.Context, token string) ([]rpc.Perm, error)
	// AuthNew signs a token granting perms (admin only).
	AuthNew(ctx context.Context, perms []rpc.Perm) ([]byte, error)
	// Session identifies this run of the process; it changes on restart.
	Session(ctx context.Context) (string, error)
}

// CommonStruct is Common's proxy: the permission of each method, and the
// typed client filled by rpc.NewClient.
type CommonStruct struct {
	Internal struct {
		Version    func(ctx context.Context) (APIVersion, error)               `perm:"read"`
		AuthVerify func(ctx context.Context, token string) ([]rpc.Perm, error) `perm:"read"`
		AuthNew    func(ctx context.Context, perms []rpc.Perm) ([]byte, error) `perm:"admin"`
		Session    func(ctx context.Context) (string, error)                   `perm:"read"`
	}
}

var _ Common = (*CommonStruct)(nil)

// Version implements Common.
func (c *CommonStruct) Version(ctx context.Context) (APIVersion, error) {
	return c.Internal.Version(ctx)
}

// AuthVerify implements Common.
func (c *CommonStruct) AuthVerify(ctx context.Context, token string) ([]rpc.Perm, error) {
	return c.Internal.AuthVerify(ctx, token)
}

// AuthNew implements Common.
func (c *CommonStruct) AuthNew(ctx context.Context, perms []rpc.Perm) ([]byte, error) {
	return c.Internal.AuthNew(ctx, perms)
}

// Session implements Common.
func (c *CommonStruct) Session(ctx context.Context) (string, error) { return c.Internal.Session(ctx) }

// APIVersion is Lotus's version answer:
// {"Version","APIVersion","BlockDelay","Agent"}.
type APIVersion struct {
	Version    string
	APIVersion uint32 // semver packed as major<<16 | minor<<8 | patch
	BlockDelay uint64 // seconds between epochs; 0 outside the chain
	Agent      string // the node's software ("lotus"; Strata's processes say "strata")
}

// apiVersion is the version of the Common API.
const apiVersion = 1<<16 | 0<<8 | 0

type common struct {
	auth       *rpc.Authority
	session    string
	blockDelay uint64
}

var _ Common = (*common)(nil)

func (c *common) Version(context.Context) (APIVersion, error) {
	return APIVersion{Version: buildinfo.Get().String(), APIVersion: apiVersion, BlockDelay: c.blockDelay, Agent: "strata"}, nil
}

func (c *common) AuthVerify(ctx context.Context, token string) ([]rpc.Perm, error) {
	cl, err := c.auth.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	return cl.Allow, nil
}

func (c *common) AuthNew(_ context.Context, perms []rpc.Perm) ([]byte, error) {
	for _, p := range perms {
		if !p.Valid() {
			return nil, rpc.Errorf(rpc.KindInvalid, "unknown permission %q", p)
		}
	}
	tok, err := c.auth.NewToken(perms, nil)
	if err != nil {
		return nil, err
	}
	return []byte(tok), nil
}

func (c *common) Session(context.Context) (string, error) { return c.session, nil }
