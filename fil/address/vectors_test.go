package address_test

import (
	"bytes"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/internal/testvectors"
)

// vector is one row of ../shared/vectors/addresses.csv.
type vector struct {
	kind  string
	input []byte // pubkey, actor data or sub-address
	bytes []byte
	str   string
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	f, err := os.Open(testvectors.Path(t, "addresses.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var vs []vector
	for _, row := range rows {
		if len(row) != 4 {
			t.Fatalf("addresses.csv: row %q has %d fields, want 4", row, len(row))
		}
		vs = append(vs, vector{kind: row[0], input: mustHex(t, row[1]), bytes: mustHex(t, row[2]), str: row[3]})
	}
	if len(vs) == 0 {
		t.Fatal("addresses.csv: no vectors")
	}
	return vs
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
	return b
}

// construct builds an address the way its kind says, from the vector's input.
func construct(t *testing.T, v vector, parsed address.Address) address.Address {
	t.Helper()
	var a address.Address
	var err error
	switch v.kind {
	case "id":
		id, idErr := parsed.ID()
		if idErr != nil {
			t.Fatal(idErr)
		}
		a, err = address.NewIDAddress(id)
	case "secp256k1":
		a, err = address.NewSecp256k1Address(v.input)
	case "actor":
		a, err = address.NewActorAddress(v.input)
	case "bls":
		a, err = address.NewBLSAddress(v.input)
	case "delegated":
		ns, sub, dErr := parsed.Delegated()
		if dErr != nil {
			t.Fatal(dErr)
		}
		if !bytes.Equal(sub, v.input) {
			t.Fatalf("sub-address %x, want %x", sub, v.input)
		}
		a, err = address.NewDelegatedAddress(ns, v.input)
	default:
		t.Fatalf("unknown kind %q", v.kind)
	}
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAddress_VectorsFile(t *testing.T) {
	vs := loadVectors(t)
	for _, v := range vs {
		t.Run(v.str, func(t *testing.T) { checkVector(t, v) })
	}
	t.Logf("checked %d rows of addresses.csv", len(vs))
}

func checkVector(t *testing.T, v vector) {
	t.Helper()
	parsed, net, err := address.Parse(v.str)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := address.Mainnet
	if v.str[0] == 't' {
		want = address.Testnet
	}
	if net != want {
		t.Errorf("network %v, want %v", net, want)
	}
	built := construct(t, v, parsed)
	if built != parsed {
		t.Errorf("constructed %x, parsed %x", built.Bytes(), parsed.Bytes())
	}
	if !bytes.Equal(built.Bytes(), v.bytes) {
		t.Errorf("Bytes %x, want %x", built.Bytes(), v.bytes)
	}
	if got := built.Format(net); got != v.str {
		t.Errorf("Format(%v) = %q, want %q", net, got, v.str)
	}
	// The other network's string differs only in the prefix.
	if got, want := built.Format(address.Testnet), "t"+v.str[1:]; got != want {
		t.Errorf("Format(Testnet) = %q, want %q", got, want)
	}
	if got, want := built.String(), "f"+v.str[1:]; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	fromBytes, err := address.NewFromBytes(v.bytes)
	if err != nil || fromBytes != built {
		t.Errorf("NewFromBytes = %v, %v", fromBytes, err)
	}
	if !bytes.Equal(built.Payload(), v.bytes[1:]) || built.Protocol() != address.Protocol(v.bytes[0]) {
		t.Errorf("Protocol/Payload = %d/%x", built.Protocol(), built.Payload())
	}
	checkEncodings(t, built)
}

// checkEncodings round-trips a through CBOR and JSON and checks their shapes.
func checkEncodings(t *testing.T, a address.Address) {
	t.Helper()
	var buf bytes.Buffer
	if err := a.MarshalCBOR(&buf); err != nil {
		t.Fatalf("MarshalCBOR: %v", err)
	}
	raw := a.Bytes()
	if buf.Bytes()[0] != 0x40+byte(len(raw)) && buf.Bytes()[0] != 0x58 {
		t.Errorf("CBOR %x is not a byte string header", buf.Bytes())
	}
	if !bytes.HasSuffix(buf.Bytes(), raw) {
		t.Errorf("CBOR %x does not end with the byte form %x", buf.Bytes(), raw)
	}
	back, err := address.DecodeCBOR(buf.Bytes())
	if err != nil || back != a {
		t.Errorf("DecodeCBOR = %v, %v", back, err)
	}
	j, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"` + a.String() + `"`; string(j) != want {
		t.Errorf("JSON %s, want %s", j, want)
	}
	var fromJSON address.Address
	if err := json.Unmarshal(j, &fromJSON); err != nil || fromJSON != a {
		t.Errorf("JSON round trip = %v, %v", fromJSON, err)
	}
	testnetJSON := []byte(`"` + a.Format(address.Testnet) + `"`)
	if err := json.Unmarshal(testnetJSON, &fromJSON); err != nil || fromJSON != a {
		t.Errorf("testnet JSON = %v, %v", fromJSON, err)
	}
}

// TestAddress_GoAddressVectors covers the go-address vectors that
// primitives.md section 1 lists beyond addresses.csv.
func TestAddress_GoAddressVectors(t *testing.T) {
	tests := []struct {
		kind, input, str string
	}{
		{"secp256k1", "0403ed12c814b6b10d2ee09d95b4688db2d180d0a9a37a6b6a7db63d29811ee9730479d8ef9139e91249cabd393291cfe5d277ba76de45e3e085a37681bf3645d2", "t1xtwapqc6nh4si2hcwpr3656iotzmlwumogqbuaa"},
		{"secp256k1", "04f796819a8e271631af7c189797b545d60225936147e6010e6562b3ce9efe8b10144161a91ed0b4ec890800253fa6fc20ac90fbf1fbf27130a4ecc3e403b70576", "t1xcbgdhkgkwht3hrrnui3jdopeejsoatkzmoltqy"},
		{"actor", "2cafb8e2e06bba98ea657c5cf5f42023aa23e88e", "t25nml2cfbljvn4goqtclhifepvfnicv6g7mfmmvq"},
		{"actor", "dfec030e204f0f59d80f1d5ee91dfd066d7f63bd", "t24dd4ox4c2vpf5vk5wkadgyyn6qtuvgcpxxon64a"},
		{"actor", "3d3a89e8ddab547832716c6d468c3560c9f47fd8", "t2gfvuyh7v2sx3patm5k23wdzmhyhtmqctasbr23y"},
		{"bls", "96a1a3e4ea7a14d49985e661b22401d44fed402d1d0925b243c923589c0fbc7e32cd04e29ed78d15d37d3aaa3fe6da33", "t3s2q2hzhkpiknjgmf4zq3ejab2rh62qbndueslmsdzervrhapxr7dftie4kpnpdiv2n6tvkr743ndhrsw6d3a"},
		{"bls", "86b454258c589475f7d16f5aac018a79f6c1169d20fc33921dd8b5ce1cac6c348f90a3603624f6aeb91b64518c2e8095", "t3q22fijmmlckhl56rn5nkyamkph3mcfu5ed6dheq53c244hfmnq2i7efdma3cj5voxenwiummf2ajlsbxc65a"},
		{"bls", "a7726b038022f75a384617585360cee629070a2d9d28712965e5f26ecc40858382803724ed34f2720336f09db631f074", "t3u5zgwa4ael3vuocgc5mfgygo4yuqocrntuuhcklf4xzg5tcaqwbyfabxetwtj4tsam3pbhnwghyhijr5mixa"},
		// The longest address string: namespace 2^63-1 and a 54-byte sub-address.
		{"delegated", strings.Repeat("00", address.MaxSubaddressLength), "f49223372036854775807faaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaahwgiuam"},
		{"id", "", "t01"},
		{"id", "", "t010"},
		{"id", "", "t0499"},
		{"id", "", "t01729"},
	}
	for _, tt := range tests {
		t.Run(tt.str, func(t *testing.T) {
			parsed, err := address.NewFromString(tt.str)
			if err != nil {
				t.Fatal(err)
			}
			v := vector{kind: tt.kind, input: mustHex(t, tt.input), bytes: parsed.Bytes(), str: tt.str}
			checkVector(t, v)
		})
	}
	if n := len(tests[8].str); n != address.MaxStringLength {
		t.Errorf("longest vector is %d characters, MaxStringLength %d", n, address.MaxStringLength)
	}
}
