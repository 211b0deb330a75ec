package types_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/sig"
	"github.com/strata-sp/strata/fil/types"
)

// The BLS message vector of messages.json, split where the tests edit it.
const (
	msgVersion  = "00"
	msgTo       = "44009f8d06"
	msgFrom     = "583103938c9a503bf9a33d4e95aaee1401933dae469743b1a1e937e67a7fa175cc37cce4a5eb90e4ea9a1e36c0035891518f3d"
	msgNonce    = "1837"
	msgValue    = "420001"
	msgGasLimit = "1a000f4240"
	msgFeeCap   = "420064"
	msgPremium  = "420001"
	msgMethod   = "00"
	msgParams   = "40"
)

// msgHex assembles a message from its field encodings, replacing the ones
// given in edits (field index to hex).
func msgHex(header string, edits map[int]string) string {
	fields := []string{msgVersion, msgTo, msgFrom, msgNonce, msgValue, msgGasLimit, msgFeeCap, msgPremium, msgMethod, msgParams}
	for i, h := range edits {
		fields[i] = h
	}
	return header + strings.Join(fields, "")
}

func TestDecodeMessage_Errors(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  error
		field string
	}{
		{"trailing bytes", msgHex("8a", nil) + "00", types.ErrTrailingBytes, ""},
		{"nine fields", msgHex("89", nil), types.ErrFieldCount, ""},
		{"eleven fields", msgHex("8b", nil) + "00", types.ErrFieldCount, ""},
		{"map", "a0", types.ErrCBORType, ""},
		{"indefinite array", "9f" + msgHex("", nil) + "ff", nil, ""},
		{"truncated", msgHex("8a", nil)[:40], io.ErrUnexpectedEOF, "From"},
		{"empty", "", io.ErrUnexpectedEOF, ""},
		{"version 1", msgHex("8a", map[int]string{0: "01"}), types.ErrMessageVersion, ""},
		{"negative version", msgHex("8a", map[int]string{0: "20"}), types.ErrCBORType, "Version"},
		{"non-minimal nonce", msgHex("8a", map[int]string{3: "190037"}), nil, "Nonce"},
		{"unknown address protocol", msgHex("8a", map[int]string{1: "420901"}), address.ErrUnknownProtocol, "To"},
		{"wrong address length", msgHex("8a", map[int]string{2: "4401020304"}), address.ErrInvalidLength, "From"},
		{"empty address", msgHex("8a", map[int]string{2: "40"}), address.ErrUndef, "From"},
		{"bad big int sign", msgHex("8a", map[int]string{4: "420201"}), big.ErrSign, "Value"},
		{"big int too long", msgHex("8a", map[int]string{6: "5881" + strings.Repeat("00", 129)}), big.ErrTooLarge, "GasFeeCap"},
		{"gas limit overflow", msgHex("8a", map[int]string{5: "1b8000000000000000"}), types.ErrIntOverflow, "GasLimit"},
		{"negative gas limit overflow", msgHex("8a", map[int]string{5: "3b8000000000000000"}), types.ErrIntOverflow, "GasLimit"},
		{"gas limit as string", msgHex("8a", map[int]string{5: "6131"}), types.ErrCBORType, "GasLimit"},
		{"params too large", msgHex("8a", map[int]string{9: "5a00200001"}), types.ErrFieldTooLarge, "Params"},
		{"params as text", msgHex("8a", map[int]string{9: "60"}), types.ErrCBORType, "Params"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := types.DecodeMessage(mustHex(t, tt.in))
			if err == nil {
				t.Fatalf("DecodeMessage(%s) succeeded", tt.in)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("DecodeMessage = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), "message") || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not name the object and field %q", err, tt.field)
			}
		})
	}
	// The unmodified assembly is the vector itself.
	if _, err := types.DecodeMessage(mustHex(t, msgHex("8a", nil))); err != nil {
		t.Fatalf("vector: %v", err)
	}
	// Negative gas limits within int64 decode (the chain rejects them later).
	m, err := types.DecodeMessage(mustHex(t, msgHex("8a", map[int]string{5: "3b7fffffffffffffff"})))
	if err != nil || m.GasLimit != -1<<63 {
		t.Errorf("GasLimit -2^63 = %v, %v", m, err)
	}
}

func TestMessage_MarshalErrors(t *testing.T) {
	var m types.Message
	if _, err := m.Serialize(); !errors.Is(err, address.ErrUndef) || !strings.Contains(err.Error(), "field To") {
		t.Errorf("Serialize(zero message) = %v", err)
	}
	if _, err := json.Marshal(m); !errors.Is(err, address.ErrUndef) {
		t.Errorf("JSON of zero message = %v", err)
	}
	m.To, m.From = address.MustParse("f01"), address.MustParse("f02")
	m.Params = make([]byte, types.MaxParamsLength+1)
	if _, err := m.Serialize(); !errors.Is(err, types.ErrFieldTooLarge) {
		t.Errorf("Serialize(huge params) = %v", err)
	}
	for _, in := range []string{`{"Value":5}`, `{"To":"f09"+}`, `{"To":"x1"}`, `{"Nonce":"1"}`} {
		if err := json.Unmarshal([]byte(in), &m); err == nil {
			t.Errorf("JSON %s accepted", in)
		}
	}
}

func TestDecodeSignedMessage_Errors(t *testing.T) {
	good := "82" + msgHex("8a", nil) + "58610" + "2" + strings.Repeat("ab", 96)
	if _, err := types.DecodeSignedMessage(mustHex(t, good)); err != nil {
		t.Fatalf("good: %v", err)
	}
	tests := []struct {
		name, in string
		want     error
		field    string
	}{
		{"trailing bytes", good + "f6", types.ErrTrailingBytes, ""},
		{"three fields", "83" + good[2:] + "00", types.ErrFieldCount, ""},
		{"unknown signature type", "82" + msgHex("8a", nil) + "420901", sig.ErrUnknownType, "Signature"},
		{"signature too long", "82" + msgHex("8a", nil) + "58c9" + strings.Repeat("01", 201), sig.ErrTooLong, "Signature"},
		{"bad message", "82" + msgHex("89", nil) + "420101", types.ErrFieldCount, "Message"},
		{"missing signature", "82" + msgHex("8a", nil), io.ErrUnexpectedEOF, "Signature"},
		{"version 1", "82" + msgHex("8a", map[int]string{0: "01"}) + "420101", types.ErrMessageVersion, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := types.DecodeSignedMessage(mustHex(t, tt.in))
			if !errors.Is(err, tt.want) {
				t.Fatalf("DecodeSignedMessage = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not name field %q", err, tt.field)
			}
		})
	}
}

// The deal proposal vector of primitives.md, split where the tests edit it.
var proposalFields = []string{
	"d82a5828000181e203922020fc7e928296e516faade986b28f92d44a4f24b935485223376a799027bc18f833", // PieceCID
	"190800",               // PieceSize
	"f4",                   // VerifiedDeal
	"4300e807", "4300e907", // Client, Provider
	"60",                 // Label
	"1864", "1a0007e964", // StartEpoch, EndEpoch
	"40", "49000de0b6b3a7640000", "40", // price, collaterals
}

func proposalHex(header string, edits map[int]string) string {
	fields := append([]string(nil), proposalFields...)
	for i, h := range edits {
		fields[i] = h
	}
	return header + strings.Join(fields, "")
}

func TestDecodeDealProposal_Errors(t *testing.T) {
	long := "790101" + strings.Repeat("61", 257)
	tests := []struct {
		name, in string
		want     error
		field    string
	}{
		{"trailing bytes", proposalHex("8b", nil) + "00", types.ErrTrailingBytes, ""},
		{"ten fields", proposalHex("8a", nil), types.ErrFieldCount, ""},
		{"label over 256 bytes", proposalHex("8b", map[int]string{5: long}), types.ErrLabelTooLong, "Label"},
		{"bytes label over 256 bytes", proposalHex("8b", map[int]string{5: "590101" + strings.Repeat("00", 257)}), types.ErrLabelTooLong, "Label"},
		{"label not UTF-8", proposalHex("8b", map[int]string{5: "62fffe"}), types.ErrLabelNotUTF8, "Label"},
		{"label as integer", proposalHex("8b", map[int]string{5: "01"}), types.ErrCBORType, "Label"},
		{"verified as null", proposalHex("8b", map[int]string{2: "f6"}), types.ErrCBORType, "VerifiedDeal"},
		{"verified as 1", proposalHex("8b", map[int]string{2: "01"}), types.ErrCBORType, "VerifiedDeal"},
		{"piece CID without tag", proposalHex("8b", map[int]string{0: proposalFields[0][4:]}), nil, "PieceCID"},
		{"piece CID null", proposalHex("8b", map[int]string{0: "f6"}), nil, "PieceCID"},
		{"start epoch overflow", proposalHex("8b", map[int]string{6: "1bffffffffffffffff"}), types.ErrIntOverflow, "StartEpoch"},
		{"bad collateral", proposalHex("8b", map[int]string{10: "4105"}), big.ErrSign, "ClientCollateral"},
		{"truncated", proposalHex("8b", nil)[:120], io.ErrUnexpectedEOF, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := types.DecodeDealProposal(mustHex(t, tt.in))
			if err == nil {
				t.Fatal("decoded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("DecodeDealProposal = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), "deal proposal") || !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not name the object and field %q", err, tt.field)
			}
		})
	}
	// 256 bytes is the limit, inclusive.
	ok := proposalHex("8b", map[int]string{5: "790100" + strings.Repeat("61", 256)})
	if _, err := types.DecodeDealProposal(mustHex(t, ok)); err != nil {
		t.Errorf("256-byte label: %v", err)
	}
	var p types.DealProposal
	if _, err := p.Serialize(); !errors.Is(err, types.ErrUndefinedCID) {
		t.Errorf("Serialize with undefined PieceCID = %v", err)
	}
}

func TestDecodeClientDealProposal_Errors(t *testing.T) {
	good := "82" + proposalHex("8b", nil) + "5842" + "01" + strings.Repeat("cd", 65)
	if _, err := types.DecodeClientDealProposal(mustHex(t, good)); err != nil {
		t.Fatalf("good: %v", err)
	}
	tests := []struct {
		name, in string
		want     error
	}{
		{"trailing bytes", good + "00", types.ErrTrailingBytes},
		{"one field", "81" + proposalHex("8b", nil), types.ErrFieldCount},
		{"bad proposal", "82" + proposalHex("8b", map[int]string{5: "62fffe"}) + "420101", types.ErrLabelNotUTF8},
		{"bad signature", "82" + proposalHex("8b", nil) + "40", sig.ErrCBOR},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := types.DecodeClientDealProposal(mustHex(t, tt.in)); !errors.Is(err, tt.want) {
				t.Fatalf("DecodeClientDealProposal = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDealLabel_Errors(t *testing.T) {
	if _, err := types.NewLabelFromString(strings.Repeat("a", 257)); !errors.Is(err, types.ErrLabelTooLong) {
		t.Errorf("257-byte text = %v", err)
	}
	if _, err := types.NewLabelFromString("\xff"); !errors.Is(err, types.ErrLabelNotUTF8) {
		t.Errorf("invalid UTF-8 = %v", err)
	}
	if _, err := types.NewLabelFromBytes(make([]byte, 257)); !errors.Is(err, types.ErrLabelTooLong) {
		t.Errorf("257 bytes = %v", err)
	}
	b, _ := types.NewLabelFromBytes([]byte{1, 2})
	if _, err := b.ToString(); !errors.Is(err, types.ErrLabelKind) {
		t.Errorf("ToString of bytes = %v", err)
	}
	s, _ := types.NewLabelFromString("x")
	if _, err := s.ToBytes(); !errors.Is(err, types.ErrLabelKind) {
		t.Errorf("ToBytes of text = %v", err)
	}
	if b.Equals(s) {
		t.Error("labels of different kinds are equal")
	}
	// JSON: text round-trips, bytes marshal as "" (Lotus), long input fails.
	j, err := json.Marshal(b)
	if err != nil || string(j) != `""` {
		t.Errorf("bytes label JSON = %s, %v", j, err)
	}
	var l types.DealLabel
	if err := json.Unmarshal([]byte(`"`+strings.Repeat("a", 257)+`"`), &l); !errors.Is(err, types.ErrLabelTooLong) {
		t.Errorf("long JSON label = %v", err)
	}
	if err := json.Unmarshal([]byte(`"héllo"`), &l); err != nil || !l.IsString() {
		t.Errorf("JSON label = %v, %v", l, err)
	}
	if _, err := types.DecodeDealLabel([]byte{0x60, 0x60}); !errors.Is(err, types.ErrTrailingBytes) {
		t.Errorf("trailing bytes = %v", err)
	}
	var nilLabel *types.DealLabel
	var buf bytes.Buffer
	if err := nilLabel.MarshalCBOR(&buf); err != nil || hex.EncodeToString(buf.Bytes()) != "60" {
		t.Errorf("nil label CBOR = %x, %v", buf.Bytes(), err)
	}
}
