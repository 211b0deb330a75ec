package hub

import (
	"errors"
	"strings"
	"testing"
	"time"
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

// A look at a store's filesystem in flight is shared by concurrent callers;
// one that has hung longer than statTimeout is not waited for, and no
// other look at that store is started meanwhile.
func TestStatStores_SharedAndHungLooks(t *testing.T) {
	dir := t.TempDir()
	hung := &statCall{started: time.Now().Add(-statTimeout), done: make(chan struct{})}
	inFlight := &statCall{started: time.Now(), done: make(chan struct{})}
	h := &Hub{statting: map[string]*statCall{"hung": hung, "busy": inFlight}}
	go func() {
		time.Sleep(50 * time.Millisecond)
		inFlight.sp = fsSpace{path: "/shared", free: 42, dev: 7}
		close(inFlight.done)
	}()
	start := time.Now()
	space := h.statStores([]StoreSpec{{Name: "hung", Path: dir}, {Name: "busy", Path: dir}, {Name: "ok", Path: dir}})
	if took := time.Since(start); took > statTimeout/2 {
		t.Errorf("statStores took %v: it waited for the hung look", took)
	}
	if sp := space["hung"]; sp.err == nil || !strings.Contains(sp.err.Error(), "did not answer") {
		t.Errorf("the hung store: %+v", sp)
	}
	if sp := space["busy"]; sp.err != nil || sp.free != 42 || sp.dev != 7 {
		t.Errorf("the store with a look in flight got %+v, not that look's answer", sp)
	}
	if sp := space["ok"]; sp.err != nil || sp.free == 0 {
		t.Errorf("the other store: %+v", sp)
	}
	h.statMu.Lock()
	defer h.statMu.Unlock()
	if h.statting["hung"] != hung || h.statting["ok"] != nil {
		t.Errorf("looks in flight after the call: %v", h.statting)
	}
}
