package cborx_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"
	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/internal/cborx"
)

// reader returns a CborReader over the bytes of a hex string.
func reader(t *testing.T, h string) *cbg.CborReader {
	t.Helper()
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatalf("bad hex %q: %v", h, err)
	}
	return cbg.NewCborReader(bytes.NewReader(b))
}

// checkErr fails unless err matches want (when set) and contains msg.
func checkErr(t *testing.T, err, want error, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v %q", want, msg)
	}
	if want != nil && !errors.Is(err, want) {
		t.Errorf("error %q, want %v", err, want)
	}
	if !strings.Contains(err.Error(), msg) {
		t.Errorf("error %q, want it to contain %q", err, msg)
	}
}

func testCID(t *testing.T) cid.Cid {
	t.Helper()
	mh, err := multihash.Sum([]byte("cborx"), multihash.SHA2_256, -1)
	if err != nil {
		t.Fatal(err)
	}
	return cid.NewCidV1(cid.DagCBOR, mh)
}

func TestReaders_Errors(t *testing.T) {
	uint64R := func(cr *cbg.CborReader) error { _, err := cborx.ReadUint64(cr); return err }
	int64R := func(cr *cbg.CborReader) error { _, err := cborx.ReadInt64(cr); return err }
	boolR := func(cr *cbg.CborReader) error { _, err := cborx.ReadBool(cr); return err }
	bytesR := func(max uint64) func(*cbg.CborReader) error {
		return func(cr *cbg.CborReader) error { _, err := cborx.ReadBytes(cr, max); return err }
	}
	arrayR := func(cr *cbg.CborReader) error { _, err := cborx.ReadArrayHeader(cr); return err }
	uint64sR := func(cr *cbg.CborReader) error { _, err := cborx.ReadUint64s(cr); return err }
	optCIDR := func(cr *cbg.CborReader) error { _, err := cborx.ReadOptionalCID(cr); return err }

	tests := []struct {
		name string
		hex  string
		read func(*cbg.CborReader) error
		want error
		msg  string
	}{
		{"uint 1-byte form for 5", "1805", uint64R, nil, "not canonical"},
		{"uint 2-byte form for 5", "190005", uint64R, nil, "not canonical"},
		{"uint 8-byte form for 2^32-1", "1b00000000ffffffff", uint64R, nil, "not canonical"},
		{"int 1-byte form for -1", "3800", int64R, nil, "not canonical"},
		{"indefinite byte string", "5f", bytesR(cborx.MaxBytes), nil, ""},
		{"uint from negative", "20", uint64R, cborx.ErrType, "negative integer, want unsigned integer"},
		{"uint from bytes", "40", uint64R, cborx.ErrType, "byte string, want unsigned integer"},
		{"int from text", "60", int64R, cborx.ErrType, "text string, want integer"},
		{"int from tag", "d82a", int64R, cborx.ErrType, "tag, want integer"},
		{"int above MaxInt64", "1b8000000000000000", int64R, cborx.ErrIntOverflow, ": 9223372036854775808"},
		{"int below MinInt64", "3b8000000000000000", int64R, cborx.ErrIntOverflow, ": -1-9223372036854775808"},
		{"bool from null", "f6", boolR, cborx.ErrType, "simple value 22, want true or false"},
		{"bool from uint", "01", boolR, cborx.ErrType, "unsigned integer 1, want true or false"},
		{"bytes from text", "6161", bytesR(cborx.MaxBytes), cborx.ErrType, "text string, want byte string"},
		{"bytes from array", "80", bytesR(cborx.MaxBytes), cborx.ErrType, "array, want byte string"},
		{"bytes over max", "43010203", bytesR(2), cborx.ErrFieldTooLarge, "3 bytes, max 2"},
		// Only the header is present: the limit is checked before allocating.
		{"bytes over MaxBytes", "5a00200001", bytesR(cborx.MaxBytes), cborx.ErrFieldTooLarge, "2097153 bytes, max 2097152"},
		{"bytes truncated", "4301", bytesR(cborx.MaxBytes), io.ErrUnexpectedEOF, ""},
		{"array from map", "a0", arrayR, cborx.ErrType, "map, want array"},
		{"array over MaxArray", "992001", arrayR, cborx.ErrFieldTooLarge, "8193 items, max 8192"},
		{"uints item of wrong type", "8201f5", uint64sR, cborx.ErrType, "item 1: unexpected CBOR type: simple value, want unsigned integer"},
		{"uints truncated", "8201", uint64sR, io.EOF, "item 1"},
		{"optional CID from uint", "01", optCIDR, nil, ""},
		{"empty input", "", uint64R, io.EOF, "EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, tt.read(reader(t, tt.hex)), tt.want, tt.msg)
		})
	}
}

func TestReadTuple(t *testing.T) {
	tests := []struct {
		name   string
		hex    string
		counts []uint64
		n      uint64
		want   error
		msg    string
	}{
		{"one count", "83", []uint64{3}, 3, nil, ""},
		{"second of two counts", "84", []uint64{3, 4}, 4, nil, ""},
		{"too short", "82", []uint64{3}, 0, cborx.ErrFieldCount, "obj: wrong number of tuple fields: array of 2, want [3]"},
		{"none of two counts", "85", []uint64{3, 4}, 0, cborx.ErrFieldCount, "obj: wrong number of tuple fields: array of 5, want [3 4]"},
		{"map", "a3", []uint64{3}, 0, cborx.ErrType, "obj: unexpected CBOR type: map, want array"},
		{"non-canonical length", "9803", []uint64{3}, 0, nil, "obj: cbor input was not canonical"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := cborx.ReadTuple(reader(t, tt.hex), "obj", tt.counts...)
			if tt.msg == "" {
				if err != nil || n != tt.n {
					t.Fatalf("got %d, %v; want %d", n, err, tt.n)
				}
				return
			}
			checkErr(t, err, tt.want, tt.msg)
		})
	}

	// A clean end of stream before the object stays a bare io.EOF.
	if _, err := cborx.ReadTuple(reader(t, ""), "obj", 3); err != io.EOF {
		t.Errorf("empty input: %v, want bare io.EOF", err)
	}
}

func TestFieldErr(t *testing.T) {
	other := errors.New("other")
	tests := []struct {
		name string
		err  error
		want error
		msg  string
	}{
		{"EOF is truncation", io.EOF, io.ErrUnexpectedEOF, "obj: field F: unexpected EOF"},
		{"wrapped EOF is truncation", fmt.Errorf("item 2: %w", io.EOF), io.ErrUnexpectedEOF, "obj: field F: unexpected EOF"},
		{"unexpected EOF kept", fmt.Errorf("x: %w", io.ErrUnexpectedEOF), io.ErrUnexpectedEOF, "obj: field F: x: unexpected EOF"},
		{"other kept", other, other, "obj: field F: other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := cborx.FieldErr("obj", "F", tt.err)
			checkErr(t, err, tt.want, tt.msg)
			if err.Error() != tt.msg {
				t.Errorf("error %q, want %q", err, tt.msg)
			}
		})
	}
}

func TestWriters_Errors(t *testing.T) {
	undef := cid.Undef
	tests := []struct {
		name  string
		write func(*cbg.CborWriter) error
		want  error
		msg   string
	}{
		{"bytes over MaxBytes", func(cw *cbg.CborWriter) error {
			return cborx.WriteBytes(cw, make([]byte, cborx.MaxBytes+1))
		}, cborx.ErrFieldTooLarge, "2097153 bytes, max 2097152"},
		{"array over MaxArray", func(cw *cbg.CborWriter) error {
			return cborx.WriteArrayHeader(cw, cborx.MaxArray+1)
		}, cborx.ErrFieldTooLarge, "8193 items, max 8192"},
		{"uints over MaxArray", func(cw *cbg.CborWriter) error {
			return cborx.WriteUint64s(cw, make([]uint64, cborx.MaxArray+1))
		}, cborx.ErrFieldTooLarge, "8193 items"},
		{"undefined CID", func(cw *cbg.CborWriter) error {
			return cborx.WriteCID(cw, cid.Undef)
		}, cborx.ErrUndefinedCID, "undefined CID"},
		{"undefined optional CID", func(cw *cbg.CborWriter) error {
			return cborx.WriteOptionalCID(cw, &undef)
		}, cborx.ErrUndefinedCID, "undefined CID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			checkErr(t, tt.write(cbg.NewCborWriter(&buf)), tt.want, tt.msg)
			if buf.Len() != 0 {
				t.Errorf("wrote %x before failing", buf.Bytes())
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	c := testCID(t)
	tests := []struct {
		name  string
		write func(*cbg.CborWriter) error
		hex   string // the encoding, when short enough to spell
		read  func(*cbg.CborReader) (any, error)
		want  any
	}{
		{"uint max", func(cw *cbg.CborWriter) error { return cborx.WriteUint64(cw, 1<<64-1) }, "1bffffffffffffffff",
			func(cr *cbg.CborReader) (any, error) { return cborx.ReadUint64(cr) }, uint64(1<<64 - 1)},
		{"int -1", func(cw *cbg.CborWriter) error { return cborx.WriteInt64(cw, -1) }, "20",
			func(cr *cbg.CborReader) (any, error) { return cborx.ReadInt64(cr) }, int64(-1)},
		{"int min", func(cw *cbg.CborWriter) error { return cborx.WriteInt64(cw, -1<<63) }, "3b7fffffffffffffff",
			func(cr *cbg.CborReader) (any, error) { return cborx.ReadInt64(cr) }, int64(-1 << 63)},
		{"int max", func(cw *cbg.CborWriter) error { return cborx.WriteInt64(cw, 1<<63-1) }, "1b7fffffffffffffff",
			func(cr *cbg.CborReader) (any, error) { return cborx.ReadInt64(cr) }, int64(1<<63 - 1)},
		{"true", func(cw *cbg.CborWriter) error { return cborx.WriteBool(cw, true) }, "f5",
			func(cr *cbg.CborReader) (any, error) { return cborx.ReadBool(cr) }, true},
		{"false", func(cw *cbg.CborWriter) error { return cborx.WriteBool(cw, false) }, "f4",
			func(cr *cbg.CborReader) (any, error) { return cborx.ReadBool(cr) }, false},
		{"bytes", func(cw *cbg.CborWriter) error { return cborx.WriteBytes(cw, []byte{1, 2}) }, "420102",
			func(cr *cbg.CborReader) (any, error) { return cborx.ReadBytes(cr, 2) }, "0102"},
		{"empty bytes read as nil", func(cw *cbg.CborWriter) error { return cborx.WriteBytes(cw, []byte{}) }, "40",
			func(cr *cbg.CborReader) (any, error) { return cborx.ReadBytes(cr, 0) }, ""},
		{"uints", func(cw *cbg.CborWriter) error { return cborx.WriteUint64s(cw, []uint64{1, 24}) }, "82011818",
			func(cr *cbg.CborReader) (any, error) { return cborx.ReadUint64s(cr) }, "[1 24]"},
		{"empty uints read as nil", func(cw *cbg.CborWriter) error { return cborx.WriteUint64s(cw, nil) }, "80",
			func(cr *cbg.CborReader) (any, error) { return cborx.ReadUint64s(cr) }, "[]"},
		{"CID", func(cw *cbg.CborWriter) error { return cborx.WriteCID(cw, c) }, "",
			func(cr *cbg.CborReader) (any, error) { return cborx.ReadCID(cr) }, c},
		{"optional CID", func(cw *cbg.CborWriter) error { return cborx.WriteOptionalCID(cw, &c) }, "",
			func(cr *cbg.CborReader) (any, error) { p, err := cborx.ReadOptionalCID(cr); return *p, err }, c},
		{"null optional CID", func(cw *cbg.CborWriter) error { return cborx.WriteOptionalCID(cw, nil) }, "f6",
			func(cr *cbg.CborReader) (any, error) { return cborx.ReadOptionalCID(cr) }, (*cid.Cid)(nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := tt.write(cbg.NewCborWriter(&buf)); err != nil {
				t.Fatal(err)
			}
			if tt.hex != "" && hex.EncodeToString(buf.Bytes()) != tt.hex {
				t.Errorf("encoded %x, want %s", buf.Bytes(), tt.hex)
			}
			r := bytes.NewReader(buf.Bytes())
			got, err := tt.read(cbg.NewCborReader(r))
			if err != nil {
				t.Fatal(err)
			}
			// Slices are compared in their printed form; nil ones print
			// like empty ones, so check nil-ness apart.
			switch v := got.(type) {
			case []byte:
				if len(v) == 0 && v != nil {
					t.Errorf("empty byte string read as %#v, want nil", v)
				}
				got = hex.EncodeToString(v)
			case []uint64:
				if len(v) == 0 && v != nil {
					t.Errorf("empty array read as %#v, want nil", v)
				}
				got = fmt.Sprint(v)
			}
			if got != tt.want {
				t.Errorf("read %v, want %v", got, tt.want)
			}
			if r.Len() != 0 {
				t.Errorf("%d bytes left unread", r.Len())
			}
		})
	}
}

func TestReadNull(t *testing.T) {
	cr := reader(t, "f601")
	if null, err := cborx.ReadNull(cr); err != nil || !null {
		t.Fatalf("null: %v, %v; want true", null, err)
	}
	if null, err := cborx.ReadNull(cr); err != nil || null {
		t.Fatalf("uint: %v, %v; want false", null, err)
	}
	// A non-null item is left for the next reader.
	if v, err := cborx.ReadUint64(cr); err != nil || v != 1 {
		t.Fatalf("after ReadNull: %d, %v; want 1", v, err)
	}
	if _, err := cborx.ReadNull(cr); err != io.EOF {
		t.Fatalf("at end: %v, want io.EOF", err)
	}
}

// pair is a two-field tuple of unsigned integers for Encode and Decode.
type pair struct{ A, B uint64 }

func (p *pair) MarshalCBOR(w io.Writer) error {
	cw := cbg.NewCborWriter(w)
	if err := cw.WriteMajorTypeHeader(cbg.MajArray, 2); err != nil {
		return err
	}
	if err := cborx.WriteUint64(cw, p.A); err != nil {
		return err
	}
	return cborx.WriteUint64(cw, p.B)
}

// UnmarshalCBOR leaves io.EOF from the fields unwrapped, so that Decode's
// own mapping to io.ErrUnexpectedEOF is tested.
func (p *pair) UnmarshalCBOR(r io.Reader) (err error) {
	cr := cbg.NewCborReader(r)
	if _, err := cborx.ReadTuple(cr, "pair", 2); err != nil {
		return err
	}
	if p.A, err = cborx.ReadUint64(cr); err != nil {
		return err
	}
	p.B, err = cborx.ReadUint64(cr)
	return err
}

func TestDecode(t *testing.T) {
	b, err := cborx.Encode(&pair{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(b) != "820102" {
		t.Fatalf("Encode: %x, want 820102", b)
	}
	var p pair
	if err := cborx.Decode("pair", b, &p); err != nil || p != (pair{1, 2}) {
		t.Fatalf("Decode: %+v, %v", p, err)
	}

	tests := []struct {
		name string
		hex  string
		want error
		msg  string
	}{
		{"empty", "", io.ErrUnexpectedEOF, "pair: empty input: unexpected EOF"},
		{"truncated", "8201", io.ErrUnexpectedEOF, "unexpected EOF"},
		{"trailing", "82010200", cborx.ErrTrailingBytes, "pair: trailing bytes after CBOR object: 1 bytes after the object"},
		{"field count", "83010203", cborx.ErrFieldCount, "pair: wrong number of tuple fields: array of 3, want [2]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := hex.DecodeString(tt.hex)
			err := cborx.Decode("pair", b, &pair{})
			checkErr(t, err, tt.want, tt.msg)
			if err == io.EOF {
				t.Error("bare io.EOF from a whole buffer")
			}
		})
	}
}

func TestMajorName(t *testing.T) {
	for maj, want := range []string{
		"unsigned integer", "negative integer", "byte string", "text string",
		"array", "map", "tag", "simple value",
	} {
		if got := cborx.MajorName(byte(maj)); got != want {
			t.Errorf("MajorName(%d) = %q, want %q", maj, got, want)
		}
	}
}
