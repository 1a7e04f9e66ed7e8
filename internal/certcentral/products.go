package certcentral

import (
	"context"
	"net/url"
)

// Product is one certificate product the account (as seen by the key's user) can order.
type Product struct {
	NameID   string // stable identifier, e.g. "ssl_plus"
	Name     string // display name; has changed over time for the same NameID
	Type     string // e.g. "ssl_certificate"
	Group    string // group_name, e.g. "ssl_certificate", "code_signing_certificate"
	Problems []string
}

type rawProduct struct {
	NameID    string `json:"name_id"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	GroupName string `json:"group_name"`
	problems  []string
}

func (r *rawProduct) noteProblem(field string) { r.problems = append(r.problems, field) }

// ListProducts reads the product list (GET /product, a single unpaginated array).
func (c *Client) ListProducts(ctx context.Context, fn func(Product)) (ListStats, error) {
	return listAll(ctx, c, "/product", "products", url.Values{}, MaxListItems, func(r *rawProduct) {
		fn(Product{NameID: r.NameID, Name: r.Name, Type: r.Type, Group: r.GroupName, Problems: r.problems})
	})
}
