package bitfield_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"slices"
	"testing"

	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/fil/bitfield"
)

// vector is one entry of testdata/vectors.json.
type vector struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Set    string `json:"set"`
	RLE    string `json:"rle"`
	CBOR   string `json:"cbor"`
	JSON   string `json:"json"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(b, &file); err != nil {
		t.Fatalf("vectors.json: %v", err)
	}
	if len(file.Vectors) == 0 {
		t.Fatal("vectors.json: no vectors")
	}
	return file.Vectors
}

func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			set := parseSet(t, v.Set)
			bf := bitfield.NewFromSet(set)
			rle := mustHex(t, v.RLE)

			got, err := bf.Encode()
			if err != nil || !bytes.Equal(got, rle) {
				t.Fatalf("Encode = %x, %v; want %x", got, err, rle)
			}
			if ref := refEncode(set); !bytes.Equal(ref, rle) {
				t.Fatalf("reference encoder gives %x, want %x", ref, rle)
			}
			for name, decode := range map[string]func([]byte) (bitfield.BitField, error){
				"Decode": bitfield.Decode, "DecodeStrict": bitfield.DecodeStrict,
			} {
				dec, err := decode(rle)
				if err != nil || !dec.Equal(bf) {
					t.Fatalf("%s(%x) = %v, %v; want %v", name, rle, dec, err, bf)
				}
			}
			all, err := bf.All(uint64(len(set)))
			if err != nil || !slices.Equal(all, set) {
				t.Fatalf("All = %v, %v; want %v", all, err, set)
			}

			var buf bytes.Buffer
			if err := bf.MarshalCBOR(&buf); err != nil || hex.EncodeToString(buf.Bytes()) != v.CBOR {
				t.Fatalf("MarshalCBOR = %x, %v; want %s", buf.Bytes(), err, v.CBOR)
			}
			var fromCBOR bitfield.BitField
			if err := fromCBOR.UnmarshalCBOR(bytes.NewReader(mustHex(t, v.CBOR))); err != nil || !fromCBOR.Equal(bf) {
				t.Fatalf("UnmarshalCBOR(%s) = %v, %v", v.CBOR, fromCBOR, err)
			}

			js, err := json.Marshal(bf)
			if err != nil || string(js) != v.JSON {
				t.Fatalf("json.Marshal = %s, %v; want %s", js, err, v.JSON)
			}
			var fromJSON bitfield.BitField
			if err := json.Unmarshal([]byte(v.JSON), &fromJSON); err != nil || !fromJSON.Equal(bf) {
				t.Fatalf("json.Unmarshal(%s) = %v, %v", v.JSON, fromJSON, err)
			}
			var runs []uint64
			if err := json.Unmarshal([]byte(v.JSON), &runs); err != nil {
				t.Fatal(err)
			}
			if got := bf.Runs(); !slices.Equal(got, runs) {
				t.Fatalf("Runs = %v, want %v", got, runs)
			}
		})
	}
}

// TestVectors_RustReference checks the go-bitfield TestDecode vector in its
// original form: the Rust reference implementation's output before the
// version field was added, [223, 145, 136, 0]. Our encoding without its two
// version bits must be those bytes.
func TestVectors_RustReference(t *testing.T) {
	// The vector's bit vector, LSB first: 1,0,1,0,1,1,1,0,0,0,0 then 17 ones.
	set := []uint64{0, 2, 4, 5, 6, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27}
	enc, err := bitfield.NewFromSet(set).Encode()
	if err != nil {
		t.Fatal(err)
	}
	if enc[0]&3 != 0 {
		t.Fatalf("version bits %d, want 0", enc[0]&3)
	}
	rust := []byte{223, 145, 136, 0}
	got := make([]byte, len(rust))
	for i := range got {
		b := enc[i] >> 2
		if i+1 < len(enc) {
			b |= enc[i+1] << 6
		}
		got[i] = b
	}
	if !bytes.Equal(got, rust) {
		t.Fatalf("encoding without version = %v, want %v (Rust reference)", got, rust)
	}
}

// TestVectors_DeclareFaults checks actor-params §8: miner.DeclareFaults with
// one declaration (deadline 3, partition 0, sectors {5}) is 818183030042b002,
// i.e. [[[3, 0, h'b002']]].
func TestVectors_DeclareFaults(t *testing.T) {
	want := mustHex(t, "818183030042b002")

	var buf bytes.Buffer
	cw := cbg.NewCborWriter(&buf)
	for _, h := range []struct {
		maj byte
		n   uint64
	}{{cbg.MajArray, 1}, {cbg.MajArray, 1}, {cbg.MajArray, 3}, {cbg.MajUnsignedInt, 3}, {cbg.MajUnsignedInt, 0}} {
		if err := cw.WriteMajorTypeHeader(h.maj, h.n); err != nil {
			t.Fatal(err)
		}
	}
	if err := bitfield.NewFromSet([]uint64{5}).MarshalCBOR(cw); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("DeclareFaults params = %x, want %x", buf.Bytes(), want)
	}

	cr := cbg.NewCborReader(bytes.NewReader(want))
	for range 5 {
		if _, _, err := cr.ReadHeader(); err != nil {
			t.Fatal(err)
		}
	}
	var sectors bitfield.BitField
	if err := sectors.UnmarshalCBOR(cr); err != nil {
		t.Fatal(err)
	}
	if all, _ := sectors.All(10); !slices.Equal(all, []uint64{5}) {
		t.Fatalf("sectors = %v, want {5}", sectors)
	}
}

// TestVectors_Deadline reads the two bitfields out of the [UP] miner Deadline
// vector in actor-params §4 (PartitionsPoSted {0}, EarlyTerminations {1},
// after two CIDs) and checks they re-encode to the same bytes.
func TestVectors_Deadline(t *testing.T) {
	vec := mustHex(t, "8dd82a49000182e20392200100d82a49000182e20392200101410c4118020382420004420005d82a49000182e20392200102d82a49000182e20392200103d82a49000182e20392200104d82a49000182e203922001058242000642000749006f05b59d3b200000")
	r := bytes.NewReader(vec)
	cr := cbg.NewCborReader(r)
	if maj, n, err := cr.ReadHeader(); err != nil || maj != cbg.MajArray || n != 13 {
		t.Fatalf("header %d %d %v, want a 13-tuple", maj, n, err)
	}
	for range 2 {
		if _, err := cbg.ReadCid(cr); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []struct {
		bit  uint64
		cbor string
	}{{0, "410c"}, {1, "4118"}} {
		start := len(vec) - r.Len()
		var bf bitfield.BitField
		if err := bf.UnmarshalCBOR(cr); err != nil {
			t.Fatal(err)
		}
		raw := vec[start : len(vec)-r.Len()]
		if hex.EncodeToString(raw) != want.cbor {
			t.Fatalf("read %x, want %s", raw, want.cbor)
		}
		if !bf.Equal(bitfield.NewFromSet([]uint64{want.bit})) {
			t.Fatalf("decoded %v, want {%d}", bf, want.bit)
		}
		var buf bytes.Buffer
		if err := bf.MarshalCBOR(&buf); err != nil || !bytes.Equal(buf.Bytes(), raw) {
			t.Fatalf("re-encoded %x, %v; want %x", buf.Bytes(), err, raw)
		}
	}
	// LiveSectors follows the bitfields.
	if maj, n, err := cr.ReadHeader(); err != nil || maj != cbg.MajUnsignedInt || n != 2 {
		t.Fatalf("LiveSectors: %d %d %v, want 2", maj, n, err)
	}
}

// TestJSON_Golden checks the Lotus JSON forms from the API notes
// (lotus-api-v1 §4 and §6) and go-bitfield's UnmarshalJSON rules.
func TestJSON_Golden(t *testing.T) {
	tests := []struct {
		in   string
		set  string
		out  string // canonical MarshalJSON output
		note string
	}{
		{"[0,3,5,2]", "0-2,8-9", "[0,3,5,2]", "lotus doc example"},
		{"[5,1]", "5", "[5,1]", "StateMinerFaults example"},
		{"[0]", "", "[0]", "empty set; StateMinerSectors filter [0]"},
		{"[]", "", "[0]", "go-bitfield accepts an empty list"},
		{"[5]", "", "[0]", "a lone unset run"},
		{"[3,2,4]", "3-4", "[3,2]", "a trailing unset run is dropped"},
		{"[0,3]", "0-2", "[0,3]", ""},
		{" [ 1 , 1 ] ", "1", "[1,1]", "whitespace"},
		{"[null]", "", "[0]", "encoding/json reads null elements as 0"},
		{"[18446744073709551614,1]", "18446744073709551614", "[18446744073709551614,1]", "highest encodable bit"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var bf bitfield.BitField
			if err := json.Unmarshal([]byte(tt.in), &bf); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if want := bitfield.NewFromSet(parseSet(t, tt.set)); !bf.Equal(want) {
				t.Fatalf("got %v, want %v", bf, want)
			}
			out, err := json.Marshal(bf)
			if err != nil || string(out) != tt.out {
				t.Fatalf("marshal = %s, %v; want %s", out, err, tt.out)
			}
		})
	}
}

// TestJSON_InStruct checks the shapes Lotus API structs take: a value field,
// a nil pointer (null) and a set pointer.
func TestJSON_InStruct(t *testing.T) {
	type partition struct {
		AllSectors    bitfield.BitField
		FaultySectors *bitfield.BitField
	}
	in := partition{AllSectors: bitfield.NewFromSet([]uint64{5})}
	out, err := json.Marshal(in)
	if err != nil || string(out) != `{"AllSectors":[5,1],"FaultySectors":null}` {
		t.Fatalf("marshal = %s, %v", out, err)
	}
	var back partition
	if err := json.Unmarshal([]byte(`{"AllSectors":[5,1],"FaultySectors":[0,2]}`), &back); err != nil {
		t.Fatal(err)
	}
	if !back.AllSectors.Equal(in.AllSectors) || back.FaultySectors == nil || back.FaultySectors.Count() != 2 {
		t.Fatalf("unmarshal = %+v", back)
	}
	// null leaves a value field as it was (the encoding/json convention).
	if err := json.Unmarshal([]byte(`{"AllSectors":null,"FaultySectors":null}`), &back); err != nil {
		t.Fatal(err)
	}
	if !back.AllSectors.Equal(in.AllSectors) || back.FaultySectors != nil {
		t.Fatalf("after null: %+v", back)
	}
}
