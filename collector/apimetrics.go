package collector

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// APIMetrics counts the client's HTTP requests. It implements certcentral.Observer and is
// registered once, on the exporter's long-lived registry.
type APIMetrics struct {
	requests *prometheus.CounterVec
	errors   *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewAPIMetrics creates the request metrics and registers them with reg.
func NewAPIMetrics(reg prometheus.Registerer) *APIMetrics {
	m := &APIMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "api_requests_total",
			Help: "HTTP requests sent to the CertCentral API, by endpoint and HTTP status code (\"none\" when no answer arrived).",
		}, []string{"endpoint", "code"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "api_request_errors_total",
			Help: "Failed CertCentral API requests by endpoint and reason (invalid_key, missing_permission, rate_limited, server_error, timeout, connection, ...).",
		}, []string{"endpoint", "reason"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "api_request_duration_seconds",
			Help:    "Duration of CertCentral API requests, including reading the body.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"endpoint"}),
	}
	reg.MustRegister(m.requests, m.errors, m.duration)
	return m
}

// ObserveRequest implements certcentral.Observer. A call refused by the exporter's own budget
// or cancelled before it was sent is not an HTTP request and is only counted as an error.
func (m *APIMetrics) ObserveRequest(endpoint string, status int, kind certcentral.Kind, d time.Duration) {
	if kind != "" {
		m.errors.WithLabelValues(endpoint, string(kind)).Inc()
	}
	if status == 0 && d == 0 {
		return // never sent: the budget or the deadline stopped it first
	}
	code := "none"
	if status != 0 {
		code = strconv.Itoa(status)
	}
	m.requests.WithLabelValues(endpoint, code).Inc()
	m.duration.WithLabelValues(endpoint).Observe(d.Seconds())
}
