package certcentral

import (
	"context"
	"strings"
	"time"
)

// Request is one certificate request of the approval queue (GET /request).
type Request struct {
	ID     int64
	Type   string // e.g. "new_request"; free string
	Status string // lower case: "pending", "submitted", "approved", "rejected"
	// Date is when the request was made; zero when absent or unparseable.
	Date time.Time
	// RequesterID is 0 for unprocessed or anonymous requests, which come without a requester.
	RequesterID int64
	OrderID     int64
	// CommonName is "" when the request has no order.certificate (anonymous requests).
	CommonName    string
	ProductNameID string
	Organization  string
	Division      string
	Problems      []string
}

type rawRequest struct {
	ID        flexInt `json:"id"`
	Date      string  `json:"date"`
	Type      string  `json:"type"`
	Status    string  `json:"status"`
	Requester *struct {
		ID flexInt `json:"id"`
	} `json:"requester"`
	Order struct {
		ID          flexInt `json:"id"`
		Certificate *struct {
			CommonName string `json:"common_name"`
		} `json:"certificate"`
		Organization struct {
			Name string `json:"name"`
		} `json:"organization"`
		Container struct {
			Name string `json:"name"`
		} `json:"container"`
		Product struct {
			NameID string `json:"name_id"`
		} `json:"product"`
	} `json:"order"`
	problems []string
}

func (r *rawRequest) noteProblem(field string) { r.problems = append(r.problems, field) }
func (r *rawRequest) itemID() (int64, bool)    { return r.ID.id() }

func (r *rawRequest) request() Request {
	q := Request{
		Type: r.Type, Status: strings.ToLower(strings.TrimSpace(r.Status)),
		OrderID: r.Order.ID.Value, ProductNameID: r.Order.Product.NameID,
		Organization: r.Order.Organization.Name, Division: r.Order.Container.Name,
		Problems: r.problems,
	}
	q.ID = r.ID.identity(&q.Problems, "id")
	r.Order.ID.note(&q.Problems, "order.id")
	if r.Requester != nil {
		q.RequesterID = r.Requester.ID.Value
		r.Requester.ID.note(&q.Problems, "requester.id")
	}
	if r.Order.Certificate != nil {
		q.CommonName = r.Order.Certificate.CommonName
	}
	q.Date = parseOptionalTime(r.Date, ParseTimestamp, &q.Problems, "date")
	return q
}

// ListPendingRequests reads the approval queue (GET /request?filters[status]=pending) and
// hands each request to fn. Pagination follows the items received: the documentation's
// example shows page.limit 0.
func (c *Client) ListPendingRequests(ctx context.Context, fn func(Request)) (ListStats, error) {
	return listAll(ctx, c, "/request", "requests", fixedQuery("/request"), MaxListItems, func(r *rawRequest) { fn(r.request()) })
}
