package processor_test

import (
	"encoding/json"
	"fmt"
	"testing"
)

// BenchmarkClient_RoundTrip measures round trips per second between a Client
// and a real child process (this test binary serving Serve with the test
// handlers), with a small task echoed back: the protocol's own overhead.
func BenchmarkClient_RoundTrip(b *testing.B) {
	for _, conc := range []int{1, 8} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			cfg := testConfig(b, "bench", nil)
			cfg.Concurrency = conc
			c := startClient(b, cfg)
			task := testTask{Op: "echo", Payload: json.RawMessage(`{"sector_id":{"miner":1000,"number":42}}`)}
			b.ReportAllocs()
			if conc == 1 {
				for b.Loop() {
					if _, err := call(b.Context(), c, task); err != nil {
						b.Fatal(err)
					}
				}
			} else {
				b.SetParallelism(conc) // conc × GOMAXPROCS callers, conc in flight
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := call(b.Context(), c, task); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "roundtrips/s")
		})
	}
}
