package collector

import (
	"strconv"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// Counts of the orders collector that no cap cuts: certificates by expiry window and renewal,
// the expiry calendar, issuance over the last day and week, and the plans that run out. Every
// count with a known label set is exported whole, 0 included, so that "none" never reads as
// "no data".

const (
	// keepWithin: a certificate that expires within this is never cut by the per-certificate
	// cap. The dashboards' calendar and tables look 90 days ahead and the fixed alert horizons
	// (7 days, and 60 days for plans) are shorter.
	keepWithin = 90 * 24 * time.Hour
	// keepLifetimeLeft: nor is one with less than this part of its lifetime left. The warning
	// alert fires at one third (alerts/certcentral.rules.yml); one half leaves room to raise
	// it, and covers certificates whose third is longer than 90 days (a 398-day certificate
	// issued before the 200-day limit, a code signing certificate).
	keepLifetimeLeft = 0.5
	// maxProductLabels bounds the distinct products of one collection. Accounts order a few
	// dozen; a hostile answer's other names are counted under "other", so the counts stay
	// whole while the series stay bounded (every count is filled for every product).
	maxProductLabels = 200
	// calendarWeeks is how far the expiry calendar looks: 13 weeks, the 90 days of the
	// dashboards rounded up to a whole week.
	calendarWeeks = 13
)

// knownOrderStatuses are the order statuses CertCentral documents or was seen to send
// (certcentral-api.md §8.1): each is exported for every product, 0 when no order has it.
var knownOrderStatuses = []string{"issued", "pending", "reissue_pending", "needs_approval", "waiting_pickup",
	"rejected", "revoked", "canceled", "expired"}

// currentOrderStatuses are those that filters[valid_till] can return (orders with a
// certificate): under --collector.orders.only-current only these are filled with 0, the
// others are never read and a 0 would be a claim.
var currentOrderStatuses = []string{"issued", "reissue_pending", "revoked", "expired"}

// Expiry windows of certcentral_certificates: disjoint, so that they add up.
var expiryWindows = []struct {
	label string
	upTo  time.Duration // time left at most; the last window has none
}{
	{"7d", 7 * 24 * time.Hour}, {"30d", 30 * 24 * time.Hour}, {"60d", 60 * 24 * time.Hour},
	{"90d", 90 * 24 * time.Hour}, {"later", 0},
}

const windowExpired = "expired"

// Renewal states of a certificate: a reissue is waiting, the order was renewed, or nothing
// replaces the certificate yet.
const (
	renewalNone           = "none"
	renewalRenewed        = "renewed"
	renewalReissuePending = "reissue_pending"
)

var renewalStates = []string{renewalNone, renewalRenewed, renewalReissuePending}

// Issuance windows of certcentral_certificates_issued and certcentral_orders_spend.
var issuanceWindows = []struct {
	label string
	span  time.Duration
}{{"24h", 24 * time.Hour}, {"7d", 7 * 24 * time.Hour}}

// clockSkew: an order dated up to this far in the future counts as now.
const clockSkew = time.Hour

var (
	certificatesDesc = newDesc("certificates",
		"Certificates of issued, expired and reissue_pending orders by product, expiry window (expires_in: expired within the retention, 7d, 30d, 60d, 90d, later; disjoint) and renewal (none, renewed: the order was renewed, reissue_pending: a reissue waits). Whole counts, never cut by a cap; 0 included.",
		"product", "expires_in", "renewal")
	calendarDesc = newDesc("certificates_expiring_by_week",
		"Certificates (as in certcentral_certificates) that expire in week N from now (week=\"1\": within 7 days, \"2\": in more than 7 and at most 14, ... \"13\": 84 to 91 days); 0 included.",
		"week")
	issuedDesc = newDesc("certificates_issued",
		"Certificates issued in the last 24h or 7d by product: orders whose certificate was issued then (certificate.date_issued where the list gives it, else the later of the order's date_created and the certificate's valid_from day, which dates a reissue); 0 included.",
		"product", "window")
	planExpiryDesc = newDesc("order_plan_expiry_timestamp_seconds",
		"When the order's plan runs out (order_valid_till, the end of that day in UTC), as a Unix timestamp: the time to buy again. Orders of a Multi-year Plan (is_multi_year_plan) or whose plan outlives their certificate, whose plan ends within 90 days.",
		"order_id", "common_name", "product", "renewed")
)

// orderAggregates gathers, while the list is read, every count and per-item series of the
// orders collector. What it keeps is bounded by products times windows plus the capped series.
type orderAggregates struct {
	now       time.Time
	retention time.Duration
	products  *boundedLabel
	statuses  *boundedLabel

	orders   map[[2]string]int // status, product
	certs    map[[3]string]int // product, expires_in, renewal
	calendar [calendarWeeks]int
	issued   map[[2]string]int // product, window
	spend    spendFacts

	certSeries *protectedRanked[certificateSeries]
	plans      []certificateSeries // ending within keepWithin
	noID       int
}

func newOrderAggregates(now time.Time, retention time.Duration, limit int) *orderAggregates {
	products := newBoundedLabel()
	products.limit = maxProductLabels
	// The known statuses never fold into "other", however many odd ones come first.
	statuses := newBoundedLabel()
	for _, s := range knownOrderStatuses {
		statuses.seen[s] = true
	}
	statuses.limit += len(knownOrderStatuses)
	return &orderAggregates{
		now: now, retention: retention, products: products, statuses: statuses,
		orders: map[[2]string]int{}, certs: map[[3]string]int{}, issued: map[[2]string]int{},
		spend:      spendFacts{sums: map[[2]string]float64{}},
		certSeries: newProtectedRanked[certificateSeries](limit),
	}
}

// add counts one order.
func (a *orderAggregates) add(o certcentral.Order) {
	product := a.products.value(o.ProductNameID, "unknown")
	a.orders[[2]string{a.statuses.value(o.Status, "unknown"), product}]++
	a.addIssuance(o, product)
	if !certificateStatuses[o.Status] {
		return
	}
	renewal := renewalState(o)
	if !o.ValidTill.IsZero() {
		a.addCertificate(o, product, renewal)
	}
	a.addPlan(o, product)
}

func renewalState(o certcentral.Order) string {
	switch {
	case o.Status == "reissue_pending":
		return renewalReissuePending
	case o.IsRenewed:
		return renewalRenewed
	}
	return renewalNone
}

// addCertificate counts a certificate in its expiry window and the calendar, and offers its
// series to the cap.
func (a *orderAggregates) addCertificate(o certcentral.Order, product, renewal string) {
	left := o.ValidTill.Sub(a.now)
	window := windowExpired
	if left <= 0 {
		if left <= -a.retention {
			return // expired longer ago than anyone needs to see
		}
	} else {
		for _, w := range expiryWindows {
			if w.upTo == 0 || left <= w.upTo {
				window = w.label
				break
			}
		}
		// Week 1 is (0, 7 days], as the 7d window: a certificate 7 days from its end is in both.
		if week := int((left - 1) / (7 * 24 * time.Hour)); week < calendarWeeks {
			a.calendar[week]++
		}
	}
	a.certs[[3]string{product, window, renewal}]++
	if o.ID == 0 { // no id to tell its series from another's
		a.noID++
		return
	}
	s := certificateSeries{id: o.ID, commonName: o.CommonName, product: product, renewed: o.IsRenewed,
		reissuePending: renewal == renewalReissuePending, validFrom: o.ValidFrom, validTill: o.ValidTill}
	a.certSeries.add(s, float64(o.ValidTill.Unix()), o.ID, keepCertificate(o, a.now))
}

// keepCertificate is the rule of the per-certificate cap: a certificate that any shipped alert
// or dashboard panel needs is never cut. Those are the ones expired within the retention,
// expiring within keepWithin, or with less than keepLifetimeLeft of their lifetime left.
func keepCertificate(o certcentral.Order, now time.Time) bool {
	left := o.ValidTill.Sub(now)
	if left <= keepWithin {
		return true
	}
	if o.ValidFrom.IsZero() || !o.ValidFrom.Before(o.ValidTill) {
		return false
	}
	return float64(left) < keepLifetimeLeft*float64(o.ValidTill.Sub(o.ValidFrom))
}

// addPlan keeps the plan of an order that outlives its certificate, or a Multi-year Plan, when
// it ends within keepWithin: the alert looks 60 days ahead, the dashboard's table as far as the
// calendar. Later plan ends need no series (bounded by the list, like the certificates kept).
func (a *orderAggregates) addPlan(o certcentral.Order, product string) {
	if o.PlanValidTill.IsZero() || !o.PlanValidTill.After(a.now) || o.ID == 0 {
		return
	}
	if !o.MultiYearPlan && !o.PlanValidTill.After(o.ValidTill) {
		return // a plan that ends with its certificate: the certificate's series says it
	}
	s := certificateSeries{id: o.ID, commonName: o.CommonName, product: product, renewed: o.IsRenewed, validTill: o.PlanValidTill}
	if o.PlanValidTill.Sub(a.now) <= keepWithin {
		a.plans = append(a.plans, s)
	}
}

// issuedAt is when the order's current certificate was issued, zero for an order never
// issued: date_issued where the list gives it, else the later of the order's creation and
// the start of the certificate's valid_from day (a reissue starts a new valid_from on an old
// order).
func issuedAt(o certcentral.Order) time.Time {
	switch {
	case o.ValidTill.IsZero() && o.ValidFrom.IsZero():
		return time.Time{}
	case !o.Issued.IsZero():
		return o.Issued
	}
	return latest(o.Created, o.ValidFrom)
}

// within says whether t lies in the span before now (a little clock skew allowed).
func within(t, now time.Time, span time.Duration) bool {
	age := now.Sub(t)
	return !t.IsZero() && age >= -clockSkew && age < span
}

// addIssuance counts the order's certificate if it was issued in a window, and its price if
// it was ordered in one.
func (a *orderAggregates) addIssuance(o certcentral.Order, product string) {
	at := issuedAt(o)
	for _, w := range issuanceWindows {
		if within(at, a.now, w.span) {
			a.issued[[2]string{product, w.label}]++
		}
		if o.Price != nil && within(o.Created, a.now, w.span) {
			a.spend.sums[[2]string{product, w.label}] += *o.Price
		}
	}
}

// emit writes the counts, filled with 0 for every known label set, and the capped series.
func (a *orderAggregates) emit(out *Output, onlyCurrent bool) {
	products := make([]string, 0, len(a.products.seen))
	for p := range a.products.seen {
		products = append(products, p)
	}
	if len(products) == 0 {
		products = []string{""} // no order at all: the statuses still say 0
	}
	a.spend.products = products
	statuses := knownOrderStatuses
	if onlyCurrent {
		statuses = currentOrderStatuses
	}
	for _, p := range products {
		for _, s := range statuses {
			a.orders[[2]string{s, p}] += 0
		}
		for _, w := range append([]string{windowExpired}, windowLabels()...) {
			for _, r := range renewalStates {
				a.certs[[3]string{p, w, r}] += 0
			}
		}
		for _, w := range issuanceWindows {
			a.issued[[2]string{p, w.label}] += 0
		}
	}
	for k, n := range a.orders {
		out.gauge(ordersDesc, float64(n), k[0], k[1])
	}
	for k, n := range a.certs {
		out.gauge(certificatesDesc, float64(n), k[0], k[1], k[2])
	}
	for week, n := range a.calendar {
		out.gauge(calendarDesc, float64(n), strconv.Itoa(week+1))
	}
	for k, n := range a.issued {
		out.gauge(issuedDesc, float64(n), k[0], k[1])
	}
	certs, dropped := a.certSeries.top()
	for _, s := range certs {
		emitCertificate(out, s)
	}
	for _, s := range a.plans {
		out.gauge(planExpiryDesc, float64(s.validTill.Unix()),
			strconv.FormatInt(s.id, 10), s.commonName, s.product, strconv.FormatBool(s.renewed))
	}
	out.dropped += dropped + a.noID
}

func windowLabels() []string {
	out := make([]string, len(expiryWindows))
	for i, w := range expiryWindows {
		out[i] = w.label
	}
	return out
}
