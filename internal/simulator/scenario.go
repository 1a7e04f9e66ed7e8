package simulator

import (
	"bytes"
	"embed"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v2"
)

//go:embed scenarios/*.yaml
var embedded embed.FS

// ScenarioNames lists the scenarios built into the binary.
func ScenarioNames() []string { return embeddedNames(embedded, "scenarios") }

// embeddedNames lists the YAML files of an embedded directory by name, sorted.
func embeddedNames(fsys embed.FS, dir string) []string {
	entries, _ := fsys.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	slices.Sort(names)
	return names
}

// Scenario loads a built-in scenario by name ("demo", "healthy") or, when
// nameOrPath is not a built-in name, a scenario file from disk.
func Scenario(nameOrPath string, now time.Time) (*Dataset, error) {
	if slices.Contains(ScenarioNames(), nameOrPath) {
		b, err := embedded.ReadFile(path.Join("scenarios", nameOrPath+".yaml"))
		if err != nil {
			return nil, err
		}
		d, err := LoadScenario(bytes.NewReader(b), now)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: %w", nameOrPath, err)
		}
		return d, nil
	}
	return LoadScenarioFile(nameOrPath, now)
}

// LoadScenarioFile loads a YAML or JSON scenario file.
func LoadScenarioFile(p string, now time.Time) (*Dataset, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w (built-in scenarios: %s)", err, strings.Join(ScenarioNames(), ", "))
	}
	defer f.Close()
	d, err := LoadScenario(f, now)
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", p, err)
	}
	return d, nil
}

// LoadScenario decodes a scenario (YAML, or JSON, which is YAML too) with
// times relative to now. Unknown keys are errors so that a typo such as
// "last_logon" cannot silently produce a different situation.
func LoadScenario(r io.Reader, now time.Time) (*Dataset, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	var spec scenarioSpec
	if err := yaml.UnmarshalStrict(b, &spec); err != nil {
		return nil, err
	}
	return spec.build(now.UTC().Truncate(time.Second))
}

// scenarioSpec is the file format; see scenarios/demo.yaml for a commented
// example of every key.
type scenarioSpec struct {
	Account       *accountSpec  `yaml:"account"`
	KeyOwner      string        `yaml:"key_owner"`
	Organizations []orgSpec     `yaml:"organizations"`
	Users         []userSpec    `yaml:"users"`
	Domains       []domainSpec  `yaml:"domains"`
	Products      []prodSpec    `yaml:"products"`
	Balance       *Balance      `yaml:"balance"`
	Orders        []orderSpec   `yaml:"orders"`
	Requests      []requestSpec `yaml:"requests"`
	APIKeys       []keySpec     `yaml:"api_keys"`
	// Faults, in the --fault syntax, make a scenario of a failure ("the balance answers 403").
	// A pointer: a scenario without the key leaves the server's faults alone when swapped in.
	Faults *[]string `yaml:"faults"`
}

type accountSpec struct {
	ID                         int    `yaml:"id"`
	PrimaryOrganizationID      int    `yaml:"primary_organization_id"`
	PrimaryOrganizationName    string `yaml:"primary_organization_name"`
	PrimaryOrganizationCountry string `yaml:"primary_organization_country"`
	RootContainerID            int    `yaml:"root_container_id"`
	RootContainerName          string `yaml:"root_container_name"`
	CertCentralType            string `yaml:"cert_central_type"`
}

type orgSpec struct {
	ID          int    `yaml:"id"`
	Name        string `yaml:"name"`
	Active      *bool  `yaml:"active"`
	AssumedName string `yaml:"assumed_name"`
	// Status overrides the status word ("approved", as in an old fixture).
	Status string `yaml:"status"`
	// IsActiveFormat "string" renders is_active as "1"/"0" instead of a bool.
	IsActiveFormat string           `yaml:"is_active_format"`
	Validations    []validationSpec `yaml:"validations"`
}

type userSpec struct {
	ID              int    `yaml:"id"`
	Username        string `yaml:"username"`
	Email           string `yaml:"email"`
	FirstName       string `yaml:"first_name"`
	LastName        string `yaml:"last_name"`
	JobTitle        string `yaml:"job_title"`
	Telephone       string `yaml:"telephone"`
	Status          string `yaml:"status"`
	Role            string `yaml:"role"`
	LastLogin       string `yaml:"last_login"`
	LastLoginFormat string `yaml:"last_login_format"`
}

type domainSpec struct {
	ID           int    `yaml:"id"`
	Name         string `yaml:"name"`
	Active       *bool  `yaml:"active"`
	Created      string `yaml:"created"`
	DCVMethod    string `yaml:"dcv_method"`
	Organization string `yaml:"organization"`
	OVExpires    string `yaml:"ov_dcv_expires"`
	EVExpires    string `yaml:"ev_dcv_expires"`
	DCVApproved  string `yaml:"dcv_approved"`
}

type prodSpec struct {
	NameID               string `yaml:"name_id"`
	Name                 string `yaml:"name"`
	Type                 string `yaml:"type"`
	GroupName            string `yaml:"group_name"`
	ValidationType       string `yaml:"validation_type"`
	AllowedValidityYears []int  `yaml:"allowed_validity_years"`
}

type orderSpec struct {
	ID           int      `yaml:"id"`
	CommonName   string   `yaml:"common_name"`
	DNSNames     []string `yaml:"dns_names"`
	Status       string   `yaml:"status"`
	Product      string   `yaml:"product"`
	Issued       string   `yaml:"issued"`
	Expires      string   `yaml:"expires"`
	Created      string   `yaml:"created"`
	Renewed      bool     `yaml:"renewed"`
	Organization string   `yaml:"organization"`
	Price        *float64 `yaml:"price"`
	NoPrice      bool     `yaml:"no_price"`
	SerialNumber string   `yaml:"serial_number"`
	MultiYear    bool     `yaml:"multi_year_plan"`
	// PlanExpires is when the order's plan ends (order_valid_till).
	PlanExpires string `yaml:"plan_expires"`
	// Repeat makes this many orders alike (ids assigned), as an automation ordering in a loop.
	Repeat int `yaml:"repeat"`
}

// UnmarshalYAML decodes a scenario's balance section (amounts as "120.00").
func (b *Balance) UnmarshalYAML(unmarshal func(any) error) error {
	var s struct {
		Balance              Money  `yaml:"balance"`
		Currency             string `yaml:"currency"`
		UnpaidInvoice        Money  `yaml:"unpaid_invoice"`
		NegativeBalanceLimit Money  `yaml:"negative_balance_limit"`
		UsedCredit           Money  `yaml:"used_credit_from_other_containers"`
		Unlimited            bool   `yaml:"unlimited"`
	}
	if err := unmarshal(&s); err != nil {
		return err
	}
	*b = Balance{Balance: s.Balance, Currency: s.Currency, UnpaidInvoice: s.UnpaidInvoice,
		NegativeBalanceLimit: s.NegativeBalanceLimit, UsedCreditFromOtherContainers: s.UsedCredit,
		Unlimited: s.Unlimited}
	if b.Currency == "" {
		b.Currency = "USD"
	}
	return nil
}

// parseRole accepts a role id ("1") or the API's name ("Finance Manager",
// case-insensitive).
func parseRole(s string) (int, error) {
	for id, n := range roleNames {
		if strings.EqualFold(s, n) || s == fmt.Sprint(id) {
			return id, nil
		}
	}
	return 0, fmt.Errorf("unknown role %q (want Administrator, Manager, Finance Manager, Standard User, Limited User or 1-5)", s)
}

// nextID hands out ids above every explicit one so that assigned ids never
// collide with ids the scenario author wrote down.
type idAllocator struct {
	next int
	used map[int]bool
}

func newIDAllocator(base int, explicit []int) (*idAllocator, error) {
	a := &idAllocator{next: base, used: map[int]bool{}}
	for _, id := range explicit {
		if id == 0 {
			continue
		}
		if a.used[id] {
			return nil, fmt.Errorf("duplicate id %d", id)
		}
		a.used[id] = true
		a.next = max(a.next, id)
	}
	return a, nil
}

func (a *idAllocator) id(explicit int) int {
	if explicit != 0 {
		return explicit
	}
	a.next++
	return a.next
}
