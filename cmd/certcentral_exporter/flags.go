package main

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/common/model"
	"github.com/prometheus/common/promslog"
	promslogflag "github.com/prometheus/common/promslog/flag"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/certcentral-exporter/certcentral_exporter/collector"
	"github.com/certcentral-exporter/certcentral_exporter/config"
)

// settings is everything the flags configure: the process's own settings, and the settings
// every account starts from (a config file's defaults and accounts override them).
type settings struct {
	configFile  string
	configCheck bool
	keyFile     string
	base        config.Settings // per-account settings; Collectors is set from enabled
	enabled     map[string]*bool

	telemetryPath        string
	timeoutOffset        model.Duration
	defaultScrapeTimeout model.Duration
	maxRequests          int
	web                  *web.FlagConfig
	listenAddressFile    *string
	log                  promslog.Config
}

func durationFlag(fc *kingpin.FlagClause, d *model.Duration, def string) {
	fc.Default(def).SetValue(d)
}

// settingValue is a flag that sets one per-account setting on the base settings.
type settingValue struct {
	setting config.Setting
	into    *config.Settings
	text    string
}

func (v *settingValue) Set(s string) error {
	if err := v.setting.Set(v.into, s); err != nil {
		return err
	}
	v.text = s
	return nil
}

func (v *settingValue) String() string   { return v.text }
func (v *settingValue) IsBoolFlag() bool { return v.setting.Bool }

// addFlags defines every flag on app. Settings with deployment or secret relevance have an
// environment variable too.
func addFlags(app *kingpin.Application) *settings {
	s := &settings{enabled: map[string]*bool{}}
	app.Flag("config.file", "YAML file of the CertCentral accounts to watch (see README, \"Several accounts\"). Without it the flags describe one account named \"default\". Reloaded on SIGHUP and POST /-/reload.").
		Envar("CERTCENTRAL_CONFIG_FILE").StringVar(&s.configFile)
	app.Flag("config.check", "Check --config.file (and that every account's key can be read), print the accounts, and exit: 0 valid, 2 invalid. Calls no API.").
		BoolVar(&s.configCheck)
	app.Flag("certcentral.api-key-file", "File holding the API key (preferred). Without it the key is read from the environment variable CERTCENTRAL_API_KEY. Not used with --config.file, whose accounts name their own keys.").
		Envar("CERTCENTRAL_API_KEY_FILE").StringVar(&s.keyFile)
	for _, d := range config.SettingsTable {
		f := app.Flag(d.Name, d.Help).Default(d.Default)
		if d.Envar != "" {
			f = f.Envar(d.Envar)
		}
		f.SetValue(&settingValue{setting: d, into: &s.base})
	}
	for _, d := range collector.Definitions() {
		s.enabled[d.Name] = app.Flag("collector."+d.Name, "Enable the "+d.Name+" collector: "+d.Help).Default(strconv.FormatBool(!d.DefaultOff)).Bool()
	}

	app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").StringVar(&s.telemetryPath)
	durationFlag(app.Flag("web.timeout-offset", "Subtracted from Prometheus's X-Prometheus-Scrape-Timeout-Seconds to get the time a scrape may take."),
		&s.timeoutOffset, "500ms")
	durationFlag(app.Flag("web.default-scrape-timeout", "Scrape time limit when the request carries no X-Prometheus-Scrape-Timeout-Seconds header."),
		&s.defaultScrapeTimeout, "10s")
	app.Flag("web.max-requests", "Most /metrics and /probe requests served at once; more get 503 (0 = no limit).").
		Default("40").IntVar(&s.maxRequests)
	s.web = kingpinflag.AddFlags(app, ":10027")
	s.listenAddressFile = addListenAddressFileFlag(app)
	promslogflag.AddFlags(app, &s.log)
	return s
}

// baseSettings are the flags' per-account settings with the enabled collectors.
func (s *settings) baseSettings() config.Settings {
	b := s.base.Clone()
	b.Collectors = s.enabledCollectors()
	return b
}

// accountsConfig is the config file's accounts, or the one account the flags describe.
func (s *settings) accountsConfig() (*config.Config, error) {
	if s.configFile != "" {
		return config.LoadFile(s.configFile, s.baseSettings())
	}
	return config.FromFlags(s.baseSettings(), s.keyFile), nil
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

// scrapeTimeouts are the scrape deadline settings.
func (s *settings) scrapeTimeouts() (def, offset time.Duration) {
	return time.Duration(s.defaultScrapeTimeout), time.Duration(s.timeoutOffset)
}

// validate refuses process settings that cannot work, each with a message saying what to give
// instead (the per-account settings are checked as they are read, see config.SettingsTable):
// a telemetry path that clashes with another route, or is not a path, used to panic when the
// routes were set up.
func (s *settings) validate() error {
	var errs []error
	if err := validTelemetryPath(s.telemetryPath); err != nil {
		errs = append(errs, err)
	}
	if s.maxRequests < 0 {
		errs = append(errs, fmt.Errorf("--web.max-requests is %d: it must be at least 0 (0 means no limit)", s.maxRequests))
	}
	return errors.Join(errs...)
}

// reservedPaths are served by the exporter itself; the telemetry path must not take them.
var reservedPaths = map[string]string{"/": "the status page", "/-/healthy": "the health probe", "/-/ready": "the readiness probe",
	"/-/reload": "the reload endpoint", "/probe": "one account's metrics", "/config": "the configuration page"}

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
