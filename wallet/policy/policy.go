// Package policy is what a scoped wallet token may sign: a TOML file parsed
// into a Policy, and Check, which judges a decoded sign request against it.
//
// A policy file:
//
//	# Keys this token may sign with ("*" for every key the wallet holds).
//	addresses = ["f3...", "f1..."]
//	# Sign requests per period, every kind together ("" for no limit).
//	rate_limit = "600/1m"
//	# Bytes the wallet cannot check (kind "unknown"): refused unless true.
//	# Even then, bytes that are a CID, a deal proposal, an ask or a status
//	# request are refused (they must be sent as their kind). Raw bytes can
//	# still be anything else a key signs (block headers, vouchers): grant
//	# them only to a key that is used for nothing else.
//	raw_bytes = false
//
//	# Chain messages; without this section none may be signed.
//	[messages]
//	to = ["f01000"]              # recipients ("*" for any)
//	methods = ["PreCommitSectorBatch2", "ProveCommitSectors3", "SubmitWindowedPoSt"]
//	max_value = "0"              # FIL (or "N attoFIL"); default 0: no transfers
//	max_fee_cap = "1 nanoFIL"    # required; "unlimited" to waive
//	max_premium = "1 nanoFIL"    # required; "unlimited" to waive
//	max_gas_limit = 10000000000  # optional
//
//	# Deal proposals (as client), storage asks (as provider) and deal status
//	# requests; without this section none may be signed.
//	[deals]
//	providers = ["f01000"]       # a proposal's provider / an ask's miner ("*" for any)
//	status_requests = true
//
// Methods are numbers or the builtin actors' method names (bare when the
// name is unique, "miner.WithdrawBalance" / "market.WithdrawBalance"
// otherwise; "Send" is 0). Method numbers mean different things on
// different actors: a market or power method given by name is allowed only
// when sent to that actor (f05, f04); a number or a miner method name is
// allowed to every recipient in "to", so list miners by ID address and keep
// "to" to the actors the token is for. Unknown keys are errors, so a misspelt limit is
// never silently absent. Everything not allowed is refused.
package policy

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/ipfs/go-cid"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/wallet"
)

// MaxSize bounds a policy file.
const MaxSize = 64 << 10

// ErrSyntax wraps every Parse error.
var ErrSyntax = errors.New("invalid policy")

// ErrDenied wraps every Check refusal.
var ErrDenied = errors.New("denied by token policy")

// Policy is a parsed policy file. The zero value allows nothing.
type Policy struct {
	AnyAddress bool
	Addresses  []address.Address
	RawBytes   bool
	// Rate is RateN requests per RatePer; RateN 0 means no limit.
	RateN   int
	RatePer time.Duration

	Messages *Messages
	Deals    *Deals
}

// Messages is the [messages] section.
type Messages struct {
	AnyTo   bool
	To      []address.Address
	Methods []uint64
	// AnyMethod is set by methods = ["*"].
	AnyMethod bool
	// bound lists, for a method number allowed only by market.* or
	// power.* names, the singleton actors it may be sent to; a number
	// also allowed unbound (a number or a miner method) is absent.
	bound    map[uint64][]address.Address
	MaxValue big.TokenAmount
	// MaxFeeCap and MaxPremium are nil when "unlimited".
	MaxFeeCap   *big.TokenAmount
	MaxPremium  *big.TokenAmount
	MaxGasLimit int64 // 0: no limit
}

// Deals is the [deals] section.
type Deals struct {
	AnyProvider    bool
	Providers      []address.Address
	StatusRequests bool
}

type file struct {
	Addresses []string `toml:"addresses"`
	RawBytes  bool     `toml:"raw_bytes"`
	RateLimit string   `toml:"rate_limit"`
	Messages  *struct {
		To          []string `toml:"to"`
		Methods     []any    `toml:"methods"`
		MaxValue    *string  `toml:"max_value"`
		MaxFeeCap   *string  `toml:"max_fee_cap"`
		MaxPremium  *string  `toml:"max_premium"`
		MaxGasLimit int64    `toml:"max_gas_limit"`
	} `toml:"messages"`
	Deals *struct {
		Providers      []string `toml:"providers"`
		StatusRequests bool     `toml:"status_requests"`
	} `toml:"deals"`
}

// Parse parses a policy file. Errors wrap ErrSyntax and name the key.
func Parse(data []byte) (*Policy, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("%w: %d bytes, the limit is %d", ErrSyntax, len(data), MaxSize)
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, fmt.Errorf("%w: the file contains a NUL byte", ErrSyntax)
	}
	var f file
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&f)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSyntax, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("%w: unknown key %s", ErrSyntax, strings.Join(keys, ", "))
	}
	p := &Policy{RawBytes: f.RawBytes}
	if len(f.Addresses) == 0 {
		return nil, fmt.Errorf(`%w: addresses: list the keys this token may sign with (or ["*"])`, ErrSyntax)
	}
	if p.AnyAddress, p.Addresses, err = addrList("addresses", f.Addresses, keyAddress); err != nil {
		return nil, err
	}
	if f.RateLimit != "" {
		if p.RateN, p.RatePer, err = parseRate(f.RateLimit); err != nil {
			return nil, err
		}
	}
	if m := f.Messages; m != nil {
		mp := &Messages{}
		if len(m.To) == 0 {
			return nil, fmt.Errorf(`%w: messages.to: list the recipients (or ["*"])`, ErrSyntax)
		}
		if mp.AnyTo, mp.To, err = addrList("messages.to", m.To, nil); err != nil {
			return nil, err
		}
		if len(m.Methods) == 0 {
			return nil, fmt.Errorf(`%w: messages.methods: list the methods (or ["*"])`, ErrSyntax)
		}
		unbound := map[uint64]bool{}
		for i, v := range m.Methods {
			if s, ok := v.(string); ok && s == "*" {
				mp.AnyMethod = true
				continue
			}
			n, actor, err := methodRule(v)
			if err != nil {
				return nil, fmt.Errorf("%w: messages.methods[%d]: %w", ErrSyntax, i, err)
			}
			if !slices.Contains(mp.Methods, n) {
				mp.Methods = append(mp.Methods, n)
			}
			if actor == address.Undef {
				unbound[n] = true
			} else {
				if mp.bound == nil {
					mp.bound = map[uint64][]address.Address{}
				}
				mp.bound[n] = append(mp.bound[n], actor)
			}
		}
		for n := range unbound {
			delete(mp.bound, n)
		}
		if mp.AnyMethod && len(mp.Methods) > 0 {
			return nil, fmt.Errorf(`%w: messages.methods: "*" with other methods`, ErrSyntax)
		}
		mp.MaxValue = big.TokenAmount{Int: big.NewInt(0)}
		if m.MaxValue != nil {
			if mp.MaxValue, err = amount("messages.max_value", *m.MaxValue); err != nil {
				return nil, err
			}
		}
		if mp.MaxFeeCap, err = limit("messages.max_fee_cap", m.MaxFeeCap); err != nil {
			return nil, err
		}
		if mp.MaxPremium, err = limit("messages.max_premium", m.MaxPremium); err != nil {
			return nil, err
		}
		if m.MaxGasLimit < 0 {
			return nil, fmt.Errorf("%w: messages.max_gas_limit is negative", ErrSyntax)
		}
		mp.MaxGasLimit = m.MaxGasLimit
		p.Messages = mp
	}
	if d := f.Deals; d != nil {
		dp := &Deals{StatusRequests: d.StatusRequests}
		if len(d.Providers) == 0 && !d.StatusRequests {
			return nil, fmt.Errorf(`%w: deals: list providers (or ["*"]) or set status_requests`, ErrSyntax)
		}
		if len(d.Providers) > 0 {
			if dp.AnyProvider, dp.Providers, err = addrList("deals.providers", d.Providers, nil); err != nil {
				return nil, err
			}
		}
		p.Deals = dp
	}
	return p, nil
}

func keyAddress(a address.Address) error {
	switch a.Protocol() {
	case address.SECP256K1, address.BLS:
		return nil
	}
	return errors.New("not a key address (f1 or f3)")
}

func addrList(key string, in []string, check func(address.Address) error) (bool, []address.Address, error) {
	if len(in) == 1 && in[0] == "*" {
		return true, nil, nil
	}
	var out []address.Address
	for i, s := range in {
		if s == "*" {
			return false, nil, fmt.Errorf(`%w: %s: "*" must be the only entry`, ErrSyntax, key)
		}
		a, err := address.NewFromString(s)
		if err != nil {
			return false, nil, fmt.Errorf("%w: %s[%d]: %w", ErrSyntax, key, i, err)
		}
		if check != nil {
			if err := check(a); err != nil {
				return false, nil, fmt.Errorf("%w: %s[%d] %s: %w", ErrSyntax, key, i, s, err)
			}
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return false, out, nil
}

// ParseAmount parses an amount as policy files write them: FIL by
// default, or with a unit: "N attoFIL", "N nanoFIL", "N FIL".
func ParseAmount(s string) (big.TokenAmount, error) { return amount("amount", s) }

func amount(key, s string) (big.TokenAmount, error) {
	s = strings.TrimSpace(s)
	scale := big.NewInt(1)
	// Fee caps are usually quoted in nanoFIL.
	if num, ok := cutSuffixFold(s, "nanofil"); ok {
		s, scale = strings.TrimSpace(num)+" FIL", big.NewInt(1_000_000_000)
	}
	v, err := big.ParseTokenAmount(s)
	if err != nil {
		return big.TokenAmount{}, fmt.Errorf("%w: %s: %w", ErrSyntax, key, err)
	}
	if v.Sign() < 0 {
		return big.TokenAmount{}, fmt.Errorf("%w: %s is negative", ErrSyntax, key)
	}
	if !v.Mod(scale).IsZero() {
		return big.TokenAmount{}, fmt.Errorf("%w: %s: more than 9 decimals of nanoFIL", ErrSyntax, key)
	}
	return big.TokenAmount{Int: v.Div(scale)}, nil
}

func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}

func limit(key string, s *string) (*big.TokenAmount, error) {
	if s == nil {
		return nil, fmt.Errorf(`%w: %s is required when messages may be signed ("unlimited" to waive it)`, ErrSyntax, key)
	}
	if strings.TrimSpace(*s) == "unlimited" {
		return nil, nil
	}
	v, err := amount(key, *s)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func parseRate(s string) (int, time.Duration, error) {
	n, per, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return 0, 0, fmt.Errorf(`%w: rate_limit %q: want COUNT/DURATION, such as "600/1m"`, ErrSyntax, s)
	}
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || count < 1 || count > 1_000_000 {
		return 0, 0, fmt.Errorf("%w: rate_limit %q: the count must be a whole number from 1 to 1000000", ErrSyntax, s)
	}
	d, err := time.ParseDuration(strings.TrimSpace(per))
	if err != nil || d < time.Millisecond || d > 24*time.Hour {
		return 0, 0, fmt.Errorf("%w: rate_limit %q: the period must be a duration from 1ms to 24h", ErrSyntax, s)
	}
	return count, d, nil
}

// methodNames maps the builtin actors' method names to numbers. Names that
// two actors share are only accepted with the actor's prefix.
var methodNames = map[string]actors.MethodNum{
	"Send": 0,

	"miner.ChangeWorkerAddress":        actors.MinerChangeWorkerAddress,
	"miner.ChangePeerID":               actors.MinerChangePeerID,
	"miner.SubmitWindowedPoSt":         actors.MinerSubmitWindowedPoSt,
	"miner.TerminateSectors":           actors.MinerTerminateSectors,
	"miner.DeclareFaults":              actors.MinerDeclareFaults,
	"miner.DeclareFaultsRecovered":     actors.MinerDeclareFaultsRecovered,
	"miner.WithdrawBalance":            actors.MinerWithdrawBalance,
	"miner.ChangeMultiaddrs":           actors.MinerChangeMultiaddrs,
	"miner.CompactPartitions":          actors.MinerCompactPartitions,
	"miner.CompactSectorNumbers":       actors.MinerCompactSectorNumbers,
	"miner.ConfirmChangeWorkerAddress": actors.MinerConfirmChangeWorkerAddress,
	"miner.RepayDebt":                  actors.MinerRepayDebt,
	"miner.ChangeOwnerAddress":         actors.MinerChangeOwnerAddress,
	"miner.DisputeWindowedPoSt":        actors.MinerDisputeWindowedPoSt,
	"miner.PreCommitSectorBatch2":      actors.MinerPreCommitSectorBatch2,
	"miner.ChangeBeneficiary":          actors.MinerChangeBeneficiary,
	"miner.ExtendSectorExpiration2":    actors.MinerExtendSectorExpiration2,
	"miner.ProveCommitSectors3":        actors.MinerProveCommitSectors3,
	"miner.ProveReplicaUpdates3":       actors.MinerProveReplicaUpdates3,
	"miner.ProveCommitSectorsNI":       actors.MinerProveCommitSectorsNI,

	"market.AddBalance":          actors.MarketAddBalance,
	"market.WithdrawBalance":     actors.MarketWithdrawBalance,
	"market.PublishStorageDeals": actors.MarketPublishStorageDeals,

	"power.CreateMiner": actors.PowerCreateMiner,
}

// MethodNumber resolves a method name (see the package comment) or decimal
// number.
func MethodNumber(name string) (uint64, error) { return methodNumber(name) }

// singletons are the actors whose methods a name binds to their address.
var singletons = map[string]address.Address{
	"market": actors.MarketAddr,
	"power":  actors.PowerAddr,
}

// methodRule resolves v and, for a market or power method name, the actor
// it must be sent to: method numbers are per actor, so "market.
// WithdrawBalance" (3) must not allow method 3 of a miner
// (ChangeWorkerAddress).
func methodRule(v any) (uint64, address.Address, error) {
	n, err := methodNumber(v)
	if err != nil {
		return 0, address.Undef, err
	}
	name, ok := v.(string)
	if !ok {
		return n, address.Undef, nil
	}
	if _, err := strconv.ParseUint(name, 10, 64); err == nil {
		return n, address.Undef, nil
	}
	full := name
	if _, ok := methodNames[name]; !ok {
		for f := range methodNames {
			if _, short, ok := strings.Cut(f, "."); ok && short == name {
				full = f
			}
		}
	}
	actor, _, _ := strings.Cut(full, ".")
	return n, singletons[actor], nil
}

func methodNumber(v any) (uint64, error) {
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return 0, fmt.Errorf("method %d is negative", v)
		}
		return uint64(v), nil
	case string:
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			return n, nil
		}
		if n, ok := methodNames[v]; ok {
			return uint64(n), nil
		}
		var found []string
		for full := range methodNames {
			if _, short, ok := strings.Cut(full, "."); ok && short == v {
				found = append(found, full)
			}
		}
		switch len(found) {
		case 1:
			return uint64(methodNames[found[0]]), nil
		case 0:
			return 0, fmt.Errorf("unknown method %q (use a number, or a builtin method name such as PreCommitSectorBatch2)", v)
		default:
			slices.Sort(found)
			return 0, fmt.Errorf("method %q is ambiguous: write %s", v, strings.Join(found, " or "))
		}
	case float64:
		return 0, fmt.Errorf("method %v is not a whole number", v)
	}
	return 0, fmt.Errorf("method %v: want a number or a name", v)
}

// Denial is a refusal by Check; it wraps ErrDenied.
type Denial struct{ Reason string }

func (d *Denial) Error() string { return "denied by token policy: " + d.Reason }

// Unwrap returns ErrDenied.
func (d *Denial) Unwrap() error { return ErrDenied }

func deny(format string, args ...any) error { return &Denial{Reason: fmt.Sprintf(format, args...)} }

// Check judges a request to sign with addr. It returns nil when the policy
// allows it, or a *Denial saying why not. It does not apply the rate limit
// (see Limiter).
func (p *Policy) Check(addr address.Address, r *wallet.Request) error {
	if !p.AnyAddress && !slices.Contains(p.Addresses, addr) {
		return deny("address %s is not one this token may use", addr)
	}
	switch r.Kind {
	case wallet.MTChainMsg:
		return p.checkMessage(addr, r)
	case wallet.MTDealProposal:
		if p.Deals == nil || (!p.Deals.AnyProvider && len(p.Deals.Providers) == 0) {
			return deny("deal proposals are not allowed")
		}
		if r.Deal.Client != addr {
			return deny("deal proposal's client %s is not the signing address %s", r.Deal.Client, addr)
		}
		if !p.Deals.AnyProvider && !slices.Contains(p.Deals.Providers, r.Deal.Provider) {
			return deny("deal proposals to provider %s are not allowed", r.Deal.Provider)
		}
		return nil
	case wallet.MTStorageAsk:
		if p.Deals == nil || (!p.Deals.AnyProvider && len(p.Deals.Providers) == 0) {
			return deny("storage asks are not allowed")
		}
		if !p.Deals.AnyProvider && !slices.Contains(p.Deals.Providers, r.Ask.Miner) {
			return deny("storage asks for miner %s are not allowed", r.Ask.Miner)
		}
		return nil
	case wallet.MTDealStatusRequest:
		if p.Deals == nil || !p.Deals.StatusRequests {
			return deny("deal status requests are not allowed")
		}
		return nil
	case wallet.MTUnknown:
		if !p.RawBytes {
			return deny("raw bytes (kind unknown) are not allowed; the policy needs raw_bytes = true")
		}
		if c, err := cid.Cast(r.Data); err == nil {
			return deny("raw bytes that are a CID (%s) are refused: a message or proposal must be sent as one, with its CBOR", c)
		}
		// Nor bytes that another kind would have judged: raw bytes must not
		// get a deal proposal, ask or status request past [deals].
		for _, k := range []wallet.MsgType{wallet.MTDealProposal, wallet.MTStorageAsk, wallet.MTDealStatusRequest} {
			if _, err := wallet.Decode(r.Data, wallet.MsgMeta{Type: k}); err == nil {
				return deny("raw bytes that are a valid %s are refused: send them as kind %q", k, k)
			}
		}
		return nil
	}
	return deny("kind %q is not allowed", r.Kind)
}

func (p *Policy) checkMessage(addr address.Address, r *wallet.Request) error {
	m, mp := r.Message, p.Messages
	if mp == nil {
		return deny("chain messages are not allowed")
	}
	if m.From != addr {
		return deny("message is from %s, not the signing address %s", m.From, addr)
	}
	if !mp.AnyTo && !slices.Contains(mp.To, m.To) {
		return deny("messages to %s are not allowed", m.To)
	}
	if !mp.AnyMethod && !slices.Contains(mp.Methods, m.Method) {
		return deny("method %d is not allowed for this token", m.Method)
	}
	if to, ok := mp.bound[m.Method]; ok && !slices.Contains(to, m.To) {
		return deny("method %d is allowed only as a method of %v, not of %s", m.Method, to, m.To)
	}
	if m.Value.Int.Cmp(mp.MaxValue.Int) > 0 {
		return deny("value %s is above the limit %s", big.TokenAmount{Int: m.Value.Int}, mp.MaxValue)
	}
	if mp.MaxFeeCap != nil && m.GasFeeCap.Int.Cmp(mp.MaxFeeCap.Int) > 0 {
		return deny("gas fee cap %s attoFIL is above the limit %s attoFIL", m.GasFeeCap.Int, mp.MaxFeeCap.Int)
	}
	if mp.MaxPremium != nil && m.GasPremium.Int.Cmp(mp.MaxPremium.Int) > 0 {
		return deny("gas premium %s attoFIL is above the limit %s attoFIL", m.GasPremium.Int, mp.MaxPremium.Int)
	}
	if mp.MaxGasLimit > 0 && m.GasLimit > mp.MaxGasLimit {
		return deny("gas limit %d is above the limit %d", m.GasLimit, mp.MaxGasLimit)
	}
	return nil
}

// Limiter is a token bucket: RateN requests, refilled over RatePer. The
// zero Limiter (or one for a policy without rate_limit) allows everything.
// It is safe for concurrent use.
type Limiter struct {
	n   float64
	per time.Duration

	mu     sync.Mutex
	tokens float64
	last   time.Time
}

// NewLimiter returns the limiter p's rate_limit asks for.
func NewLimiter(p *Policy) *Limiter {
	return &Limiter{n: float64(p.RateN), per: p.RatePer, tokens: float64(p.RateN)}
}

// Allow takes one request from the bucket at time now, or reports that the
// bucket is empty.
func (l *Limiter) Allow(now time.Time) error {
	if l == nil || l.n == 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	// Calls may reach the lock out of time order; only time moving forward
	// refills the bucket.
	if l.last.IsZero() {
		l.last = now
	} else if now.After(l.last) {
		l.tokens = math.Min(l.n, l.tokens+l.n*float64(now.Sub(l.last))/float64(l.per))
		l.last = now
	}
	if l.tokens < 1 {
		return deny("rate limit of %d per %s reached", int(l.n), l.per)
	}
	l.tokens--
	return nil
}
