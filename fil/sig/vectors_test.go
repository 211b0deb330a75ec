package sig_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
	"golang.org/x/crypto/blake2b"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/sig"
	"github.com/strata-sp/strata/internal/testvectors"
)

// messageVectors is the part of messages.json this package checks.
type messageVectors struct {
	BLS []struct {
		Message      struct{ From string }
		CBORHex      string `json:"cbor_hex"`
		CID          string `json:"cid"`
		PrivateKeyLE string `json:"private_key_le_hex"`
		PublicKey    string `json:"public_key_hex"`
		Signature    string `json:"signature_hex"`
	} `json:"bls"`
	Secp256k1 []struct {
		Message         struct{ From string }
		PrivateKey      string `json:"private_key_hex"`
		PublicKey       string `json:"public_key_hex"`
		Address         string `json:"address"`
		CBORHex         string `json:"cbor_hex"`
		Signature       string `json:"signature_hex"`
		SignatureBase64 string `json:"signature_base64"`
	} `json:"secp256k1"`
}

func loadMessageVectors(t testing.TB) messageVectors {
	t.Helper()
	raw, err := os.ReadFile(testvectors.Path(t, "messages.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v messageVectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.BLS) == 0 || len(v.Secp256k1) == 0 {
		t.Fatal("messages.json: missing bls or secp256k1 vectors")
	}
	return v
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
	return b
}

// cborCID computes a chain object's CID (dag-cbor, blake2b-256) independently
// of fil/types.
func cborCID(t testing.TB, cbor []byte) []byte {
	t.Helper()
	sum := blake2b.Sum256(cbor)
	mh, err := multihash.Encode(sum[:], multihash.BLAKE2B_MIN+31)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(cid.DagCBOR, mh).Bytes()
}

func TestBLS_Vectors(t *testing.T) {
	v := loadMessageVectors(t)
	for i, tv := range v.BLS {
		t.Run(tv.Message.From, func(t *testing.T) {
			k, err := sig.NewPrivateKey(sig.BLS, mustHex(t, tv.PrivateKeyLE))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(k.Bytes(), mustHex(t, tv.PrivateKeyLE)) {
				t.Errorf("Bytes() = %x, want the little-endian input", k.Bytes())
			}
			if tv.PublicKey != "" && !bytes.Equal(k.PublicKey(), mustHex(t, tv.PublicKey)) {
				t.Errorf("public key %x, want %s", k.PublicKey(), tv.PublicKey)
			}
			addr, err := k.Address()
			if err != nil {
				t.Fatal(err)
			}
			if want := address.MustParse(tv.Message.From); addr != want {
				t.Errorf("address %s, want %s", addr, want)
			}
			c, err := cid.Decode(tv.CID)
			if err != nil {
				t.Fatal(err)
			}
			if tv.CBORHex != "" && !bytes.Equal(cborCID(t, mustHex(t, tv.CBORHex)), c.Bytes()) {
				t.Errorf("CID of cbor_hex differs from %s", tv.CID)
			}
			s, err := k.Sign(c.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if s.Type != sig.BLS || !bytes.Equal(s.Data, mustHex(t, tv.Signature)) {
				t.Errorf("signature %d %x, want 2 %s", s.Type, s.Data, tv.Signature)
			}
			if err := sig.Verify(s, addr, c.Bytes()); err != nil {
				t.Errorf("Verify: %v", err)
			}
			if err := sig.Verify(s, addr, append(c.Bytes(), 0)); !errors.Is(err, sig.ErrVerify) {
				t.Errorf("Verify of another message = %v, want ErrVerify", err)
			}
			other := address.MustParse(v.BLS[1-i].Message.From)
			if err := sig.Verify(s, other, c.Bytes()); !errors.Is(err, sig.ErrVerify) {
				t.Errorf("Verify with another signer = %v, want ErrVerify", err)
			}
		})
	}
}

func TestSecp256k1_Vectors(t *testing.T) {
	v := loadMessageVectors(t)
	tv := v.Secp256k1[0]
	k, err := sig.NewPrivateKey(sig.Secp256k1, mustHex(t, tv.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.Bytes(), mustHex(t, tv.PrivateKey)) {
		t.Errorf("Bytes() = %x", k.Bytes())
	}
	if !bytes.Equal(k.PublicKey(), mustHex(t, tv.PublicKey)) {
		t.Errorf("public key %x, want %s", k.PublicKey(), tv.PublicKey)
	}
	addr, err := k.Address()
	if err != nil {
		t.Fatal(err)
	}
	if want := address.MustParse(tv.Address); addr != want || addr != address.MustParse(tv.Message.From) {
		t.Errorf("address %s, want %s", addr, want)
	}
	msg := cborCID(t, mustHex(t, tv.CBORHex))
	s, err := k.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	if s.Type != sig.Secp256k1 || !bytes.Equal(s.Data, mustHex(t, tv.Signature)) {
		t.Errorf("signature %x, want %s", s.Data, tv.Signature)
	}
	if err := sig.Verify(s, addr, msg); err != nil {
		t.Errorf("Verify: %v", err)
	}
	if err := sig.Verify(s, addr, msg[1:]); !errors.Is(err, sig.ErrVerify) {
		t.Errorf("Verify of another message = %v, want ErrVerify", err)
	}
	other := address.MustParse("t17uoq6tp427uzv7fztkbsnn64iwotfrristwpryy")
	if err := sig.Verify(s, other, msg); !errors.Is(err, sig.ErrVerify) {
		t.Errorf("Verify with another signer = %v, want ErrVerify", err)
	}
	// The second vector (get_cid.json) signs a message this package cannot
	// build; fil/types checks it end to end. Its key is the same one.
	if b, err := base64.StdEncoding.DecodeString(v.Secp256k1[1].SignatureBase64); err != nil || len(b) != sig.Secp256k1Length {
		t.Errorf("second secp256k1 vector signature: %d bytes, %v", len(b), err)
	}
}

func TestBLS_AggregateVectors(t *testing.T) {
	v := loadMessageVectors(t)
	var sigs []sig.Signature
	var signers []address.Address
	var msgs [][]byte
	for _, tv := range v.BLS {
		sigs = append(sigs, sig.Signature{Type: sig.BLS, Data: mustHex(t, tv.Signature)})
		signers = append(signers, address.MustParse(tv.Message.From))
		c, err := cid.Decode(tv.CID)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, c.Bytes())
	}
	agg, err := sig.AggregateBLS(sigs)
	if err != nil {
		t.Fatal(err)
	}
	if err := sig.VerifyAggregateBLS(signers, msgs, agg); err != nil {
		t.Fatalf("VerifyAggregateBLS: %v", err)
	}
	swapped := [][]byte{msgs[1], msgs[0]}
	if err := sig.VerifyAggregateBLS(signers, swapped, agg); !errors.Is(err, sig.ErrVerify) {
		t.Errorf("swapped messages = %v, want ErrVerify", err)
	}
	if err := sig.VerifyAggregateBLS(signers[:1], msgs[:1], agg); !errors.Is(err, sig.ErrVerify) {
		t.Errorf("partial aggregate = %v, want ErrVerify", err)
	}
	dup := [][]byte{msgs[0], msgs[0]}
	if err := sig.VerifyAggregateBLS(signers, dup, agg); !errors.Is(err, sig.ErrDuplicateMessage) {
		t.Errorf("duplicate messages = %v, want ErrDuplicateMessage", err)
	}
	// Aggregation is order-independent.
	agg2, err := sig.AggregateBLS([]sig.Signature{sigs[1], sigs[0]})
	if err != nil || !agg2.Equals(agg) {
		t.Errorf("aggregate depends on order: %x vs %x (%v)", agg2.Data, agg.Data, err)
	}
}
