package big_test

import (
	"encoding/json"
	"errors"
	"math/rand"
	"testing"

	"github.com/strata-sp/strata/fil/big"
)

func TestParseTokenAmount(t *testing.T) {
	tests := []struct {
		in   string
		atto string
	}{
		{"1.5", "1500000000000000000"},
		{"1.5 FIL", "1500000000000000000"},
		{"1.5fil", "1500000000000000000"},
		{" 1.5  Fil ", "1500000000000000000"},
		{"100 attoFIL", "100"},
		{"100aFIL", "100"},
		{"100 attofil", "100"},
		{"0", "0"},
		{"0 FIL", "0"},
		{"-0.25", "-250000000000000000"},
		{"0.000000000000000001", "1"},
		{"2000000000 FIL", "2000000000000000000000000000"},
		{"007", "7000000000000000000"},
		{"999999999999999999999.999999999999999999", "999999999999999999999999999999999999999"},
	}
	for _, tt := range tests {
		got, err := big.ParseTokenAmount(tt.in)
		if err != nil {
			t.Errorf("ParseTokenAmount(%q): %v", tt.in, err)
			continue
		}
		if got.Int.String() != tt.atto {
			t.Errorf("ParseTokenAmount(%q) = %s attoFIL, want %s", tt.in, got.Int, tt.atto)
		}
	}
}

func TestParseTokenAmount_Errors(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"1.0000000000000000001", big.ErrTooPrecise},
		{"1.5 attoFIL", big.ErrTooPrecise},
		{"1 BTC", big.ErrUnknownUnit},
		{"1 FILE", big.ErrUnknownUnit},
		{"", big.ErrSyntax},
		{"FIL", big.ErrSyntax},
		{".5", big.ErrSyntax},
		{"5.", big.ErrSyntax},
		{"1.2.3", big.ErrSyntax},
		{"--1", big.ErrSyntax},
		{"1-", big.ErrSyntax},
		{"1e18", big.ErrUnknownUnit},
		{"0x10", big.ErrUnknownUnit},
		{"garbage", big.ErrSyntax},
		{"1000000000000000000000", big.ErrTooLarge},
		{"1000000000000000000000000000000000000000 attoFIL", big.ErrTooLarge},
	}
	for _, tt := range tests {
		_, err := big.ParseTokenAmount(tt.in)
		if !errors.Is(err, tt.want) {
			t.Errorf("ParseTokenAmount(%q) = %v, want %v", tt.in, err, tt.want)
		}
	}
}

func TestTokenAmount_String(t *testing.T) {
	tests := []struct {
		amount     big.TokenAmount
		fil, attos string
	}{
		{big.MustParseTokenAmount("1.5"), "1.5 FIL", "1500000000000000000 attoFIL"},
		{big.FromAttoFIL(100), "0.0000000000000001 FIL", "100 attoFIL"},
		{big.TokenAmount{}, "0 FIL", "0 attoFIL"},
		{big.FromFIL(-3), "-3 FIL", "-3000000000000000000 attoFIL"},
		{big.FromAttoFIL(-1), "-0.000000000000000001 FIL", "-1 attoFIL"},
		{big.FromFIL(2_000_000_000), "2000000000 FIL", "2000000000000000000000000000 attoFIL"},
	}
	for _, tt := range tests {
		if got := tt.amount.String(); got != tt.fil {
			t.Errorf("String() = %q, want %q", got, tt.fil)
		}
		if got := tt.amount.AttoString(); got != tt.attos {
			t.Errorf("AttoString() = %q, want %q", got, tt.attos)
		}
	}
}

// TestTokenAmount_RoundTrip checks String ⇄ ParseTokenAmount and that the
// wire encodings stay attoFIL.
func TestTokenAmount_RoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 5000; i++ {
		atto := big.NewInt(r.Int63() >> uint(r.Intn(63))).Mul(big.NewInt(r.Int63n(1 << 30)))
		if r.Intn(2) == 0 {
			atto = atto.Neg()
		}
		amount := big.TokenAmount{Int: atto}
		for _, s := range []string{amount.String(), amount.AttoString()} {
			back, err := big.ParseTokenAmount(s)
			if err != nil || back.Cmp(amount) != 0 {
				t.Fatalf("ParseTokenAmount(%q) = %v, %v; want %v", s, back, err, amount)
			}
		}
		j, err := json.Marshal(amount)
		if err != nil {
			t.Fatal(err)
		}
		if string(j) != `"`+atto.String()+`"` {
			t.Fatalf("JSON %s, want attoFIL %s", j, atto)
		}
		var fromJSON big.TokenAmount
		if err := json.Unmarshal(j, &fromJSON); err != nil || fromJSON.Cmp(amount) != 0 {
			t.Fatalf("JSON round trip %s = %v, %v", j, fromJSON, err)
		}
		fromCBOR, err := big.DecodeCBOR(encode(t, amount.Int))
		if err != nil || !fromCBOR.Equals(amount.Int) {
			t.Fatalf("CBOR round trip = %v, %v", fromCBOR, err)
		}
	}
}

func TestTokenAmount_Arithmetic(t *testing.T) {
	a := big.FromFIL(2)
	b := big.MustParseTokenAmount("0.5")
	if got := a.Add(b).String(); got != "2.5 FIL" {
		t.Errorf("Add = %s", got)
	}
	if got := a.Sub(b).String(); got != "1.5 FIL" {
		t.Errorf("Sub = %s", got)
	}
	if got := b.Mul(big.NewInt(3)).String(); got != "1.5 FIL" {
		t.Errorf("Mul = %s", got)
	}
	if got := a.Neg().String(); got != "-2 FIL" {
		t.Errorf("Neg = %s", got)
	}
}
