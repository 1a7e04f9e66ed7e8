package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/certcentral-exporter/certcentral_exporter/collector"
	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

// TestCachedScrapeIsOneValidExposition: two accounts scraped through one cache, with gzip as
// Prometheus asks. The body is two gzip members: the part made from the collections, the
// same bytes on every scrape until a collection ends, then the part that changes with every
// scrape. Go's gzip reader reads both as one exposition, which parses with one HELP and
// TYPE per family and carries both accounts' series and the scrape's counter; a scrape
// without gzip serves the same text.
func TestCachedScrapeIsOneValidExposition(t *testing.T) {
	sim := newCheckSim(t, false, nil)
	var names []string
	for _, d := range collector.Definitions() {
		names = append(names, d.Name)
	}
	var exporters []*collector.Exporter
	for _, account := range []string{"a", "b"} {
		client, err := certcentral.New(certcentral.Config{BaseURL: sim.url, APIKey: knownKey})
		if err != nil {
			t.Fatal(err)
		}
		extra := prometheus.NewRegistry()
		extra.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "test_account_metric", Help: "An account's own metric.",
			ConstLabels: prometheus.Labels{"account": account}}, func() float64 { return 1 }))
		exp, err := collector.NewExporter(collector.Config{Client: client, Enabled: names, CacheTTL: time.Hour,
			Labels: [][2]string{{"account", account}}, Extra: extra})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(exp.Close)
		exporters = append(exporters, exp)
	}
	process := prometheus.NewRegistry()
	scrapes := prometheus.NewCounter(prometheus.CounterOpts{Name: "test_scrapes_total", Help: "Scrapes."})
	process.MustRegister(scrapes)
	cache := collector.NewResponseCache()
	srv := httptest.NewServer(newMetricsHandler(metricsHandlerConfig{logger: slog.New(slog.DiscardHandler), defaultTimeout: 10 * time.Second},
		func(*http.Request) (target, int, string) {
			scrapes.Inc()
			return target{exporters: exporters, others: []prometheus.Gatherer{process}, cache: cache}, 0, ""
		}))
	t.Cleanup(srv.Close)

	get := func(gz bool) []byte {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		if gz {
			req.Header.Set("Accept-Encoding", "gzip")
		}
		resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if (resp.Header.Get("Content-Encoding") == "gzip") != gz || resp.StatusCode != 200 {
			t.Fatalf("%s, Content-Encoding %q", resp.Status, resp.Header.Get("Content-Encoding"))
		}
		return body
	}
	gunzip := func(b []byte) string {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		text, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		return string(text)
	}
	first, second := get(true), get(true)
	text := gunzip(second)

	// The static member is the same bytes on both scrapes; the whole bodies are not.
	static := staticMemberLen(t, first)
	if static == 0 || !bytes.Equal(first[:static], second[:staticMemberLen(t, second)]) {
		t.Errorf("the collections' part changed between two scrapes with no collection between them")
	}
	if !strings.Contains(gunzip(first), "test_scrapes_total 1\n") || !strings.Contains(text, "test_scrapes_total 2\n") {
		t.Errorf("the per-scrape part is not fresh:\n%s", testbin.Lines(text, "test_scrapes_total"))
	}

	parser := expfmt.NewTextParser(model.UTF8Validation)
	if _, err := parser.TextToMetricFamilies(strings.NewReader(text)); err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	helps := map[string]int{}
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[1] == "HELP" {
			helps[f[2]]++
		}
	}
	for name, n := range helps {
		if n != 1 {
			t.Errorf("%s has %d HELP lines", name, n)
		}
	}
	for _, want := range []string{`certcentral_up{account="a"} 1`, `certcentral_up{account="b"} 1`,
		`certcentral_users{account="b"`, `test_account_metric{account="a"} 1`, `test_account_metric{account="b"} 1`} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %s", want)
		}
	}
	plain := get(false)
	if strings.ReplaceAll(string(plain), "test_scrapes_total 3", "test_scrapes_total 2") != text {
		t.Errorf("the answer without gzip differs from the gzip one")
	}
}

// staticMemberLen is the length of the first gzip member of b.
func staticMemberLen(t *testing.T, b []byte) int {
	t.Helper()
	r := bytes.NewReader(b)
	zr, err := gzip.NewReader(r)
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	if _, err := io.Copy(io.Discard, zr); err != nil {
		t.Fatal(err)
	}
	return len(b) - r.Len()
}
