package simulator

import (
	"maps"
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Stats counts what the simulator was asked since start or the last reset.
type Stats struct {
	// Requests counts API requests per endpoint ("/user", ...); requests to
	// unknown paths count under "unknown".
	Requests map[string]int `json:"requests"`
	// ByStatus counts API answers per HTTP status ("200", "429", ...), plus
	// "reset" for dropped connections and "none" when the client gave up
	// before any answer (hang).
	ByStatus map[string]int `json:"by_status"`
	// Writes counts API requests with a method other than GET/HEAD.
	Writes int `json:"writes"`
	// RateLimited counts requests refused with 429 by the rate limiter
	// (injected 429 faults are not included).
	RateLimited int `json:"rate_limited"`
}

// Total is the number of API requests counted.
func (s Stats) Total() int {
	n := 0
	for _, v := range s.Requests {
		n += v
	}
	return n
}

// stats keeps the resettable Stats and the monotonic Prometheus counters
// side by side: resetting Stats must never make a counter go down.
type stats struct {
	mu  sync.Mutex
	cur Stats

	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	writes      prometheus.Counter
	rateLimited prometheus.Counter
}

func newStats() *stats {
	s := &stats{reg: prometheus.NewRegistry()}
	s.resetLocked()
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "ccsim", Name: "requests_total",
		Help: "API requests answered by the CertCentral simulator.",
	}, []string{"endpoint", "method", "code"})
	s.writes = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "ccsim", Name: "write_attempts_total",
		Help: "API requests with a method other than GET or HEAD (the exporter must never make one).",
	})
	s.rateLimited = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: "ccsim", Name: "rate_limited_total",
		Help: "API requests refused by the simulated rate limiter.",
	})
	s.reg.MustRegister(s.requests, s.writes, s.rateLimited)
	return s
}

func (s *stats) resetLocked() {
	s.cur = Stats{Requests: map[string]int{}, ByStatus: map[string]int{}}
}

func (s *stats) reset() {
	s.mu.Lock()
	s.resetLocked()
	s.mu.Unlock()
}

func (s *stats) snapshot() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cur
	c.Requests = maps.Clone(s.cur.Requests)
	c.ByStatus = maps.Clone(s.cur.ByStatus)
	return c
}

// knownMethods bounds the method label's values.
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// record counts one finished API request. endpoint is already bounded to
// the known endpoints plus "unknown".
func (s *stats) record(endpoint, method, code string, write, limited bool) {
	if !knownMethods[method] {
		method = "OTHER"
	}
	s.requests.WithLabelValues(endpoint, method, code).Inc()
	if write {
		s.writes.Inc()
	}
	if limited {
		s.rateLimited.Inc()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur.Requests[endpoint]++
	s.cur.ByStatus[code]++
	if write {
		s.cur.Writes++
	}
	if limited {
		s.cur.RateLimited++
	}
}

// statusRecorder remembers the status a handler sent.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and Hijack.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) code() string {
	if r.status == 0 {
		return "none"
	}
	return strconv.Itoa(r.status)
}
