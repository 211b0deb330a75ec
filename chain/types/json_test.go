package types_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/big"
)

// replaceOnce returns the golden file name with the first old replaced by
// new, failing if old does not occur.
func replaceOnce(t *testing.T, name, old, new string) []byte {
	t.Helper()
	b := readGolden(t, name)
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("%s: no %q", name, old)
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

// TestDecodeJSON_WrongShapes checks that values of the wrong JSON type fail
// with an error naming the Go type and the field, starting from each golden
// file with one value broken.
func TestDecodeJSON_WrongShapes(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		v    any
		msg  []string // substrings the error must contain
	}{
		{"height as string", replaceOnce(t, "tipset.json", `"Height": 4863283
}`, `"Height": "4863283"
}`), new(types.TipSet), []string{"*types.TipSet", "Height", "string"}},
		{"weight as number", replaceOnce(t, "tipset.json", `"116013147118"`, `116013147118`), new(types.TipSet), []string{"*types.TipSet", "big"}},
		{"cid as string", replaceOnce(t, "msglookup.json", `"Message": {
    "/": "bafy2bzacea3wsdh6y3a36tb3skempjoxqpuyompjbmfeyf34fi3uy6uue42v4"
  }`, `"Message": "bafy2bzacea3wsdh6y3a36tb3skempjoxqpuyompjbmfeyf34fi3uy6uue42v4"`), new(types.MsgLookup), []string{"*types.MsgLookup", "cid"}},
		{"tipset key as object", replaceOnce(t, "msglookup.json", `"TipSet": [`, `"TipSet": {"a":1}, "X": [`), new(types.MsgLookup), []string{"*types.MsgLookup", "tipset key JSON", "object"}},
		{"sector size as string", replaceOnce(t, "minerinfo.json", `34359738368`, `"34359738368"`), new(types.MinerInfo), []string{"*types.MinerInfo", "SectorSize"}},
		{"bad peer id", replaceOnce(t, "minerinfo.json", `"12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf"`, `"12D3KooW"`), new(types.MinerInfo), []string{"invalid peer ID"}},
		{"address as number", replaceOnce(t, "minerinfo.json", `"Beneficiary": "f01234"`, `"Beneficiary": 1234`), new(types.MinerInfo), []string{"*types.MinerInfo"}},
		{"multiaddr not base64", replaceOnce(t, "minerinfo.json", `"Multiaddrs": [
    "Ynl0ZSBhcnJheQ=="`, `"Multiaddrs": [
    "not base64!"`), new(types.MinerInfo), []string{"*types.MinerInfo", "base64"}},
		{"epoch as float", replaceOnce(t, "deadlineinfo.json", `"Index": 42`, `"Index": 4.2`), new(types.DeadlineInfo), []string{"*types.DeadlineInfo", "Index"}},
		{"negative index", replaceOnce(t, "deadlineinfo.json", `"Index": 42`, `"Index": -1`), new(types.DeadlineInfo), []string{"Index", "uint64"}},
		{"pledge as number", replaceOnce(t, "sectoronchaininfo.json", `"InitialPledge": "0"`, `"InitialPledge": 0`), new(types.SectorOnChainInfo), []string{"*types.SectorOnChainInfo"}},
		{"deal state as array", replaceOnce(t, "marketdeal.json", `"State": {`, `"State": [], "X": {`), new(types.MarketDeal), []string{"*types.MarketDeal", "State", "array"}},
		{"label as number", replaceOnce(t, "marketdeal.json", `"Label": ""`, `"Label": 5`), new(types.MarketDeal), []string{"*types.MarketDeal"}},
		{"bad uuid", replaceOnce(t, "sendspec.json", `"07070707-0707-0707-0707-070707070707"`, `"07070707"`), new(types.MessageSendSpec), []string{"invalid UUID"}},
		{"unknown ipld op", replaceOnce(t, "invocresult.json", `"Op": "Get"`, `"Op": "Delete"`), new(types.InvocResult), []string{"unknown IPLD trace operation"}},
		{"not an object", []byte(`[1,2]`), new(types.Actor), []string{"*types.Actor", "array"}},
		{"truncated", []byte(`{"Code":`), new(types.Actor), []string{"*types.Actor", "unexpected end"}},
		{"trailing data", []byte(`{"Escrow":"0","Locked":"0"} {}`), new(types.MarketBalance), []string{"*types.MarketBalance", "after top-level value"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := types.DecodeJSON(tc.in, tc.v)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			for _, m := range tc.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q lacks %q", err, m)
				}
			}
		})
	}
}

func TestDecodeJSON_Limit(t *testing.T) {
	in := make([]byte, types.MaxJSONSize+1)
	err := types.DecodeJSON(in, new(types.TipSet))
	if !errors.Is(err, types.ErrTooLarge) {
		t.Fatalf("error %v", err)
	}
	// Unknown fields are ignored, so answers from newer nodes still decode.
	var mb types.MarketBalance
	if err := types.DecodeJSON([]byte(`{"Escrow":"5","Locked":"1","NewField":[1]}`), &mb); err != nil ||
		!mb.Escrow.Equals(big.NewInt(5)) {
		t.Fatalf("unknown field: %v", err)
	}
}
