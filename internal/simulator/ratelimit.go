package simulator

import (
	"sort"
	"sync"
	"time"
)

// Window is one rolling rate-limit window: at most Limit requests in any
// span of Per.
type Window struct {
	Limit int
	Per   time.Duration
}

// RateLimit configures per-key rate limiting. The zero value means
// DigiCert's current published limits (DefaultWindows).
type RateLimit struct {
	Disabled bool
	Windows  []Window
}

// DefaultWindows are the stricter, current published limits (reference §9):
// 1000 requests per 3 minutes and 100 per 5 seconds, per key, rolling.
func DefaultWindows() []Window {
	return []Window{{Limit: 1000, Per: 3 * time.Minute}, {Limit: 100, Per: 5 * time.Second}}
}

// rateLimiter keeps, per key, the timestamps of accepted requests.
//
// Only accepted requests are logged. DigiCert says every request returns
// 429 "until the window drains"; if refused requests were logged too, a
// client retrying every second would keep the window full forever, which
// is not the documented draining behaviour. So a refused request costs
// nothing and the key recovers once enough old requests age out.
type rateLimiter struct {
	mu      sync.Mutex
	windows []Window
	longest time.Duration
	maxKeep int
	log     map[string][]time.Time
}

func newRateLimiter(cfg RateLimit) *rateLimiter {
	if cfg.Disabled {
		return nil
	}
	ws := cfg.Windows
	if len(ws) == 0 {
		ws = DefaultWindows()
	}
	rl := &rateLimiter{windows: ws, log: map[string][]time.Time{}}
	for _, w := range ws {
		rl.longest = max(rl.longest, w.Per)
		rl.maxKeep = max(rl.maxKeep, w.Limit)
	}
	return rl
}

// allow records and accepts the request at now, or refuses it if any window
// already holds Limit accepted requests.
func (rl *rateLimiter) allow(key string, now time.Time) bool {
	if rl == nil {
		return true
	}
	rl.mu.Lock()
	defer rl.mu.Unlock()
	ts := rl.log[key]
	// Forget what no window can see any more.
	cut := sort.Search(len(ts), func(i int) bool { return ts[i].After(now.Add(-rl.longest)) })
	ts = ts[cut:]
	for _, w := range rl.windows {
		start := now.Add(-w.Per)
		n := len(ts) - sort.Search(len(ts), func(i int) bool { return ts[i].After(start) })
		if n >= w.Limit {
			rl.log[key] = ts
			return false
		}
	}
	// Only the newest maxKeep entries can ever decide a refusal, so older
	// ones are dropped to bound memory per key.
	if len(ts) >= rl.maxKeep {
		ts = ts[len(ts)-rl.maxKeep+1:]
	}
	rl.log[key] = append(ts, now)
	return true
}

// reset forgets all request history.
func (rl *rateLimiter) reset() {
	if rl == nil {
		return
	}
	rl.mu.Lock()
	rl.log = map[string][]time.Time{}
	rl.mu.Unlock()
}
