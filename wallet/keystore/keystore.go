// Package keystore keeps a storage provider's secp256k1 and BLS private keys
// encrypted at rest, one file per address in a directory.
//
// Layout: dir (mode 0700) holds <address>.key (mode 0600) per key, with
// <address> the mainnet string form (f1..., f3...), and an optional file
// named default holding the default address. A key file is JSON:
//
//	{"Version":1,"Type":"secp256k1"|"bls","Address":"f1...",
//	 "KDF":{"Name":"scrypt","N":32768,"R":8,"P":1,"Salt":base64},
//	 "Nonce":base64,"Ciphertext":base64}
//
// The ciphertext is the 32-byte private key (sig.PrivateKey.Bytes) sealed
// with XChaCha20-Poly1305 under scrypt(passphrase, Salt, N, R, P) and the
// associated data "strata-keystore-v1", Type and Address, so a file's
// address and type cannot be swapped without the AEAD noticing. After
// decryption the key's derived address is compared with both the file's
// name and its Address field.
//
// Every write goes through internal/atomicfile, so a crash leaves either the
// old file or the new one; no operation overwrites an existing key file.
package keystore

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/sig"
	"github.com/strata-sp/strata/internal/atomicfile"
)

// Errors returned by the Store, wrapped with the file or address concerned.
var (
	// ErrWrongPassphrase means a key file did not decrypt: the passphrase
	// is wrong or the ciphertext, nonce or salt was altered (an AEAD cannot
	// tell the two apart).
	ErrWrongPassphrase = errors.New("wrong passphrase or tampered key file")
	// ErrCorrupt means a key file or Lotus export is malformed: too large,
	// not JSON, bad base64 or hex, wrong lengths or parameters, or an
	// address that does not match the file name or the decrypted key.
	ErrCorrupt = errors.New("corrupt key file")
	// ErrUnknownKeyType means a key type other than secp256k1 or BLS.
	ErrUnknownKeyType = errors.New("unknown key type")
	// ErrNotFound means no key file (or no default) for the address.
	ErrNotFound = errors.New("key not found")
	// ErrExists means a key for the address is already stored; the
	// existing file is left as it was.
	ErrExists = errors.New("key already exists")
	// ErrPermissions means the directory or a key file is readable or
	// writable by group or others.
	ErrPermissions = errors.New("insecure keystore permissions")
)

const (
	// DefaultScryptN is the scrypt cost used for new key files: 2^15 with
	// r=8, p=1 needs 32 MiB and about 150 ms per derivation on the
	// development machine, twice the scrypt paper's interactive-login cost
	// (2^14). Keys are decrypted once and then cached, so a process pays it
	// once per key; a stolen file costs an attacker the same per guess.
	DefaultScryptN = 1 << 15
	scryptR        = 8
	scryptP        = 1

	// MaxFileSize is the largest key file or Lotus export accepted; larger
	// input is refused before parsing.
	MaxFileSize = 64 << 10

	version     = 1
	keySuffix   = ".key"
	defaultFile = "default"
	saltSize    = 32
	ad          = "strata-keystore-v1"
)

// Options tunes a Store. The zero value gives the defaults.
type Options struct {
	// ScryptN is the scrypt cost for newly written key files, a power of
	// two; 0 means DefaultScryptN. Tests use 1<<10. Existing files keep the
	// parameters they were written with.
	ScryptN int
}

// Store is a directory of encrypted keys. It is safe for concurrent use by
// the goroutines of one process; two processes writing the same directory
// may race on creating the same address (both would write the same key).
type Store struct {
	dir  string
	pass []byte
	n    int

	mu    sync.Mutex
	cache map[address.Address]sig.PrivateKey
}

// Open opens the keystore in dir, creating the directory with mode 0700 if
// it does not exist, with the passphrase used to encrypt new keys and
// decrypt existing ones. An existing dir open to group or others is
// refused with ErrPermissions. Open does not check the passphrase; Key
// does.
func Open(dir string, passphrase []byte) (*Store, error) {
	return OpenOptions(dir, passphrase, Options{})
}

// OpenOptions is Open with Options.
func OpenOptions(dir string, passphrase []byte, o Options) (*Store, error) {
	n := o.ScryptN
	if n == 0 {
		n = DefaultScryptN
	}
	if n < 2 || n&(n-1) != 0 || n > maxScryptN {
		return nil, fmt.Errorf("keystore: scrypt N %d is not a power of two in [2, %d]", n, maxScryptN)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("keystore: %s is not a directory", dir)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("keystore: directory %s has mode %04o, want 0700: %w", dir, st.Mode().Perm(), ErrPermissions)
	}
	return &Store{
		dir:   dir,
		pass:  bytes.Clone(passphrase),
		n:     n,
		cache: map[address.Address]sig.PrivateKey{},
	}, nil
}

// Dir returns the keystore directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) path(a address.Address) string {
	return filepath.Join(s.dir, a.String()+keySuffix)
}

// New generates a key of type t (sig.Secp256k1 or sig.BLS) from
// crypto/rand, stores it and returns its address.
func (s *Store) New(t sig.Type) (address.Address, error) {
	if _, err := typeName(t); err != nil {
		return address.Undef, fmt.Errorf("keystore: new key: %w", err)
	}
	k, err := sig.GenerateKey(t, rand.Reader)
	if err != nil {
		return address.Undef, fmt.Errorf("keystore: new %s key: %w", t, err)
	}
	return s.Import(k)
}

// Import stores k and returns its address. If a key for that address is
// already stored it returns ErrExists and leaves the file as it was.
func (s *Store) Import(k sig.PrivateKey) (address.Address, error) {
	a, err := k.Address()
	if err != nil {
		return address.Undef, fmt.Errorf("keystore: import: %w", err)
	}
	kf, err := seal(k, a, s.pass, s.n)
	if err != nil {
		return address.Undef, fmt.Errorf("keystore: import %s: %w", a, err)
	}
	data, err := encodeKeyFile(kf)
	if err != nil {
		return address.Undef, fmt.Errorf("keystore: import %s: %w", a, err)
	}
	p := s.path(a)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := os.Lstat(p); err == nil {
		return address.Undef, fmt.Errorf("keystore: import %s: %s: %w", a, p, ErrExists)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return address.Undef, fmt.Errorf("keystore: import %s: %w", a, err)
	}
	if err := atomicfile.WriteFile(p, data, 0o600); err != nil {
		return address.Undef, fmt.Errorf("keystore: write %s: %w", p, err)
	}
	syncDir(s.dir)
	s.cache[a] = k
	return a, nil
}

// ImportLotus stores the key in Lotus's exported form (what `lotus wallet
// export` prints and the devnet writes to <home>/keys/ADDR.key: hex of the
// KeyInfo JSON {"Type":"secp256k1"|"bls","PrivateKey":base64}); surrounding
// white space is ignored.
func (s *Store) ImportLotus(exported string) (address.Address, error) {
	k, err := ParseLotus(exported)
	if err != nil {
		return address.Undef, fmt.Errorf("keystore: import lotus key: %w", err)
	}
	return s.Import(k)
}

// ExportLotus returns a's key in Lotus's exported form (see ImportLotus).
func (s *Store) ExportLotus(a address.Address) (string, error) {
	k, err := s.Key(a)
	if err != nil {
		return "", err
	}
	return FormatLotus(k)
}

// List returns the stored addresses in string order. Files in the
// directory whose names are not <address>.key are ignored.
func (s *Store) List() ([]address.Address, error) {
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("keystore: list: %w", err)
	}
	var out []address.Address
	for _, e := range ents {
		a, ok := parseFileName(e.Name())
		if ok && e.Type().IsRegular() {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(x, y address.Address) int { return strings.Compare(x.String(), y.String()) })
	return out, nil
}

// parseFileName reports the address a file name <address>.key stands for;
// only canonical mainnet key addresses count.
func parseFileName(name string) (address.Address, bool) {
	base, ok := strings.CutSuffix(name, keySuffix)
	if !ok {
		return address.Undef, false
	}
	a, err := address.NewFromString(base)
	if err != nil || a.String() != base {
		return address.Undef, false
	}
	switch a.Protocol() {
	case address.SECP256K1, address.BLS:
		return a, true
	}
	return address.Undef, false
}

// Has reports whether a key file for a exists. It does not decrypt it.
func (s *Store) Has(a address.Address) bool {
	st, err := os.Lstat(s.path(a))
	return err == nil && st.Mode().IsRegular()
}

// Key returns a's private key, decrypting its file on first use and
// serving it from memory afterwards.
func (s *Store) Key(a address.Address) (sig.PrivateKey, error) {
	s.mu.Lock()
	k, ok := s.cache[a]
	s.mu.Unlock()
	if ok {
		return k, nil
	}
	p := s.path(a)
	data, err := readKeyFile(p)
	if err != nil {
		return nil, fmt.Errorf("keystore: key %s: %w", a, err)
	}
	kf, err := decodeKeyFile(data)
	if err != nil {
		return nil, fmt.Errorf("keystore: key file %s: %w", p, err)
	}
	if kf.addr != a {
		return nil, fmt.Errorf("keystore: key file %s holds address %s: %w", p, kf.addr, ErrCorrupt)
	}
	k, err = open(kf, s.pass)
	if err != nil {
		return nil, fmt.Errorf("keystore: key file %s: %w", p, err)
	}
	s.mu.Lock()
	s.cache[a] = k
	s.mu.Unlock()
	return k, nil
}

// readKeyFile reads path, refusing files larger than MaxFileSize and files
// open to group or others.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrNotFound)
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file: %w", path, ErrCorrupt)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%s has mode %04o, want 0600: %w", path, st.Mode().Perm(), ErrPermissions)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes: %w", path, MaxFileSize, ErrCorrupt)
	}
	return data, nil
}

// Delete removes a's key file (and the default, if it names a).
func (s *Store) Delete(a address.Address) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Remove(s.path(a)); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("keystore: delete %s: %w", a, ErrNotFound)
	} else if err != nil {
		return fmt.Errorf("keystore: delete %s: %w", a, err)
	}
	delete(s.cache, a)
	if d, err := s.readDefault(); err == nil && d == a {
		if err := os.Remove(filepath.Join(s.dir, defaultFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("keystore: delete %s: clear default: %w", a, err)
		}
	}
	syncDir(s.dir)
	return nil
}

// SetDefault makes a, which must be stored, the default address.
func (s *Store) SetDefault(a address.Address) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.Has(a) {
		return fmt.Errorf("keystore: set default %s: %w", a, ErrNotFound)
	}
	p := filepath.Join(s.dir, defaultFile)
	if err := atomicfile.WriteFile(p, []byte(a.String()+"\n"), 0o600); err != nil {
		return fmt.Errorf("keystore: write %s: %w", p, err)
	}
	syncDir(s.dir)
	return nil
}

// Default returns the default address; ErrNotFound if none is set or its
// key is gone.
func (s *Store) Default() (address.Address, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, err := s.readDefault()
	if err != nil {
		return address.Undef, fmt.Errorf("keystore: default: %w", err)
	}
	if !s.Has(a) {
		return address.Undef, fmt.Errorf("keystore: default %s: %w", a, ErrNotFound)
	}
	return a, nil
}

func (s *Store) readDefault() (address.Address, error) {
	p := filepath.Join(s.dir, defaultFile)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return address.Undef, fmt.Errorf("no default address set: %w", ErrNotFound)
	} else if err != nil {
		return address.Undef, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 256))
	if err != nil {
		return address.Undef, err
	}
	str := strings.TrimSpace(string(b))
	a, ok := parseFileName(str + keySuffix)
	if !ok {
		return address.Undef, fmt.Errorf("%s holds %.100q, not a key address: %w", p, str, ErrCorrupt)
	}
	return a, nil
}

// syncDir makes renames and removals in dir durable. It is best effort:
// the files themselves are already synced by atomicfile.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// typeName is the Lotus spelling of the key types a keystore holds.
func typeName(t sig.Type) (string, error) {
	switch t {
	case sig.Secp256k1, sig.BLS:
		return t.String(), nil
	}
	return "", fmt.Errorf("%w: %s (want secp256k1 or bls)", ErrUnknownKeyType, t)
}

func parseTypeName(s string) (sig.Type, error) {
	switch s {
	case "secp256k1":
		return sig.Secp256k1, nil
	case "bls":
		return sig.BLS, nil
	}
	return 0, fmt.Errorf("%w: %.40q (want secp256k1 or bls)", ErrUnknownKeyType, s)
}

// lotusKeyInfo is Lotus's KeyInfo (chain/types.KeyInfo).
type lotusKeyInfo struct {
	Type       string
	PrivateKey []byte
}

// ParseLotus decodes a key in Lotus's exported form (see
// Store.ImportLotus).
func ParseLotus(exported string) (sig.PrivateKey, error) {
	if len(exported) > MaxFileSize {
		return nil, fmt.Errorf("lotus key export is larger than %d bytes: %w", MaxFileSize, ErrCorrupt)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(exported))
	if err != nil {
		return nil, fmt.Errorf("lotus key export is not hex: %v: %w", err, ErrCorrupt)
	}
	var ki lotusKeyInfo
	if err := strictJSON(raw, &ki); err != nil {
		return nil, fmt.Errorf("lotus key export: %v: %w", err, ErrCorrupt)
	}
	t, err := parseTypeName(ki.Type)
	if err != nil {
		return nil, fmt.Errorf("lotus key export: %w", err)
	}
	k, err := sig.NewPrivateKey(t, ki.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("lotus key export: %s key of %d bytes: %v: %w", t, len(ki.PrivateKey), err, ErrCorrupt)
	}
	return k, nil
}

// FormatLotus encodes k in Lotus's exported form.
func FormatLotus(k sig.PrivateKey) (string, error) {
	t, err := typeName(k.Type())
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(lotusKeyInfo{Type: t, PrivateKey: k.Bytes()})
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// strictJSON decodes exactly one JSON value into v, refusing unknown
// fields and trailing data.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after JSON value")
	}
	return nil
}
