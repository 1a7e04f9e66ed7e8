package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
	"github.com/certcentral-exporter/certcentral_exporter/internal/simulator"
	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

// checkSim is an in-process simulator (demo account) for the check command.
type checkSim struct {
	sim *simulator.Server
	url string // base URL with /services/v2
	ds  *simulator.Dataset
}

func newCheckSim(t *testing.T, tls bool, tweak func(*simulator.Options)) *checkSim {
	t.Helper()
	ds, err := simulator.Scenario("demo", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	opts := simulator.Options{Keys: []simulator.Key{{Value: knownKey, Restriction: simulator.RestrictionViewOnly}}, Dataset: ds}
	if tweak != nil {
		tweak(&opts)
	}
	sim := simulator.New(opts)
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(sim)
	} else {
		srv = httptest.NewServer(sim)
	}
	t.Cleanup(srv.Close)
	return &checkSim{sim: sim, url: srv.URL + "/services/v2", ds: ds}
}

// linkKeyTo links the simulator's key to the demo user with that username.
func linkKeyTo(username string) func(*simulator.Options) {
	return func(o *simulator.Options) {
		for _, u := range o.Dataset.Users {
			if u.Username == username {
				o.Keys[0].UserID = u.ID
				return
			}
		}
		panic("no user " + username + " in the demo account")
	}
}

// runCheckCmd parses args as the exporter's flags and runs check in-process.
func runCheckCmd(t *testing.T, output string, args ...string) (int, string) {
	t.Helper()
	app := kingpin.New("test", "")
	s := addFlags(app)
	if _, err := app.Parse(args); err != nil {
		t.Fatalf("flags %v: %v", args, err)
	}
	var out bytes.Buffer
	code := check(s, checkOptions{output: output}, &out)
	if strings.Contains(out.String(), knownKey) {
		t.Errorf("the check output contains the API key:\n%s", out.String())
	}
	return code, out.String()
}

// checkLine returns the text line of the report that starts with label.
func checkLine(t *testing.T, report, label string) string {
	t.Helper()
	for _, l := range strings.Split(report, "\n") {
		if strings.HasPrefix(l, label+" ") {
			return l
		}
	}
	t.Fatalf("no %q line in the report:\n%s", label, report)
	return ""
}

// allCollectors are the collectors enabled by default (api_keys is not).
var allCollectors = []string{"account", "balance", "domains", "orders", "organizations", "products", "requests", "users"}

// allFailing maps every default collector to reason.
func allFailing(reason string) map[string]string {
	m := map[string]string{}
	for _, name := range allCollectors {
		m[name] = reason
	}
	return m
}

func TestCheck(t *testing.T) {
	keyFile := testbin.WriteKeyFile(t, knownKey)
	restricted := func(r simulator.Restriction) func(*simulator.Options) {
		return func(o *simulator.Options) { o.Keys[0].Restriction = r }
	}
	tests := []struct {
		name   string
		tweak  func(*simulator.Options)
		setup  func(t *testing.T, c *checkSim) // after the simulator started
		faults []string
		args   []string
		key    string // the key check is given, when not the simulator's
		// want maps a collector to the reason it fails with; absent collectors must be ok.
		want map[string]string
		// advice holds text the failing collectors' lines must contain, by collector.
		advice map[string]string
		user   string // text the "key user" line must contain
		fixes  int    // distinct fix lines, when more than one problem shares them
	}{
		{name: "healthy", user: "ada.admin@example.com (Ada Admin), user id 2700001, role Administrator"},
		{
			name: "orders-only key", tweak: restricted(simulator.RestrictionOrders),
			want: map[string]string{"users": "missing_permission", "domains": "missing_permission", "balance": "missing_permission",
				"organizations": "missing_permission"},
			advice: map[string]string{
				"users":         "restriction is too narrow: create a key with the View Only restriction, linked to an Administrator or a service user (an API-only user)",
				"organizations": "(role Administrator) may read what failed, so the key's restriction is too narrow",
			},
			fixes: 1,
		},
		{
			name: "user-management key", tweak: restricted(simulator.RestrictionUserManagement),
			want: map[string]string{"domains": "missing_permission", "balance": "missing_permission", "orders": "missing_permission",
				"organizations": "missing_permission", "requests": "missing_permission"},
			advice: map[string]string{"orders": "View Only restriction", "requests": "View Only restriction"},
		},
		{
			name:  "standard user without finance rights",
			tweak: linkKeyTo("sara.standard@example.com"),
			want: map[string]string{"balance": "missing_permission", "users": "missing_permission", "domains": "missing_permission",
				"organizations": "missing_permission", "requests": "missing_permission"},
			advice: map[string]string{
				"balance":  "(role Standard User) lacks the role: the linked user needs the Administrator, Manager or Finance Manager role",
				"users":    "needs the Administrator or Manager role",
				"requests": "(role Standard User) lacks the role: the linked user needs the Administrator or Manager role",
			},
			fixes: 2, // users and domains need the same role, the balance another
			user:  "sara.standard@example.com",
		},
		{
			name:   "wrong key",
			key:    "NotTheKey-0000",
			want:   allFailing(skipped),
			advice: map[string]string{"key user": "copy it again in full with no extra spaces, and check that it is still active under Automation > API Keys; a key only works in its account's region"},
			user:   "invalid_key",
			fixes:  1,
		},
		{
			name: "rate limited",
			tweak: func(o *simulator.Options) {
				o.RateLimit = simulator.RateLimit{Windows: []simulator.Window{{Limit: 1, Per: time.Hour}}}
			},
			setup:  func(t *testing.T, c *checkSim) { spendRequest(t, c.url) },
			want:   allFailing(skipped),
			advice: map[string]string{"key user": "wait, and do not share this key with other exporters or scripts"},
			fixes:  1,
			user:   "rate_limited",
		},
		{name: "server error", faults: []string{"/domain=status:503"}, want: map[string]string{"domains": "server_error"}, advice: map[string]string{"domains": "it usually passes"}},
		{name: "CDN error page", faults: []string{"/user=html"}, want: map[string]string{"users": "server_error"}, advice: map[string]string{"users": `titled "503 Service Unavailable" from CDN Imperva`}},
		{name: "proxy page with 200", faults: []string{"/product=html:200"}, want: map[string]string{"products": "invalid_response"}, advice: map[string]string{"products": "not CertCentral JSON (a CDN or proxy page?)"}},
		{name: "latency over the request timeout", faults: []string{"/finance/balance=latency:3s"}, args: []string{"--certcentral.request-timeout=300ms"},
			want: map[string]string{"balance": "timeout"}, advice: map[string]string{"balance": "did not answer in time"}},
		{name: "hang", faults: []string{"/order/certificate=hang"}, args: []string{"--certcentral.request-timeout=300ms"},
			want: map[string]string{"orders": "timeout"}, advice: map[string]string{"orders": "did not answer in time"}},
		{name: "truncated", faults: []string{"/account=truncated"}, want: map[string]string{"account": "decode_error"}, advice: map[string]string{"account": "could not be read"}},
		{name: "malformed", faults: []string{"/domain=malformed"}, want: map[string]string{"domains": "decode_error"}},
		{name: "oversized", faults: []string{"/product=oversized:40MB"}, want: map[string]string{"products": "response_too_large"},
			advice: map[string]string{"products": "larger than --certcentral.max-body-bytes"}},
		{name: "over a lowered body cap", faults: []string{"/domain=oversized:3MB"}, args: []string{"--certcentral.max-body-bytes=1MiB"},
			want: map[string]string{"domains": "response_too_large"}, advice: map[string]string{"domains": "body larger than 1048576 bytes"}},
		{name: "reset", faults: []string{"/user=reset"}, want: map[string]string{"users": "connection"}, advice: map[string]string{"users": "could not reach CertCentral"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCheckSim(t, false, tt.tweak)
			if tt.setup != nil {
				tt.setup(t, c)
			}
			faults, err := simulator.ParseFaults(tt.faults)
			if err != nil {
				t.Fatal(err)
			}
			c.sim.SetFaults(faults)
			kf := keyFile
			if tt.key != "" {
				kf = testbin.WriteKeyFile(t, tt.key)
			}
			args := append([]string{"--certcentral.url=" + c.url, "--certcentral.api-key-file=" + kf}, tt.args...)
			start := time.Now()
			code, out := runCheckCmd(t, "text", args...)
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("check took %s", took)
			}
			wantCode := 0
			if len(tt.want) > 0 {
				wantCode = 1
			}
			if code != wantCode {
				t.Errorf("exit status %d, want %d\n%s", code, wantCode, out)
			}
			for _, name := range allCollectors {
				line := checkLine(t, out, name)
				reason, failing := tt.want[name]
				switch {
				case !failing && !strings.Contains(line, " OK "):
					t.Errorf("%s should be ok: %s", name, line)
				case reason == skipped && !strings.Contains(line, " SKIP not checked"):
					t.Errorf("%s should not be checked: %s", name, line)
				case failing && reason != skipped && !strings.Contains(line, " FAIL "+reason+": "):
					t.Errorf("%s should fail with %s: %s", name, reason, line)
				case failing && reason != skipped && fixOf(out, line) == "":
					t.Errorf("%s gives no advice: %s", name, line)
				}
			}
			for name, a := range tt.advice { // in the line's error or in the fix it refers to
				if line := checkLine(t, out, name); !strings.Contains(line+" "+fixOf(out, line), a) {
					t.Errorf("%s: neither the line nor its fix says %q:\n%s", name, a, out)
				}
			}
			if want := max(tt.fixes, min(len(tt.want), 1)); tt.fixes > 0 || len(tt.want) <= 1 {
				if got := strings.Count(out, "\nfix "); got != want {
					t.Errorf("%d fix lines, want %d:\n%s", got, want, out)
				}
			}
			if tt.user != "" {
				if line := checkLine(t, out, "key user"); !strings.Contains(line, tt.user) {
					t.Errorf("key user line %q lacks %q", line, tt.user)
				}
			}
			if result := checkLine(t, out, "result"); (code == 0) != strings.Contains(result, " OK ") {
				t.Errorf("result line %q disagrees with exit status %d", result, code)
			}
		})
	}
}

// skipped in TestCheck's want: the collector was not checked because /user/me showed that
// every request would fail.
const skipped = "skipped"

// fixOf returns the text of the fix a report line refers to with "[fix N]".
func fixOf(report, line string) string {
	m := regexp.MustCompile(`\[fix (\d+)\]$`).FindStringSubmatch(line)
	if m == nil {
		return ""
	}
	for _, l := range strings.Split(report, "\n") {
		if rest, ok := strings.CutPrefix(l, "fix "+m[1]+" "); ok {
			return rest
		}
	}
	return ""
}

// spendRequest uses up a key whose budget is one request, so that check meets a 429 at once.
func spendRequest(t *testing.T, baseURL string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, baseURL+"/account", nil)
	req.Header.Set("X-DC-DEVKEY", knownKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("first request answered %d", resp.StatusCode)
	}
}

// TestCheckRateLimitSendsNoMore: after /user/me is refused with 429 nothing else is sent, so
// that check does not prolong the limit.
func TestCheckRateLimitSendsNoMore(t *testing.T) {
	c := newCheckSim(t, false, func(o *simulator.Options) {
		o.RateLimit = simulator.RateLimit{Windows: []simulator.Window{{Limit: 1, Per: time.Hour}}}
	})
	spendRequest(t, c.url)
	c.sim.ResetStats()
	code, out := runCheckCmd(t, "text", "--certcentral.url="+c.url, "--certcentral.api-key-file="+testbin.WriteKeyFile(t, knownKey))
	if code != 1 {
		t.Errorf("exit %d, want 1:\n%s", code, out)
	}
	if n := c.sim.Stats().Total(); n != 1 {
		t.Errorf("check sent %d requests after the key was rate limited, want only /user/me", n)
	}
}

func TestCheckConnectionFailures(t *testing.T) {
	keyFile := testbin.WriteKeyFile(t, knownKey)
	tlsSim := newCheckSim(t, true, nil) // self-signed certificate nobody trusts
	for _, tt := range []struct {
		name, url, reason, advice string
	}{
		{"closed port", "http://" + testbin.ClosedAddr(t) + "/services/v2", "connection", "could not reach CertCentral: check DNS, proxy and firewall, and that --certcentral.url is right"},
		{"untrusted certificate", tlsSim.url, "tls", "the TLS connection to CertCentral failed: check the system CA certificates"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, out := runCheckCmd(t, "text", "--certcentral.url="+tt.url, "--certcentral.api-key-file="+keyFile)
			if code != 2 {
				t.Errorf("exit %d, want 2: nothing could be checked", code)
			}
			if line := checkLine(t, out, "key user"); !strings.Contains(line, " FAIL "+tt.reason+": ") || !strings.Contains(fixOf(out, line), tt.advice) {
				t.Errorf("want %s with advice %q: %s\n%s", tt.reason, tt.advice, line, out)
			}
			for _, label := range allCollectors {
				if line := checkLine(t, out, label); !strings.Contains(line, " SKIP not checked") {
					t.Errorf("%s was checked after the host could not be reached: %s", label, line)
				}
			}
			if !strings.Contains(checkLine(t, out, "stopped"), "every request would fail as GET /user/me did ("+tt.reason+"): nothing else was sent") {
				t.Errorf("no stop line:\n%s", out)
			}
		})
	}
	if n := tlsSim.sim.Stats().Total(); n != 0 {
		t.Errorf("the TLS listener counted %d API requests; none can pass an untrusted handshake", n)
	}
}

// TestCheckJSON: the JSON report has stable field names for scripts.
func TestCheckJSON(t *testing.T) {
	c := newCheckSim(t, false, func(o *simulator.Options) { o.Keys[0].Restriction = simulator.RestrictionOrders })
	code, out := runCheckCmd(t, "json", "--certcentral.url="+c.url, "--certcentral.api-key-file="+testbin.WriteKeyFile(t, knownKey),
		"--no-collector.products", "--no-collector.account", "--no-collector.organizations", "--no-collector.requests")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	var rep struct {
		OK        bool   `json:"ok"`
		URL       string `json:"url"`
		KeySource string `json:"key_source"`
		User      struct {
			OK       bool     `json:"ok"`
			ID       int64    `json:"id"`
			Username string   `json:"username"`
			Name     string   `json:"name"`
			Email    string   `json:"email"`
			Roles    []string `json:"roles"`
		} `json:"user"`
		Collectors []struct {
			Name       string `json:"name"`
			Endpoint   string `json:"endpoint"`
			OK         bool   `json:"ok"`
			Total      *int   `json:"total"`
			Reason     string `json:"reason"`
			HTTPStatus int    `json:"http_status"`
			Error      string `json:"error"`
			Advice     string `json:"advice"`
		} `json:"collectors"`
	}
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields() // a renamed field breaks scripts: this test must change with it
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.OK || rep.URL != c.url || !strings.HasPrefix(rep.KeySource, "file ") {
		t.Errorf("ok=%v url=%q key_source=%q", rep.OK, rep.URL, rep.KeySource)
	}
	if !rep.User.OK || rep.User.Username != "ada.admin@example.com" || rep.User.ID == 0 || len(rep.User.Roles) != 1 || rep.User.Roles[0] != "Administrator" {
		t.Errorf("user = %+v", rep.User)
	}
	got := map[string]string{}
	for _, col := range rep.Collectors {
		got[col.Name] = col.Reason
		if col.OK != (col.Reason == "") || (!col.OK && (col.Advice == "" || col.Error == "" || col.HTTPStatus != 403)) {
			t.Errorf("inconsistent collector entry %+v", col)
		}
		if col.Name == "orders" && (col.Total == nil || *col.Total != len(c.ds.Orders)) {
			t.Errorf("orders total %v, want %d", col.Total, len(c.ds.Orders))
		}
	}
	want := map[string]string{"balance": "missing_permission", "domains": "missing_permission", "orders": "", "users": "missing_permission"}
	if len(got) != len(want) {
		t.Errorf("collectors %v, want exactly the enabled ones %v", got, want)
	}
	for name, reason := range want {
		if r, ok := got[name]; !ok || r != reason {
			t.Errorf("%s: reason %q, want %q", name, r, reason)
		}
	}
}

func TestCheckSetupErrors(t *testing.T) {
	c := newCheckSim(t, false, nil)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no collector", []string{"--certcentral.api-key-file=" + testbin.WriteKeyFile(t, knownKey),
			"--no-collector.account", "--no-collector.balance", "--no-collector.domains", "--no-collector.orders", "--no-collector.products", "--no-collector.users",
			"--no-collector.organizations", "--no-collector.requests"}, "no collector is enabled"},
		{"key with inner space", []string{"--certcentral.api-key-file=" + testbin.WriteKeyFile(t, "abc "+knownKey)}, "contains white space"},
		{"missing key file", []string{"--certcentral.api-key-file=/nonexistent/key"}, "cannot read the API key file /nonexistent/key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c.sim.ResetStats()
			for _, output := range []string{"text", "json"} {
				code, out := runCheckCmd(t, output, append([]string{"--certcentral.url=" + c.url}, tt.args...)...)
				if code != 2 || !strings.Contains(out, tt.want) {
					t.Errorf("%s: exit %d, want 2 and %q in:\n%s", output, code, tt.want, out)
				}
			}
			if n := c.sim.Stats().Total(); n != 0 {
				t.Errorf("%d requests sent although the set-up failed", n)
			}
		})
	}
}

func TestRegionHint(t *testing.T) {
	if h := regionHint(certcentral.USBaseURL); !strings.Contains(h, "--certcentral.url="+certcentral.EUBaseURL) {
		t.Errorf("a key rejected by the US region should suggest the EU URL: %s", h)
	}
	if h := regionHint(certcentral.EUBaseURL + "/"); !strings.Contains(h, "--certcentral.url="+certcentral.USBaseURL) {
		t.Errorf("a key rejected by the EU region should suggest the US URL: %s", h)
	}
}

// TestCheckAPIKeys: the api_keys collector is off by default and check says what it needs;
// turned on, it reads with a key linked to an Administrator and fails with advice naming the
// role for a Manager's key.
func TestCheckAPIKeys(t *testing.T) {
	keyFile := testbin.WriteKeyFile(t, knownKey)
	for _, tt := range []struct {
		name, user string
		args       []string
		want       string // the api_keys line must contain it
		code       int
	}{
		{"off by default", "ada.admin@example.com", nil, "OFF  not enabled (--collector.api_keys to turn it on): listing API keys needs", 0},
		{"Administrator", "ada.admin@example.com", []string{"--collector.api_keys"}, "OK   GET /key: 8 in total", 0},
		{"Manager", "mia.manager@example.com", []string{"--collector.api_keys"},
			"FAIL missing_permission: GET /key: HTTP 403", 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newCheckSim(t, false, linkKeyTo(tt.user))
			code, out := runCheckCmd(t, "text", append([]string{"--certcentral.url=" + c.url, "--certcentral.api-key-file=" + keyFile}, tt.args...)...)
			line := checkLine(t, out, "api_keys")
			if !strings.Contains(line, tt.want) {
				t.Errorf("api_keys line %q lacks %q", line, tt.want)
			}
			if tt.code == 1 && !strings.Contains(fixOf(out, line), "(role Manager) lacks the role: the linked user needs the Administrator role") {
				t.Errorf("the advice does not name the role /key needs: %s", line)
			}
			// The Manager's key reads everything else: only api_keys decides the exit status.
			if code != tt.code {
				t.Errorf("exit %d, want %d:\n%s", code, tt.code, out)
			}
		})
	}
}
