package certcentral

import (
	"context"
	"net/url"
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

	// ValidTill is when the certificate expires; zero for orders not (yet) issued or when the
	// date did not parse.
	ValidTill time.Time
	Problems  []string
}

type rawOrder struct {
	ID          flexInt  `json:"id"`
	Status      string   `json:"status"`
	IsRenewed   flexBool `json:"is_renewed"`
	DateCreated string   `json:"date_created"`
	Certificate struct {
		CommonName string   `json:"common_name"`
		DNSNames   []string `json:"dns_names"`
		ValidTill  string   `json:"valid_till"`
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
	problems []string
}

func (r *rawOrder) noteProblem(field string) { r.problems = append(r.problems, field) }
func (r *rawOrder) itemID() (int64, bool)    { return r.ID.id() }

func (r *rawOrder) order() Order {
	id, ok := r.ID.id()
	o := Order{
		ID: id, Status: r.Status, CommonName: r.Certificate.CommonName, DNSNames: r.Certificate.DNSNames,
		ProductNameID: r.Product.NameID, ProductName: r.Product.Name,
		Organization: r.Organization.Name, Division: r.Container.Name,
		IsRenewed: r.IsRenewed.Value, Problems: noteIfBad(noteIfBad(r.problems, "id", !ok), "is_renewed", r.IsRenewed.Bad),
		OrganizationID: int64(r.Organization.ID.Value),
	}
	r.Organization.ID.note(&o.Problems, "organization.id")
	if o.ProductNameID == "" {
		o.ProductNameID = r.ProductNameID
	}
	if r.Certificate.ValidTill != "" {
		if t, err := ParseCertificateDate(r.Certificate.ValidTill); err == nil {
			o.ValidTill = t
		} else {
			o.Problems = append(o.Problems, "certificate.valid_till")
		}
	}
	if r.DateCreated != "" {
		if t, err := ParseTimestamp(r.DateCreated); err == nil {
			o.Created = t
		} else {
			o.Problems = append(o.Problems, "date_created")
		}
	}
	return o
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
	mark := ordersMarkFrom(ctx)
	stats, err := listAll(ctx, c, "/order/certificate", "orders", filter.query(), MaxListItems, func(r *rawOrder) {
		o := r.order()
		mark.see(&o)
		fn(o)
	})
	if mark != nil {
		mark.Filter, mark.Total = filter, stats.Total
	}
	return stats, err
}
