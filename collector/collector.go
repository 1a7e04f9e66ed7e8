// Package collector turns CertCentral API objects into Prometheus metrics. Each collector
// reads one endpoint; the Exporter runs them concurrently, caches their results and reports
// their health. It knows nothing of flags or HTTP serving.
package collector

import (
	"context"
	"errors"
	"maps"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

const namespace = "certcentral"

// Collector reads one part of the account and writes the metrics to serve for it.
type Collector interface {
	Collect(ctx context.Context, out *Output) error
}

// Definition describes a collector: its name (the flag is --collector.<name>), the API
// endpoint it reads, and how to build it.
type Definition struct {
	Name     string
	Endpoint string
	Help     string
	// Permission says, for a missing-permission failure, what the key needs to read Endpoint.
	Permission string
	// BudgetShare is the part of the request budget this collector's refreshes may use when
	// the account is large enough for the budget to matter. Slow-changing data with many pages
	// (orders, domains) refreshes less often per page than users and balance; the shares of all
	// collectors sum to 0.8, leaving room for retries and the check command.
	BudgetShare float64
	// DefaultInterval is how often the collector's data is read by default
	// (--collector.<name>.min-interval): how fast that kind of data changes and how soon a
	// change matters (README, "Refresh intervals"). It stays under an hour, the age at which
	// CertCentralDataStale calls data old.
	DefaultInterval time.Duration
	// CheckEvery, for a collector that can tell cheaply whether its data changed (a
	// changeChecker), is how often that check runs between full reads by default
	// (--collector.<name>.check-interval); 0 when it has none.
	CheckEvery time.Duration
	New        func(client *certcentral.Client, opts Options) Collector
	// DefaultOff collectors run only when asked for (--collector.<name>): their endpoint
	// needs more than the View Only key the README recommends.
	DefaultOff bool
}

var definitions = map[string]Definition{}

func register(d Definition) { definitions[d.Name] = d }

// Definitions returns every collector, sorted by name.
func Definitions() []Definition {
	names := slices.Sorted(maps.Keys(definitions))
	out := make([]Definition, 0, len(names))
	for _, n := range names {
		out = append(out, definitions[n])
	}
	return out
}

// Lookup returns the definition of name.
func Lookup(name string) (Definition, bool) {
	d, ok := definitions[name]
	return d, ok
}

// Options are the per-collector settings. Zero values mean the documented defaults.
type Options struct {
	Users    UsersOptions
	Domains  DomainsOptions
	Orders   OrdersOptions
	Balance  BalanceOptions
	Products struct{}

	Organizations OrganizationsOptions
	Requests      RequestsOptions
	APIKeys       APIKeysOptions
}

// changeChecker is implemented by collectors that can tell with one cheap request whether
// their data changed since the full collection that recorded mark (Output.mark).
type changeChecker interface {
	Changed(ctx context.Context, mark any) (changed bool, err error)
}

// errCheckUnusable: the API's answer to a check cannot tell whether the data changed (it
// did not sort as asked); the collector is then read in full at its interval only.
var errCheckUnusable = errors.New("the API did not answer the check as it needs (the newest order came back older than one already read): checks are off, full reads go on at the collector's interval")

// Output gathers the metrics of one collection together with what went wrong in the data
// without failing it.
type Output struct {
	samples  []sample
	unparsed map[string]int // field -> values that did not parse
	dropped  int            // per-item series sets left out because of a cap
	requests int            // API requests made
	// lists says, when the collection read a list, how many items the API announced and how
	// many were read: set on failure too, where it shows how far the read got.
	lists *listCounts
	// facts is what this collection offers to metrics derived from several collectors
	// (see derived.go); nil when it offers nothing.
	facts any
	// mark is what a changeChecker's check compares with; nil when it recorded none.
	mark any
}

func newOutput() *Output { return &Output{unparsed: map[string]int{}} }

// gauge adds one gauge series. It keeps labels: the caller passes values it no longer changes
// (a variadic list always is).
func (o *Output) gauge(desc *prometheus.Desc, value float64, labels ...string) {
	info := lookupDesc(desc)
	checkLabelValues(info, labels)
	o.samples = append(o.samples, sample{info: info, value: value, labels: labels})
}

// problems records fields that did not parse for one object.
func (o *Output) problems(fields []string) {
	for _, f := range fields {
		o.unparsed[f]++
	}
}

// listCounts are the items of a collection's list: announced by the API (page.total) and read.
type listCounts struct{ announced, read int }

// addList records one list read.
func (o *Output) addList(s certcentral.ListStats) {
	o.requests += s.Requests
	if s.Requests == 0 && s.Items == 0 {
		return // not even the first page was read: nothing was announced
	}
	if o.lists == nil {
		o.lists = &listCounts{}
	}
	o.lists.announced += s.Total
	o.lists.read += s.Items
}

func newDesc(name, help string, labels ...string) *prometheus.Desc {
	for _, l := range labels {
		reservedLabels[l] = true
	}
	fq := prometheus.BuildFQName(namespace, "", name)
	d := prometheus.NewDesc(fq, help, labels, nil)
	descInfos.Store(d, newDescInfo(fq, help, labels))
	return d
}

// reservedLabels are the label names of the exporter's own metrics (newDesc records them,
// the request metrics are listed): an account's extra labels must not take one of them.
var reservedLabels = map[string]bool{"endpoint": true, "code": true, "reason": true, "le": true, "quantile": true}

// IsReservedLabel says whether name is a label of one of the exporter's metrics.
func IsReservedLabel(name string) bool { return reservedLabels[name] }

// boolValue is 1 for true.
func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
