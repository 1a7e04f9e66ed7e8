package simulator

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestGenerateDeterministic(t *testing.T) {
	sizes := Sizes{Users: 300, Domains: 500, Orders: 800}
	a, _ := json.Marshal(Generate(42, sizes, testNow))
	b, _ := json.Marshal(Generate(42, sizes, testNow))
	if !bytes.Equal(a, b) {
		t.Fatal("same seed gave different datasets")
	}
	c, _ := json.Marshal(Generate(43, sizes, testNow))
	if bytes.Equal(a, c) {
		t.Fatal("different seeds gave the same dataset")
	}

	// And the rendered API pages are identical too.
	render := func() []byte {
		_, hs := newTestServer(t, Options{Dataset: Generate(42, sizes, testNow)})
		var out []byte
		for _, p := range []string{"/user", "/domain", "/order/certificate?offset=500", "/finance/balance", "/product"} {
			out = append(out, get(t, hs, "/services/v2"+p).body...)
		}
		return out
	}
	if !bytes.Equal(render(), render()) {
		t.Fatal("same seed rendered differently")
	}
}

func TestGenerateSizesAndMix(t *testing.T) {
	d := Generate(1, Sizes{Users: 2000, Domains: 4000, Orders: 6000}, testNow)
	if len(d.Users) != 2000 || len(d.Domains) != 4000 || len(d.Orders) != 6000 || len(d.Products) != 10 {
		t.Fatalf("sizes %d/%d/%d/%d", len(d.Users), len(d.Domains), len(d.Orders), len(d.Products))
	}
	if u := d.UserByID(d.KeyOwnerID); u == nil || !u.HasRole(RoleAdministrator) {
		t.Fatal("key owner must be an administrator")
	}
	roles := d.CountUsersByRole()
	if roles[RoleStandardUser]+roles[RoleManager] < 1600 || roles[RoleAdministrator] < 20 || roles[RoleFinanceManager] < 20 {
		t.Errorf("role mix %v", roles)
	}
	never, legacy, old := 0, 0, 0
	for _, u := range d.Users {
		switch {
		case u.LastLogin == nil:
			never++
		case u.LastLogin.After(testNow) || u.LastLogin.Before(testNow.Add(-366*day)):
			t.Fatalf("last login %v outside the past year", u.LastLogin)
		case u.LastLogin.Before(testNow.Add(-90 * day)):
			old++
		}
		if u.LastLoginLegacyFormat {
			legacy++
		}
	}
	if never < 100 || never > 300 || legacy < 100 || old < 100 {
		t.Errorf("never %d, legacy %d, inactive >90d %d", never, legacy, old)
	}
	var pending, expired, soon, inactive, ev int
	for _, dm := range d.Domains {
		switch {
		case !dm.Validated():
			pending++
		case dm.OVExpiry.Before(testNow):
			expired++
		case dm.OVExpiry.Before(testNow.Add(30 * day)):
			soon++
		}
		if !dm.IsActive {
			inactive++
		}
		if dm.EVExpiry != nil {
			ev++
		}
	}
	if pending < 200 || expired < 200 || soon < 100 || inactive < 100 || inactive > 350 || ev < 300 {
		t.Errorf("domains: pending %d expired %d soon %d inactive %d ev %d", pending, expired, soon, inactive, ev)
	}
	status := map[string]int{}
	longExpired := 0
	for _, o := range d.Orders {
		status[o.Status]++
		if o.Issued() != (o.SerialNumber != "") {
			t.Fatalf("order %d: serial without dates or dates without serial", o.ID)
		}
		if o.ValidTill != nil && o.ValidTill.Before(testNow.Add(-365*day)) {
			longExpired++
		}
	}
	for _, s := range []string{"issued", "pending", "rejected", "revoked", "canceled", "expired"} {
		if status[s] == 0 {
			t.Errorf("no %s orders: %v", s, status)
		}
	}
	if status["issued"] < 4000 || longExpired < 500 {
		t.Errorf("orders: %v, long expired %d", status, longExpired)
	}
}

// TestGenerateLarge: the large account generates whole and its last page is served. How fast
// is BenchmarkGenerate's business: a timed unit test fails by chance on a loaded machine.
func TestGenerateLarge(t *testing.T) {
	d := Generate(1, Sizes{Users: 10_000, Domains: 50_000, Orders: 100_000}, testNow)
	if len(d.Orders) != 100_000 {
		t.Fatal(len(d.Orders))
	}
	// The last page of 100,000 orders is served quickly.
	_, hs := newTestServer(t, Options{Dataset: d})
	m := decode(t, get(t, hs, "/services/v2/order/certificate?offset=99500").body)
	if n := len(list(t, m, "orders")); n != 500 {
		t.Errorf("last page has %d orders", n)
	}
}

func TestGenerateMinimumOneUser(t *testing.T) {
	d := Generate(1, Sizes{}, testNow)
	if len(d.Users) != 1 || d.KeyOwnerID != d.Users[0].ID || len(d.Domains) != 0 || len(d.Orders) != 0 {
		t.Errorf("%+v", d)
	}
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		Generate(1, Sizes{Users: 10_000, Domains: 50_000, Orders: 100_000}, testNow)
	}
}

func BenchmarkOrdersPage(b *testing.B) {
	s := New(Options{Dataset: Generate(1, Sizes{Users: 10, Orders: 100_000}, testNow), Keys: []Key{{Value: testKey}}, RateLimit: RateLimit{Disabled: true}})
	q := map[string][]string{"offset": {"50000"}}
	ds := s.Dataset()
	for b.Loop() {
		renderOrders(ds, q, testNow)
	}
}

// TestGenerateShortLifetimes: generated certificates follow the validity limits of the date
// they were issued on (199 days for public TLS from 2026-02-24, 100 from 2027-03-15, 47 from
// 2029-03-15), plans hold them, and the waiting statuses, missing and odd prices are there.
func TestGenerateShortLifetimes(t *testing.T) {
	for _, now := range []time.Time{time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), time.Date(2029, 6, 1, 0, 0, 0, 0, time.UTC)} {
		d := Generate(3, Sizes{Users: 1, Orders: 20_000}, now)
		status := map[string]int{}
		var noPrice, cents, plans, waitingDays, current int
		for _, o := range d.Orders {
			status[o.Status]++
			if o.NoPrice {
				noPrice++
			} else if o.Price != float64(int(o.Price)) {
				cents++
			}
			if !o.Issued() {
				if now.Sub(o.Created) > 24*time.Hour {
					waitingDays++
				}
				continue
			}
			life := o.ValidTill.Sub(*o.ValidFrom)
			if o.ValidFrom.After(now) || life <= 0 {
				t.Fatalf("order %d: valid %v to %v at %v", o.ID, o.ValidFrom, o.ValidTill, now)
			}
			if isPublicTLS(o.ProductNameID) && life > lifetimeFrom(o.ProductNameID, *o.ValidFrom)+day {
				t.Fatalf("order %d (%s): a %v certificate issued %v", o.ID, o.ProductNameID, life, o.ValidFrom)
			}
			if o.PlanValidTill != nil {
				plans++
				if o.PlanValidTill.Before(*o.ValidTill) {
					t.Fatalf("order %d: plan ends %v before its certificate %v", o.ID, o.PlanValidTill, o.ValidTill)
				}
			}
			if o.ValidTill.After(now) && isPublicTLS(o.ProductNameID) {
				current++
			}
		}
		for _, s := range []string{"issued", "pending", "needs_approval", "reissue_pending", "rejected", "revoked", "canceled", "expired"} {
			if status[s] == 0 {
				t.Errorf("%v: no %s orders: %v", now, s, status)
			}
		}
		if noPrice < 500 || cents < 1000 || plans < 5000 || waitingDays < 100 || current < 4000 {
			t.Errorf("%v: no price %d, prices with cents %d, plans %d, waiting over a day %d, current TLS certificates %d",
				now, noPrice, cents, plans, waitingDays, current)
		}
	}
}

func TestLifetimePolicy(t *testing.T) {
	at := func(s string) time.Time { tm, _ := time.Parse("2006-01-02", s); return tm }
	for _, tc := range []struct {
		product, issued string
		days            int
	}{
		{"ssl_plus", "2026-02-23", 397}, {"ssl_plus", "2026-02-24", 199}, {"ssl_ev_basic", "2027-03-15", 100},
		{"ssl_plus", "2029-03-14", 100}, {"ssl_plus", "2029-03-15", 47}, {"code_signing", "2029-03-15", 396},
		{"private_ssl_plus", "2027-06-01", 396},
	} {
		if got := lifetimeFrom(tc.product, at(tc.issued)); got != time.Duration(tc.days)*day {
			t.Errorf("lifetimeFrom(%s, %s) = %v days, want %d", tc.product, tc.issued, got/day, tc.days)
		}
	}
	now := at("2026-11-24")
	// A certificate ending in 100 days was issued 199 days before; one asking for more than
	// the limit allows from now on starts now.
	if got := lifetimeEnding("ssl_plus", now.Add(100*day), now); got != 199*day {
		t.Errorf("lifetimeEnding(in 100d) = %v days", got/day)
	}
	if got := lifetimeEnding("ssl_plus", now.Add(250*day), now); got != 250*day {
		t.Errorf("lifetimeEnding(in 250d) = %v days, want 250 (issued now)", got/day)
	}
}
