package simulator

import (
	"cmp"
	"slices"
	"time"
)

// Access role ids as returned in a user's access_roles[].id (reference §10.1).
// The exporter is expected to key on these ids, so they are plain ints.
const (
	RoleAdministrator  = 1
	RoleLimitedUser    = 2
	RoleFinanceManager = 3
	RoleManager        = 4
	RoleStandardUser   = 5
)

// roleNames holds the Title Case names the API returns (the glossary's
// lower-case spelling is not what the wire carries).
var roleNames = map[int]string{
	RoleAdministrator:  "Administrator",
	RoleLimitedUser:    "Limited User",
	RoleFinanceManager: "Finance Manager",
	RoleManager:        "Manager",
	RoleStandardUser:   "Standard User",
}

// RoleName returns the API's display name of a role id, or "" if unknown.
func RoleName(id int) string { return roleNames[id] }

// Dataset is the semantic content of one simulated CertCentral account. It
// is deliberately not the API's JSON: tests compare exporter output with
// these values, and the renderers turn them into the wire format.
//
// A Dataset handed to a Server must not be modified afterwards; the server
// reads it concurrently without locks.
type Dataset struct {
	Account  Account
	Users    []User
	Domains  []Domain
	Products []Product
	Balance  Balance
	Orders   []Order
	// Organizations, Requests and APIKeys are described in dataset_issuance.go.
	Organizations []Organization
	Requests      []Request
	APIKeys       []APIKey
	// KeyOwnerID is the id of the user API keys belong to unless a Key names
	// another user; it answers GET /user/me and decides role permissions.
	KeyOwnerID int
	// Faults are the faults a scenario file lists, applied with it (nil: the scenario does not
	// say, and swapping it in keeps the injected faults).
	Faults *[]Fault
}

// Account is what GET /account describes, plus the root container that
// every user, domain and order lives in unless told otherwise.
type Account struct {
	ID                         int
	PrimaryOrganizationID      int
	PrimaryOrganizationName    string
	PrimaryOrganizationCountry string // lower-case ISO code, as the API sends it
	RootContainerID            int
	RootContainerName          string
	CertCentralType            string // "retail" or "enterprise"
	BillingAccountID           int
	BillingAccountName         string
	DefaultCountry             string
}

// User is one CertCentral user.
type User struct {
	ID        int
	Username  string
	Email     string
	FirstName string
	LastName  string
	JobTitle  string // "" means the job_title key is absent
	Telephone string // "" means the telephone key is absent
	Status    string // "active" in every real sample
	RoleIDs   []int
	// LastLogin is nil for users who never signed in (last_login_date absent).
	LastLogin *time.Time
	// LastLoginLegacyFormat renders last_login_date the 2020 way:
	// "2006-01-02 15:04:05" in America/Denver wall-clock time, instead of
	// RFC 3339 in UTC with "+00:00".
	LastLoginLegacyFormat bool
	Type                  string // "standard"
	ContainerID           int
	ContainerName         string
}

// HasRole reports whether the user holds the given access role.
func (u *User) HasRole(id int) bool { return slices.Contains(u.RoleIDs, id) }

// Domain is one domain with its DCV state. OV and EV validation lapse
// independently; a nil expiry means that validation was never completed.
type Domain struct {
	ID        int
	Name      string
	IsActive  bool
	Created   time.Time
	DCVMethod string // email, dns-txt-token, dns-cname-token, http-token, ...
	OrgID     int
	OrgName   string
	OrgActive bool
	// OVExpiry and EVExpiry are the instants the OV/EV domain validations
	// lapse. Both nil means the domain was never validated, so the
	// dcv_expiration object is absent.
	OVExpiry *time.Time
	EVExpiry *time.Time
	// DCVApproved is when DCV last succeeded (dcv_approval_datetime); nil
	// omits the key.
	DCVApproved   *time.Time
	ContainerID   int
	ContainerName string
}

// Validated reports whether DCV was ever completed for the domain.
func (d *Domain) Validated() bool { return d.OVExpiry != nil || d.EVExpiry != nil }

// Product is one product the account may order.
type Product struct {
	NameID                    string
	Name                      string
	Type                      string
	GroupName                 string
	ValidationType            string // "ov", "ev", "dv", ... ("" omits the key)
	AllowedValidityYears      []int
	AllowedOrderValidityYears []int
	CSRRequired               bool
}

// Balance is the account balance. Amounts are Money (cents) and are
// rendered as two-decimal strings, as the API does.
type Balance struct {
	Balance                       Money
	UnpaidInvoice                 Money
	UsedCreditFromOtherContainers Money
	NegativeBalanceLimit          Money
	Currency                      string
	// Unlimited means an unlimited negative balance: negative_balance_limit
	// and total_available_funds are then omitted.
	Unlimited bool
}

// TotalAvailableFunds applies the reference's formula: balance +
// negative_balance_limit - unpaid_invoice_balance -
// used_credit_from_other_containers.
func (b Balance) TotalAvailableFunds() Money {
	return b.Balance + b.NegativeBalanceLimit - b.UnpaidInvoice - b.UsedCreditFromOtherContainers
}

// Order is one certificate order with its primary certificate.
type Order struct {
	ID            int
	Status        string // issued, pending, rejected, revoked, canceled, expired, ...
	CommonName    string
	DNSNames      []string
	ProductNameID string
	ProductName   string
	ProductType   string
	// ValidFrom and ValidTill are nil for orders never issued; the
	// certificate's valid_from/valid_till/days_remaining/serial_number keys
	// are then absent.
	ValidFrom     *time.Time
	ValidTill     *time.Time
	Created       time.Time
	IsRenewed     bool
	OrgID         int
	OrgName       string
	ContainerID   int
	ContainerName string
	Price         float64
	// NoPrice leaves the price key out, as for accounts whose orders carry none.
	NoPrice       bool
	CertificateID int
	SerialNumber  string
	ValidityYears int
	MultiYearPlan bool
	// PlanValidTill is when the order's plan ends (order_valid_till): an annual or Multi-year
	// Plan holds several certificates of 199 days or less. nil: the certificate's valid_till,
	// or for a Multi-year Plan three years after its valid_from.
	PlanValidTill *time.Time
}

// Issued reports whether the order carries certificate dates.
func (o *Order) Issued() bool { return o.ValidTill != nil }

// sortedCopy returns a shallow copy of d whose slices are fresh and sorted
// by id, so every page is deterministic and the caller's slices are never
// reordered behind its back.
func sortedCopy(d *Dataset) *Dataset {
	c := *d
	c.Users = slices.Clone(d.Users)
	c.Domains = slices.Clone(d.Domains)
	c.Products = slices.Clone(d.Products)
	c.Orders = slices.Clone(d.Orders)
	c.Organizations = slices.Clone(d.Organizations)
	c.Requests = slices.Clone(d.Requests)
	c.APIKeys = slices.Clone(d.APIKeys)
	slices.SortStableFunc(c.Users, func(a, b User) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortStableFunc(c.Domains, func(a, b Domain) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortStableFunc(c.Orders, func(a, b Order) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortStableFunc(c.Organizations, func(a, b Organization) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortStableFunc(c.Requests, func(a, b Request) int { return cmp.Compare(a.ID, b.ID) })
	slices.SortStableFunc(c.APIKeys, func(a, b APIKey) int { return cmp.Compare(a.ID, b.ID) })
	return &c
}

// UserByID returns the user with the given id, or nil.
func (d *Dataset) UserByID(id int) *User {
	for i := range d.Users {
		if d.Users[i].ID == id {
			return &d.Users[i]
		}
	}
	return nil
}

// CountUsersByRole counts users per access role id (a user with two roles
// counts under both).
func (d *Dataset) CountUsersByRole() map[int]int {
	m := map[int]int{}
	for i := range d.Users {
		for _, r := range d.Users[i].RoleIDs {
			m[r]++
		}
	}
	return m
}
