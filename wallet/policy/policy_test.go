package policy_test

import (
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/sig"
	"github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/wallet"
	"github.com/strata-sp/strata/wallet/policy"
)

// keyAddr is the address of a deterministic key of type typ.
func keyAddr(t testing.TB, typ sig.Type, seed byte) address.Address {
	t.Helper()
	k, err := sig.GenerateKey(typ, rand.NewChaCha8([32]byte{seed, byte(typ)}))
	if err != nil {
		t.Fatal(err)
	}
	a, err := k.Address()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

var (
	miner      = address.MustParse("f01000")
	otherMiner = address.MustParse("f01001")
)

func mustParse(t testing.TB, text string) *policy.Policy {
	t.Helper()
	p, err := policy.Parse([]byte(text))
	if err != nil {
		t.Fatalf("Parse:\n%s\n%v", text, err)
	}
	return p
}

func atto(n int64) big.TokenAmount { return big.FromAttoFIL(n) }

func nanoFIL(n int64) big.TokenAmount { return atto(n * 1_000_000_000) }

// The requests below are built as a signer would send them and checked
// with wallet.Decode, so Check sees what the wallet service gives it.

func decode(t testing.TB, toSign []byte, meta wallet.MsgMeta) *wallet.Request {
	t.Helper()
	r, err := wallet.Decode(toSign, meta)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return r
}

func serialize(t testing.TB, v interface{ Serialize() ([]byte, error) }) []byte {
	t.Helper()
	b, err := v.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func messageRequest(t testing.TB, m *types.Message) *wallet.Request {
	t.Helper()
	b := serialize(t, m)
	return decode(t, types.CID(b).Bytes(), wallet.MsgMeta{Type: wallet.MTChainMsg, Extra: b})
}

func dealRequest(t testing.TB, client, provider address.Address) *wallet.Request {
	t.Helper()
	mh, err := multihash.Sum([]byte("piece"), multihash.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	p := &types.DealProposal{
		PieceCID:             cid.NewCidV1(cid.FilCommitmentUnsealed, mh),
		PieceSize:            2048,
		Client:               client,
		Provider:             provider,
		StartEpoch:           10,
		EndEpoch:             1000,
		StoragePricePerEpoch: atto(1),
		ProviderCollateral:   atto(0),
		ClientCollateral:     atto(0),
	}
	return decode(t, serialize(t, p), wallet.MsgMeta{Type: wallet.MTDealProposal})
}

func askRequest(t testing.TB, m address.Address) *wallet.Request {
	t.Helper()
	a := &wallet.StorageAsk{Price: atto(5), VerifiedPrice: atto(0), MinPieceSize: 256, MaxPieceSize: 1 << 30, Miner: m, Timestamp: 1, Expiry: 100, SeqNo: 1}
	return decode(t, serialize(t, a), wallet.MsgMeta{Type: wallet.MTStorageAsk})
}

func statusRequest(t testing.TB) *wallet.Request {
	t.Helper()
	return decode(t, []byte("0123456789abcdef"), wallet.MsgMeta{Type: wallet.MTDealStatusRequest})
}

func rawRequest(t testing.TB) *wallet.Request {
	t.Helper()
	return decode(t, []byte("anything at all"), wallet.MsgMeta{Type: wallet.MTUnknown})
}

// docExample returns the example policy file of the package comment.
func docExample(t *testing.T) string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "policy.go", nil, parser.PackageClauseOnly|parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	if f.Doc == nil {
		t.Fatal("policy.go has no package comment")
	}
	_, after, ok := strings.Cut(f.Doc.Text(), "A policy file:\n")
	if !ok {
		t.Fatal(`package comment has no "A policy file:" example`)
	}
	var lines []string
	for line := range strings.SplitSeq(strings.TrimLeft(after, "\n"), "\n") {
		if line != "" && !strings.HasPrefix(line, "\t") {
			break
		}
		lines = append(lines, strings.TrimPrefix(line, "\t"))
	}
	return strings.Join(lines, "\n")
}

// TestParse_DocExample parses the package comment's example, with its
// placeholder addresses replaced by real ones, so the documentation cannot
// drift from what Parse accepts.
func TestParse_DocExample(t *testing.T) {
	f3, f1 := keyAddr(t, sig.BLS, 1), keyAddr(t, sig.Secp256k1, 1)
	text := docExample(t)
	if !strings.Contains(text, `"f3..."`) || !strings.Contains(text, "[messages]") || !strings.Contains(text, "[deals]") {
		t.Fatalf("unexpected example:\n%s", text)
	}
	text = strings.NewReplacer(`"f3..."`, `"`+f3.String()+`"`, `"f1..."`, `"`+f1.String()+`"`).Replace(text)
	p := mustParse(t, text)

	if p.AnyAddress || !slices.Equal(p.Addresses, []address.Address{f3, f1}) {
		t.Errorf("addresses %v (any %v), want [%s %s]", p.Addresses, p.AnyAddress, f3, f1)
	}
	if p.RateN != 600 || p.RatePer != time.Minute || p.RawBytes {
		t.Errorf("rate %d/%s raw %v, want 600/1m false", p.RateN, p.RatePer, p.RawBytes)
	}
	m := p.Messages
	if m == nil {
		t.Fatal("no [messages]")
	}
	if m.AnyTo || !slices.Equal(m.To, []address.Address{miner}) {
		t.Errorf("to %v, want [f01000]", m.To)
	}
	if m.AnyMethod || !slices.Equal(m.Methods, []uint64{28, 34, 5}) {
		t.Errorf("methods %v, want [28 34 5]", m.Methods)
	}
	if !m.MaxValue.IsZero() {
		t.Errorf("max_value %s, want 0", m.MaxValue)
	}
	if m.MaxFeeCap == nil || !m.MaxFeeCap.Equals(nanoFIL(1).Int) || m.MaxPremium == nil || !m.MaxPremium.Equals(nanoFIL(1).Int) {
		t.Errorf("max_fee_cap %v max_premium %v, want 1 nanoFIL each", m.MaxFeeCap, m.MaxPremium)
	}
	if m.MaxGasLimit != 10_000_000_000 {
		t.Errorf("max_gas_limit %d", m.MaxGasLimit)
	}
	d := p.Deals
	if d == nil || d.AnyProvider || !slices.Equal(d.Providers, []address.Address{miner}) || !d.StatusRequests {
		t.Errorf("deals %+v, want providers [f01000] with status requests", d)
	}
}

func TestParse_Wildcards(t *testing.T) {
	p := mustParse(t, `
addresses = ["*"]
raw_bytes = true
[messages]
to = ["*"]
methods = ["*"]
max_value = "10"
max_fee_cap = "unlimited"
max_premium = " unlimited "
[deals]
providers = ["*"]
`)
	if !p.AnyAddress || p.Addresses != nil || !p.RawBytes || p.RateN != 0 {
		t.Errorf("policy %+v", p)
	}
	m := p.Messages
	if m == nil || !m.AnyTo || m.To != nil || !m.AnyMethod || m.Methods != nil {
		t.Fatalf("messages %+v", m)
	}
	if !m.MaxValue.Equals(big.FromFIL(10).Int) || m.MaxFeeCap != nil || m.MaxPremium != nil || m.MaxGasLimit != 0 {
		t.Errorf("limits %+v", m)
	}
	if d := p.Deals; d == nil || !d.AnyProvider || d.Providers != nil || d.StatusRequests {
		t.Errorf("deals %+v", d)
	}

	// Anyone's message to anyone, any method, any fee: still not above
	// max_value, and still only from the signing address.
	a, b := keyAddr(t, sig.BLS, 7), keyAddr(t, sig.Secp256k1, 7)
	m2 := workerMessage(a, 3844450837)
	m2.To, m2.GasFeeCap, m2.GasPremium, m2.GasLimit = b, big.FromFIL(1), big.FromFIL(1), 1<<62
	if err := p.Check(a, messageRequest(t, m2)); err != nil {
		t.Errorf("wildcard policy: %v", err)
	}
	m2.Value = big.FromFIL(10).Add(atto(1))
	checkDenied(t, p.Check(a, messageRequest(t, m2)), "above the limit 10 FIL")
	m2.Value = atto(0)
	checkDenied(t, p.Check(b, messageRequest(t, m2)), "not the signing address")
}

func TestParse_Refusals(t *testing.T) {
	a := keyAddr(t, sig.Secp256k1, 1).String()
	head := fmt.Sprintf("addresses = [%q]\n", a)
	msgs := head + "[messages]\nto = [\"f01000\"]\nmethods = [28]\nmax_fee_cap = \"1 nanoFIL\"\nmax_premium = \"unlimited\"\n"
	// withMsgs returns msgs with one line changed or added.
	withMsgs := func(old, new string) string {
		if old == "" {
			return msgs + new + "\n"
		}
		if !strings.Contains(msgs, old) {
			t.Fatalf("%q not in the base policy", old)
		}
		return strings.Replace(msgs, old, new, 1)
	}
	tests := []struct {
		name, text string
		want       string // in the error text: the key and what is wrong
	}{
		{"unknown key", head + "max_fee = \"1\"\n", "unknown key max_fee"},
		{"unknown key in a section", withMsgs("", "max_fee = \"1\""), "unknown key messages.max_fee"},
		{"unknown section", head + "[retrievals]\nok = true\n", "unknown key retrievals"},
		{"no addresses", "raw_bytes = true\n", "addresses: list the keys"},
		{"empty addresses", "addresses = []\n", "addresses: list the keys"},
		{"addresses not a list", fmt.Sprintf("addresses = %q\n", a), "addresses"},
		{"bad address", `addresses = ["f1nope"]` + "\n", "addresses[0]"},
		{"bad checksum", fmt.Sprintf("addresses = [%q]\n", a[:len(a)-1]+"a"), "addresses[0]"},
		{"ID address as a key", fmt.Sprintf("addresses = [%q, \"f01000\"]\n", a), "addresses[1] f01000: not a key address"},
		{"star with others", fmt.Sprintf("addresses = [\"*\", %q]\n", a), `addresses: "*" must be the only entry`},
		{"star twice", `addresses = ["*", "*"]` + "\n", `addresses: "*" must be the only entry`},
		{"rate without period", head + `rate_limit = "600"` + "\n", `rate_limit "600": want COUNT/DURATION`},
		{"rate of zero", head + `rate_limit = "0/1m"` + "\n", `rate_limit "0/1m": the count`},
		{"rate too high", head + `rate_limit = "1000001/1m"` + "\n", `rate_limit "1000001/1m": the count`},
		{"rate not a number", head + `rate_limit = "x/1m"` + "\n", `rate_limit "x/1m": the count`},
		{"rate period zero", head + `rate_limit = "5/0s"` + "\n", `rate_limit "5/0s": the period`},
		{"rate period too long", head + `rate_limit = "5/25h"` + "\n", `rate_limit "5/25h": the period`},
		{"rate period not a duration", head + `rate_limit = "5/minute"` + "\n", `rate_limit "5/minute": the period`},
		{"messages without to", withMsgs(`to = ["f01000"]`, ""), "messages.to: list the recipients"},
		{"bad recipient", withMsgs(`to = ["f01000"]`, `to = ["f01000", "x"]`), "messages.to[1]"},
		{"recipient star with others", withMsgs(`to = ["f01000"]`, `to = ["f01000", "*"]`), `messages.to: "*" must be the only entry`},
		{"messages without methods", withMsgs("methods = [28]", ""), "messages.methods: list the methods"},
		{"unknown method", withMsgs("methods = [28]", `methods = [28, "Frobnicate"]`), `messages.methods[1]: unknown method "Frobnicate"`},
		{"ambiguous method", withMsgs("methods = [28]", `methods = ["WithdrawBalance"]`),
			`messages.methods[0]: method "WithdrawBalance" is ambiguous: write market.WithdrawBalance or miner.WithdrawBalance`},
		{"float method", withMsgs("methods = [28]", "methods = [28.5]"), "messages.methods[0]: method 28.5 is not a whole number"},
		{"whole float method", withMsgs("methods = [28]", "methods = [5, 28.0]"), "messages.methods[1]: method 28 is not a whole number"},
		{"negative method", withMsgs("methods = [28]", "methods = [-1]"), "messages.methods[0]: method -1 is negative"},
		{"bool method", withMsgs("methods = [28]", "methods = [true]"), "messages.methods[0]: method true: want a number or a name"},
		{"method star with others", withMsgs("methods = [28]", `methods = ["*", 28]`), `messages.methods: "*" with other methods`},
		{"no max_fee_cap", withMsgs(`max_fee_cap = "1 nanoFIL"`, ""), "messages.max_fee_cap is required"},
		{"no max_premium", withMsgs(`max_premium = "unlimited"`, ""), "messages.max_premium is required"},
		{"negative max_value", withMsgs("", `max_value = "-1"`), "messages.max_value is negative"},
		{"negative max_fee_cap", withMsgs(`"1 nanoFIL"`, `"-1 nanoFIL"`), "messages.max_fee_cap is negative"},
		{"negative max_premium", withMsgs(`max_premium = "unlimited"`, `max_premium = "-5 attoFIL"`), "messages.max_premium is negative"},
		{"negative max_gas_limit", withMsgs("", "max_gas_limit = -1"), "messages.max_gas_limit is negative"},
		{"max_value unlimited", withMsgs("", `max_value = "unlimited"`), "messages.max_value"},
		{"bad unit", withMsgs(`"1 nanoFIL"`, `"1 microFIL"`), "messages.max_fee_cap"},
		{"too many nanoFIL decimals", withMsgs(`"1 nanoFIL"`, `"0.0000000001 nanoFIL"`), "messages.max_fee_cap: more than 9 decimals of nanoFIL"},
		{"fractional attoFIL", withMsgs(`"1 nanoFIL"`, `"1.5 attoFIL"`), "messages.max_fee_cap"},
		{"empty deals", head + "[deals]\n", "deals: list providers"},
		{"bad provider", head + "[deals]\nproviders = [\"f0x\"]\n", "deals.providers[0]"},
		{"provider star with others", head + "[deals]\nproviders = [\"f01000\", \"*\"]\n", `deals.providers: "*" must be the only entry`},
		{"TOML syntax", head + "[messages\n", "toml: line"},
		{"NUL byte", head + "#\x00\n", "NUL byte"},
		{"over MaxSize", head + "#" + strings.Repeat("x", policy.MaxSize) + "\n", fmt.Sprintf("the limit is %d", policy.MaxSize)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := policy.Parse([]byte(tt.text))
			if err == nil {
				t.Fatalf("accepted:\n%s\nas %+v", tt.text, p)
			}
			if p != nil {
				t.Errorf("returned %+v with error %v", p, err)
			}
			if !errors.Is(err, policy.ErrSyntax) {
				t.Errorf("error %v does not wrap ErrSyntax", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
		})
	}
}

func TestParse_SizeLimit(t *testing.T) {
	a := keyAddr(t, sig.Secp256k1, 1)
	text := fmt.Sprintf("addresses = [%q]\n#", a)
	text += strings.Repeat("x", policy.MaxSize-len(text)-1) + "\n"
	if len(text) != policy.MaxSize {
		t.Fatalf("built %d bytes", len(text))
	}
	if _, err := policy.Parse([]byte(text)); err != nil {
		t.Errorf("a file of exactly MaxSize bytes: %v", err)
	}
}

func TestMethodNumber(t *testing.T) {
	tests := []struct {
		name string
		want uint64
	}{
		{"PreCommitSectorBatch2", 28},
		{"miner.PreCommitSectorBatch2", 28},
		{"ProveCommitSectors3", 34},
		{"SubmitWindowedPoSt", 5},
		{"market.WithdrawBalance", 3},
		{"miner.WithdrawBalance", 16},
		{"PublishStorageDeals", 4},
		{"CreateMiner", 2},
		{"Send", 0},
		{"28", 28},
		{"0", 0},
		{"3844450837", 3844450837},
	}
	for _, tt := range tests {
		got, err := policy.MethodNumber(tt.name)
		if err != nil || got != tt.want {
			t.Errorf("MethodNumber(%q) = %d, %v; want %d", tt.name, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "WithdrawBalance", "Frobnicate", "miner.Frobnicate", "precommitsectorbatch2", "-1", "28 ", "power.WithdrawBalance"} {
		if n, err := policy.MethodNumber(bad); err == nil {
			t.Errorf("MethodNumber(%q) = %d, want an error", bad, n)
		}
	}
	_, err := policy.MethodNumber("WithdrawBalance")
	if err == nil || !strings.Contains(err.Error(), "market.WithdrawBalance or miner.WithdrawBalance") {
		t.Errorf("ambiguous name: %v, want both qualified names", err)
	}

	// Through Parse: TOML integers, numeric strings and names, with
	// duplicates collapsed in order of first appearance.
	a := keyAddr(t, sig.BLS, 1)
	p := mustParse(t, fmt.Sprintf(`addresses = [%q]
[messages]
to = ["f01000"]
methods = [28, "28", "PreCommitSectorBatch2", "miner.WithdrawBalance", "market.WithdrawBalance", "Send", 0]
max_fee_cap = "unlimited"
max_premium = "unlimited"
`, a))
	if want := []uint64{28, 16, 3, 0}; !slices.Equal(p.Messages.Methods, want) {
		t.Errorf("methods %v, want %v", p.Messages.Methods, want)
	}
}

func TestParse_Amounts(t *testing.T) {
	a := keyAddr(t, sig.BLS, 1)
	tests := []struct {
		in   string
		want big.TokenAmount
	}{
		{"1 nanoFIL", nanoFIL(1)},
		{"1nanoFIL", nanoFIL(1)},
		{"0.5nanofil", atto(500_000_000)},
		{"0.5 NANOFIL", atto(500_000_000)},
		{"0.000000001 nanoFIL", atto(1)},
		{"  2.25 nanoFIL ", atto(2_250_000_000)},
		{"100 attoFIL", atto(100)},
		{"100aFIL", atto(100)},
		{"0.1", atto(100_000_000_000_000_000)},
		{"1.5 FIL", atto(1_500_000_000_000_000_000)},
		{"0", atto(0)},
		{"-0", atto(0)},
	}
	for _, tt := range tests {
		p, err := policy.Parse([]byte(fmt.Sprintf(`addresses = [%q]
[messages]
to = ["*"]
methods = ["*"]
max_value = %q
max_fee_cap = %q
max_premium = %q
`, a, tt.in, tt.in, tt.in)))
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		m := p.Messages
		if !m.MaxValue.Equals(tt.want.Int) || !m.MaxFeeCap.Equals(tt.want.Int) || !m.MaxPremium.Equals(tt.want.Int) {
			t.Errorf("%q: value %s fee cap %s premium %s, want %s attoFIL", tt.in, m.MaxValue.Int, m.MaxFeeCap.Int, m.MaxPremium.Int, tt.want.Int)
		}
	}
}

// minerPolicy is the acceptance scenario: a token for one miner's worker
// that may only run the sealing and proving methods on that miner.
func minerPolicy(worker address.Address) string {
	return fmt.Sprintf(`addresses = [%q]
[messages]
to = ["f01000"]
methods = ["PreCommitSectorBatch2", "ProveCommitSectors3", "SubmitWindowedPoSt"]
max_fee_cap = "1 nanoFIL"
max_premium = "0.5 nanoFIL"
max_gas_limit = 10000000000
`, worker)
}

// workerMessage is a message the miner policy allows.
func workerMessage(worker address.Address, method uint64) *types.Message {
	return &types.Message{
		To:         miner,
		From:       worker,
		Nonce:      42,
		Value:      atto(0),
		GasLimit:   10_000_000_000,
		GasFeeCap:  nanoFIL(1),
		GasPremium: atto(500_000_000),
		Method:     method,
		Params:     []byte{0x80},
	}
}

// checkDenied checks that err is a *Denial wrapping ErrDenied whose reason
// says want.
func checkDenied(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("allowed; want a denial saying %q", want)
	}
	if !errors.Is(err, policy.ErrDenied) {
		t.Errorf("error %v does not wrap ErrDenied", err)
	}
	var d *policy.Denial
	if !errors.As(err, &d) {
		t.Fatalf("error %v is not a *Denial", err)
	}
	if !strings.Contains(d.Reason, want) {
		t.Errorf("reason %q does not say %q", d.Reason, want)
	}
	if !strings.HasSuffix(err.Error(), d.Reason) {
		t.Errorf("error text %q does not end with the reason", err)
	}
}

func TestCheck_MinerPolicy(t *testing.T) {
	worker := keyAddr(t, sig.BLS, 1)
	owner := keyAddr(t, sig.Secp256k1, 2)
	p := mustParse(t, minerPolicy(worker))

	for _, method := range []uint64{28, 34, 5} {
		if err := p.Check(worker, messageRequest(t, workerMessage(worker, method))); err != nil {
			t.Errorf("method %d: %v", method, err)
		}
	}
	// Below every limit is allowed too.
	low := workerMessage(worker, 5)
	low.GasFeeCap, low.GasPremium, low.GasLimit = atto(1), atto(0), 1
	if err := p.Check(worker, messageRequest(t, low)); err != nil {
		t.Errorf("message below the limits: %v", err)
	}

	tests := []struct {
		name   string
		signer address.Address
		edit   func(m *types.Message)
		want   string
	}{
		{"value transfer", worker, func(m *types.Message) { m.Method, m.Value = 0, big.FromFIL(1) }, "method 0 is not allowed"},
		{"value on an allowed method", worker, func(m *types.Message) { m.Value = atto(1) }, "value 0.000000000000000001 FIL is above the limit 0 FIL"},
		{"method not listed", worker, func(m *types.Message) { m.Method = 16 }, "method 16 is not allowed"},
		{"another miner", worker, func(m *types.Message) { m.To = otherMiner }, "messages to f01001 are not allowed"},
		{"fee cap above", worker, func(m *types.Message) { m.GasFeeCap = nanoFIL(1).Add(atto(1)) },
			"gas fee cap 1000000001 attoFIL is above the limit 1000000000 attoFIL"},
		{"premium above", worker, func(m *types.Message) { m.GasPremium = atto(500_000_001) },
			"gas premium 500000001 attoFIL is above the limit 500000000 attoFIL"},
		{"gas limit above", worker, func(m *types.Message) { m.GasLimit = 10_000_000_001 }, "gas limit 10000000001 is above the limit 10000000000"},
		{"From is not the signer", worker, func(m *types.Message) { m.From = owner },
			fmt.Sprintf("message is from %s, not the signing address %s", owner, worker)},
		{"signer not listed", owner, func(m *types.Message) { m.From = owner },
			fmt.Sprintf("address %s is not one this token may use", owner)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := workerMessage(worker, 28)
			tt.edit(m)
			checkDenied(t, p.Check(tt.signer, messageRequest(t, m)), tt.want)
		})
	}

	t.Run("other kinds", func(t *testing.T) {
		checkDenied(t, p.Check(worker, rawRequest(t)), "raw bytes (kind unknown) are not allowed")
		checkDenied(t, p.Check(worker, dealRequest(t, worker, miner)), "deal proposals are not allowed")
		checkDenied(t, p.Check(worker, askRequest(t, miner)), "storage asks are not allowed")
		checkDenied(t, p.Check(worker, statusRequest(t)), "deal status requests are not allowed")
	})
}

func TestCheck_NoMessages(t *testing.T) {
	worker := keyAddr(t, sig.BLS, 1)
	p := mustParse(t, fmt.Sprintf("addresses = [%q]\nraw_bytes = true\n", worker))
	checkDenied(t, p.Check(worker, messageRequest(t, workerMessage(worker, 5))), "chain messages are not allowed")
	if err := p.Check(worker, rawRequest(t)); err != nil {
		t.Errorf("raw bytes with raw_bytes = true: %v", err)
	}
	other := keyAddr(t, sig.BLS, 2)
	checkDenied(t, p.Check(other, rawRequest(t)), "is not one this token may use")
}

func TestCheck_Deals(t *testing.T) {
	client := keyAddr(t, sig.Secp256k1, 3)
	stranger := keyAddr(t, sig.Secp256k1, 4)
	p := mustParse(t, fmt.Sprintf("addresses = [%q]\n[deals]\nproviders = [\"f01000\"]\n", client))

	if err := p.Check(client, dealRequest(t, client, miner)); err != nil {
		t.Errorf("deal to f01000: %v", err)
	}
	checkDenied(t, p.Check(client, dealRequest(t, client, otherMiner)), "deal proposals to provider f01001 are not allowed")
	checkDenied(t, p.Check(client, dealRequest(t, stranger, miner)),
		fmt.Sprintf("deal proposal's client %s is not the signing address %s", stranger, client))
	if err := p.Check(client, askRequest(t, miner)); err != nil {
		t.Errorf("ask for f01000: %v", err)
	}
	checkDenied(t, p.Check(client, askRequest(t, otherMiner)), "storage asks for miner f01001 are not allowed")
	checkDenied(t, p.Check(client, statusRequest(t)), "deal status requests are not allowed")
	checkDenied(t, p.Check(client, rawRequest(t)), "raw bytes")

	status := mustParse(t, fmt.Sprintf("addresses = [%q]\n[deals]\nstatus_requests = true\n", client))
	if err := status.Check(client, statusRequest(t)); err != nil {
		t.Errorf("status request with status_requests = true: %v", err)
	}
	// status_requests alone allows no proposals and no asks.
	checkDenied(t, status.Check(client, dealRequest(t, client, miner)), "deal proposals are not allowed")
	checkDenied(t, status.Check(client, askRequest(t, miner)), "storage asks are not allowed")

	anyProvider := mustParse(t, fmt.Sprintf("addresses = [%q]\n[deals]\nproviders = [\"*\"]\n", client))
	if err := anyProvider.Check(client, dealRequest(t, client, otherMiner)); err != nil {
		t.Errorf("deal to f01001 with providers = [\"*\"]: %v", err)
	}
	checkDenied(t, anyProvider.Check(client, dealRequest(t, stranger, otherMiner)), "is not the signing address")
}

func TestCheck_ZeroPolicy(t *testing.T) {
	var p policy.Policy
	a := keyAddr(t, sig.BLS, 1)
	for name, r := range map[string]*wallet.Request{
		"message": messageRequest(t, workerMessage(a, 5)),
		"deal":    dealRequest(t, a, miner),
		"ask":     askRequest(t, miner),
		"status":  statusRequest(t),
		"raw":     rawRequest(t),
	} {
		if err := p.Check(a, r); !errors.Is(err, policy.ErrDenied) {
			t.Errorf("%s: zero Policy gave %v, want ErrDenied", name, err)
		}
	}
}

func TestLimiter(t *testing.T) {
	a := keyAddr(t, sig.BLS, 1)
	p := mustParse(t, fmt.Sprintf("addresses = [%q]\nrate_limit = \"3/1s\"\n", a))
	if p.RateN != 3 || p.RatePer != time.Second {
		t.Fatalf("rate %d/%s", p.RateN, p.RatePer)
	}
	l := policy.NewLimiter(p)
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	allow := func(at time.Duration) {
		t.Helper()
		if err := l.Allow(t0.Add(at)); err != nil {
			t.Errorf("t0+%s: %v", at, err)
		}
	}
	deny := func(at time.Duration) {
		t.Helper()
		err := l.Allow(t0.Add(at))
		if err == nil {
			t.Errorf("t0+%s: allowed, want the rate limit", at)
			return
		}
		checkDenied(t, err, "rate limit of 3 per 1s reached")
	}

	allow(0)
	allow(0)
	allow(0)
	deny(0)
	// One token comes back every 1/3 s. (time.Second/3 rounds down to
	// 333333333ns, a nanosecond short of a whole token.)
	third := time.Second/3 + time.Nanosecond
	deny(third - time.Millisecond)
	allow(third)
	deny(third)
	// A full second refills the bucket, but never beyond 3.
	at := third + time.Second
	allow(at)
	allow(at)
	allow(at)
	deny(at)
	at += time.Hour
	allow(at)
	allow(at)
	allow(at)
	deny(at)
	deny(at + time.Millisecond)

	unlimited := policy.NewLimiter(mustParse(t, fmt.Sprintf("addresses = [%q]\n", a)))
	for i := range 10_000 {
		if err := unlimited.Allow(t0); err != nil {
			t.Fatalf("request %d without rate_limit: %v", i, err)
		}
	}
	var nilLimiter *policy.Limiter
	if err := nilLimiter.Allow(t0); err != nil {
		t.Errorf("nil Limiter: %v", err)
	}
	var zero policy.Limiter
	if err := zero.Allow(t0); err != nil {
		t.Errorf("zero Limiter: %v", err)
	}
}

// A token allowed only status requests or raw bytes must not be able to
// get a message's CID signed under another kind.
func TestCheck_MessageCIDUnderAnotherKind(t *testing.T) {
	w := keyAddr(t, sig.BLS, 1)
	m := workerMessage(w, 0)
	m.To, m.Value = otherMiner, big.FromFIL(1000)
	c, err := m.Cid()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wallet.Decode(c.Bytes(), wallet.MsgMeta{Type: wallet.MTDealStatusRequest}); !errors.Is(err, wallet.ErrBadRequest) {
		t.Errorf("a message CID as a status request decoded: %v", err)
	}
	p := mustParse(t, fmt.Sprintf("addresses = [%q]\nraw_bytes = true\n", w))
	r, err := wallet.Decode(c.Bytes(), wallet.MsgMeta{Type: wallet.MTUnknown})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Check(w, r); !errors.Is(err, policy.ErrDenied) || !strings.Contains(err.Error(), "CID") {
		t.Errorf("a message CID as raw bytes: %v", err)
	}
	r, _ = wallet.Decode([]byte("hello"), wallet.MsgMeta{Type: wallet.MTUnknown})
	if err := p.Check(w, r); err != nil {
		t.Errorf("raw bytes with raw_bytes = true: %v", err)
	}
}

// Raw bytes must not carry a deal proposal past [deals].
func TestCheck_RawBytesAreNotADeal(t *testing.T) {
	w := keyAddr(t, sig.Secp256k1, 2)
	p := mustParse(t, fmt.Sprintf("addresses = [%q]\nraw_bytes = true\n[deals]\nproviders = [\"f01000\"]\n", w))
	deal := dealRequest(t, w, otherMiner)
	checkDenied(t, p.Check(w, deal), "deal proposals to provider f01001 are not allowed")
	raw := decode(t, deal.Data, wallet.MsgMeta{Type: wallet.MTUnknown})
	checkDenied(t, p.Check(w, raw), "raw bytes that are a valid dealproposal are refused")
}

// A market method named for the market actor is not allowed on a miner,
// where the same number is another method.
func TestCheck_MethodNamesBindToTheirActor(t *testing.T) {
	w := keyAddr(t, sig.Secp256k1, 4)
	p := mustParse(t, fmt.Sprintf(`addresses = [%q]
[messages]
to = [%q, "f05"]
methods = ["SubmitWindowedPoSt", "market.WithdrawBalance"]
max_fee_cap = "unlimited"
max_premium = "unlimited"
`, w, miner))
	m := workerMessage(w, 3) // ChangeWorkerAddress on a miner
	checkDenied(t, p.Check(w, messageRequest(t, m)), "method 3 is allowed only as a method of [f05]")
	m.To = address.MustParse("f05")
	if err := p.Check(w, messageRequest(t, m)); err != nil {
		t.Errorf("market WithdrawBalance: %v", err)
	}
	m.To, m.Method = miner, 5
	if err := p.Check(w, messageRequest(t, m)); err != nil {
		t.Errorf("miner SubmitWindowedPoSt: %v", err)
	}
	// A bare number is allowed to every listed recipient.
	p = mustParse(t, fmt.Sprintf("addresses = [%q]\n[messages]\nto = [%q, \"f05\"]\nmethods = [3, \"market.WithdrawBalance\"]\nmax_fee_cap = \"unlimited\"\nmax_premium = \"unlimited\"\n", w, miner))
	m.Method = 3
	if err := p.Check(w, messageRequest(t, m)); err != nil {
		t.Errorf("method 3 listed by number: %v", err)
	}
}
