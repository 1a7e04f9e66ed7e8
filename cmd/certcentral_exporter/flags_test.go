package main

import (
	"strings"
	"testing"

	"github.com/alecthomas/kingpin/v2"
)

// TestValidateFlags: a telemetry path of "/", "/-/healthy", "" or "metrics" panicked at start,
// and a negative rate limit silently disabled the request budget. The per-account settings are
// refused as they are parsed (config.SettingsTable), the process's own by validate.
func TestValidateFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string // "" = valid
	}{
		{nil, ""},
		{[]string{"--web.telemetry-path=/custom/metrics"}, ""},
		{[]string{"--web.telemetry-path=/metrics/"}, ""},
		{[]string{"--web.telemetry-path=/"}, "is the status page"},
		{[]string{"--web.telemetry-path=/-/healthy"}, "is the health probe"},
		{[]string{"--web.telemetry-path=/-/ready"}, "is the readiness probe"},
		{[]string{"--web.telemetry-path="}, "--web.telemetry-path is empty"},
		{[]string{"--web.telemetry-path=metrics"}, `must start with /, such as /metrics`},
		{[]string{"--web.telemetry-path=/me trics"}, "may hold only letters"},
		{[]string{"--web.telemetry-path=GET /metrics"}, "must start with /"},
		{[]string{"--web.telemetry-path=/{name}"}, "may hold only letters"},
		{[]string{"--web.telemetry-path=//metrics"}, "--web.telemetry-path=//metrics is not a clean path: use /metrics"},
		{[]string{"--web.telemetry-path=/probe"}, "is one account's metrics"},
		{[]string{"--certcentral.rate-limit=-1"}, "certcentral.rate-limit: -1 is outside 0..100000"},
		{[]string{"--certcentral.rate-limit=0"}, ""},
		{[]string{"--certcentral.burst-limit=-5"}, "certcentral.burst-limit: -5 is outside 0..10000"},
		{[]string{"--certcentral.page-concurrency=0"}, "certcentral.page-concurrency: 0 is outside 1..32"},
		{[]string{"--web.max-requests=-1"}, "--web.max-requests is -1"},
		{[]string{"--collector.domains.max-domains=-1"}, "collector.domains.max-domains: -1 is outside 0..10000000"},
		{[]string{"--certcentral.max-body-bytes=0"}, "certcentral.max-body-bytes: 0 is outside 64KiB..1GiB"},
	} {
		app := kingpin.New(exporterName, "")
		s := addFlags(app)
		_, err := app.Parse(tt.args)
		if err == nil {
			err = s.validate()
		}
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%v: %v", tt.args, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%v: error %v, want %q", tt.args, err, tt.want)
		}
	}
}
