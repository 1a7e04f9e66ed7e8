package simulator

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestIssuancePermissionMatrix: who may read organizations, requests and keys, by key
// restriction (glossary: API key roles) and by the linked user's role.
func TestIssuancePermissionMatrix(t *testing.T) {
	keys := []Key{
		{Value: "none-admin", UserID: 10, Restriction: RestrictionNone},
		{Value: "vo-admin", UserID: 10, Restriction: RestrictionViewOnly},
		{Value: "vo-manager", UserID: 11, Restriction: RestrictionViewOnly},
		{Value: "vo-finance", UserID: 12, Restriction: RestrictionViewOnly},
		{Value: "vo-standard", UserID: 13, Restriction: RestrictionViewOnly},
		{Value: "orders-admin", UserID: 10, Restriction: RestrictionOrders},
		{Value: "odo-admin", UserID: 10, Restriction: RestrictionOrdersDomainsOrganizations},
		{Value: "um-admin", UserID: 10, Restriction: RestrictionUserManagement},
	}
	_, hs := newTestServer(t, Options{Dataset: fixture(), Keys: keys})
	// organization, request, key: y = 200, n = 403 missing_permission
	matrix := map[string]string{
		"none-admin": "yyy", "vo-admin": "yyy", "vo-manager": "yyn", "vo-finance": "nnn", "vo-standard": "nnn",
		"orders-admin": "nyn", "odo-admin": "yyn", "um-admin": "nnn",
	}
	for key, want := range matrix {
		for i, ep := range []string{EndpointOrganization, EndpointRequest, EndpointKey} {
			r := doReq(t, hs, http.MethodGet, "/services/v2"+ep, key)
			ok := r.status == 200
			if want[i] == 'n' {
				ok = r.status == 403 && strings.Contains(string(r.body), missingPermissionCode)
			}
			if !ok {
				t.Errorf("key %s %s: want %c, got %d %s", key, ep, want[i], r.status, r.body)
			}
		}
	}
}

func TestOrganizationQuirks(t *testing.T) {
	_, hs := newTestServer(t, Options{})
	orgs := list(t, decode(t, get(t, hs, "/services/v2/organization?include_validation=true").body), "organizations")
	byName := map[string]map[string]any{}
	for _, o := range orgs {
		byName[o["name"].(string)] = o
	}
	if len(orgs) != 4 {
		t.Fatalf("%d organizations, want the demo's 4", len(orgs))
	}
	if europe := byName["Example Europe GmbH"]; europe["is_active"] != "1" {
		t.Errorf(`is_active of an organization with is_active_format string: %v, want "1"`, europe["is_active"])
	}
	if corp := byName["Example Corp"]; corp["is_active"] != true || corp["status"] != "active" {
		t.Errorf("the documented shape is a bool: %v", corp)
	}
	if old := byName["Old Subsidiary Ltd"]; old["is_active"] != false || old["status"] != "inactive" {
		t.Errorf("inactive organization: %v", old)
	}
	if ids, ok := byName["Example Corp"]["container_id_assignments"].([]any); !ok || len(ids) != 1 || ids[0] != "287754" {
		t.Errorf("container_id_assignments are strings: %v", byName["Example Corp"]["container_id_assignments"])
	}
	if retail := byName["Example Retail LLC"]; retail["display_name"] != "Example Retail LLC (Example Shops)" || retail["assumed_name"] != "Example Shops" {
		t.Errorf("display_name is name + assumed_name: %v", retail)
	}
	vs := list(t, byName["Example Europe GmbH"], "validations")
	ov, ev := vs[0], vs[1]
	// testNow is 2024-03-10 03:30 UTC; OV lapses in 20 days: 2024-03-30 03:30 UTC, still the
	// 29th in Denver, whose midnight is 06:00 UTC (MDT).
	if ov["status"] != "active" || ov["validated_until"] != "2024-03-29T06:00:00+00:00" || ov["name"] != "OV" {
		t.Errorf("dated validation: %v", ov)
	}
	if _, has := ev["validated_until"]; has || ev["status"] != "pending" || ev["date_created"] != nil {
		t.Errorf("a pending validation has no dates: %v", ev)
	}
	if users, ok := ev["verified_users"].([]any); !ok || len(users) != 1 {
		t.Errorf("EV validations list their verified users: %v", ev)
	}
	if lapsed := list(t, byName["Example Retail LLC"], "validations")[0]; lapsed["status"] != "expired" {
		t.Errorf("a validation whose date passed: %v", lapsed)
	}
	// Without include_validation (the default) there are no validations at all.
	for _, o := range list(t, decode(t, get(t, hs, "/services/v2/organization").body), "organizations") {
		if _, has := o["validations"]; has {
			t.Errorf("validations without include_validation=true: %v", o)
		}
	}
	inactive := list(t, decode(t, get(t, hs, "/services/v2/organization?filters[status]=inactive").body), "organizations")
	if len(inactive) != 1 || inactive[0]["name"] != "Old Subsidiary Ltd" {
		t.Errorf("filters[status]=inactive: %v", inactive)
	}
}

func TestRequestQuirks(t *testing.T) {
	_, hs := newTestServer(t, Options{})
	m := decode(t, get(t, hs, "/services/v2/request?filters[status]=pending&limit=2&offset=0").body)
	page := m["page"].(map[string]any)
	if page["limit"] != float64(0) || page["total"] != float64(3) || page["offset"] != float64(0) {
		t.Errorf("page %v: limit is 0 whatever was asked, as in the documentation's example", page)
	}
	first := list(t, m, "requests")
	if len(first) != 2 {
		t.Fatalf("%d requests on a page of 2", len(first))
	}
	rest := list(t, decode(t, get(t, hs, "/services/v2/request?filters[status]=pending&limit=2&offset=2").body), "requests")
	if len(rest) != 1 {
		t.Fatalf("second page: %d requests, want 1", len(rest))
	}
	anonymous := rest[0]
	if _, has := anonymous["requester"]; has {
		t.Errorf("an anonymous request has no requester: %v", anonymous)
	}
	if _, has := anonymous["order"].(map[string]any)["certificate"]; has {
		t.Errorf("an anonymous request has no order.certificate: %v", anonymous)
	}
	r := first[0]
	if r["type"] != "new_request" || r["status"] != "pending" || r["date"] != "2024-03-06T03:30:00+00:00" ||
		r["requester"].(map[string]any)["email"] != "stan.standard@example.com" {
		t.Errorf("request %v", r)
	}
	all := list(t, decode(t, get(t, hs, "/services/v2/request").body), "requests")
	if len(all) != 4 {
		t.Errorf("without a filter every request is listed: %d", len(all))
	}
}

func TestAPIKeyQuirks(t *testing.T) {
	_, hs := newTestServer(t, Options{})
	m := decode(t, get(t, hs, "/services/v2/key?limit=2&offset=5").body)
	if _, has := m["page"]; has {
		t.Errorf("GET /key has no page object in the documentation's example: %v", m["page"])
	}
	keys := list(t, m, "api_keys")
	if len(keys) != 8 {
		t.Fatalf("%d keys, want every one of the demo's 8 (no paging)", len(keys))
	}
	byName := map[string]map[string]any{}
	for _, k := range keys {
		byName[k["name"].(string)] = k
	}
	if k := byName["Test key"]; k["last_used_date"] != nil {
		t.Errorf("a key never used has no last_used_date: %v", k)
	}
	acme := byName["cert-manager"]
	if acme["acme_directory_url"] == nil || acme["organization_id"] != float64(612345) || acme["validity_years"] != "1" ||
		acme["validity_days"] != "0" || acme["product_name_id"] != "ssl_plus" {
		t.Errorf("ACME entry: %v", acme)
	}
	if k := byName["Legacy integration"]; k["user"].(map[string]any)["id"] != float64(2799999) || k["user"].(map[string]any)["first_name"] != "" {
		t.Errorf("a key of a deleted user keeps the user id, without a name: %v", k)
	}
	if k := byName["Prometheus exporter"]; k["restricted_to_role_id"] != float64(102) {
		t.Errorf("view-only restriction: %v", k)
	}
	mine := list(t, decode(t, get(t, hs, "/services/v2/key?user_id=2700001").body), "api_keys")
	if len(mine) != 3 {
		t.Errorf("user_id filter: %d keys, want Ada's 3", len(mine))
	}
}

func TestScenarioIssuanceErrors(t *testing.T) {
	cases := map[string]struct{ src, want string }{
		"validation without type": {"organizations:\n  - name: X\n    validations: [{expires: in 3d}]", "organizations[0] (X): validations[0]: type is required"},
		"bad validation time":     {"organizations:\n  - name: X\n    validations: [{type: ov, expires: soon}]", "expires"},
		"bad is_active_format":    {"organizations:\n  - name: X\n    is_active_format: int", "is_active_format"},
		"unknown requester":       {"requests:\n  - {date: 1d ago, requester: nobody}", `requests[0] (): user "nobody"`},
		"request without date":    {"requests:\n  - {common_name: a}", "requests[0] (a): date"},
		"unknown restriction":     {"api_keys:\n  - {name: k, restriction: admin}", `unknown key restriction "admin"`},
		"unknown key owner":       {"api_keys:\n  - {name: k, owner: nobody}", `api_keys[0] (k): owner: user "nobody"`},
		"unknown acme product":    {"api_keys:\n  - {name: k, acme: {product: nope}}", `acme: product "nope"`},
		"unknown validation key":  {"organizations:\n  - name: X\n    validations: [{type: ov, until: in 3d}]", "field until not found"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := LoadScenario(strings.NewReader(c.src), testNow)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestScenarioKeyRestrictionIDs(t *testing.T) {
	d, err := LoadScenario(strings.NewReader("users: [{username: a, role: Administrator}]\napi_keys:\n  - {name: k, restriction: \"104\"}\n  - {name: j}"), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if d.APIKeys[0].Restriction != 104 || d.APIKeys[1].Restriction != RestrictionNone || d.APIKeys[1].UserID != d.KeyOwnerID {
		t.Errorf("keys %+v", d.APIKeys)
	}
}

func TestGenerateIssuanceMix(t *testing.T) {
	d := Generate(1, Sizes{Users: 10_000, Domains: 50_000, Orders: 100_000}, testNow)
	if len(d.Organizations) != 43 {
		t.Errorf("%d organizations, want the 3 the orders use and one per 250 users", len(d.Organizations))
	}
	expired, pending := 0, 0
	for _, o := range d.Organizations {
		for _, v := range o.Validations {
			switch v.StatusAt(testNow) {
			case "expired":
				expired++
			case "pending":
				pending++
			}
		}
	}
	if expired < 3 || pending < 1 {
		t.Errorf("validations: %d expired, %d pending: want some of each", expired, pending)
	}
	waiting, oldest := 0, time.Duration(0)
	for _, r := range d.Requests {
		if r.Status == "pending" {
			waiting++
			oldest = max(oldest, testNow.Sub(r.Date))
		}
	}
	if waiting != 500 || len(d.Requests) != 1000 || oldest < 3*day || oldest > 10*day {
		t.Errorf("requests: %d pending of %d, oldest %s", waiting, len(d.Requests), oldest)
	}
	acme, never, unknownOwner := 0, 0, 0
	for _, k := range d.APIKeys {
		if k.ACME != nil {
			acme++
		}
		if k.LastUsed == nil {
			never++
		}
		if d.UserByID(k.UserID) == nil {
			unknownOwner++
		}
	}
	if len(d.APIKeys) != 402 || acme < 50 || never < 20 || unknownOwner < 3 {
		t.Errorf("keys: %d, %d ACME, %d never used, %d of unknown users", len(d.APIKeys), acme, never, unknownOwner)
	}
	// The users, domains and orders of a seed are what they were before the new sections:
	// these come from their own random stream.
	if u := d.Users[1]; u.Username != "quinn.hughes2@example.com" || d.Orders[5].CommonName != "vpn5034.example.com" {
		t.Errorf("user 2 is %s, order 6 %s: the generated data of seed 1 changed", u.Username, d.Orders[5].CommonName)
	}
}
