// Package big holds Filecoin's arbitrary-precision integers and token amounts
// with the chain's encodings (go-state-types big and abi.TokenAmount):
//
//   - CBOR: a byte string; zero is the empty string, otherwise a sign byte
//     (0x00 positive, 0x01 negative) then the big-endian magnitude, at most
//     MaxSerializedLength bytes in all.
//   - JSON: a decimal string such as "-5"; JSON numbers are rejected.
//
// Values are immutable: every operation returns a new Int, so Ints can be
// copied and shared freely, including across goroutines.
package big

import (
	"fmt"
	mathbig "math/big"
)

// MaxSerializedLength is the longest CBOR payload (sign byte and magnitude) of
// an Int: go-state-types BigIntMaxSerializedLen and fvm_shared's limit.
const MaxSerializedLength = 128

// maxDecimalLength bounds decimal input before parsing: 2^1016 has 306 digits,
// so anything longer cannot be serialised anyway, and the bound keeps the
// quadratic decimal conversion cheap on hostile input.
const maxDecimalLength = 320

// Int is an immutable arbitrary-precision integer. The zero value is 0.
type Int struct {
	v *mathbig.Int // nil means zero; never mutated once set
}

// NewInt returns x as an Int.
func NewInt(x int64) Int { return Int{mathbig.NewInt(x)} }

// NewIntUnsigned returns x as an Int.
func NewIntUnsigned(x uint64) Int { return Int{new(mathbig.Int).SetUint64(x)} }

// FromBig returns a copy of x as an Int; nil is zero.
func FromBig(x *mathbig.Int) Int {
	if x == nil {
		return Int{}
	}
	return Int{new(mathbig.Int).Set(x)}
}

// ParseInt parses a decimal integer with an optional leading '-' (or '+').
func ParseInt(s string) (Int, error) {
	if len(s) > maxDecimalLength {
		return Int{}, fmt.Errorf("parse big int: %w: %d characters, max %d", ErrTooLarge, len(s), maxDecimalLength)
	}
	v, ok := new(mathbig.Int).SetString(s, 10)
	if !ok {
		return Int{}, fmt.Errorf("parse big int %q: %w", s, ErrSyntax)
	}
	x := Int{v}
	if x.serializedLen() > MaxSerializedLength {
		return Int{}, fmt.Errorf("parse big int: %w: %d bytes serialised, max %d", ErrTooLarge, x.serializedLen(), MaxSerializedLength)
	}
	return x, nil
}

// MustParseInt is ParseInt for constants; it panics on invalid input.
func MustParseInt(s string) Int {
	x, err := ParseInt(s)
	if err != nil {
		panic(err)
	}
	return x
}

// Big returns a copy of x as a *math/big.Int.
func (x Int) Big() *mathbig.Int {
	if x.v == nil {
		return new(mathbig.Int)
	}
	return new(mathbig.Int).Set(x.v)
}

// big returns x's value for reading; callers must not modify it.
func (x Int) big() *mathbig.Int {
	if x.v == nil {
		return new(mathbig.Int)
	}
	return x.v
}

// String returns x in decimal.
func (x Int) String() string { return x.big().String() }

// Sign returns -1, 0 or +1.
func (x Int) Sign() int {
	if x.v == nil {
		return 0
	}
	return x.v.Sign()
}

// IsZero reports whether x is 0.
func (x Int) IsZero() bool { return x.Sign() == 0 }

// Cmp returns -1, 0 or +1 as x is less than, equal to or greater than y.
func (x Int) Cmp(y Int) int { return x.big().Cmp(y.big()) }

// Equals reports whether x == y.
func (x Int) Equals(y Int) bool { return x.Cmp(y) == 0 }

// Int64 returns x and whether it fits an int64.
func (x Int) Int64() (int64, bool) { return x.big().Int64(), x.big().IsInt64() }

// Uint64 returns x and whether it fits a uint64.
func (x Int) Uint64() (uint64, bool) { return x.big().Uint64(), x.big().IsUint64() }

// Add returns x + y.
func (x Int) Add(y Int) Int { return Int{new(mathbig.Int).Add(x.big(), y.big())} }

// Sub returns x - y.
func (x Int) Sub(y Int) Int { return Int{new(mathbig.Int).Sub(x.big(), y.big())} }

// Mul returns x * y.
func (x Int) Mul(y Int) Int { return Int{new(mathbig.Int).Mul(x.big(), y.big())} }

// Div returns x / y truncated towards zero, as Go's integer division and
// go-state-types big.Div do. It panics if y is 0.
func (x Int) Div(y Int) Int { return Int{new(mathbig.Int).Quo(x.big(), y.big())} }

// Mod returns the remainder of x / y with the sign of x (truncated division).
// It panics if y is 0.
func (x Int) Mod(y Int) Int { return Int{new(mathbig.Int).Rem(x.big(), y.big())} }

// Neg returns -x.
func (x Int) Neg() Int { return Int{new(mathbig.Int).Neg(x.big())} }

// Abs returns |x|.
func (x Int) Abs() Int { return Int{new(mathbig.Int).Abs(x.big())} }

// Min returns the smaller of x and y.
func Min(x, y Int) Int {
	if x.Cmp(y) <= 0 {
		return x
	}
	return y
}

// Max returns the larger of x and y.
func Max(x, y Int) Int {
	if x.Cmp(y) >= 0 {
		return x
	}
	return y
}
