package collector

import (
	"bytes"
	"context"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/certcentral-exporter/certcentral_exporter/internal/budget"
	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
	"github.com/certcentral-exporter/certcentral_exporter/internal/simulator"
)

var update = flag.Bool("update", false, "rewrite the golden exposition files in testdata/")

// goldenNow is the fixed clock of the golden files: scenarios, the simulator and the
// collectors all see this instant, so every timestamp and day count is reproducible.
var goldenNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

const testKey = "GOLDENKEY0123456789abcdefghijklmnopqrstu"

// testEnv is a simulator on loopback and a client for it.
type testEnv struct {
	sim    *simulator.Server
	client *certcentral.Client
	url    string
}

func newTestEnv(t *testing.T, scenario string, tweak ...func(*simulator.Options, *certcentral.Config)) *testEnv {
	t.Helper()
	ds, err := simulator.Scenario(scenario, goldenNow)
	if err != nil {
		t.Fatal(err)
	}
	sopts := simulator.Options{Keys: []simulator.Key{{Value: testKey}}, Dataset: ds, Now: func() time.Time { return goldenNow }}
	ccfg := certcentral.Config{APIKey: testKey}
	for _, f := range tweak {
		f(&sopts, &ccfg)
	}
	sim := simulator.New(sopts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	ccfg.BaseURL = srv.URL + "/services/v2"
	client, err := certcentral.New(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{sim: sim, client: client, url: ccfg.BaseURL}
}

func (e *testEnv) exporter(t *testing.T, collectors []string, tweak ...func(*Config)) *Exporter {
	t.Helper()
	cfg := Config{
		Client: e.client, Enabled: collectors, Now: func() time.Time { return goldenNow },
		Options: Options{Users: UsersOptions{PerUser: true}, Domains: DomainsOptions{PerDomain: true}},
	}
	for _, f := range tweak {
		f(&cfg)
	}
	exp, err := NewExporter(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(exp.Close)
	return exp
}

// scrapeText gathers one scrape of exp as text exposition.
func scrapeText(t *testing.T, exp *Exporter, regs ...*prometheus.Registry) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var others []prometheus.Gatherer
	for _, r := range regs {
		others = append(others, r)
	}
	mfs, err := exp.Gatherer(ctx, others...).Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	lintExposition(t, buf.String())
	return buf.String()
}

// lintExposition runs promlint on the exposition. One finding is accepted on purpose:
// certcentral_user_days_since_last_login is in days, not seconds, because our users asked for
// whole days in alerts and tables; the seconds-based truth is
// certcentral_user_last_login_timestamp_seconds right next to it.
func lintExposition(t *testing.T, text string) {
	t.Helper()
	problems, err := promlint.New(strings.NewReader(text)).Lint()
	if err != nil {
		t.Fatalf("promlint: %v", err)
	}
	for _, p := range problems {
		if p.Metric == "certcentral_user_days_since_last_login" {
			continue
		}
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

func compareGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./collector -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("exposition differs from %s (run go test ./collector -update and review the diff):\n%s", path, diffLines(string(want), got))
	}
}

// diffLines lists lines only in want (-) or only in got (+), enough to see what changed.
func diffLines(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}

// TestGoldenCollectors: each collector alone against the demo and healthy accounts.
func TestGoldenCollectors(t *testing.T) {
	for _, scenario := range []string{"demo", "healthy"} {
		for _, d := range Definitions() {
			t.Run(scenario+"/"+d.Name, func(t *testing.T) {
				env := newTestEnv(t, scenario)
				got := scrapeText(t, env.exporter(t, []string{d.Name}))
				compareGolden(t, scenario+"-"+d.Name+".prom", got)
			})
		}
	}
}

// fixedObserver reports every request as taking 100ms so that the histogram is reproducible.
type fixedObserver struct{ m *APIMetrics }

func (f fixedObserver) ObserveRequest(endpoint string, status int, kind certcentral.Kind, _ time.Duration) {
	f.m.ObserveRequest(endpoint, status, kind, 100*time.Millisecond)
}

// TestGoldenExporter: everything together, including the derived metric, the API request
// metrics and the budget metrics, as one scrape of the exporter would show them. Dashboards and
// alerts are checked against the metric names in these files.
func TestGoldenExporter(t *testing.T) {
	reg := prometheus.NewRegistry()
	api := NewAPIMetrics(reg)
	var names []string
	for _, d := range Definitions() {
		names = append(names, d.Name)
	}
	limiter, err := budget.New(func() time.Time { return goldenNow }, budget.Window{Limit: 500, Per: 3 * time.Minute}, budget.Window{Limit: 50, Per: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	RegisterBudgetMetrics(reg, limiter)
	env := newTestEnv(t, "demo", func(_ *simulator.Options, c *certcentral.Config) {
		c.Observer, c.Limiter = fixedObserver{api}, limiter
	})
	exp := env.exporter(t, names)
	_ = scrapeText(t, exp)                                     // the first scrape collects
	compareGolden(t, "demo-all.prom", scrapeText(t, exp, reg)) // the second is served from the cache
}

// breakOneValidTill rewrites the first certificate's valid_till into text that is no date, as a
// changed API might, to show the object kept and the value counted as unparsed.
func breakOneValidTill(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := strings.Replace(rec.Body.String(), `"valid_till":"`, `"valid_till":"soon","was":"`, 1)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length") // the body changed length
		w.WriteHeader(rec.Code)
		_, _ = w.Write([]byte(body))
	})
}

// TestGoldenFailures: a key restricted to orders (users, domains and balance answer 403
// missing_permission) and a value that does not parse, plus the build info, so that the failure
// metrics are part of the contract too.
func TestGoldenFailures(t *testing.T) {
	ds, err := simulator.Scenario("demo", goldenNow)
	if err != nil {
		t.Fatal(err)
	}
	sim := simulator.New(simulator.Options{
		Keys:    []simulator.Key{{Value: testKey, Restriction: simulator.RestrictionOrders}},
		Dataset: ds, Now: func() time.Time { return goldenNow },
	})
	srv := httptest.NewServer(breakOneValidTill(sim))
	t.Cleanup(srv.Close)
	reg := prometheus.NewRegistry()
	reg.MustRegister(versioncollector.NewCollector("certcentral_exporter"))
	api := NewAPIMetrics(reg)
	client, err := certcentral.New(certcentral.Config{BaseURL: srv.URL + "/services/v2", APIKey: testKey, Observer: fixedObserver{api}})
	if err != nil {
		t.Fatal(err)
	}
	env := &testEnv{sim: sim, client: client}
	var names []string
	for _, d := range Definitions() {
		names = append(names, d.Name)
	}
	exp := env.exporter(t, names)
	got := scrapeText(t, exp, reg)
	// Build info carries the Go version and build flags: keep the series, not its values.
	got = regexp.MustCompile(`(?m)^certcentral_exporter_build_info\{.*\} 1$`).ReplaceAllString(got, `certcentral_exporter_build_info{...} 1`)
	compareGolden(t, "failing.prom", got)
	for _, want := range []string{
		`certcentral_collector_error{collector="users",reason="missing_permission"} 1`,
		`certcentral_collector_unparsed_values{collector="orders",field="certificate.valid_till"} 1`,
		`certcentral_up 1`, // a missing permission still proves the key is accepted
		`certcentral_api_request_errors_total{endpoint="/user",reason="missing_permission"} 1`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s", want)
		}
	}
}

// TestWriteTextMatchesGather: the text fast path serves exactly what the general path does.
func TestWriteTextMatchesGather(t *testing.T) {
	env := newTestEnv(t, "demo")
	var names []string
	for _, d := range Definitions() {
		names = append(names, d.Name)
	}
	exp := env.exporter(t, names)
	general := scrapeText(t, exp)
	var fast bytes.Buffer
	if err := exp.WriteText(context.Background(), &fast, expfmt.NewFormat(expfmt.TypeTextPlain)); err != nil {
		t.Fatal(err)
	}
	lines := func(s string) []string {
		l := strings.Split(strings.TrimSpace(s), "\n")
		slices.Sort(l)
		return l
	}
	if g, f := lines(general), lines(fast.String()); !slices.Equal(g, f) {
		t.Errorf("WriteText differs from Gather:\n%s", diffLines(strings.Join(g, "\n"), strings.Join(f, "\n")))
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	if _, err := parser.TextToMetricFamilies(strings.NewReader(fast.String())); err != nil {
		t.Errorf("WriteText output does not parse: %v", err)
	}
}
