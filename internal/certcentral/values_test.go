package certcentral

import (
	"encoding/json"
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
	var bad flexBool
	if err := json.Unmarshal([]byte(`"yes please"`), &bad); err == nil {
		t.Error("flexBool accepted a sentence")
	}

	var s struct{ A, B, C flexString }
	if err := json.Unmarshal([]byte(`{"A":"454.00","B":-1000.7}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.A.Value != "454.00" || s.B.Value != "-1000.7" || s.C.Set {
		t.Errorf("flexString decoded %+v", s)
	}

	var n struct{ A, B flexInt }
	if err := json.Unmarshal([]byte(`{"A":2700762,"B":"1696530"}`), &n); err != nil {
		t.Fatal(err)
	}
	if n.A != 2700762 || n.B != 1696530 {
		t.Errorf("flexInt decoded %+v", n)
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
