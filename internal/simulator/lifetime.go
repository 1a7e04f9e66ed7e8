package simulator

import (
	"strings"
	"time"
)

// tlsValidity is the longest public TLS certificate DigiCert issues from each date on: the
// CA/Browser Forum's ballot SC-081 limits of 200, 100 and 47 days, which DigiCert applied as
// 199 days from 2026-02-24 (monitoring-needs.md §1.12). Before: 397 days. Latest first.
var tlsValidity = []struct {
	from time.Time
	days int
}{
	{time.Date(2029, 3, 15, 0, 0, 0, 0, time.UTC), 47},
	{time.Date(2027, 3, 15, 0, 0, 0, 0, time.UTC), 100},
	{time.Date(2026, 2, 24, 0, 0, 0, 0, time.UTC), 199},
}

const (
	legacyTLSDays = 397
	// otherDays: code signing, client, document signing and private certificates are not
	// bound by the TLS limits; the simulator gives them a year and a month.
	otherDays = 396
)

// isPublicTLS says whether a product's certificates are public TLS ones (ssl_*; private_ssl_*
// is not public).
func isPublicTLS(nameID string) bool { return strings.HasPrefix(nameID, "ssl_") }

// lifetimeFrom is the longest certificate of the product issued at t.
func lifetimeFrom(nameID string, t time.Time) time.Duration {
	if !isPublicTLS(nameID) {
		return otherDays * day
	}
	for _, v := range tlsValidity {
		if !t.Before(v.from) {
			return time.Duration(v.days) * day
		}
	}
	return legacyTLSDays * day
}

// lifetimeEnding is the validity of a certificate of the product that expires at till, issued
// with the longest lifetime allowed when it was issued, and not after now (a scenario that
// asks for more than the limit gets a certificate issued now).
func lifetimeEnding(nameID string, till, now time.Time) time.Duration {
	life := otherDays * day
	if isPublicTLS(nameID) {
		life = legacyTLSDays * day
		for _, v := range tlsValidity {
			d := time.Duration(v.days) * day
			if !till.Add(-d).Before(v.from) {
				life = d
				break
			}
		}
	}
	if from := till.Add(-life); from.After(now) {
		life = till.Sub(now)
	}
	return life
}
