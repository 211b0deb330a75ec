package sig_test

import (
	"bytes"
	"errors"
	"math/rand"
	"strings"
	"testing"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/sig"
)

var allTypes = []sig.Type{sig.Secp256k1, sig.BLS, sig.Delegated}

// TestGenerateKey_SignVerify generates keys of every type from a seeded
// reader and checks sign, verify, determinism and the Bytes round trip.
func TestGenerateKey_SignVerify(t *testing.T) {
	for _, typ := range allTypes {
		t.Run(typ.String(), func(t *testing.T) {
			k1, err := sig.GenerateKey(typ, rand.New(rand.NewSource(7)))
			if err != nil {
				t.Fatal(err)
			}
			k2, err := sig.GenerateKey(typ, rand.New(rand.NewSource(7)))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(k1.Bytes(), k2.Bytes()) {
				t.Error("the same seed gave different keys")
			}
			if k1.Type() != typ {
				t.Errorf("Type() = %v", k1.Type())
			}
			back, err := sig.NewPrivateKey(typ, k1.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(back.PublicKey(), k1.PublicKey()) {
				t.Error("NewPrivateKey(Bytes()) has another public key")
			}
			addr, err := k1.Address()
			if err != nil {
				t.Fatal(err)
			}
			msg := []byte("strata " + typ.String())
			s, err := k1.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			if s.Type != typ {
				t.Errorf("signature type %v", s.Type)
			}
			if err := sig.Verify(s, addr, msg); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if err := sig.Verify(s, addr, []byte("other")); !errors.Is(err, sig.ErrVerify) {
				t.Errorf("Verify(other message) = %v, want ErrVerify", err)
			}
			tampered := sig.Signature{Type: s.Type, Data: bytes.Clone(s.Data)}
			tampered.Data[10] ^= 1
			if err := sig.Verify(tampered, addr, msg); err == nil {
				t.Error("a tampered signature verified")
			}
		})
	}
}

// TestDelegatedKey_EthereumAddress checks keccak and the Ethereum address
// derivation against the web3.js accounts documentation example.
func TestDelegatedKey_EthereumAddress(t *testing.T) {
	k, err := sig.NewPrivateKey(sig.Delegated, mustHex(t, "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"))
	if err != nil {
		t.Fatal(err)
	}
	addr, err := k.Address()
	if err != nil {
		t.Fatal(err)
	}
	want, err := address.NewDelegatedAddress(address.EthereumNamespace, mustHex(t, strings.ToLower("2c7536E3605D9C16a7a3D7b1898e529396a65c23")))
	if err != nil {
		t.Fatal(err)
	}
	if addr != want {
		t.Errorf("address %s, want %s", addr, want)
	}
}

func TestVerify_SignerProtocol(t *testing.T) {
	secp, _ := sig.GenerateKey(sig.Secp256k1, rand.New(rand.NewSource(1)))
	bls, _ := sig.GenerateKey(sig.BLS, rand.New(rand.NewSource(1)))
	del, _ := sig.GenerateKey(sig.Delegated, rand.New(rand.NewSource(1)))
	msg := []byte("m")
	id := address.MustParse("f01000")
	for _, k := range []sig.PrivateKey{secp, bls, del} {
		s, _ := k.Sign(msg)
		if err := sig.Verify(s, id, msg); !errors.Is(err, sig.ErrSignerProtocol) {
			t.Errorf("%v signature with f0 signer = %v, want ErrSignerProtocol", k.Type(), err)
		}
	}
	blsAddr, _ := bls.Address()
	s, _ := secp.Sign(msg)
	if err := sig.Verify(s, blsAddr, msg); !errors.Is(err, sig.ErrSignerProtocol) {
		t.Errorf("secp256k1 signature with f3 signer = %v", err)
	}
}

func TestVerify_Malformed(t *testing.T) {
	secp, _ := sig.GenerateKey(sig.Secp256k1, rand.New(rand.NewSource(2)))
	secpAddr, _ := secp.Address()
	bls, _ := sig.GenerateKey(sig.BLS, rand.New(rand.NewSource(2)))
	blsAddr, _ := bls.Address()
	good, _ := secp.Sign([]byte("m"))
	badV := bytes.Clone(good.Data)
	badV[64] = 4
	zeroR := bytes.Clone(good.Data)
	copy(zeroR, make([]byte, 32))
	tests := []struct {
		name   string
		s      sig.Signature
		signer address.Address
		want   error
	}{
		{"secp short", sig.Signature{Type: sig.Secp256k1, Data: good.Data[:64]}, secpAddr, sig.ErrInvalidLength},
		{"secp recovery id 4", sig.Signature{Type: sig.Secp256k1, Data: badV}, secpAddr, sig.ErrInvalidSignature},
		{"secp r zero", sig.Signature{Type: sig.Secp256k1, Data: zeroR}, secpAddr, sig.ErrInvalidSignature},
		{"bls short", sig.Signature{Type: sig.BLS, Data: make([]byte, 95)}, blsAddr, sig.ErrInvalidLength},
		{"bls not a point", sig.Signature{Type: sig.BLS, Data: bytes.Repeat([]byte{0xaa}, 96)}, blsAddr, sig.ErrInvalidSignature},
		{"bls identity signer", sig.Signature{Type: sig.BLS, Data: make([]byte, 96)}, mustBLSAddr(t, append([]byte{0xc0}, make([]byte, 47)...)), sig.ErrInvalidKey},
		{"unknown type", sig.Signature{Type: 9, Data: good.Data}, secpAddr, sig.ErrUnknownType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := sig.Verify(tt.s, tt.signer, []byte("m")); !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func mustBLSAddr(t *testing.T, pub []byte) address.Address {
	t.Helper()
	a, err := address.NewBLSAddress(pub)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestNewPrivateKey_Errors(t *testing.T) {
	// The BLS12-381 group order r, little-endian: not a valid scalar.
	rLE := mustHex(t, "01000000fffffffffe5bfeff02a4bd5305d8a10908d83933487d9d2953a7ed73")
	// The secp256k1 group order n, big-endian.
	n := mustHex(t, "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
	tests := []struct {
		name string
		typ  sig.Type
		b    []byte
		want error
	}{
		{"secp short", sig.Secp256k1, make([]byte, 31), sig.ErrInvalidLength},
		{"secp zero", sig.Secp256k1, make([]byte, 32), sig.ErrInvalidKey},
		{"secp order", sig.Secp256k1, n, sig.ErrInvalidKey},
		{"bls long", sig.BLS, make([]byte, 33), sig.ErrInvalidLength},
		{"bls zero", sig.BLS, make([]byte, 32), sig.ErrInvalidKey},
		{"bls order", sig.BLS, rLE, sig.ErrInvalidKey},
		{"unknown type", 0, make([]byte, 32), sig.ErrUnknownType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := sig.NewPrivateKey(tt.typ, tt.b); !errors.Is(err, tt.want) {
				t.Fatalf("NewPrivateKey = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := sig.GenerateKey(sig.BLS, bytes.NewReader(make([]byte, 10))); err == nil {
		t.Error("GenerateKey succeeded on a short reader")
	}
}

func TestAggregateBLS_Generated(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	var sigs []sig.Signature
	var signers []address.Address
	var msgs [][]byte
	for i := 0; i < 5; i++ {
		k, err := sig.GenerateKey(sig.BLS, r)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := k.Address()
		m := []byte{byte(i), 'm'}
		s, _ := k.Sign(m)
		sigs, signers, msgs = append(sigs, s), append(signers, a), append(msgs, m)
	}
	agg, err := sig.AggregateBLS(sigs)
	if err != nil {
		t.Fatal(err)
	}
	if err := sig.VerifyAggregateBLS(signers, msgs, agg); err != nil {
		t.Fatal(err)
	}
	msgs[2] = []byte("x")
	if err := sig.VerifyAggregateBLS(signers, msgs, agg); !errors.Is(err, sig.ErrVerify) {
		t.Errorf("changed message = %v, want ErrVerify", err)
	}
	empty, err := sig.AggregateBLS(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := sig.VerifyAggregateBLS(nil, nil, empty); err != nil {
		t.Errorf("empty aggregate: %v", err)
	}
	if err := sig.VerifyAggregateBLS(nil, nil, agg); !errors.Is(err, sig.ErrVerify) {
		t.Errorf("empty message list with a real aggregate = %v", err)
	}
	if _, err := sig.AggregateBLS([]sig.Signature{{Type: sig.Secp256k1, Data: make([]byte, 65)}}); !errors.Is(err, sig.ErrUnknownType) {
		t.Errorf("aggregating secp256k1 = %v", err)
	}
	// A single signature's aggregate is itself.
	one, err := sig.AggregateBLS(sigs[:1])
	if err != nil || !one.Equals(sigs[0]) {
		t.Errorf("aggregate of one = %x, %v", one.Data, err)
	}
}
