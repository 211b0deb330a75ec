package bitfield_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/strata-sp/strata/fil/bitfield"
)

// bitsOf writes the low n bits of v in stream order, for stream().
func bitsOf(v uint64, n int) string {
	var sb strings.Builder
	for i := range n {
		sb.WriteByte('0' + byte(v>>i&1))
	}
	return sb.String()
}

// varintBits writes a LEB128 varint of x (minimal) in stream order.
func varintBits(x uint64) string {
	return bytesBits(binary.AppendUvarint(nil, x)...)
}

// bytesBits writes whole bytes in stream order.
func bytesBits(bs ...byte) string {
	var sb strings.Builder
	for _, b := range bs {
		sb.WriteString(bitsOf(uint64(b), 8))
	}
	return sb.String()
}

// TestDecode_Accepted covers encodings go-bitfield reads although they are
// not canonical, and canonical edge cases. strictOK says whether the FVM (and
// DecodeStrict) accepts them too.
func TestDecode_Accepted(t *testing.T) {
	tests := []struct {
		name     string
		bits     string
		set      string
		strictOK bool
		strict   string // substring of the DecodeStrict error
	}{
		{"empty input", "", "", true, ""},
		{"first value 1, no runs", "00 1", "", false, "unset"},
		{"lone unset run", "00 0 01 11", "", false, "unset"},
		{"short block for a run of 1", "00 1 01 1000 1 1", "0,2", false, "short block of length 1"},
		{"varint for a run of 5", "00 0 00" + varintBits(5) + "1", "5", false, "varint block of length 5"},
		{"varint for a run of 15", "00 0 00" + varintBits(15) + "1", "15", false, "varint block of length 15"},
		{"short terminator, then junk", "00 1 1 01 0000 1111", "0", false, "short block of length 0"},
		{"varint terminator, then junk", "00 1 1 00" + varintBits(0) + "1", "0", false, "varint block of length 0"},
		{"trailing unset run of 1", "00 1 1 1", "0", false, "unset"},
		{"trailing unset run, varint", "00 1 1 00" + varintBits(16), "0", false, "unset"},
		{"canonical varint of 16", "00 0 00" + varintBits(16) + "1", "16", true, ""},
		{"10-byte varint", "00 0 00" + varintBits(1<<63) + "1", "9223372036854775808", true, ""},
		{"runs sum to exactly 2^64-1", "00 0 00" + varintBits(math.MaxUint64-1) + "1", "18446744073709551614", true, ""},
		{"ones from 0 to 2^64-2", "00 1 00" + varintBits(math.MaxUint64), "", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := stream(t, tt.bits)
			got, err := bitfield.Decode(p)
			if err != nil {
				t.Fatalf("Decode(%x): %v", p, err)
			}
			if _, ok := refDecode(p); !ok {
				t.Fatalf("reference decoder rejects %x", p)
			}
			if tt.name == "ones from 0 to 2^64-2" {
				if got.Count() != math.MaxUint64 || !got.IsSet(math.MaxUint64-1) || got.IsSet(math.MaxUint64) {
					t.Fatalf("Decode(%x) = %v, count %d", p, got, got.Count())
				}
			} else if want := bitfield.NewFromSet(parseSet(t, tt.set)); !got.Equal(want) {
				t.Fatalf("Decode(%x) = %v, want %v", p, got, want)
			}
			strict, err := bitfield.DecodeStrict(p)
			if tt.strictOK {
				if err != nil || !strict.Equal(got) {
					t.Fatalf("DecodeStrict(%x) = %v, %v", p, strict, err)
				}
				return
			}
			if !errors.Is(err, bitfield.ErrNotCanonical) || !errors.Is(err, bitfield.ErrInvalid) {
				t.Fatalf("DecodeStrict(%x) = %v, want ErrNotCanonical and ErrInvalid", p, err)
			}
			if !strings.Contains(err.Error(), tt.strict) {
				t.Errorf("DecodeStrict error %q does not mention %q", err, tt.strict)
			}
		})
	}
}

func TestDecode_Errors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		msg  string // substring the error must contain
	}{
		{"trailing zero byte", []byte{0x0c, 0x00}, "trailing zero byte"},
		{"lone zero byte", []byte{0x00}, "trailing zero byte"},
		{"version 1", []byte{0x01}, "version 1"},
		{"version 2", []byte{0x02}, "version 2"},
		{"version 3 with runs", []byte{0x0f}, "version 3"},
		{"varint of 11 bytes", stream(t, "00 0 00"+bytesBits(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01)+"1"), "longer than 10 bytes"},
		{"varint 10th byte 2", stream(t, "00 0 00"+bytesBits(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02)+"1"), "overflows"},
		{"varint ends in zero byte", stream(t, "00 0 00"+bytesBits(0x85, 0x00)+"1"), "not minimally encoded"},
		{"varint 1 ending in zero byte", stream(t, "00 0 00"+bytesBits(0x81, 0x00)+"1"), "not minimally encoded"},
		{"varint runs past the input", stream(t, "00 0 00"+bytesBits(0x81)), "not minimally encoded"},
		{"unset run of 2^64-1 then a set bit", stream(t, "00 0 00"+varintBits(math.MaxUint64)+"1"), "sum past"},
		{"set run of 2^64-1 then an unset bit", stream(t, "00 1 00"+varintBits(math.MaxUint64)+"1"), "sum past"},
		{"two runs of 2^63", stream(t, "00 1 00"+varintBits(1<<63)+"00"+varintBits(1<<63)+"1"), "sum past"},
		{"too large", bytes.Repeat([]byte{0xff}, bitfield.MaxEncodedSize+1), "max 32768"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name != "too large" {
				if _, ok := refDecode(tt.in); ok {
					t.Fatalf("reference decoder accepts %x", tt.in)
				}
			}
			for name, decode := range map[string]func([]byte) (bitfield.BitField, error){
				"Decode": bitfield.Decode, "DecodeStrict": bitfield.DecodeStrict,
			} {
				got, err := decode(tt.in)
				if !errors.Is(err, bitfield.ErrInvalid) {
					t.Fatalf("%s(%x) = %v, %v; want ErrInvalid", name, tt.in, got, err)
				}
				if errors.Is(err, bitfield.ErrNotCanonical) {
					t.Errorf("%s: %v wraps ErrNotCanonical for input go-bitfield rejects", name, err)
				}
				if !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), "bitfield") {
					t.Errorf("%s error %q does not say %q", name, err, tt.msg)
				}
			}
		})
	}
	_, err := bitfield.Decode(bytes.Repeat([]byte{0xff}, bitfield.MaxEncodedSize+1))
	if !errors.Is(err, bitfield.ErrTooLarge) {
		t.Errorf("oversized input: %v, want ErrTooLarge", err)
	}
}

func TestUnmarshalCBOR_Errors(t *testing.T) {
	tests := []struct {
		name string
		in   string // hex
		want error
		msg  string
	}{
		{"unsigned int", "01", bitfield.ErrInvalid, "major type 0"},
		{"array", "80", bitfield.ErrInvalid, "major type 4"},
		{"null", "f6", bitfield.ErrInvalid, "major type 7"},
		{"text string", "6100", bitfield.ErrInvalid, "major type 3"},
		{"non-canonical length", "58010c", bitfield.ErrInvalid, "canonical"},
		{"indefinite length", "5f410cff", bitfield.ErrInvalid, "header"},
		// Only the header is present: the limit is checked before reading.
		{"longer than MaxEncodedSize", "598001", bitfield.ErrTooLarge, "max 32768"},
		{"trailing zero byte", "4100", bitfield.ErrInvalid, "trailing zero byte"},
		{"wrong version", "4101", bitfield.ErrInvalid, "version 1"},
		{"truncated", "42b0", io.ErrUnexpectedEOF, "unexpected EOF"},
		{"truncated header", "59", io.ErrUnexpectedEOF, "unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bf := bitfield.NewFromSet([]uint64{7})
			err := bf.UnmarshalCBOR(bytes.NewReader(mustHex(t, tt.in)))
			if !errors.Is(err, tt.want) {
				t.Fatalf("UnmarshalCBOR(%s) = %v, want %v", tt.in, err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			if !bf.Equal(bitfield.NewFromSet([]uint64{7})) {
				t.Errorf("failed UnmarshalCBOR changed the value to %v", bf)
			}
		})
	}
	var bf bitfield.BitField
	if err := bf.UnmarshalCBOR(bytes.NewReader(nil)); err != io.EOF {
		t.Errorf("empty stream: %v, want bare io.EOF", err)
	}
}

func TestUnmarshalJSON_Errors(t *testing.T) {
	tooMany := "[" + strings.Repeat("1,", bitfield.MaxRuns) + "1]"
	tests := []struct {
		name, in, msg string
	}{
		{"zero run after the first", "[1,0]", "run 1 has length 0"},
		{"two leading zeros", "[0,0]", "run 1 has length 0"},
		{"zero in the middle", "[3,1,0,2]", "run 2 has length 0"},
		{"negative", "[-1]", "array of run lengths"},
		{"fraction", "[1.5]", "array of run lengths"},
		{"exponent", "[1e2]", "array of run lengths"},
		{"string", `"[1]"`, "array of run lengths"},
		{"object", "{}", "array of run lengths"},
		{"number", "5", "array of run lengths"},
		{"past uint64", "[18446744073709551616]", "array of run lengths"},
		{"runs sum past 2^64-1", "[18446744073709551615,1]", "overflow"},
		{"runs sum past 2^64-1 later", "[1,9223372036854775808,9223372036854775807]", "overflow"},
		{"syntax", "[1,", "array of run lengths"},
		{"trailing comma", "[1,]", "array of run lengths"},
		{"trailing data", "[1] [2]", "array of run lengths"},
		{"too many runs", tooMany, "runs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bf := bitfield.NewFromSet([]uint64{7})
			err := bf.UnmarshalJSON([]byte(tt.in))
			if !errors.Is(err, bitfield.ErrInvalid) {
				t.Fatalf("UnmarshalJSON(%.40s) = %v, want ErrInvalid", tt.in, err)
			}
			if !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), "bitfield") {
				t.Errorf("error %q does not say %q", err, tt.msg)
			}
			if !bf.Equal(bitfield.NewFromSet([]uint64{7})) {
				t.Errorf("failed UnmarshalJSON changed the value to %v", bf)
			}
		})
	}
	var bf bitfield.BitField
	if err := bf.UnmarshalJSON([]byte(tooMany)); !errors.Is(err, bitfield.ErrTooLarge) {
		t.Errorf("too many runs: %v, want ErrTooLarge", err)
	}
}

func TestNewFromRuns_Errors(t *testing.T) {
	tests := []struct {
		name string
		runs []uint64
		want error
	}{
		{"zero run after the first", []uint64{1, 0}, bitfield.ErrInvalid},
		{"overflow", []uint64{math.MaxUint64, 1}, bitfield.ErrInvalid},
		{"overflow through a zero run", []uint64{0, math.MaxUint64, 1}, bitfield.ErrInvalid},
		{"too many runs", make([]uint64, bitfield.MaxRuns+1), bitfield.ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := bitfield.NewFromRuns(tt.runs); !errors.Is(err, tt.want) || !errors.Is(err, bitfield.ErrInvalid) {
				t.Fatalf("NewFromRuns = %v, want %v", err, tt.want)
			}
		})
	}
	// The largest total is fine.
	bf, err := bitfield.NewFromRuns([]uint64{math.MaxUint64 - 1, 1})
	if err != nil || !bf.IsSet(math.MaxUint64-1) || bf.Count() != 1 {
		t.Fatalf("NewFromRuns(max) = %v, %v", bf, err)
	}
}

func TestQueries_Errors(t *testing.T) {
	empty := bitfield.New()
	if _, err := empty.First(); !errors.Is(err, bitfield.ErrNoBitsSet) {
		t.Errorf("First of empty: %v", err)
	}
	if _, err := empty.Last(); !errors.Is(err, bitfield.ErrNoBitsSet) {
		t.Errorf("Last of empty: %v", err)
	}
	bf := bitfield.NewFromSet([]uint64{1, 2, 3, 10})
	if _, err := bf.All(3); !errors.Is(err, bitfield.ErrTooMany) {
		t.Errorf("All(3) of 4 bits: %v", err)
	}
	// A huge set fails before allocating.
	huge, err := bitfield.NewFromRuns([]uint64{0, 1 << 62})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := huge.All(1 << 20); !errors.Is(err, bitfield.ErrTooMany) {
		t.Errorf("All of 2^62 bits: %v", err)
	}
	for _, c := range []struct{ skip, count uint64 }{{0, 5}, {4, 1}, {3, 2}, {math.MaxUint64, 1}, {1, math.MaxUint64}} {
		if _, err := bf.Slice(c.skip, c.count); !errors.Is(err, bitfield.ErrNotEnoughBits) {
			t.Errorf("Slice(%d, %d): %v, want ErrNotEnoughBits", c.skip, c.count, err)
		}
	}
	stop := errors.New("stop")
	var seen []uint64
	err = bf.ForEach(func(i uint64) error {
		seen = append(seen, i)
		if i == 2 {
			return stop
		}
		return nil
	})
	if err != stop || len(seen) != 2 {
		t.Errorf("ForEach = %v after %v, want the callback's error after 2 bits", err, seen)
	}
}

func TestEncode_Errors(t *testing.T) {
	withMax := bitfield.NewFromSet([]uint64{3, math.MaxUint64})
	if _, err := withMax.Encode(); !errors.Is(err, bitfield.ErrTooLarge) || !strings.Contains(err.Error(), "18446744073709551615") {
		t.Errorf("Encode with bit 2^64-1: %v", err)
	}
	if err := withMax.MarshalCBOR(io.Discard); !errors.Is(err, bitfield.ErrTooLarge) {
		t.Errorf("MarshalCBOR with bit 2^64-1: %v", err)
	}
	if _, err := json.Marshal(withMax); !errors.Is(err, bitfield.ErrTooLarge) {
		t.Errorf("MarshalJSON with bit 2^64-1: %v", err)
	}
	// Sparse bits 2^40 apart cost 51 bits each, so 6,000 of them do not fit.
	var sparse []uint64
	for i := range uint64(6000) {
		sparse = append(sparse, i<<40)
	}
	if _, err := bitfield.NewFromSet(sparse).Encode(); !errors.Is(err, bitfield.ErrTooLarge) {
		t.Errorf("Encode of a sparse field: %v", err)
	}
	var many []uint64
	for i := range uint64(bitfield.MaxRuns/2 + 1) {
		many = append(many, 2*i+1)
	}
	if _, err := json.Marshal(bitfield.NewFromSet(many)); !errors.Is(err, bitfield.ErrTooLarge) {
		t.Errorf("MarshalJSON of more than MaxRuns runs: %v", err)
	}
}

// TestLimits_EncodedSize checks the exact MaxEncodedSize boundary: the set of
// even bits {0, 2, ..., 2k-2} takes 3+2k-1 bits, exactly 32 KiB for
// k = 131071.
func TestLimits_EncodedSize(t *testing.T) {
	var even []uint64
	for i := range uint64(131071) {
		even = append(even, 2*i)
	}
	bf := bitfield.NewFromSet(even)
	p, err := bf.Encode()
	if err != nil || len(p) != bitfield.MaxEncodedSize {
		t.Fatalf("Encode: %d bytes, %v; want exactly %d", len(p), err, bitfield.MaxEncodedSize)
	}
	back, err := bitfield.Decode(p)
	if err != nil || !back.Equal(bf) {
		t.Fatalf("Decode of %d bytes: %v", len(p), err)
	}
	var buf bytes.Buffer
	if err := bf.MarshalCBOR(&buf); err != nil {
		t.Fatal(err)
	}
	var fromCBOR bitfield.BitField
	if err := fromCBOR.UnmarshalCBOR(&buf); err != nil || !fromCBOR.Equal(bf) {
		t.Fatalf("CBOR round trip at the limit: %v", err)
	}
	js, err := json.Marshal(bf)
	if err != nil {
		t.Fatal(err)
	}
	var fromJSON bitfield.BitField
	if err := json.Unmarshal(js, &fromJSON); err != nil || !fromJSON.Equal(bf) {
		t.Fatalf("JSON round trip at the limit: %v", err)
	}

	over := bitfield.Union(bf, bitfield.NewFromSet([]uint64{2 * 131071}))
	if _, err := over.Encode(); !errors.Is(err, bitfield.ErrTooLarge) {
		t.Fatalf("Encode one bit over the limit: %v", err)
	}
	if err := over.MarshalCBOR(io.Discard); !errors.Is(err, bitfield.ErrTooLarge) {
		t.Fatalf("MarshalCBOR one bit over the limit: %v", err)
	}
}
