package devnet_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/strata-sp/strata/fil/address"
	ftypes "github.com/strata-sp/strata/fil/types"
)

// FuzzMpoolPush feeds arbitrary bytes, decoded as a signed message, to
// MpoolPush: it must never panic, and what it accepts must be executable by
// the next tipsets without stopping the node.
func FuzzMpoolPush(f *testing.F) {
	n, db := newNode(f, filepath.Join(f.TempDir(), "chain.db"))
	f.Cleanup(func() { n.Close(); db.Close() })
	for _, m := range signedTransfers(f, n, 3, map[address.Address]uint64{}) {
		b, _ := m.Serialize()
		f.Add(b)
	}
	api := n.API()
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ftypes.DecodeSignedMessage(b)
		if err != nil {
			return
		}
		if _, err := api.MpoolPush(context.Background(), m); err != nil {
			return
		}
		if err := n.Advance(context.Background(), 2); err != nil {
			t.Fatalf("an accepted message stopped the chain: %v", err)
		}
	})
}
