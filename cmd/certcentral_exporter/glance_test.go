package main

import (
	"log/slog"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/config"
	"github.com/certcentral-exporter/certcentral_exporter/internal/accounts"
	"github.com/certcentral-exporter/certcentral_exporter/internal/simulator"
)

// demoSet watches one account named demo on an in-process simulator serving ds, and returns
// once every collector has finished its first collection.
func demoSet(t *testing.T, ds *simulator.Dataset, faults ...string) *accounts.Set {
	t.Helper()
	fs, err := simulator.ParseFaults(faults)
	if err != nil {
		t.Fatal(err)
	}
	sim := httptest.NewServer(simulator.New(simulator.Options{Keys: []simulator.Key{{Value: knownKey, Restriction: simulator.RestrictionViewOnly}},
		Dataset: ds, RateLimit: simulator.RateLimit{Disabled: true}, Faults: fs}))
	t.Cleanup(sim.Close)
	settings := config.DefaultSettings()
	settings.URL = sim.URL + "/services/v2"
	set := accounts.New(accounts.Options{Getenv: func(string) string { return knownKey }})
	t.Cleanup(set.Close)
	if _, err := set.Apply(&config.Config{Accounts: []config.Account{{Name: "demo", KeyEnv: "K", Settings: settings}}}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		done := true
		for _, s := range set.Accounts()[0].Exporter.Status() {
			done = done && s.Collected
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first collections did not finish")
		}
	}
	return set
}

// landingFor serves the landing page of demoSet's account.
func landingFor(t *testing.T, ds *simulator.Dataset, faults ...string) string {
	t.Helper()
	set := demoSet(t, ds, faults...)
	rec := httptest.NewRecorder()
	newLandingPage(landingConfig{set: set, telemetryPath: "/metrics", logger: slog.New(slog.DiscardHandler)}).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 {
		t.Fatalf("landing page: %d", rec.Code)
	}
	return rec.Body.String()
}

// TestLandingGlanceShowsTheDemoProblems: without Grafana, the landing page names the demo
// account's problems: the readiness checklist with its failing items, the inactive and
// never-signed-in Administrators, pending and lapsed DCV, the certificates expiring first and
// the negative funds. A user name with markup is shown as text.
func TestLandingGlanceShowsTheDemoProblems(t *testing.T) {
	ds, err := simulator.Scenario("demo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ds.Users = append(ds.Users, simulator.User{ID: 2799999, Username: `<script>alert("x")</script>`, Email: "x@example.com",
		FirstName: "X", LastName: "Y", Status: "active", Type: "standard", RoleIDs: []int{1}})
	page := landingFor(t, ds)
	for _, want := range []string{
		"Can this account order and renew now?",
		`<span class="fail">&#10008;</span> 5 domains validated, 1 pending DCV, 1 with DCV expired`,
		"complete domain control validation",
		`<span class="ok">&#10004;</span> 7 products can be ordered`,
		`<span class="fail">&#10008;</span> funds: -130.00 USD available for new orders`,
		`<span class="fail">&#10008;</span> 3 requests wait for an approver`,
		`<span class="fail">&#10008;</span> 1 organization validations (OV/EV) expired`,
		`ghost.admin@example.com (Administrator): never signed in`,
		`sleepy.admin@example.com (Administrator): last signed in 120 days ago`,
		`&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; (Administrator): never signed in`,
		`legacy.example.com: DCV expired: redo it`,
		`new.example.com: DCV pending: never completed`,
		`portal.example.net: OV DCV lapses in 4 days`,
		`vpn.example.com (ssl_plus, order`,
		// 9 days left, but its reissue is under way: listed, not marked urgent.
		`<li>www.example.com (ssl_plus, order 11000014): expires in `,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the landing page lacks %q", want)
		}
	}
	// vpn.example.com's valid_till was 3 days ago and it ran to the end of that day: it expired
	// 2 days and some hours ago (3 days in the last second of a day).
	if !strings.Contains(page, "expired 2 days ago") && !strings.Contains(page, "expired 3 days ago") {
		t.Error("the landing page lacks vpn.example.com's expiry, 2 days ago")
	}
	if !regexp.MustCompile(`www\.example\.com \(ssl_plus, order 11000014\): expires in \d+ days; reissue pending</li>`).MatchString(page) {
		t.Error("the landing page does not say that www.example.com's reissue is pending")
	}
	if strings.Contains(page, "dcv expired:") || strings.Contains(page, "insufficient funds") {
		t.Error("a blocker the domain or funds item says already is listed again")
	}
	if strings.Contains(page, `<script>alert`) {
		t.Error("a user name was rendered as markup")
	}
}

// TestLandingGlanceOnAFailingAccount: when collectors fail, the checklist says which data is
// missing instead of showing green.
func TestLandingGlanceOnAFailingAccount(t *testing.T) {
	ds, err := simulator.Scenario("healthy", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	page := landingFor(t, ds, "/domain=status:403", "/finance/balance=status:500")
	for _, want := range []string{
		"no fresh domains data: the collector fails with missing_permission",
		"no fresh balance data: the collector fails with server_error",
		`<span class="ok">&#10004;</span> 7 products can be ordered`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the landing page lacks %q", want)
		}
	}
	if strings.Contains(page, "domains validated") {
		t.Error("the checklist shows domain data although the domains collector failed")
	}
}

// TestLandingSummaryText: /?format=text is the same summary for a terminal (make demo prints
// it), served as plain text.
func TestLandingSummaryText(t *testing.T) {
	ds, err := simulator.Scenario("demo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	set := demoSet(t, ds)
	rec := httptest.NewRecorder()
	newLandingPage(landingConfig{set: set, telemetryPath: "/metrics", logger: slog.New(slog.DiscardHandler)}).ServeHTTP(rec, httptest.NewRequest("GET", "/?format=text", nil))
	if ct := rec.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	for _, want := range []string{
		"Account demo (",
		"    NO  funds: -130.00 USD available for new orders\n",
		"    ok  7 products can be ordered\n",
		"    ! ghost.admin@example.com (Administrator): never signed in\n",
		"    ! legacy.example.com: DCV expired: redo it\n",
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("the summary lacks %q:\n%s", want, rec.Body.String())
		}
	}
}

// TestGlanceFamiliesListsWhatGlanceReads: the landing page asks for glanceFamilies only, so
// every family glance.go names must be in it.
func TestGlanceFamiliesListsWhatGlanceReads(t *testing.T) {
	src, err := os.ReadFile("glance.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range regexp.MustCompile(`"(certcentral_[a-z_]+)"`).FindAllStringSubmatch(string(src), -1) {
		if !slices.Contains(glanceFamilies, name[1]) {
			t.Errorf("glance.go reads %s, which glanceFamilies does not list", name[1])
		}
	}
}
