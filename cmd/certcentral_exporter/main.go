// Command certcentral_exporter serves Prometheus metrics about one DigiCert CertCentral account.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/certcentral-exporter/certcentral_exporter/collector"
	"github.com/certcentral-exporter/certcentral_exporter/config"
	"github.com/certcentral-exporter/certcentral_exporter/internal/budget"
	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

const exporterName = "certcentral_exporter"

func main() {
	app := kingpin.New(exporterName, "Prometheus exporter for DigiCert CertCentral: users and sign-ins, domains and DCV, products, balance and certificate expiry. Read-only.")
	app.Version(version.Print(exporterName))
	app.HelpFlag.Short('h')
	s := addFlags(app)
	serveCmd := app.Command("serve", "Serve /metrics (the default command).").Default()
	checkCmd := app.Command("check", "Test the API key against every enabled collector's endpoint once, print what is wrong and how to fix it, and exit 0 only if all can read.")
	checkOutput := checkCmd.Flag("output", "Output format: text or json.").Default("text").Enum("text", "json")

	cmd := kingpin.MustParse(app.Parse(os.Args[1:]))
	logger := promslog.New(&s.log)
	if err := s.validate(); err != nil {
		logger.Error("invalid flags: " + err.Error())
		if cmd == checkCmd.FullCommand() {
			os.Exit(checkSetupErr)
		}
		os.Exit(1)
	}
	switch cmd {
	case serveCmd.FullCommand():
		os.Exit(serve(s, logger))
	case checkCmd.FullCommand():
		os.Exit(check(s, *checkOutput, os.Stdout))
	}
}

// newClient loads the key and builds the API client; it returns the key too, for check to
// report where it came from. Errors are one clear line for the user.
func newClient(s *settings, logger *slog.Logger, observer certcentral.Observer) (*certcentral.Client, *budget.Limiter, config.APIKey, error) {
	if _, err := certcentral.ParseBaseURL(s.url); err != nil {
		return nil, nil, config.APIKey{}, fmt.Errorf("--certcentral.url: %w", err)
	}
	key, err := config.LoadAPIKey(s.keyFile, os.Getenv)
	if err != nil {
		return nil, nil, key, err
	}
	if key.Warning != "" {
		logger.Warn(key.Warning)
	}
	var limiter *budget.Limiter
	if s.rateLimit > 0 {
		windows := []budget.Window{{Limit: s.rateLimit, Per: digicertLongWindow}}
		if s.burstLimit > 0 {
			windows = append(windows, budget.Window{Limit: s.burstLimit, Per: digicertBurstWindow})
		}
		if limiter, err = budget.New(nil, windows...); err != nil {
			return nil, nil, key, err
		}
	}
	cfg := certcentral.Config{
		BaseURL:         s.url,
		APIKey:          key.Value,
		UserAgent:       fmt.Sprintf("%s/%s (+https://github.com/certcentral-exporter/certcentral_exporter)", exporterName, version.Version),
		HTTPClient:      &http.Client{Timeout: time.Duration(s.requestTimeout)},
		PageConcurrency: s.pageConcurrency,
		MaxBodyBytes:    int64(s.maxBodyBytes),
		Observer:        observer,
	}
	cfg.AllowInsecureHTTP = s.allowInsecureHTTP
	if limiter != nil {
		cfg.Limiter = limiter
	}
	client, err := certcentral.New(cfg)
	if errors.Is(err, certcentral.ErrInsecureURL) {
		err = fmt.Errorf("%w, or pass --certcentral.allow-insecure-http if a trusted network really needs it", err)
	}
	if err != nil {
		return nil, nil, key, fmt.Errorf("cannot set up the CertCentral client: %w", err)
	}
	if client.InsecureHTTP() {
		logger.Warn("the API key is sent over plain HTTP to another host, as --certcentral.allow-insecure-http allows", "url", client.BaseURL())
	}
	logger.Info("using CertCentral", "url", client.BaseURL(), "key_source", key.Source)
	return client, limiter, key, nil
}

func serve(s *settings, logger *slog.Logger) int {
	logger.Info("starting "+exporterName, "version", version.Info(), "build_context", version.BuildContext())

	reg := prometheus.NewRegistry()
	reg.MustRegister(
		versioncollector.NewCollector(exporterName),
		// The live heap after the last collection, beside the default memstats: memory a leak
		// would hold shows there, while capped reads of oversized bodies in flight (garbage by
		// the next cycle) only move go_memstats_heap_inuse_bytes.
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/heap/live:bytes$`)})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	apiMetrics := collector.NewAPIMetrics(reg)
	client, limiter, _, err := newClient(s, logger, apiMetrics)
	if err != nil {
		logger.Error(err.Error())
		return 1
	}
	s.opts.Orders.ExpiredRetention = time.Duration(s.retention)
	cfg := collector.Config{
		Client:            client,
		Enabled:           s.enabledCollectors(),
		Options:           s.opts,
		CacheTTL:          time.Duration(s.cacheTTL),
		MinInterval:       s.minIntervals(),
		CollectionTimeout: time.Duration(s.collectionTimeout),
		StaleDataMaxAge:   time.Duration(s.staleMaxAge),
		Logger:            logger,
	}
	if limiter != nil {
		collector.RegisterBudgetMetrics(reg, limiter)
		cfg.Budget = limiter // a nil *Limiter in the interface would not be nil
	}
	exp, err := collector.NewExporter(cfg)
	if err != nil {
		logger.Error("cannot set up the collectors", "err", err)
		return 1
	}
	defer exp.Close()
	logger.Info("collectors enabled", "collectors", s.enabledCollectors())

	mux := http.NewServeMux()
	mux.Handle(s.telemetryPath, newMetricsHandler(metricsHandlerConfig{
		exporter: exp, registry: reg, logger: logger, maxRequests: s.maxRequests,
		defaultTimeout: time.Duration(s.defaultScrapeTimeout), timeoutOffset: time.Duration(s.timeoutOffset),
	}))
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Healthy") })
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Ready") })
	mux.Handle("/", newLandingPage(landingConfig{
		exporter: exp, telemetryPath: s.telemetryPath, baseURL: client.BaseURL(), logger: logger,
	}))

	server := newHTTPServer(mux)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- web.ListenAndServe(server, s.web, logger) }()
	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("cannot serve", "err", err)
			return 1
		}
	case <-ctx.Done():
		logger.Info("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = server.Shutdown(shutdownCtx)
	}
	return 0
}
