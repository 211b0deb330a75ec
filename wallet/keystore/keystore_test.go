package keystore_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/sig"
	"github.com/strata-sp/strata/wallet/keystore"
)

var keyTypes = []sig.Type{sig.Secp256k1, sig.BLS}

func openStore(t *testing.T, dir, pass string) *keystore.Store {
	t.Helper()
	s, err := keystore.OpenOptions(dir, []byte(pass), keystore.Options{ScryptN: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testKey is a deterministic key of type t.
func testKey(t *testing.T, typ sig.Type, seed uint64) sig.PrivateKey {
	t.Helper()
	k, err := sig.GenerateKey(typ, rand.NewChaCha8([32]byte{byte(seed), byte(typ)}))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keyPath(s *keystore.Store, a address.Address) string {
	return filepath.Join(s.Dir(), a.String()+".key")
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkMode(t *testing.T, p string, want os.FileMode) {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != want {
		t.Errorf("%s: mode %04o, want %04o", p, got, want)
	}
}

func TestStore_NewListKeySign(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	s := openStore(t, dir, "pw")
	checkMode(t, dir, 0o700)
	var addrs []address.Address
	for _, typ := range keyTypes {
		a, err := s.New(typ)
		if err != nil {
			t.Fatal(err)
		}
		if !s.Has(a) {
			t.Errorf("Has(%s) = false after New", a)
		}
		checkMode(t, keyPath(s, a), 0o600)
		addrs = append(addrs, a)

		var f map[string]any
		if err := json.Unmarshal(mustRead(t, keyPath(s, a)), &f); err != nil {
			t.Fatal(err)
		}
		kdf, _ := f["KDF"].(map[string]any)
		if f["Version"] != 1.0 || f["Type"] != typ.String() || f["Address"] != a.String() ||
			kdf["Name"] != "scrypt" || kdf["N"] != 1024.0 || kdf["R"] != 8.0 || kdf["P"] != 1.0 {
			t.Errorf("key file %s: %v", a, f)
		}
	}
	slices.SortFunc(addrs, func(x, y address.Address) int { return strings.Compare(x.String(), y.String()) })
	// Stray files are not keys.
	for _, name := range []string{"notes.txt", "garbage.key", "t1abc.key"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// A fresh Store has nothing cached: Key decrypts from disk.
	s2 := openStore(t, dir, "pw")
	got, err := s2.List()
	if err != nil || !slices.Equal(got, addrs) {
		t.Fatalf("List = %v, %v; want %v", got, err, addrs)
	}
	for _, a := range addrs {
		k, err := s2.Key(a)
		if err != nil {
			t.Fatal(err)
		}
		if ka, _ := k.Address(); ka != a {
			t.Errorf("Key(%s) has address %s", a, ka)
		}
		msg := []byte("strata " + a.String())
		sg, err := k.Sign(msg)
		if err != nil {
			t.Fatal(err)
		}
		if err := sig.Verify(sg, a, msg); err != nil {
			t.Errorf("verify %s: %v", a, err)
		}
		// Second call comes from the cache, same key.
		if k2, err := s2.Key(a); err != nil || !bytes.Equal(k2.Bytes(), k.Bytes()) {
			t.Errorf("cached Key(%s) differs: %v", a, err)
		}
	}
}

func TestStore_UnknownKeyType(t *testing.T) {
	s := openStore(t, keysDir(t), "pw")
	if _, err := s.New(sig.Delegated); !errors.Is(err, keystore.ErrUnknownKeyType) {
		t.Errorf("New(delegated) = %v", err)
	}
	if _, err := s.Import(testKey(t, sig.Delegated, 1)); !errors.Is(err, keystore.ErrUnknownKeyType) {
		t.Errorf("Import(delegated) = %v", err)
	}
	if _, err := s.New(sig.Type(9)); !errors.Is(err, keystore.ErrUnknownKeyType) {
		t.Errorf("New(9) = %v", err)
	}
	if got, _ := s.List(); len(got) != 0 {
		t.Errorf("List = %v after refused keys", got)
	}
}

// lotusExport builds `lotus wallet export` output independently of the
// package: hex of the KeyInfo JSON, as the devnet writes <home>/keys/ADDR.key.
func lotusExport(typ string, key []byte) string {
	b, _ := json.Marshal(struct{ Type, PrivateKey string }{typ, base64.StdEncoding.EncodeToString(key)})
	return hex.EncodeToString(b)
}

func TestStore_Lotus(t *testing.T) {
	s := openStore(t, keysDir(t), "pw")
	for _, typ := range keyTypes {
		k := testKey(t, typ, 2)
		want, _ := k.Address()
		exported := lotusExport(typ.String(), k.Bytes())
		// Devnet-style key file: the export plus a newline.
		devnetFile := filepath.Join(t.TempDir(), want.String()+".key")
		if err := os.WriteFile(devnetFile, []byte(exported+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		a, err := s.ImportLotus(string(mustRead(t, devnetFile)))
		if err != nil || a != want {
			t.Fatalf("ImportLotus = %s, %v; want %s", a, err, want)
		}
		got, err := s.ExportLotus(a)
		if err != nil || got != exported {
			t.Errorf("ExportLotus(%s) = %s, %v; want %s", a, got, err, exported)
		}
		if _, err := s.ImportLotus(exported); !errors.Is(err, keystore.ErrExists) {
			t.Errorf("second ImportLotus = %v, want ErrExists", err)
		}
	}
	if _, err := s.ExportLotus(address.MustParse("f1abjxfbp274xpdqcpuaykwkfb43omjotacm2p3za")); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("ExportLotus(unknown) = %v", err)
	}

	for _, tc := range []struct {
		name, in string
		want     error
	}{
		{"not hex", "zz", keystore.ErrCorrupt},
		{"odd hex", "abc", keystore.ErrCorrupt},
		{"not json", hex.EncodeToString([]byte("{")), keystore.ErrCorrupt},
		{"unknown field", hex.EncodeToString([]byte(`{"Type":"bls","PrivateKey":"","X":1}`)), keystore.ErrCorrupt},
		{"bad base64", hex.EncodeToString([]byte(`{"Type":"bls","PrivateKey":"!!"}`)), keystore.ErrCorrupt},
		{"short key", lotusExport("secp256k1", make([]byte, 31)), keystore.ErrCorrupt},
		{"zero key", lotusExport("secp256k1", make([]byte, 32)), keystore.ErrCorrupt},
		{"delegated", lotusExport("delegated", testKey(t, sig.Delegated, 3).Bytes()), keystore.ErrUnknownKeyType},
		{"ed25519", lotusExport("ed25519", make([]byte, 32)), keystore.ErrUnknownKeyType},
		{"too large", strings.Repeat("00", keystore.MaxFileSize), keystore.ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.ImportLotus(tc.in); !errors.Is(err, tc.want) {
				t.Errorf("ImportLotus = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestStore_WrongPassphrase(t *testing.T) {
	dir := keysDir(t)
	s := openStore(t, dir, "right")
	for _, typ := range keyTypes {
		a, err := s.New(typ)
		if err != nil {
			t.Fatal(err)
		}
		before := mustRead(t, keyPath(s, a))
		wrong := openStore(t, dir, "wrong")
		if _, err := wrong.Key(a); !errors.Is(err, keystore.ErrWrongPassphrase) || !strings.Contains(err.Error(), keyPath(s, a)) {
			t.Errorf("Key with wrong passphrase = %v", err)
		}
		if _, err := wrong.ExportLotus(a); !errors.Is(err, keystore.ErrWrongPassphrase) {
			t.Errorf("ExportLotus with wrong passphrase = %v", err)
		}
		if !bytes.Equal(mustRead(t, keyPath(s, a)), before) {
			t.Error("key file changed after a wrong passphrase")
		}
		if _, err := openStore(t, dir, "right").Key(a); err != nil {
			t.Errorf("Key with right passphrase after a wrong one: %v", err)
		}
	}
}

func TestStore_ImportTwice(t *testing.T) {
	dir := keysDir(t)
	s := openStore(t, dir, "first")
	for _, typ := range keyTypes {
		k := testKey(t, typ, 4)
		a, err := s.Import(k)
		if err != nil {
			t.Fatal(err)
		}
		before := mustRead(t, keyPath(s, a))
		// Another passphrase must not re-encrypt the existing file.
		other := openStore(t, dir, "second")
		if _, err := other.Import(k); !errors.Is(err, keystore.ErrExists) {
			t.Errorf("second Import = %v, want ErrExists", err)
		}
		if !bytes.Equal(mustRead(t, keyPath(s, a)), before) {
			t.Error("key file changed by a refused import")
		}
		if _, err := openStore(t, dir, "first").Key(a); err != nil {
			t.Error(err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestStore_Corrupt damages a key file in each way and checks that Key says
// what is wrong with which file, and that the file is left as it is.
func TestStore_Corrupt(t *testing.T) {
	edit := func(field string, v any) func(t *testing.T, b []byte, other address.Address) []byte {
		return func(t *testing.T, b []byte, _ address.Address) []byte {
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			m[field] = v
			out, _ := json.Marshal(m)
			return out
		}
	}
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, b []byte, other address.Address) []byte
		rename bool // store the file under the other address's name
		want   error
		msg    string
	}{
		{name: "flipped ciphertext byte", damage: func(t *testing.T, b []byte, _ address.Address) []byte {
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			ct, _ := base64.StdEncoding.DecodeString(m["Ciphertext"].(string))
			ct[5] ^= 1
			m["Ciphertext"] = ct
			out, _ := json.Marshal(m)
			return out
		}, want: keystore.ErrWrongPassphrase, msg: "tampered"},
		{name: "truncated", damage: func(_ *testing.T, b []byte, _ address.Address) []byte { return b[:len(b)/2] }, want: keystore.ErrCorrupt, msg: "unexpected EOF"},
		{name: "empty", damage: func(*testing.T, []byte, address.Address) []byte { return nil }, want: keystore.ErrCorrupt},
		{name: "garbage", damage: func(*testing.T, []byte, address.Address) []byte { return []byte("\x00\xffnot json") }, want: keystore.ErrCorrupt},
		{name: "trailing data", damage: func(_ *testing.T, b []byte, _ address.Address) []byte { return append(b, "{}"...) }, want: keystore.ErrCorrupt, msg: "trailing"},
		{name: "too large", damage: func(_ *testing.T, b []byte, _ address.Address) []byte {
			return append(b, bytes.Repeat([]byte(" "), keystore.MaxFileSize)...)
		}, want: keystore.ErrCorrupt, msg: "larger than"},
		{name: "bad base64", damage: edit("Nonce", "***"), want: keystore.ErrCorrupt, msg: "base64"},
		{name: "short nonce", damage: edit("Nonce", make([]byte, 12)), want: keystore.ErrCorrupt, msg: "nonce of 12 bytes"},
		{name: "long ciphertext", damage: edit("Ciphertext", make([]byte, 49)), want: keystore.ErrCorrupt, msg: "ciphertext of 49 bytes"},
		{name: "version 2", damage: edit("Version", 2), want: keystore.ErrCorrupt, msg: "version 2"},
		{name: "huge scrypt N", damage: edit("KDF", map[string]any{"Name": "scrypt", "N": 1 << 30, "R": 8, "P": 1, "Salt": make([]byte, 32)}), want: keystore.ErrCorrupt, msg: "scrypt N"},
		{name: "argon2", damage: edit("KDF", map[string]any{"Name": "argon2", "N": 1024, "R": 8, "P": 1, "Salt": make([]byte, 32)}), want: keystore.ErrCorrupt, msg: "want scrypt"},
		{name: "unknown field", damage: edit("Extra", 1), want: keystore.ErrCorrupt, msg: "Extra"},
		{name: "unknown type", damage: edit("Type", "ed25519"), want: keystore.ErrUnknownKeyType, msg: "ed25519"},
		{name: "type and address disagree", damage: edit("Type", "bls"), want: keystore.ErrCorrupt, msg: "bls key with"},
		{name: "address field edited", damage: func(t *testing.T, b []byte, other address.Address) []byte {
			return edit("Address", other.String())(t, b, other)
		}, rename: true, want: keystore.ErrWrongPassphrase},
		{name: "renamed to another address", damage: func(_ *testing.T, b []byte, _ address.Address) []byte { return b }, rename: true, want: keystore.ErrCorrupt, msg: "holds address"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := keysDir(t)
			s := openStore(t, dir, "pw")
			a, err := s.Import(testKey(t, sig.Secp256k1, 5))
			if err != nil {
				t.Fatal(err)
			}
			other, _ := testKey(t, sig.Secp256k1, 6).Address()
			p := keyPath(s, a)
			damaged := tc.damage(t, mustRead(t, p), other)
			if tc.rename {
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
				a, p = other, keyPath(s, other)
			}
			if err := os.WriteFile(p, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			fresh := openStore(t, dir, "pw")
			_, err = fresh.Key(a)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Key = %v; want %v naming %s and %q", err, tc.want, p, tc.msg)
			}
			if _, err := fresh.Import(testKey(t, sig.Secp256k1, 5)); tc.rename == false && !errors.Is(err, keystore.ErrExists) {
				t.Errorf("Import over a damaged file = %v, want ErrExists", err)
			}
			if !bytes.Equal(mustRead(t, p), damaged) {
				t.Error("damaged file was rewritten")
			}
		})
	}
}

func TestStore_Delete(t *testing.T) {
	s := openStore(t, keysDir(t), "pw")
	a, err := s.New(sig.Secp256k1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.New(sig.BLS)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetDefault(a); err != nil {
		t.Fatal(err)
	}
	ka, err := s.Key(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(a); err != nil {
		t.Fatal(err)
	}
	if s.Has(a) {
		t.Error("Has after Delete")
	}
	if _, err := s.Key(a); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("Key after Delete = %v (cache not cleared?)", err)
	}
	if err := s.Delete(a); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("second Delete = %v", err)
	}
	if _, err := s.Default(); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("Default after deleting it = %v", err)
	}
	if got, _ := s.List(); !slices.Equal(got, []address.Address{b}) {
		t.Errorf("List = %v, want [%s]", got, b)
	}
	// A deleted key can be imported again.
	if got, err := s.Import(ka); err != nil || got != a {
		t.Errorf("Import after Delete = %s, %v", got, err)
	}
}

func TestStore_Default(t *testing.T) {
	dir := keysDir(t)
	s := openStore(t, dir, "pw")
	if _, err := s.Default(); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("Default on empty store = %v", err)
	}
	a, _ := s.New(sig.Secp256k1)
	b, _ := s.New(sig.BLS)
	unknown, _ := testKey(t, sig.BLS, 7).Address()
	if err := s.SetDefault(unknown); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("SetDefault(unknown) = %v", err)
	}
	for _, d := range []address.Address{a, b} {
		if err := s.SetDefault(d); err != nil {
			t.Fatal(err)
		}
		if got, err := openStore(t, dir, "pw").Default(); err != nil || got != d {
			t.Errorf("Default = %s, %v; want %s", got, err, d)
		}
	}
	checkMode(t, filepath.Join(dir, "default"), 0o600)
	if err := os.WriteFile(filepath.Join(dir, "default"), []byte("nonsense"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Default(); !errors.Is(err, keystore.ErrCorrupt) {
		t.Errorf("Default with a garbage file = %v", err)
	}
}

func TestOpen_Permissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "k")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil { // umask may have narrowed it
		t.Fatal(err)
	}
	if _, err := keystore.Open(dir, []byte("pw")); !errors.Is(err, keystore.ErrPermissions) {
		t.Errorf("Open(0755 dir) = %v", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, dir, "pw")
	a, err := s.New(sig.Secp256k1)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(keyPath(s, a), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := openStore(t, dir, "pw").Key(a); !errors.Is(err, keystore.ErrPermissions) {
		t.Errorf("Key(0644 file) = %v", err)
	}
	if _, err := keystore.OpenOptions(t.TempDir(), nil, keystore.Options{ScryptN: 1000}); err == nil {
		t.Error("OpenOptions accepted scrypt N 1000")
	}
}

func TestStore_Concurrent(t *testing.T) {
	dir := keysDir(t)
	a, err := openStore(t, dir, "pw").New(sig.BLS)
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t, dir, "pw")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if _, err := s.Key(a); err != nil {
				t.Error(err)
			}
			if _, err := s.Import(testKey(t, sig.Secp256k1, 10+uint64(i%2))); err != nil && !errors.Is(err, keystore.ErrExists) {
				t.Error(err)
			}
			if _, err := s.List(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got, _ := s.List(); len(got) != 3 {
		t.Errorf("List = %v, want 3 keys", got)
	}
}

// keysDir is a keystore directory for one test; Open creates it 0700 (a
// t.TempDir itself is 0755, which Open refuses).
func keysDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "keys")
}
