package main

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/certcentral-exporter/certcentral_exporter/collector"
	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// settings is everything the flags configure.
type settings struct {
	url               string
	keyFile           string
	cacheTTL          model.Duration
	collectionTimeout model.Duration
	requestTimeout    model.Duration
	staleMaxAge       model.Duration
	pageConcurrency   int
	maxBodyBytes      units.Base2Bytes
	rateLimit         int
	burstLimit        int
	allowInsecureHTTP bool

	telemetryPath        string
	timeoutOffset        model.Duration
	defaultScrapeTimeout model.Duration
	maxRequests          int
	web                  *web.FlagConfig
	log                  promslog.Config

	enabled     map[string]*bool
	minInterval map[string]*model.Duration
	opts        collector.Options
	retention   model.Duration
}

// DigiCert's documented limits per key (shared/certcentral-api.md §9): 1000 per 3 minutes,
// 100 per 5 seconds. The exporter's defaults are half of each, so that a second exporter or a
// script on the same key still fits.
const (
	digicertLongWindow  = 3 * time.Minute
	digicertBurstWindow = 5 * time.Second
)

func durationFlag(fc *kingpin.FlagClause, d *model.Duration, def string) {
	fc.Default(def).SetValue(d)
}

// addFlags defines every flag on app. Settings with deployment or secret relevance have an
// environment variable too.
func addFlags(app *kingpin.Application) *settings {
	s := &settings{enabled: map[string]*bool{}, minInterval: map[string]*model.Duration{}}
	app.Flag("certcentral.url", fmt.Sprintf("CertCentral Services API base URL: %s (US) or %s (Europe).", certcentral.USBaseURL, certcentral.EUBaseURL)).
		Envar("CERTCENTRAL_URL").Default(certcentral.USBaseURL).StringVar(&s.url)
	app.Flag("certcentral.api-key-file", "File holding the API key (preferred). Without it the key is read from the environment variable CERTCENTRAL_API_KEY.").
		Envar("CERTCENTRAL_API_KEY_FILE").StringVar(&s.keyFile)
	durationFlag(app.Flag("certcentral.cache-ttl", "Serve a collector's data again instead of calling the API while it is younger than this. Scrapes of HA replicas within this time share one collection."),
		&s.cacheTTL, "10s")
	durationFlag(app.Flag("certcentral.collection-timeout", "Longest time one collection may take. Collections run detached from scrapes, so a large account can finish although a scrape times out."),
		&s.collectionTimeout, "2m")
	durationFlag(app.Flag("certcentral.request-timeout", "Longest time one API request may take, body included."),
		&s.requestTimeout, "30s")
	durationFlag(app.Flag("certcentral.stale-data-max-age", "After a failed collection, keep serving the last good data (with collector_success 0) for this long, so that a passing error does not resolve alerts. 0 drops the data at once."),
		&s.staleMaxAge, "1h")
	app.Flag("certcentral.page-concurrency", "Pages of one list fetched at once after the first page (1 fetches one page at a time).").
		Default("4").IntVar(&s.pageConcurrency)
	// A page of 1000 orders is 0.7 MB, 13 MB if every certificate had 250 SANs: 32 MiB leaves
	// room for that and still stops a runaway body.
	app.Flag("certcentral.max-body-bytes", "Largest API response body read; a larger one fails the collector with reason response_too_large.").
		Default("32MiB").BytesVar(&s.maxBodyBytes)
	app.Flag("certcentral.rate-limit", "Requests the exporter may send per rolling 3 minutes (DigiCert allows 1000 per key).").
		Envar("CERTCENTRAL_RATE_LIMIT").Default("500").IntVar(&s.rateLimit)
	app.Flag("certcentral.burst-limit", "Requests the exporter may send per rolling 5 seconds (DigiCert allows 100 per key).").
		Default("50").IntVar(&s.burstLimit)
	app.Flag("certcentral.allow-insecure-http", "Accept a plain http:// --certcentral.url on a host other than this machine, over which the API key travels in cleartext (a simulator, or a TLS-terminating proxy on a trusted network).").
		Envar("CERTCENTRAL_ALLOW_INSECURE_HTTP").Default("false").BoolVar(&s.allowInsecureHTTP)

	for _, d := range collector.Definitions() {
		s.enabled[d.Name] = app.Flag("collector."+d.Name, "Enable the "+d.Name+" collector: "+d.Help).Default("true").Bool()
		iv := new(model.Duration)
		durationFlag(app.Flag("collector."+d.Name+".min-interval", "Refresh the "+d.Name+" data at most this often (0 = --certcentral.cache-ttl)."), iv, "0s")
		s.minInterval[d.Name] = iv
	}
	app.Flag("collector.users.per-user", "Export per-user series (name, e-mail, role, last sign-in). Off keeps only the counts, for privacy.").
		Default("true").BoolVar(&s.opts.Users.PerUser)
	app.Flag("collector.users.max-users", "Most users with per-user series (0 = all); the riskiest are kept, the rest counted in certcentral_collector_items_dropped.").
		Default("0").IntVar(&s.opts.Users.MaxUsers)
	app.Flag("collector.domains.per-domain", "Export per-domain series (DCV state and expiry).").
		Default("true").BoolVar(&s.opts.Domains.PerDomain)
	app.Flag("collector.domains.max-domains", "Most domains with per-domain series (0 = all); pending, expired and soonest-lapsing are kept first.").
		Default("10000").IntVar(&s.opts.Domains.MaxDomains)
	durationFlag(app.Flag("collector.orders.expired-retention", "Keep certificates that expired less than this long ago in the per-certificate series."),
		&s.retention, "30d")
	app.Flag("collector.orders.only-current", "Ask the API only for orders whose certificate is unexpired or within the retention (filters[valid_till]): fewer requests on large accounts, but certcentral_orders then counts only those.").
		Default("false").BoolVar(&s.opts.Orders.OnlyCurrent)
	app.Flag("collector.orders.max-certificates", "Most certificates with per-certificate series (0 = all); the soonest to expire are kept.").
		Default("10000").IntVar(&s.opts.Orders.MaxCertificates)
	app.Flag("collector.balance.division-id", "Division (container_id) whose balance to read; CertCentral requires it on accounts with several divisions. 0 = the account's.").
		Envar("CERTCENTRAL_DIVISION_ID").Default("0").Int64Var(&s.opts.Balance.DivisionID)

	app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").StringVar(&s.telemetryPath)
	durationFlag(app.Flag("web.timeout-offset", "Subtracted from Prometheus's X-Prometheus-Scrape-Timeout-Seconds to get the time a scrape may take."),
		&s.timeoutOffset, "500ms")
	durationFlag(app.Flag("web.default-scrape-timeout", "Scrape time limit when the request carries no X-Prometheus-Scrape-Timeout-Seconds header."),
		&s.defaultScrapeTimeout, "10s")
	app.Flag("web.max-requests", "Most /metrics requests served at once; more get 503 (0 = no limit).").
		Default("40").IntVar(&s.maxRequests)
	s.web = kingpinflag.AddFlags(app, ":10027")
	promslogflag.AddFlags(app, &s.log)
	return s
}

// enabledCollectors returns the names whose --collector.<name> flag is on.
func (s *settings) enabledCollectors() []string {
	var names []string
	for _, d := range collector.Definitions() {
		if *s.enabled[d.Name] {
			names = append(names, d.Name)
		}
	}
	return names
}

func (s *settings) minIntervals() map[string]time.Duration {
	out := map[string]time.Duration{}
	for name, d := range s.minInterval {
		if *d > 0 {
			out[name] = time.Duration(*d)
		}
	}
	return out
}

// validate refuses settings that cannot work, each with a message saying what to give
// instead. Some used to fail late or not at all: a telemetry path that clashes with another
// route (or is not a path) panicked when the routes were set up, and a negative rate limit
// silently disabled the request budget.
func (s *settings) validate() error {
	var errs []error
	if err := validTelemetryPath(s.telemetryPath); err != nil {
		errs = append(errs, err)
	}
	for _, n := range []struct {
		flag  string
		value int
		min   int
		why   string
	}{
		{"--certcentral.rate-limit", s.rateLimit, 0, "0 disables the budget"},
		{"--certcentral.burst-limit", s.burstLimit, 0, "0 disables the burst window"},
		{"--certcentral.page-concurrency", s.pageConcurrency, 1, "1 fetches one page at a time"},
		{"--web.max-requests", s.maxRequests, 0, "0 means no limit"},
		{"--collector.users.max-users", s.opts.Users.MaxUsers, 0, "0 keeps every user"},
		{"--collector.domains.max-domains", s.opts.Domains.MaxDomains, 0, "0 keeps every domain"},
		{"--collector.orders.max-certificates", s.opts.Orders.MaxCertificates, 0, "0 keeps every certificate"},
	} {
		if n.value < n.min {
			errs = append(errs, fmt.Errorf("%s is %d: it must be at least %d (%s)", n.flag, n.value, n.min, n.why))
		}
	}
	if s.maxBodyBytes <= 0 {
		errs = append(errs, fmt.Errorf("--certcentral.max-body-bytes is %d: it must be a positive size such as 32MiB", s.maxBodyBytes))
	}
	return errors.Join(errs...)
}

// reservedPaths are served by the exporter itself; the telemetry path must not take them.
var reservedPaths = map[string]string{"/": "the status page", "/-/healthy": "the health probe", "/-/ready": "the readiness probe"}

// validTelemetryPath accepts a clean absolute path of letters, digits and / . _ ~ - that no
// other route uses: the mux reads a space as "METHOD path" and braces as wildcards.
func validTelemetryPath(p string) error {
	const flag = "--web.telemetry-path"
	switch {
	case p == "":
		return fmt.Errorf("%s is empty: give a path such as /metrics", flag)
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%s=%s must start with /, such as /%s", flag, p, strings.TrimLeft(p, "/"))
	case strings.TrimFunc(p, func(r rune) bool {
		return r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._~-", r))
	}) != "":
		return fmt.Errorf("%s=%s may hold only letters, digits and / . _ ~ -", flag, strconv.QuoteToASCII(p))
	case path.Clean(p) != strings.TrimSuffix(p, "/") && path.Clean(p) != p:
		return fmt.Errorf("%s=%s is not a clean path: use %s", flag, p, path.Clean(p))
	}
	if what, taken := reservedPaths[path.Clean(p)]; taken {
		return fmt.Errorf("%s=%s is %s: choose another path, such as /metrics", flag, p, what)
	}
	return nil
}
