//go:build amd64 && !purego

package sha2raw

// hasSHANI reports the SHA extensions (CPUID.(EAX=7,ECX=0):EBX bit 29) with
// the SSSE3 and SSE4.1 instructions the assembly also uses (PSHUFB, PALIGNR,
// PBLENDW, PINSRQ). golang.org/x/sys/cpu does not report SHA on x86, hence
// the CPUID here. Read once at initialisation, never written.
var hasSHANI = detectSHANI()

// CPUID feature bits.
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

// cpuid executes CPUID for a leaf and sub-leaf.
func cpuid(leaf, subleaf uint32) (eax, ebx, ecx, edx uint32)

// blocksSHANI compresses len(p)/64 blocks with the SHA extensions.
// len(p) must be a non-zero multiple of 64.
//
//go:noescape
func blocksSHANI(state *[8]uint32, p []byte)

func blocksImpl(state *[8]uint32, p []byte) {
	if hasSHANI {
		blocksSHANI(state, p)
		return
	}
	blocksGeneric(state, p)
}

// HasSHANI reports whether this CPU has the SHA extensions, so that Blocks
// (and callers with their own SHA-NI code, such as the SDR labeller) may use
// them.
func HasSHANI() bool { return hasSHANI }
