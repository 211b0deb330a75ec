package keystore

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/strata-sp/strata/fil/sig"
)

func fuzzKey(f *testing.F, t sig.Type) sig.PrivateKey {
	f.Helper()
	k, err := sig.GenerateKey(t, rand.NewChaCha8([32]byte{byte(t)}))
	if err != nil {
		f.Fatal(err)
	}
	return k
}

func FuzzDecodeKeyFile(f *testing.F) {
	for _, t := range []sig.Type{sig.Secp256k1, sig.BLS} {
		k := fuzzKey(f, t)
		a, _ := k.Address()
		kf, err := seal(k, a, []byte("pw"), 1<<10)
		if err != nil {
			f.Fatal(err)
		}
		b, err := encodeKeyFile(kf)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"Version":1,"Type":"bls"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		kf, err := decodeKeyFile(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnknownKeyType) {
				t.Fatalf("error %v wraps neither ErrCorrupt nor ErrUnknownKeyType", err)
			}
			return
		}
		b, err := encodeKeyFile(kf)
		if err != nil {
			t.Fatal(err)
		}
		kf2, err := decodeKeyFile(b)
		if err != nil {
			t.Fatalf("re-encoded file refused: %v\n%s", err, b)
		}
		if !reflect.DeepEqual(kf, kf2) {
			t.Fatalf("round trip changed the file:\n%+v\n%+v", kf, kf2)
		}
	})
}

func FuzzImportLotus(f *testing.F) {
	for _, t := range []sig.Type{sig.Secp256k1, sig.BLS} {
		s, err := FormatLotus(fuzzKey(f, t))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(s)
		f.Add(s + "\n")
		f.Add(s[:len(s)-2])
	}
	f.Add("")
	f.Add("7b7d") // {}
	f.Fuzz(func(t *testing.T, in string) {
		k, err := ParseLotus(in)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnknownKeyType) {
				t.Fatalf("error %v wraps neither ErrCorrupt nor ErrUnknownKeyType", err)
			}
			return
		}
		out, err := FormatLotus(k)
		if err != nil {
			t.Fatal(err)
		}
		k2, err := ParseLotus(out)
		if err != nil {
			t.Fatalf("re-exported key refused: %v", err)
		}
		if k2.Type() != k.Type() || !bytes.Equal(k2.Bytes(), k.Bytes()) {
			t.Fatal("round trip changed the key")
		}
		// Through a Store: the stored key exports as FormatLotus does.
		s, err := OpenOptions(filepath.Join(t.TempDir(), "keys"), []byte("pw"), Options{ScryptN: 1 << 10})
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.ImportLotus(in)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.ExportLotus(a); err != nil || got != out {
			t.Fatalf("ExportLotus = %s, %v; want %s", got, err, out)
		}
	})
}
