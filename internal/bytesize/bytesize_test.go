package bytesize

import (
	"math"
	"testing"
)

func TestIEC(t *testing.T) {
	for n, want := range map[uint64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 2 << 20: "2.0 MiB",
		32 << 30: "32.0 GiB", math.MaxUint64: "16.0 EiB",
	} {
		if got := IEC(n); got != want {
			t.Errorf("IEC(%d) = %q, want %q", n, got, want)
		}
	}
}
