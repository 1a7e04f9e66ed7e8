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

// flexBool accepts true/false, "1"/"0", "true"/"false" and 1/0: organization.is_active is the
// string "1" in real data and a bool in an old fixture.
type flexBool struct {
	Value bool
	Valid bool
}

func (f *flexBool) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	switch strings.ToLower(s) {
	case "true", "1":
		*f = flexBool{Value: true, Valid: true}
	case "false", "0", "":
		*f = flexBool{Value: false, Valid: s != ""}
	case "null":
		*f = flexBool{}
	default:
		return fmt.Errorf("not a boolean: %s", b)
	}
	return nil
}

// flexString accepts a string or a bare number and keeps the text: money is "454.00" in the
// documentation, but a number would not surprise anyone either.
type flexString struct {
	Value string
	Set   bool
}

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*f = flexString{}
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString{Value: s, Set: true}
		return nil
	}
	if _, err := strconv.ParseFloat(string(b), 64); err != nil {
		return fmt.Errorf("not a string or number: %s", b)
	}
	*f = flexString{Value: string(b), Set: true}
	return nil
}

// flexInt accepts a JSON number or a numeric string (IDs are ints in REST bodies, strings in
// a few other CertCentral endpoints).
type flexInt int64

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(bytes.TrimSpace(b)), `"`)
	if s == "null" || s == "" {
		*f = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		fl, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return fmt.Errorf("not an integer: %s", b)
		}
		n = int64(fl)
	}
	*f = flexInt(n)
	return nil
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

// parseInstant parses a full timestamp: RFC 3339 ("2023-10-13T15:15:13+00:00", also with
// "Z" or fractional seconds), a numeric offset without a colon, or the legacy
// "2006-01-02 15:04:05" read in zone legacy. A date alone is midnight in zone legacy.
func parseInstant(s string, legacy *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05-0700", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{layoutDateTime, layoutDate} {
		if t, err := time.ParseInLocation(layout, s, legacy); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised time %q", s)
}

// ParseLastLogin parses user.last_login_date. Since 2023 the API writes RFC 3339 in UTC; the
// docs (and 2020 recordings) show "2006-01-02 15:04:05" with no zone, whose timing fits
// Mountain Time, so that is how we read it.
func ParseLastLogin(s string) (time.Time, error) { return parseInstant(s, Mountain) }

// ParseDCVDate parses dcv_expiration.ov/.ev: by default a date in Mountain Time, read as the
// start of that day there (validated_until for the same date is 06:00 UTC, midnight MDT); with
// include_dcv_expiration_time=true a UTC datetime.
func ParseDCVDate(s string) (time.Time, error) { return parseInstant(s, Mountain) }

// ParseCertificateDate parses certificate.valid_till/valid_from ("2024-06-15"). The zone is
// not documented; we read the start of the day in UTC, which errs on the early side.
func ParseCertificateDate(s string) (time.Time, error) { return parseInstant(s, time.UTC) }

// ParseTimestamp parses the ISO-8601 "+00:00" timestamps (date_created and friends).
func ParseTimestamp(s string) (time.Time, error) { return parseInstant(s, time.UTC) }
