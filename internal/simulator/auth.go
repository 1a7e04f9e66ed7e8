package simulator

import (
	"fmt"
	"strings"
)

// Restriction is an API key's restriction (its "API access role", chosen
// when the key is created). Values are the role ids of reference §10.2.
type Restriction int

// Key restrictions.
const (
	RestrictionNone                       Restriction = 0
	RestrictionOrders                     Restriction = 100
	RestrictionOrdersDomainsOrganizations Restriction = 101
	RestrictionViewOnly                   Restriction = 102
	RestrictionUserManagement             Restriction = 103
)

var restrictionNames = map[Restriction]string{
	RestrictionNone:                       "none",
	RestrictionOrders:                     "orders",
	RestrictionOrdersDomainsOrganizations: "orders-domains",
	RestrictionViewOnly:                   "view-only",
	RestrictionUserManagement:             "user-management",
}

// String returns the flag spelling of the restriction.
func (r Restriction) String() string {
	if n, ok := restrictionNames[r]; ok {
		return n
	}
	return fmt.Sprintf("Restriction(%d)", int(r))
}

// RestrictionNames lists the flag spellings, for help texts.
func RestrictionNames() []string {
	return []string{"none", "view-only", "orders", "orders-domains", "user-management"}
}

// ParseRestriction parses a flag spelling (none, view-only, orders,
// orders-domains, user-management).
func ParseRestriction(s string) (Restriction, error) {
	for r, n := range restrictionNames {
		if strings.EqualFold(s, n) {
			return r, nil
		}
	}
	return 0, fmt.Errorf("unknown key restriction %q (want one of %s)", s, strings.Join(RestrictionNames(), ", "))
}

// Key is one accepted API key.
type Key struct {
	Value string
	// UserID is the user the key is linked to; 0 means Dataset.KeyOwnerID,
	// so the key follows the dataset when a scenario is swapped in.
	UserID      int
	Restriction Restriction
}

// API endpoints served under /services/v2.
const (
	EndpointUser    = "/user"
	EndpointUserMe  = "/user/me"
	EndpointDomain  = "/domain"
	EndpointProduct = "/product"
	EndpointBalance = "/finance/balance"
	EndpointOrders  = "/order/certificate"
	EndpointAccount = "/account"

	EndpointOrganization = "/organization"
	EndpointRequest      = "/request"
	EndpointKey          = "/key"
)

// Endpoints lists the API endpoints the simulator serves.
func Endpoints() []string {
	return []string{EndpointAccount, EndpointBalance, EndpointDomain, EndpointKey, EndpointOrders, EndpointOrganization,
		EndpointProduct, EndpointRequest, EndpointUser, EndpointUserMe}
}

// restrictionAllows encodes the key-restriction column of reference §10.2.
// /user/me, /account and /product are identity/catalogue calls every valid
// key may make (the docs point users at /user/me to debug permissions, so it
// cannot itself be forbidden).
func restrictionAllows(r Restriction, ep string) bool {
	switch ep {
	case EndpointUserMe, EndpointAccount, EndpointProduct:
		return true
	}
	switch r {
	case RestrictionNone, RestrictionViewOnly:
		return true
	case RestrictionOrders: // orders, requests and certificates (glossary: API key roles)
		return ep == EndpointOrders || ep == EndpointRequest
	case RestrictionOrdersDomainsOrganizations:
		return ep == EndpointOrders || ep == EndpointRequest || ep == EndpointDomain || ep == EndpointOrganization
	case RestrictionUserManagement:
		return ep == EndpointUser
	}
	return false
}

// roleAllows encodes the linked user's role, leaning as the reference does
// on its "likely" cells: finance is for Administrators, Managers and Finance
// Managers; listing users, domains, organizations and requests is for
// Administrators and Managers; API keys for Administrators; orders are
// visible to every role (Standard and Limited users see theirs).
func roleAllows(u *User, ep string) bool {
	switch ep {
	case EndpointUserMe, EndpointAccount, EndpointProduct, EndpointOrders:
		return true
	case EndpointUser, EndpointDomain, EndpointOrganization, EndpointRequest:
		// Requests: Administrators and Managers approve them (glossary: access roles).
		return u.HasRole(RoleAdministrator) || u.HasRole(RoleManager)
	case EndpointKey:
		// Who may list keys is undocumented; the simulator leans on "only Administrators
		// generate keys" and lets no one else list them.
		return u.HasRole(RoleAdministrator)
	case EndpointBalance:
		return u.HasRole(RoleAdministrator) || u.HasRole(RoleManager) || u.HasRole(RoleFinanceManager)
	}
	return false
}
