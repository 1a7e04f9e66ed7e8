package collector

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
	"github.com/certcentral-exporter/certcentral_exporter/internal/simulator"
)

func TestValidationState(t *testing.T) {
	now := goldenNow
	future, past := now.Add(time.Hour), now.Add(-time.Hour)
	for _, tt := range []struct {
		name string
		v    certcentral.OrganizationValidation
		want string
	}{
		{"active with a future date", certcentral.OrganizationValidation{Status: "active", ValidatedUntil: future}, validationValid},
		{"active but the date passed", certcentral.OrganizationValidation{Status: "active", ValidatedUntil: past}, validationExpired},
		{"lapsing exactly now", certcentral.OrganizationValidation{Status: "active", ValidatedUntil: now}, validationExpired},
		{"pending, no dates", certcentral.OrganizationValidation{Status: "pending"}, validationPending},
		{"expired word", certcentral.OrganizationValidation{Status: "expired", ValidatedUntil: future}, validationExpired},
		{"active, date unreadable", certcentral.OrganizationValidation{Status: "active"}, validationValid},
		{"unknown word, future date", certcentral.OrganizationValidation{Status: "approved", ValidatedUntil: future}, validationValid},
		{"unknown word, no date", certcentral.OrganizationValidation{Status: "on_hold"}, validationUnknown},
	} {
		if got := validationState(tt.v, now); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestMergeValidations(t *testing.T) {
	now := goldenNow
	v := func(typ, status string, until time.Time) certcentral.OrganizationValidation {
		return certcentral.OrganizationValidation{Type: typ, Status: status, ValidatedUntil: until}
	}
	got := mergeValidations([]certcentral.OrganizationValidation{
		v("ov", "expired", now.Add(-48*time.Hour)), v("ov", "active", now.Add(300*24*time.Hour)), // renewed: valid
		v("ev", "pending", time.Time{}), v("ev", "active", now.Add(-time.Hour)), // revalidation pending: still blocked
		v("cs", "pending", time.Time{}),
	}, newBoundedLabel(), now)
	want := map[string]string{"ov": validationValid, "ev": validationExpired, "cs": validationPending}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for _, g := range got {
		if want[g.typ] != g.state {
			t.Errorf("%s: %s, want %s", g.typ, g.state, want[g.typ])
		}
	}
	if !got[0].until.Equal(now.Add(300 * 24 * time.Hour)) {
		t.Errorf("the OV expiry shown must be the latest: %v", got[0].until)
	}
}

func TestProductValidation(t *testing.T) {
	for nameID, want := range map[string]string{
		"ssl_plus": "ov", "ssl_multi_domain": "ov", "ssl_wildcard": "ov", "ssl_basic": "ov", "ssl_securesite_pro": "ov",
		"ssl_ev_basic": "ev", "ssl_ev_securesite_pro": "ev", "ssl_ev_multi_domain": "ev",
		"ssl_dv_geotrust": "", "ssl_dv_rapidssl": "", "private_ssl_plus": "", "client_premium": "", "document_signing_org_1": "",
		"code_signing": "cs", "code_signing_ev": "ev_cs", "": "",
	} {
		if got := productValidation(nameID); got != want {
			t.Errorf("productValidation(%q) = %q, want %q", nameID, got, want)
		}
	}
}

func TestRestrictionLabel(t *testing.T) {
	for _, tt := range []struct {
		k    certcentral.APIKey
		want string
	}{
		{certcentral.APIKey{HasRestriction: true}, "none"},
		{certcentral.APIKey{HasRestriction: true, Restriction: 102}, "view_only"},
		{certcentral.APIKey{HasRestriction: true, Restriction: 101}, "orders_domains_organizations"},
		{certcentral.APIKey{HasRestriction: true, Restriction: 104}, "role_104"},
		{certcentral.APIKey{}, "unknown"}, // absent or unreadable: never "none"
	} {
		if got := restrictionLabel(tt.k); got != tt.want {
			t.Errorf("%+v: %s, want %s", tt.k, got, tt.want)
		}
	}
}

// sampleValues returns the value of every sample of the exposition whose line starts with
// prefix (metric name and labels), keyed by the whole series.
func sampleValues(text, prefix string) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			i := strings.LastIndexByte(l, ' ')
			out[l[:i]] = l[i+1:]
		}
	}
	return out
}

// TestIssuanceBlockers: every reason has the demo's value (and 0 on the healthy account)
// when its sources are served, and is absent when a source is disabled or failing.
func TestIssuanceBlockers(t *testing.T) {
	const b = "certcentral_issuance_blockers"
	all := map[string]string{
		"dcv_expired": "1", "dcv_pending": "1", "organization_validation_expired": "1", "no_product": "0",
		"insufficient_funds": "1", "approval_pending": "3", "order_stuck": "3", // pending, needs_approval, reissue_pending
	}
	for _, tt := range []struct {
		name, scenario string
		collectors     []string
		faults         []string
		want           map[string]string // reason -> value; every other reason must be absent
	}{
		{"demo, every source", "demo", collectorNames(), nil, all},
		// The healthy account's one request was made two hours ago: waiting for an approver is
		// normal, and it is what approval_pending counts.
		{"healthy: only a fresh request waits", "healthy", collectorNames(), nil, map[string]string{
			"dcv_expired": "0", "dcv_pending": "0", "organization_validation_expired": "0", "no_product": "0",
			"insufficient_funds": "0", "approval_pending": "1", "order_stuck": "0"}},
		{"domains only", "demo", []string{"domains"}, nil, map[string]string{"dcv_expired": "1", "dcv_pending": "1"}},
		{"products without orders", "demo", []string{"products", "balance"}, nil, map[string]string{"insufficient_funds": "1"}},
		{"requests failing", "demo", collectorNames(), []string{"/request=status:500"}, without(all, "approval_pending")},
		{"orders failing", "demo", collectorNames(), []string{"/order/certificate=status:403"}, without(all, "no_product", "order_stuck")},
		// Only orders with a current certificate are read: pending ones are not seen.
		{"orders only current", "demo", collectorNames(), nil, without(all, "order_stuck")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestEnv(t, tt.scenario)
			env.sim.SetFaults(mustFaults(t, tt.faults...))
			onlyCurrent := strings.HasSuffix(tt.name, "only current")
			text := scrapeText(t, env.exporter(t, tt.collectors, func(c *Config) { c.Options.Orders.OnlyCurrent = onlyCurrent }))
			if stuck := strings.Contains(text, "certcentral_orders_stuck{"); stuck != (tt.want["order_stuck"] != "") {
				t.Errorf("certcentral_orders_stuck present: %v, want it exactly when order_stuck is", stuck)
			}
			got := sampleValues(text, b+"{")
			if len(got) != len(tt.want) {
				t.Errorf("reasons %v, want %v", got, tt.want)
			}
			for reason, v := range tt.want {
				if g := got[fmt.Sprintf(`%s{reason=%q}`, b, reason)]; g != v {
					t.Errorf("%s = %q, want %s", reason, g, v)
				}
			}
		})
	}
}

func without(m map[string]string, keys ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for _, k := range keys {
		delete(out, k)
	}
	return out
}

// scenarioFile writes a scenario for newTestEnv.
func scenarioFile(t *testing.T, yaml string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "scenario.yaml")
	if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOrganizationActiveCertificates: a lapsed validation counts the unexpired certificates
// of its organization whose product needs that validation type, and only those.
func TestOrganizationActiveCertificates(t *testing.T) {
	env := newTestEnv(t, scenarioFile(t, `
users: [{username: a@example.com, role: Administrator, last_login: 1h ago}]
organizations:
  - name: Example Corp
    validations: [{type: ov, expires: in 100d}]
  - name: Lapsed EV Inc
    validations: [{type: ov, expires: in 100d}, {type: ev, expires: 2d ago}]
  - name: Lapsed OV Ltd
    validations: [{type: ov, expires: 1d ago}, {type: ev, status: pending}]
  - name: Gone Corp
    active: false
    validations: [{type: ov, expires: 100d ago}]
orders:
  - {common_name: ev1.example, product: ssl_ev_basic, expires: in 50d, organization: Lapsed EV Inc}
  - {common_name: ov1.example, product: ssl_plus, expires: in 50d, organization: Lapsed EV Inc}
  - {common_name: ev-expired.example, product: ssl_ev_basic, expires: 3d ago, organization: Lapsed EV Inc}
  - {common_name: ev-pending.example, product: ssl_ev_basic, status: pending, organization: Lapsed EV Inc}
  - {common_name: ov2.example, product: ssl_multi_domain, expires: in 20d, organization: Lapsed OV Ltd}
  - {common_name: ov3.example, product: ssl_wildcard, expires: in 90d, organization: Lapsed OV Ltd}
  - {common_name: dv.example, product: ssl_dv_geotrust, expires: in 90d, organization: Lapsed OV Ltd}
  - {common_name: cs.example, product: code_signing, expires: in 90d, organization: Lapsed OV Ltd}
  - {common_name: gone.example, product: ssl_plus, expires: in 90d, organization: Gone Corp}
`))
	text := scrapeText(t, env.exporter(t, []string{"organizations", "orders"}))
	got := sampleValues(text, "certcentral_organization_active_certificates{")
	want := map[string]string{
		`certcentral_organization_active_certificates{organization="Lapsed EV Inc",organization_id="612346",validation_type="ev"}`: "1",
		`certcentral_organization_active_certificates{organization="Lapsed OV Ltd",organization_id="612347",validation_type="ov"}`: "2",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if v := sampleValues(text, `certcentral_issuance_blockers{reason="organization_validation_expired"}`); len(v) != 1 ||
		v[`certcentral_issuance_blockers{reason="organization_validation_expired"}`] != "2" {
		t.Errorf("two lapsed validations of active organizations: %v", v)
	}
	// Without the orders the join is absent, not 0.
	text = scrapeText(t, env.exporter(t, []string{"organizations"}))
	if strings.Contains(text, "certcentral_organization_active_certificates{") {
		t.Error("organization_active_certificates without the orders collector")
	}
}

// TestAPIKeyOwners: the owner's role and status come from the users collector; a user who is
// not (or no longer) among the users is unknown; without the users collector there is no owner
// series at all.
func TestAPIKeyOwners(t *testing.T) {
	env := newTestEnv(t, "demo")
	text := scrapeText(t, env.exporter(t, []string{"api_keys", "users"}))
	owners := sampleValues(text, "certcentral_api_key_owner_info{")
	for _, want := range []string{
		`certcentral_api_key_owner_info{key_id="41002",name="Terraform",owner_id="2700001",owner_role="Administrator",owner_status="active"}`,
		`certcentral_api_key_owner_info{key_id="41004",name="Reporting script",owner_id="2700011",owner_role="Manager",owner_status="inactive"}`,
		`certcentral_api_key_owner_info{key_id="41006",name="Legacy integration",owner_id="2799999",owner_role="unknown",owner_status="unknown"}`,
	} {
		if owners[want] != "1" {
			t.Errorf("missing %s in\n%v", want, owners)
		}
	}
	if len(owners) != 8 {
		t.Errorf("%d owner series, want one per key (8)", len(owners))
	}
	if text := scrapeText(t, env.exporter(t, []string{"api_keys"})); strings.Contains(text, "certcentral_api_key_owner_info{") {
		t.Error("owner series without the users collector")
	}
}

// fixedList serves body for every request to path and 404 for the rest.
func fixedList(t *testing.T, path, body string) *certcentral.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/services/v2"+path {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c, err := certcentral.New(certcentral.Config{BaseURL: srv.URL + "/services/v2", APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRequestsBoundedAndFiltered: request types from the API cannot explode the series (the
// 51st distinct one is "other"), an answer that ignored the status filter counts only pending
// requests, and the per-request cap keeps the oldest.
func TestRequestsBoundedAndFiltered(t *testing.T) {
	var items []string
	for i := range 120 {
		items = append(items, fmt.Sprintf(`{"id":%d,"date":"2026-11-%02dT00:00:00+00:00","type":"type_%d","status":"pending","order":{"product":{"name_id":"ssl_plus"}}}`,
			i+1, 1+i%20, i))
	}
	items = append(items, `{"id":500,"date":"2020-01-01T00:00:00+00:00","type":"new_request","status":"approved"}`)
	body := `{"requests":[` + strings.Join(items, ",") + `]}`
	exp, err := NewExporter(Config{Client: fixedList(t, "/request", body), Enabled: []string{"requests"}, Now: func() time.Time { return goldenNow },
		Options: Options{Requests: RequestsOptions{MaxRequests: 10}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(exp.Close)
	text := scrapeText(t, exp)
	pending := sampleValues(text, "certcentral_requests_pending{")
	if len(pending) != maxLabelValues+1 || pending[`certcentral_requests_pending{product="ssl_plus",type="other"}`] != "70" {
		t.Errorf("%d series (want %d), other = %s", len(pending), maxLabelValues+1, pending[`certcentral_requests_pending{product="ssl_plus",type="other"}`])
	}
	if v := sampleValues(text, `certcentral_issuance_blockers{reason="approval_pending"}`); v[`certcentral_issuance_blockers{reason="approval_pending"}`] != "120" {
		t.Errorf("the approved request was counted as pending: %v", v)
	}
	if !strings.Contains(text, "certcentral_requests_oldest_pending_timestamp_seconds 1.7934912e+09") { // 2026-11-01: not the approved one of 2020
		t.Errorf("oldest pending:\n%s", sampleValues(text, "certcentral_requests_oldest"))
	}
	if n := len(sampleValues(text, "certcentral_request_pending_since_timestamp_seconds{")); n != 10 ||
		!strings.Contains(text, `certcentral_collector_items_dropped{collector="requests"} 110`) {
		t.Errorf("%d per-request series kept, want 10 and 110 dropped", n)
	}
}

// TestPerItemCaps: organizations and keys keep the most urgent under their caps and count
// the rest as dropped.
func TestPerItemCaps(t *testing.T) {
	env := newTestEnv(t, "demo")
	text := scrapeText(t, env.exporter(t, []string{"organizations", "api_keys"}, func(c *Config) {
		c.Options.Organizations.MaxOrganizations, c.Options.APIKeys.MaxKeys = 1, 2
	}))
	if infos := sampleValues(text, "certcentral_organization_info{"); len(infos) != 1 ||
		infos[`certcentral_organization_info{division="Example Corp",organization="Example Retail LLC",organization_id="612348",status="active"}`] != "1" {
		t.Errorf("the organization kept under a cap of 1 must be the one whose validation lapsed: %v", infos)
	}
	keys := sampleValues(text, "certcentral_api_key_info{")
	if len(keys) != 2 || !strings.Contains(fmt.Sprint(keys), `name="Legacy integration"`) || !strings.Contains(fmt.Sprint(keys), `name="Terraform"`) {
		t.Errorf("the keys kept under a cap of 2 must be the active unrestricted ones: %v", keys)
	}
	for collector, n := range map[string]int{"organizations": 2, "api_keys": 6} {
		if want := fmt.Sprintf(`certcentral_collector_items_dropped{collector=%q} %d`, collector, n); !strings.Contains(text, want) {
			t.Errorf("missing %s", want)
		}
	}
	// The counts still cover everything.
	if v := sampleValues(text, `certcentral_api_keys{restriction="view_only",status="active"}`); v[`certcentral_api_keys{restriction="view_only",status="active"}`] != "3" {
		t.Errorf("counts must cover every key: %v", v)
	}
}

// demoACMEURL is the ACME directory URL of the demo account, which the simulator sends whole.
const demoACMEURL = "https://acme.digicert.com/v2/acme/directory/DemoAcmeSecret7f3c9b1e5d2a"

// TestACMEURLNeverShown: the demo's ACME directory URL reaches the exporter whole, and
// appears neither in the exposition nor in the status nor in any log line, also when the
// answer around it breaks.
func TestACMEURLNeverShown(t *testing.T) {
	ds, err := simulator.Scenario("demo", goldenNow)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, k := range ds.APIKeys {
		found = found || (k.ACME != nil && k.ACME.URL == demoACMEURL)
	}
	if !found {
		t.Fatal("the demo account no longer has the ACME URL this test looks for")
	}
	token := demoACMEURL[strings.LastIndexByte(demoACMEURL, '/')+1:]
	for _, mangle := range []struct {
		name string
		edit func(string) string
	}{
		{"as sent", func(s string) string { return s }},
		{"URL of the wrong type", func(s string) string {
			return strings.Replace(s, `"acme_directory_url":"`+demoACMEURL+`"`, `"acme_directory_url":{"url":"`+demoACMEURL+`"}`, 1)
		}},
		{"item cut after the URL", func(s string) string { return s[:strings.Index(s, demoACMEURL)+len(demoACMEURL)+2] }},
		{"broken JSON right after the URL", func(s string) string {
			return strings.Replace(s, demoACMEURL+`"`, demoACMEURL+`" "`+demoACMEURL+`"`, 1)
		}},
	} {
		t.Run(mangle.name, func(t *testing.T) {
			var logs strings.Builder
			env := newTestEnv(t, "demo")
			srv := httptest.NewServer(rewriteBody(env.sim, "/services/v2/key", mangle.edit))
			t.Cleanup(srv.Close)
			client, err := certcentral.New(certcentral.Config{BaseURL: srv.URL + "/services/v2", APIKey: testKey})
			if err != nil {
				t.Fatal(err)
			}
			env.client = client
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/services/v2/key", nil)
			req.Header.Set("X-DC-DEVKEY", testKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(raw), token) {
				t.Fatalf("the answer to GET /key does not carry the URL, so this test proves nothing:\n%s", raw)
			}
			exp := env.exporter(t, collectorNames(), func(c *Config) {
				c.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			})
			text := scrapeText(t, exp)
			seen := text + fmt.Sprintf("%+v", exp.Status()) + logs.String()
			if strings.Contains(seen, token) || strings.Contains(seen, "acme.digicert.com") {
				i := strings.Index(seen, token)
				t.Errorf("the ACME directory URL is shown: ...%s...", seen[max(0, i-200):min(len(seen), i+100)])
			}
			if mangle.name == "as sent" && !strings.Contains(text, `certcentral_acme_directories{product="ssl_plus",status="active"} 1`) {
				t.Error("the ACME entry is not counted")
			}
		})
	}
}

// rewriteBody passes requests to next and rewrites the body of answers to path.
func rewriteBody(next http.Handler, path string, edit func(string) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.String()
		if r.URL.Path == path {
			body = edit(body)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write([]byte(body))
	})
}

// TestNoProduct: a product of unexpired certificates that the account can no longer order is
// a blocker; an order without a product name is not (there is nothing to look up).
func TestNoProduct(t *testing.T) {
	o := newOrderFacts()
	for _, order := range []certcentral.Order{
		{Status: "issued", ProductNameID: "ssl_plus", ValidTill: goldenNow.Add(time.Hour)},
		{Status: "issued", ProductNameID: "ssl_basic", ValidTill: goldenNow.Add(time.Hour)},     // no longer orderable
		{Status: "issued", ProductNameID: "ssl_basic", ValidTill: goldenNow.Add(2 * time.Hour)}, // the same product again
		{Status: "issued", ProductNameID: "ssl_legacy", ValidTill: goldenNow.Add(-time.Hour)},   // expired: renews nothing
		{Status: "issued", ProductNameID: "", ValidTill: goldenNow.Add(time.Hour)},              // no name
		{Status: "pending", ProductNameID: "code_signing", Created: goldenNow.Add(-time.Hour)},  // not issued
	} {
		o.issuance.note(order, unexpiredCertificate(order, goldenNow), order.Created, goldenNow)
	}
	ch := make(chan prometheus.Metric, 100)
	emitIssuance(constGauges(ch), map[string]any{"orders": o, "products": productFacts{orderable: map[string]bool{"ssl_plus": true}}})
	close(ch)
	found := false
	for m := range ch {
		var d dto.Metric
		if err := m.Write(&d); err != nil {
			t.Fatal(err)
		}
		if l := d.GetLabel(); len(l) == 1 && l[0].GetValue() == blockerNoProduct {
			found = true
			if v := d.GetGauge().GetValue(); v != 1 {
				t.Errorf("no_product = %v, want 1 (ssl_basic)", v)
			}
		}
	}
	if !found {
		t.Error("no no_product reason")
	}
}

// TestItemsWithoutAnIDHaveNoSeries: organizations, API keys and requests without a usable id
// were merged into one series set labelled id "0" (the first one kept, the others silently
// skipped as repeats). As for users and domains, they are counted and named as unparsed, have
// no per-item series, and are counted as dropped; an organization without an id is not joined
// with the orders that have no organization id either.
func TestItemsWithoutAnIDHaveNoSeries(t *testing.T) {
	bodies := map[string]string{
		"/organization": `{"organizations":[
		 {"name":"No Id","status":"active","is_active":true,"validations":[{"type":"ov","status":"active","validated_until":"2026-01-01T00:00:00+00:00"}]},
		 {"id":-5,"name":"Minus Five","status":"active","is_active":true},
		 {"id":7,"name":"Seven","status":"active","is_active":true,"validations":[{"type":"ov","status":"active","validated_until":"2027-01-01T00:00:00+00:00"}]}],"page":{"total":3,"limit":1000,"offset":0}}`,
		"/order/certificate": `{"orders":[{"id":70,"status":"issued","certificate":{"common_name":"a.example","valid_till":"2027-06-01"},
		 "product":{"name_id":"ssl_plus"}}],"page":{"total":1,"limit":1000,"offset":0}}`,
		"/key": `{"api_keys":[{"name":"No Id","status":"active","restricted_to_role_id":0},{"id":-5,"name":"Minus Five","status":"active","restricted_to_role_id":0},
		 {"id":7,"name":"Seven","status":"active","restricted_to_role_id":0}]}`,
		"/request": `{"requests":[{"date":"2026-11-01T00:00:00+00:00","type":"new_request","status":"pending"},
		 {"id":-5,"date":"2026-11-02T00:00:00+00:00","type":"new_request","status":"pending"},
		 {"id":7,"date":"2026-11-03T00:00:00+00:00","type":"new_request","status":"pending"}]}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := bodies[strings.TrimPrefix(r.URL.Path, "/services/v2")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c, err := certcentral.New(certcentral.Config{BaseURL: srv.URL + "/services/v2", APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	exp, err := NewExporter(Config{Client: c, Enabled: []string{"organizations", "orders", "api_keys", "requests"}, Now: func() time.Time { return goldenNow }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(exp.Close)
	text := scrapeText(t, exp)
	for _, prefix := range []string{
		"certcentral_organization_info{", "certcentral_organization_validation_status{",
		"certcentral_api_key_info{", "certcentral_api_key_never_used{", "certcentral_request_pending_since_timestamp_seconds{",
	} {
		series := sampleValues(text, prefix)
		if len(series) != 1 || !strings.Contains(fmt.Sprint(series), `id="7"`) {
			t.Errorf("%s: want the one series of id 7, got %v", prefix, series)
		}
	}
	if m := regexp.MustCompile(`.*(organization_id|key_id|request_id)="(0|-5)".*`).FindAllString(text, -1); len(m) > 0 {
		t.Errorf("series for items without an id:\n%s", strings.Join(m, "\n"))
	}
	for _, collector := range []string{"organizations", "api_keys", "requests"} {
		for _, want := range []string{
			fmt.Sprintf(`certcentral_collector_unparsed_values{collector=%q,field="id"} 2`, collector),
			fmt.Sprintf(`certcentral_collector_items_dropped{collector=%q} 2`, collector),
		} {
			if !strings.Contains(text, want) {
				t.Errorf("missing %s", want)
			}
		}
	}
	// The counts still cover every item, and the lapsed validation still blocks issuance.
	for want, v := range map[string]string{
		`certcentral_organizations{status="active"}`:                              "3",
		`certcentral_api_keys{restriction="none",status="active"}`:                "3",
		`certcentral_issuance_blockers{reason="approval_pending"}`:                "3",
		`certcentral_issuance_blockers{reason="organization_validation_expired"}`: "1",
	} {
		if got := sampleValues(text, want)[want]; got != v {
			t.Errorf("%s = %q, want %s", want, got, v)
		}
	}
	if s := sampleValues(text, "certcentral_organization_active_certificates{"); len(s) != 0 {
		t.Errorf("an organization without an id was joined with orders without an organization id: %v", s)
	}
}
