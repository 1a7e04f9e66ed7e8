package collector

import (
	"context"
	"strconv"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// RequestsOptions configures the requests collector.
type RequestsOptions struct {
	// MaxRequests caps the per-request series (0 = DefaultMaxRequests); the oldest pending
	// requests are kept.
	MaxRequests int
}

// DefaultMaxRequests is the default RequestsOptions.MaxRequests. A queue longer than this is
// a problem of its own, which the counts show whole.
const DefaultMaxRequests = 1000

func init() {
	register(Definition{
		Name:            "requests",
		DefaultInterval: 5 * time.Minute, // see README "Refresh intervals"
		BudgetShare:     0.03,
		Endpoint:        "/request",
		Help:            "The approval queue: certificate requests waiting for an approver, and the oldest one's age (GET /request?filters[status]=pending).",
		Permission: "reading requests needs a key with no restriction, View Only, Orders or Orders, Domains, Organizations, " +
			"linked to an Administrator or Manager (the roles that approve requests; a User Management key cannot read them)",
		New: func(c *certcentral.Client, o Options) Collector {
			return &requestsCollector{client: c, opts: o.Requests}
		},
	})
}

var (
	requestsPendingDesc = newDesc("requests_pending",
		"Number of certificate requests waiting for approval, by request type and product (name_id).", "type", "product")
	requestsOldestDesc = newDesc("requests_oldest_pending_timestamp_seconds",
		"When the oldest request still waiting for approval was made, as a Unix timestamp; absent when none waits.")
	requestPendingDesc = newDesc("request_pending_since_timestamp_seconds",
		"When a request still waiting for approval was made, as a Unix timestamp; one series per pending request (the oldest are kept under the cap).",
		"request_id", "type", "product", "common_name")
)

type requestsCollector struct {
	client *certcentral.Client
	opts   RequestsOptions
}

func (c *requestsCollector) Collect(ctx context.Context, out *Output) error {
	types, products := newBoundedLabel(), newBoundedLabel()
	type key struct{ typ, product string }
	counts := map[key]int{}
	var oldest time.Time // of every pending request, those without an id too
	perRequest := newRanked[certcentral.Request](capOr(c.opts.MaxRequests, DefaultMaxRequests))
	noID := 0
	stats, err := c.client.ListPendingRequests(ctx, func(r certcentral.Request) {
		out.problems(r.Problems)
		// The list is asked for pending requests only; an answer that ignored the filter must
		// not count approved or rejected ones. No status at all is taken for what was asked.
		if r.Status != "pending" && r.Status != "" {
			return
		}
		r.Type = types.value(r.Type, "unknown")
		r.ProductNameID = products.value(r.ProductNameID, "unknown")
		counts[key{r.Type, r.ProductNameID}]++
		if !r.Date.IsZero() && (oldest.IsZero() || r.Date.Before(oldest)) {
			oldest = r.Date
		}
		if r.ID == 0 { // no id to tell its series from another's (counted as unparsed)
			noID++
			return
		}
		perRequest.add(r, soonest(r.Date), 0, r.ID)
	})
	out.addList(stats)
	if err != nil {
		return err
	}
	// counts has every pending request: the total needs no bookkeeping of its own. The
	// oldest does, since requests without an id are in no ranked list.
	pending := 0
	for k, n := range counts {
		pending += n
		out.gauge(requestsPendingDesc, float64(n), k.typ, k.product)
	}
	out.facts = requestFacts{pending: pending}
	if !oldest.IsZero() {
		out.gauge(requestsOldestDesc, float64(oldest.Unix()))
	}
	kept, dropped := perRequest.top()
	out.dropped += dropped + noID
	seen := map[int64]bool{}
	for _, r := range kept {
		if r.Date.IsZero() || seen[r.ID] {
			continue // no date to show, or an id the API repeated
		}
		seen[r.ID] = true
		out.gauge(requestPendingDesc, float64(r.Date.Unix()), strconv.FormatInt(r.ID, 10), r.Type, r.ProductNameID, r.CommonName)
	}
	return nil
}

// requestFacts is what the requests collector offers to the issuance blockers.
type requestFacts struct {
	pending int
}
