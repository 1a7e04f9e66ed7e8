package collector

import (
	"context"
	"strconv"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// OrganizationsOptions configures the organizations collector.
type OrganizationsOptions struct {
	// MaxOrganizations caps the per-organization series sets (0 = DefaultMaxOrganizations);
	// organizations with an expired or pending validation, then those lapsing soonest, are
	// kept first.
	MaxOrganizations int
	Now              func() time.Time
}

// DefaultMaxOrganizations is the default OrganizationsOptions.MaxOrganizations: far above
// any real account (organizations are legal entities, a few to a few hundred), low enough
// that a hostile answer cannot fill Prometheus.
const DefaultMaxOrganizations = 10000

func init() {
	register(Definition{
		Name:            "organizations",
		DefaultInterval: 30 * time.Minute, // see README "Refresh intervals"
		BudgetShare:     0.02,
		Endpoint:        "/organization",
		Help:            "Organizations and their OV/EV/code signing validations with expiry (GET /organization?include_validation=true).",
		Permission: "reading organizations needs a key with no restriction, View Only or " +
			"Orders, Domains, Organizations, linked to an Administrator or Manager (an Orders-only or User Management key cannot read them)",
		New: func(c *certcentral.Client, o Options) Collector {
			return &organizationsCollector{client: c, opts: o.Organizations}
		},
	})
}

// Validation states, as the validation_status label: what the validation means for issuance,
// judged from validated_until and the API's status word.
const (
	validationValid   = "valid"   // usable for issuance
	validationPending = "pending" // submitted, not (yet) validated: no dates
	validationExpired = "expired" // lapsed: orders needing it wait until it is redone
	validationUnknown = "unknown" // a status word we do not know and no date to judge by
)

var (
	validationStates = []string{validationValid, validationPending, validationExpired}
	// orgStatuses and orgValidationTypes are always exported, so that graphs start at 0.
	orgStatuses        = []string{"active", "inactive"}
	orgValidationTypes = []string{"ov", "ev"}
)

var (
	organizationsDesc = newDesc("organizations",
		"Number of organizations by status, as CertCentral words it (active, inactive; other words are kept).", "status")
	organizationValidationsDesc = newDesc("organization_validations",
		"Number of validations of active organizations by validation type (ov, ev, cs, ev_cs, ...) and state: valid, pending (submitted, not validated yet) or expired (lapsed: orders needing it are blocked).",
		"validation_type", "validation_status")
	organizationInfoDesc = newDesc("organization_info", "Descriptive labels of an active organization; always 1.",
		"organization_id", "organization", "status", "division")
	organizationValidationStatusDesc = newDesc("organization_validation_status",
		"State of an active organization's validation of one type: one series with value 1, labelled with the state (valid, pending, expired).",
		"organization_id", "organization", "validation_type", "validation_status")
	organizationValidationExpiryDesc = newDesc("organization_validation_expiry_timestamp_seconds",
		"When an active organization's validation of one type lapses (validated_until), as a Unix timestamp; absent for pending validations, which have no date.",
		"organization_id", "organization", "validation_type")
)

// orgValidation is the state of one validation type of one organization, merged over every
// validation of that type the API lists (an old expired OV beside its renewal, say).
type orgValidation struct {
	typ   string
	state string
	until time.Time // latest validated_until of the type; zero when none has a date
}

// mergeValidations folds an organization's validations into one state per type: valid when
// any is valid; else expired when any lapsed (a pending revalidation does not unblock
// issuance); else pending; else unknown.
func mergeValidations(vs []certcentral.OrganizationValidation, types *boundedLabel, now time.Time) []orgValidation {
	rank := map[string]int{validationValid: 3, validationExpired: 2, validationPending: 1, validationUnknown: 0}
	var out []orgValidation
	index := map[string]int{}
	for _, v := range vs {
		typ := types.value(v.Type, "unknown")
		state := validationState(v, now)
		i, ok := index[typ]
		if !ok {
			index[typ] = len(out)
			out = append(out, orgValidation{typ: typ, state: state, until: v.ValidatedUntil})
			continue
		}
		if rank[state] > rank[out[i].state] {
			out[i].state = state
		}
		if v.ValidatedUntil.After(out[i].until) {
			out[i].until = v.ValidatedUntil
		}
	}
	return out
}

// validationState judges one validation. The date wins over the status word: an "active"
// validation whose validated_until has passed is expired.
func validationState(v certcentral.OrganizationValidation, now time.Time) string {
	switch {
	case v.Status == "pending":
		return validationPending
	case v.Status == "expired":
		return validationExpired
	case !v.ValidatedUntil.IsZero() && !v.ValidatedUntil.After(now):
		return validationExpired
	case !v.ValidatedUntil.IsZero(), v.Status == "active":
		return validationValid
	}
	return validationUnknown
}

type organizationsCollector struct {
	client *certcentral.Client
	opts   OrganizationsOptions
}

type orgItem struct {
	o           certcentral.Organization
	validations []orgValidation
}

func (c *organizationsCollector) Collect(ctx context.Context, out *Output) error {
	now := nowFunc(c.opts.Now)()
	statuses, types := newBoundedLabel(), newBoundedLabel()
	byStatus := map[string]int{}
	for _, s := range orgStatuses {
		byStatus[statuses.value(s, "")] += 0
	}
	type typeState struct{ typ, state string }
	validations := map[typeState]int{}
	for _, t := range orgValidationTypes {
		for _, s := range validationStates {
			validations[typeState{types.value(t, ""), s}] += 0
		}
	}
	facts := organizationFacts{expired: map[int64]expiredOrg{}}
	perOrg := newRanked[orgItem](capOr(c.opts.MaxOrganizations, DefaultMaxOrganizations))
	noID := 0
	stats, err := c.client.ListOrganizations(ctx, func(o certcentral.Organization) {
		out.problems(o.Problems)
		o.Status = statuses.value(o.Status, "unknown")
		byStatus[o.Status]++
		if !o.Active {
			return // an inactive organization cannot be ordered for: its validations block nothing
		}
		vs := mergeValidations(o.Validations, types, now)
		urgency, soonest := 2.0, soonestUntil(vs)
		for _, v := range vs {
			validations[typeState{v.typ, v.state}]++
			switch v.state {
			case validationExpired:
				urgency = 0
				facts.addExpired(o, v.typ)
			case validationPending, validationUnknown:
				urgency = min(urgency, 1)
			}
		}
		if o.ID == 0 { // no id to tell its series from another's (counted as unparsed)
			noID++
			return
		}
		perOrg.add(orgItem{o, vs}, urgency, soonest, o.ID)
	})
	out.addList(stats)
	if err != nil {
		return err
	}
	for s, n := range byStatus {
		out.gauge(organizationsDesc, float64(n), s)
	}
	for k, n := range validations {
		out.gauge(organizationValidationsDesc, float64(n), k.typ, k.state)
	}
	out.facts = facts

	kept, dropped := perOrg.top()
	out.dropped += dropped + noID
	seen := map[int64]bool{} // one series set per id, whatever the API repeats
	for _, it := range kept {
		o := it.o
		if seen[o.ID] {
			continue
		}
		seen[o.ID] = true
		id := strconv.FormatInt(o.ID, 10)
		out.gauge(organizationInfoDesc, 1, id, o.Name, o.Status, o.Division)
		for _, v := range it.validations {
			out.gauge(organizationValidationStatusDesc, 1, id, o.Name, v.typ, v.state)
			if !v.until.IsZero() {
				out.gauge(organizationValidationExpiryDesc, float64(v.until.Unix()), id, o.Name, v.typ)
			}
		}
	}
	return nil
}

// soonestUntil is the earliest validated_until of the validations, +Inf if none has a date.
func soonestUntil(vs []orgValidation) float64 {
	ts := make([]time.Time, 0, len(vs))
	for _, v := range vs {
		ts = append(ts, v.until)
	}
	return soonest(ts...)
}
