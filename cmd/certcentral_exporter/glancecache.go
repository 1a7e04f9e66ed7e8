package main

import (
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// glanceMaxAge bounds how long a summary is shown without being built again when no
// collection ended: its days-ago and data-turned-stale parts move with the clock only.
const glanceMaxAge = time.Minute

// glanceCache keeps each account's at-a-glance summary until one of its collections ends.
// Building it reads the kept data back (1.4 s and 100 MiB, briefly, for an account of 10,000
// users, 50,000 domains and 100,000 orders); the summary itself is a few dozen rows. So a
// page reloaded, or opened by many, reads each account back at most once per collection.
type glanceCache struct {
	mu      sync.Mutex
	entries map[glanceSource]glanceEntry
	build   func(glanceSource, time.Time) glance
}

// glanceSource is what a summary is built from: an account's *collector.Exporter.
type glanceSource interface {
	Version() uint64
	Cached(names ...string) []*dto.MetricFamily
}

type glanceEntry struct {
	version uint64
	built   time.Time
	glance  glance
}

func newGlanceCache() *glanceCache {
	return &glanceCache{
		entries: map[glanceSource]glanceEntry{},
		build: func(src glanceSource, now time.Time) glance {
			return buildGlance(src.Cached(glanceFamilies...), now)
		},
	}
}

// get returns the summaries of sources, in their order, building those whose source
// finished a collection since, or that are older than glanceMaxAge. Entries of exporters no
// longer asked for (accounts gone with a reload) are dropped. The lock is held while
// building, so that requests arriving together build once.
func (c *glanceCache) get(sources []glanceSource, now time.Time) []glance {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]glance, len(sources))
	kept := make(map[glanceSource]glanceEntry, len(sources))
	for i, e := range sources {
		out[i] = c.entry(e, now, kept)
	}
	c.entries = kept
	return out
}

func (c *glanceCache) entry(src glanceSource, now time.Time, kept map[glanceSource]glanceEntry) glance {
	v := src.Version()
	en, ok := c.entries[src]
	if !ok || en.version != v || now.Sub(en.built) >= glanceMaxAge || now.Before(en.built) {
		en = glanceEntry{version: v, built: now, glance: c.build(src, now)}
	}
	kept[src] = en
	return en.glance
}
