package certcentral

// Fuzz targets for everything that reads what the API (or something pretending to be it)
// sends: the list decoders, the balance object, error bodies and the date formats. `go test`
// runs the seeds below as unit tests; `make fuzz-smoke` fuzzes each target briefly, and
// `go test -run '^$' -fuzz '^FuzzDecodeUsers$' -fuzztime 10m ./internal/certcentral` longer.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// listSeeds are bodies in the recorded shapes (docs/certcentral-api.md) and near misses.
var listSeeds = []string{
	`{"page":{"total":0,"limit":1,"offset":0}}`,
	`{"%s":[],"page":{"total":0,"limit":1000,"offset":0}}`,
	`{"%s":null}`,
	`{"%s":[null,{}]}`,
	`{"%s":[{"id":1},{"id":"2"},{"id":3.5}],"page":{"total":3,"limit":1000,"offset":0}}`,
	`{"%s":[{"id":1}],"%s":[{"id":2}]}`,
	`{"%s":[{"id":1}],"page":{"total":"1"}}`,
	`{"%s":[1,2]}`,
	`{"%s":{"id":1}}`,
	`{"%s":[{"id":1},`,
	`[{"id":1}]`,
	`{"%s":[{"id":1}]} trailing`,
	`{"page":{"total":1000000,"limit":1,"offset":0},"padding":"xxxxxxxx"}`,
}

func seedList(f *testing.F, collection string, extra ...string) {
	for _, s := range append(slices.Clone(listSeeds), extra...) {
		f.Add([]byte(strings.ReplaceAll(s, "%s", collection)))
	}
}

// fuzzList decodes data as a page of collection and checks the decoder's promises: no panic,
// every counted item handed over once, never more items than the input holds, and exactly
// the array's elements when the input is valid JSON and decoding succeeded.
func fuzzList[R any](t *testing.T, data []byte, collection string, check func(t *testing.T, r *R)) {
	var got []*R
	pg, n, err := decodeList(bytes.NewReader(data), collection, func(r *R) error {
		got = append(got, r)
		check(t, r)
		return nil
	})
	if len(got) != n {
		t.Fatalf("%d items handed over, %d counted", len(got), n)
	}
	// The fast path reads what encoding/json alone reads: the same items, the same page, and
	// an error exactly when it has one.
	var want []*R
	wantPg, _, wantErr := decodeListStd(bytes.NewReader(data), collection, func(r *R) error {
		want = append(want, r)
		return nil
	}, nil)
	if (err == nil) != (wantErr == nil) {
		t.Fatalf("error %v, encoding/json's %v", err, wantErr)
	}
	if err == nil && (!reflect.DeepEqual(got, want) || !reflect.DeepEqual(pg, wantPg)) {
		t.Fatalf("decoded\n%s\nencoding/json decoded\n%s", dump(got, pg), dump(want, wantPg))
	}
	// Every element is an object or null: an upper bound that needs no JSON parser.
	if bound := bytes.Count(data, []byte("{")) + bytes.Count(data, []byte("null")); n > bound {
		t.Fatalf("%d items decoded from an input with at most %d", n, bound)
	}
	if err != nil || !json.Valid(data) {
		return
	}
	elements, ok := countElements(data, collection)
	if ok && elements != n {
		t.Fatalf("%d items decoded, the input's %q arrays hold %d", n, collection, elements)
	}
}

func dump[R any](items []*R, pg *page) string {
	var b strings.Builder
	for _, it := range items {
		fmt.Fprintf(&b, "%+v\n", *it)
	}
	fmt.Fprintf(&b, "page %+v", pg)
	return b.String()
}

// countElements counts the elements of every top-level key equal to collection, decoding them
// as raw JSON: an independent reading of what decodeList streams.
func countElements(data []byte, collection string) (int, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return 0, false
	}
	total := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return 0, false
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return 0, false
		}
		if tok != collection {
			continue
		}
		var elems []json.RawMessage
		if err := json.Unmarshal(raw, &elems); err != nil {
			return 0, false
		}
		total += len(elems)
	}
	return total, true
}

func FuzzDecodeUsers(f *testing.F) {
	seedList(f, "users",
		`{"users":[{"id":2700762,"username":"a@example.com","status":"active","last_login_date":"2023-10-13T15:15:13+00:00","access_roles":[{"id":1,"name":"Administrator"}],"container":{"name":"X"}},{"id":2,"status":7,"last_login_date":"2020-05-01 15:47:26"},{"id":3,"last_login_date":""}],"page":{"total":3,"limit":1000,"offset":0}}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzList(t, data, "users", func(t *testing.T, r *rawUser) {
			u := r.user()
			if !u.LastLogin.IsZero() && u.NeverLoggedIn() {
				t.Fatalf("a sign-in time for a user who never signed in: %+v", u)
			}
			if u.LastLoginRaw != "" && u.LastLogin.IsZero() && !u.NeverLoggedIn() && !slices.Contains(u.Problems, "last_login_date") {
				t.Fatalf("an unparsed sign-in date is not reported: %+v", u)
			}
		})
	})
}

func FuzzDecodeDomains(f *testing.F) {
	seedList(f, "domains",
		`{"domains":[{"id":1,"is_active":true,"name":"example.com","date_created":"2020-04-26T15:32:47+00:00","organization":{"display_name":"X","is_active":"1"},"dcv_method":"email","dcv_expiration":{"ev":"2021-05-21","ov":"2022-07-30"}},{"id":4,"is_active":"1","date_created":"soon","dcv_expiration":{"ov":"n/a"}},{"id":5,"is_active":"maybe"}]}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzList(t, data, "domains", func(t *testing.T, r *rawDomain) {
			d := r.domain()
			if !d.HasDCVExpiration && (!d.OVExpiry.IsZero() || !d.EVExpiry.IsZero()) {
				t.Fatalf("a DCV expiry without dcv_expiration: %+v", d)
			}
		})
	})
}

func FuzzDecodeOrders(f *testing.F) {
	seedList(f, "orders",
		`{"orders":[{"id":101,"certificate":{"common_name":"www.example.com","dns_names":["www.example.com"],"valid_till":"2025-01-31"},"status":"issued","is_renewed":false,"date_created":"2023-12-31T10:00:00+00:00","product":{"name_id":"ssl_plus"}},{"id":102,"certificate":{"valid_till":"never"},"is_renewed":"1"}]}`,
		`{"orders":[{"id":103,"certificate":{"valid_from":"2026-03-01","valid_till":"2026-09-16"},"order_valid_till":"2027-02-28","is_multi_year_plan":"1","price":218.5},{"id":104,"price":"1e999","is_multi_year_plan":"yes","order_valid_till":"x"}]}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzList(t, data, "orders", func(t *testing.T, r *rawOrder) {
			o := r.order()
			if r.Certificate.ValidTill == "" && !o.ValidTill.IsZero() {
				t.Fatalf("an expiry without valid_till: %+v", o)
			}
			if r.OrderValidTill == "" && !o.PlanValidTill.IsZero() || r.Certificate.ValidFrom == "" && !o.ValidFrom.IsZero() {
				t.Fatalf("a date without its field: %+v", o)
			}
			if o.Price != nil && (math.IsNaN(*o.Price) || math.IsInf(*o.Price, 0)) {
				t.Fatalf("a price that is no amount: %v", *o.Price)
			}
		})
	})
}

func FuzzDecodeProducts(f *testing.F) {
	seedList(f, "products",
		`{"products":[{"group_name":"ssl_certificate","name_id":"ssl_plus","name":"Standard SSL","type":"ssl_certificate","allowed_container_ids":[1]},{"name_id":7}]}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzList(t, data, "products", func(*testing.T, *rawProduct) {})
	})
}

// FuzzDecodeBalance decodes a balance object the way getObject does and checks that every
// amount served as a metric is a finite number.
func FuzzDecodeBalance(f *testing.F) {
	for _, s := range []string{
		`{"balance":"454.00","currency":"USD","unpaid_invoice_balance":"0.00","used_credit_from_other_containers":"0.00","negative_balance_limit":"2000.00","total_available_funds":"2454.00"}`,
		`{"balance":"-1000.70","currency":"EUR","unlimited_negative_balance":true}`,
		`{"balance":"1,234.50","unlimited_negative_balance":"1"}`,
		`{"balance":12.5,"total_available_funds":null}`,
		`{"balance":"lots"}`,
		`{"balance":"NaN","unpaid_invoice_balance":"Inf","negative_balance_limit":"1e999"}`,
		`{"balance":[1]}`,
		`[]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var r rawBalance
		err := json.NewDecoder(bytes.NewReader(data)).Decode(&r)
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			r.noteProblem(typeErr.Field)
		}
		b := r.balance()
		for _, v := range []*float64{b.Balance, b.UnpaidInvoiceBalance, b.UsedCreditFromOtherDivisions, b.NegativeBalanceLimit, b.TotalAvailableFunds} {
			if v != nil && (math.IsNaN(*v) || math.IsInf(*v, 0)) {
				t.Fatalf("amount %v decoded from %s: a metric must be a real amount", *v, data)
			}
		}
	})
}

// fuzzKey is alphanumeric and longer than "<redacted>", like real keys, so that the
// replacement text cannot form it again.
const fuzzKey = "FuzzKey0123456789abcdefABCDEF"

// FuzzErrorBody feeds any body and status to the error path: it must classify the answer as
// one of the known kinds, and the error text never contains the key even when the body
// echoes it.
func FuzzErrorBody(f *testing.F) {
	for _, s := range []struct {
		status int
		ct     string
		body   string
	}{
		{403, "application/json", `{"errors":[{"code":"access_denied|access_denied_invalid_key","message":"Access denied due to access_denied_invalid_key."}]}`},
		{403, "application/json", `{"errors":[{"code":"access_denied|missing_permission","message":"x"}]}`},
		{429, "application/json", `{"errors":[{"code":"request_limit_exceeded","message":"Service unavailable, please limit request volume"}]}`},
		{404, "", `{"errors":{"code":"not_found|route","message":"old fixture: an object"}}`},
		{503, "text/html", `<html><head><title>503 Service Unavailable</title></head><body>Incapsula</body></html>`},
		{403, "text/html", `<html><title>` + fuzzKey + `</title></html>`},
		{400, "application/json", `{"errors":[{"code":"` + fuzzKey + `","message":"key ` + fuzzKey + `"}]}`},
		{403, "application/json", `{"errors":[{"code":"x","message":"key ` + strings.ToLower(fuzzKey) + ` / ` + fuzzKey[:len(fuzzKey)-1] + `"}]}`},
		{502, "text/html", `<html><title>Bad key &#70;&#117;zzKey0123456789abcdefABCDEF</title></html>`},
		{500, "application/json", `{"errors":[]}`},
		{502, "application/json", `not json at all`},
	} {
		f.Add(s.status, s.ct, []byte(s.body))
	}
	c := &Client{cfg: Config{APIKey: fuzzKey}, secret: newRedactor(fuzzKey)}
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		status = 400 + int(uint(status)%200) // every error status
		resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {contentType}, "X-Cdn": {"Imperva"}},
			Body: io.NopCloser(bytes.NewReader(body))}
		err := c.errorFromResponse(context.Background(), "/user", resp, resp.Body)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("not an *Error: %v", err)
		}
		if !slices.Contains(Kinds, e.Kind) {
			t.Fatalf("kind %q is not one of Kinds", e.Kind)
		}
		if e.Status != status {
			t.Fatalf("status %d, want %d", e.Status, status)
		}
		if run := keyRunIn(err.Error(), fuzzKey); run != "" {
			t.Fatalf("the error text contains %q of the key: %s", run, err)
		}
	})
}

// FuzzParseDates: every date parser either fails or returns a time that round-trips through
// RFC 3339, shows the input's wall clock in the zone it was read in (within the hour a
// daylight-saving gap can move it), and lies within the years a 4-digit year can name.
func FuzzParseDates(f *testing.F) {
	for _, s := range []string{
		"2023-10-13T15:15:13+00:00", "2023-10-13T15:15:13.250Z", "2020-05-01 15:47:26", "2019-01-21 13:37:00",
		"2020-05-01", "2022-07-30T05:59:59+00:00", "2020-04-26T15:32:47+0000", " 2020-04-26T15:32:47+00:00 ",
		"2021-03-14 02:30:00", "2021-11-07 01:30:00", "0000-01-01T00:00:00+01:00", "9999-12-31T23:59:59-23:59",
		"2024-02-30", "yesterday", "", "2023-10-13T15:15:13",
	} {
		f.Add(s)
	}
	parsers := []struct {
		name  string
		parse func(string) (time.Time, error)
		zone  *time.Location
	}{
		{"ParseLastLogin", ParseLastLogin, Mountain},
		{"ParseDCVDate", ParseDCVDate, Mountain},
		{"ParseCertificateDate", ParseCertificateDate, time.UTC},
		{"ParseTimestamp", ParseTimestamp, time.UTC},
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range parsers {
			got, err := p.parse(s)
			if err != nil {
				if !got.IsZero() {
					t.Fatalf("%s(%q) failed but returned %v", p.name, s, got)
				}
				continue
			}
			if got.IsZero() && p.name == "ParseLastLogin" {
				continue // a zero date: the user never signed in
			}
			if y := got.UTC().Year(); y < -1 || y > 10000 {
				t.Fatalf("%s(%q) = %v: year %d", p.name, s, got, y)
			}
			// Through UTC: RFC 3339 offsets have no seconds, and old dates in Mountain Time use
			// its local mean time (-6:59:56). Metrics carry instants, so the instant must survive.
			if y := got.UTC().Year(); y < 0 || y > 9999 {
				continue // RFC 3339 cannot write the year; an offset moved it out of range
			}
			back, err := ParseTimestamp(got.UTC().Format(time.RFC3339Nano))
			if err != nil || !back.Equal(got) {
				t.Fatalf("%s(%q) = %v does not round-trip through RFC 3339: %v, %v", p.name, s, got, back, err)
			}
			// Inputs without a zone are read as wall-clock time: the legacy forms in the
			// parser's zone, an ISO date-time without offset in UTC.
			in := strings.TrimSpace(s)
			for _, form := range []struct {
				layout string
				zone   *time.Location
			}{{layoutDateTime, p.zone}, {layoutDate, p.zone}, {"2006-01-02T15:04:05", time.UTC}} {
				naive, err := time.Parse(form.layout, in)
				if err != nil {
					continue
				}
				local := got.In(form.zone)
				wall := time.Date(local.Year(), local.Month(), local.Day(), local.Hour(), local.Minute(), local.Second(), local.Nanosecond(), time.UTC)
				if d := wall.Sub(naive); d < -time.Hour || d > time.Hour {
					t.Fatalf("%s(%q) = %v, which is %v in %s", p.name, s, got, local, form.zone)
				}
				break
			}
		}
	})
}

func FuzzDecodeOrganizations(f *testing.F) {
	seedList(f, "organizations",
		`{"organizations":[{"id":112233,"status":"active","name":"Example","is_active":true,"container_id_assignments":["5"],"validations":[{"type":"ov","name":"OV","date_created":"2018-10-09T19:29:02+00:00","validated_until":"2019-11-09T20:28:55+00:00","status":"active"},{"type":"ev","status":"pending"}]},{"id":"2","status":"approved","is_active":"1","validations":[{"name":"EV CS","validated_until":"soon"}]},{"id":3,"is_active":"maybe","validations":null}]}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzList(t, data, "organizations", func(t *testing.T, r *rawOrganization) {
			o := r.organization()
			if len(o.Validations) != len(r.Validations) {
				t.Fatalf("%d validations decoded, %d listed: none may be lost", len(o.Validations), len(r.Validations))
			}
			for i, v := range o.Validations {
				raw := r.Validations[i]
				if raw.ValidatedUntil == "" && !v.ValidatedUntil.IsZero() {
					t.Fatalf("an expiry without validated_until: %+v", v)
				}
				if raw.ValidatedUntil != "" && v.ValidatedUntil.IsZero() && !slices.Contains(o.Problems, "validations.validated_until") {
					t.Fatalf("an unparsed validated_until is not reported: %+v", o)
				}
				if v.Type != ValidationCode(v.Type) {
					t.Fatalf("validation type %q is not a code", v.Type)
				}
			}
			if r.IsActive.Bad && !slices.Contains(o.Problems, "is_active") {
				t.Fatalf("an unreadable is_active is not reported: %+v", o)
			}
		})
	})
}

func FuzzDecodeRequests(f *testing.F) {
	seedList(f, "requests",
		`{"requests":[{"id":198,"date":"2018-10-16T20:05:28+00:00","type":"new_request","status":"pending","requester":{"id":14},"order":{"id":12345678,"certificate":{"common_name":"example.com"},"product":{"name_id":"ssl_plus"}}},{"id":199,"date":"x","status":"Pending","order":{"id":"1"}},{"id":200,"requester":{"id":"x"},"order":{"certificate":null}}],"page":{"total":3,"limit":0,"offset":0}}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzList(t, data, "requests", func(t *testing.T, r *rawRequest) {
			q := r.request()
			if r.Date != "" && q.Date.IsZero() && !slices.Contains(q.Problems, "date") {
				t.Fatalf("an unparsed date is not reported: %+v", q)
			}
			if r.Requester == nil && q.RequesterID != 0 {
				t.Fatalf("a requester id without a requester: %+v", q)
			}
		})
	})
}

// FuzzDecodeAPIKeys also checks that whatever an entry's acme_directory_url holds, none of
// it is kept in the decoded key: the URL is a credential.
func FuzzDecodeAPIKeys(f *testing.F) {
	seedList(f, "api_keys",
		`{"api_keys":[{"id":182,"user":{"id":125039},"status":"active","create_date":"2018-08-07T23:27:58+00:00","last_used_date":"2018-08-18T19:08:19+00:00","name":"Key","is_legacy":false,"restricted_to_role_id":0},{"id":15,"user":{"id":10},"status":"active","name":"ACME","restricted_to_role_id":"0","acme_directory_url":"https://acme.example/directory/SECRETSECRETSECRET","product_name_id":"ssl_plus","organization_id":"123456","validity_years":"2"},{"id":17,"restricted_to_role_id":104,"is_legacy":"maybe","last_used_date":7}]}`)
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzList(t, data, "api_keys", func(t *testing.T, r *rawAPIKey) {
			k := r.apiKey()
			if k.NeverUsed && !k.LastUsed.IsZero() {
				t.Fatalf("a last use for a key never used: %+v", k)
			}
			if k.HasRestriction && r.RestrictedTo.Bad {
				t.Fatalf("an unreadable restriction taken as known: %+v", k)
			}
			if !k.HasRestriction && k.Restriction != 0 {
				t.Fatalf("a restriction without the field: %+v", k)
			}
		})
		urls := acmeURLs(data)
		if len(urls) == 0 {
			return
		}
		_, _, _ = decodeList(bytes.NewReader(data), "api_keys", func(r *rawAPIKey) error {
			k := r.apiKey()
			fields := append([]string{k.Name, k.Status, k.ProductNameID}, k.Problems...)
			s := fmt.Sprintf("%#v", k)
			for _, url := range urls {
				if slices.ContainsFunc(fields, func(f string) bool { return strings.Contains(f, url) }) {
					continue // the same text in another field: not the URL kept
				}
				if strings.Contains(s, url) {
					t.Fatalf("the decoded key holds the ACME directory URL %q: %s", url, s)
				}
			}
			return nil
		})
	})
}

// acmeURLs returns the acme_directory_url strings of a body, read independently of the
// decoder, that are long enough not to appear in a decoded key by chance.
func acmeURLs(data []byte) []string {
	var body struct {
		Keys []map[string]json.RawMessage `json:"api_keys"`
	}
	if json.Unmarshal(data, &body) != nil {
		return nil
	}
	var out []string
	for _, k := range body.Keys {
		var s string
		if json.Unmarshal(k["acme_directory_url"], &s) == nil && len(s) >= 12 {
			out = append(out, s)
		}
	}
	return out
}

// keyRunIn returns the first redactRun-long piece of key found in text, case-insensitively,
// or "" when there is none.
func keyRunIn(text, key string) string {
	lower, k := strings.ToLower(text), strings.ToLower(key)
	for i := 0; i+redactRun <= len(k); i++ {
		if strings.Contains(lower, k[i:i+redactRun]) {
			return key[i : i+redactRun]
		}
	}
	return ""
}
