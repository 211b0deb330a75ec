package rpc

import (
	"fmt"
	"sync"
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

// methodMetrics are a method's series, looked up by label once rather
// than at every call. They are made at the method's first call, not at
// Register: a series appears once it has something to count.
type methodMetrics struct {
	once     sync.Once
	duration prometheus.Observer
	okOnce   sync.Once
	ok       prometheus.Counter
}

// observe records a call of a registered method.
func (s *Server) observe(m *method, e *Error, d time.Duration) {
	if s.metrics == nil {
		return
	}
	mm := &m.metrics
	if e != nil {
		s.metrics.requests.WithLabelValues(m.name, string(e.Kind)).Inc()
	} else {
		mm.okOnce.Do(func() { mm.ok = s.metrics.requests.WithLabelValues(m.name, "ok") })
		mm.ok.Inc()
	}
	mm.once.Do(func() { mm.duration = s.metrics.duration.WithLabelValues(m.name) })
	mm.duration.Observe(d.Seconds())
}

// enter counts a call in flight; leave counts it out.
func (s *Server) enter() {
	if s.metrics != nil {
		s.metrics.inFlight.Inc()
	}
}

func (s *Server) leave() {
	if s.metrics != nil {
		s.metrics.inFlight.Dec()
	}
}
