package collector

import (
	"bytes"
	"context"
	"fmt"
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

// Gather serves one scrape bounded by ctx: it waits for stale collectors to refresh until ctx
// ends, then returns the newest results and the collectors' health, sorted by name. The data
// families were built and checked once per collection, so a scrape of a large account only
// shares them instead of revalidating every series.
func (e *Exporter) Gather(ctx context.Context) ([]*dto.MetricFamily, error) {
	snaps, now := e.snapshots(ctx)
	mfs, err := e.healthFamilies(snaps, now)
	for _, r := range e.servable(snaps, now) {
		mfs = append(mfs, r.families...)
	}
	sortFamilies(mfs)
	return mfs, err
}

// WriteText serves one scrape like Gather, in the text exposition format: the small families
// (health, and those of others) are encoded now, the collected data is written as the text
// encoded once per collection. This is the path every Prometheus scrape takes, and on a large
// account it is most of the scrape's work.
func (e *Exporter) WriteText(ctx context.Context, w io.Writer, format expfmt.Format, others ...prometheus.Gatherer) error {
	snaps, now := e.snapshots(ctx)
	small, err := e.healthFamilies(snaps, now)
	errs := prometheus.MultiError{}
	errs.Append(err)
	data := e.servable(snaps, now)
	seen := map[string]bool{}
	for _, r := range data {
		for _, mf := range r.families {
			seen[mf.GetName()] = true
		}
	}
	small = appendGathered(small, seen, &errs, others...)
	sortFamilies(small)
	enc := expfmt.NewEncoder(w, format)
	for _, mf := range small {
		if err := enc.Encode(mf); err != nil {
			errs.Append(err)
			return errs.MaybeUnwrap()
		}
	}
	for _, r := range data {
		if _, err := w.Write(r.encodedText()); err != nil {
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
	return health.Gather()
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

// appendGathered adds the families of others to mfs, leaving out (and reporting) a family
// whose name is already taken.
func appendGathered(mfs []*dto.MetricFamily, seen map[string]bool, errs *prometheus.MultiError, others ...prometheus.Gatherer) []*dto.MetricFamily {
	for _, mf := range mfs {
		seen[mf.GetName()] = true
	}
	for _, g := range others {
		more, err := g.Gather()
		errs.Append(err)
		for _, mf := range more {
			if seen[mf.GetName()] {
				errs.Append(fmt.Errorf("metric family %s is gathered twice", mf.GetName()))
				continue
			}
			seen[mf.GetName()] = true
			mfs = append(mfs, mf)
		}
	}
	return mfs
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

// Gatherer returns a prometheus.Gatherer for one scrape bounded by ctx: the exporter's families
// first (gathering them runs the collections, so the others, such as the API request counters,
// already count this scrape's requests), then those of the long-lived gatherers. Family names
// must not repeat across them; a repeated one is left out and reported.
func (e *Exporter) Gatherer(ctx context.Context, others ...prometheus.Gatherer) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		mfs, err := e.Gather(ctx)
		errs := prometheus.MultiError{}
		errs.Append(err)
		mfs = appendGathered(mfs, map[string]bool{}, &errs, others...)
		sortFamilies(mfs)
		return mfs, errs.MaybeUnwrap()
	})
}

// encodedText is the result's data in the text format, encoded on first use and kept: the
// result never changes once collected.
func (r *result) encodedText() []byte {
	r.textOnce.Do(func() {
		var buf bytes.Buffer
		enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
		for _, mf := range r.families {
			if err := enc.Encode(mf); err != nil {
				break // cannot happen for families the registry built; serve what encoded
			}
		}
		r.text = buf.Bytes()
	})
	return r.text
}
