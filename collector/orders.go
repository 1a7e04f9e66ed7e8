package collector

import (
	"context"
	"strconv"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// OrdersOptions configures the orders collector.
type OrdersOptions struct {
	// ExpiredRetention keeps certificates that expired less than this long ago in the
	// per-certificate series, so that dashboards show what just lapsed; older ones are left
	// out (default 30 days).
	ExpiredRetention time.Duration
	// OnlyCurrent asks the API for orders whose certificate is still within ExpiredRetention
	// only (filters[valid_till]), instead of reading every order. Cheaper on large accounts, but
	// certcentral_orders then counts only those orders.
	OnlyCurrent bool
	// MaxCertificates caps the per-certificate series (0 = unlimited); the soonest to expire
	// are kept.
	MaxCertificates int
	Now             func() time.Time
}

// DefaultExpiredRetention is the default OrdersOptions.ExpiredRetention.
const DefaultExpiredRetention = 30 * 24 * time.Hour

func init() {
	register(Definition{
		Name:        "orders",
		BudgetShare: 0.25,
		Endpoint:    "/order/certificate",
		Help:        "Certificate orders by status and product, and per issued certificate its expiry (GET /order/certificate).",
		Permission: "reading orders needs a key with no restriction, View Only, Orders or " +
			"Orders, Domains, Organizations, linked to a user who may view the account's orders",
		DefaultInterval: 30 * time.Minute, CheckEvery: 5 * time.Minute, // see README "Refresh intervals"
		New: func(c *certcentral.Client, o Options) Collector {
			return checkedOrders{&ordersCollector{client: c, opts: o.Orders}}
		},
	})
}

var (
	ordersDesc = newDesc("orders", "Number of certificate orders by order status and product (name_id).",
		"status", "product")
	certExpiryDesc = newDesc("certificate_expiry_timestamp_seconds",
		"When the order's certificate expires (valid_till, start of that day in UTC), as a Unix timestamp. Issued certificates only; those expired longer ago than the retention are left out.",
		"order_id", "common_name", "product", "renewed")
)

// certificateStatuses are order statuses whose certificate exists and can expire on its own:
// "issued" (which also matches expired certificates in the API's filter) and "expired", seen
// in some accounts.
var certificateStatuses = map[string]bool{"issued": true, "expired": true}

type ordersCollector struct {
	client *certcentral.Client
	opts   OrdersOptions
}

func (c *ordersCollector) Collect(ctx context.Context, out *Output) error {
	now := nowFunc(c.opts.Now)()
	retention := c.opts.ExpiredRetention
	if retention <= 0 {
		retention = DefaultExpiredRetention
	}
	cutoff := now.Add(-retention)
	var filter certcentral.OrderFilter
	if c.opts.OnlyCurrent {
		filter.ValidTillAfter = cutoff.AddDate(0, 0, -1) // the filter is by day; keep the edge
	}

	type key struct{ status, product string }
	counts := map[key]int{}
	certs := newRanked[certificateSeries](c.opts.MaxCertificates)
	facts := newOrderFacts()
	noID := 0
	stats, err := c.client.ListOrders(ctx, filter, func(o certcentral.Order) {
		out.problems(o.Problems)
		counts[key{labelOr(o.Status, "unknown"), labelOr(o.ProductNameID, "unknown")}]++
		if certificateStatuses[o.Status] && !o.ValidTill.IsZero() && o.ValidTill.After(cutoff) {
			if o.ValidTill.After(now) {
				facts.addCertificate(o.CommonName, o.DNSNames)
			}
			if o.ID == 0 { // no id to tell its series from another's
				noID++
				return
			}
			// Only what the series show is kept: the names of a certificate (up to hundreds
			// of SANs) are not.
			certs.add(certificateSeries{id: o.ID, commonName: o.CommonName, product: labelOr(o.ProductNameID, "unknown"),
				renewed: o.IsRenewed, validTill: o.ValidTill}, float64(o.ValidTill.Unix()), 0, o.ID)
		}
		facts.issuance.note(o, now)
	})
	out.addList(stats)
	if err != nil {
		return err
	}
	facts.issuance.current = c.opts.OnlyCurrent
	out.facts = facts
	for k, n := range counts {
		out.gauge(ordersDesc, float64(n), k.status, k.product)
	}
	kept, dropped := certs.top()
	out.dropped += dropped + noID + facts.leftOut
	for _, o := range kept {
		out.gauge(certExpiryDesc, float64(o.validTill.Unix()),
			strconv.FormatInt(o.id, 10), o.commonName, o.product, strconv.FormatBool(o.renewed))
	}
	return nil
}

// certificateSeries is what the per-certificate series need of an order.
type certificateSeries struct {
	id                  int64
	commonName, product string
	renewed             bool
	validTill           time.Time
}
