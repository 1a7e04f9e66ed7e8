package main

import (
	"strings"
	"testing"

	"github.com/alecthomas/kingpin/v2"
)

// TestValidateFlags: a telemetry path of "/", "/-/healthy", "" or "metrics" panicked at start,
// and a negative rate limit silently disabled the request budget.
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
		{[]string{"--certcentral.rate-limit=-1"}, "--certcentral.rate-limit is -1: it must be at least 0 (0 disables the budget)"},
		{[]string{"--certcentral.rate-limit=0"}, ""},
		{[]string{"--certcentral.burst-limit=-5"}, "--certcentral.burst-limit is -5"},
		{[]string{"--certcentral.page-concurrency=0"}, "--certcentral.page-concurrency is 0: it must be at least 1"},
		{[]string{"--web.max-requests=-1"}, "--web.max-requests is -1"},
		{[]string{"--collector.domains.max-domains=-1"}, "--collector.domains.max-domains is -1"},
		{[]string{"--certcentral.max-body-bytes=0"}, "--certcentral.max-body-bytes is 0"},
	} {
		app := kingpin.New(exporterName, "")
		s := addFlags(app)
		if _, err := app.Parse(tt.args); err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		err := s.validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%v: %v", tt.args, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%v: error %v, want %q", tt.args, err, tt.want)
		}
	}
}
