// Package examples holds the example files the packages and archives ship; this test loads the
// example configuration (examples/certcentral.yml, installed as
// /etc/certcentral_exporter/certcentral.yml) through the exporter's own parser, as shipped and
// with its commented-out parts switched on, so that the example cannot drift from the parser.
package examples

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/certcentral-exporter/certcentral_exporter/config"
	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

const (
	exampleFile = "certcentral.yml"
	// installedAs is where the packages put the example, and so the name in the exporter's
	// messages about it.
	installedAs = "/etc/certcentral_exporter/certcentral.yml"
	// keyDir is the packages' key directory: mode 0750, open to the service's group only.
	keyDir = "/etc/certcentral_exporter/"
)

func readExample(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// load parses text as the exporter does with no flags but --config.file: the flags' defaults
// under the file.
func load(t *testing.T, text string) *config.Config {
	t.Helper()
	cfg, err := config.Parse(installedAs, []byte(text), config.DefaultSettings())
	if err != nil {
		t.Fatalf("the exporter refuses the example:\n%v\n--- the file:\n%s", err, text)
	}
	return cfg
}

// uncommentAccounts turns the commented-out accounts into active ones: the lines "  # - name: ..."
// and "  #   key: ...", as someone who removes the "# " would get them.
func uncommentAccounts(text string) string {
	return regexp.MustCompile(`(?m)^  # (-|  )`).ReplaceAllString(text, "  $1")
}

// defaultCollectorsLine is the commented-out collectors: line in defaults:.
var defaultCollectorsLine = regexp.MustCompile(`(?m)^  # (collectors: \[.*\])$`)

// The file as shipped: one account, prod-us, on the US platform with its key in the packages'
// key directory, and every collector that is on by default.
func TestExampleAsShipped(t *testing.T) {
	cfg := load(t, readExample(t))
	if got := cfg.Names(); !slices.Equal(got, []string{"prod-us"}) {
		t.Fatalf("active accounts %v, want exactly [prod-us]", got)
	}
	a := cfg.Accounts[0]
	if a.KeyFile != keyDir+"prod-us.key" || a.KeyEnv != "" {
		t.Errorf("prod-us: key from %s, want file %sprod-us.key", a.KeySource(), keyDir)
	}
	if a.URL != certcentral.USBaseURL {
		t.Errorf("prod-us: URL %s, want the US platform %s", a.URL, certcentral.USBaseURL)
	}
	if want := sorted(config.DefaultSettings().Collectors); !slices.Equal(a.Collectors, want) {
		t.Errorf("prod-us: collectors %v, want the exporter's default set %v", a.Collectors, want)
	}
	if slices.Contains(a.Collectors, "api_keys") {
		t.Error("prod-us: api_keys is on; it needs an Administrator and is off by default")
	}
}

// The commented-out collectors: line of defaults: names the collectors that run without it, so
// that removing its "# " changes nothing; the comment beside it says so.
func TestExampleDefaultCollectorsComment(t *testing.T) {
	text := readExample(t)
	if n := len(defaultCollectorsLine.FindAllString(text, -1)); n != 1 {
		t.Fatalf("want one commented-out '  # collectors: [...]' line in defaults:, found %d", n)
	}
	withList := load(t, defaultCollectorsLine.ReplaceAllString(text, "  $1"))
	without := load(t, text)
	if got, want := withList.Accounts[0].Collectors, without.Accounts[0].Collectors; !slices.Equal(got, want) {
		t.Errorf("the commented-out defaults list enables %v; without it the exporter runs %v: update the comment", got, want)
	}
}

// With the comments removed: the three accounts of the example, each as its comment describes.
func TestExampleWithEveryAccount(t *testing.T) {
	text := uncommentAccounts(readExample(t))
	cfg := load(t, text)
	if got := cfg.Names(); !slices.Equal(got, []string{"prod-us", "prod-eu", "lab"}) {
		t.Fatalf("with the comments removed, accounts %v, want [prod-us prod-eu lab]", got)
	}
	eu, _ := cfg.Account("prod-eu")
	if eu.URL != certcentral.EUBaseURL || eu.Labels["team"] != "pki-eu" || eu.KeyFile != keyDir+"prod-eu.key" {
		t.Errorf("prod-eu: url %s, labels %v, key from %s; want the EU platform, team=pki-eu and %sprod-eu.key",
			eu.URL, eu.Labels, eu.KeySource(), keyDir)
	}
	lab, _ := cfg.Account("lab")
	if lab.URL != "https://certcentral.example.internal/services/v2" || lab.KeyEnv != "LAB_CERTCENTRAL_KEY" ||
		!slices.Equal(lab.Collectors, []string{"domains", "users"}) {
		t.Errorf("lab: url %s, key from %s, collectors %v; want its own URL, the environment and [domains users]",
			lab.URL, lab.KeySource(), lab.Collectors)
	}
	for _, a := range cfg.Accounts {
		if a.KeyFile != "" && (!filepath.IsAbs(a.KeyFile) || !strings.HasPrefix(a.KeyFile, keyDir)) {
			t.Errorf("%s: api_key_file %s is outside %s, the directory the packages protect", a.Name, a.KeyFile, keyDir)
		}
	}
	// Both switched on together: the defaults list still agrees with the accounts that inherit it.
	both := load(t, defaultCollectorsLine.ReplaceAllString(text, "  $1"))
	for i, a := range both.Accounts {
		if !slices.Equal(a.Collectors, cfg.Accounts[i].Collectors) {
			t.Errorf("%s: collectors %v with the defaults list, %v without", a.Name, a.Collectors, cfg.Accounts[i].Collectors)
		}
	}
}

// The example as the exporter reads it from disk, key files and all: config.LoadFile, then each
// account's key as --config.check and the server load it.
func TestExampleLoadsFromDisk(t *testing.T) {
	dir := t.TempDir()
	text := readExample(t)
	keyFile := filepath.Join(dir, "prod-us.key")
	if err := os.WriteFile(keyFile, []byte("example-test-key-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	local := strings.ReplaceAll(text, keyDir+"prod-us.key", "prod-us.key") // relative: beside the file
	path := filepath.Join(dir, "certcentral.yml")
	if err := os.WriteFile(path, []byte(local), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFile(path, config.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Accounts[0]
	if a.KeyFile != keyFile {
		t.Fatalf("key file %s, want %s", a.KeyFile, keyFile)
	}
	key, err := a.LoadKey(func(string) string { return "" })
	if err != nil || key.Value != "example-test-key-0123456789" || key.Warning != "" {
		t.Errorf("LoadKey: err %v, warning %q, key matches: %v", err, key.Warning, key.Value == "example-test-key-0123456789")
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
