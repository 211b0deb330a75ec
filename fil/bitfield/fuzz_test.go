package bitfield_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"testing"

	"github.com/strata-sp/strata/fil/bitfield"
)

// fuzzMaxLen truncates fuzz inputs. Longer inputs exercise nothing new (the
// size limits have their own tests), and short ones keep each execution, and
// so the fuzzer's minimization of new inputs, fast.
const fuzzMaxLen = 64

// FuzzDecode decodes arbitrary bytes. Decode must agree with the reference
// decoder; whatever it accepts must re-encode to a canonical encoding that
// decodes to the same set and is no longer than the input; DecodeStrict must
// accept exactly the canonical inputs, which re-encode to themselves; and the
// CBOR form must round-trip.
func FuzzDecode(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(mustHex(f, v.RLE))
	}
	for _, p := range [][]byte{
		{0x04}, {0x34, 0x02}, {0x0c, 0x00}, {0x01},
		stream(f, "00 1 1 01 0000 1111"),
		stream(f, "00 0 00"+varintBits(1<<63)+"1"),
		stream(f, "00 0 00"+varintBits(math.MaxUint64)+"1"),
		stream(f, "00 0 00"+bytesBits(0x85, 0x00)+"1"),
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		p = p[:min(len(p), fuzzMaxLen)]
		ok, _ := checkDecode(t, p)
		if !ok {
			return
		}
		bf, _ := bitfield.Decode(p)
		var buf bytes.Buffer
		if err := bf.MarshalCBOR(&buf); err != nil {
			t.Fatalf("MarshalCBOR of decoded %x: %v", p, err)
		}
		var back bitfield.BitField
		if err := back.UnmarshalCBOR(&buf); err != nil || !back.Equal(bf) {
			t.Fatalf("CBOR round trip of %x: %v, %v", p, back, err)
		}
	})
}

// FuzzJSON parses arbitrary JSON. Whatever UnmarshalJSON accepts must agree
// with go-bitfield's rule (encoding/json into []uint64, zero only first, sum
// within uint64) and marshal to a canonical form that parses back to the same
// set and marshals to the same bytes.
func FuzzJSON(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add([]byte(v.JSON))
	}
	for _, s := range []string{"[]", "[0]", "[5]", "[3,2,4]", "null", "[null]", "[1,0]", "[-1]", "[1.5]",
		"[18446744073709551615]", "[18446744073709551615,1]", " [ 0 , 3 ] ", `"x"`, "{}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		p = p[:min(len(p), fuzzMaxLen)]
		var bf bitfield.BitField
		err := bf.UnmarshalJSON(p)
		var runs []uint64
		refErr := json.Unmarshal(p, &runs)
		if refErr == nil && runs != nil {
			var total uint64
			for i, r := range runs {
				if r == 0 && i > 0 || r > math.MaxUint64-total {
					refErr = errors.New("bad runs")
					break
				}
				total += r
			}
			if len(runs) > bitfield.MaxRuns {
				refErr = errors.New("too many runs")
			}
		}
		if (err == nil) != (refErr == nil) {
			t.Fatalf("UnmarshalJSON(%q) error %v, reference error %v", p, err, refErr)
		}
		if err != nil {
			if !errors.Is(err, bitfield.ErrInvalid) {
				t.Fatalf("UnmarshalJSON(%q) = %v, want ErrInvalid", p, err)
			}
			return
		}
		out, err := bf.MarshalJSON()
		if err != nil {
			t.Fatalf("MarshalJSON after UnmarshalJSON(%q): %v", p, err)
		}
		var again bitfield.BitField
		if err := again.UnmarshalJSON(out); err != nil || !again.Equal(bf) {
			t.Fatalf("%q -> %s -> %v, %v", p, out, again, err)
		}
		if out2, err := again.MarshalJSON(); err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("%q: marshal not stable: %s then %s, %v", p, out, out2, err)
		}
		if bf.Count() < 1<<16 {
			if all, err := bf.All(1 << 16); err != nil || uint64(len(all)) != bf.Count() {
				t.Fatalf("All: %d bits, %v; Count %d", len(all), err, bf.Count())
			}
		}
	})
}
