// Command certcentral_exporter serves Prometheus metrics about DigiCert CertCentral accounts.
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
	"runtime/debug"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/certcentral-exporter/certcentral_exporter/internal/accounts"
)

const (
	exporterName = "certcentral_exporter"
	// exporterSummary is the man page's NAME line and the start of --help.
	exporterSummary = "Prometheus exporter for DigiCert CertCentral"
)

func main() {
	if version.Version == "" {
		version.Version = moduleVersion(debug.ReadBuildInfo())
	}
	app := kingpin.New(exporterName, exporterSummary+": users and sign-ins, domains and DCV, products, balance and certificate expiry, for one account or several. Read-only.")
	app.Version(version.Print(exporterName))
	kingpin.ManPageTemplate = manPageTemplate(exporterName, exporterSummary)
	app.HelpFlag.Short('h')
	s := addFlags(app)
	serveCmd := app.Command("serve", "Serve /metrics (the default command).").Default()
	checkCmd := app.Command("check", "Test each account's API key against every enabled collector's endpoint once, print what is wrong and how to fix it, and exit 0 only if all can read.")
	checkOutput := checkCmd.Flag("output", "Output format: text or json.").Default("text").Enum("text", "json")
	checkAccount := checkCmd.Flag("account", "Check only this account of --config.file.").String()

	app.HelpFlag.PreAction(func(ctx *kingpin.ParseContext) error {
		// check --help lists the flags check uses, not the server's 150 lines of them.
		if ctx.SelectedCommand == checkCmd {
			writeCheckHelp(os.Stdout, app, checkCmd)
			os.Exit(0)
		}
		return nil
	})
	cmd, err := app.Parse(os.Args[1:])
	if err != nil {
		// Exit 2: the command line could not be used (as for check, whose 1 means "a collector
		// cannot read").
		fmt.Fprintf(os.Stderr, "%s: error: %v, try --help\n", exporterName, err)
		os.Exit(2)
	}
	logger := promslog.New(&s.log)
	if err := s.validate(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: error: %v, try --help\n", exporterName, err)
		os.Exit(2)
	}
	if s.configCheck {
		os.Exit(configCheck(s, os.Stdout))
	}
	switch cmd {
	case serveCmd.FullCommand():
		os.Exit(serve(s, logger))
	case checkCmd.FullCommand():
		os.Exit(check(s, checkOptions{output: *checkOutput, account: *checkAccount}, os.Stdout))
	}
}

func userAgent() string {
	return fmt.Sprintf("%s/%s (+https://github.com/certcentral-exporter/certcentral_exporter)", exporterName, version.Version)
}

func serve(s *settings, logger *slog.Logger) int {
	logger.Info("starting "+exporterName, "version", version.Info(), "build_context", version.BuildContext())
	cfg, err := s.accountsConfig()
	if err != nil {
		logger.Error("invalid configuration", "err", err)
		return 1
	}

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
	set := accounts.New(accounts.Options{Logger: logger, UserAgent: userAgent(), Getenv: os.Getenv})
	defer set.Close()
	if _, err := set.Apply(cfg); err != nil {
		logger.Error("cannot set up the accounts", "err", err)
		return 1
	}
	reloader := newReloader(s, set, logger, reg)

	mux := http.NewServeMux()
	def, offset := s.scrapeTimeouts()
	hc := metricsHandlerConfig{logger: logger, maxRequests: s.maxRequests, defaultTimeout: def, timeoutOffset: offset}
	mux.Handle(s.telemetryPath, newMetricsHandler(hc, allAccounts(set, reg)))
	mux.Handle("/probe", newMetricsHandler(hc, oneAccount(set)))
	mux.Handle("/-/reload", reloader)
	mux.Handle("/config", configPage(set, logger))
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Healthy") })
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Ready") })
	mux.Handle("/", newLandingPage(landingConfig{set: set, telemetryPath: s.telemetryPath, logger: logger}))

	server := newHTTPServer(mux)
	reportListenAddresses(server, *s.listenAddressFile, logger)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	errc := make(chan error, 1)
	go func() { errc <- web.ListenAndServe(server, s.web, logger) }()
	for {
		select {
		case <-hup:
			logger.Info("SIGHUP received: reloading the configuration")
			_ = reloader.reload()
		case err := <-errc:
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				logger.Error("cannot serve", "err", err)
				return 1
			}
			return 0
		case <-ctx.Done():
			logger.Info("shutting down")
			shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = server.Shutdown(shutdownCtx)
			return 0
		}
	}
}
