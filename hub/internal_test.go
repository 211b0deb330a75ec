package hub

import (
	"errors"
	"strings"
	"testing"
)

// The node's refusals: which mean the node already has the very message,
// and which two give the same reason.
func TestPushRefusals(t *testing.T) {
	for _, tt := range []struct {
		err  string
		seen bool
	}{
		{"message from f0100 with nonce 5 already in mpool: soft validation failure", true}, // Lotus, the same message
		{"message with nonce already exists", true},                                         // the devnet, the same message
		{"message from f0100 with nonce 5 already in mpool, increase GasPremium to 125 from 100 to trigger replace by fee: replace by fee has too low GasPremium", false},
		{"premium 100, need at least 125: replace by fee has too low GasPremium", false},
		{"balance 10, pending messages need 20: not enough funds to execute transaction", false},
		{"fee cap 1 below the base fee 100: gas fee cap too low", false},
	} {
		if got := pushedBefore(errors.New(tt.err)); got != tt.seen {
			t.Errorf("pushedBefore(%q) = %v, want %v", tt.err, got, tt.seen)
		}
	}
	for _, tt := range []struct {
		a, b string
		same bool
	}{
		{"", "", true},
		{"", "fee cap 1 below the base fee 100: gas fee cap too low", false},
		{"fee cap 1 below the base fee 100: gas fee cap too low", "fee cap 1 below the base fee 137: gas fee cap too low", true},
		{"fee cap 1 below the base fee 100: gas fee cap too low", "balance 10, pending messages need 20: not enough funds to execute transaction", false},
	} {
		if got := sameReason(tt.a, tt.b); got != tt.same {
			t.Errorf("sameReason(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.same)
		}
	}
	long := pushErrorText(errors.New(strings.Repeat("é", maxPushError)))
	if len(long) > maxPushError || !strings.HasPrefix(strings.Repeat("é", maxPushError), long) {
		t.Errorf("a long refusal kept as %d bytes, not a prefix of whole characters", len(long))
	}
}

// chooseStore counts, for each candidate, the sectors reserved and not yet
// written in every store on its filesystem.
func TestChooseStore_SharedFilesystem(t *testing.T) {
	const need = 1000
	specs := []StoreSpec{{Name: "a", Weight: 1}, {Name: "b", Weight: 1}}
	use := map[string]storeUse{"a": {sectors: 2, reserved: 2 * need, pending: 2 * need}}
	for _, tt := range []struct {
		name      string
		devB      uint64
		needB     uint64
		want, why string
	}{
		{"one filesystem, room for one more", 1, need, "b", ""},
		{"one filesystem, no room for more", 1, need + 1, "", "b: full: need"},
		{"another filesystem", 2, 3 * need, "b", ""},
	} {
		space := map[string]fsSpace{"a": {path: "/a", free: 3 * need, dev: 1}, "b": {path: "/b", free: 3 * need, dev: tt.devB}}
		got, why := chooseStore([]string{"b"}, specs, use, space, 1000, tt.needB)
		if got != tt.want || tt.why != "" && (len(why) != 1 || !strings.HasPrefix(why[0], tt.why)) {
			t.Errorf("%s: chose %q (%v), want %q", tt.name, got, why, tt.want)
		}
	}
}

// A store whose last look has not returned (a hung mount) is not looked at
// again: it counts as not reached, and the others are looked at.
func TestStatStores_HungStoreIsNotLookedAtAgain(t *testing.T) {
	h := &Hub{statting: map[string]bool{"hung": true}}
	dir := t.TempDir()
	space := h.statStores([]StoreSpec{{Name: "hung", Path: dir}, {Name: "ok", Path: dir}})
	if sp := space["hung"]; sp.err == nil || !strings.Contains(sp.err.Error(), "has not returned") {
		t.Errorf("the hung store: %+v", sp)
	}
	if sp := space["ok"]; sp.err != nil || sp.free == 0 {
		t.Errorf("the other store: %+v", sp)
	}
	h.statMu.Lock()
	defer h.statMu.Unlock()
	if !h.statting["hung"] || h.statting["ok"] {
		t.Errorf("looks in flight after the call: %v", h.statting)
	}
}
