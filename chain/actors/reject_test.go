package actors_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"

	cbg "github.com/whyrusleeping/cbor-gen"

	"github.com/strata-sp/strata/chain/actors"
	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/big"
	"github.com/strata-sp/strata/fil/bitfield"
)

// TestDecodeParams_Rejects checks that malformed, non-canonical, oversized
// and mistyped inputs fail with the right sentinel and name where.
func TestDecodeParams_Rejects(t *testing.T) {
	const (
		createMiner  = "854200644200650a4080"
		declare      = "818183030042b002"
		withdrawRet  = "40"
		postPrefix   = "8503" + "82" + "820040"
		bigByteLen   = "5a00200001" // a byte string of 2 MiB + 1
		arrayTooLong = "992001"     // an array of 8193 items
	)
	newCM := func() cbg.CBORUnmarshaler { return new(actors.CreateMinerParams) }
	newDF := func() cbg.CBORUnmarshaler { return new(actors.DeclareFaultsParams) }
	newWR := func() cbg.CBORUnmarshaler { return new(actors.WithdrawBalanceReturn) }
	newPoSt := func() cbg.CBORUnmarshaler { return new(actors.SubmitWindowedPoStParams) }
	tests := []struct {
		name   string
		in     string
		target func() cbg.CBORUnmarshaler
		want   error
		where  string // a substring of the error
	}{
		{"empty", "", newCM, actors.ErrNoParams, "CreateMinerParams"},
		{"truncated", createMiner[:len(createMiner)-2], newCM, io.ErrUnexpectedEOF, ""},
		{"truncated header", "8542", newCM, io.ErrUnexpectedEOF, ""},
		{"truncated in uint", "81818319", newDF, io.ErrUnexpectedEOF, ""},
		{"trailing byte", createMiner + "00", newCM, actors.ErrTrailingBytes, "1 bytes after"},
		{"two objects", declare + declare, newDF, actors.ErrTrailingBytes, ""},
		{"tuple too short", "844200644200650a40", newCM, actors.ErrFieldCount, "array of 4, want 5"},
		{"tuple too long", "864200644200650a408000", newCM, actors.ErrFieldCount, "array of 6, want 5"},
		{"not a tuple", "4300e807", newCM, actors.ErrCBORType, "byte string, want array"},
		{"inner tuple length", "81818203" + "00", newDF, actors.ErrFieldCount, "field Faults: item 0: declaration"},
		{"non-canonical uint", "8181831803" + "0042b002", newDF, actors.ErrNonCanonical, "1-byte header for 3"},
		{"non-canonical uint16", "818183190003" + "0042b002", newDF, actors.ErrNonCanonical, "2-byte header for 3"},
		{"non-canonical array length", "98018183030042b002", newDF, actors.ErrNonCanonical, ""},
		{"non-canonical bytes length", "8181830300" + "5802b002", newDF, actors.ErrNonCanonical, "1-byte header for 2"},
		{"negative for uint", "8181832000" + "42b002", newDF, actors.ErrCBORType, "field Deadline: unexpected CBOR type: negative integer"},
		{"bytes for uint", "818183410300" + "42b002", newDF, actors.ErrCBORType, "field Deadline"},
		{"array too long", "81" + arrayTooLong, newDF, actors.ErrTooLarge, "8193 items"},
		{"bytes too long", "85" + "420064" + "420065" + "0a" + bigByteLen, newCM, actors.ErrTooLarge, "2097153 bytes"},
		{"indefinite array", "9f" + "ff", newDF, actors.ErrMalformed, "indefinite"},
		{"indefinite bytes", "5f" + "ff", newWR, actors.ErrMalformed, "indefinite"},
		{"reserved header", "1c", newWR, actors.ErrMalformed, "reserved"},
		{"map", "a0", newDF, actors.ErrCBORType, "map"},
		{"float", "f93c00", newWR, actors.ErrMalformed, "float"},
		{"undefined", "f7", newWR, actors.ErrMalformed, ""},
		{"other tag", "d82b4100", newWR, actors.ErrMalformed, "tag 43"},
		{"bad utf-8", "62c328", newWR, actors.ErrMalformed, "UTF-8"},
		{"big int leading zero", "43000005", newWR, actors.ErrNonCanonical, "big int payload 000005 (= 5)"},
		{"big int bare sign", "4100", newWR, actors.ErrNonCanonical, ""},
		{"big int negative zero", "4101", newWR, actors.ErrNonCanonical, ""},
		{"big int bad sign", "420205", newWR, big.ErrSign, ""},
		{"big int too long", "5881" + strings.Repeat("01", 129), newWR, actors.ErrTooLarge, "129 bytes, max 128"},
		{"big int as uint", "05", newWR, actors.ErrCBORType, "unsigned integer, want byte string"},
		// {5} with its zero run in the varint form: valid RLE+ that the FVM
		// refuses as non-canonical.
		{"bitfield non-canonical", "818183030042a020", newDF, actors.ErrNonCanonical, "field Sectors"},
		{"bitfield invalid", "8181830300" + "41ff", newDF, bitfield.ErrInvalid, "field Faults: item 0: declaration: field Sectors"},
		{"bitfield trailing zero", "8181830300" + "43b00200", newDF, bitfield.ErrInvalid, ""},
		{"bitfield in PoSt", postPrefix + "820141ff" + "80" + "00" + "40", newPoSt, bitfield.ErrInvalid,
			"field Partitions: item 1: PoSt partition: field Skipped"},
		{"epoch overflows int64", "8503" + "80" + "80" + "1b8000000000000000" + "40", newPoSt, actors.ErrIntOverflow, "field ChainCommitEpoch"},
		{"negative epoch overflows int64", "8503" + "80" + "80" + "3b8000000000000000" + "40", newPoSt, actors.ErrIntOverflow, ""},
		{"null for bool", "81f6", func() cbg.CBORUnmarshaler { return new(actors.TerminateSectorsReturn) }, actors.ErrCBORType, "null, want bool"},
		{"uint32 overflow", "82" + "1b0000000100000000" + "80", func() cbg.CBORUnmarshaler { return new(actors.BatchReturn) },
			actors.ErrIntOverflow, "field SuccessCount"},
		{"exit code overflow", "82" + "00" + "81" + "82" + "00" + "1b0000000100000000", func() cbg.CBORUnmarshaler { return new(actors.BatchReturn) },
			actors.ErrIntOverflow, "field FailCodes: item 0: fail code: field Code"},
		{"CID without prefix", "82" + "d82a" + "49" + "01" + testCIDHex + "80", func() cbg.CBORUnmarshaler { return new(actors.ExecParams) },
			actors.ErrMalformed, "0x00"},
		{"CID garbage", "82" + "d82a" + "43" + "000102" + "40", func() cbg.CBORUnmarshaler { return new(actors.ExecParams) },
			actors.ErrMalformed, "field CodeCID"},
		{"CID over bytes", "82" + "d82a" + "8100" + "40", func() cbg.CBORUnmarshaler { return new(actors.ExecParams) },
			actors.ErrCBORType, ""},
		{"empty address", "40", func() cbg.CBORUnmarshaler { return new(actors.AddBalanceParams) }, nil, "AddBalance params"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := mustHex(t, tc.in)
			err := actors.DecodeParams(in, tc.target())
			if err == nil {
				t.Fatalf("decoded %s", tc.in)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("error %q does not wrap %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.where) {
				t.Fatalf("error %q does not name %q", err, tc.where)
			}
			if got, want := actors.ParamsExitCode(err), actors.ExitSerialization; tc.want != actors.ErrNoParams && got != want {
				t.Fatalf("ParamsExitCode = %v, want %v", got, want)
			}
		})
	}
}

// TestDecodeParams_TooLarge checks the input limit, applied before any
// decoding, and that params of exactly MaxParamsSize bytes are accepted.
func TestDecodeParams_TooLarge(t *testing.T) {
	in := make([]byte, actors.MaxParamsSize+1)
	if err := actors.DecodeParams(in, new(actors.DeclareFaultsParams)); !errors.Is(err, actors.ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
	// [NewID]: a 1-byte tuple header and a 5-byte string header.
	fits := &actors.ChangePeerIDParams{NewID: bytes.Repeat([]byte{1}, actors.MaxParamsSize-6)}
	b := encode(t, fits)
	if len(b) != actors.MaxParamsSize {
		t.Fatalf("encoded %d bytes", len(b))
	}
	var back actors.ChangePeerIDParams
	if err := actors.DecodeParams(b, &back); err != nil || !bytes.Equal(back.NewID, fits.NewID) {
		t.Fatalf("decode at the limit: %v", err)
	}
	over := &actors.ChangePeerIDParams{NewID: bytes.Repeat([]byte{1}, actors.MaxParamsSize-5)}
	if _, err := actors.EncodeParams(over); !errors.Is(err, actors.ErrTooLarge) {
		t.Fatalf("encode over the limit: %v", err)
	}
}

// TestParams_Empty checks the abi.EmptyValue convention: no params are zero
// bytes, and the exit codes the network uses for missing and unexpected
// params.
func TestParams_Empty(t *testing.T) {
	if b, err := actors.EncodeParams(nil); b != nil || err != nil {
		t.Fatalf("EncodeParams(nil) = %x, %v", b, err)
	}
	if err := actors.CheckNoParams(nil); err != nil {
		t.Fatal(err)
	}
	for _, in := range [][]byte{{0xf6}, {0x40}, {0x80}} {
		err := actors.CheckNoParams(in)
		if !errors.Is(err, actors.ErrUnexpectedParams) || actors.ParamsExitCode(err) != actors.ExitIllegalArgument {
			t.Fatalf("CheckNoParams(%x) = %v", in, err)
		}
	}
	err := actors.DecodeParams(nil, new(actors.AddBalanceParams))
	if !errors.Is(err, actors.ErrNoParams) || actors.ParamsExitCode(err) != actors.ExitIllegalArgument {
		t.Fatalf("DecodeParams(empty) = %v", err)
	}
	if err := actors.DecodeReturn(nil, new(actors.BatchReturn)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("DecodeReturn(empty) = %v", err)
	}
	if c := actors.ParamsExitCode(nil); c != actors.ExitOk {
		t.Fatalf("ParamsExitCode(nil) = %v", c)
	}
}

// TestPublishStorageDeals_NonCanonicalProposal checks that a proposal that
// fil/types would accept but that does not re-encode to itself (a big int
// with a leading zero byte) is refused.
func TestPublishStorageDeals_NonCanonicalProposal(t *testing.T) {
	var psd fixture
	for _, f := range fixtures(t, familyMarket) {
		if f.name == "PublishStorageDealsParams" {
			psd = f
		}
	}
	good := hex.EncodeToString(encode(t, psd.value))
	const price = "420005" // StoragePricePerEpoch, 5 attoFIL
	if strings.Count(good, price) != 2 {
		t.Fatalf("fixture changed: %d prices", strings.Count(good, price))
	}
	bad := strings.Replace(good, price, "43000005", 1)
	err := actors.DecodeParams(mustHex(t, bad), psd.target())
	if !errors.Is(err, actors.ErrNonCanonical) || !strings.Contains(err.Error(), "field Deals: item 0") {
		t.Fatalf("got %v, want ErrNonCanonical naming the deal", err)
	}
}

// TestEncode_Rejects checks what cannot be encoded.
func TestEncode_Rejects(t *testing.T) {
	tests := []struct {
		name  string
		value cbg.CBORMarshaler
		want  error
		where string
	}{
		{"undefined address", &actors.CreateMinerParams{}, actors.ErrUndefined, "field Owner"},
		{"undefined CID", &actors.ExecParams{}, actors.ErrUndefined, "field CodeCID"},
		{"undefined address in list", &actors.ChangeWorkerAddressParams{NewWorker: actors.MarketAddr, NewControlAddrs: make([]address.Address, 1)},
			actors.ErrUndefined, "field NewControlAddrs: item 0"},
		{"negative exit code", &actors.BatchReturn{FailCodes: []actors.FailCode{{Code: -1}}}, actors.ErrIntOverflow, "field FailCodes: item 0"},
		{"list too long", &actors.SectorClaim{MaintainClaims: make([]uint64, actors.MaxArrayLength+1)}, actors.ErrTooLarge, "field MaintainClaims"},
		{"bytes too long", &actors.ChangePeerIDParams{NewID: make([]byte, actors.MaxBytesLength+1)}, actors.ErrTooLarge, "field NewID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := actors.EncodeParams(tc.value)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.where) {
				t.Fatalf("got %v, want %v naming %q", err, tc.want, tc.where)
			}
		})
	}
}

// TestUnmarshalCBOR_Stream checks cbor-gen's streaming convention: objects
// read one after another from a stream, and a clean end of stream before an
// object is a bare io.EOF, while one inside it is io.ErrUnexpectedEOF.
func TestUnmarshalCBOR_Stream(t *testing.T) {
	one := mustHex(t, "818183030042b002")
	r := bytes.NewReader(append(append([]byte{}, one...), one...))
	for i := range 2 {
		var p actors.DeclareFaultsParams
		if err := p.UnmarshalCBOR(r); err != nil || len(p.Faults) != 1 {
			t.Fatalf("object %d: %+v, %v", i, p, err)
		}
	}
	for _, v := range []cbg.CBORUnmarshaler{new(actors.DeclareFaultsParams), new(actors.AddBalanceParams), new(actors.WithdrawBalanceReturn), new(actors.SectorContentChangedParams)} {
		if err := v.UnmarshalCBOR(r); err != io.EOF {
			t.Fatalf("%T at end of stream: %v, want io.EOF", v, err)
		}
	}
	var p actors.DeclareFaultsParams
	if err := p.UnmarshalCBOR(bytes.NewReader(one[:3])); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated: %v", err)
	}
	// A failed decode leaves the target as it was.
	p = actors.DeclareFaultsParams{Faults: []actors.FaultDeclaration{{Deadline: 9}}}
	if err := p.UnmarshalCBOR(bytes.NewReader(one[:5])); err == nil || p.Faults[0].Deadline != 9 {
		t.Fatalf("failed decode changed the target: %+v, %v", p, err)
	}
}
