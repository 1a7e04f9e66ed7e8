package config

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/certcentral-exporter/certcentral_exporter/collector"
	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// Regions maps a config file's region to its base URL (docs/certcentral-api.md §1).
var Regions = map[string]string{"us": certcentral.USBaseURL, "eu": certcentral.EUBaseURL}

// The config file's own keys; every Setting's name is a key too (except certcentral.url,
// which the file spells region: or url:).
const (
	keyDefaults   = "defaults"
	keyAccounts   = "accounts"
	keyName       = "name"
	keyRegion     = "region"
	keyURL        = "url"
	keyCollectors = "collectors"
	keyLabels     = "labels"
	keyAPIKeyFile = "api_key_file"
	keyAPIKeyEnv  = "api_key_env"
)

// layer is what one level of the file (defaults, or one account) sets; nil means "inherit".
type layer struct {
	region, url *string
	collectors  []string
	labels      map[string]string
	settings    map[string]string // Setting name -> value as written
}

// Parse checks a config file's content. name is used in error messages (file:line: field:
// problem); relative key file paths are read relative to its directory.
func Parse(name string, data []byte, base Settings) (*Config, error) {
	p := &parser{file: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: the file is empty: it needs an accounts: list", name)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d: the file must be a mapping with the fields defaults and accounts", name, root.Line)
	}
	var defaults layer
	var accounts *yaml.Node
	p.mapping(root, "", func(key string, k, v *yaml.Node) {
		switch key {
		case keyDefaults:
			defaults = p.layer(v, keyDefaults, nil)
		case keyAccounts:
			accounts = v
		default:
			p.errorf(k, key, "unknown field; the file has defaults: and accounts:")
		}
	})
	cfg := &Config{Source: name}
	switch {
	case accounts == nil:
		p.errorf(root, keyAccounts, "missing: list at least one account")
	case accounts.Kind != yaml.SequenceNode:
		p.errorf(accounts, keyAccounts, "must be a list of accounts")
	case len(accounts.Content) == 0:
		p.errorf(accounts, keyAccounts, "is empty: list at least one account")
	case len(accounts.Content) > maxAccounts:
		p.errorf(accounts, keyAccounts, "has %d accounts, more than the %d one exporter serves: split them across exporters (docs/scaling.md)", len(accounts.Content), maxAccounts)
	default:
		firstLine := map[string]int{}
		for i, node := range accounts.Content {
			a, ok := p.account(node, i, defaults, base)
			if !ok {
				continue
			}
			if line, dup := firstLine[a.Name]; dup {
				p.errorf(node, fmt.Sprintf("accounts[%d].name", i), "%q is already the name of the account on line %d; names must be unique", a.Name, line)
				continue
			}
			firstLine[a.Name] = node.Line
			cfg.Accounts = append(cfg.Accounts, a)
		}
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

type parser struct {
	file string
	errs []string
}

func (p *parser) errorf(n *yaml.Node, field, format string, args ...any) {
	if len(p.errs) == maxErrorsReported {
		p.errs = append(p.errs, "(more problems not shown)")
	}
	if len(p.errs) > maxErrorsReported {
		return
	}
	p.errs = append(p.errs, fmt.Sprintf("%s:%d: %s: %s", p.file, n.Line, field, fmt.Sprintf(format, args...)))
}

func (p *parser) err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return errors.New(strings.Join(p.errs, "\n"))
}

// mapping calls fn for every key of a mapping node, reporting repeated keys.
func (p *parser) mapping(n *yaml.Node, path string, fn func(key string, k, v *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, strings.TrimSuffix(path, "."), "must be a mapping of field: value")
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			p.errorf(k, path+k.Value, "is given twice")
			continue
		}
		seen[k.Value] = true
		fn(k.Value, k, v)
	}
}

// scalar returns a scalar node's text, reporting any other node.
func (p *parser) scalar(n *yaml.Node, field string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.errorf(n, field, "must be a single value")
		return "", false
	}
	return n.Value, true
}

// layer reads the settings that defaults and accounts share. extra handles the account's own
// keys; it returns false for a key it does not know.
func (p *parser) layer(n *yaml.Node, path string, extra func(key string, k, v *yaml.Node) bool) layer {
	l := layer{settings: map[string]string{}}
	p.mapping(n, path+".", func(key string, k, v *yaml.Node) {
		field := path + "." + key
		switch key {
		case keyRegion:
			if s, ok := p.scalar(v, field); ok {
				if _, known := Regions[s]; !known {
					p.errorf(v, field, "unknown region %q (want us or eu, or give url:)", s)
					return
				}
				l.region = &s
			}
		case keyURL:
			if s, ok := p.scalar(v, field); ok {
				if err := checkBaseURL(s); err != nil {
					p.errorf(v, field, "%v", err)
					return
				}
				l.url = &s
			}
		case keyCollectors:
			l.collectors = p.collectors(v, field)
		case keyLabels:
			l.labels = p.labels(v, field)
		default:
			if extra != nil && extra(key, k, v) {
				return
			}
			if extra == nil && (key == keyName || key == keyAPIKeyFile || key == keyAPIKeyEnv) {
				p.errorf(k, field, "belongs to each account: every account has its own %s", map[string]string{keyName: "name", keyAPIKeyFile: "key", keyAPIKeyEnv: "key"}[key])
				return
			}
			d, ok := LookupSetting(key)
			if !ok || key == "certcentral.url" {
				p.errorf(k, field, "unknown field%s", suggestion(key, extra != nil))
				return
			}
			if s, ok := p.scalar(v, field); ok {
				var probe Settings
				if err := d.Set(&probe, s); err != nil {
					p.errorf(v, field, "%v", errors.Unwrap(err))
					return
				}
				l.settings[key] = s
			}
		}
	})
	return l
}

func (p *parser) collectors(n *yaml.Node, field string) []string {
	if n.Kind != yaml.SequenceNode {
		p.errorf(n, field, "must be a list such as [users, domains]")
		return nil
	}
	if len(n.Content) == 0 {
		p.errorf(n, field, "is empty: enable at least one collector")
		return nil
	}
	var names []string
	for _, c := range n.Content {
		name, ok := p.scalar(c, field)
		if !ok {
			continue
		}
		if _, known := collector.Lookup(name); !known {
			p.errorf(c, field, "unknown collector %q (known: %s)", name, strings.Join(collectorNames(), ", "))
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func (p *parser) labels(n *yaml.Node, field string) map[string]string {
	labels := map[string]string{}
	p.mapping(n, field+".", func(key string, k, v *yaml.Node) {
		value, ok := p.scalar(v, field+"."+key)
		if !ok {
			return
		}
		if err := checkLabel(key, value, collector.IsReservedLabel); err != nil {
			p.errorf(k, field+"."+key, "%v", err)
			return
		}
		labels[key] = value
	})
	if len(labels) > maxLabels {
		p.errorf(n, field, "has %d labels, more than %d", len(labels), maxLabels)
	}
	return labels
}

// account reads one account and applies defaults and base under it.
func (p *parser) account(n *yaml.Node, i int, defaults layer, base Settings) (Account, bool) {
	path := fmt.Sprintf("accounts[%d]", i)
	errsBefore := len(p.errs)
	var a Account
	var nameNode *yaml.Node
	own := p.layer(n, path, func(key string, k, v *yaml.Node) bool {
		field := path + "." + key
		switch key {
		case keyName:
			nameNode = v
			if s, ok := p.scalar(v, field); ok {
				if err := checkAccountName(s); err != nil {
					p.errorf(v, field, "%v", err)
				}
				a.Name = s
			}
		case keyAPIKeyFile:
			if s, ok := p.scalar(v, field); ok {
				switch {
				case s == "":
					p.errorf(v, field, "is empty")
				case len(s) > maxPathLen:
					p.errorf(v, field, "is longer than %d bytes", maxPathLen)
				default:
					a.KeyFile = s
					if !filepath.IsAbs(s) {
						a.KeyFile = filepath.Join(filepath.Dir(p.file), s)
					}
				}
			}
		case keyAPIKeyEnv:
			if s, ok := p.scalar(v, field); ok {
				if !envNameRE.MatchString(s) {
					p.errorf(v, field, "%q is not an environment variable name", s)
				}
				a.KeyEnv = s
			}
		default:
			return false
		}
		return true
	})
	if n.Kind != yaml.MappingNode {
		return a, false
	}
	if nameNode == nil {
		p.errorf(n, path+".name", "missing: every account needs a name (the account label)")
	}
	switch {
	case a.KeyFile != "" && a.KeyEnv != "":
		p.errorf(n, path, "set either api_key_file or api_key_env, not both")
	case a.KeyFile == "" && a.KeyEnv == "":
		p.errorf(n, path, "missing api_key_file (preferred) or api_key_env: where the account's API key comes from")
	}
	a.Settings = base.Clone()
	for _, l := range []layer{defaults, own} {
		l.apply(&a)
	}
	return a, len(p.errs) == errsBefore
}

// apply sets what the layer sets on a, over what a has.
func (l layer) apply(a *Account) {
	switch {
	case l.url != nil:
		a.URL = *l.url
	case l.region != nil:
		a.URL = Regions[*l.region]
	}
	if l.collectors != nil {
		a.Collectors = slices.Clone(l.collectors)
	}
	if len(l.labels) > 0 {
		if a.Labels == nil {
			a.Labels = map[string]string{}
		}
		maps.Copy(a.Labels, l.labels)
	}
	for _, name := range slices.Sorted(maps.Keys(l.settings)) {
		d, _ := LookupSetting(name)
		_ = d.Set(&a.Settings, l.settings[name]) // checked when read
	}
}

func collectorNames() []string {
	var names []string
	for _, d := range collector.Definitions() {
		names = append(names, d.Name)
	}
	return names
}

// suggestion points at the right spelling of a field that differs only in its separators
// (the commonest slip when flag names become YAML keys) or by a typo of two letters.
func suggestion(key string, inAccount bool) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "", ".", "").Replace(strings.ToLower(s))
	}
	known := []string{keyRegion, keyURL, keyCollectors, keyLabels}
	if inAccount {
		known = append(known, keyName, keyAPIKeyFile, keyAPIKeyEnv)
	}
	for _, d := range SettingsTable {
		if d.Name != "certcentral.url" {
			known = append(known, d.Name)
		}
	}
	for _, k := range known {
		if len(key) <= 64 && (norm(k) == norm(key) || editDistance(k, key) <= 2) {
			return fmt.Sprintf(" (did you mean %s?)", k)
		}
	}
	if key == "certcentral.url" {
		return " (in a config file, write url: or region:)"
	}
	return " (see the README's \"Several accounts\" section for the fields)"
}

// editDistance is the Levenshtein distance of a and b (both short field names).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
