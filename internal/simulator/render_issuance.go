package simulator

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// validationNames are the name and description the API gives each validation type.
var validationNames = map[string][2]string{
	"ov":    {"OV", "Normal Organization Validation"},
	"ev":    {"EV", "Extended Organization Validation (EV)"},
	"cs":    {"CS", "Code Signing Organization Validation"},
	"ev_cs": {"EV CS", "Code Signing Organization Extended Validation (EV CS)"},
	"ds":    {"DS", "Document Signing Organization Validation"},
}

type verifiedUserJSON struct {
	ID        int    `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

type orgValidationJSON struct {
	Type           string             `json:"type"`
	Name           string             `json:"name"`
	Description    string             `json:"description"`
	DateCreated    string             `json:"date_created,omitempty"`
	ValidatedUntil string             `json:"validated_until,omitempty"`
	Status         string             `json:"status"`
	VerifiedUsers  []verifiedUserJSON `json:"verified_users,omitempty"`
}

type orgContainerJSON struct {
	ID       int    `json:"id"`
	ParentID int    `json:"parent_id"`
	Name     string `json:"name"`
	IsActive bool   `json:"is_active"`
}

type organizationJSON struct {
	ID          int    `json:"id"`
	Status      string `json:"status"`
	Name        string `json:"name"`
	AssumedName string `json:"assumed_name,omitempty"`
	DisplayName string `json:"display_name"`
	// IsActive is a JSON bool, or "1"/"0" for an organization with IsActiveString.
	IsActive  any              `json:"is_active"`
	Address   string           `json:"address"`
	City      string           `json:"city"`
	State     string           `json:"state"`
	Country   string           `json:"country"`
	Telephone string           `json:"telephone"`
	Container orgContainerJSON `json:"container"`
	// ContainerIDAssignments are strings in the documentation's example.
	ContainerIDAssignments []string            `json:"container_id_assignments"`
	Validations            []orgValidationJSON `json:"validations,omitempty"`
}

// renderOrganizations answers GET /organization with filters[status], filters[search]
// (id or name contains) and include_validation=true; without it there are no validations.
func renderOrganizations(ds *Dataset, q url.Values, now time.Time) response {
	limit, offset := pageParams(q)
	status := q.Get("filters[status]")
	search := strings.ToLower(q.Get("filters[search]"))
	withValidation := q.Get("include_validation") == "true"
	match := func(o *Organization) bool {
		switch {
		case status == "active" && !o.Active, status == "inactive" && o.Active:
			return false
		case search != "" && strconv.Itoa(o.ID) != search && !strings.Contains(strings.ToLower(o.Name), search):
			return false
		}
		return true
	}
	items, total := pageOf(ds.Organizations, match, limit, offset)
	body := struct {
		Organizations []organizationJSON `json:"organizations,omitempty"`
		Page          pageJSON           `json:"page"`
	}{Page: pageJSON{total, limit, offset}}
	var verifier *User
	if u := findUser(ds, ds.KeyOwnerID); u != nil {
		verifier = u
	}
	for _, o := range items {
		body.Organizations = append(body.Organizations, renderOrganization(ds, o, withValidation, verifier, now))
	}
	return okJSON(body)
}

func renderOrganization(ds *Dataset, o *Organization, withValidation bool, verifier *User, now time.Time) organizationJSON {
	status := o.Status
	if status == "" {
		status = "inactive"
		if o.Active {
			status = "active"
		}
	}
	display := o.Name
	if o.AssumedName != "" {
		display += " (" + o.AssumedName + ")"
	}
	j := organizationJSON{
		ID: o.ID, Status: status, Name: o.Name, AssumedName: o.AssumedName, DisplayName: display,
		IsActive: o.Active, Address: "2801 N Thanksgiving Way", City: "Lehi", State: "ut",
		Country: ds.Account.PrimaryOrganizationCountry, Telephone: "801-701-9600",
		Container:              orgContainerJSON{ID: o.ContainerID, Name: o.ContainerName, IsActive: true},
		ContainerIDAssignments: []string{strconv.Itoa(o.ContainerID)},
	}
	if o.IsActiveString {
		j.IsActive = boolString(o.Active)
	}
	if !withValidation {
		return j
	}
	for _, v := range o.Validations {
		names, ok := validationNames[v.Type]
		if !ok {
			names = [2]string{strings.ToUpper(v.Type), strings.ToUpper(v.Type) + " Validation"}
		}
		vj := orgValidationJSON{Type: v.Type, Name: names[0], Description: names[1], Status: v.StatusAt(now)}
		if v.Created != nil {
			vj.DateCreated = fmtDateTime(*v.Created)
		}
		if v.ValidatedUntil != nil {
			// Like the domains' validations: the start of the Denver day, in UTC.
			vj.ValidatedUntil = fmtDateTime(denverMidnight(*v.ValidatedUntil))
		}
		if (v.Type == "ev" || v.Type == "ev_cs") && verifier != nil {
			vj.VerifiedUsers = []verifiedUserJSON{{verifier.ID, verifier.FirstName, verifier.LastName}}
		}
		j.Validations = append(j.Validations, vj)
	}
	return j
}

type personJSON struct {
	ID        int    `json:"id"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Email     string `json:"email,omitempty"`
}

type requestOrderJSON struct {
	ID          int `json:"id"`
	Certificate *struct {
		CommonName string `json:"common_name"`
	} `json:"certificate,omitempty"`
	Organization idNameJSON     `json:"organization"`
	Container    idNameJSON     `json:"container"`
	Product      productRefJSON `json:"product"`
}

type requestJSON struct {
	ID        int              `json:"id"`
	Date      string           `json:"date"`
	Type      string           `json:"type"`
	Status    string           `json:"status"`
	Requester *personJSON      `json:"requester,omitempty"`
	Processor *personJSON      `json:"processor,omitempty"`
	Order     requestOrderJSON `json:"order"`
}

// pageLimitZero is what the documentation's example of GET /request shows as page.limit,
// whatever was asked: clients must not drive pagination by it.
const pageLimitZero = 0

// renderRequests answers GET /request with filters[status], filters[type], container_id
// and filters[search] (common name; a leading % means contains).
func renderRequests(ds *Dataset, q url.Values) response {
	limit, offset := pageParams(q)
	status, typ := q.Get("filters[status]"), q.Get("filters[type]")
	containerID, _ := strconv.Atoi(q.Get("container_id"))
	search := q.Get("filters[search]")
	contains := strings.HasPrefix(search, "%")
	search = strings.TrimPrefix(search, "%")
	match := func(r *Request) bool {
		switch {
		case status != "" && r.Status != status, typ != "" && r.Type != typ,
			containerID != 0 && r.ContainerID != containerID,
			search != "" && contains && !strings.Contains(r.CommonName, search),
			search != "" && !contains && r.CommonName != search:
			return false
		}
		return true
	}
	items, total := pageOf(ds.Requests, match, limit, offset)
	body := struct {
		Requests []requestJSON `json:"requests,omitempty"`
		Page     pageJSON      `json:"page"`
	}{Page: pageJSON{total, pageLimitZero, offset}}
	for _, r := range items {
		j := requestJSON{
			ID: r.ID, Date: fmtDateTime(r.Date), Type: r.Type, Status: r.Status,
			Requester: person(ds, r.RequesterID), Processor: person(ds, r.ProcessorID),
			Order: requestOrderJSON{
				ID: r.OrderID, Organization: idNameJSON{r.OrgID, r.OrgName},
				Container: idNameJSON{r.ContainerID, r.ContainerName},
				Product:   productRefJSON{r.ProductNameID, r.ProductName, r.ProductType},
			},
		}
		if r.CommonName != "" {
			j.Order.Certificate = &struct {
				CommonName string `json:"common_name"`
			}{r.CommonName}
		}
		body.Requests = append(body.Requests, j)
	}
	return okJSON(body)
}

// person renders a requester or processor; nil (absent) for id 0.
func person(ds *Dataset, id int) *personJSON {
	if id == 0 {
		return nil
	}
	p := &personJSON{ID: id}
	if u := findUser(ds, id); u != nil {
		p.FirstName, p.LastName, p.Email = u.FirstName, u.LastName, u.Email
	}
	return p
}

type keyUserJSON struct {
	ID        int    `json:"id"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

type apiKeyJSON struct {
	ID                 int         `json:"id"`
	User               keyUserJSON `json:"user"`
	Status             string      `json:"status"`
	CreateDate         string      `json:"create_date"`
	LastUsedDate       string      `json:"last_used_date,omitempty"`
	Name               string      `json:"name"`
	IsLegacy           bool        `json:"is_legacy"`
	RestrictedToRoleID int         `json:"restricted_to_role_id"`
	ACMEDirectoryURL   string      `json:"acme_directory_url,omitempty"`
	ProductNameID      string      `json:"product_name_id,omitempty"`
	ProductName        string      `json:"product_name,omitempty"`
	// OrganizationID is an int in the documentation's example (its table says string).
	OrganizationID   int    `json:"organization_id,omitempty"`
	OrganizationName string `json:"organization_name,omitempty"`
	ValidityDays     string `json:"validity_days,omitempty"`
	ValidityYears    string `json:"validity_years,omitempty"`
}

// renderAPIKeys answers GET /key with the optional user_id: {"api_keys":[...]} and no page
// object, as in the documentation's example (whether the real list pages is unknown).
func renderAPIKeys(ds *Dataset, q url.Values) response {
	userID, _ := strconv.Atoi(q.Get("user_id"))
	body := struct {
		APIKeys []apiKeyJSON `json:"api_keys"`
	}{APIKeys: []apiKeyJSON{}}
	for i := range ds.APIKeys {
		k := &ds.APIKeys[i]
		if userID != 0 && k.UserID != userID {
			continue
		}
		j := apiKeyJSON{
			ID: k.ID, User: keyUserJSON{ID: k.UserID}, Status: k.Status, CreateDate: fmtDateTime(k.Created),
			Name: k.Name, IsLegacy: k.Legacy, RestrictedToRoleID: int(k.Restriction),
		}
		if u := findUser(ds, k.UserID); u != nil {
			j.User.FirstName, j.User.LastName = u.FirstName, u.LastName
		}
		if k.LastUsed != nil {
			j.LastUsedDate = fmtDateTime(*k.LastUsed)
		}
		if a := k.ACME; a != nil {
			j.ACMEDirectoryURL, j.ProductNameID, j.ProductName = a.URL, a.ProductNameID, a.ProductName
			j.OrganizationID, j.OrganizationName = a.OrgID, a.OrgName
			j.ValidityDays, j.ValidityYears = strconv.Itoa(a.ValidityDays), strconv.Itoa(a.ValidityYears)
		}
		body.APIKeys = append(body.APIKeys, j)
	}
	return okJSON(body)
}
