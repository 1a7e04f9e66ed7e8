package accounts

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/certcentral-exporter/certcentral_exporter/collector"
	"github.com/certcentral-exporter/certcentral_exporter/config"
	"github.com/certcentral-exporter/certcentral_exporter/internal/simulator"
)

// testFleet is an in-process simulator of several accounts, all in the US region, each with
// the key "<name>-key-0123456789abcdef" and the demo data, with per-account faults.
type testFleet struct {
	fleet *simulator.Fleet
	url   string // base URL with /services/v2
}

func keyOf(name string) string { return name + "-key-0123456789abcdef" }

func newTestFleet(t *testing.T, faults map[string][]string, names ...string) *testFleet {
	t.Helper()
	var accts []simulator.FleetAccount
	for _, n := range names {
		ds, err := simulator.Scenario("demo", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		fs, err := simulator.ParseFaults(faults[n])
		if err != nil {
			t.Fatal(err)
		}
		accts = append(accts, simulator.FleetAccount{Name: n, Region: simulator.RegionUS, Server: simulator.New(simulator.Options{
			Keys: []simulator.Key{{Value: keyOf(n), Restriction: simulator.RestrictionViewOnly}}, Dataset: ds,
			RateLimit: simulator.RateLimit{Disabled: true}, Faults: fs,
		})})
	}
	f, err := simulator.NewFleet(accts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(f)
	t.Cleanup(hs.Close)
	return &testFleet{fleet: f, url: hs.URL + "/services/v2"}
}

func (f *testFleet) requests(t *testing.T, name string) int {
	t.Helper()
	a, ok := f.fleet.Account(name)
	if !ok {
		t.Fatalf("no account %s", name)
	}
	n := 0
	for _, c := range a.Server.Stats().Requests {
		n += c
	}
	return n
}

// account is an account of the test fleet whose key comes from the environment variable
// KEY_<NAME>, unless keyFile is given.
func (f *testFleet) account(name, keyFile string) config.Account {
	s := config.DefaultSettings()
	s.URL = f.url
	s.CacheTTL = time.Hour // a second scrape serves the cache: requests show what a reload costs
	a := config.Account{Name: name, Settings: s, KeyFile: keyFile}
	if keyFile == "" {
		a.KeyEnv = "KEY_" + strings.ToUpper(name)
	}
	return a
}

func env(t *testing.T, names ...string) func(string) string {
	t.Helper()
	vars := map[string]string{}
	for _, n := range names {
		vars["KEY_"+strings.ToUpper(n)] = keyOf(n)
	}
	return func(k string) string { return vars[k] }
}

// scrape serves one scrape of every account in the text format, bounded by timeout.
func scrape(t *testing.T, s *Set, timeout time.Duration) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var buf bytes.Buffer
	if err := collector.WriteText(ctx, &buf, expfmt.NewFormat(expfmt.TypeTextPlain), s.Exporters()); err != nil {
		t.Fatalf("scrape: %v", err)
	}
	return buf.String()
}

func mustContain(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("the scrape lacks %q", w)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestReloadKeepsUnchangedAccounts: a reload with the same settings and keys keeps every
// account, its cache and budget (no request is sent); changing one account's settings
// rebuilds that account alone; removing one closes it.
func TestReloadKeepsUnchangedAccounts(t *testing.T) {
	f := newTestFleet(t, nil, "a", "b")
	s := New(Options{Getenv: env(t, "a", "b")})
	defer s.Close()
	cfg := &config.Config{Accounts: []config.Account{f.account("a", ""), f.account("b", "")}}
	if _, err := s.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	body := scrape(t, s, 10*time.Second)
	mustContain(t, body, `certcentral_up{account="a"} 1`, `certcentral_up{account="b"} 1`,
		`certcentral_users{account="a",role="Administrator",status="active"}`)
	before := map[string]*Account{}
	for _, a := range s.Accounts() {
		before[a.Config.Name] = a
	}
	reqA, reqB := f.requests(t, "a"), f.requests(t, "b")

	same := &config.Config{Accounts: []config.Account{f.account("a", ""), f.account("b", "")}}
	ch, err := s.Apply(same)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ch.Kept, ",") != "a,b" || len(ch.Added)+len(ch.Replaced)+len(ch.Removed) != 0 {
		t.Errorf("unchanged reload: %+v", ch)
	}
	scrape(t, s, 10*time.Second)
	if f.requests(t, "a") != reqA || f.requests(t, "b") != reqB {
		t.Errorf("an unchanged reload sent requests: a %d -> %d, b %d -> %d", reqA, f.requests(t, "a"), reqB, f.requests(t, "b"))
	}
	for _, a := range s.Accounts() {
		if before[a.Config.Name] != a {
			t.Errorf("account %s was rebuilt by an unchanged reload", a.Config.Name)
		}
	}

	changed := f.account("b", "")
	changed.Options.Users.MaxUsers = 2
	ch, err = s.Apply(&config.Config{Accounts: []config.Account{f.account("a", ""), changed}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ch.Kept, ",") != "a" || strings.Join(ch.Replaced, ",") != "b" {
		t.Errorf("one account changed: %+v", ch)
	}
	if a, _ := s.Lookup("a"); a != before["a"] {
		t.Error("account a was rebuilt although only b changed")
	}
	ch, err = s.Apply(&config.Config{Accounts: []config.Account{f.account("a", "")}})
	if err != nil || strings.Join(ch.Removed, ",") != "b" {
		t.Errorf("removing b: %+v %v", ch, err)
	}
	body = scrape(t, s, 10*time.Second)
	if strings.Contains(body, `account="b"`) {
		t.Error("a removed account is still served")
	}
}

// TestReloadRotatesKey: an account whose key file changed is rebuilt with the new key on
// reload, so a wrong key is fixed without a restart.
func TestReloadRotatesKey(t *testing.T) {
	f := newTestFleet(t, nil, "a")
	keyFile := filepath.Join(t.TempDir(), "a.key")
	writeFile(t, keyFile, "wrong-key-0123456789abcdef\n")
	s := New(Options{})
	defer s.Close()
	cfg := &config.Config{Accounts: []config.Account{f.account("a", keyFile)}}
	if _, err := s.Apply(cfg); err != nil {
		t.Fatal(err)
	}
	mustContain(t, scrape(t, s, 10*time.Second), `certcentral_up{account="a"} 0`,
		`certcentral_collector_error{account="a",collector="users",reason="invalid_key"} 1`)

	writeFile(t, keyFile, keyOf("a")+"\n")
	ch, err := s.Apply(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(ch.Replaced, ",") != "a" {
		t.Errorf("rotated key: %+v, want a replaced", ch)
	}
	mustContain(t, scrape(t, s, 10*time.Second), `certcentral_up{account="a"} 1`)
}

// TestBadReloadChangesNothing: a config with one account whose key cannot be read is
// refused whole; the old accounts keep serving.
func TestBadReloadChangesNothing(t *testing.T) {
	f := newTestFleet(t, nil, "a", "b")
	s := New(Options{Getenv: env(t, "a", "b")})
	defer s.Close()
	if _, err := s.Apply(&config.Config{Accounts: []config.Account{f.account("a", "")}}); err != nil {
		t.Fatal(err)
	}
	old := s.Accounts()
	_, err := s.Apply(&config.Config{Accounts: []config.Account{f.account("a", ""), f.account("b", "/no/such/key")}})
	if err == nil || !strings.Contains(err.Error(), "account b: cannot read the API key file /no/such/key") {
		t.Fatalf("error %v, want account b's key file named", err)
	}
	if got := s.Accounts(); len(got) != 1 || got[0] != old[0] {
		t.Errorf("a refused config changed the accounts: %v", got)
	}
	mustContain(t, scrape(t, s, 10*time.Second), `certcentral_up{account="a"} 1`)
}

// TestIsolation: accounts whose API hangs, rejects the key, answers 429 or sends a CDN page
// neither delay nor fail the healthy account: the scrape ends at its deadline with the
// healthy account's data and each failing account's own reason.
func TestIsolation(t *testing.T) {
	f := newTestFleet(t, map[string][]string{
		"hang": {"*=hang"},
		"busy": {"*=status:429"},
		"cdn":  {"*=html:200"}, // a CDN page with status 200: not CertCentral JSON
	}, "healthy", "hang", "busy", "cdn", "badkey")
	getenv := env(t, "healthy", "hang", "busy", "cdn")
	s := New(Options{Getenv: func(k string) string {
		if k == "KEY_BADKEY" {
			return "not-the-key-0123456789abcdef"
		}
		return getenv(k)
	}})
	defer s.Close()
	var accts []config.Account
	for _, n := range []string{"healthy", "hang", "busy", "cdn", "badkey"} {
		a := f.account(n, "")
		a.RequestTimeout = time.Minute // the hanging account's requests outlive the scrape
		accts = append(accts, a)
	}
	if _, err := s.Apply(&config.Config{Accounts: accts}); err != nil {
		t.Fatal(err)
	}
	const deadline = 3 * time.Second
	start := time.Now()
	body := scrape(t, s, deadline)
	if took := time.Since(start); took > deadline+2*time.Second {
		t.Errorf("the scrape took %v, beyond its %v deadline", took, deadline)
	}
	mustContain(t, body,
		`certcentral_up{account="healthy"} 1`,
		`certcentral_collector_success{account="healthy",collector="users"} 1`,
		`certcentral_users{account="healthy",role="Administrator",status="active"} 3`,
		`certcentral_collector_error{account="hang",collector="users",reason="timeout"} 1`,
		`certcentral_collector_error{account="busy",collector="users",reason="rate_limited"} 1`,
		`certcentral_collector_error{account="cdn",collector="users",reason="invalid_response"} 1`,
		`certcentral_collector_error{account="badkey",collector="users",reason="invalid_key"} 1`,
		`certcentral_up{account="badkey"} 0`,
	)
	for _, n := range []string{"hang", "busy", "cdn", "badkey"} {
		if strings.Contains(body, `certcentral_users{account="`+n+`"`) {
			t.Errorf("account %s has user data although its API failed", n)
		}
	}
	// Each family is written once, with the series of every account under one header.
	if n := strings.Count(body, "# TYPE certcentral_up gauge"); n != 1 {
		t.Errorf("certcentral_up has %d TYPE lines, want 1", n)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	if _, err := parser.TextToMetricFamilies(strings.NewReader(body)); err != nil {
		t.Errorf("the scrape does not parse: %v", err)
	}
}
