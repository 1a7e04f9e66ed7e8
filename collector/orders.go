package collector

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// OrdersOptions configures the orders collector.
type OrdersOptions struct {
	// ExpiredRetention keeps certificates that expired less than this long ago in the
	// per-certificate series and in the "expired" count, so that dashboards show what just
	// lapsed; older ones are left out (default 30 days).
	ExpiredRetention time.Duration
	// OnlyCurrent asks the API for orders whose certificate is still within ExpiredRetention
	// only (filters[valid_till]), instead of reading every order. Cheaper on large accounts, but
	// certcentral_orders then counts only those orders.
	OnlyCurrent bool
	// MaxCertificates caps the per-certificate series (0 = unlimited). The cap never cuts what
	// an alert or a panel needs (see keepCertificate); of the rest the soonest to expire are
	// kept.
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
		Help:        "Certificate orders by status and product; certificates by expiry window and renewal, issuance and spend over the last day and week; per certificate its validity and per plan its end (GET /order/certificate).",
		Permission: "reading orders needs a key with no restriction, View Only, Orders or " +
			"Orders, Domains, Organizations, linked to a user who may view the account's orders",
		DefaultInterval: 30 * time.Minute, CheckEvery: 5 * time.Minute, // see README "Refresh intervals"
		New: func(c *certcentral.Client, o Options) Collector {
			return &ordersCollector{client: c, opts: o.Orders}
		},
	})
}

var (
	ordersDesc = newDesc("orders", "Number of certificate orders by order status and product (name_id). Every known status is present for every product seen, 0 included.",
		"status", "product")
	certExpiryDesc = newDesc("certificate_expiry_timestamp_seconds",
		"When the order's certificate expires (valid_till, a date: the end of that day, 23:59:59 UTC), as a Unix timestamp. Certificates of issued, expired and reissue_pending orders; those expired longer ago than the retention are left out.",
		"order_id", "common_name", "product", "renewed")
	certValidFromDesc = newDesc("certificate_valid_from_timestamp_seconds",
		"When the order's certificate became valid (valid_from, a date: the start of that day in UTC), as a Unix timestamp; with the expiry it gives the certificate's lifetime. Absent when the API gives no valid_from.",
		"order_id", "common_name", "product", "renewed")
	certReissueDesc = newDesc("certificate_reissue_pending",
		"1 for a certificate whose order waits for a reissue (status reissue_pending): its replacement is under way. Only these certificates have the series.",
		"order_id", "common_name", "product", "renewed")
)

// certificateStatuses are order statuses whose certificate exists and can expire on its own:
// "issued" (which also matches expired certificates in the API's filter), "expired", seen in
// some accounts, and "reissue_pending", whose current certificate stays valid while the
// reissue waits.
var certificateStatuses = map[string]bool{"issued": true, "expired": true, "reissue_pending": true}

// unexpiredCertificate says whether the order has a certificate that is still valid at now:
// the certificates the derived metrics count.
func unexpiredCertificate(o certcentral.Order, now time.Time) bool {
	return certificateStatuses[o.Status] && o.ValidTill.After(now)
}

type ordersCollector struct {
	client *certcentral.Client
	opts   OrdersOptions

	// mu guards what one collection hands the next: when each order was first seen waiting
	// for a reissue (the list carries no reissue date).
	mu      sync.Mutex
	reissue reissueWatch
}

func (c *ordersCollector) Collect(ctx context.Context, out *Output) error {
	now := nowFunc(c.opts.Now)()
	retention := c.opts.ExpiredRetention
	if retention <= 0 {
		retention = DefaultExpiredRetention
	}
	var filter certcentral.OrderFilter
	if c.opts.OnlyCurrent {
		filter.ValidTillAfter = now.Add(-retention).AddDate(0, 0, -1) // the filter is by day; keep the edge
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	reissue := c.reissue.next(now)
	agg := newOrderAggregates(now, retention, c.opts.MaxCertificates)
	facts := newOrderFacts()
	// newest is the list's newest end as this read saw it: with the filter and the total it
	// is the mark that Changed later compares with.
	var newest time.Time
	stats, err := c.client.ListOrders(ctx, filter, func(o certcentral.Order) {
		out.problems(o.Problems)
		if o.Created.After(newest) {
			newest = o.Created
		}
		var since time.Time
		if o.Status == "reissue_pending" {
			since = reissue.waitingSince(o)
		} else {
			since = o.Created
		}
		agg.add(o)
		unexpired := unexpiredCertificate(o, now)
		if unexpired {
			facts.addCertificate(o.CommonName, o.DNSNames)
		}
		facts.issuance.note(o, unexpired, since, now)
	})
	out.addList(stats)
	if err != nil {
		return err // the next collection still compares with the last complete one
	}
	c.reissue = reissue.cur
	out.mark = certcentral.OrdersMark{Filter: filter, Total: stats.Total, Newest: newest}
	facts.issuance.current = c.opts.OnlyCurrent
	agg.emit(out, c.opts.OnlyCurrent)
	facts.spend = agg.spend // with every product, for the zeros
	out.facts = facts
	out.dropped += facts.leftOut
	return nil
}

// emitCertificate writes the per-certificate series of one kept certificate.
func emitCertificate(out *Output, o certificateSeries) {
	labels := []string{strconv.FormatInt(o.id, 10), o.commonName, o.product, strconv.FormatBool(o.renewed)}
	out.gauge(certExpiryDesc, float64(o.validTill.Unix()), labels...)
	if !o.validFrom.IsZero() {
		out.gauge(certValidFromDesc, float64(o.validFrom.Unix()), labels...)
	}
	if o.reissuePending {
		out.gauge(certReissueDesc, 1, labels...)
	}
}

// certificateSeries is what the per-certificate series need of an order: its names (up to
// hundreds of SANs) are not kept.
type certificateSeries struct {
	id                   int64
	commonName, product  string
	renewed              bool
	reissuePending       bool
	validFrom, validTill time.Time
}

// reissueWatch remembers, between collections, since when each order has been seen waiting
// for a reissue. The order list dates the order, not the reissue, and with certificates of
// 200 days and less a reissue is a monthly event on orders many months old.
type reissueWatch struct {
	since map[int64]time.Time // order id -> waiting since
	read  time.Time           // when the last complete list was read; zero before the first
}

// next starts the watch of a new collection, which reads the previous one's.
func (w reissueWatch) next(now time.Time) *reissueRound {
	return &reissueRound{prev: w, cur: reissueWatch{since: map[int64]time.Time{}, read: now}}
}

type reissueRound struct{ prev, cur reissueWatch }

// waitingSince says since when an order in reissue_pending has waited: as the last complete
// list said if it was waiting then; else it began after that list was read (or, before any,
// after the order was created and its current certificate issued, the earliest it can have
// begun: a restart must not hide a reissue stuck for days).
func (r *reissueRound) waitingSince(o certcentral.Order) time.Time {
	if o.ID == 0 {
		return latest(o.Created, o.ValidFrom)
	}
	since, ok := r.prev.since[o.ID]
	if !ok {
		since = latest(o.Created, o.ValidFrom, r.prev.read)
	}
	r.cur.since[o.ID] = since
	return since
}

// latest returns the latest of the times (zero ones ignored).
func latest(ts ...time.Time) time.Time {
	var l time.Time
	for _, t := range ts {
		if t.After(l) {
			l = t
		}
	}
	return l
}
