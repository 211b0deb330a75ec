package policy_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/sig"
	"github.com/strata-sp/strata/wallet/policy"
)

// FuzzParse checks that Parse never panics, that every refusal wraps
// ErrSyntax, and that a policy it accepts is one Check can apply: it names
// who may sign and, for messages, to whom and which methods.
func FuzzParse(f *testing.F) {
	f3, f1 := keyAddr(f, sig.BLS, 1), keyAddr(f, sig.Secp256k1, 1)
	f.Add([]byte(minerPolicy(f3)))
	f.Add([]byte(fmt.Sprintf(`addresses = [%q, %q]
rate_limit = "600/1m"
raw_bytes = false
[messages]
to = ["f01000"]
methods = ["PreCommitSectorBatch2", 34, "5", "miner.WithdrawBalance"]
max_value = "0"
max_fee_cap = "1 nanoFIL"
max_premium = "0.5nanofil"
max_gas_limit = 10000000000
[deals]
providers = ["f01000"]
status_requests = true
`, f3, f1)))
	f.Add([]byte("addresses = [\"*\"]\n[messages]\nto = [\"*\"]\nmethods = [\"*\"]\nmax_fee_cap = \"unlimited\"\nmax_premium = \"unlimited\"\n"))
	f.Add([]byte(fmt.Sprintf("addresses = [%q]\n[deals]\nstatus_requests = true\n", f1)))
	f.Add([]byte(fmt.Sprintf("addresses = [%q]\n[messages]\nto = [\"f01000\"]\nmethods = [\"WithdrawBalance\"]\n", f1)))
	f.Add([]byte(fmt.Sprintf("addresses = [%q]\n[messages]\nto = [\"f01000\"]\nmethods = [28.5]\nmax_fee_cap = \"-1\"\n", f1)))
	f.Add([]byte(`addresses = ["*", "f01000"]`))
	f.Add([]byte(`rate_limit = "0/0s"`))
	f.Add([]byte("addresses = [\"*\"]\nbogus = 1\n[deals]\n"))
	f.Add([]byte("addresses = [\"*\"]\x00"))
	f.Add([]byte("[messages\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := policy.Parse(data)
		if err != nil {
			if !errors.Is(err, policy.ErrSyntax) {
				t.Fatalf("error %v does not wrap ErrSyntax", err)
			}
			if p != nil {
				t.Fatalf("policy %+v returned with error %v", p, err)
			}
			return
		}
		checkPolicy(t, p)
	})
}

// checkPolicy checks the invariants of a policy Parse accepted.
func checkPolicy(t *testing.T, p *policy.Policy) {
	t.Helper()
	if p == nil {
		t.Fatal("nil policy without error")
	}
	if !p.AnyAddress && len(p.Addresses) == 0 {
		t.Fatal("accepted a policy with no addresses")
	}
	if p.AnyAddress && len(p.Addresses) > 0 {
		t.Fatalf("addresses %v beside \"*\"", p.Addresses)
	}
	for _, a := range p.Addresses {
		if pr := a.Protocol(); pr != address.SECP256K1 && pr != address.BLS {
			t.Fatalf("signing address %s is not a key address", a)
		}
	}
	checkUnique(t, "addresses", p.Addresses)
	if p.RateN < 0 || (p.RateN > 0 && (p.RatePer < time.Millisecond || p.RatePer > 24*time.Hour)) {
		t.Fatalf("rate %d per %s", p.RateN, p.RatePer)
	}
	if m := p.Messages; m != nil {
		if !m.AnyTo && len(m.To) == 0 {
			t.Fatal("accepted [messages] with no recipients")
		}
		if !m.AnyMethod && len(m.Methods) == 0 {
			t.Fatal("accepted [messages] with no methods")
		}
		if m.AnyMethod && len(m.Methods) > 0 {
			t.Fatalf("methods %v beside \"*\"", m.Methods)
		}
		checkUnique(t, "messages.to", m.To)
		checkUnique(t, "messages.methods", m.Methods)
		for name, v := range map[string]*big.TokenAmount{"max_value": &m.MaxValue, "max_fee_cap": m.MaxFeeCap, "max_premium": m.MaxPremium} {
			if v != nil && v.Sign() < 0 {
				t.Fatalf("messages.%s is negative: %s", name, v.Int)
			}
		}
		if m.MaxGasLimit < 0 {
			t.Fatalf("max_gas_limit %d", m.MaxGasLimit)
		}
	}
	if d := p.Deals; d != nil {
		if !d.AnyProvider && len(d.Providers) == 0 && !d.StatusRequests {
			t.Fatal("accepted an empty [deals]")
		}
		checkUnique(t, "deals.providers", d.Providers)
	}
}

func checkUnique[T comparable](t *testing.T, what string, s []T) {
	t.Helper()
	for i, v := range s {
		if slices.Index(s, v) != i {
			t.Fatalf("%s lists %v twice: %v", what, v, s)
		}
	}
}
