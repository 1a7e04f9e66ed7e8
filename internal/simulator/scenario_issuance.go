package simulator

import (
	"fmt"
	"strconv"
	"time"
)

// The scenario sections of what blocks issuance besides domains: organization validations,
// the approval queue and API keys. See scenarios/demo.yaml for an example of every key.

type validationSpec struct {
	Type string `yaml:"type"`
	// Status overrides the word rendered; by default it follows the dates (pending without).
	Status  string `yaml:"status"`
	Expires string `yaml:"expires"` // validated_until; empty or "never": a pending validation
	Created string `yaml:"created"` // date_created; default 397 days before expires
}

type requestSpec struct {
	ID     int    `yaml:"id"`
	Type   string `yaml:"type"`   // default new_request
	Status string `yaml:"status"` // default pending
	Date   string `yaml:"date"`   // required
	// Requester and Processor are usernames; an empty requester is an anonymous request.
	Requester    string `yaml:"requester"`
	Processor    string `yaml:"processor"`
	CommonName   string `yaml:"common_name"` // empty: no order.certificate
	Product      string `yaml:"product"`
	Organization string `yaml:"organization"`
}

type keySpec struct {
	ID   int    `yaml:"id"`
	Name string `yaml:"name"`
	// Owner is a username (default: key_owner); OwnerID names a user who is not (or no
	// longer) among the users.
	Owner   string `yaml:"owner"`
	OwnerID int    `yaml:"owner_id"`
	Status  string `yaml:"status"` // default active
	// Restriction: none (default), view-only, orders, orders-domains, user-management, or
	// any role id.
	Restriction string    `yaml:"restriction"`
	Created     string    `yaml:"created"`   // default 365d ago
	LastUsed    string    `yaml:"last_used"` // empty or never: never used
	Legacy      bool      `yaml:"legacy"`
	ACME        *acmeSpec `yaml:"acme"`
}

type acmeSpec struct {
	DirectoryURL  string `yaml:"directory_url"` // default: obfuscated like the API ("******" + 4)
	Product       string `yaml:"product"`
	Organization  string `yaml:"organization"`
	ValidityDays  int    `yaml:"validity_days"`
	ValidityYears int    `yaml:"validity_years"`
}

const (
	requestIDBase      = 5_100_000
	requestOrderIDBase = 12_000_000
	keyIDBase          = 41_000
	// orgValidationReuse is how long an organization validation lasts (397 days since
	// February 2026 at DigiCert).
	orgValidationReuse = 397 * day
)

func (s *scenarioSpec) buildIssuance(now time.Time, d *Dataset, orgs map[string]org) error {
	var err error
	if d.Organizations, err = s.buildOrganizations(now, d.Account, orgs); err != nil {
		return err
	}
	if d.Requests, err = s.buildRequests(now, d, orgs); err != nil {
		return err
	}
	d.APIKeys, err = s.buildKeys(now, d, orgs)
	return err
}

// buildOrganizations lists every organization the scenario names (and the account's
// primary one), with the validations the scenario gives them.
func (s *scenarioSpec) buildOrganizations(now time.Time, a Account, orgs map[string]org) ([]Organization, error) {
	byName := map[string]*Organization{}
	var out []*Organization
	add := func(o org) *Organization {
		if x, ok := byName[o.name]; ok {
			return x
		}
		x := &Organization{ID: o.id, Name: o.name, Active: o.active, ContainerID: a.RootContainerID, ContainerName: a.RootContainerName}
		byName[o.name] = x
		out = append(out, x)
		return x
	}
	add(orgs[a.PrimaryOrganizationName])
	for i, sp := range s.Organizations {
		where := fmt.Sprintf("organizations[%d] (%s)", i, sp.Name)
		o := add(orgs[sp.Name])
		o.Status, o.AssumedName = sp.Status, sp.AssumedName
		switch sp.IsActiveFormat {
		case "", "bool":
		case "string":
			o.IsActiveString = true
		default:
			return nil, fmt.Errorf("%s: is_active_format %q: want bool or string", where, sp.IsActiveFormat)
		}
		for j, vs := range sp.Validations {
			v, err := vs.build(now)
			if err != nil {
				return nil, fmt.Errorf("%s: validations[%d]: %w", where, j, err)
			}
			o.Validations = append(o.Validations, v)
		}
	}
	result := make([]Organization, len(out))
	for i, o := range out {
		result[i] = *o
	}
	return result, nil
}

func (vs validationSpec) build(now time.Time) (OrgValidation, error) {
	if vs.Type == "" {
		return OrgValidation{}, fmt.Errorf("type is required (ov, ev, cs, ev_cs, ds)")
	}
	v := OrgValidation{Type: vs.Type, Status: vs.Status}
	var err error
	if vs.Expires != "" {
		if v.ValidatedUntil, err = ParseRelTime(vs.Expires, now); err != nil {
			return v, fmt.Errorf("expires: %w", err)
		}
	}
	switch {
	case vs.Created != "":
		if v.Created, err = ParseRelTime(vs.Created, now); err != nil {
			return v, fmt.Errorf("created: %w", err)
		}
	case v.ValidatedUntil != nil:
		c := v.ValidatedUntil.Add(-orgValidationReuse)
		v.Created = &c
	}
	return v, nil
}

// allocatorFor hands out ids above base and above every explicit id of specs.
func allocatorFor[T any](base int, specs []T, id func(T) int) (*idAllocator, error) {
	ids := make([]int, len(specs))
	for i, sp := range specs {
		ids[i] = id(sp)
	}
	return newIDAllocator(base, ids)
}

func userByName(users []User, username string) (int, error) {
	for _, u := range users {
		if u.Username == username {
			return u.ID, nil
		}
	}
	return 0, fmt.Errorf("user %q is not a username under users", username)
}

func (s *scenarioSpec) buildRequests(now time.Time, d *Dataset, orgs map[string]org) ([]Request, error) {
	alloc, err := allocatorFor(requestIDBase, s.Requests, func(r requestSpec) int { return r.ID })
	if err != nil {
		return nil, fmt.Errorf("requests: %w", err)
	}
	out := make([]Request, 0, len(s.Requests))
	for i, sp := range s.Requests {
		where := fmt.Sprintf("requests[%d] (%s)", i, sp.CommonName)
		o, err := lookupOrg(orgs, sp.Organization, d.Account)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		p, err := orderProduct(sp.Product, d.Products)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		date, err := ParseRelTime(sp.Date, now)
		if err != nil || date == nil {
			return nil, fmt.Errorf("%s: date: %v", where, errOrNever(err))
		}
		r := Request{
			ID: alloc.id(sp.ID), Date: *date, Type: sp.Type, Status: sp.Status, OrderID: requestOrderIDBase + i + 1,
			CommonName: sp.CommonName, OrgID: o.id, OrgName: o.name,
			ContainerID: d.Account.RootContainerID, ContainerName: d.Account.RootContainerName,
			ProductNameID: p.NameID, ProductName: p.Name, ProductType: p.Type,
		}
		if r.Type == "" {
			r.Type = "new_request"
		}
		if r.Status == "" {
			r.Status = "pending"
		}
		for _, f := range []struct {
			username string
			dst      *int
		}{{sp.Requester, &r.RequesterID}, {sp.Processor, &r.ProcessorID}} {
			if f.username == "" {
				continue
			}
			if *f.dst, err = userByName(d.Users, f.username); err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
		}
		out = append(out, r)
	}
	return out, nil
}

func (s *scenarioSpec) buildKeys(now time.Time, d *Dataset, orgs map[string]org) ([]APIKey, error) {
	alloc, err := allocatorFor(keyIDBase, s.APIKeys, func(k keySpec) int { return k.ID })
	if err != nil {
		return nil, fmt.Errorf("api_keys: %w", err)
	}
	out := make([]APIKey, 0, len(s.APIKeys))
	for i, sp := range s.APIKeys {
		where := fmt.Sprintf("api_keys[%d] (%s)", i, sp.Name)
		k := APIKey{ID: alloc.id(sp.ID), Name: sp.Name, UserID: d.KeyOwnerID, Status: sp.Status, Legacy: sp.Legacy}
		switch {
		case sp.OwnerID != 0:
			k.UserID = sp.OwnerID
		case sp.Owner != "":
			if k.UserID, err = userByName(d.Users, sp.Owner); err != nil {
				return nil, fmt.Errorf("%s: owner: %w", where, err)
			}
		}
		if k.Status == "" {
			k.Status = "active"
		}
		if sp.Restriction != "" {
			if k.Restriction, err = ParseRestriction(sp.Restriction); err != nil {
				n, nerr := strconv.Atoi(sp.Restriction)
				if nerr != nil {
					return nil, fmt.Errorf("%s: %w, or a role id", where, err)
				}
				k.Restriction = Restriction(n)
			}
		}
		created := sp.Created
		if created == "" {
			created = "365d ago"
		}
		c, err := ParseRelTime(created, now)
		if err != nil || c == nil {
			return nil, fmt.Errorf("%s: created: %v", where, errOrNever(err))
		}
		k.Created = *c
		if sp.LastUsed != "" {
			if k.LastUsed, err = ParseRelTime(sp.LastUsed, now); err != nil {
				return nil, fmt.Errorf("%s: last_used: %w", where, err)
			}
		}
		if a := sp.ACME; a != nil {
			if k.ACME, err = a.build(d, orgs, k.ID); err != nil {
				return nil, fmt.Errorf("%s: acme: %w", where, err)
			}
		}
		out = append(out, k)
	}
	return out, nil
}

func (a *acmeSpec) build(d *Dataset, orgs map[string]org, keyID int) (*ACMEDirectory, error) {
	p, err := orderProduct(a.Product, d.Products)
	if err != nil {
		return nil, err
	}
	o, err := lookupOrg(orgs, a.Organization, d.Account)
	if err != nil {
		return nil, err
	}
	dir := &ACMEDirectory{
		URL: a.DirectoryURL, ProductNameID: p.NameID, ProductName: p.Name, OrgID: o.id, OrgName: o.name,
		ValidityDays: a.ValidityDays, ValidityYears: a.ValidityYears,
	}
	if dir.URL == "" {
		dir.URL = "******" + opaque(fmt.Sprint("acme", keyID), 4)
	}
	return dir, nil
}
