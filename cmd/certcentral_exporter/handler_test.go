package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/certcentral-exporter/certcentral_exporter/collector"
	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

// newTestMetricsServer serves /metrics of an exporter with every collector against an
// in-process simulator of the demo account.
func newTestMetricsServer(t *testing.T) (*httptest.Server, *checkSim) {
	t.Helper()
	sim := newCheckSim(t, false, nil)
	client, err := certcentral.New(certcentral.Config{BaseURL: sim.url, APIKey: knownKey})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range collector.Definitions() {
		names = append(names, d.Name)
	}
	exp, err := collector.NewExporter(collector.Config{Client: client, Enabled: names, CacheTTL: time.Nanosecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(exp.Close)
	srv := httptest.NewServer(newMetricsHandler(metricsHandlerConfig{
		logger: slog.New(slog.DiscardHandler), defaultTimeout: 10 * time.Second, timeoutOffset: 500 * time.Millisecond,
	}, func(*http.Request) (target, int, string) {
		return target{exporters: []*collector.Exporter{exp}, others: []prometheus.Gatherer{prometheus.NewRegistry()}, cache: exp.ResponseCache()}, 0, ""
	}))
	t.Cleanup(srv.Close)
	return srv, sim
}

// TestMetricsAnswersOnlyGetAndHead: POST, PUT, DELETE and TRACE got a full body and started
// collections.
func TestMetricsAnswersOnlyGetAndHead(t *testing.T) {
	srv, sim := newTestMetricsServer(t)
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodTrace, http.MethodPatch, "PROPFIND"} {
		req, _ := http.NewRequest(method, srv.URL, strings.NewReader("x=1"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" || strings.Contains(string(body), "certcentral_") {
			t.Errorf("%s: %s, Allow %q, body %.100q; want 405 with Allow: GET, HEAD and no metrics", method, resp.Status, resp.Header.Get("Allow"), body)
		}
	}
	if n := sim.sim.Stats().Total(); n != 0 {
		t.Errorf("refused methods started collections: %d API requests", n)
	}
	for _, method := range []string{http.MethodGet, http.MethodHead} {
		req, _ := http.NewRequest(method, srv.URL, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %s", method, resp.Status)
		}
	}
}

// TestScrapeTimeoutHeaderIsClamped: 1e300 or Inf seconds overflowed into a negative deadline
// and every collector showed "timeout".
func TestScrapeTimeoutHeaderIsClamped(t *testing.T) {
	def, offset := 10*time.Second, 500*time.Millisecond
	for header, want := range map[string]time.Duration{
		"":      def - offset,
		"30":    30*time.Second - offset,
		"0.25":  250 * time.Millisecond, // the offset is larger: ignored
		"1e300": maxScrapeTimeout - offset,
		"Inf":   maxScrapeTimeout - offset,
		"+Inf":  maxScrapeTimeout - offset,
		"1e20":  maxScrapeTimeout - offset,
		"NaN":   def - offset,
		"-5":    def - offset,
		"0":     def - offset,
		"soon":  def - offset,
	} {
		r := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if header != "" {
			r.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", header)
		}
		if got := scrapeTimeout(r, def, offset); got != want {
			t.Errorf("header %q: timeout %s, want %s", header, got, want)
		}
	}

	srv, _ := newTestMetricsServer(t)
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", "1e300")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(body), `reason="timeout"`) || strings.Count(string(body), "certcentral_collector_success{") != len(collector.Definitions()) ||
		strings.Contains(string(body), "certcentral_collector_success{collector=\"users\"} 0") {
		t.Errorf("a scrape with a 1e300 s timeout did not collect:\n%s", testbin.Lines(string(body), "certcentral_collector_"))
	}
}

// TestServerLimits: the server had no read, write or idle timeouts, and no bound on open
// connections.
func TestServerLimits(t *testing.T) {
	s := newHTTPServer(http.NotFoundHandler())
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.IdleTimeout <= 0 || s.WriteTimeout <= maxScrapeTimeout || s.MaxHeaderBytes <= 0 || s.ConnState == nil {
		t.Errorf("server limits %+v: every timeout must be set, the write timeout above the longest scrape", s)
	}
}
