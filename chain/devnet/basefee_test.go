package devnet_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/big"
	ftypes "github.com/strata-sp/strata/fil/types"
)

// TestDevnet_SetBaseFee raises the base fee over a pending message: it
// stays in the pool, not included, until a replacement with a fee cap
// above the new base fee takes its place. A message included before a
// rise executes at the base fee of the tipset that included it.
func TestDevnet_SetBaseFee(t *testing.T) {
	ctx := context.Background()
	n, db := newNode(t, filepath.Join(t.TempDir(), "chain.db"))
	defer db.Close()
	defer n.Close()
	api := n.API()
	k := keyOf(t, n, n.Accounts()[0])
	from, _ := k.Address()
	to := n.Accounts()[1]
	msg := func(nonce uint64, feeCap, premium int64) *ftypes.SignedMessage {
		m := &ftypes.Message{From: from, To: to, Value: big.FromAttoFIL(7), Nonce: nonce, GasLimit: 20_000,
			GasFeeCap: big.FromAttoFIL(feeCap), GasPremium: big.FromAttoFIL(premium)}
		sm, err := ftypes.SignMessage(m, k)
		if err != nil {
			t.Fatal(err)
		}
		return sm
	}
	orig, err := api.MpoolPush(ctx, msg(0, 1000, 100))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.SetBaseFee(big.FromAttoFIL(2000)); err != nil {
		t.Fatal(err)
	}
	if err := n.Advance(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if l, err := api.StateSearchMsg(ctx, types.EmptyTSK, orig, -1, true); err != nil || l != nil {
		t.Fatalf("a message below the base fee executed: %+v %v", l, err)
	}
	if head, _ := api.ChainHead(ctx); head.ParentBaseFee().Cmp(big.FromAttoFIL(2000)) != 0 {
		t.Errorf("head's base fee %s, want 2000", head.ParentBaseFee().AttoString())
	}
	if _, err := api.MpoolPush(ctx, msg(0, 1500, 200)); err == nil || !strings.Contains(err.Error(), "gas fee cap too low") {
		t.Fatalf("replacement below the base fee: %v", err)
	}
	repl, err := api.MpoolPush(ctx, msg(0, 3000, 125))
	if err != nil {
		t.Fatal(err)
	}
	// Included at 2000, executed after a rise to 5000: it pays the base
	// fee of its tipset.
	if err := n.Advance(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := n.SetBaseFee(big.FromAttoFIL(5000)); err != nil {
		t.Fatal(err)
	}
	if err := n.Advance(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if l, err := api.StateSearchMsg(ctx, types.EmptyTSK, repl, -1, false); err != nil || l == nil || l.Receipt.ExitCode != 0 {
		t.Fatalf("replacement: %+v %v", l, err)
	}
	if l, err := api.StateSearchMsg(ctx, types.EmptyTSK, orig, -1, false); err != nil || l != nil {
		t.Fatalf("the replaced message executed: %+v %v", l, err)
	}
	if err := n.SetBaseFee(big.FromAttoFIL(0)); err == nil {
		t.Error("a zero base fee was accepted")
	}
}
