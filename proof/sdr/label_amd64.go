//go:build amd64 && !purego

package sdr

import (
	"github.com/strata-sp/strata/proof/sdr/sha2raw"
	"golang.org/x/sys/cpu"
)

// The assembly kernels (label_amd64.h). labelsX labels nodes
// first..first+count-1 (first >= 1) of layer layer into cur, reading
// parents (Degree entries per node, starting with node first's), base
// parent labels from cur and, from layer 2 on, expander parent labels from
// prev. labels2X does the same for two sectors of the same graph; replicas
// holds A's replica_id then B's. Every parent index must have been checked:
// base parents before their node, expander parents within prev.
//
// The SHANI variants use SHA256MSG1 for the message schedule, the AVX512
// ones AVX-512 VL rotates (SHA256MSG1 competes with SHA256RNDS2 for the
// SHA unit on recent Intel cores).

//go:noescape
func labelsSHANI(cur, prev *byte, parents *uint32, first, count uint64, replica *[32]byte, layer uint32)

//go:noescape
func labelsAVX512(cur, prev *byte, parents *uint32, first, count uint64, replica *[32]byte, layer uint32)

//go:noescape
func labels2SHANI(curA, prevA, curB, prevB *byte, parents *uint32, first, count uint64, replicas *[64]byte, layer uint32)

//go:noescape
func labels2AVX512(curA, prevA, curB, prevB *byte, parents *uint32, first, count uint64, replicas *[64]byte, layer uint32)

// kernel is one variant of the label kernels.
type kernel struct {
	one func(cur, prev *byte, parents *uint32, first, count uint64, replica *[32]byte, layer uint32)
	two func(curA, prevA, curB, prevB *byte, parents *uint32, first, count uint64, replicas *[64]byte, layer uint32)
}

// kernels returns the variants this CPU can run, the preferred one first.
func kernels() []kernel {
	if !sha2raw.HasSHANI() {
		return nil
	}
	shani := kernel{labelsSHANI, labels2SHANI}
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL {
		return []kernel{{labelsAVX512, labels2AVX512}, shani}
	}
	return []kernel{shani}
}

// preferred is the kernel labelling uses, chosen once at initialisation
// and never changed; its functions are nil without SHA-NI.
var preferred = func() kernel {
	if ks := kernels(); len(ks) > 0 {
		return ks[0]
	}
	return kernel{}
}()

// haveKernel reports whether labelsKernel may be used.
func haveKernel() bool { return preferred.one != nil }

// labelsKernel runs the preferred kernel over a checked run of nodes.
func labelsKernel(cur, prev []byte, parents []uint32, first, count uint64, replica *[32]byte, layer int) {
	preferred.run1(cur, prev, parents, first, count, replica, layer)
}

// labelsKernel2 runs the preferred two-sector kernel over a checked run of
// nodes.
func labelsKernel2(curA, prevA, curB, prevB []byte, parents []uint32, first, count uint64, replicaA, replicaB *[32]byte, layer int) {
	preferred.run2(curA, prevA, curB, prevB, parents, first, count, replicaA, replicaB, layer)
}

func (k kernel) run1(cur, prev []byte, parents []uint32, first, count uint64, replica *[32]byte, layer int) {
	var p *byte
	if prev != nil {
		p = &prev[0]
	}
	k.one(&cur[0], p, &parents[0], first, count, replica, uint32(layer))
}

func (k kernel) run2(curA, prevA, curB, prevB []byte, parents []uint32, first, count uint64, replicaA, replicaB *[32]byte, layer int) {
	var pa, pb *byte
	if prevA != nil {
		pa, pb = &prevA[0], &prevB[0]
	}
	var replicas [64]byte
	copy(replicas[:32], replicaA[:])
	copy(replicas[32:], replicaB[:])
	k.two(&curA[0], pa, &curB[0], pb, &parents[0], first, count, &replicas, uint32(layer))
}
