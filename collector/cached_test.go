package collector

import (
	"context"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// TestCachedReadsEachResultOnce: the status page's families are read back from a result's
// text once, on the first Cached that names them; later calls get the same series until a
// new collection replaces the result, and a different list of names is read for itself.
func TestCachedReadsEachResultOnce(t *testing.T) {
	env := newTestEnv(t, "demo")
	var mu sync.Mutex
	now := goldenNow
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	exp := env.exporter(t, []string{"users", "balance"}, func(c *Config) { c.Now = clock; c.CacheTTL = time.Minute })
	collect := func() {
		t.Helper()
		if _, err := Scrape(context.Background(), NewResponseCache(), expfmt.NewFormat(expfmt.TypeTextPlain), []*Exporter{exp}); err != nil {
			t.Fatal(err)
		}
	}
	const users, balance = "certcentral_user_days_since_last_login", "certcentral_account_balance"
	// first returns the first series of the family name in mfs, failing when there is none.
	first := func(mfs []*dto.MetricFamily, name string) *dto.Metric {
		t.Helper()
		for _, mf := range mfs {
			if mf.GetName() == name && len(mf.Metric) > 0 {
				return mf.Metric[0]
			}
		}
		t.Fatalf("no %s series in what Cached returned", name)
		return nil
	}
	collect()
	before := first(exp.Cached(users, balance), users)
	if again := first(exp.Cached(users, balance), users); again != before {
		t.Error("the families were read back again with no collection in between")
	}
	if got := exp.Cached(users); len(got) == 0 || first(got, users) == nil {
		t.Error("another list of names did not get its own families")
	}
	for _, mf := range exp.Cached(users) {
		if mf.GetName() == balance {
			t.Errorf("Cached(%s) returned %s, from an earlier list of names", users, balance)
		}
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	collect()
	if later := first(exp.Cached(users, balance), users); later == before {
		t.Error("a new collection's result still served the families read from the old one")
	}
}
