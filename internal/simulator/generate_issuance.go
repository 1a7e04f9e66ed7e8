package simulator

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// genIssuance adds organizations with their validations, the approval queue and API keys to
// a generated dataset. It draws from its own random stream, so that the users, domains and
// orders of a seed stay what they were before these existed.
//
// Proportions, per the sizes of real accounts: organizations are legal entities (the three
// the domains and orders use, plus one per 250 users); about one order in 200 waits for an
// approver, as many requests are already processed; one API key per 25 users plus two, a
// fifth of them ACME directory URLs.
func genIssuance(seed int64, d *Dataset, orgs []org, now time.Time) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x632be59bd9b4e019))
	d.Organizations = genOrganizations(rng, d, orgs, now)
	d.Requests = genRequests(rng, d, now)
	d.APIKeys = genKeys(rng, d, now)
}

func genOrganizations(rng *rand.Rand, d *Dataset, orgs []org, now time.Time) []Organization {
	acct := d.Account
	all := append([]org(nil), orgs...)
	for i := range len(d.Users) / 250 {
		all = append(all, org{acct.PrimaryOrganizationID + 3 + i, fmt.Sprintf("%s %s Holdings %d",
			lastNames[rng.IntN(len(lastNames))], lastNames[rng.IntN(len(lastNames))], i+1), rng.IntN(20) != 0})
	}
	out := make([]Organization, len(all))
	for i, o := range all {
		org := Organization{ID: o.id, Name: o.name, Active: o.active, ContainerID: acct.RootContainerID, ContainerName: acct.RootContainerName}
		// OV lapses anywhere from 60 days ago to a full reuse period ahead (about one in
		// eight lapsed); the primary organization is kept valid.
		ovDays := -60 + rng.IntN(457)
		if i == 0 {
			ovDays = 120 + rng.IntN(277)
		}
		org.Validations = append(org.Validations, datedValidation("ov", now.Add(time.Duration(ovDays)*day)))
		switch r := rng.IntN(100); {
		case i == 0 || r < 25: // EV lapses before OV: 13 months of reuse at most
			org.Validations = append(org.Validations, datedValidation("ev", now.Add(time.Duration(ovDays-rng.IntN(30))*day)))
		case r < 30:
			org.Validations = append(org.Validations, OrgValidation{Type: "ev"}) // submitted, pending
		}
		if rng.IntN(10) == 0 {
			org.Validations = append(org.Validations, datedValidation("cs", now.Add(time.Duration(-30+rng.IntN(427))*day)))
		}
		// About one in ten renders is_active as "1"/"0", as domains do.
		org.IsActiveString = rng.IntN(10) == 0
		out[i] = org
	}
	return out
}

func datedValidation(typ string, until time.Time) OrgValidation {
	until = until.Truncate(time.Second)
	created := until.Add(-orgValidationReuse)
	return OrgValidation{Type: typ, Created: &created, ValidatedUntil: &until}
}

func genRequests(rng *rand.Rand, d *Dataset, now time.Time) []Request {
	pending := len(d.Orders) / 200
	out := make([]Request, 0, 2*pending)
	for i := range 2 * pending {
		p, _ := catalogProduct(orderProducts[rng.IntN(len(orderProducts))])
		o := d.Organizations[weightedOrg(rng)]
		// Pending requests are mostly hours old, a few wait for days; processed ones are older.
		f := rng.Float64()
		age := time.Duration(f * f * float64(10*day))
		r := Request{
			ID: requestIDBase + i + 1, Type: "new_request", Status: "pending",
			OrderID: requestOrderIDBase + i + 1, OrgID: o.ID, OrgName: o.Name,
			ContainerID: d.Account.RootContainerID, ContainerName: d.Account.RootContainerName,
			ProductNameID: p.NameID, ProductName: p.Name, ProductType: p.Type,
			CommonName:  fmt.Sprintf("req%d.%s", i+1, baseNames[rng.IntN(len(baseNames))]),
			RequesterID: d.Users[rng.IntN(len(d.Users))].ID,
		}
		if i >= pending {
			r.Status = []string{"approved", "rejected"}[rng.IntN(2)]
			r.ProcessorID = d.KeyOwnerID
			age += 10 * day
		}
		if rng.IntN(20) == 0 { // anonymous: no requester, no certificate yet
			r.RequesterID, r.CommonName = 0, ""
		}
		r.Date = now.Add(-age).Truncate(time.Second)
		out = append(out, r)
	}
	return out
}

var genRestrictions = []Restriction{
	RestrictionViewOnly, RestrictionViewOnly, RestrictionViewOnly, RestrictionViewOnly,
	RestrictionNone, RestrictionNone, RestrictionOrders, RestrictionOrders,
	RestrictionOrdersDomainsOrganizations, RestrictionUserManagement,
}

func genKeys(rng *rand.Rand, d *Dataset, now time.Time) []APIKey {
	n := len(d.Users)/25 + 2
	out := make([]APIKey, n)
	for i := range out {
		k := APIKey{
			ID: keyIDBase + i + 1, Name: fmt.Sprintf("key %d", i+1), Status: "active",
			UserID:      d.Users[rng.IntN(len(d.Users))].ID,
			Restriction: genRestrictions[rng.IntN(len(genRestrictions))],
			Created:     now.Add(-time.Duration(1+rng.IntN(1500)) * day).Truncate(time.Second),
			Legacy:      rng.IntN(20) == 0,
		}
		switch r := rng.IntN(100); {
		case i == 0: // the exporter's own key: view only, in use
			k.UserID, k.Restriction = d.KeyOwnerID, RestrictionViewOnly
			t := now.Add(-time.Minute)
			k.LastUsed = &t
		case r < 70:
			t := now.Add(-time.Duration(rng.IntN(30*86400)) * time.Second)
			k.LastUsed = &t
		case r < 85:
			t := now.Add(-time.Duration(30*86400+rng.IntN(370*86400)) * time.Second)
			k.LastUsed = &t
		}
		if k.LastUsed != nil && k.LastUsed.Before(k.Created) {
			k.Created = k.LastUsed.Add(-day)
		}
		if rng.IntN(10) == 0 {
			k.Status = "revoked"
		}
		if rng.IntN(33) == 0 {
			k.UserID = userIDBase + 900_000 + i // a user who has left the account
		}
		if i > 0 && rng.IntN(5) == 0 {
			p, _ := catalogProduct(orderProducts[rng.IntN(len(orderProducts))])
			o := d.Organizations[weightedOrg(rng)]
			k.Name = fmt.Sprintf("ACME %d", i+1)
			k.Restriction = RestrictionNone
			k.ACME = &ACMEDirectory{
				URL: "******" + opaque(fmt.Sprint("acme", k.ID), 4), ProductNameID: p.NameID, ProductName: p.Name,
				OrgID: o.ID, OrgName: o.Name, ValidityYears: 1,
			}
		}
		out[i] = k
	}
	return out
}
