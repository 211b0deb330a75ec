//go:build amd64 && !purego

package sha254

import "golang.org/x/sys/cpu"

// The CPU features, read once at package initialisation and never written
// again.
var (
	// hasSHANI: the SHA extensions (CPUID.7.0:EBX bit 29) and the SSSE3
	// (PSHUFB, PALIGNR) and SSE4.1 (PBLENDW) instructions nodesSHANI uses.
	hasSHANI = detectSHANI()
	// hasAVX512: AVX-512 F and BW, with the OS saving their state (x/sys/cpu
	// checks XCR0), as nodesAVX512 needs.
	hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW
	// preferAVX512: sixteen AVX-512 lanes beat SHA-NI on Intel cores, where
	// SHA256RNDS2 is slow (about 1.15 ns back to back on the development
	// machine: 75-85 ns per node against 45-50 in sixteen lanes). On AMD
	// cores SHA-NI is fast and 512-bit arithmetic is split in two halves,
	// so SHA-NI stays the choice there. The noavx512 build tag turns the
	// AVX-512 path off (see avx512_on_amd64.go).
	preferAVX512 = avx512Allowed && hasAVX512 && (!hasSHANI || isIntel())
)

// CPUID feature bits; golang.org/x/sys/cpu does not report SHA on x86.
const (
	cpuidSSSE3 = 1 << 9  // leaf 1 ECX
	cpuidSSE41 = 1 << 19 // leaf 1 ECX
	cpuidSHA   = 1 << 29 // leaf 7 EBX
)

func detectSHANI() bool {
	if maxLeaf, _, _, _ := cpuid(0, 0); maxLeaf < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	_, ebx7, _, _ := cpuid(7, 0)
	return ecx1&cpuidSSSE3 != 0 && ecx1&cpuidSSE41 != 0 && ebx7&cpuidSHA != 0
}

func isIntel() bool {
	_, ebx, ecx, edx := cpuid(0, 0)
	// "GenuineIntel" in EBX, EDX, ECX.
	return ebx == 0x756e6547 && edx == 0x49656e69 && ecx == 0x6c65746e
}

// cpuid executes the CPUID instruction for a leaf and sub-leaf.
func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

// nodesSHANI hashes len(src)/64 nodes with the SHA extensions, two at a time.
// len(src) must be a non-zero multiple of 64 and len(dst) at least len(src)/2.
//
//go:noescape
func nodesSHANI(dst, src []byte)

// nodesAVX512 hashes the first len(src)/1024*16 nodes of src, sixteen at a
// time, and leaves any rest alone. len(dst) must be at least len(src)/2.
//
//go:noescape
func nodesAVX512(dst, src []byte)

func nodes(dst, src []byte) {
	if preferAVX512 {
		whole := len(src) / (16 * BlockSize) * (16 * BlockSize)
		if whole > 0 {
			nodesAVX512(dst, src[:whole])
			dst, src = dst[whole/2:], src[whole:]
		}
		if len(src) == 0 {
			return
		}
	}
	if hasSHANI {
		nodesSHANI(dst, src)
		return
	}
	nodesGeneric(dst, src)
}

// Accelerated reports whether Nodes uses hardware SHA-256 instructions or
// vector units rather than the portable Go implementation.
func Accelerated() bool { return hasSHANI || hasAVX512 }
