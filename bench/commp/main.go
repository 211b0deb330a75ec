// Command commp reproduces the CommP figures in the README: throughput of a
// streamed payload with one and two workers, measured in alternation so that
// each two-worker run is compared with the one-worker run just before it
// (this machine's speed drifts more between runs than within a pair), and a
// plain reference (Fr32 padding, then crypto/sha256 layer by layer) measured
// in the same run.
//
//	go run ./bench/commp [-size 1GiB] [-rounds 7]
package main

import (
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"sort"
	"time"

	"github.com/strata-sp/strata/fil/commp"
	"github.com/strata-sp/strata/fil/fr32"
)

func main() {
	sizeMiB := flag.Int("size-mib", 1024, "payload size in MiB for the hasher runs")
	refMiB := flag.Int("ref-mib", 64, "payload size in MiB for the reference run")
	rounds := flag.Int("rounds", 7, "pairs of one- and two-worker runs")
	flag.Parse()
	if err := run(int64(*sizeMiB)<<20, int64(*refMiB)<<20, *rounds); err != nil {
		fmt.Fprintln(os.Stderr, "commp bench:", err)
		os.Exit(1)
	}
}

func run(size, refSize int64, rounds int) error {
	buf := make([]byte, 1<<20)
	r := rand.NewChaCha8([32]byte{7})
	_, _ = r.Read(buf)
	fmt.Printf("CommP of a %d MiB stream in 1 MiB writes, GOMAXPROCS=%d, %d rounds\n", size>>20, runtime.GOMAXPROCS(0), rounds)
	var one, two, ratio []float64
	for i := range rounds {
		a, err := measure(1, size, buf)
		if err != nil {
			return err
		}
		b, err := measure(2, size, buf)
		if err != nil {
			return err
		}
		one, two, ratio = append(one, a), append(two, b), append(ratio, b/a)
		fmt.Printf("  round %d: 1 worker %7.1f MB/s   2 workers %7.1f MB/s   ratio %.2f\n", i+1, a, b, b/a)
	}
	ref, err := reference(refSize, buf)
	if err != nil {
		return err
	}
	fmt.Printf("median: 1 worker %.1f MB/s, 2 workers %.1f MB/s, ratio %.2f\n", median(one), median(two), median(ratio))
	fmt.Printf("reference (fr32 + crypto/sha256, %d MiB): %.1f MB/s; 1 worker is %.1fx, 2 workers %.1fx the reference\n",
		refSize>>20, ref, median(one)/ref, median(two)/ref)
	return nil
}

func measure(workers int, size int64, buf []byte) (float64, error) {
	h := commp.New(commp.Options{Workers: workers})
	start := time.Now()
	for i, n := int64(0), size; n > 0; i++ {
		binary.LittleEndian.PutUint64(buf, uint64(i)) // every write differs
		c := min(n, int64(len(buf)))
		if _, err := h.Write(buf[:c]); err != nil {
			return 0, err
		}
		n -= c
	}
	if _, _, err := h.Sum(); err != nil {
		return 0, err
	}
	return float64(size) / time.Since(start).Seconds() / 1e6, nil
}

// reference computes CommP the plain way: pad the whole payload, then hash
// each layer with crypto/sha256. The payload is the largest 127·2^k bytes
// within refSize, so the tree is complete.
func reference(refSize int64, buf []byte) (float64, error) {
	quads := int64(1)
	for quads*2*fr32.UnpaddedChunk <= refSize {
		quads *= 2
	}
	payload := make([]byte, quads*fr32.UnpaddedChunk)
	for off := 0; off < len(payload); off += len(buf) {
		copy(payload[off:], buf)
	}
	start := time.Now()
	layer := make([]byte, quads*fr32.PaddedChunk)
	for q := int64(0); q < quads; q++ {
		fr32.Pad(payload[q*fr32.UnpaddedChunk:(q+1)*fr32.UnpaddedChunk], layer[q*fr32.PaddedChunk:(q+1)*fr32.PaddedChunk])
	}
	for len(layer) > 32 {
		next := make([]byte, len(layer)/2)
		for i := 0; i < len(layer); i += 64 {
			s := sha256.Sum256(layer[i : i+64])
			s[31] &= 0x3f
			copy(next[i/2:], s[:])
		}
		layer = next
	}
	return float64(len(payload)) / time.Since(start).Seconds() / 1e6, nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
