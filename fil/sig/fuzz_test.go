package sig_test

import (
	"bytes"
	"testing"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/sig"
)

// FuzzDecodeCBOR checks that accepted signature CBOR re-encodes to the same
// bytes and decodes again to the same signature.
func FuzzDecodeCBOR(f *testing.F) {
	v := loadMessageVectors(f)
	for _, tv := range v.BLS {
		f.Add(encodeSig(f, sig.Signature{Type: sig.BLS, Data: mustHex(f, tv.Signature)}))
	}
	f.Add(encodeSig(f, sig.Signature{Type: sig.Secp256k1, Data: mustHex(f, v.Secp256k1[0].Signature)}))
	f.Add([]byte{0x42, 0x04, 0xaa})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := sig.DecodeCBOR(b)
		if err != nil {
			return
		}
		enc := encodeSig(t, s)
		if !bytes.Equal(enc, b) {
			t.Fatalf("decoded %x, re-encoded %x", b, enc)
		}
		again, err := sig.DecodeCBOR(enc)
		if err != nil || !again.Equals(s) {
			t.Fatalf("second decode = %v, %v", again, err)
		}
	})
}

// FuzzVerify feeds arbitrary signature data to every verifier: it must
// return an error, never panic, and never accept a signature the key did not
// make.
func FuzzVerify(f *testing.F) {
	v := loadMessageVectors(f)
	tv := v.BLS[0]
	f.Add(uint8(sig.BLS), mustHex(f, tv.Signature), []byte("m"))
	f.Add(uint8(sig.Secp256k1), mustHex(f, v.Secp256k1[0].Signature), []byte("m"))
	f.Add(uint8(sig.Delegated), mustHex(f, v.Secp256k1[0].Signature), []byte{})
	signers := map[sig.Type]address.Address{
		sig.BLS:       address.MustParse(tv.Message.From),
		sig.Secp256k1: address.MustParse(v.Secp256k1[0].Address),
		sig.Delegated: address.MustParse("f410fkkld55ioe7qg24wvt7fu6pbknb56ht7pt4zamxa"),
	}
	f.Fuzz(func(t *testing.T, typ uint8, data, msg []byte) {
		s := sig.Signature{Type: sig.Type(typ), Data: data}
		signer, ok := signers[s.Type]
		if !ok {
			signer = signers[sig.BLS]
		}
		if err := sig.Verify(s, signer, msg); err == nil {
			t.Fatalf("forged signature %d %x over %x verified", typ, data, msg)
		}
	})
}
