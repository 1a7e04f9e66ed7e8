package main

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// glance is the landing page's "at a glance" of one account, read from the metrics the
// exporter serves (never from CertCentral): can the account issue now, who are the riskiest
// users, which domains wait for or are losing DCV, which certificates expire first.
type glance struct {
	Checklist []checkItem
	Users     []glanceRow
	Domains   []glanceRow
	Certs     []glanceRow
	HasData   bool
}

// checkItem is one line of the issuance-readiness checklist; Fix says what to do when not OK.
type checkItem struct {
	OK        bool
	What, Fix string
}

// glanceRow is one line of a list; Urgent marks it red.
type glanceRow struct {
	Name, Detail string
	Urgent       bool
}

// How much of each list the page shows: enough to act on, short enough to read.
const (
	glanceRows     = 5
	lapsingHorizon = 60 * 24 * time.Hour // DCV or certificates lapsing within this are listed
	staleSignIn    = 90                  // days without sign-in that mark a privileged user red
)

// metricsByName indexes families by name.
type metricsByName map[string]*dto.MetricFamily

func (m metricsByName) series(name string) []*dto.Metric {
	if mf, ok := m[name]; ok {
		return mf.Metric
	}
	return nil
}

func (m metricsByName) has(name string) bool { _, ok := m[name]; return ok }

func label(s *dto.Metric, name string) string {
	for _, l := range s.Label {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func value(s *dto.Metric) float64 {
	switch {
	case s.Gauge != nil:
		return s.Gauge.GetValue()
	case s.Counter != nil:
		return s.Counter.GetValue()
	case s.Untyped != nil:
		return s.Untyped.GetValue()
	}
	return math.NaN()
}

// sum adds the series of name whose label matches (every series with an empty match).
func (m metricsByName) sum(name, labelName, match string) (float64, bool) {
	total, found := 0.0, false
	for _, s := range m.series(name) {
		if labelName == "" || label(s, labelName) == match {
			total += value(s)
			found = true
		}
	}
	return total, found
}

// glanceFamilies are the families buildGlance reads: the landing page asks the exporter for
// these only, which it reads back from the text it keeps.
var glanceFamilies = []string{
	"certcentral_users", "certcentral_domains", "certcentral_orders", "certcentral_account_balance",
	"certcentral_products", "certcentral_account_unlimited_negative_balance", "certcentral_account_available_funds",
	"certcentral_issuance_blockers", "certcentral_collector_error", "certcentral_user_days_since_last_login",
	"certcentral_user_never_logged_in", "certcentral_domain_dcv_status", "certcentral_domain_dcv_expiry_timestamp_seconds",
	"certcentral_certificate_expiry_timestamp_seconds", "certcentral_certificate_reissue_pending",
}

func buildGlance(families []*dto.MetricFamily, now time.Time) glance {
	m := metricsByName{}
	for _, mf := range families {
		m[mf.GetName()] = mf
	}
	g := glance{HasData: m.has("certcentral_users") || m.has("certcentral_domains") || m.has("certcentral_orders") || m.has("certcentral_account_balance")}
	g.Checklist = readiness(m)
	g.Users = riskiestUsers(m)
	g.Domains = domainsToAct(m, now)
	g.Certs = soonestCertificates(m, now)
	return g
}

// readiness answers "can this account order and renew now?", one item per precondition the
// exporter can see, and names what the data does not cover (a collector failing).
func readiness(m metricsByName) []checkItem {
	var items []checkItem
	if m.has("certcentral_domains") {
		validated, _ := m.sum("certcentral_domains", "dcv_status", "validated")
		pending, _ := m.sum("certcentral_domains", "dcv_status", "pending")
		expired, _ := m.sum("certcentral_domains", "dcv_status", "expired")
		items = append(items, checkItem{OK: pending+expired == 0,
			What: fmt.Sprintf("%s validated, %s pending DCV, %s with DCV expired", count(validated, "domain"), count(pending, ""), count(expired, "")),
			Fix:  "complete domain control validation for them (CertCentral: Certificates > Domains); orders and renewals naming them wait until then"})
	}
	if n, ok := m.sum("certcentral_products", "", ""); ok {
		items = append(items, checkItem{OK: n > 0, What: count(n, "product") + " can be ordered",
			Fix: "the key's user or division may order no product: check the product settings of the division"})
	}
	if unlimited, ok := m.sum("certcentral_account_unlimited_negative_balance", "", ""); ok && unlimited == 1 {
		items = append(items, checkItem{OK: true, What: "funds: the balance may go below zero without limit"})
	} else {
		for _, s := range m.series("certcentral_account_available_funds") {
			v := value(s)
			items = append(items, checkItem{OK: v > 0, What: fmt.Sprintf("funds: %s %s available for new orders", money(v), label(s, "currency")),
				Fix: "add funds or pay the open invoices (CertCentral: Finances) before the next order or renewal"})
		}
	}
	for _, s := range m.series("certcentral_issuance_blockers") {
		v := value(s)
		b, known := blockerWords[label(s, "reason")]
		switch {
		case v <= 0 || known && b.what == "": // nothing blocked, or said by an item above
		case known:
			items = append(items, checkItem{What: fmt.Sprintf(b.what, strconv.FormatFloat(v, 'f', -1, 64)), Fix: b.fix})
		default:
			items = append(items, checkItem{What: fmt.Sprintf("%s: %s", strings.ReplaceAll(label(s, "reason"), "_", " "), strconv.FormatFloat(v, 'f', -1, 64)),
				Fix: "see the runbook's issuance blockers section"})
		}
	}
	for _, s := range m.series("certcentral_collector_error") {
		if value(s) == 1 {
			items = append(items, checkItem{What: fmt.Sprintf("no fresh %s data: the collector fails with %s", label(s, "collector"), label(s, "reason")),
				Fix: "see the collector's problem and fix below"})
		}
	}
	return items
}

// blockerWords says each certcentral_issuance_blockers reason in words, with its fix. The
// reasons the checklist's domain, product and funds items already say have no words here.
var blockerWords = map[string]struct{ what, fix string }{
	"dcv_expired":        {},
	"dcv_pending":        {},
	"insufficient_funds": {},
	"no_product": {"%s products of live certificates can no longer be ordered: their renewals fail",
		"ask DigiCert or the division's administrator to allow the product again, or renew with another product"},
	"organization_validation_expired": {"%s organization validations (OV/EV) expired: OV/EV orders and renewals under them wait",
		"submit the organization for revalidation (CertCentral: Certificates > Organizations)"},
	"approval_pending": {"%s requests wait for an approver",
		"an Administrator or Manager approves or rejects them (CertCentral: Certificates > Requests)"},
	"order_stuck": {"%s orders stuck for more than a day (pending, reissue pending or needing approval)",
		"open them in CertCentral (Certificates > Orders) to see what they wait for: DCV, organization validation or an approval"},
}

func count(n float64, noun string) string {
	s := strconv.FormatFloat(n, 'f', -1, 64)
	switch {
	case noun == "":
		return s
	case n == 1:
		return s + " " + noun
	}
	return s + " " + noun + "s"
}

func money(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// riskiestUsers lists privileged users (Administrators, then Managers) who never signed in or
// signed in longest ago.
func riskiestUsers(m metricsByName) []glanceRow {
	days := map[string]float64{}
	for _, s := range m.series("certcentral_user_days_since_last_login") {
		days[label(s, "user_id")] = value(s)
	}
	type user struct {
		row  glanceRow
		rank int
		age  float64 // days; never = +Inf
	}
	var users []user
	for _, s := range m.series("certcentral_user_never_logged_in") {
		rank := slices.Index([]string{"Administrator", "Manager"}, label(s, "role"))
		if rank < 0 {
			continue
		}
		u := user{rank: rank, row: glanceRow{Name: label(s, "username") + " (" + label(s, "role") + ")"}}
		if value(s) == 1 {
			u.age, u.row.Detail, u.row.Urgent = math.Inf(1), "never signed in", true
		} else if d, ok := days[label(s, "user_id")]; ok {
			u.age, u.row.Detail, u.row.Urgent = d, fmt.Sprintf("last signed in %s ago", count(d, "day")), d >= staleSignIn
		} else {
			continue // a sign-in date that did not parse: counted in unparsed values
		}
		users = append(users, u)
	}
	slices.SortStableFunc(users, func(a, b user) int {
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		return -cmp.Compare(a.age, b.age)
	})
	var out []glanceRow
	for _, u := range users[:min(len(users), glanceRows)] {
		out = append(out, u.row)
	}
	return out
}

// domainsToAct lists domains whose DCV expired or is pending, then those whose DCV lapses
// within the horizon, soonest first.
func domainsToAct(m metricsByName, now time.Time) []glanceRow {
	var out []glanceRow
	for _, state := range []string{"expired", "pending"} {
		for _, s := range m.series("certcentral_domain_dcv_status") {
			if label(s, "dcv_status") == state && value(s) == 1 {
				detail := "DCV expired: redo it"
				if state == "pending" {
					detail = "DCV pending: never completed"
				}
				out = append(out, glanceRow{Name: label(s, "domain"), Detail: detail, Urgent: true})
			}
		}
	}
	type lapse struct {
		name, vtype string
		at          time.Time
	}
	var lapsing []lapse
	for _, s := range m.series("certcentral_domain_dcv_expiry_timestamp_seconds") {
		at := time.Unix(int64(value(s)), 0)
		if at.After(now) && at.Sub(now) <= lapsingHorizon {
			lapsing = append(lapsing, lapse{label(s, "domain"), label(s, "validation_type"), at})
		}
	}
	slices.SortFunc(lapsing, func(a, b lapse) int { return a.at.Compare(b.at) })
	for _, l := range lapsing {
		out = append(out, glanceRow{Name: l.name, Detail: fmt.Sprintf("%s DCV lapses in %s", strings.ToUpper(l.vtype), days(l.at.Sub(now)))})
	}
	return out[:min(len(out), glanceRows+3)]
}

// soonestCertificates lists the certificates that expire first (or expired most recently).
func soonestCertificates(m metricsByName, now time.Time) []glanceRow {
	series := slices.Clone(m.series("certcentral_certificate_expiry_timestamp_seconds"))
	slices.SortFunc(series, func(a, b *dto.Metric) int { return cmp.Compare(value(a), value(b)) })
	reissuing := map[string]bool{}
	for _, s := range m.series("certcentral_certificate_reissue_pending") {
		reissuing[label(s, "order_id")] = value(s) == 1
	}
	var out []glanceRow
	for _, s := range series[:min(len(series), glanceRows)] {
		at := time.Unix(int64(value(s)), 0)
		r := glanceRow{Name: label(s, "common_name") + " (" + label(s, "product") + ", order " + label(s, "order_id") + ")"}
		if at.Before(now) {
			r.Detail, r.Urgent = "expired "+days(now.Sub(at))+" ago", true
		} else {
			r.Detail, r.Urgent = "expires in "+days(at.Sub(now)), at.Sub(now) <= 7*24*time.Hour
		}
		// As the expiry alerts: a renewal or reissue under way is not this certificate's
		// problem any more (the renewal's certificate, or the wait for the reissue, is watched).
		switch {
		case label(s, "renewed") == "true":
			r.Detail += "; renewed"
			r.Urgent = false
		case reissuing[label(s, "order_id")]:
			r.Detail += "; reissue pending"
			r.Urgent = false
		}
		out = append(out, r)
	}
	return out
}

func days(d time.Duration) string { return count(math.Floor(d.Hours()/24), "day") }
