package collector

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

var (
	upDesc = newDesc("up",
		"1 if CertCentral answered the last collections and accepted the API key, 0 if the key was rejected or no collector reached the API.")
	successDesc = newDesc("collector_success",
		"1 if the collector's last collection succeeded, else 0.", "collector")
	durationDesc = newDesc("collector_duration_seconds",
		"How long the collector's last collection took.", "collector")
	lastSuccessDesc = newDesc("collector_last_success_timestamp_seconds",
		"When the collector's data was last collected successfully, as a Unix timestamp: the age of the data served.", "collector")
	errorDesc = newDesc("collector_error",
		"1 while the collector's last collection failed, labelled with the reason (invalid_key, missing_permission, rate_limited, timeout, ...).",
		"collector", "reason")
	failuresDesc = newDesc("collector_failures_total",
		"Failed collections since the exporter started, by reason.", "collector", "reason")
	unparsedDesc = newDesc("collector_unparsed_values",
		"Values in the last successful collection that could not be parsed; their objects were kept.", "collector", "field")
	droppedDesc = newDesc("collector_items_dropped",
		"Items (users, domains, certificates) of the last successful collection left out of their per-item series by a cap or for want of an id, or certificates left out of the domain join by its cap.", "collector")
	requestsDesc = newDesc("collector_api_requests",
		"API requests made by the collector's last successful collection.", "collector")
	announcedDesc = newDesc("collector_items_announced",
		"Items the API announced (page.total) for the list the collector's last collection read, failed or not.", "collector")
	readDesc = newDesc("collector_items_read",
		"Distinct items the collector's last collection read from its list, failed or not: below certcentral_collector_items_announced when the read stopped early or the pages did not add up.", "collector")
)

// kindScrapeTimeout labels a collector whose first collection had not finished when the
// scrape's deadline came.
const kindScrapeTimeout certcentral.Kind = "timeout"

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
	small []*dto.MetricFamily // health, derived metrics and the account's own: built now
	data  []*result           // collected data, encoded once per collection
}

// scrapeAll takes every exporter's part of one scrape at once, each waiting for its stale
// collectors until ctx ends, so that a slow account delays no other beyond the deadline.
// The families of others (process-wide metrics) come after, so that they count this
// scrape's requests.
func scrapeAll(ctx context.Context, exporters []*Exporter, others []prometheus.Gatherer) ([]accountScrape, []*dto.MetricFamily, prometheus.MultiError) {
	parts := make([]accountScrape, len(exporters))
	errs := make([]error, len(exporters))
	var wg sync.WaitGroup
	for i, e := range exporters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i], errs[i] = e.scrape(ctx)
		}()
	}
	wg.Wait()
	var all prometheus.MultiError
	for _, err := range errs {
		all.Append(err)
	}
	var process []*dto.MetricFamily
	for _, g := range others {
		mfs, err := g.Gather()
		all.Append(err)
		process = append(process, mfs...)
	}
	return parts, process, all
}

func (e *Exporter) scrape(ctx context.Context) (accountScrape, error) {
	snaps, now := e.snapshots(ctx)
	small, err := e.healthFamilies(snaps, now)
	errs := prometheus.MultiError{}
	errs.Append(err)
	if e.cfg.Extra != nil {
		more, err := e.cfg.Extra.Gather()
		errs.Append(err)
		small = append(small, more...)
	}
	return accountScrape{small: small, data: e.servable(snaps, now)}, errs.MaybeUnwrap()
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
// exporters, then those of the long-lived process-wide gatherers.
func Gatherer(ctx context.Context, exporters []*Exporter, others ...prometheus.Gatherer) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		parts, process, errs := scrapeAll(ctx, exporters, others)
		groups := [][]*dto.MetricFamily{}
		for _, p := range parts {
			groups = append(groups, p.small)
			for _, r := range p.data {
				groups = append(groups, r.families)
			}
		}
		groups = append(groups, process)
		return mergeFamilies(groups...), errs.MaybeUnwrap()
	})
}

// WriteText serves one scrape of several exporters bounded by ctx, in the text exposition
// format. The small families (health, the accounts' request metrics, the process's) are
// encoded now; the collected data is written as the text encoded once per collection. Each
// family is written once, with one HELP and TYPE, followed by every account's series of it.
// This is the path every Prometheus scrape takes, and on a large account it is most of the
// scrape's work.
func WriteText(ctx context.Context, w io.Writer, format expfmt.Format, exporters []*Exporter, others ...prometheus.Gatherer) error {
	parts, process, errs := scrapeAll(ctx, exporters, others)
	groups := [][]*dto.MetricFamily{}
	texts := map[string][]familyText{}
	for _, p := range parts {
		groups = append(groups, p.small)
		for _, r := range p.data {
			for _, ft := range r.encodedText() {
				texts[ft.name] = append(texts[ft.name], ft)
			}
		}
	}
	small := mergeFamilies(append(groups, process)...)
	names := make([]string, 0, len(small)+len(texts))
	smallByName := make(map[string]*dto.MetricFamily, len(small))
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
	enc := expfmt.NewEncoder(w, format)
	for _, name := range names {
		chunks := texts[name]
		var err error
		if mf, ok := smallByName[name]; ok {
			err = enc.Encode(mf)
		} else {
			_, err = w.Write(chunks[0].header())
		}
		for _, c := range chunks {
			if err != nil {
				break
			}
			_, err = w.Write(c.body())
		}
		if err != nil {
			errs.Append(err)
			break
		}
	}
	return errs.MaybeUnwrap()
}

// snapshots waits, until ctx ends, for the collectors whose data is stale, and returns every
// collector's newest results.
func (e *Exporter) snapshots(ctx context.Context) ([]snapshot, time.Time) {
	snaps := make([]snapshot, len(e.states))
	var wg sync.WaitGroup
	for i, st := range e.states {
		wg.Add(1)
		go func() {
			defer wg.Done()
			snaps[i].last, snaps[i].good = e.current(ctx, st)
		}()
	}
	wg.Wait()
	return snaps, e.now()
}

// healthFamilies are the collectors' health, certcentral_up and the derived metrics.
func (e *Exporter) healthFamilies(snaps []snapshot, now time.Time) ([]*dto.MetricFamily, error) {
	health := prometheus.NewRegistry()
	health.MustRegister(collectorFunc(func(ch chan<- prometheus.Metric) { e.emitHealth(ch, snaps, now) }))
	mfs, err := health.Gather()
	addLabels(mfs, e.labels)
	return mfs, err
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

// collectorFunc adapts a function to an unchecked prometheus.Collector.
type collectorFunc func(chan<- prometheus.Metric)

func (f collectorFunc) Describe(chan<- *prometheus.Desc)    {}
func (f collectorFunc) Collect(ch chan<- prometheus.Metric) { f(ch) }

// emitHealth writes every collector's health, certcentral_up and the metrics derived from
// several collectors.
func (e *Exporter) emitHealth(ch chan<- prometheus.Metric, snaps []snapshot, now time.Time) {
	answered, rejected := false, false
	facts := map[string]any{} // collector -> facts of its servable result
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for i, st := range e.states {
		name := st.def.Name
		last, good := snaps[i].last, snaps[i].good
		switch {
		case last == nil: // the first collection is still running
			gauge(successDesc, 0, name)
			gauge(errorDesc, 1, name, string(kindScrapeTimeout))
		case last.err != nil:
			gauge(successDesc, 0, name)
			gauge(errorDesc, 1, name, string(last.kind))
			gauge(durationDesc, last.ended.Sub(last.started).Seconds(), name)
			rejected = rejected || last.kind == certcentral.KindInvalidKey
			answered = answered || keyAccepted(last)
		default:
			gauge(successDesc, 1, name)
			gauge(durationDesc, last.ended.Sub(last.started).Seconds(), name)
			answered = true
		}
		if last != nil && last.lists != nil {
			gauge(announcedDesc, float64(last.lists.announced), name)
			gauge(readDesc, float64(last.lists.read), name)
		}
		for kind, n := range e.failureCounts(st) {
			ch <- prometheus.MustNewConstMetric(failuresDesc, prometheus.CounterValue, float64(n), name, string(kind))
		}
		if good == nil {
			continue
		}
		gauge(lastSuccessDesc, float64(good.ended.UnixNano())/1e9, name)
		if !e.servableResult(good, last, now) {
			continue
		}
		gauge(droppedDesc, float64(good.dropped), name)
		gauge(requestsDesc, float64(good.requests), name)
		for field, n := range good.unparsed {
			gauge(unparsedDesc, float64(n), name, field)
		}
		if good.facts != nil {
			facts[name] = good.facts
		}
	}
	gauge(upDesc, boolValue(answered && !rejected))
	if d, ok := facts["domains"].(domainFacts); ok {
		if o, ok := facts["orders"].(orderFacts); ok {
			emitDomainActiveCertificates(ch, d, o)
		}
	}
	emitIssuance(ch, facts)
}

// families checks a collection's metrics once and turns them into sorted metric families.
// A duplicate series is dropped (and reported) rather than failing every later scrape.
func families(metrics []prometheus.Metric) ([]*dto.MetricFamily, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectorFunc(func(ch chan<- prometheus.Metric) {
		for _, m := range metrics {
			ch <- m
		}
	}))
	return reg.Gather()
}

// keyAccepted says whether a failed collection still shows that CertCentral answered and took
// the key: a 200 whose body was bad, a missing permission, a rate limit.
func keyAccepted(r *result) bool {
	switch r.kind {
	case certcentral.KindMissingPermission, certcentral.KindRateLimited:
		return true
	}
	return r.status == 200
}

func (e *Exporter) failureCounts(st *state) map[certcentral.Kind]int {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make(map[certcentral.Kind]int, len(st.failures))
	for k, v := range st.failures {
		out[k] = v
	}
	return out
}

// CollectorStatus is what the landing page and the logs show of one collector.
type CollectorStatus struct {
	Name        string
	Endpoint    string
	Collected   bool // a collection has finished
	Running     bool // a collection is running now
	Success     bool
	Reason      string
	Error       string
	Advice      string
	Duration    time.Duration
	LastSuccess time.Time
	LastAttempt time.Time
	Requests    int
}

// Status reports every enabled collector's last result without starting a collection.
func (e *Exporter) Status() []CollectorStatus {
	out := make([]CollectorStatus, 0, len(e.states))
	for _, st := range e.states {
		st.mu.Lock()
		cs := CollectorStatus{Name: st.def.Name, Endpoint: st.def.Endpoint, Running: st.flight != nil}
		if l := st.last; l != nil {
			cs.Collected, cs.Success = true, l.err == nil
			cs.Duration, cs.LastAttempt, cs.Requests = l.ended.Sub(l.started), l.ended, l.requests
			if l.err != nil {
				cs.Reason, cs.Error, cs.Advice = string(l.kind), l.err.Error(), Advice(st.def, l.kind)
			}
		}
		if st.good != nil {
			cs.LastSuccess = st.good.ended
		}
		st.mu.Unlock()
		out = append(out, cs)
	}
	return out
}

// familyText is one family of a result in the text format: its HELP and TYPE lines, then
// its series.
type familyText struct {
	name      string
	text      []byte
	bodyStart int
}

func (f familyText) header() []byte { return f.text[:f.bodyStart] }
func (f familyText) body() []byte   { return f.text[f.bodyStart:] }

// encodedText is the result's data in the text format, one piece per family, encoded on
// first use and kept: the result never changes once collected.
func (r *result) encodedText() []familyText {
	r.textOnce.Do(func() {
		var buf bytes.Buffer
		enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
		type span struct {
			name            string
			start, bodyFrom int
		}
		spans := make([]span, 0, len(r.families))
		for _, mf := range r.families {
			start := buf.Len()
			if err := enc.Encode(mf); err != nil {
				buf.Truncate(start) // cannot happen for families the registry built
				continue
			}
			spans = append(spans, span{mf.GetName(), start, start + headerLen(buf.Bytes()[start:])})
		}
		all := buf.Bytes()
		r.text = make([]familyText, len(spans))
		for i, sp := range spans {
			end := len(all)
			if i+1 < len(spans) {
				end = spans[i+1].start
			}
			r.text[i] = familyText{name: sp.name, text: all[sp.start:end:end], bodyStart: sp.bodyFrom - sp.start}
		}
	})
	return r.text
}

// headerLen is the length of the comment lines (HELP, TYPE) at the start of an encoded family.
func headerLen(b []byte) int {
	n := 0
	for n < len(b) && b[n] == '#' {
		i := bytes.IndexByte(b[n:], '\n')
		if i < 0 {
			return len(b)
		}
		n += i + 1
	}
	return n
}

// Cached returns what a scrape would serve now (the data of servable results, the health and
// derived metrics) without starting or waiting for any collection: for pages that must never
// call CertCentral.
func (e *Exporter) Cached() []*dto.MetricFamily {
	snaps := make([]snapshot, len(e.states))
	for i, st := range e.states {
		st.mu.Lock()
		snaps[i] = snapshot{last: st.last, good: st.good}
		st.mu.Unlock()
	}
	now := e.now()
	health, err := e.healthFamilies(snaps, now)
	if err != nil {
		e.log.Debug("health metrics for the status page", "err", err)
	}
	groups := [][]*dto.MetricFamily{health}
	for _, r := range e.servable(snaps, now) {
		groups = append(groups, r.families)
	}
	return mergeFamilies(groups...)
}
