package certcentral

import (
	"context"
	"net/url"
	"time"
)

// Domain is one domain of the account with what the list endpoint tells about its DCV.
type Domain struct {
	ID           int64 // 0 when the API sent no usable id ("id" is then in Problems)
	Name         string
	Active       bool
	Created      time.Time // zero when absent or unparseable
	DCVMethod    string
	Organization string
	Division     string

	// HasDCVExpiration is false when the API sent no dcv_expiration object: the domain never
	// completed domain control validation.
	HasDCVExpiration bool
	// OVExpiry and EVExpiry are when the OV and EV domain validations lapse; zero when the
	// API gave no (parseable) date for that type.
	OVExpiry time.Time
	EVExpiry time.Time
	// OVStatus and EVStatus are the optional valid/expiring_soon/expired words, "" if absent.
	OVStatus string
	EVStatus string

	Problems []string
}

type rawDomain struct {
	ID           flexInt  `json:"id"`
	Name         string   `json:"name"`
	IsActive     flexBool `json:"is_active"`
	DateCreated  string   `json:"date_created"`
	DCVMethod    string   `json:"dcv_method"`
	Organization struct {
		Name        string `json:"name"`
		DisplayName string `json:"display_name"`
	} `json:"organization"`
	Container struct {
		Name string `json:"name"`
	} `json:"container"`
	DCVExpiration *struct {
		OV       string `json:"ov"`
		EV       string `json:"ev"`
		OVStatus string `json:"ov_status"`
		EVStatus string `json:"ev_status"`
	} `json:"dcv_expiration"`
	problems []string
}

func (r *rawDomain) noteProblem(field string) { r.problems = append(r.problems, field) }
func (r *rawDomain) itemID() (int64, bool)    { return r.ID.id() }

func (r *rawDomain) domain() Domain {
	d := Domain{
		Name: r.Name, DCVMethod: r.DCVMethod,
		Organization: r.Organization.DisplayName, Division: r.Container.Name,
		Problems: r.problems,
	}
	d.ID = r.ID.identity(&d.Problems, "id")
	r.IsActive.note(&d.Problems, "is_active")
	// is_active absent would be odd; a domain we cannot classify is treated as active so that
	// its DCV state stays visible.
	d.Active = r.IsActive.Value || !r.IsActive.Valid
	if d.Organization == "" {
		d.Organization = r.Organization.Name
	}
	d.Created = parseOptionalTime(r.DateCreated, ParseTimestamp, &d.Problems, "date_created")
	if e := r.DCVExpiration; e != nil {
		d.HasDCVExpiration = true
		d.OVStatus, d.EVStatus = e.OVStatus, e.EVStatus
		d.OVExpiry = parseOptionalTime(e.OV, ParseDCVDate, &d.Problems, "dcv_expiration.ov")
		d.EVExpiry = parseOptionalTime(e.EV, ParseDCVDate, &d.Problems, "dcv_expiration.ev")
	}
	return d
}

// ListDomains reads every domain (GET /domain) and hands each to fn.
func (c *Client) ListDomains(ctx context.Context, fn func(Domain)) (ListStats, error) {
	return listAll(ctx, c, "/domain", "domains", url.Values{}, MaxListItems, func(r *rawDomain) { fn(r.domain()) })
}
