package big

import (
	"fmt"
	mathbig "math/big"
	"strings"
)

// AttoPerFIL is the number of attoFIL in one FIL (go-state-types
// builtin.TokenPrecision).
const AttoPerFIL = 1_000_000_000_000_000_000

// filDecimals is the number of decimal places of FIL.
const filDecimals = 18

// maxAmountDigits bounds parsed token amounts to fewer than 10^39 attoFIL
// (10^21 FIL), twelve orders of magnitude above the 2·10^9 FIL that will ever
// exist. Anything larger is a typo or an attack, and the bound keeps decimal
// conversion cheap.
const maxAmountDigits = 39

// TokenAmount is an amount of FIL counted in attoFIL (10^-18 FIL), the unit
// of every amount on chain (abi.TokenAmount). It encodes like Int (CBOR byte
// string, JSON decimal string of attoFIL); only String differs, formatting
// for people: "1.5 FIL".
type TokenAmount struct{ Int }

// FromFIL returns n whole FIL.
func FromFIL(n int64) TokenAmount {
	return TokenAmount{NewInt(n).Mul(NewIntUnsigned(AttoPerFIL))}
}

// FromAttoFIL returns n attoFIL.
func FromAttoFIL(n int64) TokenAmount { return TokenAmount{NewInt(n)} }

// Add returns t + u.
func (t TokenAmount) Add(u TokenAmount) TokenAmount { return TokenAmount{t.Int.Add(u.Int)} }

// Sub returns t - u.
func (t TokenAmount) Sub(u TokenAmount) TokenAmount { return TokenAmount{t.Int.Sub(u.Int)} }

// Mul returns t * n, such as a per-epoch price times a duration.
func (t TokenAmount) Mul(n Int) TokenAmount { return TokenAmount{t.Int.Mul(n)} }

// Neg returns -t.
func (t TokenAmount) Neg() TokenAmount { return TokenAmount{t.Int.Neg()} }

// Cmp compares t and u like Int.Cmp.
func (t TokenAmount) Cmp(u TokenAmount) int { return t.Int.Cmp(u.Int) }

// String formats t exactly in FIL with trailing zeros dropped: "1.5 FIL",
// "0.000000000000000001 FIL", "0 FIL". ParseTokenAmount reads it back.
func (t TokenAmount) String() string {
	q, r := new(mathbig.Int).QuoRem(t.big(), mathbig.NewInt(0).SetUint64(AttoPerFIL), new(mathbig.Int))
	var sb strings.Builder
	if t.Sign() < 0 {
		sb.WriteByte('-')
	}
	sb.WriteString(q.Abs(q).String())
	if r.Sign() != 0 {
		frac := r.Abs(r).String()
		sb.WriteByte('.')
		sb.WriteString(strings.Repeat("0", filDecimals-len(frac)))
		sb.WriteString(strings.TrimRight(frac, "0"))
	}
	sb.WriteString(" FIL")
	return sb.String()
}

// AttoString formats t in attoFIL: "100 attoFIL".
func (t TokenAmount) AttoString() string { return t.Int.String() + " attoFIL" }

// ParseTokenAmount parses an amount typed by a person. The number is decimal
// with an optional '-' and optional fraction ("1", "1.5", "-0.25"); the unit,
// optional and case-insensitive, may follow with or without a space: FIL
// (the default) or attoFIL / aFIL. FIL allows at most 18 decimals; attoFIL
// must be whole. Amounts of 10^39 attoFIL (10^21 FIL) or more are rejected.
func ParseTokenAmount(s string) (TokenAmount, error) {
	num, unit := splitUnit(strings.TrimSpace(s))
	if num == "" {
		return TokenAmount{}, fmt.Errorf("parse token amount %q: %w: no number", s, ErrSyntax)
	}
	decimals := filDecimals
	switch strings.ToLower(unit) {
	case "", "fil":
	case "attofil", "afil":
		decimals = 0
	default:
		return TokenAmount{}, fmt.Errorf("parse token amount %q: %w %q, want FIL or attoFIL", s, ErrUnknownUnit, unit)
	}
	neg := strings.HasPrefix(num, "-")
	num = strings.TrimPrefix(num, "-")
	whole, frac, hasDot := strings.Cut(num, ".")
	if !isDigits(whole) || (hasDot && !isDigits(frac)) {
		return TokenAmount{}, fmt.Errorf("parse token amount %q: %w: want digits with an optional '-' and fraction", s, ErrSyntax)
	}
	if len(frac) > decimals {
		return TokenAmount{}, fmt.Errorf("parse token amount %q: %w: %d decimals, max %d for %s", s, ErrTooPrecise, len(frac), decimals, unitName(decimals))
	}
	digits := strings.TrimLeft(whole+frac+strings.Repeat("0", decimals-len(frac)), "0")
	if len(digits) > maxAmountDigits {
		return TokenAmount{}, fmt.Errorf("parse token amount %q: %w: %d attoFIL digits, max %d", s, ErrTooLarge, len(digits), maxAmountDigits)
	}
	if digits == "" {
		return TokenAmount{}, nil
	}
	v, ok := new(mathbig.Int).SetString(digits, 10)
	if !ok {
		return TokenAmount{}, fmt.Errorf("parse token amount %q: %w", s, ErrSyntax)
	}
	if neg {
		v.Neg(v)
	}
	return TokenAmount{Int{v}}, nil
}

// MustParseTokenAmount is ParseTokenAmount for constants; it panics on
// invalid input.
func MustParseTokenAmount(s string) TokenAmount {
	t, err := ParseTokenAmount(s)
	if err != nil {
		panic(err)
	}
	return t
}

// splitUnit splits "1.5 FIL" or "1.5fil" into the number and the unit.
func splitUnit(s string) (num, unit string) {
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' && r != '-' })
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func unitName(decimals int) string {
	if decimals == 0 {
		return "attoFIL"
	}
	return "FIL"
}
