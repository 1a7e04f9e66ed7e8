package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

const testKey = "test-key-0123456789abcdef"

// testNow is 2024-03-10 03:30 UTC: 2024-03-09 20:30 in Denver (MST), so the
// UTC and Mountain-Time calendar dates differ, and the DST switch follows
// hours later.
var testNow = time.Date(2024, 3, 10, 3, 30, 0, 0, time.UTC)

// fakeClock is an injectable, advanceable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newTestServer starts a simulator on loopback with one view-only key,
// fixed clock and no rate limit unless opts says otherwise.
func newTestServer(t *testing.T, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	if opts.Keys == nil {
		opts.Keys = []Key{{Value: testKey, Restriction: RestrictionViewOnly}}
	}
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	if opts.RateLimit.Windows == nil && !opts.RateLimit.Disabled {
		opts.RateLimit.Disabled = true
	}
	if opts.Dataset == nil {
		d, err := Scenario("demo", testNow)
		if err != nil {
			t.Fatal(err)
		}
		opts.Dataset = d
	}
	s := New(opts)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func doReq(t *testing.T, hs *httptest.Server, method, path, key string) result {
	t.Helper()
	req, err := http.NewRequest(method, hs.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("X-DC-DEVKEY", key)
	}
	resp, err := hs.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, path, err)
	}
	return result{resp.StatusCode, resp.Header, b}
}

func get(t *testing.T, hs *httptest.Server, path string) result {
	t.Helper()
	return doReq(t, hs, http.MethodGet, path, testKey)
}

// decode unmarshals into a generic map so tests see exactly which keys exist.
func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("invalid JSON %q: %v", b, err)
	}
	return m
}

func list(t *testing.T, m map[string]any, key string) []map[string]any {
	t.Helper()
	raw, ok := m[key].([]any)
	if !ok {
		t.Fatalf("key %q missing or not a list in %v", key, m)
	}
	out := make([]map[string]any, len(raw))
	for i, v := range raw {
		out[i] = v.(map[string]any)
	}
	return out
}

func ptr[T any](v T) *T { return &v }
