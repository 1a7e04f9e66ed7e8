package collector

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// A scrape's answer is two parts. The static part is everything made from the collections:
// the data, the collectors' health and the derived metrics. It changes only when a
// collection of one of the scraped accounts ends, so it is assembled once then, and
// compressed once as a gzip member, and every scrape until the next collection sends the
// same bytes. The volatile part is what changes with every scrape (the API request counters,
// the request budget, the process's go_* and process_* metrics): a few hundred series,
// encoded and compressed per scrape as a second gzip member. A gzip stream may hold several
// members, and Go's gzip reader, which Prometheus uses, reads them all as one body.

// ResponseCache keeps the static part of one scrape target's answer (the /metrics set of
// accounts, or one account for /probe). It is safe for concurrent use.
type ResponseCache struct {
	mu     sync.Mutex
	key    []responseKey
	static *staticText
}

// NewResponseCache returns an empty cache.
func NewResponseCache() *ResponseCache { return &ResponseCache{} }

// responseKey is what one collector contributes to the static part: its newest and last
// good results (whose identity changes with every collection) and whether the good one is
// served. Failure counts change only with a new last result.
type responseKey struct {
	e          *Exporter
	last, good *result
	servable   bool
}

func keyOf(parts []accountScrape) []responseKey {
	var key []responseKey
	for _, p := range parts {
		for _, sn := range p.snaps {
			key = append(key, responseKey{e: p.e, last: sn.last, good: sn.good, servable: p.e.servableResult(sn.good, sn.last, p.now)})
		}
	}
	return key
}

// staticText is the static part: segments written in order, referring to the results' text
// without copying it.
type staticText struct {
	segments [][]byte
	size     int
	names    map[string]bool // families in it, which the volatile part must not repeat
	err      error           // from building the health families

	gzOnce sync.Once
	gz     []byte
}

// Response is one scrape's answer in the text format.
type Response struct {
	static *staticText
	// Volatile is the part that changes with every scrape, encoded in the negotiated format.
	Volatile []byte
}

// WriteTo writes the whole answer uncompressed.
func (r Response) WriteTo(w io.Writer) (int64, error) {
	var n int64
	if r.static != nil {
		for _, s := range r.static.segments {
			k, err := w.Write(s)
			n += int64(k)
			if err != nil {
				return n, err
			}
		}
	}
	k, err := w.Write(r.Volatile)
	return n + int64(k), err
}

// StaticGzip is the static part as one complete gzip member, compressed on first use and
// kept with it: concatenated with a gzip member of Volatile it is the whole answer.
func (r Response) StaticGzip() []byte {
	if r.static == nil {
		return nil
	}
	s := r.static
	s.gzOnce.Do(func() {
		var buf bytes.Buffer
		// BestSpeed: the text is very repetitive, and this runs once per collection on the
		// scrape that first sees it.
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		for _, seg := range s.segments {
			_, _ = zw.Write(seg)
		}
		_ = zw.Close()
		s.gz = slices.Clip(buf.Bytes())
	})
	return s.gz
}

// Size is the length of the uncompressed answer.
func (r Response) Size() int {
	n := len(r.Volatile)
	if r.static != nil {
		n += r.static.size
	}
	return n
}

// ResponseCache returns the cache of a scrape of this exporter alone (/probe).
func (e *Exporter) ResponseCache() *ResponseCache { return e.response }

// Scrape serves one scrape of several exporters bounded by ctx: it waits for stale
// collectors until ctx ends, then answers with the static part from cache (assembled again
// only when a collection ended since the last scrape of this cache) and the volatile part
// encoded now in format (a text format). Each family is written once, with one HELP and
// TYPE, followed by every account's series of it.
func Scrape(ctx context.Context, cache *ResponseCache, format expfmt.Format, exporters []*Exporter, others ...prometheus.Gatherer) (Response, error) {
	parts := scrapeAccounts(ctx, exporters)
	static := cache.get(parts)
	volatile, errs := volatileFamilies(parts, others)
	errs.Append(static.err)
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, format)
	for _, mf := range mergeFamilies(volatile...) {
		if static.names[mf.GetName()] {
			errs.Append(fmt.Errorf("%s is served from the collections and by a gatherer; the gatherer's series are left out", mf.GetName()))
			continue
		}
		if err := enc.Encode(mf); err != nil {
			errs.Append(err)
		}
	}
	return Response{static: static, Volatile: buf.Bytes()}, errs.MaybeUnwrap()
}

// get returns the static part for parts, assembling it when a collection changed it.
func (c *ResponseCache) get(parts []accountScrape) *staticText {
	key := keyOf(parts)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.static != nil && slices.Equal(c.key, key) {
		return c.static
	}
	c.key, c.static = key, buildStatic(parts)
	return c.static
}

// buildStatic assembles the static part: the health and derived families (small, encoded
// now) and the data of the served results (encoded once per collection), family by family
// in name order.
func buildStatic(parts []accountScrape) *staticText {
	var (
		groups [][]*dto.MetricFamily
		errs   prometheus.MultiError
		texts  = map[string][]familyText{}
	)
	for _, p := range parts {
		health, err := p.e.healthFamilies(p.snaps, p.now)
		errs.Append(err)
		groups = append(groups, health)
		for _, r := range p.e.servable(p.snaps, p.now) {
			for _, ft := range r.text {
				texts[ft.name] = append(texts[ft.name], ft)
			}
		}
	}
	small := mergeFamilies(groups...)
	smallByName := make(map[string]*dto.MetricFamily, len(small))
	names := make([]string, 0, len(small)+len(texts))
	for _, mf := range small {
		smallByName[mf.GetName()] = mf
		names = append(names, mf.GetName())
	}
	for name := range texts {
		if _, ok := smallByName[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)

	// The small families are encoded into one buffer; a segment refers to it by offsets
	// until the buffer is complete.
	type seg struct {
		own        bool
		start, end int
		b          []byte
	}
	var (
		own  bytes.Buffer
		segs []seg
	)
	enc := expfmt.NewEncoder(&own, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, name := range names {
		chunks := texts[name]
		if mf, ok := smallByName[name]; ok {
			start := own.Len()
			if err := enc.Encode(mf); err != nil {
				errs.Append(err)
				continue
			}
			segs = append(segs, seg{own: true, start: start, end: own.Len()})
		} else {
			segs = append(segs, seg{b: chunks[0].header()})
		}
		for _, c := range chunks {
			segs = append(segs, seg{b: c.body()})
		}
	}
	st := &staticText{names: make(map[string]bool, len(names)), err: errs.MaybeUnwrap()}
	for _, n := range names {
		st.names[n] = true
	}
	ownBytes := own.Bytes()
	for _, s := range segs {
		b := s.b
		if s.own {
			b = ownBytes[s.start:s.end]
		}
		if len(b) == 0 {
			continue
		}
		// Adjacent pieces of the own buffer are joined: fewer, larger writes.
		if n := len(st.segments); s.own && n > 0 && len(st.segments[n-1]) > 0 && sameArrayEnd(st.segments[n-1], b) {
			st.segments[n-1] = st.segments[n-1][:len(st.segments[n-1])+len(b)]
		} else {
			st.segments = append(st.segments, b)
		}
		st.size += len(b)
	}
	return st
}

// sameArrayEnd says whether b starts where a ends in the same array.
func sameArrayEnd(a, b []byte) bool {
	return cap(a) > len(a) && len(b) > 0 && &a[:len(a)+1][len(a)] == &b[0]
}
