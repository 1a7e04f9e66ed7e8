package simulator

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Sizes says how many records Generate makes.
type Sizes struct {
	Users, Domains, Orders int
}

const (
	day = 24 * time.Hour
	// dcvReuse is the 397-day DCV reuse period after which a validation lapses.
	dcvReuse = 397 * day

	userIDBase   = 2_700_000
	domainIDBase = 3_100_000
	orderIDBase  = 11_000_000
	certIDBase   = 21_000_000
)

// defaultAccount is the account every generated or scenario dataset starts
// from; values are shaped like the real /account recording.
func defaultAccount() Account {
	return Account{
		ID:                         1696530,
		PrimaryOrganizationID:      612345,
		PrimaryOrganizationName:    "Example Corp",
		PrimaryOrganizationCountry: "us",
		RootContainerID:            287754,
		RootContainerName:          "Example Corp",
		CertCentralType:            "enterprise",
		BillingAccountID:           1234567,
		BillingAccountName:         "Example Corp",
		DefaultCountry:             "us",
	}
}

type org struct {
	id     int
	name   string
	active bool
}

var (
	firstNames = []string{"Alice", "Bob", "Carla", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kira", "Liam", "Maya", "Nico", "Olga", "Pablo", "Quinn", "Rosa", "Sven", "Tara"}
	lastNames  = []string{"Anders", "Brown", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ivanova", "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Patel", "Rossi", "Schmidt", "Tanaka", "Weber"}
	jobTitles  = []string{"Security Engineer", "IT Manager", "SRE", "Network Administrator", "Accountant", "Developer", "CISO", "Platform Engineer"}
	baseNames  = []string{"example.com", "example.net", "example.org", "acme-corp.com", "widgets.io", "contoso.test", "shop.example", "internal.example"}
	subLabels  = []string{"www", "api", "app", "mail", "vpn", "portal", "cdn", "auth", "git", "status"}
	dcvMethods = []string{"email", "email", "dns-txt-token", "dns-txt-token", "dns-cname-token", "http-token"}
	// orderProducts weights SSL products over the rest, as real accounts do.
	orderProducts = []string{"ssl_plus", "ssl_plus", "ssl_plus", "ssl_multi_domain", "ssl_multi_domain", "ssl_wildcard", "ssl_ev_basic", "ssl_dv_geotrust", "code_signing", "client_premium", "private_ssl_plus"}
	prices        = map[string]float64{"ssl_plus": 218, "ssl_multi_domain": 293, "ssl_wildcard": 688, "ssl_ev_basic": 344, "ssl_dv_geotrust": 99, "code_signing": 474, "code_signing_ev": 699, "client_premium": 149, "document_signing_org_1": 479, "private_ssl_plus": 0}
)

// Generate builds a deterministic, realistic dataset: the same seed, sizes
// and now always give the same Dataset. Users is raised to 1 when smaller,
// because every API key must belong to a user.
func Generate(seed int64, sizes Sizes, now time.Time) *Dataset {
	now = now.UTC().Truncate(time.Second)
	// A fixed second word keeps streams of different seeds unrelated while
	// staying reproducible.
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	acct := defaultAccount()
	orgs := []org{
		{acct.PrimaryOrganizationID, acct.PrimaryOrganizationName, true},
		{acct.PrimaryOrganizationID + 1, "Example Europe GmbH", true},
		{acct.PrimaryOrganizationID + 2, "Old Subsidiary Ltd", false},
	}
	d := &Dataset{Account: acct, Products: Catalog()}
	d.Users = genUsers(rng, max(sizes.Users, 1), now, acct)
	d.KeyOwnerID = d.Users[0].ID
	d.Domains = genDomains(rng, sizes.Domains, now, acct, orgs)
	d.Orders = genOrders(rng, sizes.Orders, now, acct, orgs, d.Domains)
	d.Balance = Balance{
		Balance:              Money(rng.IntN(50_000)) * 100,
		UnpaidInvoice:        Money(rng.IntN(3) * rng.IntN(100_000)),
		NegativeBalanceLimit: 200_000,
		Currency:             "USD",
	}
	genIssuance(seed, d, orgs, now)
	return d
}

func genUsers(rng *rand.Rand, n int, now time.Time, acct Account) []User {
	users := make([]User, n)
	for i := range users {
		fn := firstNames[rng.IntN(len(firstNames))]
		ln := lastNames[rng.IntN(len(lastNames))]
		email := fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(fn), strings.ToLower(ln), i+1)
		u := User{
			ID: userIDBase + i + 1, Username: email, Email: email,
			FirstName: fn, LastName: ln, Status: "active", Type: "standard",
			ContainerID: acct.RootContainerID, ContainerName: acct.RootContainerName,
		}
		switch r := rng.IntN(100); {
		case i == 0 || r < 3: // the key owner is always an administrator
			u.RoleIDs = []int{RoleAdministrator}
		case r < 6:
			u.RoleIDs = []int{RoleFinanceManager}
		case r < 10:
			u.RoleIDs = []int{RoleLimitedUser}
		case r < 40:
			u.RoleIDs = []int{RoleManager}
		default:
			u.RoleIDs = []int{RoleStandardUser}
		}
		if rng.IntN(2) == 0 {
			u.JobTitle = jobTitles[rng.IntN(len(jobTitles))]
		}
		if rng.IntN(5) < 2 {
			u.Telephone = fmt.Sprintf("+1801555%04d", rng.IntN(10000))
		}
		// ~10% never signed in; the key owner signed in recently.
		if i == 0 || rng.IntN(10) != 0 {
			// Squaring skews logins towards the recent past, spread over a year.
			f := rng.Float64()
			ago := time.Duration(f * f * float64(365*day))
			if i == 0 {
				ago = time.Duration(rng.IntN(48)) * time.Hour
			}
			t := now.Add(-ago).Truncate(time.Second)
			u.LastLogin = &t
			u.LastLoginLegacyFormat = rng.IntN(100) < 15
		}
		users[i] = u
	}
	return users
}

func genDomains(rng *rand.Rand, n int, now time.Time, acct Account, orgs []org) []Domain {
	domains := make([]Domain, n)
	for i := range domains {
		o := orgs[weightedOrg(rng)]
		dom := Domain{
			ID:        domainIDBase + i + 1,
			Name:      fmt.Sprintf("%s%d.%s", subLabels[rng.IntN(len(subLabels))], i+1, baseNames[rng.IntN(len(baseNames))]),
			IsActive:  rng.IntN(100) >= 5,
			Created:   now.Add(-time.Duration(30+rng.IntN(1500))*day - time.Duration(rng.IntN(86400))*time.Second),
			DCVMethod: dcvMethods[rng.IntN(len(dcvMethods))],
			OrgID:     o.id, OrgName: o.name, OrgActive: o.active,
			ContainerID: acct.RootContainerID, ContainerName: acct.RootContainerName,
		}
		var ov time.Time
		switch r := rng.IntN(100); {
		case r < 10: // pending: submitted recently, never validated
			dom.Created = now.Add(-time.Duration(rng.IntN(30*86400)) * time.Second)
		case r < 20: // DCV lapsed between 1 and 300 days ago
			ov = now.Add(-time.Duration(1+rng.IntN(300))*day - time.Duration(rng.IntN(86400))*time.Second)
		default: // validated, lapsing within the reuse period (~7% within 30 days)
			ov = now.Add(time.Duration(rng.IntN(397))*day + time.Duration(1+rng.IntN(86400))*time.Second)
		}
		if !ov.IsZero() {
			dom.OVExpiry = &ov
			approved := ov.Add(-dcvReuse)
			dom.DCVApproved = &approved
			if approved.Before(dom.Created) {
				dom.Created = approved.Add(-time.Duration(1+rng.IntN(90)) * day)
			}
			if rng.IntN(4) == 0 {
				// EV validation reuse is shorter (13 months), so it lapses first.
				ev := ov.Add(-time.Duration(rng.IntN(30)) * day)
				dom.EVExpiry = &ev
			}
		}
		domains[i] = dom
	}
	return domains
}

// weightedOrg picks mostly the primary organization.
func weightedOrg(rng *rand.Rand) int {
	switch r := rng.IntN(100); {
	case r < 80:
		return 0
	case r < 97:
		return 1
	default:
		return 2
	}
}

// genOrders makes orders as accounts hold them in the 200-day world: an order is a plan of
// one year (three in a quarter of them, Multi-year Plans) created some time in the last three
// years, holding a chain of certificates, each as long as its product allowed when it was
// issued (lifetime.go) and reissued 30 days before it expires (auto-renew's lead), the last
// one cut at the plan's end. The current certificate is the one covering now, or the plan's
// last. So valid_till spreads over the next 199 days for recent plans (397 for certificates
// issued before 2026-02-24), and years into the past for plans that ended.
func genOrders(rng *rand.Rand, n int, now time.Time, acct Account, orgs []org, domains []Domain) []Order {
	orders := make([]Order, n)
	for i := range orders {
		p, _ := catalogProduct(orderProducts[rng.IntN(len(orderProducts))])
		o := orgs[weightedOrg(rng)]
		cn := fmt.Sprintf("host%d.%s", i+1, baseNames[rng.IntN(len(baseNames))])
		if len(domains) > 0 {
			cn = domains[rng.IntN(len(domains))].Name
		}
		ord := Order{
			ID: orderIDBase + i + 1, CommonName: cn, DNSNames: []string{cn},
			ProductNameID: p.NameID, ProductName: p.Name, ProductType: p.Type,
			OrgID: o.id, OrgName: o.name,
			ContainerID: acct.RootContainerID, ContainerName: acct.RootContainerName,
			Price: prices[p.NameID], CertificateID: certIDBase + i + 1, ValidityYears: 1,
			MultiYearPlan: rng.IntN(4) == 0,
		}
		if p.NameID == "ssl_multi_domain" {
			ord.DNSNames = append(ord.DNSNames, "alt"+ord.DNSNames[0])
		}
		issued := true
		switch r := rng.IntN(100); {
		case r < 75:
			ord.Status = "issued"
		case r < 78:
			ord.Status, issued = "pending", false
		case r < 79:
			ord.Status, issued = "needs_approval", false
		case r < 81:
			ord.Status = "reissue_pending"
		case r < 84:
			ord.Status, issued = "rejected", false
		case r < 89:
			ord.Status = "revoked"
		case r < 94:
			ord.Status, issued = "canceled", false
		default:
			ord.Status = "expired"
		}
		years := 1
		if ord.MultiYearPlan {
			years = 3
		}
		ord.Price *= float64(years)
		switch r := rng.IntN(100); {
		case r < 5: // accounts on contract pricing send none
			ord.NoPrice = true
		case r < 20: // discounts make cents
			ord.Price = float64(int(ord.Price*85)) / 100
		}
		if issued {
			genCertificate(rng, &ord, now, years)
		} else {
			ord.Created = now.Add(-waitingFor(rng))
		}
		orders[i] = ord
	}
	return orders
}

// waitingFor is how long a waiting order or reissue has waited: most a few hours, a quarter
// of them days (stuck on DCV, an approver, a CAA record).
func waitingFor(rng *rand.Rand) time.Duration {
	if rng.IntN(4) == 0 {
		return time.Duration(rng.IntN(60*86400)) * time.Second
	}
	return time.Duration(rng.IntN(20*3600)) * time.Second
}

// genCertificate gives an issued order its plan and current certificate.
func genCertificate(rng *rand.Rand, ord *Order, now time.Time, years int) {
	var created, from, till, planEnd time.Time
	switch ord.Status {
	case "reissue_pending":
		// Requested 30 days before the current certificate expires, and waiting since.
		till = endOfDay(now.Add(-waitingFor(rng)).Add(30 * day))
		from = till.Add(-lifetimeEnding(ord.ProductNameID, till, now)).Truncate(day)
		created = from.Add(-time.Duration(rng.IntN(120)) * day)
		planEnd = endOfDay(created.AddDate(years, 0, 0))
		if planEnd.Before(till.Add(30 * day)) {
			planEnd = endOfDay(created.AddDate(years+1, 0, 0))
		}
	default:
		created = now.Add(-time.Duration(rng.Int64N(int64(3 * 365 * day))))
		planEnd = endOfDay(created.AddDate(years, 0, 0))
		from = created.Truncate(day)
		for {
			till = endOfDay(from.Add(lifetimeFrom(ord.ProductNameID, from)))
			if !till.Before(planEnd) {
				till = planEnd
				break
			}
			reissue := till.Add(-30 * day).Truncate(day)
			if reissue.After(now) {
				break
			}
			from = reissue
		}
		if ord.Status == "expired" && till.After(now) {
			till = endOfDay(now.Add(-time.Duration(1+rng.IntN(700)) * day))
			from = till.Add(-lifetimeFrom(ord.ProductNameID, till)).Truncate(day)
			created, planEnd = from.Add(-day), till
		}
	}
	ord.Created, ord.ValidFrom, ord.ValidTill = created, &from, &till
	if planEnd.After(till) || ord.MultiYearPlan {
		ord.PlanValidTill = &planEnd
	}
	ord.SerialNumber = fmt.Sprintf("%016X%016X", rng.Uint64(), rng.Uint64())
	// A plan that ended or ends within 30 days was renewed by a new order about half the time.
	ord.IsRenewed = ord.Status == "issued" && planEnd.Before(now.Add(30*day)) && rng.IntN(2) == 0
}

func endOfDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 59, 0, time.UTC)
}
