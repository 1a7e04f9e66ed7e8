package collector

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

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
		"Items (users, domains, certificates, organizations, requests, API keys) of the last successful collection left out of their per-item series by a cap or for want of an id, or certificates left out of the domain join by its cap.", "collector")
	requestsDesc = newDesc("collector_api_requests",
		"API requests made by the collector's last successful collection.", "collector")
	announcedDesc = newDesc("collector_items_announced",
		"Items the API announced (page.total) for the list the collector's last collection read, failed or not.", "collector")
	intervalDesc = newDesc("collector_refresh_interval_seconds",
		"How often the collector's data is read in full: its min-interval, or longer when the request budget stretches it for a large account.", "collector")
	readDesc = newDesc("collector_items_read",
		"Distinct items the collector's last collection read from its list, failed or not: below certcentral_collector_items_announced when the read stopped early or the pages did not add up.", "collector")
)

// kindScrapeTimeout labels a collector whose first collection had not finished when the
// scrape's deadline came.
const kindScrapeTimeout certcentral.Kind = "timeout"

// healthFamilies are the collectors' health, certcentral_up and the derived metrics.
func (e *Exporter) healthFamilies(snaps []snapshot, now time.Time) ([]*dto.MetricFamily, error) {
	health := prometheus.NewRegistry()
	health.MustRegister(collectorFunc(func(ch chan<- prometheus.Metric) { e.emitHealth(ch, snaps, now) }))
	mfs, err := health.Gather()
	addLabels(mfs, e.labels)
	return mfs, err
}

// gaugeFunc writes one gauge. The derived metrics are written through one, so that emitHealth
// hands its writer down once and a test can collect them without a registry.
type gaugeFunc func(d *prometheus.Desc, v float64, labels ...string)

// constGauges writes gauges to ch as const metrics.
func constGauges(ch chan<- prometheus.Metric) gaugeFunc {
	return func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
}

// collectorFunc adapts a function to an unchecked prometheus.Collector.
type collectorFunc func(chan<- prometheus.Metric)

func (f collectorFunc) Describe(chan<- *prometheus.Desc)    {}
func (f collectorFunc) Collect(ch chan<- prometheus.Metric) { f(ch) }

// emitHealth writes every collector's health, certcentral_up and the metrics derived from
// several collectors.
func (e *Exporter) emitHealth(ch chan<- prometheus.Metric, snaps []snapshot, now time.Time) {
	answered, rejected := false, false
	facts := map[string]any{} // collector -> facts of its servable result
	gauge := constGauges(ch)
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
		if last != nil {
			gauge(intervalDesc, last.interval.Seconds(), name)
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
			emitDomainActiveCertificates(gauge, d, o)
		}
	}
	emitIssuance(gauge, facts)
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
