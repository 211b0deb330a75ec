package ptree

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// BenchmarkBuild times building an arity-8 tree from a stream of leaves
// with one and two workers, reporting leaves per second: 2^18 leaves (an
// 8 MiB sector's tree_r_last) always, and 2^24 leaves (512 MiB, 2.4 million
// hashes, about 600 MiB written) when STRATA_BENCH_16M=1:
//
//	go test -run='^$' -bench=Build -benchtime=3x ./proof/ptree/
//	STRATA_BENCH_16M=1 go test -run='^$' -bench='Build/leaves=16M' -benchtime=1x -timeout=30m ./proof/ptree/
func BenchmarkBuild(b *testing.B) {
	sizes := []struct {
		name   string
		leaves uint64
	}{{"256K", 1 << 18}, {"16M", 1 << 24}}
	for _, size := range sizes {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("leaves=%s/workers=%d", size.name, workers), func(b *testing.B) {
				if size.leaves > 1<<18 && os.Getenv("STRATA_BENCH_16M") != "1" {
					b.Skip("set STRATA_BENCH_16M=1 to build the 512 MiB sector's tree")
				}
				stores := tempStores(b, 1)
				cfg := Config{Shape: Shape{Base: 8}, Leaves: size.leaves, Workers: workers}
				for b.Loop() {
					if _, err := Build(context.Background(), cfg, FromReader(&leafStream{n: size.leaves}), stores); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(size.leaves)*float64(b.N)/b.Elapsed().Seconds(), "leaves/s")
			})
		}
	}
}

// BenchmarkProve and BenchmarkVerify time one proof of a 64 GiB-shaped
// (8/8/2) tree: a proof reads 2 rows of 8 nodes here, 9 in a real one.
func BenchmarkProve(b *testing.B) {
	tree, _ := buildSmall(b)
	i := uint64(0)
	for b.Loop() {
		if _, err := tree.Prove(i % tree.Leaves()); err != nil {
			b.Fatal(err)
		}
		i += 97
	}
}

func BenchmarkVerify(b *testing.B) {
	tree, _ := buildSmall(b)
	p, err := tree.Prove(700)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := Verify(tree.Shape(), tree.Leaves(), tree.Root(), 700, p); err != nil {
			b.Fatal(err)
		}
	}
}
