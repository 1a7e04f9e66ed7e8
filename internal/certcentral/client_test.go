package certcentral

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

const testKey = "TESTKEY0123456789ABCDEFGHIJKLMNOPQRSTUVWX"

// newTestClient starts srv's handler on loopback and returns a client for it.
func newTestClient(t *testing.T, h http.HandlerFunc, tweak ...func(*Config)) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg := Config{BaseURL: srv.URL + "/services/v2", APIKey: testKey, UserAgent: "certcentral_exporter/test",
		HTTPClient: &http.Client{Timeout: 60 * time.Second}} // generous: -race on a loaded machine is slow; tests that need a timeout set their own
	for _, f := range tweak {
		f(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func jsonReply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

func TestRequestShape(t *testing.T) {
	var got *http.Request
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		jsonReply(w, 200, `{"page":{"total":0,"limit":1000,"offset":0}}`)
	})
	if _, err := c.ListUsers(context.Background(), func(User) {}); err != nil {
		t.Fatal(err)
	}
	if got.Method != http.MethodGet {
		t.Errorf("method %s, want GET", got.Method)
	}
	if got.URL.Path != "/services/v2/user" {
		t.Errorf("path %s", got.URL.Path)
	}
	if got.Header.Get("X-DC-DEVKEY") != testKey {
		t.Error("X-DC-DEVKEY header missing")
	}
	if got.Header.Get("Accept") != "application/json" {
		t.Errorf("Accept %q: list endpoints answer CSV unless JSON is asked for", got.Header.Get("Accept"))
	}
	if got.Header.Get("User-Agent") != "certcentral_exporter/test" {
		t.Errorf("User-Agent %q", got.Header.Get("User-Agent"))
	}
	if got.URL.Query().Get("limit") != "1000" || got.URL.Query().Get("offset") != "0" {
		t.Errorf("query %s, want limit=1000&offset=0", got.URL.RawQuery)
	}
}

// pagedServer serves n users, honouring limit (clamped to maxLimit) and offset, and records
// the offsets asked for.
type pagedServer struct {
	mu       sync.Mutex
	n        int
	maxLimit int
	offsets  []int
	inFlight atomic.Int32
	peak     atomic.Int32
	delay    time.Duration
	// shrinkTo, when set, is the total reported after the first page (accounts change).
	shrinkTo int
}

func (p *pagedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cur := p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	for {
		old := p.peak.Load()
		if cur <= old || p.peak.CompareAndSwap(old, cur) {
			break
		}
	}
	time.Sleep(p.delay)
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	if limit <= 0 || limit > p.maxLimit {
		limit = p.maxLimit
	}
	p.mu.Lock()
	p.offsets = append(p.offsets, offset)
	total := p.n
	if p.shrinkTo > 0 && len(p.offsets) > 1 {
		total = p.shrinkTo
	}
	p.mu.Unlock()
	var items []string
	for i := offset; i < total && i < offset+limit; i++ {
		items = append(items, fmt.Sprintf(`{"id":%d,"username":"u%d","status":"active","access_roles":[{"id":5,"name":"Standard User"}]}`, i+1, i+1))
	}
	body := fmt.Sprintf(`{"page":{"total":%d,"limit":%d,"offset":%d}}`, total, limit, offset)
	if len(items) > 0 { // the real API omits the key on an empty page
		body = fmt.Sprintf(`{"users":[%s],"page":{"total":%d,"limit":%d,"offset":%d}}`, strings.Join(items, ","), total, limit, offset)
	}
	jsonReply(w, 200, body)
}

func TestPaginationReadsEverything(t *testing.T) {
	tests := []struct {
		name        string
		n, maxLimit int
		concurrency int
		wantReqs    int
	}{
		{"empty account", 0, 1000, 4, 1},
		{"one page", 999, 1000, 4, 1},
		{"exactly one full page", 1000, 1000, 4, 1},
		{"2500 users concurrently", 2500, 1000, 4, 3},
		{"2500 users one page at a time", 2500, 1000, 1, 3},
		{"server clamps the limit to 500", 2500, 500, 4, 5},
		{"server clamps, sequential", 2500, 500, 1, 5},
		{"12001 users", 12001, 1000, 4, 13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := &pagedServer{n: tt.n, maxLimit: tt.maxLimit}
			c := newTestClient(t, ps.ServeHTTP, func(c *Config) { c.PageConcurrency = tt.concurrency })
			seen := map[int64]bool{}
			stats, err := c.ListUsers(context.Background(), func(u User) {
				if seen[u.ID] {
					t.Errorf("user %d delivered twice", u.ID)
				}
				seen[u.ID] = true
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(seen) != tt.n || stats.Items != tt.n || stats.Total != tt.n {
				t.Errorf("got %d users (stats %+v), want %d", len(seen), stats, tt.n)
			}
			if stats.Requests != tt.wantReqs || len(ps.offsets) != tt.wantReqs {
				t.Errorf("requests = %d (server saw %v), want %d", stats.Requests, ps.offsets, tt.wantReqs)
			}
		})
	}
}

func TestPaginationIsConcurrentAndBounded(t *testing.T) {
	ps := &pagedServer{n: 10000, maxLimit: 1000, delay: 50 * time.Millisecond}
	c := newTestClient(t, ps.ServeHTTP, func(c *Config) { c.PageConcurrency = 3 })
	if _, err := c.ListUsers(context.Background(), func(User) {}); err != nil {
		t.Fatal(err)
	}
	if p := ps.peak.Load(); p != 3 {
		t.Errorf("peak concurrent requests = %d, want exactly the configured 3", p)
	}
}

func TestPaginationStopsWhenTotalShrinks(t *testing.T) {
	// After the first page the account reports half the users: the loop must end, not spin,
	// and the half read is not the complete list.
	ps := &pagedServer{n: 3000, maxLimit: 1000, shrinkTo: 1500}
	c := newTestClient(t, ps.ServeHTTP, func(c *Config) { c.PageConcurrency = 1 })
	stats, err := c.ListUsers(context.Background(), func(User) {})
	if KindOf(err) != KindInconsistentPagination {
		t.Errorf("err = %v, want %s", err, KindInconsistentPagination)
	}
	if stats.Requests > 3 {
		t.Errorf("made %d requests for a shrinking account", stats.Requests)
	}
}

func TestPageFailureFailsTheList(t *testing.T) {
	ps := &pagedServer{n: 5000, maxLimit: 1000}
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("offset") == "3000" {
			jsonReply(w, 403, `{"errors":[{"code":"access_denied|missing_permission","message":"Permission denied"}]}`)
			return
		}
		ps.ServeHTTP(w, r)
	})
	_, err := c.ListUsers(context.Background(), func(User) {})
	if KindOf(err) != KindMissingPermission {
		t.Fatalf("err = %v, want missing_permission from the failing page", err)
	}
}

func TestErrorClassification(t *testing.T) {
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		want     Kind
		status   int
		contains string
	}{
		{"invalid key", func(w http.ResponseWriter, _ *http.Request) {
			jsonReply(w, 403, `{"errors":[{"code":"access_denied|access_denied_invalid_key","message":"Access denied due to access_denied_invalid_key."}]}`)
		}, KindInvalidKey, 403, "access_denied|access_denied_invalid_key"},
		{"missing permission", func(w http.ResponseWriter, _ *http.Request) {
			jsonReply(w, 403, `{"errors":[{"code":"access_denied|missing_permission","message":"You do not have permission."}]}`)
		}, KindMissingPermission, 403, "missing_permission"},
		{"errors as a single object (old fixture)", func(w http.ResponseWriter, _ *http.Request) {
			jsonReply(w, 403, `{"errors":{"code":"access_denied|missing_permission","message":"nope"}}`)
		}, KindMissingPermission, 403, "nope"},
		{"401 assumed by some clients", func(w http.ResponseWriter, _ *http.Request) {
			jsonReply(w, 401, `{"errors":[{"code":"invalid_api_key","message":"bad"}]}`)
		}, KindInvalidKey, 401, "401"},
		{"other 403", func(w http.ResponseWriter, _ *http.Request) {
			jsonReply(w, 403, `{"errors":[{"code":"access_denied","message":"Access denied"}]}`)
		}, KindAccessDenied, 403, "access_denied"},
		{"rate limited", func(w http.ResponseWriter, _ *http.Request) {
			jsonReply(w, 429, `{"errors":[{"code":"request_limit_exceeded","message":"Service unavailable, please limit request volume"}]}`)
		}, KindRateLimited, 429, "request_limit_exceeded"},
		{"server error", func(w http.ResponseWriter, _ *http.Request) {
			jsonReply(w, 500, `{"errors":[{"code":"internal_error","message":"oops"}]}`)
		}, KindServerError, 500, "HTTP 500"},
		{"not found", func(w http.ResponseWriter, _ *http.Request) {
			jsonReply(w, 404, `{"errors":[{"code":"not_found|route","message":"no route"}]}`)
		}, KindNotFound, 404, "not_found|route"},
		{"CDN HTML error page", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("X-CDN", "Imperva")
			w.WriteHeader(503)
			_, _ = w.Write([]byte("<html><head><title>Service Unavailable</title></head><body>Incapsula incident</body></html>"))
		}, KindServerError, 503, `titled "Service Unavailable"`},
		{"WAF block page as 403", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(403)
			_, _ = w.Write([]byte("<html><head><title>Request blocked</title></head></html>"))
		}, KindInvalidResponse, 403, "Request blocked"},
		{"HTML with 200", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte("<html><title>Maintenance</title></html>"))
		}, KindInvalidResponse, 200, "expected JSON, got text/html"},
		// Entities in a title are decoded once: the page shows "&lt;", so does the error.
		{"HTML with 200, entities in the title", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html><title>a &amp;lt; b &amp; c</title></html>"))
		}, KindInvalidResponse, 200, `titled "a &lt; b & c"`},
		{"HTML error page, entities in the title", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(503)
			_, _ = w.Write([]byte("<html><title>a &amp;lt; b &amp; c</title></html>"))
		}, KindServerError, 503, `titled "a &lt; b & c"`},
		{"truncated JSON", func(w http.ResponseWriter, _ *http.Request) {
			jsonReply(w, 200, `{"users":[{"id":1,"username":"a"},{"id":2,"user`)
		}, KindDecode, 200, "unexpected EOF"},
		{"malformed JSON", func(w http.ResponseWriter, _ *http.Request) {
			jsonReply(w, 200, `{"users":[{"id":1,,}]}`)
		}, KindDecode, 200, "invalid character"},
		{"wrong shape", func(w http.ResponseWriter, _ *http.Request) {
			jsonReply(w, 200, `{"users":"none"}`)
		}, KindDecode, 200, "unexpected JSON shape"},
		{"top level array", func(w http.ResponseWriter, _ *http.Request) {
			jsonReply(w, 200, `[1,2]`)
		}, KindDecode, 200, "unexpected JSON shape"},
		{"oversized body", func(w http.ResponseWriter, _ *http.Request) {
			jsonReply(w, 200, `{"users":[],"padding":"`+strings.Repeat("x", 5000)+`"}`)
		}, KindTooLarge, 200, "larger than 1024 bytes"},
		{"oversized body announced", func(w http.ResponseWriter, r *http.Request) {
			// Announces 10 MB and then stalls: only a client that believes Content-Length
			// and refuses up front answers before the request times out.
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "10000000")
			w.WriteHeader(200)
			_, _ = w.Write([]byte(`{"users":[`))
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}, KindTooLarge, 200, "Content-Length 10000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, tt.handler, func(c *Config) { c.MaxBodyBytes = 1024; c.MaxRetries = -1 })
			_, err := c.ListUsers(context.Background(), func(User) {})
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if e.Kind != tt.want || e.Status != tt.status {
				t.Errorf("kind %s status %d, want %s %d (%v)", e.Kind, e.Status, tt.want, tt.status, err)
			}
			msg := err.Error()
			if !strings.Contains(msg, "GET /user") || !strings.Contains(msg, tt.contains) {
				t.Errorf("error text %q does not name the endpoint and %q", msg, tt.contains)
			}
			if strings.Contains(msg, testKey) {
				t.Errorf("error text contains the API key: %q", msg)
			}
		})
	}
}

func TestTransportErrors(t *testing.T) {
	t.Run("hang times out", func(t *testing.T) {
		release := make(chan struct{})
		defer close(release)
		c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}, func(c *Config) { c.MaxRetries = -1 })
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := c.ListUsers(ctx, func(User) {})
		if KindOf(err) != KindTimeout {
			t.Errorf("err = %v, want timeout", err)
		}
		if time.Since(start) > 2*time.Second {
			t.Errorf("hang took %s to give up", time.Since(start))
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		c, _ := New(Config{BaseURL: "http://" + testbin.ClosedAddr(t) + "/services/v2", APIKey: testKey, MaxRetries: -1})
		_, err := c.ListUsers(context.Background(), func(User) {})
		if KindOf(err) != KindConnection {
			t.Errorf("err = %v, want connection", err)
		}
	})
	t.Run("connection reset", func(t *testing.T) {
		c := newTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			conn.Close()
		}, func(c *Config) { c.MaxRetries = -1 })
		_, err := c.ListUsers(context.Background(), func(User) {})
		if KindOf(err) != KindConnection {
			t.Errorf("err = %v, want connection", err)
		}
	})
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name      string
		first     int
		firstBody string
		wantCalls int32
		wantErr   Kind
	}{
		{"5xx is retried", 503, `{"errors":[{"code":"unavailable","message":"x"}]}`, 2, ""},
		{"403 is never retried", 403, `{"errors":[{"code":"access_denied|access_denied_invalid_key","message":"x"}]}`, 1, KindInvalidKey},
		{"429 is not retried", 429, `{"errors":[{"code":"request_limit_exceeded","message":"x"}]}`, 1, KindRateLimited},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			c := newTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
				if calls.Add(1) == 1 {
					jsonReply(w, tt.first, tt.firstBody)
					return
				}
				jsonReply(w, 200, `{"page":{"total":0,"limit":1000,"offset":0}}`)
			})
			_, err := c.ListUsers(context.Background(), func(User) {})
			if KindOf(err) != tt.wantErr {
				t.Errorf("err = %v, want kind %q", err, tt.wantErr)
			}
			if calls.Load() != tt.wantCalls {
				t.Errorf("server saw %d calls, want %d", calls.Load(), tt.wantCalls)
			}
		})
	}
	t.Run("no retry that cannot finish before the deadline", func(t *testing.T) {
		var calls atomic.Int32
		c := newTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
			calls.Add(1)
			jsonReply(w, 500, `{}`)
		})
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		_, err := c.ListUsers(ctx, func(User) {})
		if KindOf(err) != KindServerError || calls.Load() != 1 {
			t.Errorf("err = %v after %d calls, want one server_error", err, calls.Load())
		}
	})
}

func TestKeyEchoedByServerIsRedacted(t *testing.T) {
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		jsonReply(w, 403, `{"errors":[{"code":"access_denied|access_denied_invalid_key","message":"key `+r.Header.Get("X-DC-DEVKEY")+` is unknown"}]}`)
	})
	_, err := c.ListUsers(context.Background(), func(User) {})
	if err == nil || strings.Contains(err.Error(), testKey) || !strings.Contains(err.Error(), "<redacted>") {
		t.Errorf("error %q should carry <redacted> instead of the key", err)
	}
}

func TestNoRedirectIsFollowed(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-DC-DEVKEY") != "" {
			leaked.Store(true)
		}
		jsonReply(w, 200, `{}`)
	}))
	defer other.Close()
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/steal", http.StatusFound)
	})
	_, err := c.ListUsers(context.Background(), func(User) {})
	if err == nil {
		t.Error("a redirect was treated as success")
	}
	if leaked.Load() {
		t.Error("the key header was sent to the redirect target")
	}
}

func TestConfigValidation(t *testing.T) {
	for _, tt := range []struct {
		cfg  Config
		want string
	}{
		{Config{APIKey: ""}, "empty"},
		{Config{APIKey: "abc def"}, "white space"},
		{Config{APIKey: "abc\x01"}, "cannot be sent"},
		{Config{APIKey: "k", BaseURL: "www.digicert.com/services/v2"}, "absolute"},
		{Config{APIKey: "k", BaseURL: "ftp://x/services/v2"}, "absolute"},
		{Config{APIKey: "k", BaseURL: "https://u:p@x/services/v2"}, "credentials"},
		// The key travels in a header: plain HTTP to another host carries it in cleartext.
		{Config{APIKey: "k", BaseURL: "http://certcentral.example.internal/services/v2"}, "cleartext"},
		{Config{APIKey: "k", BaseURL: "http://10.0.0.7:8080/services/v2"}, "cleartext"},
	} {
		_, err := New(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error about %q", tt.cfg, err, tt.want)
		}
	}
	c, err := New(Config{APIKey: "k", BaseURL: EUBaseURL + "/"})
	if err != nil || c.BaseURL() != EUBaseURL {
		t.Errorf("EU base URL: %v %v", c, err)
	}
	for _, base := range []string{"http://127.0.0.1:8080/services/v2", "http://[::1]:80/x", "http://localhost:1/services/v2"} {
		if c, err := New(Config{APIKey: "k", BaseURL: base}); err != nil || c.InsecureHTTP() {
			t.Errorf("%s (this machine): %v, insecure %v", base, err, c != nil && c.InsecureHTTP())
		}
	}
	c, err = New(Config{APIKey: "k", BaseURL: "http://proxy.example.internal/services/v2", AllowInsecureHTTP: true})
	if err != nil || !c.InsecureHTTP() {
		t.Errorf("allowed plain HTTP: %v", err)
	}
}

func TestOverlappingPagesDeliverEachItemOnce(t *testing.T) {
	// A user added during the read shifts the second page back by one: its first item was the
	// last item of the first page.
	c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		start := offset
		if offset > 0 {
			start = offset - 1
		}
		var items []string
		for i := start; i < start+1000 && i < 1500; i++ {
			items = append(items, fmt.Sprintf(`{"id":%d,"username":"u%d"}`, i+1, i+1))
		}
		jsonReply(w, 200, fmt.Sprintf(`{"users":[%s],"page":{"total":1500,"limit":1000,"offset":%d}}`, strings.Join(items, ","), offset))
	})
	seen := map[int64]int{}
	stats, err := c.ListUsers(context.Background(), func(u User) { seen[u.ID]++ })
	if err != nil {
		t.Fatal(err)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("user %d delivered %d times", id, n)
		}
	}
	if stats.Duplicates != 1 || stats.Items != len(seen) {
		t.Errorf("stats %+v, want one duplicate", stats)
	}
}

// TestValueCap: one JSON value may not exceed MaxValueBytes, while a body of many small
// values may be far larger, up to MaxBodyBytes.
func TestValueCap(t *testing.T) {
	userJSON := func(id int, padding int) string {
		return fmt.Sprintf(`{"id":%d,"username":"u%d","email":"u%d@example.com","notes":"%s"}`, id, id, id, strings.Repeat("n", padding))
	}
	t.Run("a body of many small items is read in full", func(t *testing.T) {
		items := make([]string, 1000)
		for i := range items {
			items[i] = userJSON(i+1, 5000) // 5 MB in all, above the value cap
		}
		body := `{"users":[` + strings.Join(items, ",") + `],"page":{"total":1000,"limit":1000,"offset":0}}`
		if len(body) <= MaxValueBytes {
			t.Fatalf("the body must exceed the value cap to prove anything (%d bytes)", len(body))
		}
		c := newTestClient(t, func(w http.ResponseWriter, _ *http.Request) { jsonReply(w, 200, body) })
		n := 0
		if _, err := c.ListUsers(context.Background(), func(User) { n++ }); err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
		if n != 1000 {
			t.Errorf("%d users read, want 1000", n)
		}
	})
	for name, body := range map[string]string{
		"one item larger than the cap":         `{"users":[` + userJSON(1, 10) + `,` + userJSON(2, MaxValueBytes+10) + `]}`,
		"an unknown field larger than the cap": `{"users":[` + userJSON(1, 10) + `],"padding":"` + strings.Repeat("x", MaxValueBytes+10) + `"}`,
		"an unknown array larger than the cap": `{"padding":[` + strings.Repeat(`"xxxxxxxxxx",`, MaxValueBytes/13+10) + `1],"users":[]}`,
		"whitespace larger than the cap":       `{"users":[` + userJSON(1, 10) + strings.Repeat(" ", MaxValueBytes+10) + `]}`,
	} {
		t.Run(name, func(t *testing.T) {
			c := newTestClient(t, func(w http.ResponseWriter, _ *http.Request) { jsonReply(w, 200, body) })
			_, err := c.ListUsers(context.Background(), func(User) {})
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindTooLarge {
				t.Fatalf("err = %v, want %s", err, KindTooLarge)
			}
			if want := fmt.Sprintf("a single JSON value larger than %d bytes", MaxValueBytes); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		})
	}
	t.Run("reading stops at the cap", func(t *testing.T) {
		// A 64 MB value, streamed: the client must give up after about MaxValueBytes, long
		// before the body cap (socket buffers hold a few megabytes at most).
		written := make(chan int, 1)
		c := newTestClient(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			n, _ := w.Write([]byte(`{"users":[],"padding":"`))
			chunk := []byte(strings.Repeat("x", 64<<10))
			for n < 64<<20 {
				m, err := w.Write(chunk)
				n += m
				if err != nil {
					break
				}
			}
			written <- n
		})
		_, err := c.ListUsers(context.Background(), func(User) {})
		if KindOf(err) != KindTooLarge {
			t.Fatalf("err = %v, want %s", err, KindTooLarge)
		}
		if n := <-written; n >= DefaultMaxBodyBytes {
			t.Errorf("the server wrote %d bytes, more than the body cap: the client read past the value cap", n)
		}
	})
}
