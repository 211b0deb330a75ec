package rpc

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "strata_rpc_requests_total",
			Help: "JSON-RPC calls by method and outcome (ok or the error kind).",
		}, []string{"method", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "strata_rpc_request_duration_seconds",
			Help:    "Time spent in JSON-RPC calls, by method.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 4, 10),
		}, []string{"method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "strata_rpc_requests_in_flight",
			Help: "JSON-RPC calls running now.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.inFlight} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("rpc metrics: %w", err)
		}
	}
	return m, nil
}

// count records a failure that never reached a method.
func (s *Server) count(method string, e *Error) {
	if s.metrics == nil {
		return
	}
	if method == "" {
		method = "(none)"
	}
	s.metrics.requests.WithLabelValues(method, string(e.Kind)).Inc()
}

// observe records a call of a registered method.
func (s *Server) observe(method string, e *Error, d time.Duration) {
	if s.metrics == nil {
		return
	}
	outcome := "ok"
	if e != nil {
		outcome = string(e.Kind)
	}
	s.metrics.requests.WithLabelValues(method, outcome).Inc()
	s.metrics.duration.WithLabelValues(method).Observe(d.Seconds())
}

// enter counts a call in flight; the returned func counts it out.
func (s *Server) enter() func() {
	if s.metrics == nil {
		return func() {}
	}
	s.metrics.inFlight.Inc()
	return s.metrics.inFlight.Dec
}
