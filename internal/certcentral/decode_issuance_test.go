package certcentral

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/simulator"
)

// Bodies below follow the documentation's examples (docs/monitoring-needs.md §1.1-1.3) and
// every variant it names.

func TestDecodeOrganizations(t *testing.T) {
	body := `{"organizations":[
	 {"id":112233,"status":"active","name":"Example Organization Inc.","assumed_name":"Example Org","display_name":"Example Organization","is_active":true,
	  "address":"123 Fake Street","city":"Lehi","state":"ut","country":"us","telephone":"801-701-9600",
	  "container":{"id":5,"parent_id":0,"name":"History Department","is_active":true},"container_id_assignments":["5","7"],
	  "validations":[
	   {"type":"ov","name":"OV","description":"Normal Organization Validation","date_created":"2018-10-09T19:29:02+00:00","validated_until":"2019-11-09T20:28:55+00:00","status":"active"},
	   {"type":"ev","name":"EV","description":"Extended Organization Validation (EV)","status":"pending","verified_users":[{"id":12,"first_name":"John","last_name":"Smith"}]}]},
	 {"id":"2","status":"approved","name":"Old Fixture Ltd","is_active":"1","container_id_assignments":[5],
	  "validations":[{"type":"ov","validated_until":"2020-01-01T07:00:00+00:00","status":"expired"},{"name":"EV CS","validated_until":"soon","status":"active"}]},
	 {"id":3,"status":"inactive","name":"Gone Corp","is_active":"0"},
	 {"id":4,"display_name":"Only Display","is_active":"maybe","status":"inactive"},
	 {"id":5,"name":"Typed","is_active":true,"status":7,"validations":[{"type":"cs","validated_until":12345}]}
	],"page":{"total":5,"limit":1000,"offset":0}}`
	var query string
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { query = r.URL.RawQuery; fixedBody(body)(w, r) })
	var orgs []Organization
	if _, err := c.ListOrganizations(context.Background(), func(o Organization) { orgs = append(orgs, o) }); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(query, "include_validation=true") {
		t.Errorf("query %q: without include_validation=true the list has no validations", query)
	}
	if len(orgs) != 5 {
		t.Fatalf("got %d organizations, want all 5: a value that does not parse never drops its organization", len(orgs))
	}
	o := orgs[0]
	if o.ID != 112233 || o.Name != "Example Organization Inc." || !o.Active || o.Status != "active" || o.Division != "History Department" || len(o.Problems) != 0 {
		t.Errorf("organization 1: %+v", o)
	}
	if len(o.Validations) != 2 || o.Validations[0].Type != "ov" || !o.Validations[0].ValidatedUntil.Equal(time.Date(2019, 11, 9, 20, 28, 55, 0, time.UTC)) {
		t.Errorf("organization 1 validations: %+v", o.Validations)
	}
	if ev := o.Validations[1]; ev.Type != "ev" || ev.Status != "pending" || !ev.ValidatedUntil.IsZero() {
		t.Errorf("a pending validation has no dates, and that is not a problem: %+v", ev)
	}
	old := orgs[1]
	if old.ID != 2 || !old.Active || old.Status != "approved" || old.Validations[0].Status != "expired" {
		t.Errorf("the old fixture's organization (id as a string, is_active \"1\", status approved): %+v", old)
	}
	if v := old.Validations[1]; v.Type != "ev_cs" || !v.ValidatedUntil.IsZero() || !slices.Contains(old.Problems, "validations.validated_until") {
		t.Errorf("a validation without type takes it from its name, and an unreadable date is named: %+v %v", v, old.Problems)
	}
	if orgs[2].Active {
		t.Errorf(`is_active "0" is inactive: %+v`, orgs[2])
	}
	if d := orgs[3]; d.Name != "Only Display" || d.Active || !slices.Contains(d.Problems, "is_active") {
		t.Errorf("an unreadable is_active is named and the status decides: %+v", d)
	}
	if typed := orgs[4]; typed.Name != "Typed" || !typed.Active || len(typed.Problems) == 0 {
		t.Errorf("fields of the wrong JSON type keep the organization and are named: %+v", typed)
	}
}

func TestValidationCode(t *testing.T) {
	for in, want := range map[string]string{"ov": "ov", "OV": "ov", " EV CS ": "ev_cs", "ev-cs": "ev_cs", "ev_cs": "ev_cs", "": ""} {
		if got := ValidationCode(in); got != want {
			t.Errorf("ValidationCode(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeRequests(t *testing.T) {
	body := `{"requests":[
	 {"id":198,"date":"2018-10-16T20:05:28+00:00","type":"new_request","status":"pending",
	  "requester":{"id":14,"first_name":"John","last_name":"Smith","email":"john.smith@digicert.com"},
	  "order":{"id":12345678,"certificate":{"common_name":"example.com"},"organization":{"id":112233,"name":"Epigyne Unwieldiness llc"},
	   "container":{"id":5,"name":"History Department"},"product":{"name_id":"ssl_plus","name":"Standard SSL","type":"ssl_certificate"}}},
	 {"id":199,"date":"2018-10-17T08:00:00+00:00","type":"new_request","status":"Pending","order":{"id":"12345679","product":{"name_id":"ssl_plus"}}},
	 {"id":200,"date":"yesterday","type":"new_request","status":"pending","requester":{"id":"x"},"processor":{"id":3},"order":{"id":1}}
	],"page":{"total":3,"limit":0,"offset":0}}`
	var query string
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.Query().Get("filters[status]")
		fixedBody(body)(w, r)
	})
	var rs []Request
	if _, err := c.ListPendingRequests(context.Background(), func(r Request) { rs = append(rs, r) }); err != nil {
		t.Fatal(err)
	}
	if query != "pending" {
		t.Errorf("filters[status] = %q, want pending", query)
	}
	if len(rs) != 3 {
		t.Fatalf("got %d requests", len(rs))
	}
	if r := rs[0]; r.ID != 198 || r.RequesterID != 14 || r.CommonName != "example.com" || r.ProductNameID != "ssl_plus" || r.OrderID != 12345678 ||
		!r.Date.Equal(time.Date(2018, 10, 16, 20, 5, 28, 0, time.UTC)) || r.Division != "History Department" || len(r.Problems) != 0 {
		t.Errorf("request 1: %+v", r)
	}
	if r := rs[1]; r.RequesterID != 0 || r.CommonName != "" || r.Status != "pending" || r.OrderID != 12345679 || len(r.Problems) != 0 {
		t.Errorf("an anonymous request without requester or certificate is normal: %+v", r)
	}
	if r := rs[2]; !r.Date.IsZero() || !slices.Contains(r.Problems, "date") || !slices.Contains(r.Problems, "requester.id") {
		t.Errorf("unreadable values keep the request and are named: %+v", r)
	}
}

// TestRequestsPageLimitZero: the documentation's example answers page.limit 0; pages must
// follow the items received, and the whole queue be read.
func TestRequestsPageLimitZero(t *testing.T) {
	const total = 7
	var calls int
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		calls++
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		var items []string
		for i := offset; i < min(offset+3, total); i++ { // the server clamps pages to 3 items
			items = append(items, fmt.Sprintf(`{"id":%d,"date":"2026-01-0%dT00:00:00+00:00","type":"new_request","status":"pending"}`, i+1, i+1))
		}
		jsonReply(w, 200, fmt.Sprintf(`{"requests":[%s],"page":{"total":%d,"limit":0,"offset":%d}}`, strings.Join(items, ","), total, offset))
	})
	seen := map[int64]bool{}
	if _, err := c.ListPendingRequests(context.Background(), func(r Request) { seen[r.ID] = true }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != total || calls != 3 {
		t.Errorf("read %d of %d requests in %d calls, want all in 3", len(seen), total, calls)
	}
}

const docKeys = `{"id":182,"user":{"id":125039,"first_name":"John","last_name":"Smith"},"status":"active","create_date":"2018-08-07T23:27:58+00:00","last_used_date":"2018-08-18T19:08:19+00:00","name":"Key Name","is_legacy":false,"restricted_to_role_id":0},
 {"id":184,"user":{"id":125039,"first_name":"John","last_name":"Smith"},"status":"active","create_date":"2018-06-21T08:20:51+00:00","last_used_date":"2018-07-11T15:28:14+00:00","name":"Another Key Name","is_legacy":false,"restricted_to_role_id":101},
 {"id":42,"user":{"id":125039,"first_name":"John","last_name":"Smith"},"status":"revoked","create_date":"2018-10-01T22:18:11+00:00","name":"A Third Key","is_legacy":true,"restricted_to_role_id":102},
 {"id":15,"user":{"id":10,"first_name":"Jill","last_name":"Valentine"},"status":"active","create_date":"2018-11-20T22:27:47+00:00","name":"ACME URL Name","is_legacy":false,"restricted_to_role_id":0,
  "acme_directory_url":"https://acme.example/directory/ACMESECRETTOKEN0123456789","product_name_id":"ssl_plus","product_name":"Standard SSL","organization_id":123456,"organization_name":"STARS","validity_days":"0","validity_years":"2"},
 {"id":16,"user":{"id":10},"status":"active","create_date":"2018-11-20T22:27:47+00:00","name":"ACME string org","restricted_to_role_id":"0",
  "acme_directory_url":"******nnAA","product_name_id":"ssl_ev_basic","organization_id":"123456","validity_years":"1"},
 {"id":17,"user":{"id":11},"status":"active","name":"Odd","restricted_to_role_id":104,"is_legacy":"maybe","last_used_date":7,"create_date":"then"},
 {"id":18,"user":{"id":11},"status":"active","name":"No restriction field"}`

func TestDecodeAPIKeys(t *testing.T) {
	for _, shape := range []struct{ name, body string }{
		{"without a page object", `{"api_keys":[` + docKeys + `]}`},
		{"with a page object", `{"api_keys":[` + docKeys + `],"page":{"total":7,"limit":1000,"offset":0}}`},
	} {
		t.Run(shape.name, func(t *testing.T) {
			var calls int
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) { calls++; fixedBody(shape.body)(w, r) })
			var ks []APIKey
			stats, err := c.ListAPIKeys(context.Background(), func(k APIKey) { ks = append(ks, k) })
			if err != nil {
				t.Fatal(err)
			}
			if len(ks) != 7 || calls != 1 || stats.Total != 7 {
				t.Fatalf("got %d keys in %d calls (%+v)", len(ks), calls, stats)
			}
			if k := ks[0]; k.ID != 182 || k.UserID != 125039 || !k.HasRestriction || k.Restriction != RestrictionNone || k.ACME || k.NeverUsed ||
				!k.LastUsed.Equal(time.Date(2018, 8, 18, 19, 8, 19, 0, time.UTC)) || !k.Created.Equal(time.Date(2018, 8, 7, 23, 27, 58, 0, time.UTC)) {
				t.Errorf("key 182: %+v", k)
			}
			if k := ks[2]; !k.NeverUsed || !k.LastUsed.IsZero() || !k.Legacy || k.Status != "revoked" || len(k.Problems) != 0 {
				t.Errorf("a key without last_used_date was never used, and that is not a problem: %+v", k)
			}
			for _, k := range ks[3:5] {
				if !k.ACME || !k.HasRestriction || k.Restriction != 0 || len(k.Problems) != 0 {
					t.Errorf("ACME entry (organization_id int or string, restriction int or string): %+v", k)
				}
				if s := fmt.Sprintf("%#v", k); strings.Contains(s, "ACMESECRET") || strings.Contains(s, "nnAA") {
					t.Errorf("the decoded key holds its ACME directory URL: %s", s)
				}
			}
			if k := ks[4]; k.ProductNameID != "ssl_ev_basic" {
				t.Errorf("ACME product: %+v", k)
			}
			odd := ks[5]
			if odd.Restriction != 104 || !odd.HasRestriction || odd.NeverUsed || !odd.LastUsed.IsZero() {
				t.Errorf("an unknown restriction is kept as it is, an unreadable last use is not \"never\": %+v", odd)
			}
			for _, f := range []string{"is_legacy", "last_used_date", "create_date"} {
				if !slices.Contains(odd.Problems, f) {
					t.Errorf("unparsed %s not named: %v", f, odd.Problems)
				}
			}
			if k := ks[6]; k.HasRestriction || k.Restriction != 0 {
				t.Errorf("a key without restricted_to_role_id must not look unrestricted: %+v", k)
			}
		})
	}
}

// TestSimulatorIssuanceLists: the three lists read back from the simulator equal its demo
// dataset.
func TestSimulatorIssuanceLists(t *testing.T) {
	ds, err := simulator.Scenario("demo", simNow)
	if err != nil {
		t.Fatal(err)
	}
	client, _ := simClient(t, ds, nil, func(c *Config) { c.PageSize = 2 }) // several pages each
	var orgs []Organization
	if _, err := client.ListOrganizations(context.Background(), func(o Organization) { orgs = append(orgs, o) }); err != nil {
		t.Fatal(err)
	}
	if len(orgs) != len(ds.Organizations) {
		t.Fatalf("%d organizations, dataset has %d", len(orgs), len(ds.Organizations))
	}
	for i, o := range orgs {
		want := ds.Organizations[i]
		if o.ID != int64(want.ID) || o.Name != want.Name || o.Active != want.Active || len(o.Validations) != len(want.Validations) || len(o.Problems) != 0 {
			t.Errorf("organization %d: %+v, dataset %+v", i, o, want)
			continue
		}
		for j, v := range o.Validations {
			w := want.Validations[j]
			if w.ValidatedUntil == nil != v.ValidatedUntil.IsZero() || v.Type != w.Type || v.Status != w.StatusAt(simNow) {
				t.Errorf("%s validation %d: %+v, dataset %+v", o.Name, j, v, w)
			}
		}
	}
	var reqs []Request
	if _, err := client.ListPendingRequests(context.Background(), func(r Request) { reqs = append(reqs, r) }); err != nil {
		t.Fatal(err)
	}
	pending := 0
	for _, r := range ds.Requests {
		if r.Status == "pending" {
			pending++
		}
	}
	if len(reqs) != pending || pending == 0 {
		t.Errorf("%d pending requests read, dataset has %d", len(reqs), pending)
	}
	var keys []APIKey
	if _, err := client.ListAPIKeys(context.Background(), func(k APIKey) { keys = append(keys, k) }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != len(ds.APIKeys) {
		t.Fatalf("%d keys, dataset has %d", len(keys), len(ds.APIKeys))
	}
	for i, k := range keys {
		w := ds.APIKeys[i]
		if k.ID != int64(w.ID) || k.UserID != int64(w.UserID) || k.Restriction != int64(w.Restriction) || k.ACME != (w.ACME != nil) ||
			k.NeverUsed != (w.LastUsed == nil) || len(k.Problems) != 0 {
			t.Errorf("key %d: %+v, dataset %+v", i, k, w)
		}
	}
}

// TestItemsWithoutAnIDAreReported: organizations, requests and API keys took a missing id for
// 0 and "id":-5 for -5 without a word, while users, domains and orders named "id" in Problems.
// Every list now reads an id the same way: only a positive integer is one; any other value is
// 0 and "id" is named, so the collector counts it as unparsed.
func TestItemsWithoutAnIDAreReported(t *testing.T) {
	type item struct {
		id       int64
		problems []string
	}
	lists := []struct {
		collection string
		list       func(*Client, func(item)) error
	}{
		{"users", func(c *Client, fn func(item)) error {
			_, err := c.ListUsers(context.Background(), func(u User) { fn(item{u.ID, u.Problems}) })
			return err
		}},
		{"domains", func(c *Client, fn func(item)) error {
			_, err := c.ListDomains(context.Background(), func(d Domain) { fn(item{d.ID, d.Problems}) })
			return err
		}},
		{"orders", func(c *Client, fn func(item)) error {
			_, err := c.ListOrders(context.Background(), OrderFilter{}, func(o Order) { fn(item{o.ID, o.Problems}) })
			return err
		}},
		{"organizations", func(c *Client, fn func(item)) error {
			_, err := c.ListOrganizations(context.Background(), func(o Organization) { fn(item{o.ID, o.Problems}) })
			return err
		}},
		{"requests", func(c *Client, fn func(item)) error {
			_, err := c.ListPendingRequests(context.Background(), func(r Request) { fn(item{r.ID, r.Problems}) })
			return err
		}},
		{"api_keys", func(c *Client, fn func(item)) error {
			_, err := c.ListAPIKeys(context.Background(), func(k APIKey) { fn(item{k.ID, k.Problems}) })
			return err
		}},
	}
	for _, l := range lists {
		t.Run(l.collection, func(t *testing.T) {
			body := `{"` + l.collection + `":[{"name":"absent"},{"id":-5},{"id":0},{"id":null},{"id":"x"},{"id":7}],` +
				`"page":{"total":6,"limit":1000,"offset":0}}`
			var got []item
			if err := l.list(newTestClient(t, fixedBody(body)), func(it item) { got = append(got, it) }); err != nil {
				t.Fatal(err)
			}
			if len(got) != 6 {
				t.Fatalf("got %d items, want all 6: an item without an id is kept", len(got))
			}
			for i, it := range got[:5] {
				if it.id != 0 || !slices.Contains(it.problems, "id") {
					t.Errorf("item %d has no usable id: got id %d, problems %v; want 0 and \"id\" named", i, it.id, it.problems)
				}
			}
			if it := got[5]; it.id != 7 || slices.Contains(it.problems, "id") {
				t.Errorf("item with id 7: id %d, problems %v", it.id, it.problems)
			}
		})
	}
}
