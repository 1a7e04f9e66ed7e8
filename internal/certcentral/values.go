package certcentral

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // Mountain Time must load in a FROM-scratch image with no zoneinfo on disk.
)

// The flex types below never fail to decode. A value they cannot read sets Bad and leaves the
// value unset, and the item that holds it names the field in its Problems: the object is kept
// and the collector counts the value in certcentral_collector_unparsed_values, instead of one
// odd value failing the whole list (which a decoding error would).

// flexBool accepts true/false, "1"/"0", "true"/"false" and 1/0: organization.is_active is the
// string "1" in real data and a bool in an old fixture.
type flexBool struct {
	Value bool
	Valid bool
	Bad   bool // a value was sent that is none of the above
}

func (f *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	switch strings.ToLower(s) {
	case "true", "1":
		*f = flexBool{Value: true, Valid: true}
	case "false", "0":
		*f = flexBool{Value: false, Valid: true}
	case "null", "":
		*f = flexBool{}
	default:
		*f = flexBool{Bad: true}
	}
	return nil
}

// flexString accepts a string or a bare number and keeps the text: money is "454.00" in the
// documentation, but a number would not surprise anyone either.
type flexString struct {
	Value string
	Set   bool
	Bad   bool // an object, an array or a boolean
}

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*f = flexString{}
	switch {
	case bytes.Equal(b, []byte("null")):
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			f.Bad = true
			return nil
		}
		*f = flexString{Value: s, Set: true}
	default:
		if _, err := strconv.ParseFloat(string(b), 64); err != nil {
			f.Bad = true
			return nil
		}
		*f = flexString{Value: string(b), Set: true}
	}
	return nil
}

// maxExactID bounds the integers a JSON number (a float64 to most producers) carries exactly:
// from 2^53 on, an id written as a float may already have been rounded into another one.
const maxExactID = 1 << 53

// flexInt accepts a JSON number or a numeric string (IDs are ints in REST bodies, strings in
// a few other CertCentral endpoints). Only an exact integer is a value: 12.0 and "1e3" are
// read, while 1e308, "NaN", 1.5 or "abc" are Bad, never rounded, so that two different odd ids
// can never become the same number.
type flexInt struct {
	Value int64
	Valid bool
	Bad   bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	*f = flexInt{}
	b = bytes.TrimSpace(b)
	if n, ok := smallUint(b); ok { // the commonest value, read without a copy
		*f = flexInt{Value: n, Valid: true}
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			f.Bad = true
			return nil
		}
		s = strings.TrimSpace(s)
	}
	if s == "null" || s == "" {
		return nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = flexInt{Value: n, Valid: true}
		return nil
	}
	fl, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(fl) || math.IsInf(fl, 0) || fl != math.Trunc(fl) || math.Abs(fl) >= maxExactID {
		f.Bad = true
		return nil
	}
	*f = flexInt{Value: int64(fl), Valid: true}
	return nil
}

// smallUint reads b when it is 1 to 18 decimal digits, a value no int64 can overflow.
func smallUint(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// id returns the value as an object's identity: only a positive integer is one. Items without
// one are kept and counted, but never merged with another item as a duplicate.
func (f flexInt) id() (int64, bool) {
	if f.Valid && f.Value > 0 {
		return f.Value, true
	}
	return 0, false
}

// identity returns the value as an object's identity (see id), and names field in problems
// when there is none: every list reports an absent, zero, negative or unreadable id the same
// way, and the collector counts it in certcentral_collector_unparsed_values.
func (f flexInt) identity(problems *[]string, field string) int64 {
	id, ok := f.id()
	if !ok {
		*problems = append(*problems, field)
	}
	return id
}

// parseMoney parses "454.00", "-1000.70" or "1,234.50".
func parseMoney(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(s), ",", ""), 64)
	// ParseFloat reads "NaN" and "Inf" too: no amount, and no value to serve as a metric.
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("not an amount: %q", s)
	}
	return v, nil
}

// Mountain is the zone CertCentral writes DCV dates in (America/Denver, with daylight time).
var Mountain = mustLoad("America/Denver")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		// Cannot happen with time/tzdata embedded; a fixed offset is the least wrong fallback.
		return time.FixedZone("MST", -7*3600)
	}
	return loc
}

const (
	layoutDate     = "2006-01-02"
	layoutDateTime = "2006-01-02 15:04:05"
)

// zonedLayouts are the timestamps that say their zone: RFC 3339 ("2023-10-13T15:15:13+00:00",
// also with "Z"), the offset without a colon, and the same with a space instead of the "T" or
// before the offset ("2024-01-02 03:04:05 +0000", as some databases print it). Go reads an
// optional fraction of a second after the seconds of any of them.
var zonedLayouts = []string{
	time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05 Z07:00", "2006-01-02T15:04:05 Z0700",
	"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05Z0700", "2006-01-02 15:04:05 Z07:00", "2006-01-02 15:04:05 Z0700",
	time.RFC1123Z,
}

// parseInstant parses a full timestamp in any of zonedLayouts, an ISO date and time without a
// zone as UTC, or the legacy "2006-01-02 15:04:05" read in zone legacy; a trailing " UTC" or
// " GMT" makes that zone UTC (zone abbreviations are otherwise not trusted: Go reads an unknown
// one as a zero offset). A date alone is midnight in zone legacy.
func parseInstant(s string, legacy *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if isPlainDate(s) {
		// The commonest value (valid_till, valid_from): no other layout can match ten
		// characters of a date, so try the one that can first.
		if t, err := time.ParseInLocation(layoutDate, s, legacy); err == nil {
			return t, nil
		}
	}
	orig := s
	for _, suffix := range []string{" UTC", " GMT"} {
		if rest, ok := strings.CutSuffix(s, suffix); ok {
			s, legacy = rest, time.UTC
		}
	}
	if s == orig {
		for _, layout := range zonedLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t, nil
			}
		}
	}
	if t, err := time.Parse("2006-01-02T15:04:05", s); err == nil {
		return t, nil
	}
	for _, layout := range []string{layoutDateTime, layoutDate, "Mon, 02 Jan 2006 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, legacy); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised time %q", TruncateText(orig, 64))
}

// isPlainDate says whether s has the shape YYYY-MM-DD.
func isPlainDate(s string) bool {
	if len(s) != len(layoutDate) || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, c := range []byte(s) {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// placeholderBefore: a date before this is a placeholder for "none", not a moment: MySQL's
// "0000-00-00 00:00:00", Go's and .NET's zero time "0001-01-01T00:00:00Z", the Unix epoch.
// CertCentral did not exist before it, so no real sign-in can be that old.
var placeholderBefore = time.Date(1971, 1, 1, 0, 0, 0, 0, time.UTC)

// isZeroDate tells the all-zero dates ("0000-00-00", "0000-00-00 00:00:00", ...), which no
// layout parses (there is no month 0), from other text.
func isZeroDate(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "0000-00-00") && strings.Trim(s, "0-: T.Z+") == ""
}

// ParseLastLogin parses user.last_login_date. Since 2023 the API writes RFC 3339 in UTC; the
// docs (and 2020 recordings) show "2006-01-02 15:04:05" with no zone, whose timing fits
// Mountain Time, so that is how we read it. A zero or placeholder date means the user never
// signed in: it returns the zero time and no error.
func ParseLastLogin(s string) (time.Time, error) {
	if isZeroDate(s) {
		return time.Time{}, nil
	}
	t, err := parseInstant(s, Mountain)
	if err != nil || t.Before(placeholderBefore) {
		return time.Time{}, err
	}
	return t, nil
}

// ParseDCVDate parses dcv_expiration.ov/.ev: by default a date in Mountain Time, read as the
// start of that day there (validated_until for the same date is 06:00 UTC, midnight MDT); with
// include_dcv_expiration_time=true a UTC datetime.
func ParseDCVDate(s string) (time.Time, error) { return parseInstant(s, Mountain) }

// ParseCertificateDate parses certificate.valid_till/valid_from ("2024-06-15") as the start of
// that day in UTC (the zone is not documented). The orders decoder moves valid_till and
// order_valid_till to the end of the day, since a certificate is valid through its last date.
func ParseCertificateDate(s string) (time.Time, error) { return parseInstant(s, time.UTC) }

// ParseTimestamp parses the ISO-8601 "+00:00" timestamps (date_created and friends).
func ParseTimestamp(s string) (time.Time, error) { return parseInstant(s, time.UTC) }
