package wallet_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/ipfs/go-cid"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/sig"
	"github.com/strata-sp/strata/fil/types"
	"github.com/strata-sp/strata/wallet"
)

// addDecodeSeeds adds a request of every kind, valid and spoiled.
func addDecodeSeeds(f *testing.F) {
	f.Helper()
	from := keyAddress(f, testKey(f, sig.BLS, 9))
	m := serialize(f, testMessage(from, 3))
	deal := serialize(f, testProposal(f, from))
	ask := serialize(f, testAsk())
	uuid := mustHex(f, "6ba7b8109dad11d180b400c04fd430c8")

	f.Add(cborCID(f, m).Bytes(), string(wallet.MTChainMsg), m)
	f.Add(m, string(wallet.MTChainMsg), m)
	f.Add(cborCID(f, m).Bytes(), string(wallet.MTChainMsg), m[:len(m)-1])
	f.Add(deal, string(wallet.MTDealProposal), []byte(nil))
	f.Add(deal, string(wallet.MTDealProposal), deal)
	f.Add(deal[:len(deal)-1], string(wallet.MTDealProposal), []byte(nil))
	f.Add(ask, string(wallet.MTStorageAsk), []byte(nil))
	f.Add(ask, string(wallet.MTStorageAsk), ask)
	f.Add(uuid, string(wallet.MTDealStatusRequest), []byte(nil))
	f.Add(cborCID(f, deal).Bytes(), string(wallet.MTDealStatusRequest), []byte(nil))
	f.Add([]byte{0xde, 0xad, 0xbe, 0xef, 0x01}, string(wallet.MTDealStatusRequest), []byte(nil))
	f.Add([]byte("raw"), string(wallet.MTUnknown), []byte(nil))
	f.Add([]byte{}, string(wallet.MTUnknown), []byte(nil))
	f.Add([]byte("raw"), "bogus", []byte(nil))
}

// FuzzDecode checks that Decode never panics, that every refusal wraps
// ErrBadRequest, and that what it accepts is what the request says it is.
func FuzzDecode(f *testing.F) {
	addDecodeSeeds(f)
	f.Fuzz(func(t *testing.T, toSign []byte, kind string, extra []byte) {
		r, err := wallet.Decode(toSign, wallet.MsgMeta{Type: wallet.MsgType(kind), Extra: extra})
		if err != nil {
			if !errors.Is(err, wallet.ErrBadRequest) {
				t.Fatalf("error %v does not wrap ErrBadRequest", err)
			}
			if r != nil {
				t.Fatalf("request %+v returned with error %v", r, err)
			}
			return
		}
		checkRequest(t, r, toSign, kind, extra)
	})
}

// FuzzDecodeMessage explores chain messages: FuzzDecode cannot, since its
// toSign must be the blake2b hash of its extra, which no mutation finds.
// Here the bytes to sign are always the CID of the fuzzed CBOR.
func FuzzDecodeMessage(f *testing.F) {
	bls, secp := loadMessageVectors(f)
	for _, v := range append(bls, secp...) {
		if v.CBORHex != "" {
			f.Add(mustHex(f, v.CBORHex))
		}
	}
	from := keyAddress(f, testKey(f, sig.Secp256k1, 9))
	f.Add(serialize(f, testMessage(from, 1<<40)))
	f.Fuzz(func(t *testing.T, extra []byte) {
		toSign := types.CID(extra).Bytes()
		r, err := wallet.Decode(toSign, wallet.MsgMeta{Type: wallet.MTChainMsg, Extra: extra})
		if err != nil {
			if !errors.Is(err, wallet.ErrBadRequest) {
				t.Fatalf("error %v does not wrap ErrBadRequest", err)
			}
			return
		}
		checkRequest(t, r, toSign, string(wallet.MTChainMsg), extra)
	})
}

// checkRequest checks a request Decode accepted against its input.
func checkRequest(t *testing.T, r *wallet.Request, toSign []byte, kind string, extra []byte) {
	t.Helper()
	if r == nil {
		t.Fatal("nil request without error")
	}
	if string(r.Kind) != kind || !bytes.Equal(r.Data, toSign) {
		t.Fatalf("request kind %q data %x, want %q %x", r.Kind, r.Data, kind, toSign)
	}
	if len(toSign) == 0 || len(toSign) > wallet.MaxSignBytes || len(extra) > wallet.MaxSignBytes {
		t.Fatalf("accepted %d bytes to sign with %d of meta", len(toSign), len(extra))
	}
	switch wallet.MsgType(kind) {
	case wallet.MTChainMsg:
		if c := types.CID(extra); !bytes.Equal(c.Bytes(), toSign) || r.MessageCID != c {
			t.Fatalf("accepted toSign %x for a message whose CID is %s (MessageCID %s)", toSign, c, r.MessageCID)
		}
		if r.Message == nil {
			t.Fatal("chain message request without Message")
		}
		// The wallet signs CID(extra); the chain knows the message by
		// the CID of its serialisation. They must be the same bytes.
		if b := serialize(t, r.Message); !bytes.Equal(b, extra) {
			t.Fatalf("accepted Extra that is not the message's own CBOR:\nextra     %x\nmessage's %x\nso the wallet signs %s, the chain knows the message as %s",
				extra, b, types.CID(extra), types.CID(b))
		}
	case wallet.MTDealProposal:
		if len(extra) != 0 && !bytes.Equal(extra, toSign) {
			t.Fatalf("accepted Extra %x that differs from toSign %x", extra, toSign)
		}
		if r.Deal == nil {
			t.Fatal("deal proposal request without Deal")
		}
		// Amounts may arrive in non-minimal form (see
		// FuzzDecodeStorageAsk), so toSign need not be the proposal's
		// own CBOR; its re-encoding must be stable and no longer.
		b := serialize(t, r.Deal)
		back, err := types.DecodeDealProposal(b)
		if err != nil {
			t.Fatalf("re-encoded proposal %x does not decode: %v", b, err)
		}
		if again := serialize(t, back); !bytes.Equal(again, b) || len(b) > len(toSign) {
			t.Fatalf("proposal re-encoding is unstable: %x -> %x -> %x", toSign, b, again)
		}
	case wallet.MTStorageAsk:
		if len(extra) != 0 && !bytes.Equal(extra, toSign) {
			t.Fatalf("accepted Extra %x that differs from toSign %x", extra, toSign)
		}
		if r.Ask == nil {
			t.Fatal("storage ask request without Ask")
		}
		checkAskReencoding(t, toSign, r.Ask)
	case wallet.MTDealStatusRequest:
		if len(toSign) != 16 {
			if _, err := cid.Cast(toSign); err != nil {
				t.Fatalf("accepted %d bytes that are neither a UUID nor a CID: %x", len(toSign), toSign)
			}
		}
	case wallet.MTUnknown:
	default:
		t.Fatalf("accepted unknown kind %q", kind)
	}
}

// FuzzDecodeStorageAsk checks that DecodeStorageAsk never panics and that
// what it decodes re-encodes faithfully.
func FuzzDecodeStorageAsk(f *testing.F) {
	ask := serialize(f, testAsk())
	f.Add(ask)
	f.Add(ask[:len(ask)-1])
	a := testAsk()
	a.Price, a.VerifiedPrice, a.Timestamp = big.FromAttoFIL(-3), big.FromFIL(1), -1
	a.Miner = keyAddress(f, testKey(f, sig.BLS, 9))
	f.Add(serialize(f, a))
	f.Add([]byte{0x88, 0x41, 0x00, 0x43, 0x01, 0x00, 0x07, 0x00, 0x00, 0x42, 0x00, 0x01, 0x00, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := wallet.DecodeStorageAsk(b)
		if err != nil {
			if a != nil {
				t.Fatalf("ask %+v returned with error %v", a, err)
			}
			return
		}
		checkAskReencoding(t, b, a)
	})
}

// checkAskReencoding checks an ask decoded from b against b.
//
// The re-encoding need not be b itself: like go-state-types, fil/big
// decodes non-minimal amounts (a bare sign byte for zero, leading zero
// bytes, negative zero) to the value they denote and re-encodes them
// minimally. Every other field has one encoding (cbor-gen refuses
// non-minimal integer heads, addresses keep their bytes). So what holds is:
// the re-encoding is a fixed point, it is no longer than b, the amounts are
// equal in value, and everything after the amounts is byte for byte b's.
func checkAskReencoding(t *testing.T, b []byte, a *wallet.StorageAsk) {
	t.Helper()
	enc := serialize(t, a)
	back, err := wallet.DecodeStorageAsk(enc)
	if err != nil {
		t.Fatalf("re-encoded ask %x does not decode: %v", enc, err)
	}
	if again := serialize(t, back); !bytes.Equal(again, enc) {
		t.Fatalf("ask re-encoding is not a fixed point: %x -> %x", enc, again)
	}
	if len(enc) > len(b) {
		t.Fatalf("re-encoding %x is longer than the input %x", enc, b)
	}
	inPrice, inVerified, inRest := splitAsk(t, b)
	outPrice, outVerified, outRest := splitAsk(t, enc)
	if !bytes.Equal(inRest, outRest) {
		t.Fatalf("fields after the amounts changed:\n in %x\nout %x", inRest, outRest)
	}
	for _, p := range [][2][]byte{{inPrice, outPrice}, {inVerified, outVerified}} {
		x, errX := big.FromBytes(p[0])
		y, errY := big.FromBytes(p[1])
		if errX != nil || errY != nil || !x.Equals(y) {
			t.Fatalf("amount %x re-encoded as %x (%v, %v)", p[0], p[1], errX, errY)
		}
		if !minimalAmount(p[1]) {
			t.Fatalf("amount %x re-encoded non-minimally as %x", p[0], p[1])
		}
		if minimalAmount(p[0]) && !bytes.Equal(p[0], p[1]) {
			t.Fatalf("minimal amount %x re-encoded as %x", p[0], p[1])
		}
	}
}

// minimalAmount reports whether p is the one serialisation of its value:
// empty for zero, else a sign byte and a magnitude without leading zeros.
func minimalAmount(p []byte) bool {
	return len(p) == 0 || (len(p) > 1 && p[0] <= 1 && p[1] != 0)
}

// splitAsk splits a storage ask's CBOR into the payloads of its two amounts
// and the bytes of the six fields after them.
func splitAsk(t *testing.T, b []byte) (price, verified, rest []byte) {
	t.Helper()
	r := bytes.NewReader(b)
	cr := cbg.NewCborReader(r)
	if maj, n, err := cr.ReadHeader(); err != nil || maj != cbg.MajArray || n != 8 {
		t.Fatalf("ask %x: header %d %d %v", b, maj, n, err)
	}
	amount := func() []byte {
		maj, n, err := cr.ReadHeader()
		if err != nil || maj != cbg.MajByteString {
			t.Fatalf("ask %x: amount header %d %d %v", b, maj, n, err)
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(cr, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	price, verified = amount(), amount()
	rest, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return price, verified, rest
}
