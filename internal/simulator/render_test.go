package simulator

import (
	"fmt"
	"net/url"
	"reflect"
	"testing"
	"time"
)

// fixture is a hand-made dataset whose every quirk the tests below check.
func fixture() *Dataset {
	acct := defaultAccount()
	at := func(s string) *time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			panic(err)
		}
		return &t
	}
	base := User{Status: "active", Type: "standard", ContainerID: acct.RootContainerID, ContainerName: acct.RootContainerName}
	u := func(id int, name string, role int, login *time.Time, legacy bool, job, tel string) User {
		x := base
		x.ID, x.Username, x.Email, x.FirstName, x.LastName = id, name, name, "F", "L"
		x.RoleIDs, x.LastLogin, x.LastLoginLegacyFormat, x.JobTitle, x.Telephone = []int{role}, login, legacy, job, tel
		return x
	}
	return &Dataset{
		Account:    acct,
		KeyOwnerID: 10,
		Users: []User{
			u(10, "admin@example.com", RoleAdministrator, at("2023-10-13T15:15:13Z"), false, "CISO", "+542994674262"),
			// 21:47:26 UTC on 2020-05-01 is 15:47:26 MDT: the 2020 recording.
			u(11, "legacy@example.com", RoleManager, at("2020-05-01T21:47:26Z"), true, "", ""),
			u(12, "never@example.com", RoleFinanceManager, nil, false, "", ""),
			u(13, "std@example.com", RoleStandardUser, at("2024-01-01T00:00:00Z"), false, "", ""),
		},
		Domains: []Domain{
			// Expires 05:00 UTC on the 15th = 22:00 MST on the 14th.
			{ID: 1, Name: "winter.example.com", IsActive: true, Created: *at("2023-01-01T10:00:00Z"), DCVMethod: "email",
				OrgID: 5, OrgName: "Org", OrgActive: true, OVExpiry: at("2025-01-15T05:00:00Z"), EVExpiry: at("2024-07-01T12:00:00Z"),
				DCVApproved: at("2023-12-14T05:00:00Z")},
			{ID: 2, Name: "pending.example.com", IsActive: true, Created: *at("2024-03-07T10:00:00Z"), DCVMethod: "dns-txt-token",
				OrgID: 6, OrgName: "Gone Org", OrgActive: false},
			{ID: 3, Name: "lapsed.example.com", IsActive: false, Created: *at("2022-01-01T10:00:00Z"), DCVMethod: "email",
				OrgID: 5, OrgName: "Org", OrgActive: true, OVExpiry: at("2024-02-01T18:00:00Z")},
		},
		Products: Catalog(),
		Balance:  Balance{Balance: 45400, UnpaidInvoice: 0, NegativeBalanceLimit: 200000, Currency: "USD"},
		Orders: []Order{
			{ID: 100, Status: "issued", CommonName: "winter.example.com", DNSNames: []string{"winter.example.com"},
				ProductNameID: "ssl_plus", ProductName: "Standard SSL", ProductType: "ssl_certificate",
				ValidFrom: at("2023-06-15T00:00:00Z"), ValidTill: at("2024-07-15T23:59:59Z"), Created: *at("2023-06-14T17:29:56Z"),
				OrgID: 5, OrgName: "Org", Price: 293, CertificateID: 200, SerialNumber: "0ABC", ValidityYears: 1, MultiYearPlan: true},
			{ID: 101, Status: "pending", CommonName: "pending.example.com", ProductNameID: "ssl_plus",
				Created: *at("2024-03-08T00:00:00Z"), CertificateID: 201, ValidityYears: 1},
			{ID: 102, Status: "issued", CommonName: "old.example.com", DNSNames: []string{"old.example.com"},
				ValidFrom: at("2022-01-01T00:00:00Z"), ValidTill: at("2023-02-01T23:59:59Z"), Created: *at("2021-12-31T00:00:00Z"),
				CertificateID: 202, SerialNumber: "0DEF", ValidityYears: 1, NoPrice: true, PlanValidTill: at("2023-12-31T23:59:59Z")},
		},
	}
}

func TestPagination(t *testing.T) {
	_, hs := newTestServer(t, Options{Dataset: Generate(7, Sizes{Users: 2500}, testNow)})
	cases := []struct {
		query                 string
		wantLen               int
		wantLimit, wantOffset int
		wantKeyAbsent         bool
		firstID               int
	}{
		{"", 1000, 1000, 0, false, userIDBase + 1},
		{"?limit=5000", 1000, 1000, 0, false, userIDBase + 1},
		{"?limit=0", 1000, 1000, 0, false, userIDBase + 1},
		{"?limit=abc&offset=-4", 1000, 1000, 0, false, userIDBase + 1},
		{"?limit=500", 500, 500, 0, false, userIDBase + 1},
		{"?limit=1000&offset=2000", 500, 1000, 2000, false, userIDBase + 2001},
		{"?offset=2499&limit=10", 1, 10, 2499, false, userIDBase + 2500},
		{"?offset=2500", 0, 1000, 2500, true, 0},
		{"?offset=9000&limit=1", 0, 1, 9000, true, 0},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			r := get(t, hs, "/services/v2/user"+c.query)
			m := decode(t, r.body)
			page := m["page"].(map[string]any)
			want := map[string]any{"total": 2500.0, "limit": float64(c.wantLimit), "offset": float64(c.wantOffset)}
			if !reflect.DeepEqual(page, want) {
				t.Errorf("page = %v, want %v", page, want)
			}
			if c.wantKeyAbsent {
				if _, ok := m["users"]; ok {
					t.Fatalf("empty page must omit the users key: %s", r.body)
				}
				return
			}
			users := list(t, m, "users")
			if len(users) != c.wantLen {
				t.Fatalf("len = %d, want %d", len(users), c.wantLen)
			}
			if id := int(users[0]["id"].(float64)); id != c.firstID {
				t.Errorf("first id = %d, want %d", id, c.firstID)
			}
		})
	}

	// Walking the pages the recommended way sees every user exactly once, in id order.
	seen, prev := 0, 0
	for offset := 0; ; {
		m := decode(t, get(t, hs, fmt.Sprintf("/services/v2/user?limit=1000&offset=%d", offset)).body)
		if _, ok := m["users"]; !ok {
			break
		}
		for _, u := range list(t, m, "users") {
			id := int(u["id"].(float64))
			if id <= prev {
				t.Fatalf("ids not increasing: %d after %d", id, prev)
			}
			prev = id
			seen++
			offset++
		}
	}
	if seen != 2500 {
		t.Errorf("walked %d users, want 2500", seen)
	}
}

func TestEmptyCollectionsOmitKey(t *testing.T) {
	_, hs := newTestServer(t, Options{Dataset: &Dataset{Account: defaultAccount(), KeyOwnerID: 1,
		Users: []User{{ID: 1, Username: "a", RoleIDs: []int{RoleAdministrator}}}}})
	for path, key := range map[string]string{"/domain": "domains", "/order/certificate": "orders", "/user?access_role_id=3": "users"} {
		r := get(t, hs, "/services/v2"+path)
		m := decode(t, r.body)
		if _, ok := m[key]; ok {
			t.Errorf("%s: key %q present on empty page: %s", path, key, r.body)
		}
		if _, ok := m["page"]; !ok {
			t.Errorf("%s: page missing: %s", path, r.body)
		}
	}
	// Products are not paginated and always carry the array.
	m := decode(t, get(t, hs, "/services/v2/product").body)
	if _, ok := m["page"]; ok {
		t.Error("/product must not have a page object")
	}
	if p, ok := m["products"].([]any); !ok || len(p) != 0 {
		t.Errorf("products = %v, want []", m["products"])
	}
}

func TestUserQuirks(t *testing.T) {
	_, hs := newTestServer(t, Options{Dataset: fixture()})
	r := get(t, hs, "/services/v2/user")
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json without charset", ct)
	}
	users := list(t, decode(t, r.body), "users")
	byName := map[string]map[string]any{}
	for _, u := range users {
		byName[u["username"].(string)] = u
	}
	admin := byName["admin@example.com"]
	if got := admin["last_login_date"]; got != "2023-10-13T15:15:13+00:00" {
		t.Errorf("RFC 3339 last_login_date = %v", got)
	}
	if admin["job_title"] != "CISO" || admin["telephone"] != "+542994674262" {
		t.Errorf("job_title/telephone = %v/%v", admin["job_title"], admin["telephone"])
	}
	if roles := admin["access_roles"]; !reflect.DeepEqual(roles, []any{map[string]any{"id": 1.0, "name": "Administrator"}}) {
		t.Errorf("access_roles = %v", roles)
	}
	if admin["account_id"] != float64(defaultAccount().ID) || admin["type"] != "standard" || admin["status"] != "active" {
		t.Errorf("account_id/type/status wrong: %v", admin)
	}
	if got := byName["legacy@example.com"]["last_login_date"]; got != "2020-05-01 15:47:26" {
		t.Errorf("legacy last_login_date = %v, want Mountain wall clock 2020-05-01 15:47:26", got)
	}
	never := byName["never@example.com"]
	for _, k := range []string{"last_login_date", "job_title", "telephone"} {
		if _, ok := never[k]; ok {
			t.Errorf("never-signed-in user has key %q", k)
		}
	}
	if _, ok := never["container"]; !ok {
		t.Error("container missing")
	}

	// access_role_id filters, without_container drops the container.
	m := decode(t, get(t, hs, "/services/v2/user?access_role_id=3&without_container=true").body)
	us := list(t, m, "users")
	if len(us) != 1 || us[0]["username"] != "never@example.com" {
		t.Fatalf("access_role_id=3 gave %v", us)
	}
	if _, ok := us[0]["container"]; ok {
		t.Error("without_container=true kept the container")
	}

	// /user/me is the key owner with user-info extras.
	me := decode(t, get(t, hs, "/services/v2/user/me").body)
	if me["id"] != 10.0 || me["is_saml_sso_only"] != false || me["is_cert_central"] != true {
		t.Errorf("/user/me = %v", me)
	}
}

func TestDomainQuirks(t *testing.T) {
	_, hs := newTestServer(t, Options{Dataset: fixture()})
	domains := list(t, decode(t, get(t, hs, "/services/v2/domain").body), "domains")
	if len(domains) != 3 {
		t.Fatalf("got %d domains", len(domains))
	}
	winter, pending, lapsed := domains[0], domains[1], domains[2]

	// Denver dates: 2025-01-15T05:00Z is still the 14th in Denver.
	wantExp := map[string]any{"ov": "2025-01-14", "ev": "2024-07-01"}
	if !reflect.DeepEqual(winter["dcv_expiration"], wantExp) {
		t.Errorf("dcv_expiration = %v, want %v", winter["dcv_expiration"], wantExp)
	}
	if org := winter["organization"].(map[string]any); org["is_active"] != "1" || org["status"] != "active" {
		t.Errorf("organization = %v, want is_active \"1\"", org)
	}
	vals := winter["validations"].([]any)
	wantVals := []any{
		map[string]any{"type": "ov", "name": "OV", "description": "Normal Organization Validation",
			"date_created": "2023-12-14T05:00:00+00:00", "validated_until": "2025-01-14T07:00:00+00:00", "status": "active"},
		map[string]any{"type": "ev", "name": "EV", "description": "Extended Organization Validation",
			"date_created": "2023-12-14T05:00:00+00:00", "validated_until": "2024-07-01T06:00:00+00:00", "status": "active"},
	}
	if !reflect.DeepEqual(vals, wantVals) {
		t.Errorf("validations = %v\nwant %v", vals, wantVals)
	}
	if winter["date_created"] != "2023-01-01T10:00:00+00:00" || winter["dcv_expiration_datetime"] != "2025-01-15T05:00:00+00:00" {
		t.Errorf("date_created/dcv_expiration_datetime = %v / %v", winter["date_created"], winter["dcv_expiration_datetime"])
	}

	// Never validated: neither dcv_expiration nor validations nor the *_datetime extras.
	for _, k := range []string{"dcv_expiration", "validations", "dcv_approval_datetime", "dcv_expiration_datetime"} {
		if _, ok := pending[k]; ok {
			t.Errorf("never-validated domain has %q", k)
		}
	}
	if pending["organization"].(map[string]any)["is_active"] != "0" {
		t.Errorf("inactive org is_active = %v, want \"0\"", pending["organization"])
	}

	// Lapsed: dcv_expiration keeps the past date, validations are gone.
	if _, ok := lapsed["validations"]; ok {
		t.Error("lapsed domain still lists validations")
	}
	if !reflect.DeepEqual(lapsed["dcv_expiration"], map[string]any{"ov": "2024-02-01"}) {
		t.Errorf("lapsed dcv_expiration = %v", lapsed["dcv_expiration"])
	}

	// include_dcv_expiration_time switches to UTC datetimes.
	d := list(t, decode(t, get(t, hs, "/services/v2/domain?include_dcv_expiration_time=true&limit=1").body), "domains")[0]
	wantExp = map[string]any{"ov": "2025-01-15T05:00:00+00:00", "ev": "2024-07-01T12:00:00+00:00"}
	if !reflect.DeepEqual(d["dcv_expiration"], wantExp) {
		t.Errorf("with time: dcv_expiration = %v, want %v", d["dcv_expiration"], wantExp)
	}

	// filters[status], raw and percent-encoded brackets.
	for _, q := range []string{"filters[status]=inactive", "filters%5Bstatus%5D=inactive", url.Values{"filters[status]": {"inactive"}}.Encode()} {
		ds := list(t, decode(t, get(t, hs, "/services/v2/domain?"+q).body), "domains")
		if len(ds) != 1 || ds[0]["name"] != "lapsed.example.com" {
			t.Errorf("%s: got %v", q, ds)
		}
	}
	m := decode(t, get(t, hs, "/services/v2/domain?filters[status]=active").body)
	if n := m["page"].(map[string]any)["total"]; n != 2.0 {
		t.Errorf("active total = %v, want 2", n)
	}

	// Reuse status extras on request.
	d = list(t, decode(t, get(t, hs, "/services/v2/domain?filters[include_validation_reuse_status]=true&limit=1").body), "domains")[0]
	exp := d["dcv_expiration"].(map[string]any)
	if exp["ov_status"] != "valid" || exp["ev_status"] != "valid" || exp["dcv_approval_date"] != "2023-12-13" {
		t.Errorf("reuse status = %v", exp)
	}
}

func TestBalanceQuirks(t *testing.T) {
	ds := fixture()
	s, hs := newTestServer(t, Options{Dataset: ds})
	got := decode(t, get(t, hs, "/services/v2/finance/balance").body)
	want := map[string]any{"balance": "454.00", "currency": "USD", "unpaid_invoice_balance": "0.00",
		"negative_balance_limit": "2000.00", "used_credit_from_other_containers": "0.00", "total_available_funds": "2454.00"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("balance = %v\nwant %v", got, want)
	}

	ds.Balance = Balance{Balance: -100070, UnpaidInvoice: 1000, UsedCreditFromOtherContainers: 5, Currency: "EUR", Unlimited: true}
	s.SetDataset(ds)
	got = decode(t, get(t, hs, "/services/v2/finance/balance").body)
	want = map[string]any{"balance": "-1000.70", "currency": "EUR", "unpaid_invoice_balance": "10.00",
		"used_credit_from_other_containers": "0.05", "unlimited_negative_balance": true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("unlimited balance = %v\nwant %v", got, want)
	}

	acct := decode(t, get(t, hs, "/services/v2/account").body)
	if acct["ent_support_plan"] != "1" || acct["id"] != float64(defaultAccount().ID) {
		t.Errorf("account = %v", acct)
	}
}

func TestOrderQuirks(t *testing.T) {
	_, hs := newTestServer(t, Options{Dataset: fixture()})
	orders := list(t, decode(t, get(t, hs, "/services/v2/order/certificate").body), "orders")
	if len(orders) != 3 {
		t.Fatalf("got %d orders", len(orders))
	}
	issued, pending := orders[0], orders[1]
	cert := issued["certificate"].(map[string]any)
	if cert["valid_till"] != "2024-07-15" || cert["valid_from"] != "2023-06-15" || cert["serial_number"] != "0ABC" {
		t.Errorf("certificate = %v", cert)
	}
	// 2024-03-10 -> 2024-07-15 is 127 calendar days.
	if cert["days_remaining"] != 127.0 {
		t.Errorf("days_remaining = %v, want 127", cert["days_remaining"])
	}
	if issued["date_created"] != "2023-06-14T17:29:56+00:00" || issued["is_multi_year_plan"] != "1" || issued["price"] != 293.0 {
		t.Errorf("order = %v", issued)
	}
	pc := pending["certificate"].(map[string]any)
	for _, k := range []string{"valid_from", "valid_till", "days_remaining", "serial_number"} {
		if _, ok := pc[k]; ok {
			t.Errorf("pending order's certificate has %q", k)
		}
	}
	if pending["is_multi_year_plan"] != "0" || !reflect.DeepEqual(pc["dns_names"], []any{}) {
		t.Errorf("pending order = %v", pending)
	}
	// A Multi-year Plan runs three years from its certificate's start unless told; an annual
	// plan's end is its own; an order without a price has no price key.
	if issued["order_valid_till"] != "2026-06-15" {
		t.Errorf("multi-year order_valid_till = %v", issued["order_valid_till"])
	}
	if plan := orders[2]; plan["order_valid_till"] != "2023-12-31" || plan["price"] != nil {
		t.Errorf("annual plan without a price = %v", plan)
	}
	if _, ok := orders[2]["price"]; ok {
		t.Error("an order without a price still sends the key")
	}

	cases := []struct {
		query string
		ids   []float64
	}{
		{"filters[status]=issued", []float64{100, 102}},
		{"filters[status]=pending", []float64{101}},
		{"filters[status]=revoked", nil},
		{"filters[valid_till]=>2024-03-10", []float64{100}},
		{"filters%5Bvalid_till%5D=%3E2024-03-10", []float64{100}},
		{"filters[status]=issued&filters[valid_till]=>2000-01-01&sort=-date_created", []float64{100, 102}},
		{"filters[valid_till]=<2024-01-01", []float64{102}},
		// The newest order, as the exporter's check for new orders asks.
		{"sort=-date_created&limit=1", []float64{101}},
		{"sort=-date_created&limit=1&offset=1", []float64{100}},
		{"sort=date_created", []float64{102, 100, 101}},
		{"sort=-id", []float64{102, 101, 100}},
		{"sort=common_name", []float64{100, 101, 102}}, // a key the simulator does not sort by
		{"filters[valid_till]=2023-01-01+00:00:00...2023-12-31+00:00:00", []float64{102}},
	}
	for _, c := range cases {
		m := decode(t, get(t, hs, "/services/v2/order/certificate?"+c.query).body)
		var ids []float64
		if _, ok := m["orders"]; ok {
			for _, o := range list(t, m, "orders") {
				ids = append(ids, o["id"].(float64))
			}
		}
		if !reflect.DeepEqual(ids, c.ids) {
			t.Errorf("%s: ids %v, want %v", c.query, ids, c.ids)
		}
	}
}

func TestUnknownPathIs404(t *testing.T) {
	_, hs := newTestServer(t, Options{Dataset: fixture()})
	for _, p := range []string{"/services/v2/nope", "/services/v2/user/12", "/services/v2/", "/v2/user"} {
		r := get(t, hs, p)
		if r.status != 404 || string(r.body) != `{"errors":[{"code":"not_found|route","message":"The requested route was not found."}]}` {
			t.Errorf("%s: %d %s", p, r.status, r.body)
		}
	}
}
