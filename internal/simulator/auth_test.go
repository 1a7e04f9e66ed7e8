package simulator

import (
	"net/http"
	"strings"
	"testing"
)

const (
	invalidKeyBody        = `{"errors":[{"code":"access_denied|access_denied_invalid_key","message":"Access denied due to access_denied_invalid_key."}]}`
	missingPermissionCode = `"code":"access_denied|missing_permission"`
)

func TestInvalidKey(t *testing.T) {
	s, hs := newTestServer(t, Options{Dataset: fixture()})
	for name, key := range map[string]string{"missing": "", "unknown": "nope", "prefix": testKey[:5]} {
		t.Run(name, func(t *testing.T) {
			r := doReq(t, hs, http.MethodGet, "/services/v2/user/me", key)
			if r.status != http.StatusForbidden || string(r.body) != invalidKeyBody {
				t.Errorf("got %d %s", r.status, r.body)
			}
			if r.header.Get("Content-Length") != "123" {
				t.Errorf("Content-Length = %s, want 123 as recorded", r.header.Get("Content-Length"))
			}
		})
	}
	// The header name is case-insensitive.
	req, _ := http.NewRequest(http.MethodGet, hs.URL+"/services/v2/user/me", nil)
	req.Header["x-dc-devkey"] = []string{testKey}
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("lower-case header: status %d", resp.StatusCode)
	}
	if st := s.Stats(); st.ByStatus["403"] != 3 || st.Requests["/user/me"] != 4 {
		t.Errorf("stats = %+v", st)
	}
}

func TestKeyNeverEchoed(t *testing.T) {
	_, hs := newTestServer(t, Options{Dataset: fixture()})
	for _, p := range []string{"/services/v2/user/me", "/services/v2/user", "/services/v2/nope", "/_sim/stats", "/metrics"} {
		for _, key := range []string{testKey, "wrong-key-xyz"} {
			r := doReq(t, hs, http.MethodGet, p, key)
			if strings.Contains(string(r.body), key) {
				t.Errorf("%s echoed the key", p)
			}
		}
	}
}

func TestPermissionMatrix(t *testing.T) {
	keys := []Key{
		{Value: "none-admin", UserID: 10, Restriction: RestrictionNone},
		{Value: "vo-admin", Restriction: RestrictionViewOnly}, // key owner = 10
		{Value: "vo-manager", UserID: 11, Restriction: RestrictionViewOnly},
		{Value: "vo-finance", UserID: 12, Restriction: RestrictionViewOnly},
		{Value: "vo-standard", UserID: 13, Restriction: RestrictionViewOnly},
		{Value: "orders-admin", UserID: 10, Restriction: RestrictionOrders},
		{Value: "odo-admin", UserID: 10, Restriction: RestrictionOrdersDomainsOrganizations},
		{Value: "um-admin", UserID: 10, Restriction: RestrictionUserManagement},
		{Value: "ghost", UserID: 999, Restriction: RestrictionViewOnly},
	}
	_, hs := newTestServer(t, Options{Dataset: fixture(), Keys: keys})
	// y = 200, n = 403 missing_permission, x = 403 invalid key
	matrix := map[string]map[string]byte{
		//                      user  me   domain product balance orders account
		"none-admin":   row("y", "y", "y", "y", "y", "y", "y"),
		"vo-admin":     row("y", "y", "y", "y", "y", "y", "y"),
		"vo-manager":   row("y", "y", "y", "y", "y", "y", "y"),
		"vo-finance":   row("n", "y", "n", "y", "y", "y", "y"),
		"vo-standard":  row("n", "y", "n", "y", "n", "y", "y"),
		"orders-admin": row("n", "y", "n", "y", "n", "y", "y"),
		"odo-admin":    row("n", "y", "y", "y", "n", "y", "y"),
		"um-admin":     row("y", "y", "n", "y", "n", "n", "y"),
		"ghost":        row("x", "x", "x", "x", "x", "x", "x"),
	}
	eps := []string{EndpointUser, EndpointUserMe, EndpointDomain, EndpointProduct, EndpointBalance, EndpointOrders, EndpointAccount}
	for key, want := range matrix {
		for _, ep := range eps {
			r := doReq(t, hs, http.MethodGet, "/services/v2"+ep, key)
			var ok bool
			switch want[ep] {
			case 'y':
				ok = r.status == 200
			case 'n':
				ok = r.status == 403 && strings.Contains(string(r.body), missingPermissionCode)
			case 'x':
				ok = r.status == 403 && string(r.body) == invalidKeyBody
			}
			if !ok {
				t.Errorf("key %s %s: want %c, got %d %s", key, ep, want[ep], r.status, r.body)
			}
		}
	}
}

func row(user, me, domain, product, balance, orders, account string) map[string]byte {
	return map[string]byte{EndpointUser: user[0], EndpointUserMe: me[0], EndpointDomain: domain[0],
		EndpointProduct: product[0], EndpointBalance: balance[0], EndpointOrders: orders[0], EndpointAccount: account[0]}
}

func TestWritesRefusedAndCounted(t *testing.T) {
	s, hs := newTestServer(t, Options{Dataset: fixture()})
	methods := []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions, "PURGE"}
	for _, m := range methods {
		for _, key := range []string{testKey, ""} {
			r := doReq(t, hs, m, "/services/v2/order/certificate", key)
			if r.status != http.StatusMethodNotAllowed || !strings.Contains(string(r.body), `"errors":[{"code":"method_not_allowed"`) {
				t.Errorf("%s: %d %s", m, r.status, r.body)
			}
		}
	}
	// HEAD is a read.
	if r := doReq(t, hs, http.MethodHead, "/services/v2/user", testKey); r.status != 200 {
		t.Errorf("HEAD: %d", r.status)
	}
	st := s.Stats()
	if st.Writes != 2*len(methods) {
		t.Errorf("writes = %d, want %d", st.Writes, 2*len(methods))
	}
	// Control requests are neither writes nor API requests.
	doReq(t, hs, http.MethodPost, "/_sim/reset-stats", "")
	if st := s.Stats(); st.Writes != 0 || st.Total() != 0 {
		t.Errorf("after reset: %+v", st)
	}
}

func TestParseRestriction(t *testing.T) {
	for _, n := range RestrictionNames() {
		r, err := ParseRestriction(n)
		if err != nil || r.String() != n {
			t.Errorf("%s: %v %v", n, r, err)
		}
	}
	if _, err := ParseRestriction("admin"); err == nil {
		t.Error("want error for unknown restriction")
	}
}
