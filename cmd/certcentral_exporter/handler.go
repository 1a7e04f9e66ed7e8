package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"

	"github.com/certcentral-exporter/certcentral_exporter/collector"
	"github.com/certcentral-exporter/certcentral_exporter/internal/accounts"
)

type metricsHandlerConfig struct {
	logger         *slog.Logger
	maxRequests    int
	defaultTimeout time.Duration
	timeoutOffset  time.Duration
}

// scrapeTarget says what one request scrapes: the accounts' exporters, the process-wide
// gatherers and the cache of the target's answer, or a reason (with an HTTP status) why the
// request names nothing to scrape.
type scrapeTarget func(r *http.Request) (t target, status int, reason string)

type target struct {
	exporters []*collector.Exporter
	others    []prometheus.Gatherer
	cache     *collector.ResponseCache
}

// newMetricsHandler serves one scrape per request, bounded by the scrape's deadline. Scrapes
// beyond maxRequests at once get 503; only GET and HEAD are scrapes.
func newMetricsHandler(c metricsHandlerConfig, target scrapeTarget) http.Handler {
	var inFlight chan struct{}
	if c.maxRequests > 0 {
		inFlight = make(chan struct{}, c.maxRequests)
	}
	opts := promhttp.HandlerOpts{
		ErrorLog:           slog.NewLogLogger(c.logger.Handler(), slog.LevelError),
		ErrorHandling:      promhttp.ContinueOnError, // serve what can be served
		DisableCompression: true,                     // withGzip compresses faster
	}
	return withGzip(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "only GET and HEAD scrape metrics", http.StatusMethodNotAllowed)
			return
		}
		t, status, reason := target(r)
		if status != 0 {
			http.Error(w, reason, status)
			return
		}
		if inFlight != nil {
			select {
			case inFlight <- struct{}{}:
				defer func() { <-inFlight }()
			default:
				http.Error(w, "too many concurrent scrapes; limit is --web.max-requests", http.StatusServiceUnavailable)
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), scrapeTimeout(r, c.defaultTimeout, c.timeoutOffset))
		defer cancel()
		// Prometheus asks for the text format: serve the part made from the collections as
		// assembled (and compressed) once per collection. Other formats (protobuf) take the
		// general path.
		if format := expfmt.NegotiateAccept(r.Header, expfmt.DefaultAcceptedFormats()...); format.FormatType() == expfmt.TypeTextPlain {
			resp, err := collector.Scrape(ctx, t.cache, format, t.exporters, t.others...)
			if err != nil {
				c.logger.Error("error serving metrics", "err", err)
			}
			w.Header().Set("Content-Type", string(format))
			if gz, ok := w.(*gzipResponseWriter); ok {
				err = gz.writeMembers(resp.StaticGzip(), resp.Volatile)
			} else {
				w.Header().Set("Content-Length", strconv.Itoa(resp.Size()))
				_, err = resp.WriteTo(w)
			}
			if err != nil {
				c.logger.Debug("scrape answer not sent whole", "err", err)
			}
			return
		}
		promhttp.HandlerFor(collector.Gatherer(ctx, t.exporters, t.others...), opts).ServeHTTP(w, r)
	}))
}

// allAccounts is the /metrics target: every account, and the process's own metrics.
func allAccounts(set *accounts.Set, process prometheus.Gatherer) scrapeTarget {
	cache := collector.NewResponseCache()
	others := []prometheus.Gatherer{process} // the same for every scrape: built once
	return func(*http.Request) (target, int, string) {
		return target{exporters: set.Exporters(), others: others, cache: cache}, 0, ""
	}
}

// oneAccount is the /probe target: the account named by ?account=, as snmp_exporter's
// targets are names from its config. The name is never a key or a URL.
func oneAccount(set *accounts.Set) scrapeTarget {
	return func(r *http.Request) (target, int, string) {
		name := r.URL.Query().Get("account")
		if name == "" {
			return target{}, http.StatusBadRequest, "missing ?account=NAME: name one of the accounts in the config (" + namesHint(set.Config().Names()) + ")"
		}
		a, ok := set.Lookup(name)
		if !ok {
			return target{}, http.StatusBadRequest, fmt.Sprintf("unknown account %s: the config has %s", quoteShort(name), namesHint(set.Config().Names()))
		}
		return target{exporters: []*collector.Exporter{a.Exporter}, cache: a.Exporter.ResponseCache()}, 0, ""
	}
}

// namesHint lists a few account names for an error message.
func namesHint(names []string) string {
	const show = 5
	if len(names) > show {
		return strings.Join(names[:show], ", ") + fmt.Sprintf(" and %d more", len(names)-show)
	}
	return strings.Join(names, ", ")
}

// quoteShort quotes a value from a request for a message: at most 64 bytes, escaped.
func quoteShort(s string) string {
	if len(s) > 64 {
		return strconv.Quote(s[:64]) + "..."
	}
	return strconv.Quote(s)
}

// maxScrapeTimeout bounds what X-Prometheus-Scrape-Timeout-Seconds may ask for. Prometheus's
// scrape timeout is at most its scrape interval, and intervals over a couple of minutes make
// series go stale between scrapes: five minutes is beyond any real setting. A larger value is
// a broken or hostile header; 1e300 or Inf used to overflow into a negative deadline that
// failed every collector with "timeout".
const maxScrapeTimeout = 5 * time.Minute

// scrapeTimeout is the time a scrape may take: Prometheus's own timeout from the
// X-Prometheus-Scrape-Timeout-Seconds header (def without it, or when it is not a positive
// number) at most maxScrapeTimeout, minus offset, so that the answer arrives before Prometheus
// gives up. An offset larger than the timeout is ignored.
func scrapeTimeout(r *http.Request, def, offset time.Duration) time.Duration {
	timeout := def
	if v := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil && secs > 0 { // NaN > 0 is false
			timeout = time.Duration(min(secs, maxScrapeTimeout.Seconds()) * float64(time.Second))
		}
	}
	if offset > 0 && offset < timeout {
		timeout -= offset
	}
	return timeout
}
