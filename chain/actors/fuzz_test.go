package actors_test

import (
	"bytes"
	"testing"

	"github.com/strata-sp/strata/chain/actors"
)

// fuzzDecode is the property every decoder family is fuzzed for: whatever
// DecodeParams accepts as one of the family's types re-encodes to exactly the
// input, and reading the same bytes with UnmarshalCBOR alone (no pre-scan)
// gives the same value. Inputs it refuses map to the exit codes the network
// uses. Seeds are the family's populated fixtures, their truncations, and
// extra vectors.
func fuzzDecode(f *testing.F, family string, extra ...string) {
	table := fixtures(f, family)
	for _, fx := range table {
		b := encode(f, fx.value)
		f.Add(b)
		f.Add(b[:len(b)/2])
	}
	for _, h := range extra {
		f.Add(mustHex(f, h))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, fx := range table {
			v := fx.target()
			err := actors.DecodeParams(b, v)
			if err != nil {
				if c := actors.ParamsExitCode(err); c != actors.ExitSerialization && c != actors.ExitIllegalArgument {
					t.Fatalf("%s: %v maps to %v", fx.name, err, c)
				}
				continue
			}
			enc, err := actors.EncodeParams(v)
			if err != nil {
				t.Fatalf("%s: decoded %x but cannot re-encode: %v", fx.name, b, err)
			}
			if !bytes.Equal(enc, b) {
				t.Fatalf("%s: %x re-encodes as %x", fx.name, b, enc)
			}
			raw := fx.target()
			r := bytes.NewReader(b)
			if err := raw.UnmarshalCBOR(r); err != nil || r.Len() != 0 {
				t.Fatalf("%s: DecodeParams accepted %x, UnmarshalCBOR: %v (%d left)", fx.name, b, err, r.Len())
			}
			if again := encode(t, raw); !bytes.Equal(again, b) {
				t.Fatalf("%s: UnmarshalCBOR of %x re-encodes as %x", fx.name, b, again)
			}
		}
	})
}

// FuzzDecodePowerParams fuzzes CreateMiner, Exec and the miner constructor.
func FuzzDecodePowerParams(f *testing.F) {
	fuzzDecode(f, familyPower, "854200644200650a4080", "824300e8074300e907")
}

// FuzzDecodeMinerParams fuzzes every miner parameter and return type.
func FuzzDecodeMinerParams(f *testing.F) {
	fuzzDecode(f, familyMiner,
		"868040080102f4",
		"8681860102d82a49000182e2039220010003040544deadbeef120106f5",
		"8282014200038202420004",
		"818183030042b002",
		"8181870801d82a49000182e20392200100048005f6",
		"86818201808144deadbeef40f6f5f4",
		"820180", "820081820010", "81f5", "420101", "43000100",
	)
}

// FuzzDecodeMarketParams fuzzes every market parameter and return type and
// the SectorContentChanged notification.
func FuzzDecodeMarketParams(f *testing.F) {
	fuzzDecode(f, familyMarket, "4300e807", "824300e80749000de0b6b3a7640000", "82f5f4", "81830020"+"80")
}
