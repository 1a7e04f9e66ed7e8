package simulator

import (
	"time"
	// The simulator must render Mountain-Time dates even in a FROM-scratch
	// image without /usr/share/zoneinfo, so the zone database is embedded.
	_ "time/tzdata"
)

// denver is the zone CertCentral uses for its date-only DCV fields and for
// the legacy last_login_date format.
var denver = func() *time.Location {
	loc, err := time.LoadLocation("America/Denver")
	if err != nil {
		panic("simulator: cannot load America/Denver: " + err.Error())
	}
	return loc
}()

// Denver returns the America/Denver location used for Mountain-Time fields,
// so tests can compute expected dates the same way.
func Denver() *time.Location { return denver }

const (
	// layoutDateTime is the API's UTC timestamp form: "2020-04-26T15:32:47+00:00".
	// Go's RFC3339 would print "Z" for UTC, which the API never does.
	layoutDateTime = "2006-01-02T15:04:05+00:00"
	layoutDate     = "2006-01-02"
	layoutLegacy   = "2006-01-02 15:04:05"
)

// fmtDateTime renders an instant in UTC the way the API does.
func fmtDateTime(t time.Time) string { return t.UTC().Format(layoutDateTime) }

// fmtDenverDate renders the America/Denver calendar date of an instant.
func fmtDenverDate(t time.Time) string { return t.In(denver).Format(layoutDate) }

// fmtUTCDate renders the UTC calendar date of an instant (certificate
// valid_from/valid_till, whose zone the API does not state).
func fmtUTCDate(t time.Time) string { return t.UTC().Format(layoutDate) }

// denverMidnight is the start of the Denver calendar day holding t; it is
// what validations[].validated_until shows (06:00 or 07:00 UTC).
func denverMidnight(t time.Time) time.Time {
	d := t.In(denver)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, denver)
}

// fmtLastLogin renders last_login_date in either of the two formats the
// API has used.
func fmtLastLogin(t time.Time, legacy bool) string {
	if legacy {
		return t.In(denver).Format(layoutLegacy)
	}
	return fmtDateTime(t)
}
