package config

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// DefaultAccountName names the one account the command line describes when no config file
// is given.
const DefaultAccountName = "default"

// Config is the checked, typed set of accounts to watch. It holds where each API key comes
// from, never a key.
type Config struct {
	// Source is the config file's path, or "" when the command line describes one account.
	Source   string
	Accounts []Account
}

// Account is one CertCentral account: a name for the account label, extra labels, where its
// key comes from and what to collect.
type Account struct {
	Name    string
	Labels  map[string]string // extra constant labels on every series of the account
	KeyFile string            // absolute path; or
	KeyEnv  string            // the environment variable holding the key
	Settings
}

// Account returns the account called name.
func (c *Config) Account(name string) (Account, bool) {
	for _, a := range c.Accounts {
		if a.Name == name {
			return a, true
		}
	}
	return Account{}, false
}

// Names returns the accounts' names in the config's order.
func (c *Config) Names() []string {
	names := make([]string, len(c.Accounts))
	for i, a := range c.Accounts {
		names[i] = a.Name
	}
	return names
}

// FromFlags is the config without a file: one account named "default" with the command
// line's settings and key source (the key file, else the environment variable
// CERTCENTRAL_API_KEY).
func FromFlags(base Settings, keyFile string) *Config {
	a := Account{Name: DefaultAccountName, Settings: base.Clone(), KeyFile: keyFile}
	if keyFile == "" {
		a.KeyEnv = APIKeyEnv
	}
	return &Config{Accounts: []Account{a}}
}

// KeySource says where the account's key comes from, in words safe to log and show.
func (a Account) KeySource() string {
	if a.KeyFile != "" {
		return "file " + a.KeyFile
	}
	return "environment " + a.KeyEnv
}

// LoadKey reads the account's API key from its file or environment variable.
func (a Account) LoadKey(getenv func(string) string) (APIKey, error) {
	if a.KeyFile != "" {
		return LoadAPIKey(a.KeyFile, getenv)
	}
	return loadKeyFromEnv(a.KeyEnv, getenv)
}

// LabelPairs returns the account's constant labels, the account label first and the others
// sorted by name.
func (a Account) LabelPairs() [][2]string {
	out := [][2]string{{AccountLabel, a.Name}}
	for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
		out = append(out, [2]string{k, a.Labels[k]})
	}
	return out
}

// AccountLabel is the label every account series carries.
const AccountLabel = "account"

// LoadFile reads and checks a config file. base holds the command line's settings, which the
// file's defaults and accounts override. The error names the file, the line and the field of
// every problem found (up to a few dozen).
func LoadFile(path string, base Settings) (*Config, error) {
	data, _, err := readRegular(path, maxConfigBytes, "config file")
	if errors.Is(err, errTooLarge) {
		return nil, fmt.Errorf("%w: is the path right?", err)
	}
	if err != nil {
		return nil, err
	}
	return Parse(path, data, base)
}

// maxConfigBytes: a config of 1000 accounts with every setting is about 300 KB.
const maxConfigBytes = 1 << 20

var (
	accountNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]*$`)
	labelNameRE   = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)
	envNameRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Bounds on what a config file may ask for. Each account costs a client, a cache and a
// request budget; labels are on every series.
const (
	maxAccounts       = 1000
	maxNameLen        = 63
	maxLabels         = 16
	maxLabelValueLen  = 256
	maxPathLen        = 4096
	maxErrorsReported = 30
)

func checkAccountName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("is empty")
	case len(name) > maxNameLen:
		return fmt.Errorf("is longer than %d characters", maxNameLen)
	case !accountNameRE.MatchString(name):
		return fmt.Errorf("%q must match [a-z0-9][a-z0-9_.-]* (lower case, digits, _ . -)", name)
	}
	return nil
}

func checkLabel(name, value string, reserved func(string) bool) error {
	switch {
	case !labelNameRE.MatchString(name):
		return fmt.Errorf("label name %q must match [a-zA-Z_][a-zA-Z0-9_]*", name)
	case strings.HasPrefix(name, "__"):
		return fmt.Errorf("label name %q: names starting with __ are reserved by Prometheus", name)
	case name == AccountLabel || reserved(name):
		return fmt.Errorf("label name %q is used by the exporter's own metrics; choose another (team, env, owner, ...)", name)
	case len(value) > maxLabelValueLen:
		return fmt.Errorf("label %q: the value is longer than %d bytes", name, maxLabelValueLen)
	}
	return nil
}

// YAML renders the config in the file's own format, every setting spelt out, so that what is
// shown can be read back as a config file. It names where each key comes from, never a key.
func (c *Config) YAML() []byte {
	accounts := make([]yaml.Node, 0, len(c.Accounts))
	for _, a := range c.Accounts {
		m := &yaml.Node{Kind: yaml.MappingNode}
		add := func(k string, v *yaml.Node) {
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, v)
		}
		str := func(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Value: s} }
		add(keyName, str(a.Name))
		add(keyURL, str(a.URL))
		if a.KeyFile != "" {
			add(keyAPIKeyFile, str(a.KeyFile))
		} else {
			add(keyAPIKeyEnv, str(a.KeyEnv))
		}
		if len(a.Labels) > 0 {
			l := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
			for _, k := range slices.Sorted(maps.Keys(a.Labels)) {
				l.Content = append(l.Content, str(k), &yaml.Node{Kind: yaml.ScalarNode, Value: a.Labels[k], Style: yaml.DoubleQuotedStyle})
			}
			add(keyLabels, l)
		}
		cs := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, name := range a.Collectors {
			cs.Content = append(cs.Content, str(name))
		}
		add(keyCollectors, cs)
		for _, d := range SettingsTable {
			if d.Name != "certcentral.url" {
				add(d.Name, str(d.Get(&a.Settings)))
			}
		}
		accounts = append(accounts, *m)
	}
	root := &yaml.Node{Kind: yaml.MappingNode}
	seq := &yaml.Node{Kind: yaml.SequenceNode}
	for i := range accounts {
		seq.Content = append(seq.Content, &accounts[i])
	}
	root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: keyAccounts}, seq)
	out, err := yaml.Marshal(root)
	if err != nil {
		return []byte("# cannot render the configuration: " + err.Error() + "\n")
	}
	return out
}
