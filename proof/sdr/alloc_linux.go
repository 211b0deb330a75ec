//go:build linux

package sdr

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// layerBuf is the memory of one layer of labels.
type layerBuf struct{ b []byte }

// allocLayer maps anonymous memory for a layer, outside the Go heap so that
// two layers of a large sector do not double the garbage collector's heap
// goal, and asks for transparent huge pages: expander parents are read from
// anywhere in the previous layer, and 4 KiB pages would make most of those
// reads TLB misses.
func allocLayer(size int64) (*layerBuf, error) {
	b, err := unix.Mmap(-1, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, fmt.Errorf("allocate a %d-byte layer: %w", size, err)
	}
	_ = unix.Madvise(b, unix.MADV_HUGEPAGE) // best effort
	return &layerBuf{b: b}, nil
}

// free unmaps the memory. It is idempotent and accepts a nil layer.
func (l *layerBuf) free() {
	if l != nil && l.b != nil {
		unix.Munmap(l.b)
		l.b = nil
	}
}
