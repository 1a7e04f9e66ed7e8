package main

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"

	"github.com/certcentral-exporter/certcentral_exporter/collector"
)

type metricsHandlerConfig struct {
	exporter       *collector.Exporter
	registry       *prometheus.Registry // long-lived metrics: build info, API requests, Go runtime
	logger         *slog.Logger
	maxRequests    int
	defaultTimeout time.Duration
	timeoutOffset  time.Duration
}

// newMetricsHandler serves one scrape per request: a fresh registry holds the account's
// metrics, bounded by the scrape's deadline, next to the long-lived registry.
func newMetricsHandler(c metricsHandlerConfig) http.Handler {
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
		// A scrape is a GET (HEAD for a probe); anything else must not start collections.
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed: metrics are read with GET", http.StatusMethodNotAllowed)
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
		// Prometheus asks for the text format: serve the data as encoded once per collection.
		// Other formats (protobuf) take the general path.
		if format := expfmt.NegotiateAccept(r.Header, expfmt.DefaultAcceptedFormats()...); format.FormatType() == expfmt.TypeTextPlain {
			w.Header().Set("Content-Type", string(format))
			if err := c.exporter.WriteText(ctx, w, format, c.registry); err != nil {
				c.logger.Error("error serving metrics", "err", err)
			}
			return
		}
		promhttp.HandlerFor(c.exporter.Gatherer(ctx, c.registry), opts).ServeHTTP(w, r)
	}))
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
