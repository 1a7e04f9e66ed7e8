package collector

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// DomainsOptions configures the domains collector.
type DomainsOptions struct {
	// PerDomain exports one series set per active domain.
	PerDomain bool
	// MaxDomains caps the per-domain series sets (0 = unlimited); pending and expired domains
	// and those whose DCV lapses soonest are kept first.
	MaxDomains int
	Now        func() time.Time
}

func init() {
	register(Definition{
		Name:            "domains",
		DefaultInterval: 15 * time.Minute, // see README "Refresh intervals"
		BudgetShare:     0.16,
		Endpoint:        "/domain",
		Help:            "Domains by DCV state, and per domain the DCV expiry (GET /domain).",
		Permission: "reading domains needs a key with no restriction, View Only or " +
			"Orders, Domains, Organizations, linked to an Administrator or Manager",
		New: func(c *certcentral.Client, o Options) Collector { return &domainsCollector{client: c, opts: o.Domains} },
	})
}

// DCV states of a domain, as the dcv_status label.
const (
	dcvValidated = "validated" // DCV completed and not lapsed: usable for issuance
	dcvPending   = "pending"   // DCV never completed
	dcvExpired   = "expired"   // DCV completed once but lapsed: must be redone
)

var dcvStates = []string{dcvValidated, dcvPending, dcvExpired}

var (
	domainsDesc = newDesc("domains", "Number of active domains by DCV state: validated, pending (DCV never completed) or expired (DCV lapsed).",
		"dcv_status")
	domainsPendingDesc = newDesc("domains_pending_dcv",
		"Number of active domains that cannot be used for issuance until DCV is done (pending plus expired).")
	domainsInactiveDesc = newDesc("domains_inactive", "Number of deactivated domains (not counted in certcentral_domains).")
	domainStatusDesc    = newDesc("domain_dcv_status",
		"DCV state of an active domain: one series with value 1, labelled with the current state.",
		"domain_id", "domain", "dcv_status")
	domainExpiryDesc = newDesc("domain_dcv_expiry_timestamp_seconds",
		"When the domain's DCV for a validation type (ov, ev) lapses, as a Unix timestamp. CertCentral gives a Mountain Time date; this is the start of that day.",
		"domain_id", "domain", "validation_type")
	domainCreatedDesc = newDesc("domain_created_timestamp_seconds", "When the domain was added to the account, as a Unix timestamp.",
		"domain_id", "domain")
	domainInfoDesc = newDesc("domain_info", "Descriptive labels of an active domain; always 1.",
		"domain_id", "domain", "organization", "dcv_method", "division")
)

// dcvState classifies a domain. Any unexpired validation type counts as validated (an EV
// validation covers OV). A domain whose dcv_expiration could not be read falls back to the
// API's own ov_status/ev_status words, and to validated when there are none: it did complete
// DCV once, and the unparsed value is reported.
func dcvState(d certcentral.Domain, now time.Time) string {
	if !d.HasDCVExpiration {
		return dcvPending
	}
	seen := false
	for _, t := range []time.Time{d.OVExpiry, d.EVExpiry} {
		if t.IsZero() {
			continue
		}
		seen = true
		if t.After(now) {
			return dcvValidated
		}
	}
	if seen {
		return dcvExpired
	}
	if d.OVStatus == "expired" && (d.EVStatus == "" || d.EVStatus == "expired") {
		return dcvExpired
	}
	return dcvValidated
}

type domainsCollector struct {
	client *certcentral.Client
	opts   DomainsOptions
}

type domainItem struct {
	d     certcentral.Domain
	state string
}

func (c *domainsCollector) Collect(ctx context.Context, out *Output) error {
	now := nowFunc(c.opts.Now)()
	counts := map[string]int{}
	inactive := 0
	facts := domainFacts{expired: map[string]int64{}}
	perDomain := newRanked[domainItem](c.opts.MaxDomains)
	noID := 0
	stats, err := c.client.ListDomains(ctx, func(d certcentral.Domain) {
		out.problems(d.Problems)
		if !d.Active {
			inactive++
			return
		}
		state := dcvState(d, now)
		counts[state]++
		if d.ID == 0 { // no id to tell its series from another's (counted as unparsed)
			if c.opts.PerDomain {
				noID++
			}
			return
		}
		if state == dcvExpired {
			facts.expired[strings.ToLower(d.Name)] = d.ID
		}
		if c.opts.PerDomain {
			urgency := 1.0 // pending or expired first, then the soonest lapse
			if state != dcvValidated {
				urgency = 0
			}
			perDomain.add(domainItem{d, state}, urgency, soonest(d.OVExpiry, d.EVExpiry), d.ID)
		}
	})
	out.addList(stats)
	if err != nil {
		return err
	}
	for _, s := range dcvStates {
		out.gauge(domainsDesc, float64(counts[s]), s)
	}
	out.gauge(domainsPendingDesc, float64(counts[dcvPending]+counts[dcvExpired]))
	out.gauge(domainsInactiveDesc, float64(inactive))
	facts.states = counts
	out.facts = facts

	kept, dropped := perDomain.top()
	out.dropped += dropped + noID
	for _, it := range kept {
		d := it.d
		id := strconv.FormatInt(d.ID, 10)
		out.gauge(domainStatusDesc, 1, id, d.Name, it.state)
		out.gauge(domainInfoDesc, 1, id, d.Name, d.Organization, d.DCVMethod, d.Division)
		if !d.Created.IsZero() {
			out.gauge(domainCreatedDesc, float64(d.Created.Unix()), id, d.Name)
		}
		if !d.OVExpiry.IsZero() {
			out.gauge(domainExpiryDesc, float64(d.OVExpiry.Unix()), id, d.Name, "ov")
		}
		if !d.EVExpiry.IsZero() {
			out.gauge(domainExpiryDesc, float64(d.EVExpiry.Unix()), id, d.Name, "ev")
		}
	}
	return nil
}

// soonest returns the earliest non-zero time as a Unix timestamp, +Inf if none.
func soonest(ts ...time.Time) float64 {
	best := math.Inf(1)
	for _, t := range ts {
		if !t.IsZero() {
			best = math.Min(best, float64(t.Unix()))
		}
	}
	return best
}
