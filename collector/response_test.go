package collector

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
)

// TestResponseCacheFollowsCollections: the static part of a cached answer is the same
// object while no collection ends, and is assembled anew once one has.
func TestResponseCacheFollowsCollections(t *testing.T) {
	env := newTestEnv(t, "demo")
	var mu sync.Mutex
	now := goldenNow
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	exp := env.exporter(t, []string{"users", "balance"}, func(c *Config) { c.Now = clock; c.CacheTTL = time.Minute })
	cache := NewResponseCache()
	format := expfmt.NewFormat(expfmt.TypeTextPlain)
	scrape := func() Response {
		t.Helper()
		resp, err := Scrape(context.Background(), cache, format, []*Exporter{exp})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	first := scrape()
	if again := scrape(); again.static != first.static {
		t.Fatal("the static part was assembled again with no collection in between")
	}
	if first.Size() == 0 || len(first.StaticGzip()) == 0 {
		t.Fatal("empty answer")
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	if later := scrape(); later.static == first.static {
		t.Fatal("a refresh of the data did not change the static part")
	}
}
