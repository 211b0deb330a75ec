//go:build !amd64 || purego

package sha254

// nodes hashes with the portable implementation: this architecture has no
// assembly in this package.
func nodes(dst, src []byte) { nodesGeneric(dst, src) }

// Accelerated reports whether Nodes uses a hardware SHA-256 implementation.
func Accelerated() bool { return false }
