package wallet_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
	cbg "github.com/whyrusleeping/cbor-gen"
	"golang.org/x/crypto/blake2b"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/sig"
	"github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/internal/testvectors"
	"github.com/strata-sp/strata/wallet"
	"github.com/strata-sp/strata/wallet/keystore"
)

// testKey is a deterministic key of type typ.
func testKey(t testing.TB, typ sig.Type, seed byte) sig.PrivateKey {
	t.Helper()
	k, err := sig.GenerateKey(typ, rand.NewChaCha8([32]byte{seed, byte(typ)}))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func keyAddress(t testing.TB, k sig.PrivateKey) address.Address {
	t.Helper()
	a, err := k.Address()
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func serialize(t testing.TB, v interface{ Serialize() ([]byte, error) }) []byte {
	t.Helper()
	b, err := v.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
	return b
}

// cborCID computes a chain object's CID (CIDv1, dag-cbor, blake2b-256)
// without fil/types, so that a test of Decode does not check fil/types
// against itself.
func cborCID(t testing.TB, b []byte) cid.Cid {
	t.Helper()
	sum := blake2b.Sum256(b)
	mh, err := multihash.Encode(sum[:], multihash.BLAKE2B_MIN+31)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(cid.DagCBOR, mh)
}

// openStore opens a keystore with the cheap scrypt cost tests use.
func openStore(t testing.TB, dir string) *keystore.Store {
	t.Helper()
	s, err := keystore.OpenOptions(dir, []byte("pw"), keystore.Options{ScryptN: 1 << 10})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// localWith returns a Local over a fresh keystore holding keys. The keys are
// imported through one Store and signed with through another opened on the
// same directory, so signing decrypts them from disk rather than using the
// importing Store's cache.
func localWith(t testing.TB, keys ...sig.PrivateKey) wallet.Local {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "keys")
	imp := openStore(t, dir)
	for _, k := range keys {
		if _, err := imp.Import(k); err != nil {
			t.Fatal(err)
		}
	}
	return wallet.Local{Keys: openStore(t, dir)}
}

func testMessage(from address.Address, nonce uint64) *types.Message {
	return &types.Message{
		To:         address.MustParse("f01000"),
		From:       from,
		Nonce:      nonce,
		Value:      big.FromAttoFIL(0),
		GasLimit:   1_000_000_000,
		GasFeeCap:  big.FromAttoFIL(100_000),
		GasPremium: big.FromAttoFIL(99_000),
		Method:     28,
		Params:     []byte{0x81, 0x80},
	}
}

func testProposal(t testing.TB, client address.Address) *types.DealProposal {
	t.Helper()
	label, err := types.NewLabelFromString("bafk-label")
	if err != nil {
		t.Fatal(err)
	}
	return &types.DealProposal{
		PieceCID:             cborCID(t, []byte("piece")),
		PieceSize:            2048,
		VerifiedDeal:         true,
		Client:               client,
		Provider:             address.MustParse("f01000"),
		Label:                label,
		StartEpoch:           100,
		EndEpoch:             600_100,
		StoragePricePerEpoch: big.FromAttoFIL(7),
		ProviderCollateral:   big.FromAttoFIL(1_000),
		ClientCollateral:     big.FromAttoFIL(0),
	}
}

func testAsk() *wallet.StorageAsk {
	return &wallet.StorageAsk{
		Price:         big.FromAttoFIL(500_000_000),
		VerifiedPrice: big.FromAttoFIL(0),
		MinPieceSize:  256,
		MaxPieceSize:  32 << 30,
		Miner:         address.MustParse("f01000"),
		Timestamp:     3_000_000,
		Expiry:        3_100_000,
		SeqNo:         4,
	}
}

// messageRequest returns the bytes to sign and the meta of a chain message.
func messageRequest(t testing.TB, m *types.Message) ([]byte, wallet.MsgMeta) {
	t.Helper()
	b := serialize(t, m)
	return cborCID(t, b).Bytes(), wallet.MsgMeta{Type: wallet.MTChainMsg, Extra: b}
}

func TestDecode_ChainMessage(t *testing.T) {
	from := keyAddress(t, testKey(t, sig.BLS, 1))
	m := testMessage(from, 7)
	toSign, meta := messageRequest(t, m)
	r, err := wallet.Decode(toSign, meta)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if r.Kind != wallet.MTChainMsg || !bytes.Equal(r.Data, toSign) {
		t.Errorf("Kind %q Data %x, want %q %x", r.Kind, r.Data, wallet.MTChainMsg, toSign)
	}
	if r.Message == nil {
		t.Fatal("no Message")
	}
	got := r.Message
	if got.To != m.To || got.From != from || got.Nonce != 7 || got.Method != 28 ||
		!got.Value.Equals(m.Value.Int) || got.GasLimit != m.GasLimit ||
		!got.GasFeeCap.Equals(m.GasFeeCap.Int) || !got.GasPremium.Equals(m.GasPremium.Int) ||
		!bytes.Equal(got.Params, m.Params) {
		t.Errorf("Message %+v, want %+v", got, m)
	}
	if want := cborCID(t, meta.Extra); r.MessageCID != want {
		t.Errorf("MessageCID %s, want %s", r.MessageCID, want)
	}
	if c, err := m.Cid(); err != nil || r.MessageCID != c {
		t.Errorf("MessageCID %s, want the message's Cid() %s (%v)", r.MessageCID, c, err)
	}
	if r.Deal != nil || r.Ask != nil {
		t.Errorf("a chain message request has Deal %v Ask %v", r.Deal, r.Ask)
	}
}

func TestDecode_DealProposal(t *testing.T) {
	client := keyAddress(t, testKey(t, sig.Secp256k1, 1))
	p := testProposal(t, client)
	b := serialize(t, p)
	for _, extra := range [][]byte{nil, b} {
		r, err := wallet.Decode(b, wallet.MsgMeta{Type: wallet.MTDealProposal, Extra: extra})
		if err != nil {
			t.Fatalf("Decode with %d bytes of Extra: %v", len(extra), err)
		}
		if r.Deal == nil || r.Message != nil || r.Ask != nil {
			t.Fatalf("request %+v: want only Deal", r)
		}
		if r.Deal.Client != client || r.Deal.Provider != p.Provider || r.Deal.PieceCID != p.PieceCID ||
			r.Deal.EndEpoch != p.EndEpoch || !r.Deal.Label.Equals(p.Label) {
			t.Errorf("Deal %+v, want %+v", r.Deal, p)
		}
	}
}

func TestStorageAsk_RoundTrip(t *testing.T) {
	a := testAsk()
	var buf bytes.Buffer
	if err := a.MarshalCBOR(&buf); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if b[0] != 0x88 {
		t.Errorf("ask CBOR starts %02x, want 88 (an array of 8)", b[0])
	}
	if s := serialize(t, a); !bytes.Equal(s, b) {
		t.Errorf("Serialize %x, MarshalCBOR %x", s, b)
	}
	back, err := wallet.DecodeStorageAsk(b)
	if err != nil {
		t.Fatalf("DecodeStorageAsk: %v", err)
	}
	if !back.Price.Equals(a.Price.Int) || !back.VerifiedPrice.Equals(a.VerifiedPrice.Int) ||
		back.MinPieceSize != a.MinPieceSize || back.MaxPieceSize != a.MaxPieceSize || back.Miner != a.Miner ||
		back.Timestamp != a.Timestamp || back.Expiry != a.Expiry || back.SeqNo != a.SeqNo {
		t.Errorf("decoded %+v, want %+v", back, a)
	}
	if got := serialize(t, back); !bytes.Equal(got, b) {
		t.Errorf("decoded ask re-encodes as %x, want %x", got, b)
	}
	// Negative timestamps encode as CBOR negative integers and come back.
	a.Timestamp, a.Expiry = -5, -1
	neg, err := wallet.DecodeStorageAsk(serialize(t, a))
	if err != nil || neg.Timestamp != -5 || neg.Expiry != -1 {
		t.Errorf("negative times came back as %+v (%v)", neg, err)
	}

	r, err := wallet.Decode(b, wallet.MsgMeta{Type: wallet.MTStorageAsk})
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if r.Ask == nil || r.Ask.Miner != a.Miner || r.Ask.SeqNo != a.SeqNo || r.Deal != nil || r.Message != nil {
		t.Errorf("request %+v: want only an Ask for %s", r, a.Miner)
	}

	for _, n := range []int{0, 1, len(b) / 2, len(b) - 1} {
		if _, err := wallet.DecodeStorageAsk(b[:n]); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("DecodeStorageAsk of %d of %d bytes = %v, want io.ErrUnexpectedEOF", n, len(b), err)
		}
	}
	if _, err := wallet.DecodeStorageAsk(append(bytes.Clone(b), 0)); !errors.Is(err, types.ErrTrailingBytes) {
		t.Errorf("DecodeStorageAsk with a trailing byte = %v, want ErrTrailingBytes", err)
	}
}

func TestDecode_DealStatusRequest(t *testing.T) {
	uuid := mustHex(t, "6ba7b8109dad11d180b400c04fd430c8")
	propCID := cborCID(t, serialize(t, testProposal(t, address.MustParse("f01001"))))
	var tagged bytes.Buffer
	if err := cbg.WriteCid(&tagged, propCID); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"uuid": uuid, "CBOR of a proposal CID": tagged.Bytes()} {
		r, err := wallet.Decode(b, wallet.MsgMeta{Type: wallet.MTDealStatusRequest})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if r.Kind != wallet.MTDealStatusRequest || !bytes.Equal(r.Data, b) {
			t.Errorf("%s: request %+v", name, r)
		}
	}
	// Bare CID bytes are refused: a message's CID looks just like a
	// proposal's, and signing it would sign the message.
	if _, err := wallet.Decode(propCID.Bytes(), wallet.MsgMeta{Type: wallet.MTDealStatusRequest}); !errors.Is(err, wallet.ErrBadRequest) {
		t.Errorf("bare CID bytes as a status request = %v, want ErrBadRequest", err)
	}
	five := []byte{0xde, 0xad, 0xbe, 0xef, 0x01}
	if _, err := cid.Cast(five); err == nil {
		t.Fatalf("test bytes %x are a CID; pick others", five)
	}
	_, err := wallet.Decode(five, wallet.MsgMeta{Type: wallet.MTDealStatusRequest})
	if !errors.Is(err, wallet.ErrBadRequest) || !strings.Contains(err.Error(), "got 5 bytes") {
		t.Errorf("5 bytes = %v, want ErrBadRequest saying it got 5 bytes", err)
	}
}

func TestDecode_Unknown(t *testing.T) {
	for _, n := range []int{1, 32, wallet.MaxSignBytes} {
		b := bytes.Repeat([]byte{0xab}, n)
		r, err := wallet.Decode(b, wallet.MsgMeta{Type: wallet.MTUnknown})
		if err != nil {
			t.Errorf("%d raw bytes: %v", n, err)
			continue
		}
		if r.Kind != wallet.MTUnknown || r.Message != nil || r.Deal != nil || r.Ask != nil {
			t.Errorf("%d raw bytes: request %+v", n, r)
		}
	}
}

func TestDecode_Refusals(t *testing.T) {
	from := keyAddress(t, testKey(t, sig.Secp256k1, 2))
	m := serialize(t, testMessage(from, 1))
	other := serialize(t, testMessage(from, 2))
	mCID := cborCID(t, m).Bytes()
	withTrailing := append(bytes.Clone(m), 0x00)
	truncated := m[:len(m)-3]
	v1 := testMessage(from, 1)
	v1.Version = 1
	v1b := serialize(t, v1)
	deal := serialize(t, testProposal(t, from))
	ask := serialize(t, testAsk())
	tooBig := bytes.Repeat([]byte{1}, wallet.MaxSignBytes+1)

	tests := []struct {
		name   string
		toSign []byte
		meta   wallet.MsgMeta
		want   string // in the error text
		is     error  // also wrapped, when set
	}{
		{"CID of another message", cborCID(t, other).Bytes(), wallet.MsgMeta{Type: wallet.MTChainMsg, Extra: m},
			"not the CID of the message in meta.Extra", nil},
		{"raw CBOR instead of the CID", m, wallet.MsgMeta{Type: wallet.MTChainMsg, Extra: m},
			"not the CID of the message in meta.Extra", nil},
		{"Extra nil", mCID, wallet.MsgMeta{Type: wallet.MTChainMsg},
			"must come with its CBOR in meta.Extra", nil},
		{"Extra empty", mCID, wallet.MsgMeta{Type: wallet.MTChainMsg, Extra: []byte{}},
			"must come with its CBOR in meta.Extra", nil},
		{"Extra garbage", mCID, wallet.MsgMeta{Type: wallet.MTChainMsg, Extra: []byte{0xff, 0x00, 0x13}},
			"meta.Extra is not a chain message", nil},
		{"Extra truncated", cborCID(t, truncated).Bytes(), wallet.MsgMeta{Type: wallet.MTChainMsg, Extra: truncated},
			"meta.Extra is not a chain message", io.ErrUnexpectedEOF},
		{"Extra with trailing bytes", cborCID(t, withTrailing).Bytes(), wallet.MsgMeta{Type: wallet.MTChainMsg, Extra: withTrailing},
			"meta.Extra is not a chain message", types.ErrTrailingBytes},
		{"Extra a deal proposal", cborCID(t, deal).Bytes(), wallet.MsgMeta{Type: wallet.MTChainMsg, Extra: deal},
			"meta.Extra is not a chain message", types.ErrFieldCount},
		{"message version 1", cborCID(t, v1b).Bytes(), wallet.MsgMeta{Type: wallet.MTChainMsg, Extra: v1b},
			"meta.Extra is not a chain message", types.ErrMessageVersion},
		{"toSign nil", nil, wallet.MsgMeta{Type: wallet.MTUnknown}, "nothing to sign", nil},
		{"toSign empty message", []byte{}, wallet.MsgMeta{Type: wallet.MTChainMsg, Extra: m}, "nothing to sign", nil},
		{"toSign over MaxSignBytes", tooBig, wallet.MsgMeta{Type: wallet.MTUnknown},
			"1048577 bytes to sign with 0 bytes of meta; the limit is 1048576", nil},
		{"Extra over MaxSignBytes", mCID, wallet.MsgMeta{Type: wallet.MTChainMsg, Extra: tooBig},
			"38 bytes to sign with 1048577 bytes of meta; the limit is 1048576", nil},
		{"unknown kind", mCID, wallet.MsgMeta{Type: "bogus", Extra: m}, `unknown kind "bogus"`, nil},
		{"empty kind", mCID, wallet.MsgMeta{Extra: m}, `unknown kind ""`, nil},
		{"kind in another case", mCID, wallet.MsgMeta{Type: "Message", Extra: m}, `unknown kind "Message"`, nil},
		{"deal proposal that is a message", m, wallet.MsgMeta{Type: wallet.MTDealProposal},
			"not a deal proposal", types.ErrFieldCount},
		{"deal proposal truncated", deal[:len(deal)-1], wallet.MsgMeta{Type: wallet.MTDealProposal},
			"not a deal proposal", io.ErrUnexpectedEOF},
		{"deal proposal with trailing bytes", append(bytes.Clone(deal), 0x01), wallet.MsgMeta{Type: wallet.MTDealProposal},
			"not a deal proposal", types.ErrTrailingBytes},
		{"deal proposal with other Extra", deal, wallet.MsgMeta{Type: wallet.MTDealProposal, Extra: m},
			"meta.Extra differs from the bytes to sign", nil},
		{"storage ask truncated", ask[:len(ask)-2], wallet.MsgMeta{Type: wallet.MTStorageAsk},
			"not a storage ask", io.ErrUnexpectedEOF},
		{"storage ask that is a deal", deal, wallet.MsgMeta{Type: wallet.MTStorageAsk},
			"not a storage ask", types.ErrFieldCount},
		{"storage ask with other Extra", ask, wallet.MsgMeta{Type: wallet.MTStorageAsk, Extra: deal},
			"meta.Extra differs from the bytes to sign", nil},
		{"status request of 17 bytes", bytes.Repeat([]byte{0x80}, 17), wallet.MsgMeta{Type: wallet.MTDealStatusRequest},
			"got 17 bytes that are neither", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := wallet.Decode(tt.toSign, tt.meta)
			if err == nil {
				t.Fatalf("accepted: %+v", r)
			}
			if r != nil {
				t.Errorf("returned a request %+v with error %v", r, err)
			}
			if !errors.Is(err, wallet.ErrBadRequest) {
				t.Errorf("error %v does not wrap ErrBadRequest", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
		})
	}
}

func TestMsgType_Valid(t *testing.T) {
	for _, k := range []wallet.MsgType{wallet.MTChainMsg, wallet.MTDealProposal, wallet.MTStorageAsk, wallet.MTDealStatusRequest, wallet.MTUnknown} {
		if !k.Valid() {
			t.Errorf("%q is not Valid", k)
		}
	}
	for _, k := range []wallet.MsgType{"", "Message", "bogus", "message "} {
		if k.Valid() {
			t.Errorf("%q is Valid", k)
		}
	}
}

// messageVector is one entry of the "bls" or "secp256k1" lists of
// ../shared/vectors/messages.json. Not every entry has every field: the
// second BLS entry has no cbor_hex, the first secp256k1 entry no cid, and
// the second secp256k1 entry its signature in base64 and the CID of the
// signed message instead.
type messageVector struct {
	Message          json.RawMessage `json:"message"`
	CBORHex          string          `json:"cbor_hex"`
	CID              string          `json:"cid"`
	PrivateKeyLE     string          `json:"private_key_le_hex"`
	PrivateKey       string          `json:"private_key_hex"`
	Address          string          `json:"address"`
	SignatureHex     string          `json:"signature_hex"`
	SignatureBase64  string          `json:"signature_base64"`
	SignedMessageCID string          `json:"signed_message_cid"`
}

func loadMessageVectors(t testing.TB) (bls, secp []messageVector) {
	t.Helper()
	raw, err := os.ReadFile(testvectors.Path(t, "messages.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		BLS       []messageVector `json:"bls"`
		Secp256k1 []messageVector `json:"secp256k1"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if len(file.BLS) == 0 || len(file.Secp256k1) == 0 {
		t.Fatal("messages.json: missing bls or secp256k1 vectors")
	}
	return file.BLS, file.Secp256k1
}

// key returns the vector's private key: BLS keys are stored little-endian,
// as Lotus's KeyInfo holds them, which is what sig.NewPrivateKey takes.
func (v messageVector) key(t testing.TB) sig.PrivateKey {
	t.Helper()
	typ, hx := sig.Secp256k1, v.PrivateKey
	if v.PrivateKeyLE != "" {
		typ, hx = sig.BLS, v.PrivateKeyLE
	}
	k, err := sig.NewPrivateKey(typ, mustHex(t, hx))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func (v messageVector) signature(t testing.TB) []byte {
	t.Helper()
	if v.SignatureBase64 != "" {
		b, err := base64.StdEncoding.DecodeString(v.SignatureBase64)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return mustHex(t, v.SignatureHex)
}

// TestSignMessage_Vectors signs every message vector through SignMessage and
// a Local over a real keystore, so the whole path (message JSON, CBOR, CID,
// Decode's check, key storage, signing) is held to the published values.
func TestSignMessage_Vectors(t *testing.T) {
	bls, secp := loadMessageVectors(t)
	vectors := map[string][]messageVector{"bls": bls, "secp256k1": secp}
	for kind, list := range vectors {
		for i, v := range list {
			t.Run(kind+"/"+string(rune('0'+i)), func(t *testing.T) {
				var m types.Message
				if err := json.Unmarshal(v.Message, &m); err != nil {
					t.Fatalf("message JSON: %v", err)
				}
				b := serialize(t, &m)
				if v.CBORHex != "" && !bytes.Equal(b, mustHex(t, v.CBORHex)) {
					t.Errorf("CBOR\n got %x\nwant %s", b, v.CBORHex)
				}
				c, err := m.Cid()
				if err != nil {
					t.Fatal(err)
				}
				if v.CID != "" {
					if c.String() != v.CID {
						t.Errorf("CID %s, want %s", c, v.CID)
					}
				} else if want := cborCID(t, b); c != want {
					t.Errorf("CID %s, want %s computed from the CBOR", c, want)
				}

				k := v.key(t)
				addr := keyAddress(t, k)
				if addr != m.From {
					t.Fatalf("key address %s, message From %s", addr, m.From)
				}
				if v.Address != "" && addr != address.MustParse(v.Address) {
					t.Errorf("key address %s, want %s", addr, v.Address)
				}
				// In process, and through the wallet service over JSON-RPC
				// with a scoped token.
				for _, signer := range []wallet.Signer{localWith(t, k), remoteWith(t, k)} {
					if ok, err := signer.Has(context.Background(), addr); err != nil || !ok {
						t.Fatalf("%T: Has(%s) = %v, %v", signer, addr, ok, err)
					}
					sm, err := wallet.SignMessage(context.Background(), signer, &m)
					if err != nil {
						t.Fatalf("%T: SignMessage: %v", signer, err)
					}
					if want := k.Type(); sm.Signature.Type != want {
						t.Errorf("signature type %s, want %s", sm.Signature.Type, want)
					}
					if err := sig.Verify(sm.Signature, m.From, c.Bytes()); err != nil {
						t.Errorf("signature does not verify over the CID: %v", err)
					}
					if err := sm.VerifySignature(m.From); err != nil {
						t.Errorf("VerifySignature: %v", err)
					}
					// Both schemes are deterministic (BLS by construction,
					// secp256k1 by RFC 6979), so the signature must be the
					// published one byte for byte.
					if want := v.signature(t); !bytes.Equal(sm.Signature.Data, want) {
						t.Errorf("%T: signature\n got %x\nwant %x", signer, sm.Signature.Data, want)
					}
					if v.SignedMessageCID != "" {
						if sc, err := sm.Cid(); err != nil || sc.String() != v.SignedMessageCID {
							t.Errorf("signed message CID %s, want %s (%v)", sc, v.SignedMessageCID, err)
						}
					}
					if got := serialize(t, &sm.Message); !bytes.Equal(got, b) {
						t.Errorf("SignMessage changed the message: %x, want %x", got, b)
					}
				}
			})
		}
	}
}

func TestLocal_Sign(t *testing.T) {
	ctx := context.Background()
	k := testKey(t, sig.Secp256k1, 3)
	addr := keyAddress(t, k)
	local := localWith(t, k)

	toSign, meta := messageRequest(t, testMessage(addr, 1))
	s, err := local.Sign(ctx, addr, toSign, meta)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if err := sig.Verify(*s, addr, toSign); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}

	other, _ := messageRequest(t, testMessage(addr, 2))
	s, err = local.Sign(ctx, addr, other, meta)
	if !errors.Is(err, wallet.ErrBadRequest) || s != nil {
		t.Errorf("Sign of another message's CID = %v, %v; want ErrBadRequest and no signature", s, err)
	}

	nokey := keyAddress(t, testKey(t, sig.BLS, 3))
	if ok, err := local.Has(ctx, nokey); err != nil || ok {
		t.Errorf("Has(%s) = %v, %v; want false", nokey, ok, err)
	}
	s, err = local.Sign(ctx, nokey, []byte("raw"), wallet.MsgMeta{Type: wallet.MTUnknown})
	if !errors.Is(err, keystore.ErrNotFound) || s != nil {
		t.Errorf("Sign with %s, which has no key = %v, %v; want keystore.ErrNotFound", nokey, s, err)
	}
	_, err = wallet.SignMessage(ctx, local, testMessage(nokey, 1))
	if !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("SignMessage from %s, which has no key = %v; want keystore.ErrNotFound", nokey, err)
	}
}

func TestLocal_SignDealProposal(t *testing.T) {
	for _, typ := range []sig.Type{sig.Secp256k1, sig.BLS} {
		t.Run(typ.String(), func(t *testing.T) {
			k := testKey(t, typ, 4)
			client := keyAddress(t, k)
			p := testProposal(t, client)
			cdp, err := wallet.SignDealProposal(context.Background(), localWith(t, k), p)
			if err != nil {
				t.Fatalf("SignDealProposal: %v", err)
			}
			if err := cdp.VerifySignature(client); err != nil {
				t.Errorf("VerifySignature: %v", err)
			}
			if err := sig.Verify(cdp.ClientSignature, client, serialize(t, p)); err != nil {
				t.Errorf("the signature is not over the proposal's CBOR: %v", err)
			}
			if !bytes.Equal(serialize(t, &cdp.Proposal), serialize(t, p)) {
				t.Error("the signed proposal differs from the one given")
			}
			stranger := keyAddress(t, testKey(t, typ, 5))
			if err := cdp.VerifySignature(stranger); !errors.Is(err, sig.ErrVerify) {
				t.Errorf("VerifySignature by %s = %v, want sig.ErrVerify", stranger, err)
			}
		})
	}
}
