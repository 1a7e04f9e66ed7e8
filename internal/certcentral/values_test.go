package certcentral

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseDates(t *testing.T) {
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name  string
		parse func(string) (time.Time, error)
		in    string
		want  time.Time
	}{
		{"login RFC 3339 (2023+)", ParseLastLogin, "2023-10-13T15:15:13+00:00", utc("2023-10-13T15:15:13Z")},
		{"login with Z and fraction", ParseLastLogin, "2023-10-13T15:15:13.250Z", utc("2023-10-13T15:15:13.25Z")},
		// Legacy format, no zone: read as Mountain Time (MDT in May is UTC-6).
		{"login legacy summer", ParseLastLogin, "2020-05-01 15:47:26", utc("2020-05-01T21:47:26Z")},
		// MST in January is UTC-7.
		{"login legacy winter", ParseLastLogin, "2019-01-21 13:37:00", utc("2019-01-21T20:37:00Z")},
		{"login date only", ParseLastLogin, "2020-05-01", utc("2020-05-01T06:00:00Z")},
		// DCV dates are Mountain Time dates: the day starts at 06:00 UTC in summer...
		{"dcv date summer", ParseDCVDate, "2022-07-30", utc("2022-07-30T06:00:00Z")},
		// ... and at 07:00 UTC in winter.
		{"dcv date winter", ParseDCVDate, "2022-12-30", utc("2022-12-30T07:00:00Z")},
		{"dcv datetime (include_dcv_expiration_time)", ParseDCVDate, "2022-07-30T05:59:59+00:00", utc("2022-07-30T05:59:59Z")},
		{"certificate date is UTC midnight", ParseCertificateDate, "2024-06-15", utc("2024-06-15T00:00:00Z")},
		{"timestamp", ParseTimestamp, "2020-04-26T15:32:47+00:00", utc("2020-04-26T15:32:47Z")},
		{"offset without colon", ParseTimestamp, "2020-04-26T15:32:47+0000", utc("2020-04-26T15:32:47Z")},
		{"surrounding space", ParseTimestamp, " 2020-04-26T15:32:47+00:00 ", utc("2020-04-26T15:32:47Z")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse(tt.in)
			if err != nil {
				t.Fatalf("parse %q: %v", tt.in, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("parse %q = %s, want %s", tt.in, got.UTC(), tt.want)
			}
		})
	}
	for _, bad := range []string{"", "yesterday", "13/10/2023", "2023-13-45"} {
		if _, err := ParseLastLogin(bad); err == nil {
			t.Errorf("ParseLastLogin(%q) succeeded, want an error", bad)
		}
	}
}

// TestLastLoginFormatsAndZeroDates: users whose last_login_date came as a zero date or with a
// space before the offset were neither "never signed in" nor had a sign-in time, invisible to
// both access-review alerts.
func TestLastLoginFormatsAndZeroDates(t *testing.T) {
	for in, want := range map[string]string{
		"2024-01-02 03:04:05 +0000":       "2024-01-02T03:04:05Z",
		"2024-01-02 03:04:05 +01:00":      "2024-01-02T02:04:05Z",
		"2024-01-02 03:04:05+0000":        "2024-01-02T03:04:05Z",
		"2024-01-02 03:04:05Z":            "2024-01-02T03:04:05Z",
		"2024-01-02 03:04:05.123 +0000":   "2024-01-02T03:04:05.123Z",
		"2024-01-02T03:04:05 +0000":       "2024-01-02T03:04:05Z",
		"2024-01-02 03:04:05 UTC":         "2024-01-02T03:04:05Z",
		"Tue, 02 Jan 2024 03:04:05 GMT":   "2024-01-02T03:04:05Z",
		"Tue, 02 Jan 2024 03:04:05 +0100": "2024-01-02T02:04:05Z",
		// A zero date stands for none: the user never signed in (zero time, no error).
		"0000-00-00 00:00:00":       "",
		"0000-00-00":                "",
		"0000-00-00T00:00:00+00:00": "",
		"0001-01-01T00:00:00Z":      "",
		"0001-01-01 00:00:00":       "",
		"1970-01-01T00:00:00Z":      "",
	} {
		got, err := ParseLastLogin(in)
		if err != nil {
			t.Errorf("ParseLastLogin(%q): %v", in, err)
			continue
		}
		if want == "" {
			if !got.IsZero() {
				t.Errorf("ParseLastLogin(%q) = %s, want the zero time (never signed in)", in, got)
			}
			continue
		}
		if w, _ := time.Parse(time.RFC3339Nano, want); !got.Equal(w) {
			t.Errorf("ParseLastLogin(%q) = %s, want %s", in, got.UTC(), want)
		}
	}
	// A zone abbreviation other than UTC or GMT is not trusted (Go would read it as +0000).
	if _, err := ParseLastLogin("2024-01-02 03:04:05 EST"); err == nil {
		t.Error(`ParseLastLogin("... EST") succeeded`)
	}

	body := `{"users":[{"id":1,"last_login_date":"0000-00-00 00:00:00"},{"id":2,"last_login_date":"0001-01-01T00:00:00Z"},` +
		`{"id":3,"last_login_date":"2024-01-02 03:04:05 +0000"},{"id":4,"last_login_date":null},{"id":5,"last_login_date":"soon"}]}`
	var users []User
	_, _, err := decodeList(strings.NewReader(body), "users", func(r *rawUser) error { users = append(users, r.user()); return nil })
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []struct {
		never, signedIn, unparsed bool
	}{{never: true}, {never: true}, {signedIn: true}, {never: true}, {unparsed: true}} {
		u := users[i]
		if u.NeverLoggedIn() != want.never || !u.LastLogin.IsZero() != want.signedIn || slices.Contains(u.Problems, "last_login_date") != want.unparsed {
			t.Errorf("user %d (%q): never %v, last login %v, problems %v; want %+v", u.ID, u.LastLoginRaw, u.NeverLoggedIn(), u.LastLogin, u.Problems, want)
		}
	}
}

func TestFlexValues(t *testing.T) {
	var b struct {
		A, B, C, D flexBool
	}
	if err := json.Unmarshal([]byte(`{"A":"1","B":"0","C":true,"D":false}`), &b); err != nil {
		t.Fatal(err)
	}
	if !b.A.Value || b.B.Value || !b.C.Value || b.D.Value || !b.B.Valid || !b.D.Valid {
		t.Errorf("flexBool decoded %+v", b)
	}
	// A value that is not a boolean is not an error (that would fail the whole list): it is
	// marked Bad, so that the item names the field among its problems and is kept.
	for _, in := range []string{`"yes please"`, `"N"`, `"yes"`, `{}`, `[1]`, `2`} {
		var bad flexBool
		if err := json.Unmarshal([]byte(in), &bad); err != nil || !bad.Bad || bad.Valid {
			t.Errorf("flexBool %s = %+v, %v; want Bad and no error", in, bad, err)
		}
	}

	var s struct{ A, B, C, D flexString }
	if err := json.Unmarshal([]byte(`{"A":"454.00","B":-1000.7,"D":{"x":1}}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.A.Value != "454.00" || s.B.Value != "-1000.7" || s.C.Set || s.C.Bad || !s.D.Bad || s.D.Set {
		t.Errorf("flexString decoded %+v", s)
	}

	var n struct{ A, B, C, D flexInt }
	if err := json.Unmarshal([]byte(`{"A":2700762,"B":"1696530","C":1e3,"D":null}`), &n); err != nil {
		t.Fatal(err)
	}
	if n.A.Value != 2700762 || n.B.Value != 1696530 || n.C.Value != 1000 || !n.C.Valid || n.D.Valid || n.D.Bad {
		t.Errorf("flexInt decoded %+v", n)
	}
	// Only an exact integer is an id: 1e308 and "NaN" used to become the same int64, so that
	// one of two users vanished as the other's duplicate.
	for _, in := range []string{`1e308`, `"NaN"`, `"abc"`, `1.5`, `"Inf"`, `9007199254740993.0`, `{}`, `true`} {
		var bad flexInt
		if err := json.Unmarshal([]byte(in), &bad); err != nil || !bad.Bad || bad.Valid {
			t.Errorf("flexInt %s = %+v, %v; want Bad and no error", in, bad, err)
		}
		if _, ok := bad.id(); ok {
			t.Errorf("flexInt %s is taken as an id", in)
		}
	}

	for in, want := range map[string]float64{"454.00": 454, "-1000.70": -1000.7, "1,234.50": 1234.5, " 0.00 ": 0} {
		got, err := parseMoney(in)
		if err != nil || got != want {
			t.Errorf("parseMoney(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := parseMoney("USD 12"); err == nil {
		t.Error("parseMoney accepted a currency prefix")
	}
}

func TestMountainLoadsWithoutSystemZoneinfo(t *testing.T) {
	// time/tzdata is embedded; ZONEINFO pointing nowhere must not matter.
	t.Setenv("ZONEINFO", "/nonexistent")
	loc, err := time.LoadLocation("America/Denver")
	if err != nil {
		t.Fatalf("America/Denver does not load from the embedded database: %v", err)
	}
	if _, off := time.Date(2022, 7, 1, 0, 0, 0, 0, loc).Zone(); off != -6*3600 {
		t.Errorf("Denver summer offset = %d, want -6h", off)
	}
}
