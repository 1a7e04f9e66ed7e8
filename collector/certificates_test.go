package collector

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// outputText renders what a collection wrote as text exposition, as a collection's result is
// encoded.
func outputText(t *testing.T, out *Output) string {
	t.Helper()
	fams, err := encodeSamples(out.samples, nil)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	for _, f := range fams {
		buf.Write(f.text)
	}
	return buf.String()
}

// aggregate runs orders through the orders collector's aggregation, as one collection.
func aggregate(t *testing.T, now time.Time, limit int, onlyCurrent bool, orders ...certcentral.Order) (string, *Output) {
	t.Helper()
	a := newOrderAggregates(now, DefaultExpiredRetention, limit)
	for _, o := range orders {
		a.add(o)
	}
	out := newOutput()
	a.emit(out, onlyCurrent)
	return outputText(t, out), out
}

func wantSamples(t *testing.T, text string, want map[string]string) {
	t.Helper()
	for series, v := range want {
		i := strings.IndexByte(series, '{')
		got := sampleValues(text, series[:i+1])[series]
		if got != v {
			t.Errorf("%s = %q, want %s", series, got, v)
		}
	}
}

// TestCertificateCounts: the expiry windows, their edges, renewal states, the calendar and the
// retention, with every known label set present.
func TestCertificateCounts(t *testing.T) {
	now := goldenNow
	d := 24 * time.Hour
	cert := func(id int64, left time.Duration, mod ...func(*certcentral.Order)) certcentral.Order {
		o := certcentral.Order{ID: id, Status: "issued", ProductNameID: "ssl_plus", ValidTill: now.Add(left)}
		for _, m := range mod {
			m(&o)
		}
		return o
	}
	renewed := func(o *certcentral.Order) { o.IsRenewed = true }
	reissue := func(o *certcentral.Order) { o.Status = "reissue_pending" }
	product := func(p string) func(*certcentral.Order) { return func(o *certcentral.Order) { o.ProductNameID = p } }
	text, out := aggregate(t, now, 0, false,
		cert(1, 7*d),                       // the edge of 7d is in it
		cert(2, 7*d+time.Second),           // 30d
		cert(3, 90*d),                      // 90d, calendar week 13
		cert(4, 90*d+time.Second, reissue), // later, reissue pending
		cert(5, -time.Hour, renewed),       // expired, renewed
		cert(6, -31*d),                     // beyond the retention: not counted
		cert(7, 20*d, func(o *certcentral.Order) { o.Status = "revoked" }), // revoked: no certificate to watch
		cert(8, 3*d, product("code_signing"), renewed),
		cert(0, 2*d), // no id: counted, its series dropped
		cert(9, 91*d+time.Second),
		certcentral.Order{ID: 10, Status: "pending", ProductNameID: "ssl_multi_domain", Created: now.Add(-time.Hour)},
	)
	wantSamples(t, text, map[string]string{
		`certcentral_certificates{expires_in="7d",product="ssl_plus",renewal="none"}`:                             "2",
		`certcentral_certificates{expires_in="30d",product="ssl_plus",renewal="none"}`:                            "1",
		`certcentral_certificates{expires_in="90d",product="ssl_plus",renewal="none"}`:                            "1",
		`certcentral_certificates{expires_in="later",product="ssl_plus",renewal="reissue_pending"}`:               "1",
		`certcentral_certificates{expires_in="later",product="ssl_plus",renewal="none"}`:                          "1",
		`certcentral_certificates{expires_in="expired",product="ssl_plus",renewal="renewed"}`:                     "1",
		`certcentral_certificates{expires_in="expired",product="ssl_plus",renewal="none"}`:                        "0",
		`certcentral_certificates{expires_in="7d",product="code_signing",renewal="renewed"}`:                      "1",
		`certcentral_certificates{expires_in="later",product="ssl_multi_domain",renewal="none"}`:                  "0", // a product seen only in a pending order
		`certcentral_certificates_expiring_by_week{week="1"}`:                                                     "3",
		`certcentral_certificates_expiring_by_week{week="2"}`:                                                     "1",
		`certcentral_certificates_expiring_by_week{week="13"}`:                                                    "2",
		`certcentral_certificates_expiring_by_week{week="12"}`:                                                    "0",
		`certcentral_orders{product="ssl_plus",status="issued"}`:                                                  "7",
		`certcentral_orders{product="ssl_plus",status="revoked"}`:                                                 "1",
		`certcentral_orders{product="ssl_multi_domain",status="pending"}`:                                         "1",
		`certcentral_orders{product="ssl_multi_domain",status="issued"}`:                                          "0",
		`certcentral_orders{product="code_signing",status="waiting_pickup"}`:                                      "0",
		`certcentral_certificate_reissue_pending{common_name="",order_id="4",product="ssl_plus",renewed="false"}`: "1",
	})
	if n := len(sampleValues(text, "certcentral_certificates{")); n != 3*6*3 {
		t.Errorf("%d certificate counts, want every product x window x renewal (54)", n)
	}
	if n := len(sampleValues(text, "certcentral_orders{")); n != 3*len(knownOrderStatuses) {
		t.Errorf("%d order counts, want every product x known status", n)
	}
	if n := len(sampleValues(text, "certcentral_certificate_expiry_timestamp_seconds{")); n != 7 || out.dropped != 1 {
		t.Errorf("%d certificate series (want 7: all but the long expired, the revoked and the one without id), %d dropped (want 1)", n, out.dropped)
	}
	if strings.Contains(text, `certcentral_certificate_valid_from_timestamp_seconds`) {
		t.Error("a valid_from series for certificates without valid_from")
	}
}

// TestEmptyAccountCountsZero: an account with no orders says 0, not "no data", for every
// known status; under only-current, only for the statuses that filter can return.
func TestEmptyAccountCountsZero(t *testing.T) {
	text, _ := aggregate(t, goldenNow, 0, false)
	orders := sampleValues(text, "certcentral_orders{")
	if len(orders) != len(knownOrderStatuses) || orders[`certcentral_orders{product="",status="pending"}`] != "0" {
		t.Errorf("orders of an empty account: %v", orders)
	}
	for _, m := range []string{"certcentral_certificates{", "certcentral_certificates_issued{", "certcentral_certificates_expiring_by_week{"} {
		for s, v := range sampleValues(text, m) {
			if v != "0" {
				t.Errorf("%s = %s on an empty account", s, v)
			}
		}
		if len(sampleValues(text, m)) == 0 {
			t.Errorf("no %s... series on an empty account", m)
		}
	}
	text, _ = aggregate(t, goldenNow, 0, true)
	if got := sampleValues(text, "certcentral_orders{"); len(got) != len(currentOrderStatuses) || got[`certcentral_orders{product="",status="issued"}`] != "0" {
		t.Errorf("only current: %v", got)
	}
}

// TestIssuanceAndSpend: the day's and week's issuance from date_issued, else the later of
// date_created and valid_from (a reissue), and the spend from date_created and price.
func TestIssuanceAndSpend(t *testing.T) {
	now := goldenNow
	price := func(v float64) *float64 { return &v }
	a := newOrderAggregates(now, DefaultExpiredRetention, 0)
	for _, o := range []certcentral.Order{
		// A new order issued an hour ago.
		{ID: 1, Status: "issued", ProductNameID: "ssl_plus", Created: now.Add(-2 * time.Hour),
			ValidFrom: now.Truncate(24 * time.Hour), ValidTill: now.Add(199 * 24 * time.Hour), Price: price(218.5)},
		// A reissue today on a year-old order: its valid_from dates it; the order's price is old.
		{ID: 2, Status: "issued", ProductNameID: "ssl_plus", Created: now.AddDate(-1, 0, 0),
			ValidFrom: now.Truncate(24 * time.Hour), ValidTill: now.Add(199 * 24 * time.Hour), Price: price(1000)},
		// date_issued wins: three days ago.
		{ID: 3, Status: "revoked", ProductNameID: "ssl_plus", Created: now.Add(-4 * 24 * time.Hour),
			Issued: now.Add(-3 * 24 * time.Hour), ValidTill: now.Add(100 * 24 * time.Hour), Price: price(218.5)},
		// Pending: no certificate, but ordered (and priced) yesterday.
		{ID: 4, Status: "pending", ProductNameID: "ssl_plus", Created: now.Add(-23 * time.Hour), Price: price(218.5)},
		// Eight days ago: outside both windows.
		{ID: 5, Status: "issued", ProductNameID: "ssl_ev_basic", Created: now.Add(-8 * 24 * time.Hour),
			ValidFrom: now.Add(-8 * 24 * time.Hour), ValidTill: now.Add(190 * 24 * time.Hour), Price: price(344)},
		// Dated two hours ahead (beyond the skew allowed): not counted.
		{ID: 6, Status: "issued", ProductNameID: "ssl_ev_basic", Created: now.Add(2 * time.Hour),
			ValidTill: now.Add(190 * 24 * time.Hour)},
		// No price: counts as issued, adds nothing to the spend.
		{ID: 7, Status: "issued", ProductNameID: "ssl_ev_basic", Created: now.Add(-time.Hour),
			ValidTill: now.Add(190 * 24 * time.Hour)},
	} {
		a.add(o)
	}
	out := newOutput()
	a.emit(out, false)
	spend := a.spend
	wantSamples(t, outputText(t, out), map[string]string{
		`certcentral_certificates_issued{product="ssl_plus",window="24h"}`:     "2",
		`certcentral_certificates_issued{product="ssl_plus",window="7d"}`:      "3",
		`certcentral_certificates_issued{product="ssl_ev_basic",window="24h"}`: "1",
		`certcentral_certificates_issued{product="ssl_ev_basic",window="7d"}`:  "1",
	})
	wantSamples(t, spendText(t, spend, balanceFacts{currency: "EUR"}), map[string]string{
		`certcentral_orders_spend{currency="EUR",product="ssl_plus",window="24h"}`:     "437",   // orders 1 and 4
		`certcentral_orders_spend{currency="EUR",product="ssl_plus",window="7d"}`:      "655.5", // and 3
		`certcentral_orders_spend{currency="EUR",product="ssl_ev_basic",window="24h"}`: "0",     // 7 has no price
		`certcentral_orders_spend{currency="EUR",product="ssl_ev_basic",window="7d"}`:  "0",
	})
	// Without the balance's data the currency is unknown, the amounts the same.
	wantSamples(t, spendText(t, spend, nil), map[string]string{
		`certcentral_orders_spend{currency="unknown",product="ssl_plus",window="24h"}`: "437",
	})
}

func spendText(t *testing.T, s spendFacts, balance any) string {
	t.Helper()
	out := newOutput()
	emitSpend(out.gauge, s, balance)
	return outputText(t, out)
}

// TestCapKeepsWhatAlertsNeed: the rule of the per-certificate cap. Certificates expired within
// the retention, expiring within 90 days or with less than half their lifetime left are all
// kept however low the cap; the others fill what is left, soonest first; the rest are counted.
func TestCapKeepsWhatAlertsNeed(t *testing.T) {
	now := goldenNow
	d := 24 * time.Hour
	var orders []certcentral.Order
	add := func(id int64, from, till time.Duration) {
		o := certcentral.Order{ID: id, Status: "issued", ProductNameID: "ssl_plus", ValidTill: now.Add(till)}
		if from != 0 {
			o.ValidFrom = now.Add(from)
		}
		orders = append(orders, o)
	}
	add(1, -190*d, 9*d)       // 199-day, 9 days left: kept
	add(2, -10*d, 89*d)       // within 90 days: kept
	add(3, -200*d, 190*d)     // a 390-day certificate with less than half left: kept
	add(4, -10*d, -time.Hour) // expired an hour ago: kept
	add(5, -10*d, 150*d)      // 94 % left: the cap decides
	add(6, -10*d, 180*d)      // 95 % left: the cap decides
	add(7, 0, 120*d)          // no valid_from, beyond 90 days: the cap decides
	text, out := aggregate(t, now, 2, false, orders...)
	got := sampleValues(text, "certcentral_certificate_expiry_timestamp_seconds{")
	for _, id := range []string{"1", "2", "3", "4"} {
		if !strings.Contains(fmt.Sprint(got), `order_id="`+id+`"`) {
			t.Errorf("certificate %s, needed by an alert, cut by a cap of 2: %v", id, got)
		}
	}
	if len(got) != 4 || out.dropped != 3 {
		t.Errorf("%d series, %d dropped; want the 4 needed over the cap of 2 and the other 3 counted", len(got), out.dropped)
	}
	// With room left, the soonest of the others fill it.
	text, out = aggregate(t, now, 6, false, orders...)
	got = sampleValues(text, "certcentral_certificate_expiry_timestamp_seconds{")
	if len(got) != 6 || out.dropped != 1 || strings.Contains(fmt.Sprint(got), `order_id="6"`) {
		t.Errorf("cap 6: %d series, %d dropped, want all but the latest (6): %v", len(got), out.dropped, got)
	}
	// No cap: all.
	if _, out := aggregate(t, now, 0, false, orders...); out.dropped != 0 {
		t.Errorf("no cap dropped %d", out.dropped)
	}
}

// TestPlans: a plan ending within 90 days is shown when it outlives its certificate or is a
// Multi-year Plan; a plan that ends with its certificate is the certificate's series, and one
// that ends later than 90 days needs no series yet.
func TestPlans(t *testing.T) {
	now := goldenNow
	d := 24 * time.Hour
	text, _ := aggregate(t, now, 0, false,
		certcentral.Order{ID: 1, Status: "issued", ValidTill: now.Add(40 * d), PlanValidTill: now.Add(40 * d), MultiYearPlan: true},
		certcentral.Order{ID: 2, Status: "issued", ValidTill: now.Add(10 * d), PlanValidTill: now.Add(90 * d)},
		certcentral.Order{ID: 3, Status: "issued", ValidTill: now.Add(100 * d), PlanValidTill: now.Add(100 * d)},
		certcentral.Order{ID: 4, Status: "issued", ValidTill: now.Add(-40 * d), PlanValidTill: now.Add(-d), MultiYearPlan: true},
		certcentral.Order{ID: 5, Status: "pending", PlanValidTill: now.Add(300 * d), MultiYearPlan: true},
		certcentral.Order{ID: 6, Status: "reissue_pending", ValidTill: now.Add(5 * d), PlanValidTill: now.Add(70 * d), IsRenewed: true},
		certcentral.Order{ID: 7, Status: "issued", ValidTill: now.Add(100 * d), PlanValidTill: now.Add(90*d + time.Second)},
	)
	got := sampleValues(text, "certcentral_order_plan_expiry_timestamp_seconds{")
	want := map[string]time.Time{"1": now.Add(40 * d), "2": now.Add(90 * d), "6": now.Add(70 * d)}
	if len(got) != len(want) {
		t.Errorf("plans %v, want orders 1, 2 and 6", got)
	}
	for id, end := range want {
		found := false
		for s, v := range got {
			if strings.Contains(s, `order_id="`+id+`"`) {
				found = v == fmt.Sprint(float64(end.Unix()))
			}
		}
		if !found {
			t.Errorf("plan of order %s: want it ending %v in %v", id, end, got)
		}
	}
}

// TestReissueWaitingSince: the order list dates the order, not the reissue, so the collector
// times a reissue from the collection that first saw it waiting. After a start it can only
// take the earliest the reissue can have begun (the current certificate's valid_from), so
// that a restart never hides a reissue stuck for days; a failed collection forgets nothing.
func TestReissueWaitingSince(t *testing.T) {
	t0 := goldenNow
	now := t0
	var body string
	fail := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	client, err := certcentral.New(certcentral.Config{BaseURL: srv.URL, APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	c := &ordersCollector{client: client, opts: OrdersOptions{Now: func() time.Time { return now }}}
	order := func(id int, status string) string {
		return fmt.Sprintf(`{"id":%d,"status":%q,"date_created":"2026-05-01T10:00:00+00:00","certificate":{"valid_from":"2026-06-01","valid_till":"2026-12-17"}}`, id, status)
	}
	list := func(s1, s2 string) {
		body = `{"orders":[` + order(1, s1) + `,` + order(2, s2) + `],"page":{"total":2,"limit":1000,"offset":0}}`
	}
	collect := func(at time.Time) (count int, oldest time.Time) {
		t.Helper()
		now = at
		out := newOutput()
		err := c.Collect(context.Background(), out)
		if fail {
			if err == nil {
				t.Fatal("the collection should fail")
			}
			return 0, time.Time{}
		}
		if err != nil {
			t.Fatal(err)
		}
		s := out.facts.(orderFacts).issuance.stuck["reissue_pending"]
		return s.count, s.oldest
	}
	validFrom := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

	list("reissue_pending", "issued")
	if n, oldest := collect(t0); n != 1 || !oldest.Equal(validFrom) {
		t.Errorf("first collection: %d stuck since %v, want order 1 since its certificate's valid_from %v", n, oldest, validFrom)
	}
	list("reissue_pending", "reissue_pending") // order 2's reissue was asked for after t0
	if n, oldest := collect(t0.Add(time.Hour)); n != 1 || !oldest.Equal(validFrom) {
		t.Errorf("an hour later: %d stuck since %v, want only order 1", n, oldest)
	}
	fail = true
	collect(t0.Add(2 * time.Hour))
	fail = false
	list("issued", "reissue_pending") // order 1's reissue went through
	if n, oldest := collect(t0.Add(25 * time.Hour)); n != 1 || !oldest.Equal(t0) {
		t.Errorf("a day later: %d stuck since %v, want order 2 since the collection before it was seen (%v)", n, oldest, t0)
	}
	list("reissue_pending", "reissue_pending") // order 1 again, a new reissue
	if n, oldest := collect(t0.Add(26 * time.Hour)); n != 1 || !oldest.Equal(t0) {
		t.Errorf("order 1's new reissue: %d stuck since %v, want only order 2 (order 1 waits since %v)", n, oldest, t0.Add(25*time.Hour))
	}
	if n, _ := collect(t0.Add(50 * time.Hour)); n != 2 {
		t.Errorf("two days on: %d stuck, want both", n)
	}
}
