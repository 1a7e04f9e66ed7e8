package collector

import (
	"strconv"
	"strings"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// Metrics derived from several collectors that answer "can this account issue and renew
// what it needs, now?". Like certcentral_domain_active_certificates (derived.go), they are
// built at scrape time from the facts of the collectors whose data is served: a reason whose
// source collector is disabled, or failing with no data left to serve, is absent, never 0.

// Reasons of certcentral_issuance_blockers, each with the collectors it needs.
const (
	blockerDCVExpired    = "dcv_expired"                     // domains
	blockerDCVPending    = "dcv_pending"                     // domains
	blockerOrgValidation = "organization_validation_expired" // organizations
	blockerNoProduct     = "no_product"                      // products and orders
	blockerFunds         = "insufficient_funds"              // balance
	blockerApproval      = "approval_pending"                // requests
	blockerStuckOrder    = "order_stuck"                     // orders
)

const (
	// stuckAfter: an order waiting longer than this since it was created is stuck. Issuance
	// normally takes minutes to hours; a day means someone must act.
	stuckAfter = 24 * time.Hour
	// maxOrgProductCounters bounds the (organization, product) counters the orders keep for the
	// joins: far above any real account, and a few megabytes against a hostile one.
	maxOrgProductCounters = 100_000
)

// stuckStatuses are the order statuses in which an order waits for something before it can
// be issued; an order in one of them for longer than stuckAfter is stuck.
var stuckStatuses = []string{"pending", "reissue_pending", "needs_approval"}

var (
	issuanceBlockersDesc = newDesc("issuance_blockers",
		"What blocks issuance or renewal now, by reason: dcv_expired and dcv_pending (active domains), organization_validation_expired (lapsed validations of active organizations), no_product (products of unexpired certificates that the account can no longer order), insufficient_funds (1 when prepaid funds available are 0 or less), approval_pending (requests waiting for an approver), order_stuck (orders pending, reissue_pending or needs_approval for over a day). A reason is absent while its source collector is disabled or has no data to serve.",
		"reason")
	ordersStuckDesc = newDesc("orders_stuck",
		"Orders waiting in a status (pending, reissue_pending, needs_approval) for more than a day (see certcentral_orders_stuck_oldest_timestamp_seconds for since when).", "status")
	ordersStuckOldestDesc = newDesc("orders_stuck_oldest_timestamp_seconds",
		"Since when the longest-waiting stuck order of the status has waited, as a Unix timestamp; absent when none is stuck. The order's creation; for reissue_pending, which the order list does not date, when the exporter first saw the order waiting (after a restart: the later of the order's creation and its current certificate's valid_from).",
		"status")
	organizationActiveCertsDesc = newDesc("organization_active_certificates",
		"Unexpired issued certificates of the organization whose product needs the validation type. Exported for active organizations whose validation of that type expired, where new orders, renewals and reissues of those certificates are blocked until it is redone.",
		"organization_id", "organization", "validation_type")
	apiKeyOwnerDesc = newDesc("api_key_owner_info",
		"The user an API key or ACME directory URL is linked to, with that user's role and status from the users collector (unknown when the user is not among the account's users); always 1.",
		"key_id", "name", "owner_id", "owner_role", "owner_status")
)

// organizationFacts are the lapsed validations of active organizations.
type organizationFacts struct {
	expired map[int64]expiredOrg
	// unidentified counts lapsed validations of organizations without a readable id: blockers
	// all the same, but never joined with orders, whose organization.id 0 means "none".
	unidentified int
}

// expiredValidations counts the lapsed validations, one per organization and type.
func (f organizationFacts) expiredValidations() int {
	n := f.unidentified
	for _, e := range f.expired {
		n += len(e.types)
	}
	return n
}

type expiredOrg struct {
	name  string
	types []string
}

func (f *organizationFacts) addExpired(o certcentral.Organization, typ string) {
	if o.ID == 0 {
		f.unidentified++
		return
	}
	e := f.expired[o.ID]
	e.name = o.Name
	e.types = append(e.types, typ)
	f.expired[o.ID] = e
}

// orgProduct counts certificates by organization and product.
type orgProduct struct {
	org     int64
	product string
}

type stuckOrders struct {
	count  int
	oldest time.Time
}

// orderIssuanceFacts is what the orders collector offers to the metrics of this file: counts,
// never lists, so that what is kept is bounded by organizations times products.
type orderIssuanceFacts struct {
	certs map[orgProduct]int // unexpired issued certificates
	stuck map[string]stuckOrders
	// current is set when only orders with a current certificate were asked for
	// (--collector.orders.only-current): unissued orders are then not seen, so nothing can be
	// said about stuck ones.
	current bool
}

func newOrderIssuanceFacts() orderIssuanceFacts {
	f := orderIssuanceFacts{certs: map[orgProduct]int{}, stuck: map[string]stuckOrders{}}
	for _, s := range stuckStatuses {
		f.stuck[s] = stuckOrders{}
	}
	return f
}

// note records one order: an unexpired issued certificate (unexpired, which the caller has
// worked out already) under its organization and product, or an order stuck in a waiting
// status since the time given (the order's creation; for a reissue, since when it has been
// seen waiting).
func (f *orderIssuanceFacts) note(o certcentral.Order, unexpired bool, since, now time.Time) {
	if unexpired {
		k := orgProduct{o.OrganizationID, o.ProductNameID}
		if _, ok := f.certs[k]; ok || len(f.certs) < maxOrgProductCounters {
			f.certs[k]++
		}
	}
	if s, ok := f.stuck[o.Status]; ok && !since.IsZero() && now.Sub(since) > stuckAfter {
		s.count++
		if s.oldest.IsZero() || since.Before(s.oldest) {
			s.oldest = since
		}
		f.stuck[o.Status] = s
	}
}

// balanceFacts: the funds new orders can spend.
type balanceFacts struct {
	currency  string   // the account's currency, "unknown" when the API left it out
	available *float64 // total_available_funds; nil when the API left it out
	balance   *float64
	unlimited bool
}

// insufficient says whether a prepaid account can pay for no order at all.
func (b balanceFacts) insufficient() bool {
	switch {
	case b.unlimited:
		return false
	case b.available != nil:
		return *b.available <= 0
	case b.balance != nil:
		return *b.balance <= 0
	}
	return false
}

// productFacts: the products the account can order, by name_id.
type productFacts struct {
	orderable map[string]bool
}

// userFacts: role and status of every user, for the owners of API keys.
type userFacts struct {
	byID map[int64]userFact
}

type userFact struct{ role, status string }

// apiKeyFacts: the keys with per-key series, and whom they belong to.
type apiKeyFacts struct {
	keys []keyOwner
}

type keyOwner struct {
	id, name string
	ownerID  int64
}

// productValidation says which organization validation the certificates of a product need,
// from its name_id: DV products none, EV TLS products "ev", other public TLS products "ov",
// code signing "cs" or "ev_cs". Other products (client, document signing, private SSL) are
// not mapped: which validation they need is not documented, so they block nothing here. The
// name_id is the order's own (product.name_id), so that orders for products the account can
// no longer buy still count.
func productValidation(nameID string) string {
	n := strings.ToLower(nameID)
	switch {
	case strings.HasPrefix(n, "code_signing"):
		if strings.Contains(n, "ev") {
			return "ev_cs"
		}
		return "cs"
	case !strings.HasPrefix(n, "ssl_"), strings.Contains(n, "_dv"):
		return ""
	case strings.Contains(n, "_ev"):
		return "ev"
	}
	return "ov"
}

// emitIssuance writes every metric of this file that the served facts allow.
func emitIssuance(gauge gaugeFunc, facts map[string]any) {
	orders, hasOrders := facts["orders"].(orderFacts)
	if d, ok := facts["domains"].(domainFacts); ok {
		gauge(issuanceBlockersDesc, float64(d.states[dcvExpired]), blockerDCVExpired)
		gauge(issuanceBlockersDesc, float64(d.states[dcvPending]), blockerDCVPending)
	}
	if o, ok := facts["organizations"].(organizationFacts); ok {
		gauge(issuanceBlockersDesc, float64(o.expiredValidations()), blockerOrgValidation)
		if hasOrders {
			emitOrganizationActiveCertificates(gauge, o, orders.issuance)
		}
	}
	if p, ok := facts["products"].(productFacts); ok && hasOrders {
		missing := map[string]bool{}
		for k := range orders.issuance.certs {
			if k.product != "" && !p.orderable[k.product] {
				missing[k.product] = true
			}
		}
		gauge(issuanceBlockersDesc, float64(len(missing)), blockerNoProduct)
	}
	if b, ok := facts["balance"].(balanceFacts); ok {
		gauge(issuanceBlockersDesc, boolValue(b.insufficient()), blockerFunds)
	}
	if r, ok := facts["requests"].(requestFacts); ok {
		gauge(issuanceBlockersDesc, float64(r.pending), blockerApproval)
	}
	if hasOrders && !orders.issuance.current {
		total := 0
		for _, status := range stuckStatuses {
			s := orders.issuance.stuck[status]
			total += s.count
			gauge(ordersStuckDesc, float64(s.count), status)
			if s.count > 0 {
				gauge(ordersStuckOldestDesc, float64(s.oldest.Unix()), status)
			}
		}
		gauge(issuanceBlockersDesc, float64(total), blockerStuckOrder)
	}
	if hasOrders {
		emitSpend(gauge, orders.spend, facts["balance"])
	}
	if k, ok := facts["api_keys"].(apiKeyFacts); ok {
		if u, ok := facts["users"].(userFacts); ok {
			for _, key := range k.keys {
				role, status := "unknown", "unknown"
				if f, ok := u.byID[key.ownerID]; ok {
					role, status = f.role, f.status
				}
				gauge(apiKeyOwnerDesc, 1, key.id, key.name, strconv.FormatInt(key.ownerID, 10), role, status)
			}
		}
	}
}

// emitOrganizationActiveCertificates counts, for each lapsed validation of an active
// organization, the unexpired certificates under it whose product needs that validation.
func emitOrganizationActiveCertificates(gauge gaugeFunc, o organizationFacts, certs orderIssuanceFacts) {
	type orgType struct {
		org int64
		typ string
	}
	counts := map[orgType]int{}
	for id, e := range o.expired {
		for _, t := range e.types {
			counts[orgType{id, t}] += 0
		}
	}
	for k, n := range certs.certs {
		key := orgType{k.org, productValidation(k.product)}
		if _, ok := counts[key]; ok {
			counts[key] += n
		}
	}
	for k, n := range counts {
		gauge(organizationActiveCertsDesc, float64(n), strconv.FormatInt(k.org, 10), o.expired[k.org].name, k.typ)
	}
}
