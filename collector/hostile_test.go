package collector

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/budget"
	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
	"github.com/certcentral-exporter/certcentral_exporter/internal/simulator"
	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

// lockedBuffer collects log output written from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// logInto sends the exporter's log to buf.
func logInto(buf *lockedBuffer) func(*Config) {
	return func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(buf, nil)) }
}

// assertShortLogLines fails on a log line longer than a few kilobytes.
func assertShortLogLines(t *testing.T, log string) {
	t.Helper()
	for _, line := range strings.Split(log, "\n") {
		if len(line) > 8<<10 {
			t.Errorf("a log line of %d bytes: %.300s...", len(line), line)
		}
	}
}

// bigBodies lets a body reach the default cap of 32 MiB, and takes its time.
func bigBodies(c *certcentral.Config) {
	c.MaxBodyBytes = certcentral.DefaultMaxBodyBytes
	c.HTTPClient = &http.Client{Timeout: 30 * time.Second}
}

// hostileCases are answers no CertCentral sends; each fails its collector alone, with a reason,
// and the next good answer recovers (runFaultCase checks all of that).
var hostileCases = []faultCase{
	{name: "a billion items announced, one per page", faults: []string{"/user=total:1000000000", "/user=pagelimit:1"},
		affected: []string{"users"}, reason: "too_many_items", requests: 1},
	// Decoding 200,000 items takes seconds under the race detector: generous time limits.
	{name: "a million empty objects", faults: []string{"/user=emptyitems:1000000"}, affected: []string{"users"}, reason: "too_many_items",
		client: bigBodies, deadline: 20 * time.Second},
	{name: "a stream of small items", faults: []string{"/domain=smallitems:20000000"}, affected: []string{"domains"}, reason: "too_many_items",
		client: bigBodies, deadline: 20 * time.Second,
		check: func(t *testing.T, env *faultEnv) {
			env.counter.running.Wait()
			// 200,000 items of about 13 bytes; socket buffers hold a few MiB more.
			if n := env.counter.bytes("/domain"); n > 16<<20 {
				t.Errorf("the simulator sent %d MiB before the client stopped: the item cap did not stop the read", n>>20)
			}
		}},
	{name: "every offset answers the first page", faults: []string{"/user=repeat", "/user=pagelimit:3"},
		affected: []string{"users"}, reason: "inconsistent_pagination"},
	{name: "pages empty before the total", faults: []string{"/domain=emptypages", "/domain=pagelimit:3"},
		affected: []string{"domains"}, reason: "inconsistent_pagination"},
	{name: "a total that keeps growing", faults: []string{"/order/certificate=growing", "/order/certificate=pagelimit:3"},
		affected: []string{"orders"}, reason: "inconsistent_pagination"},
	{name: "a control character in a header", faults: []string{"/product=badheader"},
		affected: []string{"products"}, reason: "invalid_response", requests: 1},
}

// TestHostileAnswers runs hostileCases like TestFaults: the affected collector fails with the
// reason, the others are served, no goroutine is left behind, and clearing the fault recovers.
func TestHostileAnswers(t *testing.T) {
	for _, tc := range hostileCases {
		t.Run(tc.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			t.Run("run", func(t *testing.T) {
				var logs lockedBuffer
				inner := tc.config
				tc.config = func(c *Config) {
					logInto(&logs)(c)
					c.CollectionTimeout = 30 * time.Second
					if inner != nil {
						inner(c)
					}
				}
				runFaultCase(t, tc)
				assertShortLogLines(t, logs.String())
			})
			settleGoroutines(t, before)
		})
	}
}

// TestStaleDataServedWhilePagesDoNotAddUp: pages that do not add up must not replace the last
// good data with a fifth of it; the good data is served as stale with success 0, and the
// items announced and read say what happened.
func TestStaleDataServedWhilePagesDoNotAddUp(t *testing.T) {
	clk := newClock()
	env := newTestEnv(t, "demo")
	exp := env.exporter(t, []string{"users"}, func(c *Config) {
		c.Now, c.CacheTTL, c.StaleDataMaxAge = clk.now, time.Minute, time.Hour
	})
	text := scrapeWithin(t, exp, 5*time.Second)
	good := sumSeries(t, text, "certcentral_users{")
	n := len(env.sim.Dataset().Users)
	if good != float64(n) || !strings.Contains(text, fmt.Sprintf(`certcentral_collector_items_read{collector="users"} %d`, n)) {
		t.Fatalf("first collection: %v users\n%s", good, testbin.Lines(text, "certcentral_collector_items"))
	}

	env.sim.SetFaults(mustFaults(t, "/user=emptypages", "/user=pagelimit:2"))
	clk.add(2 * time.Minute)
	text = scrapeWithin(t, exp, 5*time.Second)
	for _, want := range []string{
		`certcentral_collector_success{collector="users"} 0`,
		`certcentral_collector_error{collector="users",reason="inconsistent_pagination"} 1`,
		fmt.Sprintf(`certcentral_collector_items_announced{collector="users"} %d`, n),
		`certcentral_collector_items_read{collector="users"} 2`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %s:\n%s", want, testbin.Lines(text, "certcentral_collector_"))
		}
	}
	if n := sumSeries(t, text, "certcentral_users{"); n != good {
		t.Errorf("%v users served while the pages did not add up, want the last good %v (stale)", n, good)
	}
}

// TestOneCollectorCannotSpendTheOthersBudget: pages of one user each spent the whole request
// budget in one collection, and then every collector failed with budget_exhausted and
// certcentral_up was 0. A collection may spend its collector's share only.
func TestOneCollectorCannotSpendTheOthersBudget(t *testing.T) {
	clk := newClock()
	limiter, err := budget.New(nil, budget.Window{Limit: 15, Per: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	env := newTestEnv(t, "demo", func(o *simulator.Options, c *certcentral.Config) {
		o.Faults = mustFaults(t, "/user=pagelimit:1")
		c.Limiter = limiter
	})
	exp := env.exporter(t, collectorNames(), func(c *Config) {
		c.Now, c.CacheTTL, c.Budget, c.StaleDataMaxAge = clk.now, time.Minute, limiter, 0
	})
	for scrape := 1; scrape <= 2; scrape++ {
		text := scrapeWithin(t, exp, 5*time.Second)
		assertFailing(t, fmt.Sprintf("scrape %d", scrape), text, []string{"users"}, "budget_exhausted")
		if !strings.Contains(text, "certcentral_up 1") {
			t.Errorf("scrape %d: certcentral_up is not 1", scrape)
		}
		clk.add(2 * time.Hour) // past every stretched interval; the limiter's hour is real time
	}
	if n := env.sim.Stats().Requests["/user"]; n != 2 {
		t.Errorf("/user: %d requests in two collections, want the first page of each", n)
	}
}

// TestLargeListWithinWhatOthersLeaveIsRead: a list needing more than its collector's own share
// of the budget is still read when the other collectors' shares leave room for it, so that a
// large account is refreshed less often rather than failing.
func TestLargeListWithinWhatOthersLeaveIsRead(t *testing.T) {
	limiter, err := budget.New(nil, budget.Window{Limit: 40, Per: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	// The demo's users one per page (eleven): a request each, above the users' own share of a
	// budget of 40 and within what the others' shares leave.
	env := newTestEnv(t, "demo", func(o *simulator.Options, c *certcentral.Config) {
		o.Faults = mustFaults(t, "/user=pagelimit:1")
		c.Limiter = limiter
	})
	exp := env.exporter(t, collectorNames(), func(c *Config) { c.Budget = limiter })
	text := scrapeWithin(t, exp, 5*time.Second)
	assertFailing(t, "large list", text, nil, "")
	if n, want := env.sim.Stats().Requests["/user"], len(env.sim.Dataset().Users); n != want {
		t.Errorf("/user: %d requests, want %d pages", n, want)
	}
}

// TestUnparsedValuesKeepTheirObjects: values that do not parse in lenient fields failed the
// whole collector; they are counted in certcentral_collector_unparsed_values and every object
// is still counted.
func TestUnparsedValuesKeepTheirObjects(t *testing.T) {
	clean := scrapeWithin(t, newTestEnv(t, "demo").exporter(t, collectorNames()), 5*time.Second)
	env := newTestEnv(t, "demo", func(o *simulator.Options, _ *certcentral.Config) {
		o.Faults = mustFaults(t, "*=badvalues")
	})
	text := scrapeWithin(t, env.exporter(t, collectorNames()), 5*time.Second)
	assertFailing(t, "bad values", text, nil, "")
	ds := env.sim.Dataset()
	for _, want := range []string{
		`certcentral_collector_unparsed_values{collector="users",field="id"} 3`,
		`certcentral_collector_unparsed_values{collector="users",field="access_roles.id"}`,
		fmt.Sprintf(`certcentral_collector_unparsed_values{collector="domains",field="is_active"} %d`, len(ds.Domains)),
		fmt.Sprintf(`certcentral_collector_unparsed_values{collector="orders",field="is_renewed"} %d`, len(ds.Orders)),
		`certcentral_collector_unparsed_values{collector="orders",field="id"} 3`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %s:\n%s", want, testbin.Lines(text, "certcentral_collector_unparsed"))
		}
	}
	if a, b := sumSeries(t, clean, "certcentral_users{"), sumSeries(t, text, "certcentral_users{"); a != b {
		t.Errorf("%v users counted with bad values, %v without: objects were lost", b, a)
	}
	// A domain whose is_active does not parse counts as active (its DCV state stays visible):
	// active and inactive together must still be every domain.
	for _, series := range [][]string{{`certcentral_orders{`}, {`certcentral_domains{`, `certcentral_domains_inactive `}} {
		a, b := 0.0, 0.0
		for _, s := range series {
			a, b = a+sumSeries(t, clean, s), b+sumSeries(t, text, s)
		}
		if a != b || a == 0 {
			t.Errorf("%v: %v with bad values, %v without: objects were lost", series, b, a)
		}
	}
	// The three users without a usable id have no per-user series (they could not be told
	// apart) and are counted as left out.
	if !strings.Contains(text, `certcentral_collector_items_dropped{collector="users"} 3`) {
		t.Errorf("users without an id are not counted as dropped:\n%s", testbin.Lines(text, "certcentral_collector_items_dropped"))
	}
}

// sumSeries adds up the values of the series whose lines start with prefix (a name and "{"
// for every series of a family). A value that does not parse fails the test rather than
// counting as 0.
func sumSeries(t *testing.T, text, prefix string) float64 {
	t.Helper()
	sum := 0.0
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, prefix) {
			v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			sum += v
		}
	}
	return sum
}

// TestLastLoginZeroDatesAndFormats: users whose last_login_date was a zero date or had a space
// before the offset were neither "never signed in" nor had a days-since series.
func TestLastLoginZeroDatesAndFormats(t *testing.T) {
	env := newTestEnv(t, "demo", func(o *simulator.Options, _ *certcentral.Config) {
		o.Faults = mustFaults(t, "/user=logindates")
	})
	text := scrapeWithin(t, env.exporter(t, []string{"users"}), 5*time.Second)
	never := regexp.MustCompile(`(?m)^certcentral_user_never_logged_in\{[^}]*user_id="(\d+)"[^}]*\} 1$`).FindAllStringSubmatch(text, -1)
	days := regexp.MustCompile(`(?m)^certcentral_user_days_since_last_login\{[^}]*user_id="(\d+)"`).FindAllStringSubmatch(text, -1)
	// The simulator cycles four forms over the users in list order: zero dates for the first
	// two of every four, real times for the others.
	users, zero := len(env.sim.Dataset().Users), 0
	for i := range users {
		if i%4 < 2 {
			zero++
		}
	}
	if len(never)+len(days) != users || len(never) != zero {
		t.Errorf("%d users never signed in and %d with days since their last sign-in, want %d and %d:\n%s",
			len(never), len(days), zero, users-zero, testbin.Lines(text, "certcentral_user"))
	}
	if strings.Contains(text, `field="last_login_date"`) {
		t.Errorf("a sign-in date stayed unparsed:\n%s", testbin.Lines(text, "certcentral_collector_unparsed"))
	}
}

// TestJoinNamesAreBounded: 10,000 certificates with 250 names each kept 2.5 million names as
// strings for the domain join (618 MB). The join keeps at most MaxJoinNames hashes and counts
// the certificates whose names no longer fit.
func TestJoinNamesAreBounded(t *testing.T) {
	f := newOrderFacts()
	sans := make([]string, 250)
	for c := 0; c < 10_000; c++ {
		for i := range sans {
			sans[i] = fmt.Sprintf("host-%03d.order-%06d.sans.example.com", i, c)
		}
		f.addCertificate(fmt.Sprintf("order-%06d.sans.example.com", c), sans)
	}
	if len(f.certsUnder) > MaxJoinNames {
		t.Errorf("%d names kept, the cap is %d", len(f.certsUnder), MaxJoinNames)
	}
	if f.leftOut == 0 {
		t.Error("no certificate counted as left out, although 2.5 million names cannot fit")
	}
	// Parent domains seen first stay exact: every certificate is under example.com.
	if got := f.certsUnder[hashName("example.com")]; got != 10_000 {
		t.Errorf("example.com counts %d certificates, want 10000", got)
	}
}

func TestJoinCountsEachCertificateOnceUnderEachDomain(t *testing.T) {
	f := newOrderFacts()
	f.addCertificate("a.example.com", []string{"b.example.com", "*.example.com", "EXAMPLE.COM.", "example.community"})
	f.addCertificate("other.org", nil)
	f.addCertificate("deep.a.example.com", nil)
	for name, want := range map[string]uint32{"example.com": 2, "a.example.com": 2, "b.example.com": 1, "example.community": 1, "org": 1, "com": 2, "x.example.com": 0} {
		if got := f.certsUnder[hashName(name)]; got != want {
			t.Errorf("%s: %d certificates, want %d", name, got, want)
		}
	}
}
