package keystore

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/scrypt"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/sig"
)

// Bounds on the scrypt parameters a key file may ask for. Decoding refuses
// anything beyond them so that a planted file cannot make Key allocate
// more than 128*maxScryptNR bytes (256 MiB) or spin for minutes.
const (
	maxScryptN  = 1 << 20
	maxScryptR  = 32
	maxScryptP  = 16
	maxScryptNR = 1 << 21
	minSaltSize = 16
	maxSaltSize = 64
)

// keyFile is the JSON form of a key file (see the package documentation).
type keyFile struct {
	Version    int
	Type       string
	Address    string
	KDF        kdf
	Nonce      []byte
	Ciphertext []byte

	// Filled in by decodeKeyFile.
	typ  sig.Type
	addr address.Address
}

type kdf struct {
	Name string
	N    int
	R    int
	P    int
	Salt []byte
}

func encodeKeyFile(kf *keyFile) ([]byte, error) {
	b, err := json.MarshalIndent(kf, "", "\t")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// decodeKeyFile parses and checks a key file without decrypting it. Every
// error wraps ErrCorrupt or ErrUnknownKeyType.
func decodeKeyFile(data []byte) (*keyFile, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("larger than %d bytes: %w", MaxFileSize, ErrCorrupt)
	}
	var kf keyFile
	if err := strictJSON(data, &kf); err != nil {
		return nil, fmt.Errorf("%v: %w", err, ErrCorrupt)
	}
	if kf.Version != version {
		return nil, fmt.Errorf("version %d, want %d: %w", kf.Version, version, ErrCorrupt)
	}
	t, err := parseTypeName(kf.Type)
	if err != nil {
		return nil, err
	}
	kf.typ = t
	a, err := address.NewFromString(kf.Address)
	if err != nil || a.String() != kf.Address {
		return nil, fmt.Errorf("address %.100q is not a canonical mainnet address: %w", kf.Address, ErrCorrupt)
	}
	if want := keyProtocol(t); a.Protocol() != want {
		return nil, fmt.Errorf("%s key with %s address %s: %w", t, a.Protocol(), a, ErrCorrupt)
	}
	kf.addr = a
	k := kf.KDF
	switch {
	case k.Name != "scrypt":
		return nil, fmt.Errorf("KDF %.40q, want scrypt: %w", k.Name, ErrCorrupt)
	case k.N < 2 || k.N&(k.N-1) != 0 || k.N > maxScryptN:
		return nil, fmt.Errorf("scrypt N %d is not a power of two in [2, %d]: %w", k.N, maxScryptN, ErrCorrupt)
	case k.R < 1 || k.R > maxScryptR || k.P < 1 || k.P > maxScryptP:
		return nil, fmt.Errorf("scrypt r=%d p=%d out of range [1, %d] and [1, %d]: %w", k.R, k.P, maxScryptR, maxScryptP, ErrCorrupt)
	case k.N*k.R > maxScryptNR:
		return nil, fmt.Errorf("scrypt N*r = %d needs more than %d MiB: %w", k.N*k.R, 128*maxScryptNR>>20, ErrCorrupt)
	case len(k.Salt) < minSaltSize || len(k.Salt) > maxSaltSize:
		return nil, fmt.Errorf("salt of %d bytes, want %d to %d: %w", len(k.Salt), minSaltSize, maxSaltSize, ErrCorrupt)
	case len(kf.Nonce) != chacha20poly1305.NonceSizeX:
		return nil, fmt.Errorf("nonce of %d bytes, want %d: %w", len(kf.Nonce), chacha20poly1305.NonceSizeX, ErrCorrupt)
	case len(kf.Ciphertext) != sig.PrivateKeyLength+chacha20poly1305.Overhead:
		return nil, fmt.Errorf("ciphertext of %d bytes, want %d: %w", len(kf.Ciphertext), sig.PrivateKeyLength+chacha20poly1305.Overhead, ErrCorrupt)
	}
	return &kf, nil
}

func keyProtocol(t sig.Type) address.Protocol {
	if t == sig.BLS {
		return address.BLS
	}
	return address.SECP256K1
}

// associatedData binds the file's version, type and address to the
// ciphertext.
func associatedData(typ string, a string) []byte {
	return fmt.Appendf(nil, "%s\x00%s\x00%s", ad, typ, a)
}

// seal encrypts k, whose address is a, under passphrase with scrypt cost n.
func seal(k sig.PrivateKey, a address.Address, passphrase []byte, n int) (*keyFile, error) {
	typ, err := typeName(k.Type())
	if err != nil {
		return nil, err
	}
	kf := &keyFile{
		Version: version,
		Type:    typ,
		Address: a.String(),
		KDF:     kdf{Name: "scrypt", N: n, R: scryptR, P: scryptP, Salt: make([]byte, saltSize)},
		Nonce:   make([]byte, chacha20poly1305.NonceSizeX),
		typ:     k.Type(),
		addr:    a,
	}
	if _, err := rand.Read(kf.KDF.Salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(kf.Nonce); err != nil {
		return nil, err
	}
	aead, err := kf.aead(passphrase)
	if err != nil {
		return nil, err
	}
	kf.Ciphertext = aead.Seal(nil, kf.Nonce, k.Bytes(), associatedData(kf.Type, kf.Address))
	return kf, nil
}

func (kf *keyFile) aead(passphrase []byte) (cipher.AEAD, error) {
	key, err := scrypt.Key(passphrase, kf.KDF.Salt, kf.KDF.N, kf.KDF.R, kf.KDF.P, chacha20poly1305.KeySize)
	if err != nil {
		return nil, fmt.Errorf("scrypt: %w", err)
	}
	return chacha20poly1305.NewX(key)
}

// open decrypts a decoded key file and checks that the key it holds has the
// file's address.
func open(kf *keyFile, passphrase []byte) (sig.PrivateKey, error) {
	aead, err := kf.aead(passphrase)
	if err != nil {
		return nil, err
	}
	b, err := aead.Open(nil, kf.Nonce, kf.Ciphertext, associatedData(kf.Type, kf.Address))
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	k, err := sig.NewPrivateKey(kf.typ, b)
	if err != nil {
		// Authenticated but invalid: written by a buggy or hostile writer
		// that knew the passphrase.
		return nil, fmt.Errorf("decrypted %s key is invalid: %v: %w", kf.typ, err, ErrCorrupt)
	}
	a, err := k.Address()
	if err != nil {
		return nil, fmt.Errorf("decrypted key has no address: %v: %w", err, ErrCorrupt)
	}
	if a != kf.addr {
		return nil, fmt.Errorf("decrypted key is %s's, file says %s: %w", a, kf.addr, ErrCorrupt)
	}
	return k, nil
}
