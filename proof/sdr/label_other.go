//go:build !amd64 || purego

package sdr

// kernel is a variant of the label kernels; there is none without the
// amd64 assembly, so labels go through labelsGeneric.
type kernel struct{}

func kernels() []kernel { return nil }

// haveKernel reports whether labelsKernel may be used.
func haveKernel() bool { return false }

func labelsKernel(cur, prev []byte, parents []uint32, first, count uint64, replica *[32]byte, layer int) {
	panic("sdr: no label kernel on this architecture")
}

func labelsKernel2(curA, prevA, curB, prevB []byte, parents []uint32, first, count uint64, replicaA, replicaB *[32]byte, layer int) {
	panic("sdr: no label kernel on this architecture")
}

func (k kernel) run1(cur, prev []byte, parents []uint32, first, count uint64, replica *[32]byte, layer int) {
	panic("sdr: no label kernel on this architecture")
}

func (k kernel) run2(curA, prevA, curB, prevB []byte, parents []uint32, first, count uint64, replicaA, replicaB *[32]byte, layer int) {
	panic("sdr: no label kernel on this architecture")
}
