//go:build !linux

package sdr

// layerBuf is the memory of one layer of labels.
type layerBuf struct{ b []byte }

// allocLayer allocates a layer on the Go heap.
func allocLayer(size int64) (*layerBuf, error) { return &layerBuf{b: make([]byte, size)}, nil }

// free drops the reference. It is idempotent and accepts a nil layer.
func (l *layerBuf) free() {
	if l != nil {
		l.b = nil
	}
}
