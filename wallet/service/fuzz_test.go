package service_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/sig"
	"github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/store/enginetest"
	"github.com/strata-sp/strata/wallet"
)

// FuzzSign feeds Wallet.Sign's JSON params, as they arrive on the wire
// ([address, base64 bytes, {"Type","Extra"}]), to the service. Whatever
// the input: no panic, every call that gets as far as the service leaves
// exactly one audit entry, and a signature is only returned for a request
// Decode accepts, by the named key, over the bytes asked for.
func FuzzSign(f *testing.F) {
	h := newHarness(f, enginetest.SQLite(f))
	m := msg(h.owner, minerA, actors.MinerSubmitWindowedPoSt, 1)
	cb, _ := m.Serialize()
	c := types.CID(cb)
	params := func(a address.Address, toSign []byte, meta wallet.MsgMeta) string {
		b, _ := json.Marshal([]any{a, toSign, meta})
		return string(b)
	}
	f.Add(params(h.owner, c.Bytes(), wallet.MsgMeta{Type: wallet.MTChainMsg, Extra: cb}))
	f.Add(params(h.owner, cb, wallet.MsgMeta{Type: wallet.MTChainMsg, Extra: cb}))
	f.Add(params(h.blsKey, []byte("raw"), wallet.MsgMeta{Type: wallet.MTUnknown}))
	f.Add(params(h.other, []byte{1, 2}, wallet.MsgMeta{Type: "dealproposal"}))
	f.Add(`["f01000","AAEC",{"Type":"message","Extra":null}]`)
	f.Add(`[1,2,3]`)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, in string) {
		var raw []json.RawMessage
		if json.Unmarshal([]byte(in), &raw) != nil || len(raw) != 3 {
			return
		}
		var a address.Address
		var toSign []byte
		var meta wallet.MsgMeta
		if json.Unmarshal(raw[0], &a) != nil || json.Unmarshal(raw[1], &toSign) != nil || json.Unmarshal(raw[2], &meta) != nil {
			return // the RPC server answers invalid params before the service
		}
		before, err := h.svc.Audit(ctx, wallet.AuditQuery{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		s, err := h.svc.Sign(ctx, a, toSign, meta)
		after, aerr := h.svc.Audit(ctx, wallet.AuditQuery{Limit: 1})
		if aerr != nil || len(after) != 1 || (len(before) == 1 && after[0].Seq != before[0].Seq+1) {
			t.Fatalf("audit did not grow by one entry: %v %+v -> %+v", aerr, before, after)
		}
		if err != nil {
			if s != nil || after[0].Decision != wallet.Denied {
				t.Fatalf("refusal %v with signature %v, audit %+v", err, s, after[0])
			}
			return
		}
		if _, derr := wallet.Decode(toSign, meta); derr != nil {
			t.Fatalf("signed a request Decode refuses: %v", derr)
		}
		if verr := sig.Verify(*s, a, toSign); verr != nil {
			t.Fatalf("signature does not verify: %v", verr)
		}
		if after[0].Decision != wallet.Allowed || after[0].Address != a.String() {
			t.Fatalf("audit %+v for a signature", after[0])
		}
	})
}
