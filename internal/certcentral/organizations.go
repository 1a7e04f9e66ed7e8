package certcentral

import (
	"context"
	"strings"
	"time"
)

// Organization is one organization of the account with its organization validations
// (OV, EV, code signing, ...), as GET /organization?include_validation=true lists them.
type Organization struct {
	ID   int64
	Name string // legal name; display_name when the name is absent
	// Status is the API's word, kept as is: "active" or "inactive" in the documentation,
	// "approved" in an old fixture.
	Status string
	// Active is is_active (a JSON bool, or "1"/"0" as elsewhere in the API); when it is absent
	// or unreadable, any status but "inactive" counts as active.
	Active      bool
	Division    string // container name
	Validations []OrganizationValidation
	Problems    []string
}

// OrganizationValidation is one validation of an organization.
type OrganizationValidation struct {
	// Type is the lower-case validation code ("ov", "ev", "cs", "ev_cs", ...); when the API
	// sends no type, it is made from the name ("EV CS" -> "ev_cs").
	Type string
	// Status is the API's word, lower case: "active", "pending", "expired", ...
	Status string
	// ValidatedUntil is when the validation lapses; zero for pending validations, which carry
	// no dates, and for a date that did not parse (named in Problems).
	ValidatedUntil time.Time
}

type rawOrganization struct {
	ID          flexInt  `json:"id"`
	Status      string   `json:"status"`
	Name        string   `json:"name"`
	DisplayName string   `json:"display_name"`
	IsActive    flexBool `json:"is_active"`
	Container   struct {
		Name string `json:"name"`
	} `json:"container"`
	Validations []struct {
		Type           string `json:"type"`
		Name           string `json:"name"`
		ValidatedUntil string `json:"validated_until"`
		Status         string `json:"status"`
	} `json:"validations"`
	problems []string
}

func (r *rawOrganization) noteProblem(field string) { r.problems = append(r.problems, field) }
func (r *rawOrganization) itemID() (int64, bool)    { return r.ID.id() }

func (r *rawOrganization) organization() Organization {
	o := Organization{
		Name: r.Name, Status: r.Status, Division: r.Container.Name,
		Problems: r.problems,
	}
	o.ID = r.ID.identity(&o.Problems, "id")
	r.IsActive.note(&o.Problems, "is_active")
	if o.Name == "" {
		o.Name = r.DisplayName
	}
	if r.IsActive.Valid {
		o.Active = r.IsActive.Value
	} else {
		o.Active = !strings.EqualFold(strings.TrimSpace(r.Status), "inactive")
	}
	for _, v := range r.Validations {
		typ := ValidationCode(v.Type)
		if typ == "" {
			typ = ValidationCode(v.Name)
		}
		o.Validations = append(o.Validations, OrganizationValidation{
			Type:           typ,
			Status:         strings.ToLower(strings.TrimSpace(v.Status)),
			ValidatedUntil: parseOptionalTime(v.ValidatedUntil, ParseTimestamp, &o.Problems, "validations.validated_until"),
		})
	}
	return o
}

// ValidationCode turns a validation type or name ("ov", "EV", "EV CS", "ev-cs") into the
// lower-case code used as a label: "ov", "ev", "ev_cs".
func ValidationCode(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '-' || r == '_' }), "_")
}

// ListOrganizations reads every organization with its validations
// (GET /organization?include_validation=true: without the parameter the list has no
// validations) and hands each to fn.
func (c *Client) ListOrganizations(ctx context.Context, fn func(Organization)) (ListStats, error) {
	return listAll(ctx, c, "/organization", "organizations", fixedQuery("/organization"), MaxListItems, func(r *rawOrganization) { fn(r.organization()) })
}
