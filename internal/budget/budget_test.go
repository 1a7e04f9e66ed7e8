package budget

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeClock is advanced by hand; Wait's timers still use real time, so tests that block keep
// their real waits short.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestRollingWindows(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	l, err := New(clock.now, Window{Limit: 10, Per: 3 * time.Minute}, Window{Limit: 3, Per: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if ok, _ := l.reserve(clock.now()); !ok {
			t.Fatalf("request %d refused inside the burst", i+1)
		}
	}
	ok, retry := l.reserve(clock.now())
	if ok {
		t.Fatal("4th request within 5 s allowed; burst limit is 3")
	}
	if want := clock.now().Add(5 * time.Second); !retry.Equal(want) {
		t.Errorf("retry at %v, want %v (when the oldest leaves the window)", retry, want)
	}
	// Rolling: after 5 s the burst window is free again, but the 3-minute window still counts.
	for i := 0; i < 7; i++ {
		clock.add(5 * time.Second)
		if ok, _ := l.reserve(clock.now()); !ok {
			t.Fatalf("request %d refused although both windows had room", 4+i)
		}
	}
	clock.add(5 * time.Second)
	if ok, _ := l.reserve(clock.now()); ok {
		t.Fatal("11th request within 3 minutes allowed; limit is 10")
	}
	if got := l.Stats().InWindow; got[0] != 10 {
		t.Errorf("InWindow = %v, want 10 in the long window", got)
	}
	clock.add(3 * time.Minute)
	if ok, _ := l.reserve(clock.now()); !ok {
		t.Fatal("refused after the window rolled past every send")
	}
}

// TestNeverExceedsAnyWindow drives the limiter with many concurrent callers on the real clock
// and checks the log of grants against both windows, the property DigiCert enforces.
func TestNeverExceedsAnyWindow(t *testing.T) {
	windows := []Window{{Limit: 20, Per: 400 * time.Millisecond}, {Limit: 5, Per: 50 * time.Millisecond}}
	l, _ := New(nil, windows...)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 6; j++ {
				if err := l.Wait(context.Background()); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	l.mu.Lock()
	sent := append([]time.Time(nil), l.sent...)
	l.mu.Unlock()
	// Check the limiter's own log (the authoritative send times) against each window.
	for _, w := range windows {
		for i := range sent {
			n := 0
			for j := i; j < len(sent) && sent[j].Sub(sent[i]) < w.Per; j++ {
				n++
			}
			if n > w.Limit {
				t.Fatalf("%d sends within %s starting at #%d; limit %d", n, w.Per, i, w.Limit)
			}
		}
	}
	if l.Stats().Waited <= 0 {
		t.Error("48 requests against 20 per 400ms should have waited")
	}
}

func TestWaitGivesUpBeforeTheDeadline(t *testing.T) {
	l, _ := New(nil, Window{Limit: 1, Per: time.Hour})
	if err := l.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	err := l.Wait(ctx)
	if !errors.Is(err, ErrWouldExceedDeadline) {
		t.Fatalf("err = %v, want ErrWouldExceedDeadline", err)
	}
	if time.Since(start) > 100*time.Millisecond {
		t.Errorf("gave up after %s; it should know at once", time.Since(start))
	}
	if l.Stats().Refused != 1 {
		t.Errorf("refused = %d", l.Stats().Refused)
	}
}

func TestMinInterval(t *testing.T) {
	l, _ := New(nil, Window{Limit: 500, Per: 3 * time.Minute}, Window{Limit: 50, Per: 5 * time.Second})
	// 100 requests with a quarter of 500 per 3 minutes: 100 / 125 * 180 s = 144 s.
	if got := l.MinInterval(100, 0.25); got != 144*time.Second {
		t.Errorf("MinInterval(100, 0.25) = %s, want 2m24s", got)
	}
	if got := l.MinInterval(0, 0.25); got != 0 {
		t.Errorf("MinInterval(0) = %s", got)
	}
	if _, err := New(nil, Window{Limit: 0, Per: time.Second}); err == nil {
		t.Error("a zero limit was accepted")
	}
}

func TestAllowanceIsTheShareOfTheLongestWindow(t *testing.T) {
	l, err := New(nil, Window{Limit: 50, Per: 5 * time.Second}, Window{Limit: 500, Per: 3 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for share, want := range map[float64]int{0.2: 100, 0.25: 125, 0.05: 25, 0: 0, 2: 500} {
		if got := l.Allowance(share); got != want {
			t.Errorf("Allowance(%v) = %d, want %d", share, got, want)
		}
	}
}
