package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// Config configures an Exporter.
type Config struct {
	Client  *certcentral.Client
	Enabled []string // collector names; unknown names are an error
	Options Options
	// CacheTTL: a collector's result younger than this is served again instead of asking the
	// API, so that replicas scraping at once and short scrape intervals share one collection.
	CacheTTL time.Duration
	// MinInterval overrides CacheTTL per collector (a longer interval for slow-changing data).
	MinInterval map[string]time.Duration
	// CheckInterval, per collector that can check cheaply whether its data changed (orders),
	// is how often that check runs between full reads; a check that finds a change starts a
	// full read at once. Absent or 0: no checks.
	CheckInterval map[string]time.Duration
	// Budget, when set, stretches a collector's refresh interval beyond its minimum so that
	// its refreshes, at the requests its last collection made, use at most its BudgetShare,
	// and bounds one collection to what the other collectors' shares leave of the budget
	// (Allowance): a collection that would need more fails alone instead of spending what the
	// others need.
	Budget interface {
		MinInterval(requests int, share float64) time.Duration
		Allowance(share float64) int
	}
	// CollectionTimeout bounds one collection, which runs detached from the scrape that
	// started it so that a large account can finish even when scrapes time out.
	CollectionTimeout time.Duration
	// StaleDataMaxAge: after a failed collection, the last good data is served for this long
	// (with success 0), so that a transient error does not resolve and re-fire alerts.
	// 0 serves no data once the last collection failed.
	StaleDataMaxAge time.Duration
	// SlowCollection: a scrape that has data to serve does not wait for a refresh whose last
	// collection took longer than this (a large account, or one the request budget slows
	// down); the refresh runs in the background and a later scrape serves it. Quick refreshes
	// are waited for, so small accounts get fresh data on every scrape. Default 1s.
	SlowCollection time.Duration
	Logger         *slog.Logger
	Now            func() time.Time
	// Labels are added to every series the exporter serves, in this order before sorting: the
	// account label and the account's extra labels. A name the series has already is skipped.
	Labels [][2]string
	// Extra is gathered with every scrape of this exporter: the account's long-lived metrics
	// (API requests, request budget), registered with the Labels already.
	Extra prometheus.Gatherer
}

// Exporter runs the enabled collectors, caches their results and reports their health.
type Exporter struct {
	cfg    Config
	states []*state
	now    func() time.Time
	log    *slog.Logger
	labels []*dto.LabelPair
	// response caches the answer of a scrape of this exporter alone (/probe).
	response *ResponseCache

	base   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // running collections, for Close

	version atomic.Uint64 // counts the collections that ended (Version)
}

// Version changes whenever a collection ends, successful or not: what Cached returns can
// differ only after it changed, besides what the passing of time does (data turning stale).
func (e *Exporter) Version() uint64 { return e.version.Load() }

type state struct {
	def  Definition
	coll Collector

	mu       sync.Mutex
	last     *result       // last completed collection
	good     *result       // last successful collection
	flight   chan struct{} // closed when the running collection ends; nil when idle
	checking bool          // the running flight began as a check: scrapes do not wait for it
	checked  time.Time     // when a check last found the data of last unchanged
	noCheck  bool          // the API cannot answer this collector's check
	failures map[certcentral.Kind]int
}

type result struct {
	// text is the data in the text format, one piece per family, sorted, checked and
	// labelled with the account once when the collection ends. It never changes: scrapes
	// serve it as it is, and the protobuf path and the landing page parse what they need.
	text     []familyText
	unparsed map[string]int
	dropped  int
	requests int
	lists    *listCounts // set on failure too
	facts    any
	mark     any           // what a check compares with (Output.mark)
	interval time.Duration // the refresh interval when the collection ended
	err      error
	kind     certcentral.Kind
	status   int // HTTP status of the failing call, 200 on success
	started  time.Time
	ended    time.Time
}

// NewExporter builds the enabled collectors.
func NewExporter(cfg Config) (*Exporter, error) {
	if cfg.Client == nil {
		return nil, errors.New("collector: no API client")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.CollectionTimeout <= 0 {
		cfg.CollectionTimeout = 2 * time.Minute
	}
	if cfg.SlowCollection <= 0 {
		cfg.SlowCollection = time.Second
	}
	for _, o := range []*func() time.Time{&cfg.Options.Users.Now, &cfg.Options.Domains.Now, &cfg.Options.Orders.Now,
		&cfg.Options.Organizations.Now} {
		if *o == nil {
			*o = cfg.Now
		}
	}
	e := &Exporter{cfg: cfg, now: cfg.Now, log: cfg.Logger, labels: labelPairs(cfg.Labels), response: NewResponseCache()}
	e.base, e.cancel = context.WithCancel(context.Background())
	names := slices.Clone(cfg.Enabled)
	slices.Sort(names)
	for _, name := range slices.Compact(names) {
		def, ok := Lookup(name)
		if !ok {
			return nil, fmt.Errorf("unknown collector %q", name)
		}
		e.states = append(e.states, &state{def: def, coll: def.New(cfg.Client, cfg.Options), failures: map[certcentral.Kind]int{}})
	}
	return e, nil
}

// Start begins a collection for every collector without waiting for it, so that the data is
// being read before the first scrape asks for it.
func (e *Exporter) Start() {
	for _, st := range e.states {
		e.begin(st)
	}
}

// Close stops running collections and waits for them.
func (e *Exporter) Close() {
	e.cancel()
	e.wg.Wait()
}

// interval is how old a collector's result may get before the next scrape refreshes it.
func (e *Exporter) interval(st *state, requests int) time.Duration {
	minimum := e.cfg.CacheTTL
	if d, ok := e.cfg.MinInterval[st.def.Name]; ok && d > minimum {
		minimum = d
	}
	if e.cfg.Budget != nil {
		return max(minimum, e.cfg.Budget.MinInterval(requests, st.def.BudgetShare))
	}
	return minimum
}

// begin starts a collection when the state's last one is too old (or a check for changes,
// between full reads of a collector that has one), and returns what a scrape should wait
// for: the running collection, or nil when the scrape serves what it has (fresh data, a
// check, or a slow refresh that goes on in the background).
func (e *Exporter) begin(st *state) <-chan struct{} {
	st.mu.Lock()
	defer st.mu.Unlock()
	now := e.now()
	fresh := st.last != nil && now.Sub(st.last.ended) < e.interval(st, st.last.requests)
	check := fresh && e.checkDue(st, now)
	if (!fresh || check) && st.flight == nil {
		st.flight, st.checking = make(chan struct{}), check
		e.wg.Add(1)
		go e.refresh(st, st.flight, check)
	}
	if st.flight == nil || st.checking || st.last != nil && st.last.ended.Sub(st.last.started) > e.cfg.SlowCollection &&
		e.servableResult(st.good, st.last, now) {
		return nil
	}
	return st.flight
}

// results returns the state's newest and last good results.
func (st *state) results() (last, good *result) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.last, st.good
}

// checkDue says whether a check for changes is due: the collector has one, its last
// collection succeeded and recorded a mark, and neither that collection nor a check was
// within the check interval. Called with st.mu held.
func (e *Exporter) checkDue(st *state, now time.Time) bool {
	every := e.cfg.CheckInterval[st.def.Name]
	if _, ok := st.coll.(changeChecker); !ok || every <= 0 || st.noCheck || st.last.err != nil || st.last.mark == nil {
		return false
	}
	since := st.last.ended
	if st.checked.After(since) {
		since = st.checked
	}
	return now.Sub(since) >= every
}

// refresh runs a check when check is set, and a full collection unless the check found the
// data unchanged. A check that fails is not a failed collection: the request's error is
// counted with the API metrics, and the next check, or the full read at the collector's
// interval, tries again.
func (e *Exporter) refresh(st *state, done chan struct{}, check bool) {
	defer e.wg.Done()
	if check {
		changed, err := e.check(st)
		if err != nil || !changed {
			st.mu.Lock()
			st.checked = e.now()
			if errors.Is(err, errCheckUnusable) {
				st.noCheck = true
			}
			st.flight = nil
			st.mu.Unlock()
			if errors.Is(err, errCheckUnusable) {
				e.log.Warn("check for changes turned off", "collector", st.def.Name, "reason", err.Error())
			} else if err != nil {
				e.log.Debug("check for changes failed", "collector", st.def.Name, "err", logText(err))
			}
			close(done)
			return
		}
		e.log.Debug("check found changes: reading in full", "collector", st.def.Name)
	}
	e.collect(st, done)
}

// check asks st's collector whether its data changed since its last collection.
func (e *Exporter) check(st *state) (bool, error) {
	st.mu.Lock()
	mark := st.last.mark
	st.mu.Unlock()
	ctx, cancel := context.WithTimeout(e.base, e.cfg.CollectionTimeout)
	defer cancel()
	if e.cfg.Budget != nil {
		ctx = certcentral.WithRequestAllowance(ctx, minAllowance)
	}
	return st.coll.(changeChecker).Changed(ctx, mark)
}

// servableResult says whether good (the last successful result) may be served when last is
// the newest result: it is the newest, or after a failure StaleDataMaxAge has not passed
// since good was due for its refresh (a collector read every 30 minutes keeps the same grace
// as one read every 10 seconds).
func (e *Exporter) servableResult(good, last *result, now time.Time) bool {
	return good != nil && (good == last || e.cfg.StaleDataMaxAge > 0 && now.Sub(good.ended) <= good.interval+e.cfg.StaleDataMaxAge)
}

// collect runs one collection, detached from any scrape.
func (e *Exporter) collect(st *state, done chan struct{}) {
	ctx, cancel := context.WithTimeout(e.base, e.cfg.CollectionTimeout)
	defer cancel()
	if e.cfg.Budget != nil {
		ctx = certcentral.WithRequestAllowance(ctx, e.allowance(st))
	}

	r := &result{started: e.now()}
	out := newOutput()
	err := safeCollect(ctx, st.coll, out)
	r.ended = e.now()
	r.requests, r.lists = out.requests, out.lists
	if err != nil {
		r.err, r.kind, r.status = err, kindOf(err), statusOf(err)
	} else {
		r.unparsed, r.dropped, r.facts, r.mark, r.status = out.unparsed, out.dropped, out.facts, out.mark, 200
		var ferr error
		if r.text, ferr = encodeSamples(out.samples, e.cfg.Labels); ferr != nil {
			e.log.Warn("collector produced series that cannot be served; they are left out", "collector", st.def.Name, "err", logText(ferr))
		}
		out.samples = nil
	}

	r.interval = e.interval(st, r.requests)
	st.mu.Lock()
	prev := st.last
	st.last = r
	if err == nil {
		st.good = r
	} else {
		st.failures[r.kind]++
	}
	st.flight = nil
	st.mu.Unlock()
	e.version.Add(1)
	// Log before releasing the waiting scrapes, so that whoever saw the result can also see
	// the log line.
	e.logTransition(st.def, prev, r)
	close(done)
}

// minAllowance is the least one collection may send whatever its share: one request and the
// retries of a failing one.
const minAllowance = 3

// allowance is how many requests one collection of st may send: what the budget's longest
// window leaves after the shares of the other enabled collectors. A collection that needs
// more than its own share (a very large list) still runs, its refreshes spaced out by
// interval, while none can take what the others are guaranteed: one whose list would need
// more (pages of one item, a list that keeps growing) fails alone.
func (e *Exporter) allowance(st *state) int {
	others := 0.0
	for _, o := range e.states {
		if o != st {
			others += o.def.BudgetShare
		}
	}
	return max(minAllowance, e.cfg.Budget.Allowance(max(st.def.BudgetShare, 1-others)))
}

// maxLogText bounds an error in a log line: a few kilobytes keep the cause (and the top of a
// panic's stack) while an error listing a million duplicate series stays one readable line.
const maxLogText = 4096

// logText is err's text, cut to maxLogText bytes.
func logText(err error) string { return certcentral.TruncateText(err.Error(), maxLogText) }

// safeCollect turns a panic in a collector into an error so that one bug cannot take the
// exporter down.
func safeCollect(ctx context.Context, c Collector, out *Output) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &internalError{fmt.Sprintf("collector panicked: %v\n%s", p, debug.Stack())}
		}
	}()
	return c.Collect(ctx, out)
}

type internalError struct{ msg string }

func (e *internalError) Error() string { return e.msg }

// kindInternal labels failures that are not the API's: a bug in a collector.
const kindInternal certcentral.Kind = "internal_error"

func kindOf(err error) certcentral.Kind {
	if k := certcentral.KindOf(err); k != "" {
		return k
	}
	return kindInternal
}

func statusOf(err error) int {
	var e *certcentral.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// logTransition logs once when a collector starts failing (or fails differently) and once
// when it recovers, not on every scrape.
func (e *Exporter) logTransition(def Definition, prev, cur *result) {
	switch {
	case cur.err != nil && (prev == nil || prev.err == nil || prev.kind != cur.kind):
		e.log.Error("collector failing", "collector", def.Name, "reason", string(cur.kind),
			"err", logText(cur.err), "advice", Advice(def, cur.kind))
	case cur.err == nil && prev != nil && prev.err != nil:
		e.log.Info("collector recovered", "collector", def.Name, "after", string(prev.kind))
	}
}

// Advice says what to do about a failure of kind in collector def, in one sentence.
func Advice(def Definition, kind certcentral.Kind) string {
	switch kind {
	case certcentral.KindInvalidKey:
		return "CertCentral rejected the API key: copy it again in full with no extra spaces, and check that it is still active under Automation > API Keys"
	case certcentral.KindMissingPermission, certcentral.KindAccessDenied:
		return def.Permission
	case certcentral.KindRateLimited:
		return "CertCentral's rate limit (1000 requests per 3 minutes, 100 per 5 seconds, per key) was hit: wait, and do not share this key with other exporters or scripts"
	case certcentral.KindBudgetExhausted:
		return "the exporter's own request budget (--certcentral.rate-limit) is spent, or this collection needed more requests than its collector's share of it " +
			"(pages far smaller than asked for, or a list that keeps growing); data is refreshed when the budget allows, and the error says which"
	case certcentral.KindTimeout:
		return "CertCentral did not answer in time; check the network path and the timeouts"
	case certcentral.KindConnection:
		return "could not reach CertCentral: check DNS, proxy and firewall, and that --certcentral.url is right (US or EU)"
	case certcentral.KindTLS:
		return "the TLS connection to CertCentral failed: check the system CA certificates and any TLS-intercepting proxy"
	case certcentral.KindNotFound:
		return "the API path was not found: check --certcentral.url (it ends in /services/v2)"
	case certcentral.KindInvalidResponse:
		return "the answer was not CertCentral JSON (a CDN or proxy page?): check the URL and any proxy in between"
	case certcentral.KindServerError:
		return "CertCentral answered with a server error; it usually passes, see status.digicert.com"
	case certcentral.KindDecode:
		return "the answer could not be read; please report it with the log line"
	case certcentral.KindTooManyItems:
		return fmt.Sprintf("the API announced or sent more items than the exporter reads for one list (%d, users %d), more than any CertCentral account holds: "+
			"if the account really is that large, narrow the list (--collector.orders.only-current for orders); otherwise report it with the log line", certcentral.MaxListItems, certcentral.MaxListUsers)
	case certcentral.KindInconsistentPagination:
		return "the API's pages did not add up (a page repeated, pages empty before the total, or a total that moved far during the read), " +
			"so the list is not served as complete and the last good data is served meanwhile; it usually passes with the next collection, report it if it stays"
	case certcentral.KindTooLarge:
		return fmt.Sprintf("the answer was larger than --certcentral.max-body-bytes (raise it if the account really has pages that large) or held one value over %d MiB, which no CertCentral item comes near: report that with the log line", certcentral.MaxValueBytes>>20)
	}
	return "see the error"
}

func labelPairs(labels [][2]string) []*dto.LabelPair {
	out := make([]*dto.LabelPair, 0, len(labels))
	for _, l := range labels {
		out = append(out, &dto.LabelPair{Name: proto.String(l[0]), Value: proto.String(l[1])})
	}
	return out
}

// addLabels adds pairs to every series of mfs, keeping each series' labels sorted by name. A
// pair whose name a series has already is left out for that series: the config refuses such
// names, so this only guards the exposition's validity.
func addLabels(mfs []*dto.MetricFamily, pairs []*dto.LabelPair) {
	if len(pairs) == 0 {
		return
	}
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			labels := make([]*dto.LabelPair, 0, len(m.Label)+len(pairs))
			labels = append(labels, m.Label...)
			for _, p := range pairs {
				if !slices.ContainsFunc(m.Label, func(l *dto.LabelPair) bool { return l.GetName() == p.GetName() }) {
					labels = append(labels, p)
				}
			}
			slices.SortFunc(labels, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
			m.Label = labels
		}
	}
}
