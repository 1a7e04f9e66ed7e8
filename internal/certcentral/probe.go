package certcentral

import (
	"context"
	"encoding/json"
	"io"
	"net/url"
)

// listCollections names the array key of each paginated list endpoint a probe may ask for.
var listCollections = map[string]string{
	"/user":              "users",
	"/domain":            "domains",
	"/order/certificate": "orders",
	"/product":           "products",
	"/organization":      "organizations",
	"/request":           "requests",
	"/key":               "api_keys",
}

// listQueries are the parameters a list endpoint is always read with, because they change
// the answer: without include_validation the organizations have no validations; the request
// list is asked for the approval queue only. The collectors' reads and a probe (`check`) send
// them alike, so that a probe tests the request a collection makes.
var listQueries = map[string]url.Values{
	"/organization": {"include_validation": {"true"}},
	"/request":      {"filters[status]": {"pending"}},
}

// fixedQuery returns a copy of endpoint's fixed parameters, to add to.
func fixedQuery(endpoint string) url.Values {
	q := url.Values{}
	for k, v := range listQueries[endpoint] {
		q[k] = v
	}
	return q
}

// ProbeResult is what one probe request learned.
type ProbeResult struct {
	// Total is the list's page.total (or its length when it has no page object); -1 for an
	// endpoint that returns a single object.
	Total int
}

// Probe sends exactly one GET to endpoint, the way a connection test does: a list endpoint is
// asked for a single item (limit=1), an object endpoint is read whole. It succeeds only when
// the answer is the API's JSON in the endpoint's shape, so that a proxy page or a truncated
// body fails here as it would fail a collection. The endpoint's fixed parameters
// (listQueries) are sent as a collection sends them; query adds others such as container_id.
// Retries follow the client's rules (5xx and connection errors only, within ctx's deadline).
func (c *Client) Probe(ctx context.Context, endpoint string, query url.Values) (ProbeResult, error) {
	q := fixedQuery(endpoint)
	for k, v := range query {
		q[k] = v
	}
	collection, isList := listCollections[endpoint]
	if !isList {
		var obj map[string]json.RawMessage
		err := c.get(ctx, endpoint, q, func(r io.Reader) error { return json.NewDecoder(r).Decode(&obj) })
		return ProbeResult{Total: -1}, err
	}
	q.Set("limit", "1")
	q.Set("offset", "0")
	var res ProbeResult
	err := c.get(ctx, endpoint, q, func(r io.Reader) error {
		pg, n, err := decodeList(r, collection, func(*json.RawMessage) error { return nil })
		res.Total = n
		if pg != nil {
			res.Total = pg.Total
		}
		return err
	})
	return res, err
}
