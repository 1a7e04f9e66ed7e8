package collector

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
	"github.com/certcentral-exporter/certcentral_exporter/internal/simulator"
	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

// settle scrapes exp once and waits until every collector has a result and no collection
// or check of it is running.
func settle(t *testing.T, exp *Exporter) string {
	t.Helper()
	text := scrapeText(t, exp)
	waitCollected(t, exp, 10*time.Second)
	return text
}

func orderRequests(env *testEnv) int { return env.sim.Stats().Requests["/order/certificate"] }

// TestOrdersCheckReadsInFullOnlyWhenOrdersWereAdded: between full reads a check of one
// request runs at the check interval; while no order was added nothing else is read, and the
// data served stays; once one is, the check's scrape starts a full read, and the next scrape
// serves the new order, long before the full read's interval.
func TestOrdersCheckReadsInFullOnlyWhenOrdersWereAdded(t *testing.T) {
	env := newTestEnv(t, "demo")
	clk := newClock()
	exp := env.exporter(t, []string{"orders"}, func(c *Config) {
		c.Now = clk.now
		c.MinInterval = map[string]time.Duration{"orders": time.Hour}
		c.CheckInterval = map[string]time.Duration{"orders": 5 * time.Minute}
	})
	first := settle(t, exp)
	full := orderRequests(env)

	clk.add(time.Minute) // within the check interval: no request at all
	settle(t, exp)
	if got := orderRequests(env); got != full {
		t.Fatalf("a scrape within the check interval sent %d requests", got-full)
	}
	clk.add(5 * time.Minute) // a check: one request, nothing changed
	settle(t, exp)
	if got := orderRequests(env); got != full+1 {
		t.Fatalf("the check sent %d requests, want 1", got-full)
	}
	if again := settle(t, exp); again != first {
		t.Errorf("the data changed after a check that found nothing new:\n%s", diffLines(first, again))
	}

	ds := env.sim.Dataset()
	added := ds.Orders[0]
	added.ID, added.Created, added.CommonName = 999999, goldenNow, "added.example.com"
	next := *ds
	next.Orders = append(append([]simulator.Order(nil), ds.Orders...), added)
	env.sim.SetDataset(&next)

	clk.add(5 * time.Minute) // the check finds the new order and reads the list in full
	settle(t, exp)
	if got := orderRequests(env); got != 2*full+2 {
		t.Fatalf("after the change: %d requests, want the check and a full read (%d)", got-full-1, full+1)
	}
	if before, after := sumSeries(t, first, "certcentral_orders{"), sumSeries(t, settle(t, exp), "certcentral_orders{"); after != before+1 {
		t.Errorf("certcentral_orders adds up to %v after an order was added to %v", after, before)
	}
}

// stripSort drops the sort parameter, as an API that does not sort would ignore it.
type stripSort struct{}

func (stripSort) RoundTrip(r *http.Request) (*http.Response, error) {
	q := r.URL.Query()
	q.Del("sort")
	r = r.Clone(r.Context())
	r.URL.RawQuery = q.Encode()
	return http.DefaultTransport.RoundTrip(r)
}

// TestOrdersCheckTurnsOffWhenTheAPIDoesNotSort: the check's newest order is older than one
// the full read saw, so the API ignored the sort; the check cannot tell anything and is turned
// off, and the orders are read at their full interval only (no check request afterwards).
func TestOrdersCheckTurnsOffWhenTheAPIDoesNotSort(t *testing.T) {
	env := newTestEnv(t, "demo", func(_ *simulator.Options, c *certcentral.Config) {
		c.HTTPClient = &http.Client{Transport: stripSort{}}
	})
	clk := newClock()
	exp := env.exporter(t, []string{"orders"}, func(c *Config) {
		c.Now = clk.now
		c.MinInterval = map[string]time.Duration{"orders": time.Hour}
		c.CheckInterval = map[string]time.Duration{"orders": 5 * time.Minute}
	})
	settle(t, exp)
	full := orderRequests(env)
	clk.add(6 * time.Minute)
	settle(t, exp)
	if got := orderRequests(env); got != full+1 {
		t.Fatalf("the first check sent %d requests, want 1", got-full)
	}
	clk.add(6 * time.Minute)
	settle(t, exp)
	if got := orderRequests(env); got != full+1 {
		t.Errorf("a check ran again after the API showed it does not sort (%d requests)", got-full-1)
	}
	if !exp.states[0].noCheck {
		t.Error("the check was not turned off")
	}
}

// TestStaleGraceStartsWhenTheRefreshWasDue: after a failed refresh the last good data is
// served for StaleDataMaxAge from when it was due for that refresh, not from when it was
// read, so a collector read every 30 minutes keeps the whole grace.
func TestStaleGraceStartsWhenTheRefreshWasDue(t *testing.T) {
	env := newTestEnv(t, "demo")
	clk := newClock()
	exp := env.exporter(t, []string{"users"}, func(c *Config) {
		c.Now = clk.now
		c.MinInterval = map[string]time.Duration{"users": 30 * time.Minute}
		c.StaleDataMaxAge = 10 * time.Minute
	})
	settle(t, exp)
	env.sim.SetFaults(mustFaults(t, "/user=status:503"))
	clk.add(31 * time.Minute)
	settle(t, exp)           // the refresh fails
	clk.add(8 * time.Minute) // 39 minutes after the read, 9 after the refresh was due
	if text := settle(t, exp); !strings.Contains(text, "certcentral_users{") {
		t.Errorf("the last good data is not served within the grace:\n%s", testbin.Lines(text, "certcentral_collector"))
	}
	clk.add(3 * time.Minute) // 12 minutes after the refresh was due
	if text := settle(t, exp); strings.Contains(text, "certcentral_users{") {
		t.Errorf("the last good data is still served after the grace")
	}
}
