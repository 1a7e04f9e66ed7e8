package simulator

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseRelTime(t *testing.T) {
	now := testNow
	cases := []struct {
		in   string
		want *time.Time
		err  bool
	}{
		{in: "never", want: nil},
		{in: "now", want: ptr(now)},
		{in: "120d ago", want: ptr(now.Add(-120 * day))},
		{in: "in 20d", want: ptr(now.Add(20 * day))},
		{in: " in 1d12h ", want: ptr(now.Add(36 * time.Hour))},
		{in: "90m ago", want: ptr(now.Add(-90 * time.Minute))},
		{in: "in 30s", want: ptr(now.Add(30 * time.Second))},
		{in: "2024-06-15", want: ptr(time.Date(2024, 6, 15, 0, 0, 0, 0, time.UTC))},
		{in: "2024-06-15T10:00:00Z", want: ptr(time.Date(2024, 6, 15, 10, 0, 0, 0, time.UTC))},
		{in: "120 days ago", err: true},
		{in: "in 5w", err: true},
		{in: "in d", err: true},
		{in: "ago", err: true},
		{in: "yesterday", err: true},
		{in: "in 5", err: true},
	}
	for _, c := range cases {
		got, err := ParseRelTime(c.in, now)
		if (err != nil) != c.err {
			t.Errorf("%q: err = %v", c.in, err)
			continue
		}
		if !c.err && !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %v, want %v", c.in, got, c.want)
		}
	}
}

func TestMoney(t *testing.T) {
	for in, want := range map[string]Money{"454.00": 45400, "-1000.70": -100070, "-1000.7": -100070, "12": 1200, "0.05": 5, "+3.10": 310} {
		got, err := ParseMoney(in)
		if err != nil || got != want {
			t.Errorf("%s: %d %v", in, got, err)
		}
	}
	for _, in := range []string{"", "abc", "1.234", "1.", "-", "1,00"} {
		if _, err := ParseMoney(in); err == nil {
			t.Errorf("%q: want error", in)
		}
	}
	for m, want := range map[Money]string{0: "0.00", 5: "0.05", -5: "-0.05", 45400: "454.00", -100070: "-1000.70"} {
		if m.String() != want {
			t.Errorf("%d: %s, want %s", m, m.String(), want)
		}
	}
}

func TestEmbeddedScenariosLoad(t *testing.T) {
	if got := ScenarioNames(); !reflect.DeepEqual(got, []string{"demo", "demo-eu", "healthy"}) {
		t.Fatalf("ScenarioNames = %v", got)
	}
	for _, n := range ScenarioNames() {
		d, err := Scenario(n, testNow)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if len(d.Users) == 0 || len(d.Domains) == 0 || len(d.Orders) == 0 || d.KeyOwnerID == 0 {
			t.Errorf("%s: empty parts", n)
		}
		if u := d.UserByID(d.KeyOwnerID); u == nil || !u.HasRole(RoleAdministrator) {
			t.Errorf("%s: key owner must be an administrator", n)
		}
	}
}

// days returns how many days from now t is (negative = past).
func days(t time.Time) float64 { return t.Sub(testNow).Hours() / 24 }

func TestDemoScenario(t *testing.T) {
	d, err := Scenario("demo", testNow)
	if err != nil {
		t.Fatal(err)
	}
	var inactiveAdmin, neverAdmin, idleManager, finance, legacy, rfc bool
	for _, u := range d.Users {
		switch {
		case u.HasRole(RoleAdministrator) && u.LastLogin != nil && days(*u.LastLogin) < -110:
			inactiveAdmin = true
		case u.HasRole(RoleAdministrator) && u.LastLogin == nil:
			neverAdmin = true
		case u.HasRole(RoleManager) && u.LastLogin != nil && days(*u.LastLogin) < -90:
			idleManager = true
		}
		finance = finance || u.HasRole(RoleFinanceManager)
		legacy = legacy || (u.LastLogin != nil && u.LastLoginLegacyFormat)
		rfc = rfc || (u.LastLogin != nil && !u.LastLoginLegacyFormat)
	}
	if !(inactiveAdmin && neverAdmin && idleManager && finance && legacy && rfc) {
		t.Errorf("users lack a case: %v %v %v %v %v %v", inactiveAdmin, neverAdmin, idleManager, finance, legacy, rfc)
	}
	lapsed := map[string]bool{}
	var pending, in20, in5, inactive bool
	for _, dm := range d.Domains {
		switch {
		case !dm.IsActive:
			inactive = true
		case !dm.Validated():
			pending = days(dm.Created) > -4
		case days(*dm.OVExpiry) < 0:
			lapsed[dm.Name] = true
		case days(*dm.OVExpiry) > 15 && days(*dm.OVExpiry) < 25:
			in20 = true
		case days(*dm.OVExpiry) < 7:
			in5 = true
		}
	}
	var lapsedWithCert, exp5, exp20, exp200, expired3, expired400, pendingOrder, revoked, renewedSoon bool
	for _, o := range d.Orders {
		if o.ValidTill == nil {
			pendingOrder = pendingOrder || o.Status == "pending"
			continue
		}
		left := days(*o.ValidTill)
		lapsedWithCert = lapsedWithCert || (lapsed[o.CommonName] && o.Status == "issued" && left > 0)
		exp5 = exp5 || (left > 4 && left < 6)
		exp20 = exp20 || (left > 19 && left < 21)
		exp200 = exp200 || (left > 190 && left < 210)
		expired3 = expired3 || (left < -2 && left > -4)
		expired400 = expired400 || left < -390
		revoked = revoked || o.Status == "revoked"
		renewedSoon = renewedSoon || (o.IsRenewed && left < 30)
	}
	if !(pending && in20 && in5 && inactive && len(lapsed) > 0 && lapsedWithCert) {
		t.Errorf("domains lack a case: pending %v in20 %v in5 %v inactive %v lapsed %v withCert %v", pending, in20, in5, inactive, lapsed, lapsedWithCert)
	}
	if !(exp5 && exp20 && exp200 && expired3 && expired400 && pendingOrder && revoked && renewedSoon) {
		t.Errorf("orders lack a case: %v %v %v %v %v %v %v %v", exp5, exp20, exp200, expired3, expired400, pendingOrder, revoked, renewedSoon)
	}
	// The cases of the 200-day world (issue 14): lifetimes, a reissue waiting, plans, a loop.
	var fifthOf100, reissueWaiting, planEnding, multiYear, short47 bool
	loop := 0
	for _, o := range d.Orders {
		if o.Created.After(testNow.Add(-24*time.Hour)) && o.Issued() {
			loop++
		}
		if !o.Issued() {
			continue
		}
		life := days(*o.ValidTill) - days(*o.ValidFrom)
		fifthOf100 = fifthOf100 || (life > 99 && life < 101 && days(*o.ValidTill) > 19 && days(*o.ValidTill) < 21)
		short47 = short47 || (life > 46 && life < 48)
		reissueWaiting = reissueWaiting || (o.Status == "reissue_pending" && days(*o.ValidTill) < 10 && o.Created.Before(testNow.Add(-100*day)))
		if o.PlanValidTill != nil {
			planEnding = planEnding || (o.MultiYearPlan && days(*o.PlanValidTill) < 60 && days(*o.PlanValidTill) > 0)
			multiYear = multiYear || (o.MultiYearPlan && days(*o.PlanValidTill) > 365)
		}
	}
	if !(fifthOf100 && short47 && reissueWaiting && planEnding && multiYear) || loop != 12 {
		t.Errorf("orders lack a case: 100-day %v, 47-day %v, reissue %v, plan ending %v, multi-year %v, %d issued in a day (want 12)",
			fifthOf100, short47, reissueWaiting, planEnding, multiYear, loop)
	}
	if got := d.Balance.TotalAvailableFunds().String(); got != "-130.00" {
		t.Errorf("total available funds = %s", got)
	}
}

func productGroups(d *Dataset) []string {
	var g []string
	for _, p := range d.Products {
		if !slices.Contains(g, p.GroupName) {
			g = append(g, p.GroupName)
		}
	}
	slices.Sort(g)
	return g
}

func TestHealthyScenario(t *testing.T) {
	d, err := Scenario("healthy", testNow)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range d.Users {
		if u.HasRole(RoleAdministrator) && (u.LastLogin == nil || days(*u.LastLogin) < -7) {
			t.Errorf("admin %s not signed in within a week", u.Username)
		}
	}
	for _, dm := range d.Domains {
		if !dm.IsActive || dm.OVExpiry == nil || days(*dm.OVExpiry) <= 120 || (dm.EVExpiry != nil && days(*dm.EVExpiry) <= 120) {
			t.Errorf("domain %s is not healthy", dm.Name)
		}
	}
	for _, o := range d.Orders {
		if o.Status != "issued" || o.ValidTill == nil || days(*o.ValidTill) <= 60 {
			t.Errorf("order %s is not healthy", o.CommonName)
		}
	}
	b := d.Balance
	if b.Balance.String() != "25000.00" || b.NegativeBalanceLimit.String() != "5000.00" || b.UnpaidInvoice != 0 {
		t.Errorf("balance = %+v", b)
	}
	demo, _ := Scenario("demo", testNow)
	if !reflect.DeepEqual(productGroups(d), productGroups(demo)) {
		t.Errorf("product groups differ: %v vs %v", productGroups(d), productGroups(demo))
	}
}

func TestScenarioDefaultsAndIDs(t *testing.T) {
	src := `{"users":[{"username":"a@x","role":"Manager"},{"id":2700500,"username":"b@x","role":"1","last_login":"2d ago","last_login_format":"legacy"}],
	"domains":[{"name":"x.example","ov_dcv_expires":"in 10d"},{"name":"y.example","id":7}],
	"orders":[{"common_name":"x.example","expires":"in 30d"},{"common_name":"y.example","status":"pending"}]}`
	d, err := LoadScenario(strings.NewReader(src), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if d.Users[0].ID != 2700500 || d.Users[1].ID != 2700501 || d.Users[1].Email != "a@x" {
		t.Errorf("user ids/defaults: %+v", d.Users)
	}
	if d.KeyOwnerID != 2700500 {
		t.Errorf("key owner defaults to the first administrator, got %d", d.KeyOwnerID)
	}
	if d.Domains[0].ID != 7 || d.Domains[1].ID == 0 || d.Domains[1].DCVApproved == nil || !d.Domains[1].IsActive {
		t.Errorf("domains: %+v", d.Domains)
	}
	o := d.Orders[0]
	if o.Status != "issued" || o.ValidFrom == nil || o.SerialNumber == "" || o.ProductNameID != "ssl_plus" || !reflect.DeepEqual(o.DNSNames, []string{"x.example"}) {
		t.Errorf("order defaults: %+v", o)
	}
	if p := d.Orders[1]; p.ValidTill != nil || p.SerialNumber != "" {
		t.Errorf("pending order: %+v", p)
	}
	if len(d.Products) != len(Catalog()) || d.Balance.Currency != "USD" {
		t.Errorf("defaults: %d products, currency %q", len(d.Products), d.Balance.Currency)
	}
	// Loading twice gives identical data.
	d2, _ := LoadScenario(strings.NewReader(src), testNow)
	if !reflect.DeepEqual(d, d2) {
		t.Error("scenario loading is not deterministic")
	}
}

func TestScenarioErrors(t *testing.T) {
	cases := map[string]struct{ src, want string }{
		"unknown top key":     {"userz: []", "field userz not found"},
		"unknown user key":    {"users:\n  - username: a\n    last_logon: 3d ago", "field last_logon not found"},
		"unknown balance key": {"balance:\n  balance: 1.00\n  credit: 2.00", "field credit not found"},
		"bad money":           {"balance:\n  balance: lots", `invalid amount "lots"`},
		"bad time":            {"users:\n  - username: a\n    last_login: last week", `users[0] (a): last_login: time "last week"`},
		"bad role":            {"users:\n  - username: a\n    role: Boss", `unknown role "Boss"`},
		"bad format":          {"users:\n  - username: a\n    last_login_format: iso", "last_login_format"},
		"no username":         {"users:\n  - first_name: a", "users[0]: username is required"},
		"bad repeat":          {"orders:\n  - common_name: a\n    repeat: -1", "repeat must be 0 to 10000"},
		"repeat with id":      {"orders:\n  - common_name: a\n    id: 5\n    repeat: 2", "repeat must be 0 to 10000, and without an id"},
		"bad plan":            {"orders:\n  - common_name: a\n    expires: in 3d\n    plan_expires: soon", "plan_expires"},
		"dup id":              {"users:\n  - {id: 1, username: a}\n  - {id: 1, username: b}", "duplicate id 1"},
		"unknown owner":       {"key_owner: z\nusers:\n  - username: a", `key_owner "z"`},
		"unknown org":         {"domains:\n  - name: a\n    organization: Nope", `organization "Nope"`},
		"unknown product":     {"orders:\n  - common_name: a\n    product: nope", `product "nope"`},
		"custom product":      {"products:\n  - name_id: grid", "name, type and group_name are required"},
		"never created":       {"domains:\n  - name: a\n    created: never", "created"},
		"issued only":         {"orders:\n  - common_name: a\n    issued: 3d ago", "issued is set but expires is not"},
		"not yaml":            {"users: [", "yaml"},
		"bad fault":           {"faults: [/domain=explode]", `faults: `},
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

func TestScenarioFromFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.yaml")
	if err := os.WriteFile(p, []byte("users:\n  - username: a@x\n    role: Administrator\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := Scenario(p, testNow)
	if err != nil || len(d.Users) != 1 {
		t.Fatalf("%v %v", d, err)
	}
	if _, err := Scenario(filepath.Join(t.TempDir(), "missing.yaml"), testNow); err == nil || !strings.Contains(err.Error(), "built-in scenarios: demo, demo-eu, healthy") {
		t.Errorf("missing file: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	_ = os.WriteFile(bad, []byte("nope: 1\n"), 0o600)
	if _, err := Scenario(bad, testNow); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "nope") {
		t.Errorf("bad file: %v", err)
	}
}
