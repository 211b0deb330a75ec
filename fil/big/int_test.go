package big_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	mathbig "math/big"
	"math/rand"
	"os"
	"strings"
	"testing"

	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/internal/testvectors"
)

// loadCBORVectors reads the "bigint_cbor" table of messages.json: decimal
// value to CBOR hex.
func loadCBORVectors(t testing.TB) map[string]string {
	t.Helper()
	raw, err := os.ReadFile(testvectors.Path(t, "messages.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		BigIntCBOR map[string]string `json:"bigint_cbor"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.BigIntCBOR) == 0 {
		t.Fatal("messages.json: no bigint_cbor vectors")
	}
	return file.BigIntCBOR
}

func encode(t testing.TB, x big.Int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := x.MarshalCBOR(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestInt_VectorsFile(t *testing.T) {
	vs := loadCBORVectors(t)
	for dec, cborHex := range vs {
		t.Run(dec, func(t *testing.T) {
			x := big.MustParseInt(dec)
			want, err := hex.DecodeString(cborHex)
			if err != nil {
				t.Fatal(err)
			}
			if got := encode(t, x); !bytes.Equal(got, want) {
				t.Errorf("CBOR %x, want %x", got, want)
			}
			back, err := big.DecodeCBOR(want)
			if err != nil || !back.Equals(x) {
				t.Errorf("DecodeCBOR = %v, %v", back, err)
			}
		})
	}
	t.Logf("checked %d bigint_cbor vectors of messages.json", len(vs))
}

func TestInt_RoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 5000; i++ {
		v := new(mathbig.Int).Rand(r, new(mathbig.Int).Lsh(mathbig.NewInt(1), uint(r.Intn(1016))))
		if r.Intn(2) == 0 {
			v.Neg(v)
		}
		x := big.FromBig(v)
		fromCBOR, err := big.DecodeCBOR(encode(t, x))
		if err != nil || !fromCBOR.Equals(x) {
			t.Fatalf("CBOR round trip of %v = %v, %v", x, fromCBOR, err)
		}
		fromBytes, err := big.FromBytes(x.Bytes())
		if err != nil || !fromBytes.Equals(x) {
			t.Fatalf("Bytes round trip of %v = %v, %v", x, fromBytes, err)
		}
		j, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		if string(j) != `"`+v.String()+`"` {
			t.Fatalf("JSON %s, want %q", j, v.String())
		}
		var fromJSON big.Int
		if err := json.Unmarshal(j, &fromJSON); err != nil || !fromJSON.Equals(x) {
			t.Fatalf("JSON round trip of %s = %v, %v", j, fromJSON, err)
		}
		fromString, err := big.ParseInt(x.String())
		if err != nil || !fromString.Equals(x) {
			t.Fatalf("string round trip of %v = %v, %v", x, fromString, err)
		}
	}
}

func TestInt_NonMinimalCBOR(t *testing.T) {
	// Accepted like go-state-types and fvm_shared; re-encoded minimally.
	for in, want := range map[string]string{
		"4100":     "40",
		"4101":     "40",
		"43000001": "420001",
		"43010001": "420101",
	} {
		x, err := big.DecodeCBOR(mustHex(t, in))
		if err != nil {
			t.Fatalf("DecodeCBOR(%s): %v", in, err)
		}
		if got := hex.EncodeToString(encode(t, x)); got != want {
			t.Errorf("%s re-encodes as %s, want %s", in, got, want)
		}
	}
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestInt_Errors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"trailing bytes", mustHex(t, "42000100"), big.ErrTrailingBytes},
		{"bad sign byte", mustHex(t, "420201"), big.ErrSign},
		{"text string", mustHex(t, "6130"), big.ErrCBOR},
		{"integer", mustHex(t, "01"), big.ErrCBOR},
		{"129 bytes", append(mustHex(t, "588100"), make([]byte, 128)...), big.ErrTooLarge},
		{"truncated", mustHex(t, "4300"), io.ErrUnexpectedEOF},
		{"empty", nil, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := big.DecodeCBOR(tt.in); !errors.Is(err, tt.want) {
				t.Fatalf("DecodeCBOR(%x) = %v, want %v", tt.in, err, tt.want)
			}
		})
	}
	// 128 bytes is the limit, inclusive.
	if _, err := big.DecodeCBOR(append(mustHex(t, "588000"), bytes.Repeat([]byte{0xff}, 127)...)); err != nil {
		t.Errorf("128-byte int: %v", err)
	}
	huge := big.FromBig(new(mathbig.Int).Lsh(mathbig.NewInt(1), 127*8))
	var buf bytes.Buffer
	if err := huge.MarshalCBOR(&buf); !errors.Is(err, big.ErrTooLarge) {
		t.Errorf("MarshalCBOR(2^1016) = %v", err)
	}
	if _, err := big.ParseInt(huge.String()); !errors.Is(err, big.ErrTooLarge) {
		t.Errorf("ParseInt(2^1016) = %v", err)
	}
	if _, err := big.ParseInt(strings.Repeat("9", 400)); !errors.Is(err, big.ErrTooLarge) {
		t.Errorf("ParseInt(400 digits) = %v", err)
	}
	for _, in := range []string{`12`, `"1.5"`, `"0x10"`, `""`, `"1_000"`, `{}`} {
		var x big.Int
		if err := json.Unmarshal([]byte(in), &x); err == nil {
			t.Errorf("JSON %s parsed as %v", in, x)
		}
	}
}

func TestInt_ZeroValue(t *testing.T) {
	var x big.Int
	if !x.IsZero() || x.String() != "0" || len(x.Bytes()) != 0 {
		t.Errorf("zero value = %q %x", x.String(), x.Bytes())
	}
	if got := hex.EncodeToString(encode(t, x)); got != "40" {
		t.Errorf("zero CBOR %s, want 40", got)
	}
	j, _ := json.Marshal(x)
	if string(j) != `"0"` {
		t.Errorf("zero JSON %s", j)
	}
	var nilInt *big.Int
	var buf bytes.Buffer
	if err := nilInt.MarshalCBOR(&buf); err != nil || buf.String() != "\xf6" {
		t.Errorf("nil CBOR %x, %v", buf.Bytes(), err)
	}
}

func TestInt_Arithmetic(t *testing.T) {
	a, b := big.NewInt(-7), big.NewInt(2)
	tests := []struct {
		name string
		got  big.Int
		want int64
	}{
		{"add", a.Add(b), -5},
		{"sub", a.Sub(b), -9},
		{"mul", a.Mul(b), -14},
		{"div truncates", a.Div(b), -3},
		{"mod", a.Mod(b), -1},
		{"neg", a.Neg(), 7},
		{"abs", a.Abs(), 7},
		{"min", big.Min(a, b), -7},
		{"max", big.Max(a, b), 2},
	}
	for _, tt := range tests {
		if v, ok := tt.got.Int64(); !ok || v != tt.want {
			t.Errorf("%s = %v, want %d", tt.name, tt.got, tt.want)
		}
	}
	if v, _ := a.Int64(); v != -7 {
		t.Error("operands were mutated")
	}
	if u, ok := big.NewIntUnsigned(1 << 63).Uint64(); !ok || u != 1<<63 {
		t.Errorf("NewIntUnsigned = %d", u)
	}
}
