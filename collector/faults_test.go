package collector

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
	"github.com/certcentral-exporter/certcentral_exporter/internal/simulator"
	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

// dataFamily is a family each collector serves only from a good collection: its presence shows
// that the collector's data is served.
var dataFamily = map[string]string{
	"account":       "certcentral_account_info{",
	"balance":       "certcentral_account_balance{",
	"domains":       "certcentral_domains{",
	"orders":        "certcentral_orders{",
	"products":      "certcentral_products{",
	"users":         "certcentral_users{",
	"organizations": "certcentral_organizations{",
	"requests":      "certcentral_requests_pending{",
	"api_keys":      "certcentral_api_keys{",
}

// countingHandler counts the bytes each endpoint's answers carried and the handlers still
// running, so that a test can see how much of an oversized body was sent before the client
// hung up.
type countingHandler struct {
	next    http.Handler
	mu      sync.Mutex
	written map[string]int64
	running sync.WaitGroup
}

func (c *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.running.Add(1)
	defer c.running.Done()
	cw := &countingWriter{ResponseWriter: w}
	defer func() {
		c.mu.Lock()
		c.written[strings.TrimPrefix(r.URL.Path, "/services/v2")] += cw.n.Load()
		c.mu.Unlock()
	}()
	c.next.ServeHTTP(cw, r)
}

func (c *countingHandler) bytes(endpoint string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.written[endpoint]
}

type countingWriter struct {
	http.ResponseWriter
	n atomic.Int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n.Add(int64(n))
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and Hijack (the reset fault hijacks).
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type faultEnv struct {
	sim     *simulator.Server
	counter *countingHandler
	exp     *Exporter
	clock   *clock
}

type faultCase struct {
	name   string
	faults []string
	// affected collectors and the reason each must report; all others must succeed.
	affected []string
	reason   string
	// firstReason is the reason of a scrape that ends before the collection: "timeout".
	firstReason string
	deadline    time.Duration // the scrape's deadline; default 3s
	// requests, when set, is how many requests the affected endpoint must have seen: shows
	// retries (5xx, connection) and their absence (403, 429, no time left).
	requests  int
	noRecover bool // the cause is the key itself; clearing faults cannot fix it
	sim       func(*simulator.Options)
	client    func(*certcentral.Config)
	config    func(*Config)
	setup     func(t *testing.T, env *faultEnv)
	check     func(t *testing.T, env *faultEnv)
}

var faultCases = []faultCase{
	{name: "status 503 retried", faults: []string{"/domain=status:503"}, affected: []string{"domains"}, reason: "server_error", requests: 3,
		config: func(c *Config) { c.CollectionTimeout = 5 * time.Second }},
	{name: "status 503 no time to retry", faults: []string{"/domain=status:503"}, affected: []string{"domains"}, reason: "server_error", requests: 1,
		config: func(c *Config) { c.CollectionTimeout = time.Second }},
	{name: "status 500", faults: []string{"/product=status:500"}, affected: []string{"products"}, reason: "server_error"},
	{name: "status 404", faults: []string{"/account=status:404"}, affected: []string{"account"}, reason: "not_found", requests: 1},
	{name: "status 429", faults: []string{"/user=status:429"}, affected: []string{"users"}, reason: "rate_limited", requests: 1},
	{name: "status 403", faults: []string{"/finance/balance=status:403"}, affected: []string{"balance"}, reason: "missing_permission", requests: 1},
	{name: "latency over the request timeout", faults: []string{"/finance/balance=latency:3s"}, affected: []string{"balance"}, reason: "timeout",
		client: func(c *certcentral.Config) { c.HTTPClient = &http.Client{Timeout: 300 * time.Millisecond} }},
	{name: "hang beyond the scrape deadline", faults: []string{"/order/certificate=hang"}, affected: []string{"orders"}, reason: "timeout",
		firstReason: "timeout", deadline: 400 * time.Millisecond,
		client: func(c *certcentral.Config) { c.HTTPClient = &http.Client{Timeout: 10 * time.Second} },
		config: func(c *Config) { c.CollectionTimeout = time.Second }},
	{name: "truncated", faults: []string{"/user=truncated"}, affected: []string{"users"}, reason: "decode_error"},
	{name: "malformed", faults: []string{"/domain=malformed"}, affected: []string{"domains"}, reason: "decode_error"},
	{name: "html error page", faults: []string{"/product=html"}, affected: []string{"products"}, reason: "server_error"},
	{name: "html page with 200", faults: []string{"/account=html:200"}, affected: []string{"account"}, reason: "invalid_response"},
	{name: "html 403 from a WAF", faults: []string{"/user=html:403"}, affected: []string{"users"}, reason: "invalid_response", requests: 1},
	{name: "oversized", faults: []string{"/order/certificate=oversized:1GB"}, affected: []string{"orders"}, reason: "response_too_large",
		check: func(t *testing.T, env *faultEnv) {
			env.counter.running.Wait() // the handler returns once its writes fail
			// The client's cap is 1 MiB; the kernel's socket buffers hold a few MiB more.
			if n := env.counter.bytes("/order/certificate"); n > 32<<20 {
				t.Errorf("the simulator sent %d MiB of the 1 GB body before the client hung up: the cap did not stop the read", n>>20)
			}
		}},
	{name: "reset", faults: []string{"/user=reset"}, affected: []string{"users"}, reason: "connection",
		config: func(c *Config) { c.CollectionTimeout = 5 * time.Second },
		check: func(t *testing.T, env *faultEnv) {
			// Three attempts of the client; net/http itself resends a GET when a reused
			// keep-alive connection is reset, once per idle connection it tries (two by
			// default), so the count is at least 3 and at most 9 (seen: 7 on a loaded machine).
			if n := env.sim.Stats().Requests["/user"]; n < 3 || n > 9 {
				t.Errorf("/user: %d requests, want 3 client attempts (each possibly resent by net/http on up to two idle connections)", n)
			}
		}},
	{name: "simulator rate limit", reason: "rate_limited", // every collector: affected is filled in by TestFaults
		sim: func(o *simulator.Options) {
			o.RateLimit = simulator.RateLimit{Windows: []simulator.Window{{Limit: 10, Per: time.Hour}}}
		},
		setup: func(t *testing.T, env *faultEnv) {
			for i := 0; i < 10; i++ { // spend the key's budget
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodGet, "/services/v2/account", nil)
				req.Header.Set("X-DC-DEVKEY", testKey)
				env.sim.ServeHTTP(rec, req)
			}
			env.sim.ResetStats()
		},
		check: func(t *testing.T, env *faultEnv) {
			if n, st := len(collectorNames()), env.sim.Stats(); st.RateLimited != n || st.Total() != n {
				t.Errorf("%d requests, %d refused with 429: want one per collector and no retry", st.Total(), st.RateLimited)
			}
			env.sim.ResetRateLimits() // the window drains: the recovery below must succeed
		}},
	{name: "orders-only key", affected: []string{"api_keys", "balance", "domains", "organizations", "users"}, reason: "missing_permission", noRecover: true,
		sim: func(o *simulator.Options) { o.Keys[0].Restriction = simulator.RestrictionOrders },
		check: func(t *testing.T, env *faultEnv) {
			for _, ep := range []string{"/finance/balance", "/domain", "/user", "/organization", "/key"} {
				if n := env.sim.Stats().Requests[ep]; n != 1 {
					t.Errorf("%s: %d requests, want 1 (no retry on 403)", ep, n)
				}
			}
		}},
}

// TestFaults runs every simulator fault kind, a rate limit and a key restriction against an
// exporter with every collector: the affected collector reports the right reason, the others
// are served, the scrape keeps its deadline, no goroutine is left behind, and clearing the
// fault recovers once the cache TTL has passed.
func TestFaults(t *testing.T) {
	for _, tc := range append(faultCases, endpointFaultCases("/organization", "/request", "/key")...) {
		if tc.affected == nil {
			tc.affected = collectorNames() // the registry is complete only once init has run
		}
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			// The inner test's cleanups close the exporter and the simulator before the count.
			t.Run("run", func(t *testing.T) { runFaultCase(t, tc) })
			settleGoroutines(t, before)
		})
	}
}

func runFaultCase(t *testing.T, tc faultCase) {
	clk := newClock()
	faults := mustFaults(t, tc.faults...)
	ds, err := simulator.Scenario("demo", goldenNow)
	if err != nil {
		t.Fatal(err)
	}
	sopts := simulator.Options{Keys: []simulator.Key{{Value: testKey}}, Dataset: ds, Now: func() time.Time { return goldenNow }, Faults: faults}
	if tc.sim != nil {
		tc.sim(&sopts)
	}
	env := &faultEnv{sim: simulator.New(sopts), clock: clk}
	env.counter = &countingHandler{next: env.sim, written: map[string]int64{}}
	srv := httptest.NewServer(env.counter)
	t.Cleanup(srv.Close)
	ccfg := certcentral.Config{BaseURL: srv.URL + "/services/v2", APIKey: testKey, MaxBodyBytes: 1 << 20,
		HTTPClient: &http.Client{Timeout: 2 * time.Second}}
	if tc.client != nil {
		tc.client(&ccfg)
	}
	client, err := certcentral.New(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Client: client, Enabled: collectorNames(), Now: clk.now, CacheTTL: time.Minute,
		CollectionTimeout: 2 * time.Second, StaleDataMaxAge: 0,
		Options: Options{Users: UsersOptions{PerUser: true}, Domains: DomainsOptions{PerDomain: true}},
	}
	if tc.config != nil {
		tc.config(&cfg)
	}
	env.exp, err = NewExporter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.exp.Close)
	if tc.setup != nil {
		tc.setup(t, env)
	}
	deadline := tc.deadline
	if deadline == 0 {
		deadline = 3 * time.Second
	}

	first := tc.firstReason
	if first == "" {
		first = tc.reason
	}
	text := scrapeWithin(t, env.exp, deadline)
	assertFailing(t, "first scrape", text, tc.affected, first)

	// The collection ends on its own (request or collection timeout) even when the scrape
	// did not wait for it; the next scrape inside the TTL serves its result.
	waitCollected(t, env.exp, 5*time.Second)
	text = scrapeWithin(t, env.exp, deadline)
	assertFailing(t, "after the collection", text, tc.affected, tc.reason)
	for _, name := range tc.affected {
		if want := fmt.Sprintf(`certcentral_collector_failures_total{collector=%q,reason=%q} 1`, name, tc.reason); !strings.Contains(text, want) {
			t.Errorf("missing %s", want)
		}
	}
	if tc.requests > 0 {
		for _, name := range tc.affected {
			def, _ := Lookup(name)
			if n := env.sim.Stats().Requests[def.Endpoint]; n != tc.requests {
				t.Errorf("%s: %d requests, want %d", def.Endpoint, n, tc.requests)
			}
		}
	}
	if tc.check != nil {
		tc.check(t, env)
	}
	if tc.noRecover {
		return
	}

	// Recovery: the fault clears, the TTL passes, the next scrape collects again.
	env.sim.SetFaults(nil)
	clk.add(2 * time.Minute)
	text = scrapeWithin(t, env.exp, 5*time.Second)
	for _, name := range collectorNames() {
		if !strings.Contains(text, fmt.Sprintf(`certcentral_collector_success{collector=%q} 1`, name)) {
			t.Errorf("%s did not recover after the fault cleared:\n%s", name, testbin.Lines(text, "certcentral_collector_"))
		}
		if !strings.Contains(text, dataFamily[name]) {
			t.Errorf("%s serves no data after recovering", name)
		}
	}
	if strings.Contains(text, "certcentral_collector_error{") {
		t.Errorf("an error series is left after recovery:\n%s", testbin.Lines(text, "certcentral_collector_error"))
	}
}

// endpointFaultCases are every simulator fault kind on each of endpoints: each must fail the
// collector reading that endpoint alone, with the right reason.
func endpointFaultCases(endpoints ...string) []faultCase {
	kinds := []faultCase{
		{name: "status 503", faults: []string{"=status:503"}, reason: "server_error", requests: 3,
			config: func(c *Config) { c.CollectionTimeout = 5 * time.Second }},
		{name: "status 404", faults: []string{"=status:404"}, reason: "not_found", requests: 1},
		{name: "status 429", faults: []string{"=status:429"}, reason: "rate_limited", requests: 1},
		{name: "status 403", faults: []string{"=status:403"}, reason: "missing_permission", requests: 1},
		{name: "latency", faults: []string{"=latency:3s"}, reason: "timeout",
			client: func(c *certcentral.Config) { c.HTTPClient = &http.Client{Timeout: 300 * time.Millisecond} }},
		{name: "hang", faults: []string{"=hang"}, reason: "timeout", firstReason: "timeout", deadline: 400 * time.Millisecond,
			client: func(c *certcentral.Config) { c.HTTPClient = &http.Client{Timeout: 10 * time.Second} },
			config: func(c *Config) { c.CollectionTimeout = time.Second }},
		{name: "truncated", faults: []string{"=truncated"}, reason: "decode_error"},
		{name: "malformed", faults: []string{"=malformed"}, reason: "decode_error"},
		{name: "html", faults: []string{"=html"}, reason: "server_error"},
		{name: "html 200", faults: []string{"=html:200"}, reason: "invalid_response"},
		{name: "html 403", faults: []string{"=html:403"}, reason: "invalid_response", requests: 1},
		{name: "oversized", faults: []string{"=oversized:1GB"}, reason: "response_too_large"},
		{name: "reset", faults: []string{"=reset"}, reason: "connection",
			config: func(c *Config) { c.CollectionTimeout = 5 * time.Second }},
	}
	var out []faultCase
	for _, ep := range endpoints {
		name := ""
		for _, d := range Definitions() {
			if d.Endpoint == ep {
				name = d.Name
			}
		}
		for _, k := range kinds {
			k.name = ep + " " + k.name
			k.faults = []string{ep + k.faults[0]}
			k.affected = []string{name}
			out = append(out, k)
		}
	}
	return out
}

type panickingCollector struct{}

func (panickingCollector) Collect(context.Context, *Output) error { panic("a bug in a collector") }

// TestCollectorPanicIsContained: a collector that panics fails alone, with reason
// internal_error, and the exporter goes on serving the others.
func TestCollectorPanicIsContained(t *testing.T) {
	orig := definitions["balance"]
	t.Cleanup(func() { definitions["balance"] = orig })
	d := orig
	d.New = func(*certcentral.Client, Options) Collector { return panickingCollector{} }
	definitions["balance"] = d
	runFaultCase(t, faultCase{affected: []string{"balance"}, reason: "internal_error", noRecover: true})
}

func collectorNames() []string {
	var names []string
	for _, d := range Definitions() {
		names = append(names, d.Name)
	}
	return names
}

// scrapeWithin serves one scrape through the text path Prometheus scrapes take, bounded by
// deadline, and fails the test when it overruns it.
func scrapeWithin(t *testing.T, exp *Exporter, deadline time.Duration) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	var buf bytes.Buffer
	start := time.Now()
	err := exp.WriteText(ctx, &buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	// The scrape returns once the deadline passed; allow for scheduling on a busy machine.
	if took := time.Since(start); took > deadline+time.Second {
		t.Errorf("the scrape took %s, its deadline was %s", took, deadline)
	}
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	lintExposition(t, buf.String())
	return buf.String()
}

// assertFailing checks that the affected collectors fail with reason and serve no data, that
// every other collector succeeds and is served, and that nothing panicked.
func assertFailing(t *testing.T, when, text string, affected []string, reason string) {
	t.Helper()
	isAffected := map[string]bool{}
	for _, name := range affected {
		isAffected[name] = true
	}
	for _, name := range collectorNames() {
		success := fmt.Sprintf(`certcentral_collector_success{collector=%q} `, name)
		errLine := fmt.Sprintf(`certcentral_collector_error{collector=%q,reason=%q} 1`, name, reason)
		if isAffected[name] {
			if !strings.Contains(text, success+"0") || !strings.Contains(text, errLine) {
				t.Errorf("%s: %s should fail with reason %s:\n%s", when, name, reason, testbin.Lines(text, "certcentral_collector_"))
			}
			if strings.Contains(text, dataFamily[name]) {
				t.Errorf("%s: %s serves data although it never collected successfully", when, name)
			}
			continue
		}
		if !strings.Contains(text, success+"1") || strings.Contains(text, fmt.Sprintf(`certcentral_collector_error{collector=%q`, name)) {
			t.Errorf("%s: %s is not affected and should succeed:\n%s", when, name, testbin.Lines(text, "certcentral_collector_"))
		}
		if !strings.Contains(text, dataFamily[name]) {
			t.Errorf("%s: the data of %s (not affected) is not served", when, name)
		}
	}
	if reason != "internal_error" && strings.Contains(text, `reason="internal_error"`) {
		t.Errorf("%s: a collector panicked:\n%s", when, testbin.Lines(text, "certcentral_collector_error"))
	}
}

// waitCollected waits until no collection is running and every collector has a result.
func waitCollected(t *testing.T, exp *Exporter, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		done := true
		for _, s := range exp.Status() {
			done = done && s.Collected && !s.Running
		}
		if done {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("collections still running after %s: %+v", timeout, exp.Status())
}

// settleGoroutines fails when, after everything was closed, more goroutines run than before:
// a collection, a request or a connection was left behind. Closing is asynchronous in places
// (connection read loops), so it waits a little for the count to come down.
func settleGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	var now int
	for time.Now().Before(deadline) {
		if now = runtime.NumGoroutine(); now <= before {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	t.Errorf("%d goroutines before, %d after closing everything:\n%s", before, now, buf)
}
