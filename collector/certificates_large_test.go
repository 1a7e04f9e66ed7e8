package collector

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
	"github.com/certcentral-exporter/certcentral_exporter/internal/simulator"
)

// TestLargeAccountCountsStayWhole: on a generated account of 100,000 orders, with the default
// cap of 10,000 certificate series in force, every count equals what the data holds (worked
// out here from the simulator's dataset, not by the collector's code), the per-certificate
// series hold every certificate an alert or panel needs, and the rest are counted as dropped.
func TestLargeAccountCountsStayWhole(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 100,000 orders")
	}
	now := goldenNow
	ds := simulator.Generate(1, simulator.Sizes{Users: 1, Orders: 100_000}, now)
	sim := simulator.New(simulator.Options{Keys: []simulator.Key{{Value: testKey}}, Dataset: ds,
		Now: func() time.Time { return now }, RateLimit: simulator.RateLimit{Disabled: true}})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	client, err := certcentral.New(certcentral.Config{BaseURL: srv.URL + "/services/v2", APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	const limit = 10_000
	c := &ordersCollector{client: client, opts: OrdersOptions{MaxCertificates: limit, Now: func() time.Time { return now }}}
	out := newOutput()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := c.Collect(ctx, out); err != nil {
		t.Fatal(err)
	}
	text := outputText(t, out)

	// What the data says, by the definitions of README's metric table.
	day := 24 * time.Hour
	want := map[string]int{}
	population, needed, plansWithin90d := 0, 0, 0
	var calendar [13]int
	for _, o := range ds.Orders {
		want[fmt.Sprintf(`certcentral_orders{product=%q,status=%q}`, o.ProductNameID, o.Status)]++
		if o.ValidTill == nil {
			continue
		}
		// The API sends dates: the certificate runs to the end of its valid_till day.
		till := time.Date(o.ValidTill.Year(), o.ValidTill.Month(), o.ValidTill.Day(), 23, 59, 59, 0, time.UTC)
		from := time.Date(o.ValidFrom.Year(), o.ValidFrom.Month(), o.ValidFrom.Day(), 0, 0, 0, 0, time.UTC)
		issued := from
		if o.Created.After(issued) {
			issued = o.Created
		}
		for _, w := range []struct {
			name string
			span time.Duration
		}{{"24h", day}, {"7d", 7 * day}} {
			if now.Sub(issued) < w.span {
				want[fmt.Sprintf(`certcentral_certificates_issued{product=%q,window=%q}`, o.ProductNameID, w.name)]++
			}
		}
		if o.Status != "issued" && o.Status != "expired" && o.Status != "reissue_pending" {
			continue
		}
		if p := o.PlanValidTill; p != nil && p.After(now) && !p.After(now.Add(90*day)) && (o.MultiYearPlan || p.After(till)) {
			plansWithin90d++
		}
		left := till.Sub(now)
		if left <= -30*day {
			continue
		}
		population++
		window := "later"
		switch {
		case left <= 0:
			window = "expired"
		case left <= 7*day:
			window = "7d"
		case left <= 30*day:
			window = "30d"
		case left <= 60*day:
			window = "60d"
		case left <= 90*day:
			window = "90d"
		}
		if left > 0 && left <= 91*day {
			calendar[(left-1)/(7*day)]++
		}
		renewal := "none"
		if o.Status == "reissue_pending" {
			renewal = "reissue_pending"
		} else if o.IsRenewed {
			renewal = "renewed"
		}
		want[fmt.Sprintf(`certcentral_certificates{expires_in=%q,product=%q,renewal=%q}`, window, o.ProductNameID, renewal)]++
		if left <= 90*day || float64(left) < 0.5*float64(till.Sub(from)) {
			needed++
		}
	}
	for w, n := range calendar {
		want[fmt.Sprintf(`certcentral_certificates_expiring_by_week{week="%d"}`, w+1)] = n
	}
	for _, prefix := range []string{"certcentral_orders{", "certcentral_certificates{", "certcentral_certificates_issued{", "certcentral_certificates_expiring_by_week{"} {
		got := sampleValues(text, prefix)
		sum := 0
		for series, v := range got {
			n, _ := strconv.Atoi(v)
			sum += n
			if want[series] != n {
				t.Errorf("%s = %d, the data holds %d", series, n, want[series])
			}
		}
		for series, n := range want {
			if strings.HasPrefix(series, prefix) && got[series] == "" {
				t.Errorf("%s missing (the data holds %d)", series, n)
			}
		}
		t.Logf("%s...}: %d series summing to %d", prefix, len(got), sum)
	}
	if population < 20_000 || needed < limit {
		t.Fatalf("%d certificates, %d needed by alerts: the generated account no longer makes the cap bite", population, needed)
	}
	series := len(sampleValues(text, "certcentral_certificate_expiry_timestamp_seconds{"))
	if series != needed {
		t.Errorf("%d certificate series, want the %d that alerts and panels need (over the cap of %d)", series, needed, limit)
	}
	plans := len(sampleValues(text, "certcentral_order_plan_expiry_timestamp_seconds{"))
	if plans != plansWithin90d || out.dropped != population-series {
		t.Errorf("%d plan series (want the %d ending within 90 days), %d dropped, want the %d certificates cut",
			plans, plansWithin90d, out.dropped, population-series)
	}
	t.Logf("%d orders: %d certificates counted, %d series kept (%d needed, cap %d), %d plan series, %d dropped",
		len(ds.Orders), population, series, needed, limit, plans, out.dropped)
}

// BenchmarkOrdersCollectorLarge measures one collection of the orders collector on the "large"
// account (100,000 orders) with the default cap of 10,000: reading and decoding the pages from
// the simulator on loopback, the counts, the ranking under the cap and building the series.
func BenchmarkOrdersCollectorLarge(b *testing.B) {
	ds := simulator.Generate(1, simulator.Sizes{Users: 1, Orders: 100_000}, goldenNow)
	sim := simulator.New(simulator.Options{Keys: []simulator.Key{{Value: testKey}}, Dataset: ds,
		Now: func() time.Time { return goldenNow }, RateLimit: simulator.RateLimit{Disabled: true}})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	client, err := certcentral.New(certcentral.Config{BaseURL: srv.URL + "/services/v2", APIKey: testKey})
	if err != nil {
		b.Fatal(err)
	}
	c := &ordersCollector{client: client, opts: OrdersOptions{MaxCertificates: 10_000, Now: func() time.Time { return goldenNow }}}
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
}
