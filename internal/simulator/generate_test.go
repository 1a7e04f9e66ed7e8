package simulator

import (
	"bytes"
	"encoding/json"
	"testing"
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
