package main

import (
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

type fakeSource struct{ version uint64 }

func (f *fakeSource) Version() uint64                      { return f.version }
func (f *fakeSource) Cached(...string) []*dto.MetricFamily { return nil }

// TestGlanceCacheBuildsOncePerCollection: a summary is built again only when its account's
// collection ended since, when it is a minute old, or for an account it has not seen; the
// accounts a reload removed are forgotten.
func TestGlanceCacheBuildsOncePerCollection(t *testing.T) {
	c := newGlanceCache()
	builds := map[glanceSource]int{}
	c.build = func(src glanceSource, _ time.Time) glance { builds[src]++; return glance{} }
	a, b := &fakeSource{}, &fakeSource{}
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

	for range 3 { // a page reloaded, or opened by many
		c.get([]glanceSource{a, b}, now)
	}
	if builds[a] != 1 || builds[b] != 1 {
		t.Fatalf("three requests without a collection built %d and %d summaries, want 1 each", builds[a], builds[b])
	}
	a.version++ // one of a's collections ended
	c.get([]glanceSource{a, b}, now.Add(time.Second))
	if builds[a] != 2 || builds[b] != 1 {
		t.Fatalf("after a's collection: %d and %d builds, want 2 and 1", builds[a], builds[b])
	}
	c.get([]glanceSource{a, b}, now.Add(glanceMaxAge+time.Second))
	if builds[a] != 3 || builds[b] != 2 {
		t.Fatalf("after a minute: %d and %d builds, want 3 and 2", builds[a], builds[b])
	}
	c.get([]glanceSource{a}, now.Add(glanceMaxAge+2*time.Second)) // b's account removed
	if _, kept := c.entries[b]; kept || len(c.entries) != 1 {
		t.Errorf("a removed account's summary is kept: %d entries", len(c.entries))
	}
}
