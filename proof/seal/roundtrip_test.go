package seal_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/strata-sp/strata/fil/commp"
	"github.com/strata-sp/strata/fil/piece"
	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/post"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/unsealed"
)

// TestRoundTrip seals pieces, verifies the seal proof, unseals every byte,
// and proves and verifies WindowPoSt and WinningPoSt (issue 4's round trip).
func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		p      proof.SealProof
		pieces []piece.PaddedSize
	}{
		{proof.StackedDrg2KiBV1_1, []piece.PaddedSize{512, 1024}},
		{proof.StackedDrg8MiBV1_1, []piece.PaddedSize{1 << 20, 2 << 20, 128}},
	} {
		t.Run(tc.p.String(), func(t *testing.T) {
			if testing.Short() && tc.p != proof.StackedDrg2KiBV1_1 {
				t.Skip("8 MiB round trip")
			}
			ctx := context.Background()
			start := time.Now()
			s, e := newSector(t, tc.p)
			s.Miner, s.Number = 1001, 7
			size, _ := tc.p.SectorSize()
			var pieces []unsealed.Piece
			var offsets []uint64
			var payloads [][]byte
			var off uint64
			for i, ps := range tc.pieces {
				b := make([]byte, uint64(ps)/128*127)
				_, _ = rand.NewChaCha8([32]byte{byte(i + 10)}).Read(b)
				payloads = append(payloads, b)
				off = (off + uint64(ps) - 1) &^ (uint64(ps) - 1)
				offsets = append(offsets, off)
				off += uint64(ps)
				pieces = append(pieces, unsealed.Piece{Size: ps, Data: bytes.NewReader(b)})
			}
			infos, err := unsealed.AddPieces(ctx, s.Staged, piece.PaddedSize(size), pieces)
			if err != nil {
				t.Fatal(err)
			}
			commD, err := e.TreeD(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := commp.UnsealedCID(piece.PaddedSize(size), infos); !piece.CIDv1(commD).Equals(want) {
				t.Fatalf("CommD %x differs from the piece list's %s", commD, want)
			}
			ticket, seed := [32]byte{7, 7}, [32]byte{8, 8}
			if _, err := e.PC1(ctx, s, ticket, commD); err != nil {
				t.Fatal(err)
			}
			c, err := e.PC2(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			pr, err := e.C1(ctx, s, ticket, seed, commD)
			if err != nil {
				t.Fatal(err)
			}
			enc, err := pr.MarshalBinary() // what C2 hands on
			if err != nil {
				t.Fatal(err)
			}
			var got seal.Proof
			if err := got.UnmarshalBinary(enc); err != nil {
				t.Fatal(err)
			}
			pub := seal.PublicInputs{Proof: tc.p, Miner: 1001, Number: 7, Ticket: ticket, Seed: seed, CommD: commD, CommR: c.CommR}
			if err := seal.VerifySeal(pub, &got); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: AddPieces through C1, encode and verify in %s (proof %d bytes)", tc.p, time.Since(start).Round(time.Millisecond), len(enc))

			if err := e.Finalize(ctx, s, true); err != nil {
				t.Fatal(err)
			}
			for i, b := range payloads {
				unpaddedOff := offsets[i] / 128 * 127
				var out bytes.Buffer
				if err := e.Unseal(ctx, s, ticket, commD, unpaddedOff, uint64(len(b)), &out); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(out.Bytes(), b) {
					t.Fatalf("piece %d does not unseal back", i)
				}
			}

			tree, closeTree, err := seal.OpenTreeRLast(s)
			if err != nil {
				t.Fatal(err)
			}
			defer closeTree()
			commC, commRLast, err := seal.ReadPAux(s)
			if err != nil {
				t.Fatal(err)
			}
			sealed, err := os.Open(s.Sealed)
			if err != nil {
				t.Fatal(err)
			}
			defer sealed.Close()
			sec := post.Sector{Number: 7, CommC: commC, CommRLast: commRLast, TreeRLast: tree, Sealed: sealed}
			pubs := []post.Public{{Number: 7, CommR: c.CommR}}
			window, _ := tc.p.WindowPoSt()
			winning, _ := tc.p.WinningPoSt()
			for _, pp := range []proof.PoStProof{window, winning} {
				rnd := [32]byte{byte(pp)}
				proofs, faults, err := post.Prove(ctx, pp, rnd, []post.Sector{sec})
				if err != nil || len(faults) != 0 {
					t.Fatalf("%s: %v %v", pp, faults, err)
				}
				if err := post.Verify(pp, rnd, pubs, proofs); err != nil {
					t.Fatalf("%s: %v", pp, err)
				}
			}
		})
	}
}
