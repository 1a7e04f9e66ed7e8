package collector

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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
		"Items (users, domains, certificates) whose per-item series were left out by a cap in the last successful collection.", "collector")
	requestsDesc = newDesc("collector_api_requests",
		"API requests made by the collector's last successful collection.", "collector")
)

// kindScrapeTimeout labels a collector whose first collection had not finished when the
// scrape's deadline came.
const kindScrapeTimeout certcentral.Kind = "timeout"

// ScrapeCollector returns a prometheus.Collector that serves one scrape bounded by ctx: it
// waits for stale collectors to refresh until ctx ends, then serves the newest results.
func (e *Exporter) ScrapeCollector(ctx context.Context) prometheus.Collector {
	return &scrape{e: e, ctx: ctx}
}

type scrape struct {
	e   *Exporter
	ctx context.Context
}

// Describe sends nothing: the series set depends on the account, so the collector is
// unchecked (the registry still refuses duplicate series).
func (s *scrape) Describe(chan<- *prometheus.Desc) {}

func (s *scrape) Collect(ch chan<- prometheus.Metric) {
	type snap struct {
		last, good *result
		waited     bool
	}
	snaps := make([]snap, len(s.e.states))
	var wg sync.WaitGroup
	for i, st := range s.e.states {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last, good, waited := s.e.current(s.ctx, st)
			snaps[i] = snap{last, good, waited}
		}()
	}
	wg.Wait()

	now := s.e.now()
	answered, rejected := false, false
	facts := map[string]any{} // collector -> facts of its servable result
	for i, st := range s.e.states {
		name := st.def.Name
		sn := snaps[i]
		gauge := func(d *prometheus.Desc, v float64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
		}
		switch last := sn.last; {
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
		for kind, n := range s.e.failureCounts(st) {
			ch <- prometheus.MustNewConstMetric(failuresDesc, prometheus.CounterValue, float64(n), name, string(kind))
		}
		good := sn.good
		if good == nil {
			continue
		}
		gauge(lastSuccessDesc, float64(good.ended.UnixNano())/1e9, name)
		if !s.e.servable(good, sn.last, now) {
			continue
		}
		gauge(droppedDesc, float64(good.dropped), name)
		gauge(requestsDesc, float64(good.requests), name)
		for field, n := range good.unparsed {
			gauge(unparsedDesc, float64(n), name, field)
		}
		for _, m := range good.metrics {
			ch <- m
		}
		if good.facts != nil {
			facts[name] = good.facts
		}
	}
	if d, ok := facts["domains"].(domainFacts); ok {
		if o, ok := facts["orders"].(orderFacts); ok {
			emitDomainActiveCertificates(ch, d, o)
		}
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, boolValue(answered && !rejected))
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
