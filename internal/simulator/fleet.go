package simulator

import (
	"embed"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v2"
)

//go:embed fleets/*.yaml
var embeddedFleets embed.FS

// Regions a fleet's accounts live in. A US account answers under /services/v2, a Europe
// account under /eu/services/v2: one listener stands for both CertCentral hosts.
const (
	RegionUS = "us"
	RegionEU = "eu"
)

// RegionPrefix is the path prefix before /services/v2 for a region.
func RegionPrefix(region string) string {
	if region == RegionEU {
		return "/eu"
	}
	return ""
}

// FleetAccount is one account of a fleet: its name (for the control API and the key flags),
// its region and its server.
type FleetAccount struct {
	Name   string
	Region string
	Server *Server
}

// Fleet serves several simulated accounts from one listener. Each account is a Server with
// its own keys, dataset, faults, rate limits and statistics. An API request goes to the
// account of its region (by path prefix) that accepts its key; a key no account of that
// region accepts is refused with CertCentral's invalid-key answer, so a US key sent to the
// Europe URL fails as it does for real.
type Fleet struct {
	accounts []FleetAccount
	nobody   *Server // accepts no key: answers for a region without accounts
}

// NewFleet builds a fleet. Names must be unique; the first account also answers the
// control API when no ?account= is given.
func NewFleet(accounts []FleetAccount) (*Fleet, error) {
	seen := map[string]bool{}
	for _, a := range accounts {
		if a.Name == "" || seen[a.Name] {
			return nil, fmt.Errorf("fleet account names must be unique and not empty: %q", a.Name)
		}
		if a.Region != RegionUS && a.Region != RegionEU {
			return nil, fmt.Errorf("account %s: region %q (want us or eu)", a.Name, a.Region)
		}
		seen[a.Name] = true
	}
	if len(accounts) == 0 {
		return nil, fmt.Errorf("a fleet needs at least one account")
	}
	return &Fleet{accounts: accounts, nobody: New(Options{RateLimit: RateLimit{Disabled: true}})}, nil
}

// Accounts returns the fleet's accounts.
func (f *Fleet) Accounts() []FleetAccount { return slices.Clone(f.accounts) }

// Account returns the account called name.
func (f *Fleet) Account(name string) (FleetAccount, bool) {
	for _, a := range f.accounts {
		if a.Name == name {
			return a, true
		}
	}
	return FleetAccount{}, false
}

// ServeHTTP routes API requests by region and key, control and metrics requests by
// ?account= (default: the first account).
func (f *Fleet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/_sim/") || p == "/metrics":
		name := r.URL.Query().Get("account")
		if name == "" {
			f.accounts[0].Server.ServeHTTP(w, r)
			return
		}
		a, ok := f.Account(name)
		if !ok {
			controlError(w, http.StatusNotFound, "no account "+name+" in this fleet")
			return
		}
		a.Server.ServeHTTP(w, r)
	case p == "/":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		var b strings.Builder
		b.WriteString("CertCentral simulator, several accounts\n\n")
		for _, a := range f.accounts {
			fmt.Fprintf(&b, "%s (%s): API %s%s...; control /_sim/...?account=%s\n", a.Name, a.Region, RegionPrefix(a.Region), apiPrefix, a.Name)
		}
		_, _ = io.WriteString(w, b.String())
	case strings.HasPrefix(p, RegionPrefix(RegionEU)+apiPrefix):
		http.StripPrefix(RegionPrefix(RegionEU), f.pick(RegionEU, r)).ServeHTTP(w, r)
	default:
		f.pick(RegionUS, r).ServeHTTP(w, r)
	}
}

// pick finds the account of region whose key the request carries.
func (f *Fleet) pick(region string, r *http.Request) *Server {
	key := r.Header.Get("X-DC-DEVKEY")
	var first *Server
	for _, a := range f.accounts {
		if a.Region != region {
			continue
		}
		if a.Server.acceptsKey(key) {
			return a.Server
		}
		if first == nil {
			first = a.Server
		}
	}
	if first == nil {
		return f.nobody
	}
	return first // refuses the key, counted in that account's statistics
}

// FleetSpec is one account of a fleet file before its keys are known.
type FleetSpec struct {
	Name    string
	Region  string
	Dataset *Dataset
}

type fleetFile struct {
	Accounts []struct {
		Name     string `yaml:"name"`
		Region   string `yaml:"region"`
		Scenario string `yaml:"scenario"`
		// Generate makes a generated account (as --users/--domains/--orders) instead.
		Generate *struct {
			Seed    int64 `yaml:"seed"`
			Users   int   `yaml:"users"`
			Domains int   `yaml:"domains"`
			Orders  int   `yaml:"orders"`
		} `yaml:"generate"`
	} `yaml:"accounts"`
}

// FleetNames lists the fleets built into the binary.
func FleetNames() []string { return embeddedNames(embeddedFleets, "fleets") }

// IsFleet says whether nameOrPath is a built-in fleet or a file with an accounts: list.
func IsFleet(nameOrPath string) bool {
	if slices.Contains(FleetNames(), nameOrPath) {
		return true
	}
	if slices.Contains(ScenarioNames(), nameOrPath) {
		return false
	}
	b, err := os.ReadFile(nameOrPath)
	if err != nil {
		return false
	}
	var probe map[string]any
	if yaml.Unmarshal(b, &probe) != nil {
		return false
	}
	_, ok := probe["accounts"]
	return ok
}

// LoadFleet loads a built-in fleet by name or a fleet file: a list of accounts, each with a
// name, a region and a scenario (a built-in name or a scenario file's path) or generate:
// {seed, users, domains, orders} for a generated account.
func LoadFleet(nameOrPath string, now time.Time) ([]FleetSpec, error) {
	var b []byte
	var err error
	if slices.Contains(FleetNames(), nameOrPath) {
		b, err = embeddedFleets.ReadFile(path.Join("fleets", nameOrPath+".yaml"))
	} else {
		b, err = os.ReadFile(nameOrPath)
	}
	if err != nil {
		return nil, fmt.Errorf("fleet: %w (built-in fleets: %s)", err, strings.Join(FleetNames(), ", "))
	}
	var ff fleetFile
	if err := yaml.UnmarshalStrict(b, &ff); err != nil {
		return nil, fmt.Errorf("fleet %s: %w", nameOrPath, err)
	}
	var out []FleetSpec
	for i, a := range ff.Accounts {
		if a.Region == "" {
			a.Region = RegionUS
		}
		if a.Name == "" || (a.Scenario == "") == (a.Generate == nil) {
			return nil, fmt.Errorf("fleet %s: account %d needs a name and either a scenario or generate", nameOrPath, i)
		}
		var ds *Dataset
		if g := a.Generate; g != nil {
			if g.Users < 0 || g.Domains < 0 || g.Orders < 0 {
				return nil, fmt.Errorf("fleet %s: account %s: negative sizes", nameOrPath, a.Name)
			}
			ds = Generate(g.Seed, Sizes{Users: g.Users, Domains: g.Domains, Orders: g.Orders}, now)
		} else if ds, err = Scenario(a.Scenario, now); err != nil {
			return nil, fmt.Errorf("fleet %s: account %s: %w", nameOrPath, a.Name, err)
		}
		out = append(out, FleetSpec{Name: a.Name, Region: a.Region, Dataset: ds})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("fleet %s: no accounts", nameOrPath)
	}
	return out, nil
}
