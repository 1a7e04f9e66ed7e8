// Package budget keeps the exporter's own request budget for one API key: rolling windows
// like DigiCert's (1000 requests per 3 minutes and 100 per 5 seconds, per key), set lower so
// that no scrape pattern makes the API answer 429.
package budget

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Window allows at most Limit requests in any rolling period of length Per.
type Window struct {
	Limit int
	Per   time.Duration
}

func (w Window) String() string { return fmt.Sprintf("%d/%s", w.Limit, w.Per) }

// ErrWouldExceedDeadline is returned by Wait when the next free slot comes after the
// context's deadline; nothing is reserved in that case.
var ErrWouldExceedDeadline = errors.New("request budget exhausted until after the deadline")

// Limiter is a sliding-log limiter over one or more windows. A log (not a token bucket)
// because DigiCert's windows are rolling: the guarantee we need is "never more than Limit in
// any period Per", which a log checks exactly.
type Limiter struct {
	windows []Window
	now     func() time.Time

	mu   sync.Mutex
	sent []time.Time // send times within the longest window, oldest first
	// waited accumulates time callers spent waiting, for the exporter's metrics.
	waited time.Duration
	// refused counts Wait calls that gave up because of the deadline.
	refused int64
}

// New returns a limiter over windows; now may be nil (time.Now).
func New(now func() time.Time, windows ...Window) (*Limiter, error) {
	for _, w := range windows {
		if w.Limit <= 0 || w.Per <= 0 {
			return nil, fmt.Errorf("invalid rate limit window %s: limit and period must be positive", w)
		}
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{windows: windows, now: now}, nil
}

// Windows returns the configured windows.
func (l *Limiter) Windows() []Window { return append([]Window(nil), l.windows...) }

// reserve records a send at now if every window has room, else returns when to try again.
func (l *Limiter) reserve(now time.Time) (ok bool, retryAt time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	longest := time.Duration(0)
	for _, w := range l.windows {
		longest = max(longest, w.Per)
	}
	// Drop entries no window can see any more.
	cut := 0
	for cut < len(l.sent) && !l.sent[cut].After(now.Add(-longest)) {
		cut++
	}
	l.sent = l.sent[cut:]

	for _, w := range l.windows {
		// Count sends within (now-Per, now].
		from := now.Add(-w.Per)
		n, first := 0, -1
		for i := len(l.sent) - 1; i >= 0 && l.sent[i].After(from); i-- {
			n++
			first = i
		}
		if n >= w.Limit {
			// The window frees a slot when its oldest counted send leaves it; with n > Limit
			// (cannot happen here, but be safe) the (n-Limit)-th one.
			idx := first + (n - w.Limit)
			at := l.sent[idx].Add(w.Per)
			if at.After(retryAt) {
				retryAt = at
			}
		}
	}
	if !retryAt.IsZero() {
		return false, retryAt
	}
	l.sent = append(l.sent, now)
	return true, time.Time{}
}

// Wait blocks until a request may be sent and records it. It returns ErrWouldExceedDeadline
// at once when the slot would come after ctx's deadline, and ctx.Err() if ctx ends first.
func (l *Limiter) Wait(ctx context.Context) error {
	start := l.now()
	for {
		now := l.now()
		ok, retryAt := l.reserve(now)
		if ok {
			if d := now.Sub(start); d > 0 {
				l.mu.Lock()
				l.waited += d
				l.mu.Unlock()
			}
			return nil
		}
		if deadline, has := ctx.Deadline(); has && retryAt.After(deadline) {
			l.mu.Lock()
			l.refused++
			l.mu.Unlock()
			return ErrWouldExceedDeadline
		}
		timer := time.NewTimer(retryAt.Sub(now))
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// Stats reports what the limiter did, for metrics.
type Stats struct {
	// InWindow is the number of sends within each window right now, in window order.
	InWindow []int
	Waited   time.Duration
	Refused  int64
}

// Stats returns the current usage.
func (l *Limiter) Stats() Stats {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Stats{Waited: l.waited, Refused: l.refused}
	for _, w := range l.windows {
		n := 0
		for i := len(l.sent) - 1; i >= 0 && l.sent[i].After(now.Add(-w.Per)); i-- {
			n++
		}
		s.InWindow = append(s.InWindow, n)
	}
	return s
}

// MinInterval is how often a job of requests requests may run so that it uses at most share
// (0..1] of every window's limit. It is the schedule that keeps a set of periodic jobs, each
// with its share, within the budget without ever waiting on it.
func (l *Limiter) MinInterval(requests int, share float64) time.Duration {
	if requests <= 0 || share <= 0 {
		return 0
	}
	var longest time.Duration
	for _, w := range l.windows {
		d := time.Duration(float64(requests) * float64(w.Per) / (float64(w.Limit) * share))
		longest = max(longest, d)
	}
	return longest
}

// Allowance is how many requests one run of a job may send when it may use share (0..1] of
// the budget: that share of the longest window's limit. A run that needs more would take what
// other jobs are promised in that window; bounding it keeps one job's fault (pages of one item,
// a list that keeps growing) in that job. 0 when there is no window or no share.
func (l *Limiter) Allowance(share float64) int {
	var longest Window
	for _, w := range l.windows {
		if w.Per > longest.Per {
			longest = w
		}
	}
	if share <= 0 {
		return 0
	}
	return int(float64(longest.Limit) * min(share, 1))
}
