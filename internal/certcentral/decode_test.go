package certcentral

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// Bodies below follow the recorded shapes in docs/certcentral-api.md.

func fixedBody(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { jsonReply(w, 200, body) }
}

func TestDecodeUsers(t *testing.T) {
	body := `{"users":[
	 {"id":2700762,"username":"admin@example.com","account_id":1696530,"first_name":"Ada","last_name":"Admin","email":"admin@example.com",
	  "status":"active","last_login_date":"2023-10-13T15:15:13+00:00","container":{"id":1,"public_id":"x","name":"Example Inc","parent_id":0,"template_id":1,"ekey":"e","has_logo":false,"is_active":true},
	  "access_roles":[{"id":1,"name":"Administrator"}],"type":"standard","has_container_assignments":false},
	 {"id":2,"username":"never@example.com","email":"never@example.com","status":"active","access_roles":[{"id":3,"name":"Finance Manager"}],"type":"standard"},
	 {"id":3,"username":"legacy@example.com","status":"active","last_login_date":"2020-05-01 15:47:26","access_roles":[{"id":4,"name":"Manager"}]},
	 {"id":"4","username":"strange@example.com","status":"active","last_login_date":"last tuesday","job_title":"x","telephone":"0005556789"},
	 {"id":5,"username":"typed@example.com","status":7,"access_roles":[{"id":5,"name":"Standard User"}]}
	],"page":{"total":5,"limit":1000,"offset":0}}`
	c := newTestClient(t, fixedBody(body))
	var users []User
	if _, err := c.ListUsers(context.Background(), func(u User) { users = append(users, u) }); err != nil {
		t.Fatal(err)
	}
	if len(users) != 5 {
		t.Fatalf("got %d users, want all 5: a value that does not parse never drops its user", len(users))
	}
	admin := users[0]
	if admin.ID != 2700762 || admin.Division != "Example Inc" || len(admin.Roles) != 1 || admin.Roles[0].ID != RoleAdministrator {
		t.Errorf("admin decoded as %+v", admin)
	}
	if admin.NeverLoggedIn() || !admin.LastLogin.Equal(time.Date(2023, 10, 13, 15, 15, 13, 0, time.UTC)) {
		t.Errorf("admin last login %v", admin.LastLogin)
	}
	if !users[1].NeverLoggedIn() || !users[1].LastLogin.IsZero() || len(users[1].Problems) != 0 {
		t.Errorf("user without last_login_date: %+v", users[1])
	}
	if want := time.Date(2020, 5, 1, 21, 47, 26, 0, time.UTC); !users[2].LastLogin.Equal(want) {
		t.Errorf("legacy last login = %v, want %v (Mountain Time)", users[2].LastLogin.UTC(), want)
	}
	strange := users[3]
	if strange.ID != 4 || strange.NeverLoggedIn() || !strange.LastLogin.IsZero() || !slices.Contains(strange.Problems, "last_login_date") {
		t.Errorf("unparseable last login should keep the user, flag the field: %+v", strange)
	}
	typed := users[4]
	if typed.Username != "typed@example.com" || !slices.Contains(typed.Problems, "status") {
		t.Errorf("a field of the wrong JSON type should keep the user and flag the field: %+v", typed)
	}
}

func TestDecodeDomains(t *testing.T) {
	body := `{"domains":[
	 {"id":1,"is_active":true,"name":"example.com","date_created":"2020-04-26T15:32:47+00:00",
	  "organization":{"id":9,"status":"active","name":"Example Inc","display_name":"Example Inc (EX)","is_active":"1"},
	  "validations":[{"type":"ov","name":"OV","description":"Normal Organization Validation","date_created":"2020-04-26T15:33:10+00:00","validated_until":"2022-07-30T06:00:00+00:00","status":"active"}],
	  "dcv_method":"email","dcv_expiration":{"ev":"2021-05-21","ov":"2022-07-30"},"container":{"id":1,"name":"Example Inc"}},
	 {"id":2,"is_active":true,"name":"pending.example.com","date_created":"2024-01-02T03:04:05+00:00","organization":{"id":9,"name":"Example Inc","is_active":"0"},"dcv_method":"dns-txt-token"},
	 {"id":3,"is_active":false,"name":"old.example.com","date_created":"2019-01-01T00:00:00+00:00","dcv_expiration":{"ov":"2026-01-05T10:00:00+00:00","ov_status":"valid"}},
	 {"id":4,"is_active":"1","name":"weird.example.com","date_created":"soon","dcv_expiration":{"ov":"n/a","ov_status":"expired"}}
	],"page":{"total":4,"limit":1000,"offset":0}}`
	c := newTestClient(t, fixedBody(body))
	var ds []Domain
	if _, err := c.ListDomains(context.Background(), func(d Domain) { ds = append(ds, d) }); err != nil {
		t.Fatal(err)
	}
	if len(ds) != 4 {
		t.Fatalf("got %d domains", len(ds))
	}
	d := ds[0]
	if !d.Active || !d.HasDCVExpiration || d.Organization != "Example Inc (EX)" || d.DCVMethod != "email" {
		t.Errorf("domain 1: %+v", d)
	}
	if want := time.Date(2022, 7, 30, 6, 0, 0, 0, time.UTC); !d.OVExpiry.Equal(want) {
		t.Errorf("OV expiry %v, want %v (start of the Mountain Time day, matches validated_until)", d.OVExpiry.UTC(), want)
	}
	if want := time.Date(2021, 5, 21, 6, 0, 0, 0, time.UTC); !d.EVExpiry.Equal(want) {
		t.Errorf("EV expiry %v, want %v", d.EVExpiry.UTC(), want)
	}
	if ds[1].HasDCVExpiration || !ds[1].OVExpiry.IsZero() {
		t.Errorf("a domain without dcv_expiration never completed DCV: %+v", ds[1])
	}
	if ds[2].Active || !ds[2].OVExpiry.Equal(time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)) || ds[2].OVStatus != "valid" {
		t.Errorf("domain 3 (inactive, datetime DCV): %+v", ds[2])
	}
	w := ds[3]
	if !w.Active || !w.HasDCVExpiration || w.OVStatus != "expired" || !slices.Contains(w.Problems, "dcv_expiration.ov") || !slices.Contains(w.Problems, "date_created") {
		t.Errorf("domain 4 should be kept with its unparsed fields named: %+v", w)
	}
}

func TestDecodeProductsWithoutPage(t *testing.T) {
	body := `{"products":[
	 {"group_name":"ssl_certificate","name_id":"ssl_plus","name":"Standard SSL","type":"ssl_certificate","allowed_container_ids":[1],"allowed_validity_years":[1],"signature_hash_types":{"allowed_hash_types":[{"id":"sha256","name":"SHA-256"}],"default_hash_type_id":"sha256"},"csr_required":true},
	 {"group_name":"code_signing_certificate","name_id":"code_signing_ev","name":"EV Code Signing","type":"code_signing_certificate"}
	]}`
	var calls int
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { calls++; fixedBody(body)(w, r) })
	var ps []Product
	stats, err := c.ListProducts(context.Background(), func(p Product) { ps = append(ps, p) })
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || calls != 1 || stats.Total != 2 {
		t.Fatalf("got %d products in %d calls (%+v)", len(ps), calls, stats)
	}
	if ps[1].NameID != "code_signing_ev" || ps[1].Group != "code_signing_certificate" {
		t.Errorf("product %+v", ps[1])
	}
}

func TestDecodeBalance(t *testing.T) {
	tests := []struct {
		name, body string
		check      func(t *testing.T, b Balance)
	}{
		{"limited", `{"balance":"454.00","currency":"USD","unpaid_invoice_balance":"0.00","used_credit_from_other_containers":"0.00","negative_balance_limit":"2000.00","total_available_funds":"2454.00"}`,
			func(t *testing.T, b Balance) {
				if *b.Balance != 454 || *b.NegativeBalanceLimit != 2000 || *b.TotalAvailableFunds != 2454 || b.UnlimitedNegativeBalance || b.Currency != "USD" {
					t.Errorf("%+v", b)
				}
			}},
		{"negative and unlimited", `{"balance":"-1000.70","currency":"EUR","unpaid_invoice_balance":"12.50","used_credit_from_other_containers":"0.00","unlimited_negative_balance":true}`,
			func(t *testing.T, b Balance) {
				if *b.Balance != -1000.7 || *b.UnpaidInvoiceBalance != 12.5 || !b.UnlimitedNegativeBalance {
					t.Errorf("%+v", b)
				}
				if b.NegativeBalanceLimit != nil || b.TotalAvailableFunds != nil {
					t.Error("omitted amounts must stay absent, not zero")
				}
			}},
		{"unparseable amount", `{"balance":"lots","currency":"USD","unpaid_invoice_balance":"0.00"}`,
			func(t *testing.T, b Balance) {
				if b.Balance != nil || !slices.Contains(b.Problems, "balance") || *b.UnpaidInvoiceBalance != 0 {
					t.Errorf("%+v", b)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var query string
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { query = r.URL.RawQuery; fixedBody(tt.body)(w, r) })
			b, err := c.Balance(context.Background(), 0)
			if err != nil {
				t.Fatal(err)
			}
			if query != "" {
				t.Errorf("query %q, want none without a division", query)
			}
			tt.check(t, b)
		})
	}
}

func TestDecodeOrdersAndFilter(t *testing.T) {
	body := `{"orders":[
	 {"id":101,"certificate":{"id":1,"common_name":"www.example.com","dns_names":["www.example.com"],"valid_from":"2024-01-01","valid_till":"2025-01-31","days_remaining":30,"serial_number":"0A","signature_hash":"sha256"},
	  "status":"issued","is_renewed":false,"date_created":"2023-12-31T10:00:00+00:00","organization":{"id":9,"name":"Example Inc"},"validity_years":1,
	  "container":{"id":1,"name":"Example Inc"},"product":{"name_id":"ssl_plus","name":"Standard SSL","type":"ssl_certificate"},"price":293,"product_name_id":"ssl_plus","is_multi_year_plan":"1"},
	 {"id":102,"certificate":{"id":2,"common_name":"new.example.com","dns_names":["new.example.com"],"signature_hash":"sha256"},"status":"pending","product":{"name_id":"ssl_plus"}}
	],"page":{"total":2,"limit":1000,"offset":0}}`
	var query string
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.Query().Get("filters[valid_till]")
		fixedBody(body)(w, r)
	})
	var os []Order
	_, err := c.ListOrders(context.Background(), OrderFilter{ValidTillAfter: time.Date(2024, 6, 1, 13, 0, 0, 0, time.UTC)}, func(o Order) { os = append(os, o) })
	if err != nil {
		t.Fatal(err)
	}
	if query != ">2024-06-01" {
		t.Errorf("filters[valid_till] = %q, want >2024-06-01", query)
	}
	// valid_till is a date, and the certificate expires at the end of that day.
	if len(os) != 2 || os[0].CommonName != "www.example.com" || os[0].ProductNameID != "ssl_plus" || !os[0].ValidTill.Equal(time.Date(2025, 1, 31, 23, 59, 59, 0, time.UTC)) {
		t.Errorf("orders %+v", os)
	}
	if !os[0].ValidFrom.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) || !os[0].MultiYearPlan || os[0].Price == nil || *os[0].Price != 293 {
		t.Errorf("valid_from, is_multi_year_plan, price: %+v", os[0])
	}
	if !os[1].ValidTill.IsZero() || os[1].Status != "pending" || len(os[1].Problems) != 0 {
		t.Errorf("an unissued order has no valid_till and that is not a problem: %+v", os[1])
	}
}

func TestMeAndAccount(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/services/v2/user/me":
			jsonReply(w, 200, `{"id":7,"username":"svc","status":"active","access_roles":[{"id":1,"name":"Administrator"}],"is_cert_central":true,"is_saml_sso_only":false}`)
		case "/services/v2/account":
			jsonReply(w, 200, `{"id":1696530,"primary_organization_name":"Example Inc","cert_central_type":"retail","balance_negative_limit":0,"ent_support_plan":"1"}`)
		default:
			jsonReply(w, 404, `{"errors":[{"code":"not_found|route","message":"x"}]}`)
		}
	})
	me, err := c.Me(context.Background())
	if err != nil || me.ID != 7 || me.Roles[0].Name != "Administrator" {
		t.Errorf("Me = %+v, %v", me, err)
	}
	acct, err := c.Account(context.Background())
	if err != nil || acct.ID != 1696530 || acct.PrimaryOrganizationName != "Example Inc" {
		t.Errorf("Account = %+v, %v", acct, err)
	}
}

// TestDecodeOrderPlanAndPrice: the fields of the 200-day world in every spelling the sources
// show or a changed API might send (certcentral-api.md §8.1, §11, §12): is_multi_year_plan
// is a string "1"/"0" (LOW) and price a JSON number that may be missing; an unreadable value
// is named in Problems and its order kept.
func TestDecodeOrderPlanAndPrice(t *testing.T) {
	body := `{"orders":[
	 {"id":1,"status":"issued","certificate":{"valid_from":"2026-03-01","valid_till":"2026-09-16"},"order_valid_till":"2027-02-28","is_multi_year_plan":"0","price":218.5},
	 {"id":2,"status":"issued","certificate":{"valid_from":"2026-03-01","valid_till":"2026-09-16T12:00:00+00:00","date_issued":"2026-03-01T09:30:00+00:00"},"is_multi_year_plan":true,"price":"1,293.00"},
	 {"id":3,"status":"reissue_pending","certificate":{"valid_from":"March 1st","valid_till":"2026-09-16"},"order_valid_till":"later","is_multi_year_plan":"yes","price":{"amount":1}},
	 {"id":4,"status":"pending","is_multi_year_plan":"1","price":null},
	 {"id":5,"status":"issued","certificate":{"valid_till":"2026-09-16"},"price":"NaN"}
	],"page":{"total":5,"limit":1000,"offset":0}}`
	c := newTestClient(t, fixedBody(body))
	var got []Order
	if _, err := c.ListOrders(context.Background(), OrderFilter{}, func(o Order) { got = append(got, o) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("%d orders, want all 5 kept", len(got))
	}
	day := func(y int, m time.Month, d, h, min, s int) time.Time {
		return time.Date(y, m, d, h, min, s, 0, time.UTC)
	}
	o := got[0]
	if !o.ValidTill.Equal(day(2026, 9, 16, 23, 59, 59)) || !o.PlanValidTill.Equal(day(2027, 2, 28, 23, 59, 59)) || o.MultiYearPlan ||
		o.Price == nil || *o.Price != 218.5 || !o.Issued.IsZero() || len(o.Problems) != 0 {
		t.Errorf("annual plan: %+v", o)
	}
	o = got[1]
	if !o.ValidTill.Equal(day(2026, 9, 16, 12, 0, 0)) || !o.Issued.Equal(day(2026, 3, 1, 9, 30, 0)) || !o.MultiYearPlan ||
		o.Price == nil || *o.Price != 1293 || !o.PlanValidTill.IsZero() || len(o.Problems) != 0 {
		t.Errorf("a valid_till with a time is that moment; date_issued read: %+v", o)
	}
	o = got[2]
	if !o.ValidFrom.IsZero() || !o.PlanValidTill.IsZero() || o.Price != nil || o.MultiYearPlan ||
		strings.Join(o.Problems, ",") != "is_multi_year_plan,certificate.valid_from,order_valid_till,price" {
		t.Errorf("unreadable values: %+v (problems %v)", o, o.Problems)
	}
	if o := got[3]; !o.MultiYearPlan || o.Price != nil || len(o.Problems) != 0 {
		t.Errorf("a null price is no price and no problem: %+v", o)
	}
	if o := got[4]; o.Price != nil || strings.Join(o.Problems, ",") != "price" {
		t.Errorf("NaN is no price: %+v", o)
	}
}

// TestOrderEmptyPriceIsNoPrice: "price":"" is no price and not a problem, as the balance reads
// an empty amount; " 293.00 " is read like the balance's money too.
func TestOrderEmptyPriceIsNoPrice(t *testing.T) {
	body := `{"orders":[{"id":1,"price":""},{"id":2,"price":" 293.00 "}],"page":{"total":2,"limit":1000,"offset":0}}`
	var got []Order
	if _, err := newTestClient(t, fixedBody(body)).ListOrders(context.Background(), OrderFilter{}, func(o Order) { got = append(got, o) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d orders, want 2", len(got))
	}
	if o := got[0]; o.Price != nil || len(o.Problems) != 0 {
		t.Errorf("an empty price: %+v", o)
	}
	if o := got[1]; o.Price == nil || *o.Price != 293 || len(o.Problems) != 0 {
		t.Errorf("a price with spaces: %+v", o)
	}
}
