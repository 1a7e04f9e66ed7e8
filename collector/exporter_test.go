package collector

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/budget"
	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
	"github.com/certcentral-exporter/certcentral_exporter/internal/simulator"
	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

// clock is a settable time source for the exporter's cache decisions.
type clock struct{ ns atomic.Int64 }

func newClock() *clock               { c := &clock{}; c.ns.Store(goldenNow.UnixNano()); return c }
func (c *clock) now() time.Time      { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) add(d time.Duration) { c.ns.Add(int64(d)) }
func gatherWithin(t *testing.T, exp *Exporter, d time.Duration) (string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	mfs, err := exp.Gather(ctx)
	took := time.Since(start)
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			b.WriteString(mf.GetName())
			for _, l := range m.GetLabel() {
				b.WriteString(" " + l.GetName() + "=" + l.GetValue())
			}
			b.WriteString("\n")
		}
	}
	return b.String(), took
}

func TestCacheTTLAndSingleFlight(t *testing.T) {
	env := newTestEnv(t, "demo", func(o *simulator.Options, _ *certcentral.Config) { o.Latency = 100 * time.Millisecond })
	c := newClock()
	exp := env.exporter(t, []string{"users", "balance"}, func(cfg *Config) { cfg.Now, cfg.CacheTTL = c.now, time.Minute })

	// Ten scrapes at once share one collection.
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); gatherWithin(t, exp, 5*time.Second) }()
	}
	wg.Wait()
	if got := env.sim.Stats().Requests["/user"]; got != 1 {
		t.Fatalf("10 concurrent scrapes made %d /user requests, want 1", got)
	}
	// Within the TTL the cache answers.
	c.add(59 * time.Second)
	gatherWithin(t, exp, 5*time.Second)
	if got := env.sim.Stats().Requests["/user"]; got != 1 {
		t.Fatalf("a scrape within the TTL made a request (%d total)", got)
	}
	// After it, one new collection.
	c.add(2 * time.Second)
	gatherWithin(t, exp, 5*time.Second)
	if got := env.sim.Stats().Requests["/user"]; got != 2 {
		t.Fatalf("a scrape after the TTL made %d requests in total, want 2", got)
	}
}

func TestScrapeDeadlineWithSlowAPI(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, "demo", func(o *simulator.Options, _ *certcentral.Config) { o.Latency = 1500 * time.Millisecond })
	exp := env.exporter(t, []string{"users", "balance"})
	out, took := gatherWithin(t, exp, 300*time.Millisecond)
	if took > time.Second {
		t.Errorf("scrape took %s with a 300ms deadline", took)
	}
	if !strings.Contains(out, "certcentral_collector_error collector=users reason=timeout") {
		t.Errorf("a first collection that outlives the scrape should be reported as timeout:\n%s", out)
	}
	// The collection went on in the background; a later scrape serves it.
	time.Sleep(1500 * time.Millisecond)
	out, _ = gatherWithin(t, exp, 3*time.Second)
	if !strings.Contains(out, "certcentral_users role=Administrator status=active") {
		t.Errorf("the background collection was not served:\n%s", out)
	}
}

func TestSlowRefreshServesPreviousData(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, "demo", func(o *simulator.Options, _ *certcentral.Config) { o.Latency = 400 * time.Millisecond })
	c := newClock()
	exp := env.exporter(t, []string{"users"}, func(cfg *Config) {
		cfg.Now, cfg.CacheTTL, cfg.SlowCollection = c.now, time.Minute, 100*time.Millisecond
	})
	// The clock does not move during a collection here, so make the last one look slow.
	gatherWithin(t, exp, 5*time.Second)
	exp.states[0].mu.Lock()
	exp.states[0].last.started = exp.states[0].last.ended.Add(-time.Second)
	exp.states[0].mu.Unlock()

	c.add(2 * time.Minute)
	out, took := gatherWithin(t, exp, 5*time.Second)
	if took > 200*time.Millisecond {
		t.Errorf("scrape waited %s for a slow refresh although it had data", took)
	}
	if !strings.Contains(out, "certcentral_users ") {
		t.Error("previous data not served during the refresh")
	}
	for deadline := time.Now().Add(5 * time.Second); exp.Status()[0].Running && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if got := env.sim.Stats().Requests["/user"]; got != 2 {
		t.Errorf("the refresh did not run in the background: %d requests", got)
	}
}

func TestStaleDataAfterFailure(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, "demo")
	c := newClock()
	exp := env.exporter(t, []string{"users"}, func(cfg *Config) {
		cfg.Now, cfg.CacheTTL, cfg.StaleDataMaxAge = c.now, time.Second, 10*time.Minute
	})
	gatherWithin(t, exp, 5*time.Second)
	env.sim.SetFaults(mustFaults(t, "/user=status:503"))

	c.add(5 * time.Minute)
	out, _ := gatherWithin(t, exp, 10*time.Second)
	if !strings.Contains(out, "certcentral_collector_error collector=users reason=server_error") {
		t.Errorf("failure not reported:\n%s", out)
	}
	if !strings.Contains(out, "certcentral_users ") {
		t.Error("good data 5 minutes old should still be served after a failure")
	}
	c.add(6 * time.Minute)
	out, _ = gatherWithin(t, exp, 10*time.Second)
	if strings.Contains(out, "certcentral_users ") {
		t.Error("good data older than the stale limit is still served")
	}
	if !strings.Contains(out, "certcentral_collector_last_success_timestamp_seconds collector=users") {
		t.Error("the last success timestamp must stay visible")
	}

	env.sim.SetFaults(nil)
	c.add(2 * time.Second)
	out, _ = gatherWithin(t, exp, 5*time.Second)
	if strings.Contains(out, "certcentral_collector_error") || !strings.Contains(out, "certcentral_users ") {
		t.Errorf("did not recover:\n%s", out)
	}
}

func TestLogsOnceWhenFailingAndOnceWhenRecovering(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, "demo")
	var logs bytes.Buffer
	c := newClock()
	exp := env.exporter(t, []string{"users"}, func(cfg *Config) {
		cfg.Now, cfg.CacheTTL = c.now, time.Second
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	env.sim.SetFaults(mustFaults(t, "/user=status:503"))
	for i := 0; i < 3; i++ {
		gatherWithin(t, exp, 10*time.Second)
		c.add(2 * time.Second)
	}
	env.sim.SetFaults(nil)
	for i := 0; i < 2; i++ {
		gatherWithin(t, exp, 5*time.Second)
		c.add(2 * time.Second)
	}
	if n := strings.Count(logs.String(), "collector failing"); n != 1 {
		t.Errorf("logged %d failure lines for 3 failing scrapes, want 1:\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), "collector recovered"); n != 1 {
		t.Errorf("logged %d recovery lines, want 1:\n%s", n, logs.String())
	}
}

func TestMissingPermissionLogSaysWhatIsNeeded(t *testing.T) {
	env := newTestEnv(t, "demo", func(o *simulator.Options, _ *certcentral.Config) {
		o.Keys[0].Restriction = simulator.RestrictionOrders
	})
	var logs bytes.Buffer
	exp := env.exporter(t, []string{"users", "orders"}, func(cfg *Config) {
		cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	out, _ := gatherWithin(t, exp, 5*time.Second)
	if !strings.Contains(out, "certcentral_collector_error collector=users reason=missing_permission") ||
		!strings.Contains(out, "certcentral_certificate_expiry_timestamp_seconds") {
		t.Errorf("users should fail with missing_permission while orders are served:\n%s", out)
	}
	if !strings.Contains(logs.String(), "an Orders-only key cannot read users") {
		t.Errorf("the failure line should say which key restriction or role is needed:\n%s", logs.String())
	}
}

// TestBudgetKeepsSimulatorFrom429 hammers the exporter with scrapers and no cache against a
// simulator whose limits are scaled down (20 requests per 2 s), while the exporter's budget is
// half of that: the simulator must never answer 429.
func TestBudgetKeepsSimulatorFrom429(t *testing.T) {
	t.Parallel()
	limiter, err := budget.New(nil, budget.Window{Limit: 10, Per: 2 * time.Second}, budget.Window{Limit: 4, Per: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	env := newTestEnv(t, "demo", func(o *simulator.Options, c *certcentral.Config) {
		o.Now = nil // real time for the simulator's windows
		o.RateLimit = simulator.RateLimit{Windows: []simulator.Window{{Limit: 20, Per: 2 * time.Second}, {Limit: 8, Per: 200 * time.Millisecond}}}
		c.Limiter = limiter
	})
	var names []string
	for _, d := range Definitions() {
		names = append(names, d.Name)
	}
	exp := env.exporter(t, names, func(cfg *Config) { cfg.Now = time.Now; cfg.CacheTTL = time.Nanosecond })
	stop := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				gatherWithin(t, exp, 500*time.Millisecond)
			}
		}()
	}
	wg.Wait()
	st := env.sim.Stats()
	if st.RateLimited != 0 {
		t.Errorf("the simulator answered 429 %d times; the budget should prevent every one", st.RateLimited)
	}
	if st.Total() < 10 {
		t.Errorf("only %d requests in 3 s: the budget should still let collections through", st.Total())
	}
}

// mustFaults parses fault specs (simulator.ParseFault's syntax); a bad one fails the test.
func mustFaults(t *testing.T, specs ...string) []simulator.Fault {
	t.Helper()
	f, err := simulator.ParseFaults(specs)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestPerItemSeriesSwitchesAndCaps(t *testing.T) {
	env := newTestEnv(t, "demo")
	exp := env.exporter(t, []string{"users", "domains", "orders"}, func(cfg *Config) {
		cfg.Options.Users.PerUser = false
		cfg.Options.Domains.MaxDomains = 2
		cfg.Options.Orders.MaxCertificates = 1
	})
	out, _ := gatherWithin(t, exp, 5*time.Second)
	if strings.Contains(out, "certcentral_user_") || strings.Contains(out, "ghost.admin@example.com") {
		t.Error("per-user series (and e-mail addresses) exported although switched off")
	}
	if !strings.Contains(out, "certcentral_users role=Administrator status=active") {
		t.Error("the user counts must stay when per-user series are off")
	}
	if n := strings.Count(out, "certcentral_domain_dcv_status "); n != 2 {
		t.Errorf("%d per-domain status series, want the cap of 2", n)
	}
	// The cap keeps the most urgent: the pending and the expired domain of the demo account.
	if !strings.Contains(out, "dcv_status=pending domain=new.example.com") || !strings.Contains(out, "dcv_status=expired domain=legacy.example.com") {
		t.Errorf("the cap did not keep the pending and expired domains:\n%s", out)
	}
	if text := scrapeText(t, exp); !strings.Contains(text, `certcentral_collector_items_dropped{collector="domains"} 5`) {
		t.Errorf("the 5 domains over the cap are not counted:\n%s", testbin.Lines(text, "certcentral_collector_items_dropped"))
	}
	// The certificate cap cuts none that an alert or panel needs (certificates_test.go has the
	// rule): the 9 of the demo account within 90 days or past half their lifetime stay.
	if n := strings.Count(out, "certcentral_certificate_expiry_timestamp_seconds "); n != 9 {
		t.Errorf("%d certificate series, want the 9 the alerts need, over the cap of 1", n)
	}
}
