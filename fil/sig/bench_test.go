package sig_test

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/strata-sp/strata/fil/address"
	"github.com/strata-sp/strata/fil/sig"
)

// benchMsg is the size of a message CID, what Filecoin signs most.
var benchMsg = make([]byte, 38)

func benchKey(b *testing.B, typ sig.Type) (sig.PrivateKey, address.Address) {
	b.Helper()
	k, err := sig.GenerateKey(typ, rand.New(rand.NewSource(1)))
	if err != nil {
		b.Fatal(err)
	}
	a, err := k.Address()
	if err != nil {
		b.Fatal(err)
	}
	return k, a
}

func BenchmarkSign(b *testing.B) {
	for _, typ := range allTypes {
		b.Run(typ.String(), func(b *testing.B) {
			k, _ := benchKey(b, typ)
			for b.Loop() {
				if _, err := k.Sign(benchMsg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "signs/s")
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, typ := range allTypes {
		b.Run(typ.String(), func(b *testing.B) {
			k, a := benchKey(b, typ)
			s, err := k.Sign(benchMsg)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := sig.Verify(s, a, benchMsg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifies/s")
		})
	}
}

// BenchmarkVerifyAggregateBLS measures a block-sized aggregate check; the
// metric counts signatures covered per second.
func BenchmarkVerifyAggregateBLS(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := rand.New(rand.NewSource(2))
			var sigs []sig.Signature
			var signers []address.Address
			var msgs [][]byte
			for i := 0; i < n; i++ {
				k, err := sig.GenerateKey(sig.BLS, r)
				if err != nil {
					b.Fatal(err)
				}
				a, _ := k.Address()
				m := []byte(fmt.Sprint("msg", i))
				s, _ := k.Sign(m)
				sigs, signers, msgs = append(sigs, s), append(signers, a), append(msgs, m)
			}
			agg, err := sig.AggregateBLS(sigs)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if err := sig.VerifyAggregateBLS(signers, msgs, agg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "verifies/s")
		})
	}
}
