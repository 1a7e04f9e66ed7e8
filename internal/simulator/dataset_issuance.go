package simulator

import "time"

// Organization is one organization of the account (GET /organization) with its
// organization validations. Domains and orders refer to organizations by id.
type Organization struct {
	ID          int
	Name        string
	AssumedName string // "" omits assumed_name
	Active      bool
	// Status is the status word rendered; "" renders "active" or "inactive" from Active.
	// An old fixture shows "approved", which a scenario can reproduce.
	Status string
	// IsActiveString renders is_active as "1"/"0", as the organization inside a domain is
	// rendered, instead of the documented JSON bool.
	IsActiveString bool
	ContainerID    int
	ContainerName  string
	Validations    []OrgValidation
}

// OrgValidation is one organization validation.
type OrgValidation struct {
	Type string // "ov", "ev", "cs", "ev_cs", "ds"
	// Status is rendered as given; "" renders "pending" without dates, "expired" once
	// ValidatedUntil has passed and "active" before.
	Status  string
	Created *time.Time // nil for pending validations: no date_created
	// ValidatedUntil is nil for pending validations, which carry no dates.
	ValidatedUntil *time.Time
}

// StatusAt is the validation's status word at now.
func (v *OrgValidation) StatusAt(now time.Time) string {
	switch {
	case v.Status != "":
		return v.Status
	case v.ValidatedUntil == nil:
		return "pending"
	case !v.ValidatedUntil.After(now):
		return "expired"
	}
	return "active"
}

// Request is one certificate request (GET /request): an order waiting for, or past, an
// approver.
type Request struct {
	ID     int
	Date   time.Time
	Type   string // "new_request"
	Status string // "pending", "submitted", "approved", "rejected"
	// RequesterID is 0 for an anonymous request: the requester object is then absent.
	RequesterID int
	// ProcessorID, when not 0, renders a processor object (an old fixture has one even on a
	// pending request).
	ProcessorID int
	OrderID     int
	// CommonName is "" for an unprocessed or anonymous request without order.certificate.
	CommonName    string
	OrgID         int
	OrgName       string
	ContainerID   int
	ContainerName string
	ProductNameID string
	ProductName   string
	ProductType   string
}

// APIKey is one entry of GET /key: an API key, or an ACME directory URL when ACME is set.
// The key itself is never part of the data, as the API never returns it.
type APIKey struct {
	ID      int
	Name    string
	UserID  int // the linked user; may name a user who is no longer in Users
	Status  string
	Created time.Time
	// LastUsed is nil for a key never used: last_used_date is then absent.
	LastUsed    *time.Time
	Legacy      bool
	Restriction Restriction // restricted_to_role_id; any int, known or not
	ACME        *ACMEDirectory
}

// ACMEDirectory is what an ACME directory URL entry adds to a key.
type ACMEDirectory struct {
	// URL is rendered as given. The real API obfuscates it ("******nnAA"); scenarios may
	// give a whole URL so that tests can prove the exporter never shows it.
	URL           string
	ProductNameID string
	ProductName   string
	OrgID         int
	OrgName       string
	ValidityDays  int // rendered as a string, as the API does
	ValidityYears int // rendered as a string
}
