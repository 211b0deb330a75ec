package types_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/ipfs/go-cid"
	"github.com/multiformats/go-multihash"

	"github.com/strata-sp/strata/chain/types"
	"github.com/strata-sp/strata/proof"
)

func TestParseUUID(t *testing.T) {
	const canon = "07070707-0707-0707-0707-0707070707ab"
	for _, in := range []string{canon, "070707070707070707070707070707ab", "urn:uuid:" + canon, "URN:UUID:" + canon, "{" + canon + "}", "07070707-0707-0707-0707-0707070707AB"} {
		u, err := types.ParseUUID(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if u.String() != canon {
			t.Fatalf("%s: %s", in, u)
		}
	}
	for _, in := range []string{"", "07070707", canon + "0", "0707070700707-0707-0707-0707070707ab", "{" + canon + "]", "urn:uuix:" + canon, "zz070707-0707-0707-0707-0707070707ab"} {
		if _, err := types.ParseUUID(in); !errors.Is(err, types.ErrInvalidUUID) {
			t.Errorf("%q: %v", in, err)
		}
	}
	var zero types.UUID
	if j := mustJSON(t, zero); string(j) != `"00000000-0000-0000-0000-000000000000"` {
		t.Fatalf("zero UUID JSON %s", j)
	}
}

func TestPeerID(t *testing.T) {
	const b58 = "12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf"
	p, err := types.ParsePeerID(b58)
	if err != nil {
		t.Fatal(err)
	}
	if p.String() != b58 {
		t.Fatalf("String %s", p)
	}
	// The same ID as a CIDv1 with the libp2p-key codec.
	c := cid.NewCidV1(0x72, multihash.Multihash(p.Bytes()))
	q, err := types.ParsePeerID(c.String())
	if err != nil || q != p {
		t.Fatalf("CID form %s: %v", c, err)
	}
	fromBytes, err := types.PeerIDFromBytes(p.Bytes())
	if err != nil || fromBytes != p {
		t.Fatalf("PeerIDFromBytes: %v", err)
	}
	if _, err := types.PeerIDFromBytes([]byte{0x12, 0x20, 1}); !errors.Is(err, types.ErrInvalidPeerID) {
		t.Fatalf("bad bytes: %v", err)
	}
	dagCBOR := mustCID(t, "bafy2bzacea3wsdh6y3a36tb3skempjoxqpuyompjbmfeyf34fi3uy6uue42v4")
	for _, in := range []string{"", "1", "Qm", "12D3KooW", dagCBOR.String(), "not-a-cid"} {
		if _, err := types.ParsePeerID(in); !errors.Is(err, types.ErrInvalidPeerID) {
			t.Errorf("%q: %v", in, err)
		}
	}
	var info struct{ PeerId *types.PeerID }
	if j := mustJSON(t, info); string(j) != `{"PeerId":null}` {
		t.Fatalf("nil peer ID JSON %s", j)
	}
	if err := json.Unmarshal([]byte(`{"PeerId":"`+b58+`"}`), &info); err != nil || *info.PeerId != p {
		t.Fatalf("JSON: %v", err)
	}
}

// TestNewDeadlineInfo checks the deadline arithmetic with mainnet constants
// (research/lotus-api-v1.md §6: 48 deadlines, period 2880, window 60,
// lookback 20, cutoff 70).
func TestNewDeadlineInfo(t *testing.T) {
	p := types.MainnetDeadlineParams()
	d := types.NewDeadlineInfo(1000, 3, 1200, p)
	want := types.DeadlineInfo{
		CurrentEpoch: 1200, PeriodStart: 1000, Index: 3, Open: 1180, Close: 1240, Challenge: 1160, FaultCutoff: 1110,
		WPoStPeriodDeadlines: 48, WPoStProvingPeriod: 2880, WPoStChallengeWindow: 60, WPoStChallengeLookback: 20, FaultDeclarationCutoff: 70,
	}
	if d != want {
		t.Fatalf("got %+v\nwant %+v", d, want)
	}
	if !d.IsOpen() || d.HasElapsed() || !d.PeriodStarted() || !d.FaultCutoffPassed() || d.Last() != 1239 || d.NextPeriodStart() != 3880 {
		t.Fatalf("predicates of %+v", d)
	}
	if d.NextNotElapsed() != d {
		t.Fatal("an open deadline is its own next")
	}
	tests := []struct {
		current, wantOpen int64
	}{
		{1240, 1180 + 2880},        // just closed: next period
		{1240 + 2879, 1180 + 2880}, // last epoch before the next one closes
		{1240 + 2880, 1180 + 2*2880},
		{1240 + 10*2880 + 5, 1180 + 11*2880},
	}
	for _, tc := range tests {
		n := types.NewDeadlineInfo(1000, 3, tc.current, p).NextNotElapsed()
		if n.Open != tc.wantOpen || n.HasElapsed() || n.PeriodStart != tc.wantOpen-180 {
			t.Errorf("current %d: next %+v", tc.current, n)
		}
	}
	// Past the last deadline: an empty deadline after the period.
	after := types.NewDeadlineInfo(1000, 48, 1200, p)
	if after.Open != 3880 || after.Close != 3880 || after.Challenge != 3880 || after.FaultCutoff != 0 {
		t.Fatalf("after last %+v", after)
	}
}

func TestTraceOp(t *testing.T) {
	for op, s := range map[types.TraceOp]string{types.IpldOpGet: `"Get"`, types.IpldOpPut: `"Put"`, 7: `"Unknown"`} {
		if j := mustJSON(t, op); string(j) != s {
			t.Errorf("%d: %s", op, j)
		}
	}
	var op types.TraceOp
	if err := json.Unmarshal([]byte(`"Put"`), &op); err != nil || op != types.IpldOpPut {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(`"Unknown"`), &op); !errors.Is(err, types.ErrUnknownOp) {
		t.Fatal(err)
	}
}

// TestExecutionTrace_Omitted checks Lotus's one use of omitempty.
func TestExecutionTrace_Omitted(t *testing.T) {
	j := string(mustJSON(t, types.ExecutionTrace{}))
	// encoding/json escapes the < and > of "<empty>", in Lotus too.
	const want = `{"Msg":{"From":"\u003cempty\u003e","To":"\u003cempty\u003e","Value":"0","Method":0,"Params":null,"ParamsCodec":0,"GasLimit":0,"ReadOnly":false},"MsgRct":{"ExitCode":0,"Return":null,"ReturnCodec":0},"GasCharges":null,"Subcalls":null}`
	if j != want {
		t.Fatalf("got  %s\nwant %s", j, want)
	}
}

// TestMinerInfo_Nulls covers what Lotus sends for a miner with nothing
// pending: NewWorker "<empty>", WorkerChangeEpoch -1 and nulls.
func TestMinerInfo_Nulls(t *testing.T) {
	const in = `{"Owner":"f01000","Worker":"f01001","NewWorker":"\u003cempty\u003e","ControlAddresses":null,"WorkerChangeEpoch":-1,"PeerId":null,"Multiaddrs":null,"WindowPoStProofType":13,"SectorSize":34359738368,"WindowPoStPartitionSectors":2349,"ConsensusFaultElapsed":-1,"PendingOwnerAddress":null,"Beneficiary":"f01000","BeneficiaryTerm":{"Quota":"0","UsedQuota":"0","Expiration":0},"PendingBeneficiaryTerm":null}`
	var mi types.MinerInfo
	if err := types.DecodeJSON([]byte(in), &mi); err != nil {
		t.Fatal(err)
	}
	if !mi.NewWorker.Empty() || mi.PeerId != nil || mi.PendingOwnerAddress != nil || mi.ControlAddresses != nil ||
		mi.WindowPoStProofType != proof.StackedDrgWindow32GiBV1_1 || mi.SectorSize != proof.Size32GiB {
		t.Fatalf("%+v", mi)
	}
	if out := string(mustJSON(t, mi)); out != in {
		t.Fatalf("round trip\n got %s\nwant %s", out, in)
	}
}
