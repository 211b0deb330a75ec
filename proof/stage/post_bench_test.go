package stage_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/strata-sp/strata/proof/engine"
	"github.com/strata-sp/strata/proof/post"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/stage"
)

// partition seals one 2 KiB sector and lays out n copies of it as sectors
// 1000, 1001, …, each in its own directory, with what a verifier knows of
// them.
func partition(tb testing.TB, n int) ([]seal.Sector, []post.Public) {
	tb.Helper()
	dir := tb.TempDir()
	src, commR := sealOne(tb, filepath.Join(dir, "src"))
	sectors := make([]seal.Sector, n)
	pub := make([]post.Public, n)
	for i := range sectors {
		number := uint64(1000 + i)
		sectors[i] = copySector(tb, src, filepath.Join(dir, "partition"), number)
		pub[i] = post.Public{Number: number, CommR: commR}
	}
	return sectors, pub
}

// verify checks a WindowPoSt of the sectors pub with the engine's verifier.
func verify(tb testing.TB, rnd stage.Bytes32, pub []post.Public, enc []byte) {
	tb.Helper()
	err := engine.Local{}.VerifyWindowPoSt(context.Background(), engine.PoStVerifyInfo{
		Proof: window2KiB, Miner: 1000, Randomness: rnd, Sectors: pub, Bytes: enc,
	})
	if err != nil {
		tb.Fatalf("the WindowPoSt of %d sectors does not verify: %v", len(pub), err)
	}
}

// TestWindowPoSt_Partition proves a partition of 100 copies of a sealed
// sector, one of them overwritten: the damaged one is checked and proven
// as faulty and left out, and the proof of the others verifies.
func TestWindowPoSt_Partition(t *testing.T) {
	ctx := context.Background()
	sectors, pub := partition(t, 100)
	const bad = 37
	overwrite(t, sectors[bad].Sealed, 11)
	rnd := stage.Bytes32{3, 1, 4, 31: 0xd5}

	check := stage.CheckTask{Proof: window2KiB, Randomness: rnd}
	for i, s := range sectors {
		check.Sectors = append(check.Sectors, stage.CheckSector{Sector: s, CommR: pub[i].CommR})
	}
	co, err := stage.CheckSectors(ctx, check)
	if err != nil {
		t.Fatal(err)
	}
	if len(co.Faults) != 1 || co.Faults[0].Number != pub[bad].Number {
		t.Fatalf("check faults %+v, want sector %d", co.Faults, pub[bad].Number)
	}

	out, err := stage.RunWindowPoSt(ctx, stage.PoStTask{Proof: window2KiB, Miner: 1000, Randomness: rnd, Sectors: sectors})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Faults) != 1 || out.Faults[0].Number != pub[bad].Number {
		t.Fatalf("PoSt faults %+v, want sector %d", out.Faults, pub[bad].Number)
	}
	proven := slices.Delete(slices.Clone(pub), bad, bad+1)
	verify(t, rnd, proven, out.Proof)
	// The faulty sector cannot be slipped back in.
	if err := (engine.Local{}).VerifyWindowPoSt(ctx, engine.PoStVerifyInfo{
		Proof: window2KiB, Miner: 1000, Randomness: rnd, Sectors: pub, Bytes: out.Proof,
	}); err == nil {
		t.Error("the proof verified for all 100 sectors, the faulty one included")
	}
}

// fullPartition is post.MaxSectors (2,349) copies of a 2 KiB sector: the
// sectors of a full 32 GiB WindowPoSt partition, at the size the tests can
// seal (the 2 KiB test proof itself batches only 2 sectors a partition).
func fullPartition(b *testing.B) ([]seal.Sector, []post.Public) {
	b.Helper()
	return partition(b, post.MaxSectors)
}

// reportPerSector adds the time per sector and sectors per second of b's
// loop over n sectors.
func reportPerSector(b *testing.B, n int) {
	b.Helper()
	sectors := float64(b.N) * float64(n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/sectors, "ns/sector")
	b.ReportMetric(sectors/b.Elapsed().Seconds(), "sectors/s")
}

// BenchmarkWindowPoSt_FullPartition times the WindowPoSt of one full
// partition of 2 KiB sectors (issue 8: well under the 30-minute challenge
// window), then checks that the last proof verifies.
func BenchmarkWindowPoSt_FullPartition(b *testing.B) {
	ctx := context.Background()
	sectors, pub := fullPartition(b)
	rnd := stage.Bytes32{2, 7, 1, 8, 31: 0xe2}
	task := stage.PoStTask{Proof: window2KiB, Miner: 1000, Randomness: rnd, Sectors: sectors}
	var out stage.PoStOutput
	for b.Loop() {
		var err error
		if out, err = stage.RunWindowPoSt(ctx, task); err != nil {
			b.Fatal(err)
		}
	}
	reportPerSector(b, len(sectors))
	b.ReportMetric(float64(len(out.Proof)), "proof-bytes")
	if len(out.Faults) != 0 {
		b.Fatalf("%d faults, the first %+v", len(out.Faults), out.Faults[0])
	}
	start := time.Now()
	verify(b, rnd, pub, out.Proof)
	b.Logf("%d sectors: proof of %d bytes verified in %v", len(sectors), len(out.Proof), time.Since(start))
}

// BenchmarkCheckSectors_FullPartition times the pre-deadline check of one
// full partition of 2 KiB sectors with the PoSt's 10 challenges a sector.
func BenchmarkCheckSectors_FullPartition(b *testing.B) {
	ctx := context.Background()
	sectors, pub := fullPartition(b)
	task := stage.CheckTask{Proof: window2KiB, Randomness: stage.Bytes32{1, 6, 1, 8}}
	for i, s := range sectors {
		task.Sectors = append(task.Sectors, stage.CheckSector{Sector: s, CommR: pub[i].CommR})
	}
	var out stage.CheckOutput
	for b.Loop() {
		var err error
		if out, err = stage.CheckSectors(ctx, task); err != nil {
			b.Fatal(err)
		}
	}
	reportPerSector(b, len(sectors))
	if len(out.Faults) != 0 {
		b.Fatalf("%d faults, the first %+v", len(out.Faults), out.Faults[0])
	}
}
