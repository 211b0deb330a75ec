package stage_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/strata-sp/strata/proof"
	"github.com/strata-sp/strata/proof/challenge"
	"github.com/strata-sp/strata/proof/seal"
	"github.com/strata-sp/strata/proof/stage"
)

const window2KiB = proof.StackedDrgWindow2KiBV1_1

// overwrite replaces the whole replica with other field elements of the
// same size, so that every node differs from the one tree_r_last holds.
func overwrite(t *testing.T, path string, seed byte) {
	t.Helper()
	b := make([]byte, proof.Size2KiB)
	_, _ = rand.NewChaCha8([32]byte{seed}).Read(b)
	for i := 31; i < len(b); i += 32 {
		b[i] &= 0x3f
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// flipNode changes one byte of node n of a file.
func flipNode(t *testing.T, path string, n uint64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[n*32+3] ^= 0x04
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCheckSectors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src, commR := sealOne(t, filepath.Join(dir, "src"))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Each case damages its own copy and returns what the fault's reason
	// must contain (nil: the sector passes). postFault says whether a
	// WindowPoSt also leaves it out: a wrong CommR is only visible to a
	// check that knows it (the PoSt would be refused by the verifier).
	cases := []struct {
		name      string
		damage    func(s *stage.CheckSector) []string
		postFault bool
	}{
		{name: "healthy", damage: func(*stage.CheckSector) []string { return nil }},
		{name: "CommR unknown", damage: func(s *stage.CheckSector) []string {
			s.CommR = stage.Bytes32{}
			return nil
		}},
		{name: "sealed file deleted", postFault: true, damage: func(s *stage.CheckSector) []string {
			must(os.Remove(s.Sector.Sealed))
			return []string{"replica", s.Sector.Sealed, "no such file"}
		}},
		{name: "sealed file truncated", postFault: true, damage: func(s *stage.CheckSector) []string {
			must(os.Truncate(s.Sector.Sealed, 2047))
			return []string{s.Sector.Sealed, "2047 bytes, want 2048"}
		}},
		{name: "sealed file too long", postFault: true, damage: func(s *stage.CheckSector) []string {
			must(os.Truncate(s.Sector.Sealed, 4096))
			return []string{s.Sector.Sealed, "4096 bytes, want 2048"}
		}},
		{name: "wrong CommR", damage: func(s *stage.CheckSector) []string {
			s.CommR[0] ^= 1
			return []string{"not the sector's comm_r", s.Sector.Cache}
		}},
		{name: "replica overwritten", postFault: true, damage: func(s *stage.CheckSector) []string {
			overwrite(t, s.Sector.Sealed, 7)
			return []string{"does not match tree_r_last", s.Sector.Sealed}
		}},
		{name: "tree_r_last deleted", postFault: true, damage: func(s *stage.CheckSector) []string {
			p := filepath.Join(s.Sector.Cache, seal.TreeRLastFile(0))
			must(os.Remove(p))
			return []string{"tree_r_last", p, "no such file"}
		}},
		{name: "tree_r_last root changed", postFault: true, damage: func(s *stage.CheckSector) []string {
			// The store's last node is the root: 64 + 8 + 1 nodes.
			flipNode(t, filepath.Join(s.Sector.Cache, seal.TreeRLastFile(0)), 72)
			return []string{"is not comm_r_last", s.Sector.Cache}
		}},
		{name: "tree_r_last truncated", postFault: true, damage: func(s *stage.CheckSector) []string {
			must(os.Truncate(filepath.Join(s.Sector.Cache, seal.TreeRLastFile(0)), 100))
			return []string{"tree_r_last", s.Sector.Cache}
		}},
		{name: "p_aux deleted", postFault: true, damage: func(s *stage.CheckSector) []string {
			p := filepath.Join(s.Sector.Cache, seal.PAuxFile)
			must(os.Remove(p))
			return []string{"p_aux", p, "no such file"}
		}},
		{name: "p_aux truncated", postFault: true, damage: func(s *stage.CheckSector) []string {
			must(os.Truncate(filepath.Join(s.Sector.Cache, seal.PAuxFile), 63))
			return []string{"p_aux", s.Sector.Cache, "63 bytes"}
		}},
		{name: "p_aux comm_r_last changed", postFault: true, damage: func(s *stage.CheckSector) []string {
			flipNode(t, filepath.Join(s.Sector.Cache, seal.PAuxFile), 1)
			return []string{"is not comm_r_last", s.Sector.Cache}
		}},
		{name: "seal proof of another size", postFault: true, damage: func(s *stage.CheckSector) []string {
			s.Sector.Proof = proof.StackedDrg8MiBV1_1
			return []string{"does not match PoSt proof"}
		}},
	}
	task := stage.CheckTask{Proof: window2KiB, Randomness: stage.Bytes32{5, 31: 0xff}}
	want := map[uint64][]string{}
	var postFaults []uint64
	for i, c := range cases {
		n := uint64(100 + i)
		s := stage.CheckSector{Sector: copySector(t, src, dir, n), CommR: commR}
		want[n] = c.damage(&s)
		if c.postFault {
			postFaults = append(postFaults, n)
		}
		task.Sectors = append(task.Sectors, s)
	}
	fds := openFiles(t)
	out, err := stage.CheckSectors(ctx, task)
	if err != nil {
		t.Fatal(err)
	}
	if after := openFiles(t); fds >= 0 && after > fds {
		t.Errorf("%d files open after the check, %d before", after, fds)
	}
	got := map[uint64]string{}
	for _, f := range out.Faults {
		if _, dup := got[f.Number]; dup {
			t.Errorf("sector %d listed twice", f.Number)
		}
		got[f.Number] = f.Reason
	}
	for i, c := range cases {
		n := uint64(100 + i)
		reason, faulty := got[n]
		switch {
		case want[n] == nil && faulty:
			t.Errorf("%s: faulty: %s", c.name, reason)
		case want[n] != nil && !faulty:
			t.Errorf("%s: passed the check", c.name)
		}
		for _, w := range want[n] {
			if !strings.Contains(reason, w) {
				t.Errorf("%s: reason %q does not say %q", c.name, reason, w)
			}
		}
	}
	if !slices.IsSortedFunc(out.Faults, func(a, b stage.PoStFault) int { return int(a.Number) - int(b.Number) }) {
		t.Errorf("faults not in task order: %+v", out.Faults)
	}

	// A WindowPoSt over the same sectors leaves out the same ones, but for
	// the CommR it does not know.
	pt := stage.PoStTask{Proof: window2KiB, Randomness: task.Randomness}
	for _, s := range task.Sectors {
		pt.Sectors = append(pt.Sectors, s.Sector)
	}
	po, err := stage.RunWindowPoSt(ctx, pt)
	if err != nil {
		t.Fatal(err)
	}
	var numbers []uint64
	for _, f := range po.Faults {
		numbers = append(numbers, f.Number)
	}
	if !slices.Equal(numbers, postFaults) {
		t.Errorf("the PoSt faulted %v, want %v", numbers, postFaults)
	}
}

// openFiles counts this process's open files, or returns -1 where /proc
// does not list them.
func openFiles(t *testing.T) int {
	t.Helper()
	if runtime.GOOS != "linux" {
		return -1
	}
	e, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(e)
}

// TestCheckSectors_EveryChallengeCatchesOverwrite overwrites a whole replica
// and checks, with one challenge at a time and fresh randomness each time,
// that every draw finds it.
func TestCheckSectors_EveryChallengeCatchesOverwrite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src, commR := sealOne(t, filepath.Join(dir, "src"))
	s := copySector(t, src, dir, 9)
	overwrite(t, s.Sealed, 3)
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	for i := range 64 {
		task := stage.CheckTask{Proof: window2KiB, Challenges: 1, Sectors: []stage.CheckSector{{Sector: s, CommR: commR}}}
		for j := range task.Randomness {
			task.Randomness[j] = byte(rng.Uint32())
		}
		out, err := stage.CheckSectors(ctx, task)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Faults) != 1 || !strings.Contains(out.Faults[0].Reason, "does not match tree_r_last") {
			t.Fatalf("draw %d: faults %+v", i, out.Faults)
		}
	}
}

// TestCheckSectors_SameLeavesAsPoSt checks that, given the chain's
// randomness and no challenge count, the check opens exactly the leaves the
// WindowPoSt does: damage at one of them fails both, damage elsewhere
// neither.
func TestCheckSectors_SameLeavesAsPoSt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	src, commR := sealOne(t, filepath.Join(dir, "src"))
	rnd := stage.Bytes32{8, 31: 0xc0} // top bits set: cleared as the PoSt does
	leaves, err := challenge.PoStLeaves(stage.ProofRandomness(rnd), 21, 64, window2KiB.Challenges(), -1)
	if err != nil {
		t.Fatal(err)
	}
	var spared uint64
	for slices.Contains(leaves, spared) {
		spared++
	}
	for _, c := range []struct {
		name   string
		node   uint64
		faulty bool
	}{
		{"a challenged node", leaves[len(leaves)-1], true},
		{"a node no challenge opens", spared, false},
	} {
		s := copySector(t, src, filepath.Join(dir, c.name), 21)
		flipNode(t, s.Sealed, c.node)
		out, err := stage.CheckSectors(ctx, stage.CheckTask{Proof: window2KiB, Randomness: rnd, Sectors: []stage.CheckSector{{Sector: s, CommR: commR}}})
		if err != nil {
			t.Fatal(err)
		}
		po, err := stage.RunWindowPoSt(ctx, stage.PoStTask{Proof: window2KiB, Randomness: rnd, Sectors: []seal.Sector{s}})
		if err != nil {
			t.Fatal(err)
		}
		if (len(out.Faults) == 1) != c.faulty || (len(po.Faults) == 1) != c.faulty {
			t.Errorf("%s: check faults %+v, PoSt faults %+v, want faulty=%v", c.name, out.Faults, po.Faults, c.faulty)
		}
	}
}

func TestCheckSectors_BadTask(t *testing.T) {
	dir := t.TempDir()
	src, commR := sealOne(t, filepath.Join(dir, "src"))
	one := []stage.CheckSector{{Sector: src, CommR: commR}}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		name string
		ctx  context.Context
		task stage.CheckTask
		want error
	}{
		{"unknown proof", context.Background(), stage.CheckTask{Proof: 99, Sectors: one}, stage.ErrTask},
		{"too many sectors", context.Background(), stage.CheckTask{Proof: window2KiB, Sectors: make([]stage.CheckSector, 2350)}, stage.ErrTask},
		{"too many challenges", context.Background(), stage.CheckTask{Proof: window2KiB, Sectors: one, Challenges: stage.MaxCheckChallenges + 1}, stage.ErrTask},
		{"cancelled", cancelled, stage.CheckTask{Proof: window2KiB, Sectors: one}, context.Canceled},
	} {
		if _, err := stage.CheckSectors(c.ctx, c.task); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// The bounds themselves, no sectors, and a WinningPoSt proof are fine.
	for _, task := range []stage.CheckTask{
		{Proof: window2KiB},
		{Proof: window2KiB, Sectors: one, Challenges: stage.MaxCheckChallenges},
		{Proof: window2KiB, Sectors: one, Challenges: -1},
		{Proof: proof.StackedDrgWinning2KiBV1, Sectors: one},
	} {
		out, err := stage.CheckSectors(context.Background(), task)
		if err != nil || len(out.Faults) != 0 {
			t.Errorf("%d challenges, %s: %+v %v", task.Challenges, task.Proof, out.Faults, err)
		}
	}
}
