// Package accounts owns the set of CertCentral accounts the exporter watches: for each account
// its API client, request budget, collectors and metrics. It builds the set from a checked
// config, and on reload swaps in a new set atomically, keeping every account whose settings
// and key did not change (its cache and budget go on). Below it nothing knows that there are
// several accounts; above it, HTTP handlers ask it for the current accounts.
package accounts

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/certcentral-exporter/certcentral_exporter/collector"
	"github.com/certcentral-exporter/certcentral_exporter/config"
	"github.com/certcentral-exporter/certcentral_exporter/internal/budget"
	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// DigiCert's rolling windows (docs/certcentral-api.md §9); the limits are settings.
const (
	LongWindow  = 3 * time.Minute
	BurstWindow = 5 * time.Second
)

// Account is one watched account.
type Account struct {
	Config   config.Account
	KeyInfo  config.APIKey // Source and Warning; Value is cleared once the client has it
	Client   *certcentral.Client
	Exporter *collector.Exporter
	keySum   [32]byte // the key's hash, to tell a rotated key on reload without keeping it
}

// Options are what every account is built with.
type Options struct {
	Logger    *slog.Logger
	UserAgent string
	Getenv    func(string) string
}

// Set is the current set of accounts. It is safe for concurrent use.
type Set struct {
	opts    Options
	mu      sync.Mutex // serialises Apply
	current atomic.Pointer[state]
}

type state struct {
	cfg       *config.Config
	accounts  []*Account // in the config's order
	exporters []*collector.Exporter
	byName    map[string]*Account
}

// New returns an empty set; Apply fills it.
func New(opts Options) *Set {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Set{opts: opts}
	s.current.Store(&state{cfg: &config.Config{}, byName: map[string]*Account{}})
	return s
}

// Config returns the config in use.
func (s *Set) Config() *config.Config { return s.current.Load().cfg }

// Accounts returns the current accounts in the config's order.
func (s *Set) Accounts() []*Account { return s.current.Load().accounts }

// Snapshot returns the config in use and its accounts, from the same Apply: loaded one after
// the other, a reload in between would pair the new config with the old accounts.
func (s *Set) Snapshot() (*config.Config, []*Account) {
	st := s.current.Load()
	return st.cfg, st.accounts
}

// Lookup returns the current account called name.
func (s *Set) Lookup(name string) (*Account, bool) {
	a, ok := s.current.Load().byName[name]
	return a, ok
}

// Exporters returns the current accounts' exporters, in the config's order. The slice is
// built once per Apply, not per scrape, and is shared: callers must not change it.
func (s *Set) Exporters() []*collector.Exporter { return s.current.Load().exporters }

// Change says what an Apply did.
type Change struct {
	Kept, Added, Replaced, Removed []string
}

// Apply makes cfg the current config. Every account's key is read first: if one cannot be
// read, or an account cannot be set up, nothing changes and the error says which account.
// An account whose settings and key are unchanged keeps its client, budget and cache; the
// others are built anew, and the accounts no longer in use are closed.
func (s *Set) Apply(cfg *config.Config) (Change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.current.Load()
	next := &state{cfg: cfg, byName: map[string]*Account{}}
	var ch Change
	var built []*Account
	fail := func(err error) (Change, error) {
		for _, a := range built {
			a.Exporter.Close()
		}
		return Change{}, err
	}
	for _, ac := range cfg.Accounts {
		key, err := ac.LoadKey(s.getenv())
		if err != nil {
			return fail(fmt.Errorf("account %s: %w", ac.Name, err))
		}
		sum := sha256.Sum256([]byte(key.Value))
		if prev, ok := old.byName[ac.Name]; ok && prev.keySum == sum && reflect.DeepEqual(prev.Config, ac) {
			next.accounts = append(next.accounts, prev)
			next.exporters = append(next.exporters, prev.Exporter)
			next.byName[ac.Name] = prev
			ch.Kept = append(ch.Kept, ac.Name)
			continue
		}
		a, err := s.build(ac, key)
		if err != nil {
			return fail(fmt.Errorf("account %s: %w", ac.Name, err))
		}
		a.keySum = sum
		built = append(built, a)
		next.accounts = append(next.accounts, a)
		next.exporters = append(next.exporters, a.Exporter)
		next.byName[ac.Name] = a
		if _, ok := old.byName[ac.Name]; ok {
			ch.Replaced = append(ch.Replaced, ac.Name)
		} else {
			ch.Added = append(ch.Added, ac.Name)
		}
	}
	s.current.Store(next)
	for _, a := range old.accounts {
		if next.byName[a.Config.Name] != a {
			if _, still := next.byName[a.Config.Name]; !still {
				ch.Removed = append(ch.Removed, a.Config.Name)
			}
			// Scrapes that already hold the old exporter finish with its cached data; its
			// running collections stop.
			go a.Exporter.Close()
		}
	}
	for _, a := range built {
		if a.KeyInfo.Warning != "" {
			s.opts.Logger.Warn(a.KeyInfo.Warning, "account", a.Config.Name)
		}
		s.opts.Logger.Info("watching CertCentral account", "account", a.Config.Name, "url", a.Client.BaseURL(),
			"key_source", a.KeyInfo.Source, "collectors", a.Config.Collectors)
		// The first collection starts now rather than at the first scrape, so that a large
		// account's first read is under way, within its budget, before Prometheus asks.
		a.Exporter.Start()
	}
	return ch, nil
}

// Close stops every account's collections.
func (s *Set) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.current.Load().accounts {
		a.Exporter.Close()
	}
	s.current.Store(&state{cfg: &config.Config{}, byName: map[string]*Account{}})
}

func (s *Set) getenv() func(string) string {
	if s.opts.Getenv != nil {
		return s.opts.Getenv
	}
	return func(string) string { return "" }
}

// NewClient builds an account's API client and its request budget (nil when off).
func NewClient(ac config.Account, key config.APIKey, opts Options, observer certcentral.Observer) (*certcentral.Client, *budget.Limiter, error) {
	var limiter *budget.Limiter
	if ac.RateLimit > 0 {
		windows := []budget.Window{{Limit: ac.RateLimit, Per: LongWindow}}
		if ac.BurstLimit > 0 {
			windows = append(windows, budget.Window{Limit: ac.BurstLimit, Per: BurstWindow})
		}
		var err error
		if limiter, err = budget.New(nil, windows...); err != nil {
			return nil, nil, fmt.Errorf("request budget: %w", err)
		}
	}
	cfg := certcentral.Config{
		BaseURL:         ac.URL,
		APIKey:          key.Value,
		UserAgent:       opts.UserAgent,
		HTTPClient:      &http.Client{Timeout: ac.RequestTimeout},
		PageConcurrency: ac.PageConcurrency,
		MaxBodyBytes:    ac.MaxBodyBytes,
		// Plain HTTP to this machine never leaves it; to another host only when allowed.
		AllowInsecureHTTP: ac.AllowInsecureHTTP,
	}
	if observer != nil {
		cfg.Observer = observer
	}
	if limiter != nil {
		cfg.Limiter = limiter // a nil *Limiter in the interface would not be nil
	}
	client, err := certcentral.New(cfg)
	if errors.Is(err, certcentral.ErrInsecureURL) {
		err = fmt.Errorf("%w, or set certcentral.allow-insecure-http (--certcentral.allow-insecure-http) if a trusted network really needs it", err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("cannot set up the CertCentral client: %w", err)
	}
	if client.InsecureHTTP() && opts.Logger != nil {
		opts.Logger.Warn("the API key is sent over plain HTTP to another host, as certcentral.allow-insecure-http allows",
			"account", ac.Name, "url", client.BaseURL())
	}
	return client, limiter, nil
}

// build sets up one account: its metrics registry (labelled with the account), request
// budget, client and collectors.
func (s *Set) build(ac config.Account, key config.APIKey) (*Account, error) {
	pairs := ac.LabelPairs()
	labels := prometheus.Labels{}
	for _, p := range pairs {
		labels[p[0]] = p[1]
	}
	reg := prometheus.NewRegistry()
	wrapped := prometheus.WrapRegistererWith(labels, reg)
	apiMetrics := collector.NewAPIMetrics(wrapped)

	client, limiter, err := NewClient(ac, key, s.opts, apiMetrics)
	if err != nil {
		return nil, err
	}
	if limiter != nil {
		collector.RegisterBudgetMetrics(wrapped, limiter)
	}
	ecfg := collector.Config{
		Client:            client,
		Enabled:           ac.Collectors,
		Options:           ac.Options,
		CacheTTL:          ac.CacheTTL,
		MinInterval:       ac.MinInterval,
		CheckInterval:     ac.CheckInterval,
		CollectionTimeout: ac.CollectionTimeout,
		StaleDataMaxAge:   ac.StaleDataMaxAge,
		Logger:            s.opts.Logger.With("account", ac.Name),
		Labels:            pairs,
		Extra:             reg,
	}
	if limiter != nil {
		ecfg.Budget = limiter
	}
	exp, err := collector.NewExporter(ecfg)
	if err != nil {
		return nil, fmt.Errorf("cannot set up the collectors: %w", err)
	}
	key.Value = "" // the client holds it; nothing else needs to
	return &Account{Config: ac, KeyInfo: key, Client: client, Exporter: exp}, nil
}
