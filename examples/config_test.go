// Package examples holds the example files the packages and archives ship; this test keeps the
// example configuration (examples/certcentral.yml, installed as
// /etc/certcentral_exporter/certcentral.yml) consistent with the exporter and the packages until
// the exporter itself checks it (--config.check).
package examples

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v2"

	"github.com/certcentral-exporter/certcentral_exporter/collector"
)

type exampleConfig struct {
	Defaults struct {
		Region     string   `yaml:"region"`
		Collectors []string `yaml:"collectors"`
	} `yaml:"defaults"`
	Accounts []struct {
		Name       string            `yaml:"name"`
		Region     string            `yaml:"region"`
		URL        string            `yaml:"url"`
		APIKeyFile string            `yaml:"api_key_file"`
		APIKeyEnv  string            `yaml:"api_key_env"`
		Labels     map[string]string `yaml:"labels"`
		Collectors []string          `yaml:"collectors"`
	} `yaml:"accounts"`
}

func parseExample(t *testing.T, text string) exampleConfig {
	t.Helper()
	var c exampleConfig
	if err := yaml.UnmarshalStrict([]byte(text), &c); err != nil {
		t.Fatalf("examples/certcentral.yml: %v", err)
	}
	return c
}

// uncomment turns the commented-out accounts into active ones: the lines "  # - name: ..." and
// "  #   key: ...", so that they are checked as someone who removes the "# " would get them.
func uncomment(text string) string {
	return regexp.MustCompile(`(?m)^  # (-|  )`).ReplaceAllString(text, "  $1")
}

func TestExampleConfig(t *testing.T) {
	data, err := os.ReadFile("certcentral.yml")
	if err != nil {
		t.Fatal(err)
	}
	shipped := parseExample(t, string(data))
	if len(shipped.Accounts) != 1 || shipped.Accounts[0].Name != "prod-us" {
		t.Errorf("want exactly one active account, prod-us; got %+v", shipped.Accounts)
	}

	all := parseExample(t, uncomment(string(data)))
	if len(all.Accounts) != 3 {
		t.Fatalf("with the comments removed, want 3 accounts (prod-us, prod-eu, lab), got %d", len(all.Accounts))
	}
	var known []string
	for _, d := range collector.Definitions() {
		known = append(known, d.Name)
	}
	checkCollectors := func(where string, names []string) {
		for _, n := range names {
			if !slices.Contains(known, n) {
				t.Errorf("%s: unknown collector %q (the exporter has %v)", where, n, known)
			}
		}
	}
	checkCollectors("defaults", all.Defaults.Collectors)
	validName := regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
	seen := map[string]bool{}
	for _, a := range all.Accounts {
		if !validName.MatchString(a.Name) || seen[a.Name] {
			t.Errorf("account name %q: want a unique [a-z0-9][a-z0-9_.-]*", a.Name)
		}
		seen[a.Name] = true
		checkCollectors(a.Name, a.Collectors)
		for _, region := range []string{all.Defaults.Region, a.Region} {
			if region != "" && region != "us" && region != "eu" {
				t.Errorf("%s: region %q, want us or eu", a.Name, region)
			}
		}
		if (a.APIKeyFile == "") == (a.APIKeyEnv == "") {
			t.Errorf("%s: want exactly one of api_key_file and api_key_env", a.Name)
		}
		// The packages' key directory: mode 0750, open to the service's group only.
		if a.APIKeyFile != "" && !strings.HasPrefix(a.APIKeyFile, "/etc/certcentral_exporter/") {
			t.Errorf("%s: api_key_file %s is outside /etc/certcentral_exporter/", a.Name, a.APIKeyFile)
		}
	}
}
