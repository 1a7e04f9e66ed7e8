package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/certcentral-exporter/certcentral_exporter/config"
	"github.com/certcentral-exporter/certcentral_exporter/internal/accounts"
	"github.com/certcentral-exporter/certcentral_exporter/internal/simulator"
)

// BenchmarkWarmScrape serves /metrics of the typical account (500 users, 2,000 domains,
// 5,000 orders) from cache, with gzip, as main wires it: the accounts' own metrics and the
// process's go_* and process_* metrics encoded per scrape, the rest as made once.
func BenchmarkWarmScrape(b *testing.B) {
	now := time.Now()
	ds := simulator.Generate(1, simulator.Sizes{Users: 500, Domains: 2000, Orders: 5000}, now)
	sim := simulator.New(simulator.Options{Keys: []simulator.Key{{Value: knownKey}}, Dataset: ds, RateLimit: simulator.RateLimit{Disabled: true}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	s := config.DefaultSettings()
	s.URL = srv.URL + "/services/v2"
	cfg := &config.Config{Accounts: []config.Account{{Name: "default", Settings: s, KeyEnv: "BENCH_KEY"}}}
	set := accounts.New(accounts.Options{Logger: slog.New(slog.DiscardHandler), Getenv: func(string) string { return knownKey }})
	defer set.Close()
	if _, err := set.Apply(cfg); err != nil {
		b.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
		collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/heap/live:bytes$`)})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h := newMetricsHandler(metricsHandlerConfig{logger: slog.New(slog.DiscardHandler), defaultTimeout: time.Minute}, allAccounts(set, reg))
	scrape := func() {
		req := httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/metrics", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
		_, _ = io.Copy(io.Discard, w.Body)
	}
	scrape() // the first full read
	b.ReportAllocs()
	for b.Loop() {
		scrape()
	}
}
