package simulator

import (
	"fmt"
	"hash/fnv"
	"time"
)

// build turns the file format into a Dataset, filling defaults and ids.
func (s *scenarioSpec) build(now time.Time) (*Dataset, error) {
	d := &Dataset{Account: defaultAccount()}
	s.applyAccount(&d.Account)
	orgs, err := s.buildOrgs(d.Account)
	if err != nil {
		return nil, err
	}
	if d.Users, err = s.buildUsers(now, d.Account); err != nil {
		return nil, err
	}
	if d.KeyOwnerID, err = s.keyOwner(d.Users); err != nil {
		return nil, err
	}
	if d.Domains, err = s.buildDomains(now, d.Account, orgs); err != nil {
		return nil, err
	}
	if d.Products, err = s.buildProducts(); err != nil {
		return nil, err
	}
	if d.Orders, err = s.buildOrders(now, d.Account, orgs, d.Products); err != nil {
		return nil, err
	}
	if err := s.buildIssuance(now, d, orgs); err != nil {
		return nil, err
	}
	d.Balance = Balance{Currency: "USD"}
	if s.Balance != nil {
		d.Balance = *s.Balance
	}
	if s.Faults != nil {
		faults, err := ParseFaults(*s.Faults)
		if err != nil {
			return nil, fmt.Errorf("faults: %w", err)
		}
		d.Faults = &faults
	}
	return sortedCopy(d), nil
}

func (s *scenarioSpec) applyAccount(a *Account) {
	if s.Account == nil {
		return
	}
	sp := s.Account
	setInt := func(dst *int, v int) {
		if v != 0 {
			*dst = v
		}
	}
	setStr := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	setInt(&a.ID, sp.ID)
	setInt(&a.PrimaryOrganizationID, sp.PrimaryOrganizationID)
	setStr(&a.PrimaryOrganizationName, sp.PrimaryOrganizationName)
	setStr(&a.PrimaryOrganizationCountry, sp.PrimaryOrganizationCountry)
	setInt(&a.RootContainerID, sp.RootContainerID)
	setStr(&a.RootContainerName, sp.RootContainerName)
	setStr(&a.CertCentralType, sp.CertCentralType)
}

// buildOrgs indexes organizations by name; the account's primary
// organization always exists.
func (s *scenarioSpec) buildOrgs(a Account) (map[string]org, error) {
	orgs := map[string]org{a.PrimaryOrganizationName: {a.PrimaryOrganizationID, a.PrimaryOrganizationName, true}}
	ids := []int{a.PrimaryOrganizationID}
	for _, o := range s.Organizations {
		ids = append(ids, o.ID)
	}
	alloc, err := newIDAllocator(a.PrimaryOrganizationID, ids)
	if err != nil {
		return nil, fmt.Errorf("organizations: %w", err)
	}
	for i, o := range s.Organizations {
		if o.Name == "" {
			return nil, fmt.Errorf("organizations[%d]: name is required", i)
		}
		id := o.ID
		if prev, ok := orgs[o.Name]; ok && id == 0 {
			id = prev.id
		}
		active := o.Active == nil || *o.Active
		orgs[o.Name] = org{alloc.id(id), o.Name, active}
	}
	return orgs, nil
}

func lookupOrg(orgs map[string]org, name string, a Account) (org, error) {
	if name == "" {
		name = a.PrimaryOrganizationName
	}
	o, ok := orgs[name]
	if !ok {
		return org{}, fmt.Errorf("organization %q is not listed under organizations", name)
	}
	return o, nil
}

func (s *scenarioSpec) buildUsers(now time.Time, a Account) ([]User, error) {
	ids := make([]int, len(s.Users))
	for i, u := range s.Users {
		ids[i] = u.ID
	}
	alloc, err := newIDAllocator(userIDBase, ids)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	users := make([]User, 0, len(s.Users))
	for i, sp := range s.Users {
		where := fmt.Sprintf("users[%d] (%s)", i, sp.Username)
		if sp.Username == "" {
			return nil, fmt.Errorf("users[%d]: username is required", i)
		}
		u := User{
			ID: alloc.id(sp.ID), Username: sp.Username, Email: sp.Email,
			FirstName: sp.FirstName, LastName: sp.LastName, JobTitle: sp.JobTitle,
			Telephone: sp.Telephone, Status: sp.Status, Type: "standard",
			ContainerID: a.RootContainerID, ContainerName: a.RootContainerName,
		}
		if u.Email == "" {
			u.Email = u.Username
		}
		if u.Status == "" {
			u.Status = "active"
		}
		role := RoleStandardUser
		if sp.Role != "" {
			if role, err = parseRole(sp.Role); err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
		}
		u.RoleIDs = []int{role}
		if sp.LastLogin != "" {
			if u.LastLogin, err = ParseRelTime(sp.LastLogin, now); err != nil {
				return nil, fmt.Errorf("%s: last_login: %w", where, err)
			}
		}
		switch sp.LastLoginFormat {
		case "", "rfc3339":
		case "legacy":
			u.LastLoginLegacyFormat = true
		default:
			return nil, fmt.Errorf("%s: last_login_format %q: want rfc3339 or legacy", where, sp.LastLoginFormat)
		}
		users = append(users, u)
	}
	return users, nil
}

// keyOwner resolves key_owner (a username), defaulting to the first
// Administrator so that a scenario's key can see everything.
func (s *scenarioSpec) keyOwner(users []User) (int, error) {
	if s.KeyOwner != "" {
		for _, u := range users {
			if u.Username == s.KeyOwner {
				return u.ID, nil
			}
		}
		return 0, fmt.Errorf("key_owner %q is not a username under users", s.KeyOwner)
	}
	for _, u := range users {
		if u.HasRole(RoleAdministrator) {
			return u.ID, nil
		}
	}
	if len(users) > 0 {
		return users[0].ID, nil
	}
	return 0, nil
}

func (s *scenarioSpec) buildDomains(now time.Time, a Account, orgs map[string]org) ([]Domain, error) {
	ids := make([]int, len(s.Domains))
	for i, dm := range s.Domains {
		ids[i] = dm.ID
	}
	alloc, err := newIDAllocator(domainIDBase, ids)
	if err != nil {
		return nil, fmt.Errorf("domains: %w", err)
	}
	domains := make([]Domain, 0, len(s.Domains))
	for i, sp := range s.Domains {
		where := fmt.Sprintf("domains[%d] (%s)", i, sp.Name)
		if sp.Name == "" {
			return nil, fmt.Errorf("domains[%d]: name is required", i)
		}
		o, err := lookupOrg(orgs, sp.Organization, a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		dm := Domain{
			ID: alloc.id(sp.ID), Name: sp.Name, IsActive: sp.Active == nil || *sp.Active,
			DCVMethod: sp.DCVMethod, OrgID: o.id, OrgName: o.name, OrgActive: o.active,
			ContainerID: a.RootContainerID, ContainerName: a.RootContainerName,
		}
		if dm.DCVMethod == "" {
			dm.DCVMethod = "email"
		}
		times := []struct {
			key, val string
			dst      **time.Time
		}{{"ov_dcv_expires", sp.OVExpires, &dm.OVExpiry}, {"ev_dcv_expires", sp.EVExpires, &dm.EVExpiry}, {"dcv_approved", sp.DCVApproved, &dm.DCVApproved}}
		for _, t := range times {
			if t.val == "" {
				continue
			}
			if *t.dst, err = ParseRelTime(t.val, now); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", where, t.key, err)
			}
		}
		if dm.DCVApproved == nil && dm.Validated() {
			exp := dm.OVExpiry
			if exp == nil {
				exp = dm.EVExpiry
			}
			t := exp.Add(-dcvReuse)
			dm.DCVApproved = &t
		}
		created := "400d ago"
		if dm.DCVApproved != nil && dm.DCVApproved.Before(now.Add(-400*day)) {
			created = dm.DCVApproved.Add(-day).Format(time.RFC3339)
		}
		if sp.Created != "" {
			created = sp.Created
		}
		c, err := ParseRelTime(created, now)
		if err != nil || c == nil {
			return nil, fmt.Errorf("%s: created: %v", where, errOrNever(err))
		}
		dm.Created = *c
		domains = append(domains, dm)
	}
	return domains, nil
}

func errOrNever(err error) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("\"never\" is not allowed here")
}

func (s *scenarioSpec) buildProducts() ([]Product, error) {
	if len(s.Products) == 0 {
		return Catalog(), nil
	}
	out := make([]Product, 0, len(s.Products))
	for i, sp := range s.Products {
		p, known := catalogProduct(sp.NameID)
		if sp.NameID == "" {
			return nil, fmt.Errorf("products[%d]: name_id is required", i)
		}
		if !known && (sp.Name == "" || sp.Type == "" || sp.GroupName == "") {
			return nil, fmt.Errorf("products[%d] (%s): not a built-in product, so name, type and group_name are required", i, sp.NameID)
		}
		p.NameID = sp.NameID
		for _, f := range []struct {
			dst *string
			v   string
		}{{&p.Name, sp.Name}, {&p.Type, sp.Type}, {&p.GroupName, sp.GroupName}, {&p.ValidationType, sp.ValidationType}} {
			if f.v != "" {
				*f.dst = f.v
			}
		}
		if sp.AllowedValidityYears != nil {
			p.AllowedValidityYears = sp.AllowedValidityYears
		}
		if p.AllowedValidityYears == nil {
			p.AllowedValidityYears = []int{1}
		}
		out = append(out, p)
	}
	return out, nil
}

func (s *scenarioSpec) buildOrders(now time.Time, a Account, orgs map[string]org, products []Product) ([]Order, error) {
	ids := make([]int, len(s.Orders))
	for i, o := range s.Orders {
		ids[i] = o.ID
	}
	alloc, err := newIDAllocator(orderIDBase, ids)
	if err != nil {
		return nil, fmt.Errorf("orders: %w", err)
	}
	orders := make([]Order, 0, len(s.Orders))
	for i, sp := range s.Orders {
		where := fmt.Sprintf("orders[%d] (%s)", i, sp.CommonName)
		if sp.CommonName == "" {
			return nil, fmt.Errorf("orders[%d]: common_name is required", i)
		}
		if sp.Repeat < 0 || sp.Repeat > 10_000 || (sp.Repeat > 1 && sp.ID != 0) {
			return nil, fmt.Errorf("%s: repeat must be 0 to 10000, and without an id", where)
		}
		for range max(1, sp.Repeat) {
			ord, err := sp.build(now, a, orgs, products, alloc)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", where, err)
			}
			orders = append(orders, ord)
		}
	}
	return orders, nil
}

// build makes one order of the spec.
func (sp orderSpec) build(now time.Time, a Account, orgs map[string]org, products []Product, alloc *idAllocator) (Order, error) {
	o, err := lookupOrg(orgs, sp.Organization, a)
	if err != nil {
		return Order{}, err
	}
	p, err := orderProduct(sp.Product, products)
	if err != nil {
		return Order{}, err
	}
	id := alloc.id(sp.ID)
	ord := Order{
		ID: id, Status: sp.Status, CommonName: sp.CommonName, DNSNames: sp.DNSNames,
		ProductNameID: p.NameID, ProductName: p.Name, ProductType: p.Type,
		IsRenewed: sp.Renewed, OrgID: o.id, OrgName: o.name,
		ContainerID: a.RootContainerID, ContainerName: a.RootContainerName,
		Price: prices[p.NameID], NoPrice: sp.NoPrice, CertificateID: id - orderIDBase + certIDBase,
		SerialNumber: sp.SerialNumber, ValidityYears: 1, MultiYearPlan: sp.MultiYear,
	}
	if ord.Status == "" {
		ord.Status = "issued"
	}
	if ord.DNSNames == nil {
		ord.DNSNames = []string{sp.CommonName}
	}
	if sp.Price != nil {
		ord.Price = *sp.Price
	}
	if sp.Expires != "" {
		if ord.ValidTill, err = ParseRelTime(sp.Expires, now); err != nil {
			return Order{}, fmt.Errorf("expires: %w", err)
		}
	}
	if sp.Issued != "" {
		if ord.ValidFrom, err = ParseRelTime(sp.Issued, now); err != nil {
			return Order{}, fmt.Errorf("issued: %w", err)
		}
	}
	if sp.PlanExpires != "" {
		if ord.PlanValidTill, err = ParseRelTime(sp.PlanExpires, now); err != nil {
			return Order{}, fmt.Errorf("plan_expires: %w", err)
		}
	}
	if ord.ValidTill != nil && ord.ValidFrom == nil {
		// The longest certificate its product allowed when it was issued (lifetime.go).
		from := ord.ValidTill.Add(-lifetimeEnding(p.NameID, *ord.ValidTill, now))
		ord.ValidFrom = &from
	}
	if ord.ValidFrom != nil && ord.ValidTill == nil {
		return Order{}, fmt.Errorf("issued is set but expires is not")
	}
	if ord.ValidTill != nil && ord.SerialNumber == "" {
		ord.SerialNumber = serialFor(id)
	}
	created := "1d ago"
	if ord.ValidFrom != nil {
		created = ord.ValidFrom.Add(-day).Format(time.RFC3339)
	}
	if sp.Created != "" {
		created = sp.Created
	}
	c, err := ParseRelTime(created, now)
	if err != nil || c == nil {
		return Order{}, fmt.Errorf("created: %v", errOrNever(err))
	}
	ord.Created = *c
	return ord, nil
}

// orderProduct finds the order's product in the scenario's product list, or
// failing that in the built-in catalog (an account may hold orders for
// products it can no longer buy).
func orderProduct(nameID string, products []Product) (Product, error) {
	if nameID == "" {
		nameID = "ssl_plus"
	}
	for _, p := range products {
		if p.NameID == nameID {
			return p, nil
		}
	}
	if p, ok := catalogProduct(nameID); ok {
		return p, nil
	}
	return Product{}, fmt.Errorf("product %q is neither under products nor built in", nameID)
}

// serialFor derives a stable serial number so that reloading a scenario
// gives identical output.
func serialFor(id int) string {
	h := fnv.New128a()
	fmt.Fprintf(h, "order-%d", id)
	return fmt.Sprintf("%X", h.Sum(nil))
}
