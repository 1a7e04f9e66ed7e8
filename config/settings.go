package config

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/units"
	"github.com/prometheus/common/model"

	"github.com/certcentral-exporter/certcentral_exporter/collector"
	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// Settings is what one account is collected with, apart from its name, labels and key source.
// The command line gives every field its default; a config file's defaults and accounts
// override them field by field, by the same names (Setting.Name).
type Settings struct {
	URL               string
	CacheTTL          time.Duration
	CollectionTimeout time.Duration
	RequestTimeout    time.Duration
	StaleDataMaxAge   time.Duration
	PageConcurrency   int
	MaxBodyBytes      int64
	RateLimit         int // requests per rolling 3 minutes; 0 turns the exporter's budget off
	BurstLimit        int // requests per rolling 5 seconds; 0 turns that window off
	// AllowInsecureHTTP accepts a plain http:// URL on a host other than this machine.
	AllowInsecureHTTP bool
	// Collectors are the enabled collectors' names, sorted.
	Collectors  []string
	MinInterval map[string]time.Duration // collector -> refresh at most this often
	// CheckInterval: collector -> check this often between full reads whether the data
	// changed (collectors that can, see collector.Definition.CheckEvery).
	CheckInterval map[string]time.Duration
	Options       collector.Options
}

// Clone returns a copy that shares nothing mutable with s.
func (s Settings) Clone() Settings {
	c := s
	c.Collectors = slices.Clone(s.Collectors)
	c.MinInterval = maps.Clone(s.MinInterval)
	c.CheckInterval = maps.Clone(s.CheckInterval)
	return c
}

// Setting is one tunable that the command line sets for every account and a config file
// may set per account (or in its defaults), under the same name.
type Setting struct {
	Name    string // the flag's name without "--", and the key in the config file
	Help    string
	Default string
	Envar   string // environment variable for the flag, if any
	Bool    bool   // true or false: a --[no-]name flag
	set     func(s *Settings, value string) error
	get     func(s *Settings) string
}

// Get returns the setting's value in s, as text that Set reads back.
func (d Setting) Get(s *Settings) string { return d.get(s) }

// Set parses value into s.
func (d Setting) Set(s *Settings, value string) error {
	if err := d.set(s, strings.TrimSpace(value)); err != nil {
		return fmt.Errorf("%s: %w", d.Name, err)
	}
	return nil
}

// Bounds of the numeric settings. Each stops a typo from turning a safeguard off or from
// asking for resources nothing needs.
const (
	// maxRateLimit: DigiCert allows 1000 requests per 3 minutes per key; an account with a
	// raised limit may need more, but not a hundred times more.
	maxRateLimit  = 100_000
	maxBurstLimit = 10_000
	// maxPageConcurrency: the burst limit is 100 per 5 s; 32 pages in flight already reach it.
	maxPageConcurrency = 32
	// Bodies: a page of 1000 orders with 250 SANs each is 13 MB (client.go); 1 GiB is far past
	// anything real and still a bound.
	minBodyBytes = 64 << 10
	maxBodyBytes = 1 << 30
	// maxTimeout: a collection that needs more than a day is not a collection.
	maxTimeout = 24 * time.Hour
	// maxItemsCap bounds the per-item caps' values (0 = unlimited is allowed).
	maxItemsCap = 10_000_000
)

// Settings lists every per-account setting, in the order of --help.
func settingsTable() []Setting {
	table := []Setting{
		{Name: "certcentral.url", Envar: "CERTCENTRAL_URL", Default: certcentral.USBaseURL,
			Help: fmt.Sprintf("CertCentral Services API base URL: %s (US) or %s (Europe). In a config file: region: us|eu, or url:.", certcentral.USBaseURL, certcentral.EUBaseURL),
			set: func(s *Settings, v string) error {
				if err := checkBaseURL(v); err != nil {
					return err
				}
				s.URL = v
				return nil
			},
			get: func(s *Settings) string { return s.URL }},
		durationSetting("certcentral.cache-ttl", "10s", "Serve a collector's data again instead of calling the API while it is younger than this: the floor under every collector.<name>.min-interval.",
			0, maxTimeout, func(s *Settings) *time.Duration { return &s.CacheTTL }),
		durationSetting("certcentral.collection-timeout", "2m", "Longest time one collection may take. Collections run detached from scrapes, so a large account can finish although a scrape times out.",
			100*time.Millisecond, maxTimeout, func(s *Settings) *time.Duration { return &s.CollectionTimeout }),
		durationSetting("certcentral.request-timeout", "30s", "Longest time one API request may take, body included.",
			10*time.Millisecond, maxTimeout, func(s *Settings) *time.Duration { return &s.RequestTimeout }),
		durationSetting("certcentral.stale-data-max-age", "1h", "After a failed collection, keep serving the last good data (with collector_success 0) for this long, so that a passing error does not resolve alerts. 0 drops the data at once.",
			0, 30*maxTimeout, func(s *Settings) *time.Duration { return &s.StaleDataMaxAge }),
		intSetting("certcentral.page-concurrency", "4", "Pages of one list fetched at once after the first page (1 fetches one page at a time).",
			1, maxPageConcurrency, func(s *Settings) *int { return &s.PageConcurrency }),
		{Name: "certcentral.max-body-bytes", Default: "32MiB",
			Help: "Largest API response body read; a larger one fails the collector with reason response_too_large.",
			set: func(s *Settings, v string) error {
				n, err := units.ParseBase2Bytes(v)
				if err != nil {
					return fmt.Errorf("not a size such as 32MiB: %q", v)
				}
				if n < minBodyBytes || n > maxBodyBytes {
					return fmt.Errorf("%s is outside %s..%s", v, units.Base2Bytes(minBodyBytes), units.Base2Bytes(maxBodyBytes))
				}
				s.MaxBodyBytes = int64(n)
				return nil
			},
			get: func(s *Settings) string { return units.Base2Bytes(s.MaxBodyBytes).String() }},
		withEnvar("CERTCENTRAL_RATE_LIMIT", intSetting("certcentral.rate-limit", "500", "Requests the exporter may send per rolling 3 minutes for this account's key (DigiCert allows 1000 per key). 0 turns the exporter's own budget off.",
			0, maxRateLimit, func(s *Settings) *int { return &s.RateLimit })),
		intSetting("certcentral.burst-limit", "50", "Requests the exporter may send per rolling 5 seconds (DigiCert allows 100 per key). 0 turns this window off.",
			0, maxBurstLimit, func(s *Settings) *int { return &s.BurstLimit }),
		withEnvar("CERTCENTRAL_ALLOW_INSECURE_HTTP", boolSetting("certcentral.allow-insecure-http", "false",
			"Accept a plain http:// URL on a host other than this machine, over which the API key travels in cleartext (a simulator, or a TLS-terminating proxy on a trusted network). Without it such a URL is refused.",
			func(s *Settings) *bool { return &s.AllowInsecureHTTP })),
	}
	for _, d := range collector.Definitions() {
		table = append(table, intervalSetting(d.Name, "min-interval", d.DefaultInterval,
			"Refresh the "+d.Name+" data at most this often (0 = --certcentral.cache-ttl); see README, \"Refresh intervals\".",
			func(s *Settings) *map[string]time.Duration { return &s.MinInterval }))
		if d.CheckEvery > 0 {
			table = append(table, intervalSetting(d.Name, "check-interval", d.CheckEvery,
				"Between full reads of the "+d.Name+", check this often with one request whether they changed, and read them in full at once if so (0 = no checks).",
				func(s *Settings) *map[string]time.Duration { return &s.CheckInterval }))
		}
	}
	table = append(table,
		boolSetting("collector.users.per-user", "true", "Export per-user series (name, e-mail, role, last sign-in). Off keeps only the counts, for privacy.",
			func(s *Settings) *bool { return &s.Options.Users.PerUser }),
		intSetting("collector.users.max-users", "0", "Most users with per-user series (0 = all); the riskiest are kept, the rest counted in certcentral_collector_items_dropped.",
			0, maxItemsCap, func(s *Settings) *int { return &s.Options.Users.MaxUsers }),
		boolSetting("collector.domains.per-domain", "true", "Export per-domain series (DCV state and expiry).",
			func(s *Settings) *bool { return &s.Options.Domains.PerDomain }),
		intSetting("collector.domains.max-domains", "10000", "Most domains with per-domain series (0 = all); pending, expired and soonest-lapsing are kept first.",
			0, maxItemsCap, func(s *Settings) *int { return &s.Options.Domains.MaxDomains }),
		durationSetting("collector.orders.expired-retention", "30d", "Keep certificates that expired less than this long ago in the per-certificate series.",
			0, 3650*24*time.Hour, func(s *Settings) *time.Duration { return &s.Options.Orders.ExpiredRetention }),
		boolSetting("collector.orders.only-current", "false", "Ask the API only for orders whose certificate is unexpired or within the retention (filters[valid_till]): fewer requests on large accounts, but certcentral_orders, certcentral_certificates_issued and certcentral_orders_spend then count only those.",
			func(s *Settings) *bool { return &s.Options.Orders.OnlyCurrent }),
		intSetting("collector.orders.max-certificates", "10000", "Most certificates with per-certificate series (0 = all); those within 90 days of expiry, expired within the retention or past half their lifetime are kept whatever the cap, then the soonest to expire.",
			0, maxItemsCap, func(s *Settings) *int { return &s.Options.Orders.MaxCertificates }),
		Setting{Name: "collector.balance.division-id", Envar: "CERTCENTRAL_DIVISION_ID", Default: "0",
			Help: "Division (container_id) whose balance to read; CertCentral requires it on accounts with several divisions. 0 = the account's.",
			set: func(s *Settings, v string) error {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil || n < 0 {
					return fmt.Errorf("not a division id (a whole number, 0 or more): %q", v)
				}
				s.Options.Balance.DivisionID = n
				return nil
			},
			get: func(s *Settings) string { return strconv.FormatInt(s.Options.Balance.DivisionID, 10) }},
	)
	return table
}

// SettingsTable is the per-account settings, in the order of --help.
var SettingsTable = settingsTable()

// LookupSetting finds a setting by name.
func LookupSetting(name string) (Setting, bool) {
	for _, d := range SettingsTable {
		if d.Name == name {
			return d, true
		}
	}
	return Setting{}, false
}

// DefaultSettings are the settings with every default applied and the collectors that are on
// by default enabled.
func DefaultSettings() Settings {
	var s Settings
	for _, d := range SettingsTable {
		if err := d.Set(&s, d.Default); err != nil {
			panic(err) // a default that does not parse is a bug caught by every test
		}
	}
	for _, d := range collector.Definitions() {
		if !d.DefaultOff {
			s.Collectors = append(s.Collectors, d.Name)
		}
	}
	return s
}

// checkBaseURL refuses what cannot be a CertCentral base URL; a host written without a scheme
// (the commonest slip) gets the https:// spelling to copy.
func checkBaseURL(v string) error {
	if v != "" && !strings.Contains(v, "://") {
		return fmt.Errorf("invalid CertCentral base URL %q: it has no scheme: did you mean https://%s ?", v, strings.TrimPrefix(v, "//"))
	}
	_, err := certcentral.ParseBaseURL(v)
	return err
}

// intervalSetting is collector.<name>.<what>, a duration kept in one of the per-collector maps;
// 0 removes the collector from the map.
func intervalSetting(name, what string, def time.Duration, help string, field func(*Settings) *map[string]time.Duration) Setting {
	return Setting{Name: "collector." + name + "." + what, Default: model.Duration(def).String(), Help: help,
		set: func(s *Settings, v string) error {
			d, err := parseDuration(v, 0, maxTimeout)
			if err != nil {
				return err
			}
			m := field(s)
			if *m == nil {
				*m = map[string]time.Duration{}
			}
			if d == 0 {
				delete(*m, name)
			} else {
				(*m)[name] = d
			}
			return nil
		},
		get: func(s *Settings) string { return model.Duration((*field(s))[name]).String() }}
}

func withEnvar(envar string, d Setting) Setting {
	d.Envar = envar
	return d
}

func parseDuration(v string, lo, hi time.Duration) (time.Duration, error) {
	d, err := model.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("not a duration such as 30s, 5m or 1h: %q", v)
	}
	if time.Duration(d) < lo || time.Duration(d) > hi {
		return 0, fmt.Errorf("%s is outside %s..%s", v, model.Duration(lo), model.Duration(hi))
	}
	return time.Duration(d), nil
}

func durationSetting(name, def, help string, lo, hi time.Duration, field func(*Settings) *time.Duration) Setting {
	return Setting{Name: name, Default: def, Help: help, set: func(s *Settings, v string) error {
		d, err := parseDuration(v, lo, hi)
		if err != nil {
			return err
		}
		*field(s) = d
		return nil
	}, get: func(s *Settings) string { return model.Duration(*field(s)).String() }}
}

func intSetting(name, def, help string, lo, hi int, field func(*Settings) *int) Setting {
	return Setting{Name: name, Default: def, Help: help, set: func(s *Settings, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("not a whole number: %q", v)
		}
		if n < lo || n > hi {
			return fmt.Errorf("%d is outside %d..%d", n, lo, hi)
		}
		*field(s) = n
		return nil
	}, get: func(s *Settings) string { return strconv.Itoa(*field(s)) }}
}

func boolSetting(name, def, help string, field func(*Settings) *bool) Setting {
	return Setting{Name: name, Default: def, Help: help, Bool: true, set: func(s *Settings, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("not true or false: %q", v)
		}
		*field(s) = b
		return nil
	}, get: func(s *Settings) string { return strconv.FormatBool(*field(s)) }}
}
