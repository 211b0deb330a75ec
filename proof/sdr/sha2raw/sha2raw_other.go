//go:build !amd64 || purego

package sha2raw

func blocksImpl(state *[8]uint32, p []byte) { blocksGeneric(state, p) }

// HasSHANI reports whether Blocks uses the x86 SHA extensions: never in this
// build.
func HasSHANI() bool { return false }
