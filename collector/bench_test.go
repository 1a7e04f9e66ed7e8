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
// 50,000 domains, 100,000 orders) with the default caps: gathering the cached metrics and
// encoding them as text, which is all a scrape does while the data is fresh.
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
	render := func() int {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		mfs, err := exp.Gatherer(ctx, prometheus.NewRegistry()).Gather()
		if err != nil {
			b.Fatal(err)
		}
		enc := expfmt.NewEncoder(io.Discard, expfmt.NewFormat(expfmt.TypeTextPlain))
		series := 0
		for _, mf := range mfs {
			series += len(mf.GetMetric())
			if err := enc.Encode(mf); err != nil {
				b.Fatal(err)
			}
		}
		return series
	}
	series := render() // the cold collection, not measured
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		render()
	}
	b.ReportMetric(float64(series), "series")
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
			c := def.New(client, Options{Organizations: OrganizationsOptions{Now: func() time.Time { return goldenNow }},
				APIKeys: APIKeysOptions{Now: func() time.Time { return goldenNow }}})
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
