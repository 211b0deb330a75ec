package rpc_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/strata-sp/strata/rpc"
)

// BenchmarkRoundTrip measures an authenticated no-op call over loopback TCP:
// client encode, HTTP POST (or WebSocket message), token check, dispatch,
// response decode. The "reference" case is a bare net/http POST to a handler
// that writes a fixed JSON-RPC answer, measured in the same run, so the cost
// of the RPC layer reads as a ratio. Reproduce:
//
//	go test -run='^$' -bench=RoundTrip -benchtime=2s ./rpc
func BenchmarkRoundTrip(b *testing.B) {
	b.Run("reference/serial", func(b *testing.B) {
		url, client := referenceServer(b)
		b.ResetTimer()
		for b.Loop() {
			referenceCall(b, client, url)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	})
	b.Run("reference/parallel", func(b *testing.B) {
		url, client := referenceServer(b)
		b.SetParallelism(4)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				referenceCall(b, client, url)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	})
	for _, scheme := range []string{"http", "ws"} {
		b.Run(scheme+"/serial", func(b *testing.B) {
			c := benchClient(b, scheme)
			ctx := context.Background()
			b.ResetTimer()
			for b.Loop() {
				if err := c.Noop(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
		b.Run(scheme+"/parallel", func(b *testing.B) {
			c := benchClient(b, scheme)
			ctx := context.Background()
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := c.Noop(ctx); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}

func referenceServer(b *testing.B) (string, *http.Client) {
	answer := []byte(`{"jsonrpc":"2.0","id":1,"result":null}`)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(answer)
	}))
	b.Cleanup(hs.Close)
	return hs.URL, &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
}

func referenceCall(b *testing.B, c *http.Client, url string) {
	res, err := c.Post(url, "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"Test.Noop","params":[]}`))
	if err != nil {
		b.Error(err)
		return
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
}

func benchClient(b *testing.B, scheme string) *TestStruct {
	f := newFixture(b, rpc.Limits{})
	var c TestStruct
	u := f.http.URL
	if scheme == "ws" {
		u = "ws" + u[len("http"):]
	}
	closer, err := rpc.NewClient(context.Background(), u+rpc.Path, "Test", &c, rpc.ClientOptions{Token: f.read})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(closer)
	return &c
}
