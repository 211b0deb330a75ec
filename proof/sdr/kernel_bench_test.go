package sdr

import (
	"fmt"
	"testing"
)

// BenchmarkLabelKernel times the label functions alone (asmN: kernel
// variant N of kernels(), 0 the preferred; pairN: the two-sector kernel,
// per label) on a layer held in
// memory with all its parents, without the parent cache stream: the cost of
// the hashing, and of the memory accesses as layers outgrow the caches.
func BenchmarkLabelKernel(b *testing.B) {
	for _, nodes := range []uint64{1 << 16, 1 << 18, 1 << 22} {
		g := mustGraph(b, nodes, fill32(1), V1_1)
		parents := make([]uint32, nodes*Degree)
		scratch := make([]uint64, cacheChunkNodes*ExpanderDegree)
		for first := uint64(0); first < nodes; first += cacheChunkNodes {
			n := min(cacheChunkNodes, nodes-first)
			buf := make([]byte, n*CacheEntrySize)
			g.fillCache(first, buf, scratch)
			copy(u32Bytes(parents[first*Degree:]), buf)
		}
		prev, err := allocLayer(int64(nodes) * NodeSize)
		if err != nil {
			b.Fatal(err)
		}
		cur, err := allocLayer(int64(nodes) * NodeSize)
		if err != nil {
			b.Fatal(err)
		}
		replica := fill32(9)
		for _, layer := range []int{1, 2} {
			impls := map[string]func([]byte, []byte, []uint32, uint64, uint64, *[32]byte, int){"generic": labelsGeneric}
			for i, k := range kernels() {
				impls[fmt.Sprintf("asm%d", i)] = k.run1
			}
			for name, f := range impls {
				if name == "generic" && nodes > 1<<16 {
					continue
				}
				b.Run(fmt.Sprintf("%s/nodes=%d/layer%d", name, nodes, layer), func(b *testing.B) {
					for b.Loop() {
						f(cur.b, prev.b, parents[Degree:], 1, nodes-1, &replica, layer)
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(nodes-1), "ns/label")
				})
			}
		}
		if haveKernel() {
			prevB, err := allocLayer(int64(nodes) * NodeSize)
			if err != nil {
				b.Fatal(err)
			}
			curB, err := allocLayer(int64(nodes) * NodeSize)
			if err != nil {
				b.Fatal(err)
			}
			replicaB := fill32(10)
			for _, layer := range []int{1, 2} {
				for i, k := range kernels() {
					b.Run(fmt.Sprintf("pair%d/nodes=%d/layer%d", i, nodes, layer), func(b *testing.B) {
						for b.Loop() {
							k.run2(cur.b, prev.b, curB.b, prevB.b, parents[Degree:], 1, nodes-1, &replica, &replicaB, layer)
						}
						b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(2*(nodes-1)), "ns/label")
					})
				}
			}
			prevB.free()
			curB.free()
		}
		prev.free()
		cur.free()
	}
}
