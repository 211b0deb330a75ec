package chain

import (
	"context"
	"fmt"
	"strings"

	"github.com/strata-sp/strata/rpc"
)

// NewClient connects to a node serving API (Lotus, Venus or Strata's
// devnet) at info, such as FULLNODE_API_INFO. An http(s) address is dialled
// as WebSocket (ws(s)), which ChainNotify needs; calls then share one
// connection, redialled after a failure. close releases it.
func NewClient(ctx context.Context, info rpc.APIInfo) (api API, close func(), err error) {
	u, err := info.URL()
	if err != nil {
		return nil, nil, fmt.Errorf("chain client: %w", err)
	}
	switch {
	case strings.HasPrefix(u, "http://"):
		u = "ws://" + strings.TrimPrefix(u, "http://")
	case strings.HasPrefix(u, "https://"):
		u = "wss://" + strings.TrimPrefix(u, "https://")
	}
	var s FullNodeStruct
	opts := rpc.ClientOptions{Token: info.Token}
	closeChain, err := rpc.NewClient(ctx, u, Namespace, &s.Internal, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("chain client: %w", err)
	}
	closeCommon, err := rpc.NewClient(ctx, u, Namespace, &s.Common.Internal, opts)
	if err != nil {
		closeChain()
		return nil, nil, fmt.Errorf("chain client: %w", err)
	}
	return &s, func() { closeChain(); closeCommon() }, nil
}
