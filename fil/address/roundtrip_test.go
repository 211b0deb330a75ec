package address_test

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"testing"

	"github.com/strata-sp/strata/fil/address"
)

// randomAddress returns a valid address of a random protocol.
func randomAddress(t testing.TB, r *rand.Rand) address.Address {
	t.Helper()
	var a address.Address
	var err error
	buf := func(n int) []byte { b := make([]byte, n); r.Read(b); return b }
	switch r.Intn(5) {
	case 0:
		// Mix small and large IDs so every varint length is covered.
		a, err = address.NewIDAddress(uint64(r.Int63()) >> uint(r.Intn(63)))
	case 1:
		a, err = address.NewSecp256k1Address(buf(65))
	case 2:
		a, err = address.NewActorAddress(buf(r.Intn(64)))
	case 3:
		a, err = address.NewBLSAddress(buf(48))
	case 4:
		a, err = address.NewDelegatedAddress(uint64(r.Int63())>>uint(r.Intn(63)), buf(r.Intn(address.MaxSubaddressLength+1)))
	}
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestAddress_RoundTrip checks string ⇄ bytes ⇄ JSON ⇄ CBOR on random addresses.
func TestAddress_RoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 5000; i++ {
		a := randomAddress(t, r)
		for _, n := range []address.Network{address.Mainnet, address.Testnet} {
			s := a.Format(n)
			if len(s) > address.MaxStringLength {
				t.Fatalf("%s is longer than MaxStringLength", s)
			}
			back, net, err := address.Parse(s)
			if err != nil || back != a || net != n {
				t.Fatalf("Parse(%q) = %v, %v, %v", s, back, net, err)
			}
		}
		if len(a.Bytes()) > address.MaxByteLength {
			t.Fatalf("%x is longer than MaxByteLength", a.Bytes())
		}
		fromBytes, err := address.NewFromBytes(a.Bytes())
		if err != nil || fromBytes != a {
			t.Fatalf("NewFromBytes(%x) = %v, %v", a.Bytes(), fromBytes, err)
		}
		var buf bytes.Buffer
		if err := a.MarshalCBOR(&buf); err != nil {
			t.Fatal(err)
		}
		fromCBOR, err := address.DecodeCBOR(buf.Bytes())
		if err != nil || fromCBOR != a {
			t.Fatalf("DecodeCBOR(%x) = %v, %v", buf.Bytes(), fromCBOR, err)
		}
		j, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var fromJSON address.Address
		if err := json.Unmarshal(j, &fromJSON); err != nil || fromJSON != a {
			t.Fatalf("JSON %s = %v, %v", j, fromJSON, err)
		}
	}
}
