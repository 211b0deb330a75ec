package sdr

import (
	"bytes"
	"testing"
)

// FuzzGraphParents checks the parent invariants on any graph size up to
// MaxNodes, any node and porep_id, both versions: base parents are before
// their node (all 0 for nodes 0 and 1), the predecessor sits in the
// version's slot (§1), expander parents are in range and equal the
// vectorised permutation's (§2).
func FuzzGraphParents(f *testing.F) {
	f.Add(uint64(64), uint64(17), byte(123), false)
	f.Add(uint64(1<<30), uint64(1<<30-1), byte(3), true)
	f.Add(uint64(1<<32), uint64(1<<32-1), byte(8), true)
	f.Add(uint64(3), uint64(2), byte(0), false)
	f.Fuzz(func(t *testing.T, nodes, node uint64, id byte, v10 bool) {
		nodes = 2 + nodes%(MaxNodes-1)
		node %= nodes
		v := V1_1
		if v10 {
			v = V1_0
		}
		g, err := NewGraph(nodes, PoRepID(uint64(id), 0), v)
		if err != nil {
			t.Fatal(err)
		}
		var p [Degree]uint32
		if err := g.Parents(node, &p); err != nil {
			t.Fatal(err)
		}
		for j, b := range p[:BaseDegree] {
			if node < 2 && b != 0 || node >= 2 && uint64(b) >= node {
				t.Fatalf("node %d of %d: base parent %d = %d", node, nodes, j, b)
			}
		}
		if pred := map[bool]int{true: BaseDegree - 1, false: 0}[v10]; node >= 2 && uint64(p[pred]) != node-1 {
			t.Fatalf("node %d: predecessor slot %d holds %d", node, pred, p[pred])
		}
		var permuted [ExpanderDegree]uint64
		g.feistel.permuteRange(node*ExpanderDegree, permuted[:])
		for j, e := range p[BaseDegree:] {
			if uint64(e) >= nodes {
				t.Fatalf("node %d of %d: expander parent %d = %d", node, nodes, j, e)
			}
			if want := g.expanderParent(permuted[j]); e != want {
				t.Fatalf("node %d: expander parent %d = %d, vectorised %d", node, j, e, want)
			}
		}
	})
}

// FuzzLabelKernel compares every assembly label kernel the CPU runs (one
// and two sectors) with the portable labeller on fuzzed layers and parents.
func FuzzLabelKernel(f *testing.F) {
	f.Add(bytes.Repeat([]byte{9}, 64*32), uint8(1), uint64(1))
	f.Add(bytes.Repeat([]byte{1, 2, 3}, 700), uint8(2), uint64(12345))
	f.Fuzz(func(t *testing.T, data []byte, layer uint8, seed uint64) {
		requireKernel(t)
		nodes := len(data) / NodeSize
		if nodes < 2 || nodes > 512 || layer == 0 {
			return // not a layer the kernels take
		}
		prev := data[:nodes*NodeSize]
		parents := make([]uint32, nodes*Degree)
		x := seed | 1
		for v := 1; v < nodes; v++ {
			for j := range Degree {
				x ^= x << 13
				x ^= x >> 7
				x ^= x << 17
				lim := uint64(v)
				if j >= BaseDegree {
					lim = uint64(nodes)
				}
				parents[v*Degree+j] = uint32(x % lim)
			}
		}
		var replica [32]byte
		copy(replica[:], prev)
		want := make([]byte, len(prev))
		copy(want[:NodeSize], prev[len(prev)-NodeSize:])
		labelsGeneric(want, prev, parents[Degree:], 1, uint64(nodes-1), &replica, int(layer))
		var replicaB [32]byte
		copy(replicaB[:], prev[NodeSize:])
		wantB := make([]byte, len(prev))
		labelsGeneric(wantB, prev, parents[Degree:], 1, uint64(nodes-1), &replicaB, int(layer))
		for i, k := range kernels() {
			a := make([]byte, len(prev))
			copy(a[:NodeSize], want[:NodeSize])
			k.run1(a, prev, parents[Degree:], 1, uint64(nodes-1), &replica, int(layer))
			if !bytes.Equal(a, want) {
				t.Fatalf("%d nodes, layer %d: kernel variant %d and generic labels differ", nodes, layer, i)
			}
			a2, b2 := make([]byte, len(prev)), make([]byte, len(prev))
			copy(a2[:NodeSize], want[:NodeSize])
			k.run2(a2, prev, b2, prev, parents[Degree:], 1, uint64(nodes-1), &replica, &replicaB, int(layer))
			if !bytes.Equal(a2, want) || !bytes.Equal(b2[NodeSize:], wantB[NodeSize:]) {
				t.Fatalf("%d nodes, layer %d: two-sector kernel variant %d and generic labels differ", nodes, layer, i)
			}
		}
	})
}
