package types_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/fil/bitfield"
	ftypes "github.com/strata-sp/strata/fil/types"
)

// goldenFiles maps each file under testdata/ to a constructor of the Go value
// it decodes into. Sources are listed in testdata/README.md; all come from
// research/lotus-api-v1.md §5-§6 (the Lotus docgen examples).
var goldenFiles = []struct {
	file string
	new  func() any
}{
	{"tipset.json", func() any { return new(types.TipSet) }},                                         // ChainHead, $TIPSET (third parent restored)
	{"headchange.json", func() any { return new([]types.HeadChange) }},                               // ChainNotify item
	{"msglookup.json", func() any { return new(types.MsgLookup) }},                                   // StateWaitMsg
	{"actor.json", func() any { return new(types.Actor) }},                                           // StateGetActor, $ACTOR
	{"actorstate.json", func() any { return new(types.ActorState) }},                                 // StateReadState
	{"sendspec.json", func() any { return new(types.MessageSendSpec) }},                              // MpoolPushMessage, $SPEC
	{"signedmessage.json", func() any { return new(ftypes.SignedMessage) }},                          // MpoolPushMessage, $SMSG
	{"minerinfo.json", func() any { return new(types.MinerInfo) }},                                   // StateMinerInfo
	{"minerpower.json", func() any { return new(types.MinerPower) }},                                 // StateMinerPower
	{"deadlineinfo.json", func() any { return new(types.DeadlineInfo) }},                             // StateMinerProvingDeadline
	{"sectoronchaininfo.json", func() any { return new(types.SectorOnChainInfo) }},                   // StateSectorGetInfo, $SECTOR
	{"sectorprecommitinfo.json", func() any { return new(types.SectorPreCommitInfo) }},               // $PCI
	{"sectorprecommitonchaininfo.json", func() any { return new(types.SectorPreCommitOnChainInfo) }}, // StateSectorPreCommitInfo
	{"marketdeal.json", func() any { return new(types.MarketDeal) }},                                 // StateMarketStorageDeal, $DEAL
	{"marketdeals.json", func() any { return new(map[string]*types.MarketDeal) }},                    // StateMarketDeals
	{"marketbalance.json", func() any { return new(types.MarketBalance) }},                           // StateMarketBalance
	{"dealcollateralbounds.json", func() any { return new(types.DealCollateralBounds) }},             // StateDealProviderCollateralBounds
	{"invocresult.json", func() any { return new(types.InvocResult) }},                               // StateCall
	{"deadlines.json", func() any { return new([]types.Deadline) }},                                  // StateMinerDeadlines
	{"partitions.json", func() any { return new([]types.Partition) }},                                // StateMinerPartitions
	{"minerfaults.json", func() any { return new(bitfield.BitField) }},                               // StateMinerFaults
}

// compact returns b without insignificant whitespace, keeping key order.
func compact(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("compact %s: %v", b, err)
	}
	return buf.Bytes()
}

// canonical returns b re-encoded with sorted keys, for order-blind diffs.
func canonical(t *testing.T, b []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("canonical %s: %v", b, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGolden_RoundTrip decodes each golden file and requires the re-encoded
// JSON to equal it byte for byte once whitespace is removed: same values,
// same key order as Lotus (struct order), same nulls.
func TestGolden_RoundTrip(t *testing.T) {
	for _, g := range goldenFiles {
		t.Run(g.file, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", g.file))
			if err != nil {
				t.Fatal(err)
			}
			v := g.new()
			if err := types.DecodeJSON(want, v); err != nil {
				t.Fatalf("decode: %v", err)
			}
			got, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if !bytes.Equal(canonical(t, got), canonical(t, want)) {
				t.Fatalf("values differ\n got %s\nwant %s", canonical(t, got), canonical(t, want))
			}
			if w := compact(t, want); !bytes.Equal(got, w) {
				t.Fatalf("key order differs\n got %s\nwant %s", got, w)
			}
		})
	}
}
