package simulator

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// certJSON is an order's certificate. Dates and serial are omitted for
// orders never issued (pending, rejected, ...).
type certJSON struct {
	ID            int      `json:"id"`
	CommonName    string   `json:"common_name"`
	DNSNames      []string `json:"dns_names"`
	ValidFrom     string   `json:"valid_from,omitempty"`
	ValidTill     string   `json:"valid_till,omitempty"`
	DaysRemaining *int     `json:"days_remaining,omitempty"`
	SerialNumber  string   `json:"serial_number,omitempty"`
	SignatureHash string   `json:"signature_hash"`
}

type productRefJSON struct {
	NameID string `json:"name_id"`
	Name   string `json:"name"`
	Type   string `json:"type"`
}

type orderJSON struct {
	ID                          int            `json:"id"`
	Certificate                 certJSON       `json:"certificate"`
	Status                      string         `json:"status"`
	IsRenewed                   bool           `json:"is_renewed"`
	DateCreated                 string         `json:"date_created"`
	Organization                idNameJSON     `json:"organization"`
	ValidityYears               int            `json:"validity_years"`
	DisableRenewalNotifications bool           `json:"disable_renewal_notifications"`
	Container                   idNameJSON     `json:"container"`
	Product                     productRefJSON `json:"product"`
	HasDuplicates               bool           `json:"has_duplicates"`
	Price                       *float64       `json:"price,omitempty"`
	ProductNameID               string         `json:"product_name_id"`
	// IsMultiYearPlan is the string "1"/"0" on the wire.
	IsMultiYearPlan string `json:"is_multi_year_plan"`
	OrderValidTill  string `json:"order_valid_till,omitempty"`
}

// renderOrders answers GET /order/certificate with filters[status],
// filters[valid_till] (">DATE", "<DATE", ">=DATE", "<=DATE", "A...B" or an
// exact date), filters[id], filters[product_name_id], filters[common_name],
// filters[is_renewed] and container_id, sorted by id unless sort names date_created or id
// (a "-" before a key sorts it descending, keys separated by commas; other keys are ignored).
func renderOrders(ds *Dataset, q url.Values, now time.Time) response {
	limit, offset := pageParams(q)
	status := q.Get("filters[status]")
	validTill := validTillMatcher(q.Get("filters[valid_till]"))
	id, _ := strconv.Atoi(q.Get("filters[id]"))
	product := q.Get("filters[product_name_id]")
	cn := q.Get("filters[common_name]")
	renewed := q.Get("filters[is_renewed]")
	containerID, _ := strconv.Atoi(q.Get("container_id"))
	match := func(o *Order) bool {
		switch {
		case status != "" && o.Status != status,
			id != 0 && o.ID != id,
			product != "" && o.ProductNameID != product,
			cn != "" && o.CommonName != cn,
			renewed != "" && renewed != boolString(o.IsRenewed),
			containerID != 0 && o.ContainerID != containerID:
			return false
		}
		return validTill(o)
	}
	var items []*Order
	var total int
	if less := orderSort(q.Get("sort")); less != nil {
		all, n := pageOf(ds.Orders, match, len(ds.Orders), 0)
		slices.SortStableFunc(all, less)
		items, total = all[min(offset, n):min(offset+limit, n)], n
	} else {
		items, total = pageOf(ds.Orders, match, limit, offset)
	}
	body := struct {
		Orders []orderJSON `json:"orders,omitempty"`
		Page   pageJSON    `json:"page"`
	}{Page: pageJSON{total, limit, offset}}
	for _, o := range items {
		body.Orders = append(body.Orders, renderOrder(o, now))
	}
	return okJSON(body)
}

// orderSort compares orders by the keys of a sort parameter ("-date_created", "id"); nil
// when it names none the simulator sorts by (the id order is kept).
func orderSort(param string) func(a, b *Order) int {
	var keys []func(a, b *Order) int
	for _, k := range strings.Split(param, ",") {
		k = strings.TrimSpace(k)
		desc := strings.HasPrefix(k, "-")
		var by func(a, b *Order) int
		switch strings.TrimPrefix(k, "-") {
		case "date_created":
			by = func(a, b *Order) int { return a.Created.Compare(b.Created) }
		case "id":
			by = func(a, b *Order) int { return cmp.Compare(a.ID, b.ID) }
		default:
			continue
		}
		if desc {
			asc := by
			by = func(a, b *Order) int { return asc(b, a) }
		}
		keys = append(keys, by)
	}
	if len(keys) == 0 {
		return nil
	}
	return func(a, b *Order) int {
		for _, k := range keys {
			if c := k(a, b); c != 0 {
				return c
			}
		}
		return 0
	}
}

// validTillMatcher compares YYYY-MM-DD strings, which order like dates. A
// range's datetimes ("2024-01-01+00:00:00") are cut to their date.
func validTillMatcher(f string) func(*Order) bool {
	if f == "" {
		return func(*Order) bool { return true }
	}
	date := func(o *Order) (string, bool) {
		if o.ValidTill == nil {
			return "", false
		}
		return fmtUTCDate(*o.ValidTill), true
	}
	cut := func(s string) string { return s[:min(len(s), 10)] }
	var cmp func(string) bool
	switch {
	case strings.HasPrefix(f, ">="):
		v := cut(f[2:])
		cmp = func(d string) bool { return d >= v }
	case strings.HasPrefix(f, "<="):
		v := cut(f[2:])
		cmp = func(d string) bool { return d <= v }
	case strings.HasPrefix(f, ">"):
		v := cut(f[1:])
		cmp = func(d string) bool { return d > v }
	case strings.HasPrefix(f, "<"):
		v := cut(f[1:])
		cmp = func(d string) bool { return d < v }
	case strings.Contains(f, "..."):
		lo, hi, _ := strings.Cut(f, "...")
		lo, hi = cut(lo), cut(hi)
		cmp = func(d string) bool { return d >= lo && d <= hi }
	default:
		v := cut(f)
		cmp = func(d string) bool { return d == v }
	}
	return func(o *Order) bool {
		d, ok := date(o)
		return ok && cmp(d)
	}
}

func renderOrder(o *Order, now time.Time) orderJSON {
	j := orderJSON{
		ID: o.ID, Status: o.Status, IsRenewed: o.IsRenewed, DateCreated: fmtDateTime(o.Created),
		Certificate: certJSON{
			ID: o.CertificateID, CommonName: o.CommonName, DNSNames: o.DNSNames,
			SignatureHash: "sha256",
		},
		Organization:    idNameJSON{o.OrgID, o.OrgName},
		ValidityYears:   o.ValidityYears,
		Container:       idNameJSON{o.ContainerID, o.ContainerName},
		Product:         productRefJSON{o.ProductNameID, o.ProductName, o.ProductType},
		ProductNameID:   o.ProductNameID,
		IsMultiYearPlan: boolString(o.MultiYearPlan),
	}
	if !o.NoPrice {
		price := o.Price
		j.Price = &price
	}
	if j.Certificate.DNSNames == nil {
		j.Certificate.DNSNames = []string{}
	}
	if o.ValidTill != nil {
		j.Certificate.ValidTill = fmtUTCDate(*o.ValidTill)
		j.Certificate.SerialNumber = o.SerialNumber
		// days_remaining counts calendar days (UTC) and never goes negative
		// here; the real value for expired certificates is undocumented and
		// valid_till is the field clients should use.
		days := max(0, int(utcMidnight(*o.ValidTill).Sub(utcMidnight(now))/day))
		j.Certificate.DaysRemaining = &days
		j.OrderValidTill = j.Certificate.ValidTill
		if o.ValidFrom != nil {
			j.Certificate.ValidFrom = fmtUTCDate(*o.ValidFrom)
			if o.MultiYearPlan {
				// A Multi-year Plan's order outlives its certificate.
				j.OrderValidTill = fmtUTCDate(o.ValidFrom.AddDate(3, 0, 0))
			}
		}
		if o.PlanValidTill != nil {
			j.OrderValidTill = fmtUTCDate(*o.PlanValidTill)
		}
	}
	return j
}

func utcMidnight(t time.Time) time.Time {
	return time.Date(t.UTC().Year(), t.UTC().Month(), t.UTC().Day(), 0, 0, 0, 0, time.UTC)
}
