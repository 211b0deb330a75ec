//go:build !amd64 || purego

package fr32

func padQuads(in, out []byte, quads int) {
	padQuadsGeneric(in, out, quads)
	padLast(in, out, quads)
}
