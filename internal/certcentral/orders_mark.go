package certcentral

import (
	"context"
	"io"
	"time"
)

// Orders change a few times a day, and reading them all is one request per 1,000. Between
// full reads the exporter asks for the newest order only (sort=-date_created&limit=1, §2.2 and
// §8.1 of the API notes; MYKLST sorts orders so in production): one request that tells how
// many orders match and when the newest was created. A new order changes both; when neither
// changed since the last full read, nothing was added.

// OrdersMark is what a read of the order list saw of its newest end.
type OrdersMark struct {
	Filter OrderFilter // the filter the list was read with
	Total  int         // orders the API announced (page.total)
	Newest time.Time   // the latest date_created; zero when no order had one
}

// see records one order of the list.
func (m *OrdersMark) see(o *Order) {
	if o.Created.After(m.Newest) {
		m.Newest = o.Created
	}
}

// NewestOrder asks for the newest order matching filter (one request) and returns what it
// saw: the total the API announced and the newest order's date_created.
func (c *Client) NewestOrder(ctx context.Context, filter OrderFilter) (OrdersMark, error) {
	q := filter.query()
	q.Set("sort", "-date_created")
	q.Set("limit", "1")
	q.Set("offset", "0")
	mark := OrdersMark{Filter: filter}
	err := c.get(ctx, "/order/certificate", q, func(r io.Reader) error {
		pg, n, err := decodeList(r, "orders", func(raw *rawOrder) error {
			o := raw.order()
			mark.see(&o)
			return nil
		})
		switch {
		case pg != nil:
			mark.Total = pg.Total
		case err == nil:
			mark.Total = n
		}
		return err
	})
	return mark, err
}
