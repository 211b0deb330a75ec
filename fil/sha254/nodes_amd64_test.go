//go:build amd64 && !purego

package sha254

import "testing"

func addPlatformImpls(m map[string]func(dst, src []byte)) {
	if hasSHANI {
		m["SHA-NI"] = nodesSHANI
	}
	if hasAVX512 {
		// nodesAVX512 does whole groups of 16 nodes only; the rest of the
		// layer goes to the generic code, so every length is testable.
		m["AVX-512"] = func(dst, src []byte) {
			whole := len(src) / (16 * BlockSize) * (16 * BlockSize)
			nodesAVX512(dst, src[:whole])
			nodesGeneric(dst[whole/2:], src[whole:])
		}
	}
}

func TestCPUFeatures(t *testing.T) {
	// Not errors where the CPU lacks them, but the speed targets of the
	// CommP hasher depend on them, so say which are in use.
	t.Logf("SHA-NI %v, AVX-512 %v, AVX-512 preferred %v", hasSHANI, hasAVX512, preferAVX512)
}

// BenchmarkNodesSHANI and BenchmarkNodesAVX512 time each kernel alone.
func BenchmarkNodesSHANI(b *testing.B) {
	if !hasSHANI {
		b.Skip("no SHA-NI")
	}
	benchNodes(b, nodesSHANI)
}

func BenchmarkNodesAVX512(b *testing.B) {
	if !hasAVX512 {
		b.Skip("no AVX-512")
	}
	benchNodes(b, nodesAVX512)
}
