package piece

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	mh "github.com/multiformats/go-multihash"

	"github.com/strata-sp/strata/internal/testvectors"
)

func mustHex32(t *testing.T, s string) [32]byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		t.Fatalf("bad 32-byte hex %q: %v", s, err)
	}
	return [32]byte(b)
}

func mustUint(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestVectors_PieceCIDv2 runs every row of piece_cid_v2.csv (FRC-0069,
// go-fil-commcid) through both conversions.
func TestVectors_PieceCIDv2(t *testing.T) {
	rows := testvectors.Rows(t, "piece_cid_v2.csv", ",")
	for _, r := range rows {
		payload := mustUint(t, r[1])
		comm := mustHex32(t, r[2])
		wantV1, wantV2 := r[3], r[4]
		t.Run(r[0], func(t *testing.T) {
			if got := CIDv1(comm).String(); got != wantV1 {
				t.Errorf("CIDv1 = %s, want %s", got, wantV1)
			}
			v2, err := CIDv2(comm, payload)
			if err != nil || v2.String() != wantV2 {
				t.Fatalf("CIDv2 = %s, %v; want %s", v2, err, wantV2)
			}
			v1, err := Parse(wantV1)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := ToV2(v1, payload); err != nil || got.String() != wantV2 {
				t.Errorf("ToV2 = %s, %v; want %s", got, err, wantV2)
			}
			parsed, err := Parse(wantV2)
			if err != nil {
				t.Fatal(err)
			}
			back, size, err := ToV1(parsed)
			if err != nil || back.String() != wantV1 {
				t.Errorf("ToV1 = %s, %v; want %s", back, err, wantV1)
			}
			if want, _ := PaddedSizeFor(payload); size != want {
				t.Errorf("ToV1 size = %d, want %d", size, want)
			}
			v, err := DecodeV2(parsed)
			if err != nil || v.PayloadSize() != payload || v.CommP != comm {
				t.Errorf("DecodeV2 = %+v, %v; want payload %d", v, err, payload)
			}
		})
	}
	t.Logf("%d rows", len(rows))
}

// TestPieceCIDv2_FRC covers the FRC-0069 test cases that are not in the CSV.
func TestPieceCIDv2_FRC(t *testing.T) {
	z2 := mustHex32(t, "3731bb99ac689f66eef5973e4a94da188f4ddcae580724fc6f3fd60dfd488333")
	z30 := mustHex32(t, "077e5fde35c50a9303a55009e3498a4ebedff39c42b710b730d8ec7ac7afa63e")
	z31 := mustHex32(t, "e64005a6bfe3777953b8ad6ef93f0fca1049b2041654f2a411f7702799cece02")
	for _, tc := range []struct {
		name    string
		comm    [32]byte
		payload uint64
		want    string
	}{
		{"empty payload pads to 127", z2, 0, "bafkzcibcp4bdomn3tgwgrh3g532zopskstnbrd2n3sxfqbze7rxt7vqn7veigmy"},
		{"empty 32 GiB piece", z30, 32 << 30 / 128 * 127, "bafkzcibcaapao7s73y24kcutaosvacpdjgfe5pw76ooefnyqw4ynr3d2y6x2mpq"},
		{"empty 64 GiB piece", z31, 64 << 30 / 128 * 127, "bafkzcibcaap6mqafu276g53zko4k23xzh4h4uecjwicbmvhsuqi7o4bhthhm4aq"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := CIDv2(tc.comm, tc.payload)
			if err != nil || c.String() != tc.want {
				t.Fatalf("CIDv2 = %s, %v; want %s", c, err, tc.want)
			}
			v, err := DecodeV2(c)
			if err != nil || v.PayloadSize() != tc.payload {
				t.Fatalf("DecodeV2 = %+v, %v", v, err)
			}
		})
	}
}

// TestV2_HeightAndPadding is commcid TestTreeHeight (primitives.md §2.4).
func TestV2_HeightAndPadding(t *testing.T) {
	for _, tc := range []struct {
		payload uint64
		height  uint8
		padding uint64
	}{
		{127, 2, 0},
		{508, 4, 0},
		{512, 5, 504},
		{1 << 35, 31, 33822867456},
		{32 << 30 / 128 * 127, 30, 0},
		{64 << 30 / 128 * 127, 31, 0},
		{0, 2, 127},
		{1, 2, 126},
		{128, 3, 126},
	} {
		v, err := NewV2([32]byte{}, tc.payload)
		if err != nil || v.Height != tc.height || v.Padding != tc.padding {
			t.Errorf("NewV2(%d) = height %d padding %d, %v; want %d, %d", tc.payload, v.Height, v.Padding, err, tc.height, tc.padding)
		}
		if err := v.Validate(); err != nil {
			t.Errorf("NewV2(%d) does not validate: %v", tc.payload, err)
		}
	}
}

func TestSizes(t *testing.T) {
	for _, p := range []PaddedSize{128, 256, 2048, 8 << 20, 32 << 30, 64 << 30, MaxPaddedSize} {
		if err := p.Validate(); err != nil {
			t.Errorf("%d: %v", p, err)
		}
		u := p.Unpadded()
		if err := u.Validate(); err != nil {
			t.Errorf("%d unpadded %d: %v", p, u, err)
		}
		if u.Padded() != p || uint64(u) != uint64(p)/128*127 {
			t.Errorf("%d -> %d -> %d", p, u, u.Padded())
		}
		if got, _ := PaddedSizeFor(uint64(u)); got != p {
			t.Errorf("PaddedSizeFor(%d) = %d, want %d", u, got, p)
		}
		if PaddedSize(32)<<p.Height() != p {
			t.Errorf("%d: height %d", p, p.Height())
		}
	}
	for _, p := range []PaddedSize{0, 1, 64, 127, 129, 384, 1000, 3 << 30} {
		if err := p.Validate(); !errors.Is(err, ErrInvalidSize) {
			t.Errorf("PaddedSize(%d).Validate() = %v, want ErrInvalidSize", p, err)
		}
	}
	for _, u := range []UnpaddedSize{0, 126, 128, 254 + 127, 127 * 3, 127 * 6, UnpaddedSize(MaxPayload) * 2} {
		if err := u.Validate(); !errors.Is(err, ErrInvalidSize) {
			t.Errorf("UnpaddedSize(%d).Validate() = %v, want ErrInvalidSize", u, err)
		}
	}
	if err := PaddedSize(384).Validate(); err == nil || !strings.Contains(err.Error(), "not a power of two") {
		t.Errorf("error %q does not name the problem", err)
	}
	for _, tc := range []struct {
		payload uint64
		want    PaddedSize
	}{{0, 128}, {1, 128}, {65, 128}, {127, 128}, {128, 256}, {254, 256}, {255, 512}, {1016, 1024}, {1017, 2048},
		{1040384, 1 << 20}, {1040385, 2 << 20}, {34091302912, 32 << 30}, {34359738368, 64 << 30}, {MaxPayload, MaxPaddedSize}} {
		if got, err := PaddedSizeFor(tc.payload); err != nil || got != tc.want {
			t.Errorf("PaddedSizeFor(%d) = %d, %v; want %d", tc.payload, got, err, tc.want)
		}
	}
	if _, err := PaddedSizeFor(MaxPayload + 1); !errors.Is(err, ErrInvalidSize) {
		t.Errorf("PaddedSizeFor(MaxPayload+1) = %v", err)
	}
}

func TestCIDBytes(t *testing.T) {
	var comm [32]byte
	for i := range comm {
		comm[i] = byte(i)
	}
	if got, want := CIDv1(comm).Bytes(), append([]byte{0x01, 0x81, 0xe2, 0x03, 0x92, 0x20, 0x20}, comm[:]...); !bytes.Equal(got, want) {
		t.Errorf("v1 bytes %x, want %x", got, want)
	}
	if got, want := SealedCID(comm).Bytes(), append([]byte{0x01, 0x82, 0xe2, 0x03, 0x81, 0xe8, 0x02, 0x20}, comm[:]...); !bytes.Equal(got, want) {
		t.Errorf("sealed bytes %x, want %x", got, want)
	}
	v2, err := CIDv2(comm, 508)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v2.Bytes(), append([]byte{0x01, 0x55, 0x91, 0x20, 0x22, 0x00, 0x04}, comm[:]...); !bytes.Equal(got, want) {
		t.Errorf("v2 bytes %x, want %x", got, want)
	}
}

func TestSealedCID(t *testing.T) {
	const s = "bagboea4b5abcatlxechwbp7kjpjguna6r6q7ejrhe6mdp3lf34pmswn27pkkieka" // lotus itests/kit
	c, err := cid.Decode(s)
	if err != nil {
		t.Fatal(err)
	}
	commR, err := DecodeSealed(c)
	if err != nil {
		t.Fatal(err)
	}
	if got := SealedCID(commR).String(); got != s {
		t.Fatalf("SealedCID = %s, want %s", got, s)
	}
	if _, err := DecodeV1(c); !errors.Is(err, ErrNotPieceCID) {
		t.Fatalf("DecodeV1(sealed) = %v, want ErrNotPieceCID", err)
	}
	if _, err := Parse(s); !errors.Is(err, ErrNotPieceCID) {
		t.Fatalf("Parse(sealed) = %v, want ErrNotPieceCID", err)
	}
}

// v2Bytes builds a v2 piece CID from raw digest parts, valid or not.
func v2Bytes(padding []byte, height byte, root int) []byte {
	digest := append(append(append([]byte{}, padding...), height), make([]byte, root)...)
	m, _ := mh.Encode(digest, HashV2)
	return cid.NewCidV1(CodecRaw, m).Bytes()
}

func TestDecode_Errors(t *testing.T) {
	var comm [32]byte
	sha, _ := mh.Sum([]byte("x"), mh.SHA2_256, -1)
	short, _ := mh.Encode(make([]byte, 31), HashV1)
	for _, tc := range []struct {
		name    string
		b       []byte
		want    error
		message string
	}{
		{"dag-cbor codec", cid.NewCidV1(cid.DagCBOR, sha).Bytes(), ErrNotPieceCID, "codec"},
		{"unsealed codec, sha2-256", cid.NewCidV1(CodecUnsealed, sha).Bytes(), ErrNotPieceCID, "multihash"},
		{"v1 digest 31 bytes", cid.NewCidV1(CodecUnsealed, short).Bytes(), ErrDigest, "31 bytes"},
		{"sealed CID", SealedCID(comm).Bytes(), ErrNotPieceCID, "codec"},
		{"raw codec, sha2-256", cid.NewCidV1(CodecRaw, sha).Bytes(), ErrNotPieceCID, "multihash"},
		{"v2 root 31 bytes", v2Bytes([]byte{0}, 4, 31), ErrDigest, "want 33"},
		{"v2 trailing byte", v2Bytes([]byte{0}, 4, 33), ErrDigest, "want 33"},
		{"v2 non-minimal varint", v2Bytes([]byte{0x80, 0x00}, 4, 32), ErrDigest, "varint"},
		{"v2 height 1", v2Bytes([]byte{0}, 1, 32), ErrDigest, "height"},
		{"v2 height 59", v2Bytes([]byte{0}, 59, 32), ErrDigest, "height"},
		{"v2 padding above capacity", v2Bytes([]byte{0x80, 0x01}, 2, 32), ErrPadding, "capacity"},
		{"v2 padding too large", v2Bytes([]byte{0xfe, 0x01}, 4, 32), ErrPadding, "too large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Cast(tc.b)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Cast error %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("error %q does not mention %q", err, tc.message)
			}
		})
	}
	// The padding limit is exact: 254 of 508 is too much, 253 is not.
	if _, err := Cast(v2Bytes([]byte{0xfd, 0x01}, 4, 32)); err != nil {
		t.Errorf("padding 253 at height 4: %v", err)
	}
	if _, err := Cast(v2Bytes([]byte{0x7f}, 2, 32)); err != nil {
		t.Errorf("padding 127 at height 2: %v", err)
	}
	if _, _, err := Decode(cid.Undef); !errors.Is(err, ErrNotPieceCID) {
		t.Errorf("Decode(Undef) = %v", err)
	}
	if _, err := Parse("not a cid"); err == nil {
		t.Error("Parse accepted garbage")
	}
}

// checkRoundTrip asserts what every accepted piece CID must satisfy: its
// commitment decodes, it re-encodes to the same CID, and v1 and v2 convert
// into each other without loss.
func checkRoundTrip(t *testing.T, c cid.Cid) {
	t.Helper()
	comm, size, err := Decode(c)
	if err != nil {
		t.Fatalf("accepted CID %s does not decode: %v", c, err)
	}
	switch c.Type() {
	case CodecUnsealed:
		if size != 0 || !CIDv1(comm).Equals(c) {
			t.Fatalf("v1 %s does not re-encode", c)
		}
	case CodecRaw:
		v, err := DecodeV2(c)
		if err != nil {
			t.Fatal(err)
		}
		again, err := v.CID()
		if err != nil || !again.Equals(c) {
			t.Fatalf("v2 %s re-encodes to %s, %v", c, again, err)
		}
		v1, sz, err := ToV1(c)
		if err != nil || sz != size || sz != v.Size() {
			t.Fatalf("ToV1(%s) = %s %d, %v", c, v1, sz, err)
		}
		back, err := ToV2(v1, v.PayloadSize())
		if err != nil || !back.Equals(c) {
			t.Fatalf("ToV2(ToV1(%s)) = %s, %v", c, back, err)
		}
	default:
		t.Fatalf("accepted CID %s with codec %#x", c, c.Type())
	}
}

func FuzzCast(f *testing.F) {
	var comm [32]byte
	f.Add(CIDv1(comm).Bytes())
	v2, _ := CIDv2(comm, 512)
	f.Add(v2.Bytes())
	f.Add(SealedCID(comm).Bytes())
	f.Add(v2Bytes([]byte{0xfe, 0x01}, 4, 32))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Cast(b)
		if err != nil {
			return
		}
		if !bytes.Equal(c.Bytes(), b) {
			t.Fatalf("Cast(%x) = %x", b, c.Bytes())
		}
		checkRoundTrip(t, c)
	})
}

func FuzzParse(f *testing.F) {
	f.Add("baga6ea4seaqes3nobte6ezpp4wqan2age2s5yxcatzotcvobhgcmv5wi2xh5mbi")
	f.Add("bafkzcibd64bqlxticxolgseegik2stpfgkkuwyf6kufex3doorkvmzpjuxwe4dz4")
	f.Add("f01559120220004496dae0cc9e265efe5a006e80626a5dc5c409e5d3155c13984caf6c8d5cfd605")
	f.Add("bagboea4b5abcatlxechwbp7kjpjguna6r6q7ejrhe6mdp3lf34pmswn27pkkieka")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(c.String())
		if err != nil || !again.Equals(c) {
			t.Fatalf("Parse(%q).String() = %s does not parse back: %v", s, c, err)
		}
		checkRoundTrip(t, c)
	})
}
