package simulator

import (
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

type domainOrgJSON struct {
	ID          int    `json:"id"`
	Status      string `json:"status"`
	Name        string `json:"name"`
	DisplayName string `json:"display_name"`
	// IsActive is the string "1"/"0" on the wire, not a bool.
	IsActive string `json:"is_active"`
}

type validationJSON struct {
	Type           string `json:"type"`
	Name           string `json:"name"`
	Description    string `json:"description"`
	DateCreated    string `json:"date_created"`
	ValidatedUntil string `json:"validated_until"`
	Status         string `json:"status"`
}

type dcvExpirationJSON struct {
	EV              string `json:"ev,omitempty"`
	OV              string `json:"ov,omitempty"`
	OVStatus        string `json:"ov_status,omitempty"`
	EVStatus        string `json:"ev_status,omitempty"`
	DCVApprovalDate string `json:"dcv_approval_date,omitempty"`
}

type idNameJSON struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

type domainJSON struct {
	ID                    int                `json:"id"`
	IsActive              bool               `json:"is_active"`
	Name                  string             `json:"name"`
	DateCreated           string             `json:"date_created"`
	Organization          domainOrgJSON      `json:"organization"`
	Validations           []validationJSON   `json:"validations,omitempty"`
	DCVMethod             string             `json:"dcv_method"`
	DCVExpiration         *dcvExpirationJSON `json:"dcv_expiration,omitempty"`
	Container             idNameJSON         `json:"container"`
	DCVApprovalDatetime   string             `json:"dcv_approval_datetime,omitempty"`
	DCVExpirationDatetime string             `json:"dcv_expiration_datetime,omitempty"`
	BaseDomain            string             `json:"base_domain"`
	DCVApprovalMethod     string             `json:"dcv_approval_method,omitempty"`
}

// domainOpts are the rendering switches of GET /domain.
type domainOpts struct {
	withTime    bool // include_dcv_expiration_time=true: UTC datetimes
	reuseStatus bool // filters[include_validation_reuse_status]=true
}

// renderDomains answers GET /domain with filters[status], filters[search],
// filters[dcv_method] and container_id.
func renderDomains(ds *Dataset, q url.Values, now time.Time) response {
	limit, offset := pageParams(q)
	status := q.Get("filters[status]")
	method := q.Get("filters[dcv_method]")
	search := strings.ToLower(q.Get("filters[search]"))
	containerID, _ := strconv.Atoi(q.Get("container_id"))
	match := func(d *Domain) bool {
		switch {
		case status == "active" && !d.IsActive, status == "inactive" && d.IsActive,
			status != "" && status != "active" && status != "inactive":
			return false
		case method != "" && d.DCVMethod != method,
			containerID != 0 && d.ContainerID != containerID,
			search != "" && !strings.Contains(strings.ToLower(d.Name), search):
			return false
		}
		return true
	}
	opts := domainOpts{
		withTime:    q.Get("include_dcv_expiration_time") == "true",
		reuseStatus: q.Get("filters[include_validation_reuse_status]") == "true",
	}
	items, total := pageOf(ds.Domains, match, limit, offset)
	body := struct {
		Domains []domainJSON `json:"domains,omitempty"`
		Page    pageJSON     `json:"page"`
	}{Page: pageJSON{total, limit, offset}}
	for _, d := range items {
		body.Domains = append(body.Domains, renderDomain(d, opts, now))
	}
	return okJSON(body)
}

func boolString(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func renderDomain(d *Domain, o domainOpts, now time.Time) domainJSON {
	orgStatus := "inactive"
	if d.OrgActive {
		orgStatus = "active"
	}
	j := domainJSON{
		ID: d.ID, IsActive: d.IsActive, Name: d.Name, DateCreated: fmtDateTime(d.Created),
		Organization: domainOrgJSON{d.OrgID, orgStatus, d.OrgName, d.OrgName, boolString(d.OrgActive)},
		DCVMethod:    d.DCVMethod,
		Container:    idNameJSON{d.ContainerID, d.ContainerName},
		BaseDomain:   baseDomain(d.Name),
	}
	approved := d.Created
	if d.DCVApproved != nil {
		approved = *d.DCVApproved
		j.DCVApprovalDatetime = fmtDateTime(approved)
		j.DCVApprovalMethod = d.DCVMethod
	}
	// Only active (unexpired) validations are listed; none omits the key.
	for _, v := range []struct {
		typ, name, desc string
		exp             *time.Time
	}{{"ov", "OV", "Normal Organization Validation", d.OVExpiry}, {"ev", "EV", "Extended Organization Validation", d.EVExpiry}} {
		if v.exp != nil && v.exp.After(now) {
			j.Validations = append(j.Validations, validationJSON{
				Type: v.typ, Name: v.name, Description: v.desc, DateCreated: fmtDateTime(approved),
				ValidatedUntil: fmtDateTime(denverMidnight(*v.exp)), Status: "active",
			})
		}
	}
	if !d.Validated() {
		return j
	}
	exp := &dcvExpirationJSON{}
	dateOf := fmtDenverDate
	if o.withTime {
		dateOf = fmtDateTime
	}
	if d.OVExpiry != nil {
		exp.OV = dateOf(*d.OVExpiry)
		j.DCVExpirationDatetime = fmtDateTime(*d.OVExpiry)
	}
	if d.EVExpiry != nil {
		exp.EV = dateOf(*d.EVExpiry)
		if d.OVExpiry == nil {
			j.DCVExpirationDatetime = fmtDateTime(*d.EVExpiry)
		}
	}
	if o.reuseStatus {
		exp.OVStatus, exp.EVStatus = reuseStatus(d.OVExpiry, now), reuseStatus(d.EVExpiry, now)
		if d.DCVApproved != nil {
			exp.DCVApprovalDate = dateOf(*d.DCVApproved)
		}
	}
	j.DCVExpiration = exp
	return j
}

// reuseStatus is the documented valid / expiring_soon (60 days) / expired.
func reuseStatus(exp *time.Time, now time.Time) string {
	switch {
	case exp == nil:
		return ""
	case !exp.After(now):
		return "expired"
	case exp.Sub(now) <= 60*day:
		return "expiring_soon"
	}
	return "valid"
}

// baseDomain approximates the registrable domain with the last two labels
// (no public-suffix list; good enough for simulated names). IPs map to
// themselves.
func baseDomain(name string) string {
	if net.ParseIP(name) != nil {
		return name
	}
	name = strings.TrimPrefix(name, "*.")
	labels := strings.Split(name, ".")
	if len(labels) <= 2 {
		return name
	}
	return strings.Join(labels[len(labels)-2:], ".")
}
