package simulator

import (
	"net/http"
	"testing"
	"time"
)

const rateLimitedBody = `{"errors":[{"code":"request_limit_exceeded","message":"Service unavailable, please limit request volume"}]}`

func TestRateLimitBurstWindow(t *testing.T) {
	clock := &fakeClock{t: testNow}
	s, hs := newTestServer(t, Options{Dataset: fixture(), Now: clock.Now, RateLimit: RateLimit{Windows: DefaultWindows()}})
	for i := range 100 {
		if r := get(t, hs, "/services/v2/product"); r.status != 200 {
			t.Fatalf("request %d: %d", i+1, r.status)
		}
		clock.Advance(10 * time.Millisecond) // 100 requests in 1s
	}
	r := get(t, hs, "/services/v2/product")
	if r.status != http.StatusTooManyRequests || string(r.body) != rateLimitedBody {
		t.Fatalf("101st request: %d %s", r.status, r.body)
	}
	if r.header.Get("Retry-After") != "" {
		t.Error("429 must not carry Retry-After")
	}
	// Every endpoint shares the key's budget, and retries keep failing
	// until the window rolls (refused requests are not counted).
	clock.Advance(3 * time.Second)
	if r := get(t, hs, "/services/v2/user/me"); r.status != 429 {
		t.Fatalf("still inside the window: %d", r.status)
	}
	// Another key has its own budget; a bad key is 403 and spends nothing.
	if r := doReq(t, hs, http.MethodGet, "/services/v2/product", "garbage"); r.status != 403 {
		t.Fatalf("bad key: %d", r.status)
	}
	// Now t0+5s: the first request (at t0) has left the 5s window, the
	// other 99 (t0+10ms .. t0+990ms) are still in it.
	clock.Advance(time.Second)
	if r := get(t, hs, "/services/v2/product"); r.status != 200 {
		t.Fatalf("after the window rolled: %d %s", r.status, r.body)
	}
	if r := get(t, hs, "/services/v2/product"); r.status != 429 {
		t.Fatalf("only one slot freed, second must be refused: %d", r.status)
	}
	st := s.Stats()
	if st.RateLimited != 3 || st.ByStatus["429"] != 3 {
		t.Errorf("stats = %+v", st)
	}
}

func TestRateLimitLongWindow(t *testing.T) {
	clock := &fakeClock{t: testNow}
	_, hs := newTestServer(t, Options{Dataset: fixture(), Now: clock.Now,
		RateLimit: RateLimit{Windows: []Window{{Limit: 10, Per: time.Minute}, {Limit: 5, Per: time.Second}}}})
	codes := func(n int, step time.Duration) []int {
		var out []int
		for range n {
			out = append(out, get(t, hs, "/services/v2/account").status)
			clock.Advance(step)
		}
		return out
	}
	// 5 per second allowed, 6th refused.
	if got := codes(6, 0); got[4] != 200 || got[5] != 429 {
		t.Fatalf("burst: %v", got)
	}
	clock.Advance(time.Second)
	// 5 more fill the 10/minute window.
	if got := codes(6, 250*time.Millisecond); got[4] != 200 || got[5] != 429 {
		t.Fatalf("long window: %v", got)
	}
	clock.Advance(30 * time.Second)
	if r := get(t, hs, "/services/v2/account"); r.status != 429 {
		t.Fatalf("long window still full: %d", r.status)
	}
	clock.Advance(30 * time.Second)
	if r := get(t, hs, "/services/v2/account"); r.status != 200 {
		t.Fatalf("long window drained: %d", r.status)
	}
}

func TestRateLimitDisabledAndPerKey(t *testing.T) {
	rl := newRateLimiter(RateLimit{Windows: []Window{{Limit: 2, Per: time.Second}}})
	now := testNow
	for i, want := range []bool{true, true, false} {
		if got := rl.allow("a", now); got != want {
			t.Fatalf("key a request %d: allowed %v, want %v", i+1, got, want)
		}
	}
	if !rl.allow("b", now) {
		t.Fatal("key b must have its own budget")
	}
	if !rl.allow("a", now.Add(time.Second)) {
		t.Fatal("window must roll after Per")
	}
	// Memory per key stays bounded however many requests pass.
	for i := range 10000 {
		rl.allow("c", now.Add(time.Duration(i)*time.Second))
	}
	if n := len(rl.log["c"]); n > 2 {
		t.Errorf("kept %d timestamps", n)
	}
	var off *rateLimiter = newRateLimiter(RateLimit{Disabled: true})
	for range 1000 {
		if !off.allow("a", now) {
			t.Fatal("disabled limiter refused")
		}
	}
}
