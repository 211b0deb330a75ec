package keystore

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/strata-sp/strata/fil/sig"
)

// TestOpen_AddressMismatch covers a file that authenticates (written by
// someone with the passphrase) but holds another address's key.
func TestOpen_AddressMismatch(t *testing.T) {
	k, _ := sig.GenerateKey(sig.Secp256k1, rand.NewChaCha8([32]byte{1}))
	other, _ := sig.GenerateKey(sig.Secp256k1, rand.NewChaCha8([32]byte{2}))
	oa, _ := other.Address()
	kf, err := seal(k, oa, []byte("pw"), 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := encodeKeyFile(kf)
	kf, err = decodeKeyFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := open(kf, []byte("pw")); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "file says") {
		t.Errorf("open = %v, want ErrCorrupt for the address mismatch", err)
	}
}
