package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// newTestFleet serves the built-in demo-fleet with keys "us-key..." and "eu-key...".
func newTestFleet(t *testing.T) (*Fleet, string) {
	t.Helper()
	specs, err := LoadFleet("demo-fleet", testNow)
	if err != nil {
		t.Fatal(err)
	}
	var accounts []FleetAccount
	for _, sp := range specs {
		accounts = append(accounts, FleetAccount{Name: sp.Name, Region: sp.Region, Server: New(Options{
			Keys:    []Key{{Value: sp.Name + "-key-0123456789abcdef", Restriction: RestrictionViewOnly}},
			Dataset: sp.Dataset, Now: func() time.Time { return testNow }, RateLimit: RateLimit{Disabled: true},
		})})
	}
	f, err := NewFleet(accounts)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(f)
	t.Cleanup(hs.Close)
	return f, hs.URL
}

func fleetGet(t *testing.T, url, key string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("X-DC-DEVKEY", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestFleetRoutesByRegionAndKey: each account answers with its own data behind its own key
// in its own region; a key sent to the other region is refused as invalid, as CertCentral
// refuses it; the control API reaches each account by name.
func TestFleetRoutesByRegionAndKey(t *testing.T) {
	f, url := newTestFleet(t)
	code, body := fleetGet(t, url+"/services/v2/account", "us-key-0123456789abcdef")
	if code != 200 || !strings.Contains(body, `"primary_organization_name":"Example Corp"`) {
		t.Errorf("US account: %d %s", code, body)
	}
	code, body = fleetGet(t, url+"/eu/services/v2/account", "eu-key-0123456789abcdef")
	if code != 200 || !strings.Contains(body, "Beispiel Handel GmbH") {
		t.Errorf("EU account: %d %s", code, body)
	}
	code, body = fleetGet(t, url+"/eu/services/v2/finance/balance", "eu-key-0123456789abcdef")
	if code != 200 || !strings.Contains(body, `"currency":"EUR"`) {
		t.Errorf("EU balance: %d %s", code, body)
	}
	for _, wrong := range []struct{ path, key string }{
		{"/services/v2/account", "eu-key-0123456789abcdef"},    // EU key at the US host
		{"/eu/services/v2/account", "us-key-0123456789abcdef"}, // US key at the EU host
		{"/services/v2/account", "nobody-0123456789abcdef"},
	} {
		code, body := fleetGet(t, url+wrong.path, wrong.key)
		if code != 403 || !strings.Contains(body, "access_denied_invalid_key") {
			t.Errorf("%s with the other account's key: %d %s, want 403 invalid key", wrong.path, code, body)
		}
	}
	// Statistics are per account.
	eu, _ := f.Account("eu")
	us, _ := f.Account("us")
	if eu.Server.Stats().Requests["/finance/balance"] != 1 {
		t.Errorf("EU stats %+v", eu.Server.Stats().Requests)
	}
	if us.Server.Stats().Requests["/finance/balance"] != 0 {
		t.Errorf("US stats counted an EU request: %+v", us.Server.Stats().Requests)
	}
	// Faults through the control API reach one account only.
	req, _ := http.NewRequest(http.MethodPut, url+"/_sim/faults?account=eu", strings.NewReader(`["/user=status:503"]`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("PUT faults: %v %v", err, resp)
	}
	resp.Body.Close()
	if code, _ := fleetGet(t, url+"/eu/services/v2/user", "eu-key-0123456789abcdef"); code != 503 {
		t.Errorf("EU /user with the fault: %d, want 503", code)
	}
	if code, _ := fleetGet(t, url+"/services/v2/user", "us-key-0123456789abcdef"); code != 200 {
		t.Errorf("US /user: %d, want 200 (the fault is the EU account's)", code)
	}
	code, body = fleetGet(t, url+"/_sim/stats?account=nope", "")
	if code != 404 {
		t.Errorf("unknown account in the control API: %d %s", code, body)
	}
	var stats Stats
	_, body = fleetGet(t, url+"/_sim/stats?account=us", "")
	if err := json.Unmarshal([]byte(body), &stats); err != nil || stats.Requests["/user"] != 1 {
		t.Errorf("US stats through the control API: %v %s", err, body)
	}
}

func TestNewFleetRefusesBadAccounts(t *testing.T) {
	s := New(Options{})
	for _, accts := range [][]FleetAccount{
		nil,
		{{Name: "a", Region: "us", Server: s}, {Name: "a", Region: "eu", Server: s}},
		{{Name: "a", Region: "asia", Server: s}},
	} {
		if _, err := NewFleet(accts); err == nil {
			t.Errorf("accepted %+v", accts)
		}
	}
}

// TestLoadFleetFile: a fleet file mixes built-in scenarios and generated accounts.
func TestLoadFleetFile(t *testing.T) {
	path := t.TempDir() + "/fleet.yaml"
	if err := os.WriteFile(path, []byte("accounts:\n  - name: a\n    scenario: healthy\n  - name: b\n    region: eu\n    generate: {seed: 7, users: 20, domains: 30, orders: 40}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if !IsFleet(path) || IsFleet("demo") || !IsFleet("demo-fleet") {
		t.Error("IsFleet does not tell fleets from scenarios")
	}
	specs, err := LoadFleet(path, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) != 2 || specs[0].Region != RegionUS || specs[1].Region != RegionEU || len(specs[1].Dataset.Users) != 20 || len(specs[1].Dataset.Orders) != 40 {
		t.Errorf("%+v", specs)
	}
	for _, bad := range []string{
		"accounts:\n  - name: a\n",
		"accounts:\n  - name: a\n    scenario: demo\n    generate: {users: 1}\n",
		"accounts:\n  - name: a\n    scenario: nope-no-such\n",
		"accounts: []\n",
		"accounts:\n  - name: a\n    scenario: demo\n    colour: red\n",
	} {
		if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadFleet(path, testNow); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
