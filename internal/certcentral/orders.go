package certcentral

import (
	"context"
	"net/url"
	"strings"
	"time"
)

// Order is one certificate order with its primary certificate.
type Order struct {
	ID            int64  // 0 when the API sent no usable id ("id" is then in Problems)
	Status        string // free string: issued, pending, rejected, revoked, canceled, expired, ...
	CommonName    string
	DNSNames      []string // the certificate's names (CN and SANs)
	ProductNameID string
	ProductName   string
	Organization  string
	Division      string
	IsRenewed     bool
	Created       time.Time

	// OrganizationID is organization.id; 0 when absent or unreadable (named in Problems).
	OrganizationID int64

	// ValidFrom is when the certificate became valid (certificate.valid_from, a date: the start
	// of that day in UTC); zero for orders not (yet) issued or when the date did not parse.
	ValidFrom time.Time
	// ValidTill is when the certificate expires: certificate.valid_till is a date, and DigiCert
	// certificates run to the end of that day, so a bare date reads as 23:59:59 UTC of it. Zero
	// for orders not (yet) issued or when the date did not parse.
	ValidTill time.Time
	// Issued is certificate.date_issued where the list gives it (the order info does; the list
	// is not documented to), else zero.
	Issued time.Time
	// PlanValidTill is when the order's plan runs out (order_valid_till, read like valid_till):
	// a Multi-year Plan or an annual plan outlives the certificates it holds. Zero when absent.
	PlanValidTill time.Time
	// MultiYearPlan is is_multi_year_plan ("1"/"0" on the wire).
	MultiYearPlan bool
	// Price is the order's price in the account's currency: a JSON number (certcentral-api.md
	// §8.1, §12), or a string such as "293.00" or "1,293.00" as the balance sends money. Nil when
	// absent, null or "", and when unreadable, NaN or infinite (then named in Problems).
	Price *float64

	Problems []string
}

type rawOrder struct {
	ID          flexInt  `json:"id"`
	Status      string   `json:"status"`
	IsRenewed   flexBool `json:"is_renewed"`
	DateCreated string   `json:"date_created"`
	Certificate struct {
		CommonName string   `json:"common_name"`
		DNSNames   []string `json:"dns_names"`
		ValidFrom  string   `json:"valid_from"`
		ValidTill  string   `json:"valid_till"`
		DateIssued string   `json:"date_issued"`
	} `json:"certificate"`
	Product struct {
		NameID string `json:"name_id"`
		Name   string `json:"name"`
	} `json:"product"`
	ProductNameID string `json:"product_name_id"`
	Organization  struct {
		ID   flexInt `json:"id"`
		Name string  `json:"name"`
	} `json:"organization"`
	Container struct {
		Name string `json:"name"`
	} `json:"container"`
	OrderValidTill  string     `json:"order_valid_till"`
	IsMultiYearPlan flexBool   `json:"is_multi_year_plan"`
	Price           flexString `json:"price"`
	problems        []string
}

func (r *rawOrder) noteProblem(field string) { r.problems = append(r.problems, field) }
func (r *rawOrder) itemID() (int64, bool)    { return r.ID.id() }

func (r *rawOrder) order() Order {
	o := Order{
		Status: r.Status, CommonName: r.Certificate.CommonName, DNSNames: r.Certificate.DNSNames,
		ProductNameID: r.Product.NameID, ProductName: r.Product.Name,
		Organization: r.Organization.Name, Division: r.Container.Name,
		IsRenewed: r.IsRenewed.Value, Problems: r.problems,
		OrganizationID: r.Organization.ID.Value, MultiYearPlan: r.IsMultiYearPlan.Value,
	}
	o.ID = r.ID.identity(&o.Problems, "id")
	r.IsRenewed.note(&o.Problems, "is_renewed")
	r.IsMultiYearPlan.note(&o.Problems, "is_multi_year_plan")
	r.Organization.ID.note(&o.Problems, "organization.id")
	if o.ProductNameID == "" {
		o.ProductNameID = r.ProductNameID
	}
	o.ValidTill = parseOptionalTime(r.Certificate.ValidTill, parseCertificateEnd, &o.Problems, "certificate.valid_till")
	o.ValidFrom = parseOptionalTime(r.Certificate.ValidFrom, ParseCertificateDate, &o.Problems, "certificate.valid_from")
	o.Issued = parseOptionalTime(r.Certificate.DateIssued, ParseTimestamp, &o.Problems, "certificate.date_issued")
	o.PlanValidTill = parseOptionalTime(r.OrderValidTill, parseCertificateEnd, &o.Problems, "order_valid_till")
	o.Created = parseOptionalTime(r.DateCreated, ParseTimestamp, &o.Problems, "date_created")
	switch {
	case r.Price.Bad:
		o.Problems = append(o.Problems, "price")
	case r.Price.Set && r.Price.Value != "": // "" is no price, as for the balance's amounts
		if v, err := parseMoney(r.Price.Value); err == nil {
			o.Price = &v
		} else {
			o.Problems = append(o.Problems, "price")
		}
	}
	return o
}

// parseCertificateEnd parses an expiry date (certificate.valid_till, order_valid_till): a bare
// "2024-06-15" is the last second of that day in UTC, when a DigiCert certificate stops being
// valid; a value with a time of day is that moment.
func parseCertificateEnd(s string) (time.Time, error) {
	t, err := ParseCertificateDate(s)
	if err == nil && isPlainDate(strings.TrimSpace(s)) {
		t = t.Add(24*time.Hour - time.Second)
	}
	return t, err
}

// OrderFilter narrows the order list on the server side. Zero values do not filter.
type OrderFilter struct {
	Status string // filters[status]
	// ValidTillAfter asks only for orders whose certificate is valid after this day
	// (filters[valid_till]=>YYYY-MM-DD, as Keyfactor's plugin uses in production).
	ValidTillAfter time.Time
}

func (f OrderFilter) query() url.Values {
	q := url.Values{}
	if f.Status != "" {
		q.Set("filters[status]", f.Status)
	}
	if !f.ValidTillAfter.IsZero() {
		q.Set("filters[valid_till]", ">"+f.ValidTillAfter.UTC().Format(layoutDate))
	}
	return q
}

// ListOrders reads every certificate order matching filter (GET /order/certificate).
func (c *Client) ListOrders(ctx context.Context, filter OrderFilter, fn func(Order)) (ListStats, error) {
	return listAll(ctx, c, "/order/certificate", "orders", filter.query(), MaxListItems, func(r *rawOrder) {
		fn(r.order())
	})
}
