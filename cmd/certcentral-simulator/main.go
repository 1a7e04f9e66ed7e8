// Command certcentral-simulator serves a fake DigiCert CertCentral Services
// API v2 for developing, testing and benchmarking the exporter without a
// real account. See internal/simulator for what it simulates.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"

	"github.com/certcentral-exporter/certcentral_exporter/internal/listenaddr"
	"github.com/certcentral-exporter/certcentral_exporter/internal/simulator"
)

// keyEnv holds the API key when no file is given. An environment variable
// rather than a flag keeps the key out of `ps` output.
const keyEnv = "CERTCENTRAL_SIMULATOR_API_KEY"

type config struct {
	listen      string
	listenFile  string
	key         string
	restriction simulator.Restriction
	scenario    string
	generate    bool
	seed        int64
	sizes       simulator.Sizes
	latency     time.Duration
	rateLimit   bool
	faults      []simulator.Fault
	log         promslog.Config
	// accountKeys are the keys of a fleet's accounts, by account name.
	accountKeys map[string]string
}

// parseArgs reads flags and the key. It never returns the key in an error.
func parseArgs(args []string, getenv func(string) string, out io.Writer) (*config, error) {
	cfg := &config{}
	app := kingpin.New("certcentral-simulator", "A fake DigiCert CertCentral Services API v2 for testing the exporter.")
	app.HelpFlag.Short('h')
	app.UsageWriter(out)
	app.ErrorWriter(out)
	var (
		keyFile, restriction            string
		faults, accountKeyFiles         []string
		usersSet, domainsSet, ordersSet bool
		users, domains, orders          int
	)
	app.Flag("web.listen-address", "Address to listen on (loopback by default: the control API has no authentication).").
		Default("127.0.0.1:10028").StringVar(&cfg.listen)
	app.Flag("web.listen-address-file", "Once listening, write the bound address to this file (replaced atomically): with --web.listen-address=127.0.0.1:0 the caller learns the port the kernel picked.").
		StringVar(&cfg.listenFile)
	app.Flag("api-key-file", "File holding the accepted API key (surrounding whitespace is trimmed). Without it the key is read from $"+keyEnv+".").
		StringVar(&keyFile)
	app.Flag("key-restriction", "Restriction of the accepted key: "+strings.Join(simulator.RestrictionNames(), ", ")+".").
		Default("view-only").EnumVar(&restriction, simulator.RestrictionNames()...)
	app.Flag("scenario", "Built-in scenario ("+strings.Join(simulator.ScenarioNames(), ", ")+"), built-in fleet of several accounts ("+
		strings.Join(simulator.FleetNames(), ", ")+"), or path to a scenario or fleet YAML/JSON file.").
		Default("demo").StringVar(&cfg.scenario)
	app.Flag("account-key-file", "For a fleet: NAME=FILE, the file holding the key of the fleet's account NAME. Repeat for every account.").
		StringsVar(&accountKeyFiles)
	app.Flag("seed", "Seed for a generated dataset.").Default("1").Int64Var(&cfg.seed)
	app.Flag("users", "Generate this many users instead of loading a scenario.").Default("100").IsSetByUser(&usersSet).IntVar(&users)
	app.Flag("domains", "Generate this many domains instead of loading a scenario.").Default("500").IsSetByUser(&domainsSet).IntVar(&domains)
	app.Flag("orders", "Generate this many orders instead of loading a scenario.").Default("1000").IsSetByUser(&ordersSet).IntVar(&orders)
	app.Flag("latency", "Latency added to every API request.").Default("0s").DurationVar(&cfg.latency)
	app.Flag("rate-limit", "Enforce DigiCert's per-key rate limits (1000/3m and 100/5s); --no-rate-limit disables.").
		Default("true").BoolVar(&cfg.rateLimit)
	app.Flag("fault", "Inject a fault, ENDPOINT=KIND[:ARG][@PROBABILITY], e.g. /domain=status:503, *=latency:2s@0.3, /user=oversized:20MB, /user=total:1000000000. Repeatable.").
		StringsVar(&faults)
	promslogflag.AddFlags(app, &cfg.log)
	if _, err := app.Parse(args); err != nil {
		return nil, err
	}

	var err error
	if cfg.restriction, err = simulator.ParseRestriction(restriction); err != nil {
		return nil, err
	}
	if cfg.faults, err = simulator.ParseFaults(faults); err != nil {
		return nil, err
	}
	cfg.generate = usersSet || domainsSet || ordersSet
	cfg.sizes = simulator.Sizes{Users: users, Domains: domains, Orders: orders}
	if users < 0 || domains < 0 || orders < 0 {
		return nil, errors.New("--users, --domains and --orders must not be negative")
	}
	if simulator.IsFleet(cfg.scenario) {
		cfg.accountKeys = map[string]string{}
		for _, kv := range accountKeyFiles {
			name, file, ok := strings.Cut(kv, "=")
			if !ok || name == "" || file == "" {
				return nil, fmt.Errorf("--account-key-file %q: want NAME=FILE", kv)
			}
			key, err := readKeyFile(file)
			if err != nil {
				return nil, fmt.Errorf("--account-key-file %s: %w", name, err)
			}
			cfg.accountKeys[name] = key
		}
		return cfg, nil
	}
	if keyFile != "" {
		b, err := os.ReadFile(keyFile)
		if err != nil {
			return nil, fmt.Errorf("reading --api-key-file: %w", err)
		}
		cfg.key = strings.TrimSpace(string(b))
		if cfg.key == "" {
			return nil, fmt.Errorf("--api-key-file %s is empty", keyFile)
		}
	} else {
		cfg.key = strings.TrimSpace(getenv(keyEnv))
		if cfg.key == "" {
			return nil, fmt.Errorf("an API key is required: use --api-key-file or set $%s", keyEnv)
		}
	}
	return cfg, nil
}

func readKeyFile(file string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return "", err
	}
	key := strings.TrimSpace(string(b))
	if key == "" {
		return "", fmt.Errorf("%s is empty", file)
	}
	return key, nil
}

// newFleet builds a simulator of several accounts, each with its own key.
func newFleet(cfg *config, logger *slog.Logger, now time.Time) (*simulator.Fleet, error) {
	specs, err := simulator.LoadFleet(cfg.scenario, now)
	if err != nil {
		return nil, err
	}
	var accounts []simulator.FleetAccount
	for _, sp := range specs {
		key, ok := cfg.accountKeys[sp.Name]
		if !ok {
			return nil, fmt.Errorf("fleet account %s has no key: pass --account-key-file=%s=FILE", sp.Name, sp.Name)
		}
		delete(cfg.accountKeys, sp.Name)
		accounts = append(accounts, simulator.FleetAccount{Name: sp.Name, Region: sp.Region, Server: simulator.New(simulator.Options{
			Keys:      []simulator.Key{{Value: key, Restriction: cfg.restriction}},
			Dataset:   sp.Dataset,
			Latency:   cfg.latency,
			RateLimit: simulator.RateLimit{Disabled: !cfg.rateLimit},
			Faults:    cfg.faults,
			Logger:    logger.With("account", sp.Name),
		})})
	}
	for name := range cfg.accountKeys {
		return nil, fmt.Errorf("--account-key-file names %s, which is not an account of the fleet", name)
	}
	return simulator.NewFleet(accounts)
}

// newServer builds the simulator and describes its dataset for the start-up log.
func newServer(cfg *config, logger *slog.Logger, now time.Time) (*simulator.Server, string, error) {
	var (
		ds     *simulator.Dataset
		source string
		err    error
	)
	if cfg.generate {
		ds = simulator.Generate(cfg.seed, cfg.sizes, now)
		source = fmt.Sprintf("generated (seed %d)", cfg.seed)
	} else {
		if ds, err = simulator.Scenario(cfg.scenario, now); err != nil {
			return nil, "", err
		}
		source = "scenario " + cfg.scenario
	}
	srv := simulator.New(simulator.Options{
		Keys:      []simulator.Key{{Value: cfg.key, Restriction: cfg.restriction}},
		Dataset:   ds,
		Latency:   cfg.latency,
		RateLimit: simulator.RateLimit{Disabled: !cfg.rateLimit},
		Faults:    cfg.faults,
		Logger:    logger,
	})
	return srv, source, nil
}

// serve runs until ctx is done, then shuts down gracefully. Requests held
// by a hang fault would block shutdown forever, so after a grace period
// their contexts are cancelled.
func serve(ctx context.Context, ln net.Listener, h http.Handler, logger *slog.Logger) error {
	base, cancelBase := context.WithCancel(context.Background())
	defer cancelBase()
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	grace, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := hs.Shutdown(grace); err != nil {
		cancelBase()
		_ = hs.Close()
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	cfg, err := parseArgs(args, getenv, out)
	if err != nil {
		return err
	}
	cfg.log.Writer = out
	logger := promslog.New(&cfg.log)
	var (
		handler  http.Handler
		describe func(addr string)
	)
	if cfg.accountKeys != nil {
		fleet, err := newFleet(cfg, logger, time.Now())
		if err != nil {
			return err
		}
		handler = fleet
		describe = func(addr string) {
			for _, a := range fleet.Accounts() {
				ds := a.Server.Dataset()
				logger.Info("simulated account", "account", a.Name, "region", a.Region,
					"api", "http://"+addr+simulator.RegionPrefix(a.Region)+"/services/v2",
					"users", len(ds.Users), "domains", len(ds.Domains), "orders", len(ds.Orders))
			}
			logger.Info("CertCentral simulator listening", "address", addr, "fleet", cfg.scenario,
				"accounts", len(fleet.Accounts()), "key_restriction", cfg.restriction.String(), "rate_limit", cfg.rateLimit)
		}
	} else {
		srv, source, err := newServer(cfg, logger, time.Now())
		if err != nil {
			return err
		}
		handler = srv
		describe = func(addr string) {
			ds := srv.Dataset()
			// One line with what is served; never the key.
			logger.Info("CertCentral simulator listening", "address", addr, "dataset", source,
				"users", len(ds.Users), "domains", len(ds.Domains), "orders", len(ds.Orders), "products", len(ds.Products),
				"organizations", len(ds.Organizations), "requests", len(ds.Requests), "api_keys", len(ds.APIKeys),
				"key_restriction", cfg.restriction.String(), "rate_limit", cfg.rateLimit, "latency", cfg.latency, "faults", len(cfg.faults))
		}
	}
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return err
	}
	if cfg.listenFile != "" {
		if err := listenaddr.Write(cfg.listenFile, ln.Addr().String()); err != nil {
			ln.Close()
			return err
		}
	}
	describe(ln.Addr().String())
	return serve(ctx, ln, handler, logger)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "certcentral-simulator:", err)
		os.Exit(1)
	}
}
