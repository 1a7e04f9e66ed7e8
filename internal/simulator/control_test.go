package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func send(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestControlFaults(t *testing.T) {
	s, hs := newTestServer(t, Options{Dataset: fixture()})
	if code, body := send(t, http.MethodGet, hs.URL+"/_sim/faults", ""); code != 200 || body != "[]" {
		t.Fatalf("GET empty: %d %s", code, body)
	}
	if code, _ := send(t, http.MethodPut, hs.URL+"/_sim/faults", `["/domain=status:503","*=latency:1ms@0.5"]`); code != 200 {
		t.Fatalf("PUT: %d", code)
	}
	if code, body := send(t, http.MethodGet, hs.URL+"/_sim/faults", ""); code != 200 || body != `["/domain=status:503","*=latency:1ms@0.5"]` {
		t.Fatalf("GET: %d %s", code, body)
	}
	if got := s.Faults(); len(got) != 2 || got[0].Status != 503 {
		t.Fatalf("Faults() = %v", got)
	}
	if r := get(t, hs, "/services/v2/domain"); r.status != 503 {
		t.Fatalf("fault not applied: %d", r.status)
	}
	for _, bad := range []string{`["/domain=boom"]`, `{"a":1}`, `nope`} {
		if code, _ := send(t, http.MethodPut, hs.URL+"/_sim/faults", bad); code != 400 {
			t.Errorf("PUT %s: %d", bad, code)
		}
	}
	if len(s.Faults()) != 2 {
		t.Error("a bad PUT must leave the faults alone")
	}
	if code, _ := send(t, http.MethodPost, hs.URL+"/_sim/faults", "[]"); code != 405 {
		t.Errorf("POST faults: %d", code)
	}
	if code, _ := send(t, http.MethodGet, hs.URL+"/_sim/nope", ""); code != 404 {
		t.Errorf("unknown control path: %d", code)
	}
	if st := s.Stats(); st.Writes != 0 || st.Requests["/domain"] != 1 {
		t.Errorf("control calls leaked into stats: %+v", st)
	}
}

func TestControlScenario(t *testing.T) {
	s, hs := newTestServer(t, Options{})
	acct := func() float64 { return decode(t, get(t, hs, "/services/v2/account").body)["id"].(float64) }
	if acct() != 1696530 {
		t.Fatal("demo account expected")
	}
	if code, body := send(t, http.MethodPut, hs.URL+"/_sim/scenario?name=healthy", ""); code != 200 || !strings.Contains(body, `"users":5`) {
		t.Fatalf("swap: %d %s", code, body)
	}
	if acct() != 1696531 {
		t.Error("healthy account expected after swap")
	}
	if code, _ := send(t, http.MethodPut, hs.URL+"/_sim/scenario?name=/etc/passwd", ""); code != 400 {
		t.Error("paths must not be loadable through the control API")
	}
	if code, body := send(t, http.MethodPut, hs.URL+"/_sim/scenario", "account: {id: 5}\nusers: [{username: x, role: Administrator}]"); code != 200 {
		t.Fatalf("upload: %d %s", code, body)
	}
	if acct() != 5 || len(s.Dataset().Users) != 1 {
		t.Error("uploaded scenario not served")
	}
	if code, body := send(t, http.MethodPut, hs.URL+"/_sim/scenario", "bogus: 1"); code != 400 || !strings.Contains(body, "bogus") {
		t.Errorf("bad upload: %d %s", code, body)
	}

	// A scenario with faults brings them; one without leaves them; an empty list clears them.
	if code, body := send(t, http.MethodPut, hs.URL+"/_sim/scenario", "faults: [/finance/balance=status:403, '*=latency:1ms']"); code != 200 {
		t.Fatalf("upload with faults: %d %s", code, body)
	}
	if got := get(t, hs, "/services/v2/finance/balance"); got.status != 403 {
		t.Errorf("the scenario's 403 fault is not applied: %d", got.status)
	}
	if len(s.Faults()) != 2 {
		t.Errorf("faults %v, want the scenario's two", s.Faults())
	}
	send(t, http.MethodPut, hs.URL+"/_sim/scenario?name=healthy", "")
	if len(s.Faults()) != 2 {
		t.Errorf("a scenario without faults changed them: %v", s.Faults())
	}
	send(t, http.MethodPut, hs.URL+"/_sim/scenario", "faults: []")
	if len(s.Faults()) != 0 {
		t.Errorf("faults: [] did not clear them: %v", s.Faults())
	}
}

// TestScenarioFaultsAndFlags: at start the scenario's faults come first, then the flag's.
func TestScenarioFaultsAndFlags(t *testing.T) {
	ds, err := LoadScenario(strings.NewReader("faults: [/user=status:500]"), testNow)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Dataset: ds, Faults: []Fault{{Endpoint: "/domain", Kind: FaultHang}}})
	if got := s.Faults(); len(got) != 2 || got[0].Endpoint != "/user" || got[1].Endpoint != "/domain" {
		t.Errorf("faults %v", got)
	}
}

func TestControlStatsAndMetrics(t *testing.T) {
	_, hs := newTestServer(t, Options{Dataset: fixture()})
	get(t, hs, "/services/v2/account")
	get(t, hs, "/services/v2/account")
	doReq(t, hs, http.MethodDelete, "/services/v2/domain", testKey)
	doReq(t, hs, http.MethodGet, "/services/v2/user", "bad")
	get(t, hs, "/services/v2/missing")

	code, body := send(t, http.MethodGet, hs.URL+"/_sim/stats", "")
	var st Stats
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil {
		t.Fatalf("%d %s %v", code, body, err)
	}
	want := Stats{
		Requests: map[string]int{"/account": 2, "/domain": 1, "/user": 1, "unknown": 1},
		ByStatus: map[string]int{"200": 2, "405": 1, "403": 1, "404": 1},
		Writes:   1,
	}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("stats = %+v\nwant %+v", st, want)
	}
	var raw map[string]any
	_ = json.Unmarshal([]byte(body), &raw)
	for _, k := range []string{"requests", "by_status", "writes", "rate_limited"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("stats JSON lacks %q: %s", k, body)
		}
	}

	_, metrics := send(t, http.MethodGet, hs.URL+"/metrics", "")
	for _, line := range []string{
		`ccsim_requests_total{code="200",endpoint="/account",method="GET"} 2`,
		`ccsim_requests_total{code="405",endpoint="/domain",method="DELETE"} 1`,
		`ccsim_requests_total{code="404",endpoint="unknown",method="GET"} 1`,
		"ccsim_write_attempts_total 1",
		"ccsim_rate_limited_total 0",
	} {
		if !strings.Contains(metrics, line) {
			t.Errorf("metrics lack %q", line)
		}
	}
	if strings.Contains(metrics, "certcentral_") {
		t.Error("simulator metrics must not use the exporter's namespace")
	}

	// reset-stats zeroes Stats but counters stay monotonic.
	if code, _ := send(t, http.MethodPost, hs.URL+"/_sim/reset-stats", ""); code != 204 {
		t.Fatal(code)
	}
	_, body = send(t, http.MethodGet, hs.URL+"/_sim/stats", "")
	if body != `{"requests":{},"by_status":{},"writes":0,"rate_limited":0}` {
		t.Errorf("after reset: %s", body)
	}
	if _, metrics = send(t, http.MethodGet, hs.URL+"/metrics", ""); !strings.Contains(metrics, "ccsim_write_attempts_total 1") {
		t.Error("counter went down on reset")
	}
}

// TestConcurrentUse is meant for -race: requests, dataset swaps, fault
// changes and stats reads all at once.
func TestConcurrentUse(t *testing.T) {
	s, hs := newTestServer(t, Options{Dataset: fixture(), RateLimit: RateLimit{Windows: DefaultWindows()}})
	demo, _ := Scenario("demo", testNow)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 30 {
				ep := Endpoints()[(i+j)%len(Endpoints())]
				resp, err := hs.Client().Get(hs.URL + "/services/v2" + ep)
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for j := range 30 {
			if j%2 == 0 {
				s.SetDataset(demo)
				s.SetFaults([]Fault{{Endpoint: "*", Kind: FaultStatus, Status: 500, Probability: 0.1}})
			} else {
				s.SetDataset(fixture())
				s.SetFaults(nil)
			}
			_ = s.Stats()
			s.ResetRateLimits()
		}
	}()
	wg.Wait()
	if n := s.Stats().Total(); n != 240 {
		t.Errorf("counted %d requests, want 240", n)
	}
}
