package main

import (
	"strings"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

// TestCheckCommandLine: check --help shows check's flags and those of the exporter check uses,
// not every server flag; a bad command line exits 2 ("could not check"), with a spelling to
// copy for a URL without a scheme.
func TestCheckCommandLine(t *testing.T) {
	bin := testbin.Build(t, "certcentral_exporter")[0]
	code, help, _ := testbin.Run(t, 10*time.Second, bin, []string{"check", "--help"})
	if code != 0 {
		t.Errorf("check --help: exit %d", code)
	}
	for _, want := range []string{"--output=", "--account=", "--config.file=", "--certcentral.url=", "--certcentral.api-key-file=", "--[no-]collector.<name>", "api_keys (off)", "Exit status: 0"} {
		if !strings.Contains(help, want) {
			t.Errorf("check --help lacks %q", want)
		}
	}
	for _, unwanted := range []string{"--web.listen-address", "--web.telemetry-path", "--collector.orders.max-certificates"} {
		if strings.Contains(help, unwanted) {
			t.Errorf("check --help shows the server flag %s", unwanted)
		}
	}
	if n := strings.Count(help, "\n"); n > 40 {
		t.Errorf("check --help is %d lines", n)
	}
	if strings.Index(help, "--output=") > strings.Index(help, "--certcentral.url=") {
		t.Error("check's own flags should come first")
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"check", "--no-such-flag"}, "unknown long flag '--no-such-flag'"},
		{[]string{"check", "--certcentral.rate-limit=-1"}, "certcentral.rate-limit: -1 is outside 0..100000"},
		{[]string{"check", "--certcentral.url=www.digicert.com/services/v2"}, `it has no scheme: did you mean https://www.digicert.com/services/v2 ?`},
		{[]string{"--certcentral.page-concurrency=0"}, "certcentral.page-concurrency: 0 is outside 1..32"},
	} {
		code, stdout, stderr := testbin.Run(t, 10*time.Second, bin, tt.args)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, want 2 and %q\n%s%s", tt.args, code, tt.want, stdout, stderr)
		}
	}
}
