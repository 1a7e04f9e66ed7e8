package collector

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Gather serves one scrape of this exporter bounded by ctx: it waits for stale collectors to
// refresh until ctx ends, then returns the newest results and the collectors' health, sorted
// by name.
func (e *Exporter) Gather(ctx context.Context) ([]*dto.MetricFamily, error) {
	return Gatherer(ctx, []*Exporter{e}).Gather()
}

// WriteText serves one scrape of this exporter like Gather, in the text exposition format;
// see the function WriteText.
func (e *Exporter) WriteText(ctx context.Context, w io.Writer, format expfmt.Format, others ...prometheus.Gatherer) error {
	return WriteText(ctx, w, format, []*Exporter{e}, others...)
}

// Gatherer returns a prometheus.Gatherer for one scrape of this exporter; see the function
// Gatherer.
func (e *Exporter) Gatherer(ctx context.Context, others ...prometheus.Gatherer) prometheus.Gatherer {
	return Gatherer(ctx, []*Exporter{e}, others...)
}

// accountScrape is one exporter's part of a scrape.
type accountScrape struct {
	e     *Exporter
	snaps []snapshot
	now   time.Time
}

// scrapeAccounts takes every exporter's part of one scrape: it starts the collections every
// stale collector needs, waits for them until ctx ends (a slow account delays no other
// beyond the deadline), then takes every collector's newest results.
func scrapeAccounts(ctx context.Context, exporters []*Exporter) []accountScrape {
	var flights []<-chan struct{}
	for _, e := range exporters {
		for _, st := range e.states {
			if f := e.begin(st); f != nil {
				flights = append(flights, f)
			}
		}
	}
	for _, f := range flights {
		select {
		case <-f:
		case <-ctx.Done():
		}
	}
	parts := make([]accountScrape, len(exporters))
	for i, e := range exporters {
		snaps := make([]snapshot, len(e.states))
		for k, st := range e.states {
			snaps[k].last, snaps[k].good = st.results()
		}
		parts[i] = accountScrape{e: e, snaps: snaps, now: e.now()}
	}
	return parts
}

// volatileFamilies are the families that change with every scrape: each account's own
// long-lived metrics (API requests, request budget), then those of others (process-wide
// metrics), gathered after the accounts' parts so that they count this scrape's requests.
func volatileFamilies(parts []accountScrape, others []prometheus.Gatherer) ([][]*dto.MetricFamily, prometheus.MultiError) {
	var groups [][]*dto.MetricFamily
	var errs prometheus.MultiError
	for _, p := range parts {
		if p.e.cfg.Extra != nil {
			mfs, err := p.e.cfg.Extra.Gather()
			errs.Append(err)
			groups = append(groups, mfs)
		}
	}
	for _, g := range others {
		mfs, err := g.Gather()
		errs.Append(err)
		groups = append(groups, mfs)
	}
	return groups, errs
}

// mergeFamilies joins families of the same name (one per account) into one, sorted by name.
// The families given are not changed: a cached family may be merged again by the next scrape.
func mergeFamilies(groups ...[]*dto.MetricFamily) []*dto.MetricFamily {
	byName := map[string]*dto.MetricFamily{}
	var out []*dto.MetricFamily
	for _, g := range groups {
		for _, mf := range g {
			have, ok := byName[mf.GetName()]
			switch {
			case !ok:
				c := &dto.MetricFamily{Name: mf.Name, Help: mf.Help, Type: mf.Type, Unit: mf.Unit, Metric: slices.Clip(mf.Metric)}
				byName[mf.GetName()] = c
				out = append(out, c)
			case same(have, mf):
				// have is our own copy; its Metric slice is clipped, so append never writes
				// into a cached family's array.
				have.Metric = append(have.Metric, mf.Metric...)
			}
		}
	}
	sortFamilies(out)
	return out
}

// same says whether two families of one name can be merged: the same type. Families of one
// name and different types would be an exporter bug; the second is left out.
func same(a, b *dto.MetricFamily) bool { return a.GetType() == b.GetType() }

// Gatherer returns a prometheus.Gatherer for one scrape of several exporters bounded by ctx:
// every exporter's families (gathering them runs the collections), merged by name across
// exporters, then those of the long-lived process-wide gatherers. This is the general path
// (protobuf, tests); the collected data is parsed back from the text it is kept as.
func Gatherer(ctx context.Context, exporters []*Exporter, others ...prometheus.Gatherer) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		parts := scrapeAccounts(ctx, exporters)
		var groups [][]*dto.MetricFamily
		var errs prometheus.MultiError
		for _, p := range parts {
			health, err := p.e.healthFamilies(p.snaps, p.now)
			errs.Append(err)
			groups = append(groups, health)
			for _, r := range p.e.servable(p.snaps, p.now) {
				mfs, err := parseFamilies(r.text, nil)
				errs.Append(err)
				groups = append(groups, mfs)
			}
		}
		volatile, verrs := volatileFamilies(parts, others)
		errs = append(errs, verrs...)
		groups = append(groups, volatile...)
		return mergeFamilies(groups...), errs.MaybeUnwrap()
	})
}

// WriteText serves one scrape of several exporters bounded by ctx, in the text exposition
// format; see Scrape. format is the text format negotiated with the client.
func WriteText(ctx context.Context, w io.Writer, format expfmt.Format, exporters []*Exporter, others ...prometheus.Gatherer) error {
	resp, err := Scrape(ctx, NewResponseCache(), format, exporters, others...)
	if _, werr := resp.WriteTo(w); werr != nil {
		return werr
	}
	return err
}

// servable returns the results whose data may be served now.
func (e *Exporter) servable(snaps []snapshot, now time.Time) []*result {
	var out []*result
	for _, sn := range snaps {
		if e.servableResult(sn.good, sn.last, now) {
			out = append(out, sn.good)
		}
	}
	return out
}

func sortFamilies(mfs []*dto.MetricFamily) {
	slices.SortFunc(mfs, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
}

type snapshot struct{ last, good *result }

// familyText is one family of a result in the text format: its HELP and TYPE lines, then
// its series.
type familyText struct {
	name      string
	text      []byte
	bodyStart int
}

func (f familyText) header() []byte { return f.text[:f.bodyStart] }
func (f familyText) body() []byte   { return f.text[f.bodyStart:] }

// parseFamilies reads families back from their text, those named in only (all when nil).
func parseFamilies(texts []familyText, only map[string]bool) ([]*dto.MetricFamily, error) {
	var out []*dto.MetricFamily
	parser := expfmt.NewTextParser(model.UTF8Validation)
	for _, ft := range texts {
		if only != nil && !only[ft.name] {
			continue
		}
		mfs, err := parser.TextToMetricFamilies(bytes.NewReader(ft.text))
		if err != nil {
			return out, fmt.Errorf("reading back %s: %w", ft.name, err)
		}
		if mf, ok := mfs[ft.name]; ok {
			out = append(out, mf)
		}
	}
	return out, nil
}

// Cached returns what a scrape would serve now (the data of servable results, the health and
// derived metrics) without starting or waiting for any collection: for pages that must never
// call CertCentral. With names, only those families' data are read back. Reading back is
// not cheap on a large account (168,000 series of the status page's families: 1.4 s and
// 100 MiB), and keeping what was read would double the memory of the data: callers keep what
// they derive from it instead (the status page its summary, per Version).
func (e *Exporter) Cached(names ...string) []*dto.MetricFamily {
	snaps := make([]snapshot, len(e.states))
	for i, st := range e.states {
		snaps[i].last, snaps[i].good = st.results()
	}
	now := e.now()
	health, err := e.healthFamilies(snaps, now)
	if err != nil {
		e.log.Debug("health metrics for the status page", "err", err)
	}
	var only map[string]bool
	if len(names) > 0 {
		only = map[string]bool{}
		for _, n := range names {
			only[n] = true
		}
	}
	groups := [][]*dto.MetricFamily{health}
	for _, r := range e.servable(snaps, now) {
		mfs, err := parseFamilies(r.text, only)
		if err != nil {
			e.log.Debug("data for the status page", "err", err)
		}
		groups = append(groups, mfs)
	}
	return mergeFamilies(groups...)
}
