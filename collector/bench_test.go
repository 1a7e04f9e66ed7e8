package collector

import (
	"context"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
	"github.com/certcentral-exporter/certcentral_exporter/internal/simulator"
)

// BenchmarkRenderLargeExposition measures a warm scrape of the "large" account (10,000 users,
// 50,000 domains, 100,000 orders) with the default caps, while the data is fresh: "text" is
// what a Prometheus scrape costs (the static part from the cache with its gzip member, the
// volatile part encoded now); "gather" is the general path the protobuf format takes, which
// parses the kept text back into metric families.
func BenchmarkRenderLargeExposition(b *testing.B) {
	ds := simulator.Generate(1, simulator.Sizes{Users: 10000, Domains: 50000, Orders: 100000}, goldenNow)
	sim := simulator.New(simulator.Options{Keys: []simulator.Key{{Value: testKey}}, Dataset: ds,
		Now: func() time.Time { return goldenNow }, RateLimit: simulator.RateLimit{Disabled: true}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	client, err := certcentral.New(certcentral.Config{BaseURL: srv.URL + "/services/v2", APIKey: testKey})
	if err != nil {
		b.Fatal(err)
	}
	var names []string
	for _, d := range Definitions() {
		names = append(names, d.Name)
	}
	exp, err := NewExporter(Config{
		Client: client, Enabled: names, Now: func() time.Time { return goldenNow }, CacheTTL: time.Hour,
		Options: Options{
			Users:   UsersOptions{PerUser: true},
			Domains: DomainsOptions{PerDomain: true, MaxDomains: 10000},
			Orders:  OrdersOptions{MaxCertificates: 10000},
		},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer exp.Close()
	process := prometheus.NewRegistry()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	format := expfmt.NewFormat(expfmt.TypeTextPlain)
	first, err := Scrape(ctx, exp.ResponseCache(), format, []*Exporter{exp}, process) // the cold collection
	if err != nil {
		b.Fatal(err)
	}
	b.Run("text", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			resp, err := Scrape(ctx, exp.ResponseCache(), format, []*Exporter{exp}, process)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Discard.Write(resp.StaticGzip()); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(first.Size()), "bytes")
	})
	b.Run("gather", func(b *testing.B) {
		series := 0
		b.ReportAllocs()
		for b.Loop() {
			mfs, err := exp.Gatherer(ctx, process).Gather()
			if err != nil {
				b.Fatal(err)
			}
			enc := expfmt.NewEncoder(io.Discard, format)
			series = 0
			for _, mf := range mfs {
				series += len(mf.GetMetric())
				if err := enc.Encode(mf); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(series), "series")
	})
}

// BenchmarkIssuanceCollectorsLarge measures one collection of each new collector of the
// issuance blockers on the "large" account (43 organizations, 500 pending requests of 1,000,
// 402 API keys), from the simulator on loopback: decoding, ranking and building the series.
func BenchmarkIssuanceCollectorsLarge(b *testing.B) {
	ds := simulator.Generate(1, simulator.Sizes{Users: 10000, Domains: 50000, Orders: 100000}, goldenNow)
	sim := simulator.New(simulator.Options{Keys: []simulator.Key{{Value: testKey}}, Dataset: ds,
		Now: func() time.Time { return goldenNow }, RateLimit: simulator.RateLimit{Disabled: true}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	client, err := certcentral.New(certcentral.Config{BaseURL: srv.URL + "/services/v2", APIKey: testKey})
	if err != nil {
		b.Fatal(err)
	}
	for _, name := range []string{"organizations", "requests", "api_keys"} {
		b.Run(name, func(b *testing.B) {
			def, _ := Lookup(name)
			c := def.New(client, Options{Organizations: OrganizationsOptions{Now: func() time.Time { return goldenNow }}})
			series := 0
			b.ReportAllocs()
			for b.Loop() {
				out := newOutput()
				if err := c.Collect(context.Background(), out); err != nil {
					b.Fatal(err)
				}
				series = len(out.samples)
			}
			b.ReportMetric(float64(series), "series")
		})
	}
}
