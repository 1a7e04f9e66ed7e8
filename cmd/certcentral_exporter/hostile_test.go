package main

import (
	"strings"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

// keyRun returns the first 16-character run of key found in text, case-insensitively, or "".
func keyRun(text, key string) string {
	lower, k := strings.ToLower(text), strings.ToLower(key)
	for i := 0; i+16 <= len(k); i++ {
		if strings.Contains(lower, k[i:i+16]) {
			return key[i : i+16]
		}
	}
	return ""
}

// TestKeyEchoedInDisguiseNeverShown: an upstream that echoed the key lower-cased, cut by one
// character, or upper-cased and HTML-entity encoded in a page title got it into the log,
// check's output and the unauthenticated status page. No 16-character run of it, in any case,
// may appear anywhere.
func TestKeyEchoedInDisguiseNeverShown(t *testing.T) {
	bins := testbin.Build(t, "certcentral_exporter", "certcentral-simulator")
	keyFile := testbin.WriteKeyFile(t, knownKey)
	sim := testbin.StartServer(t, bins[1], []string{"--api-key-file=" + keyFile, "--no-rate-limit",
		"--fault=/user=echokey", "--fault=/user/me=echokey", "--fault=/domain=echokey:html", "--fault=/account=echokey:html"})
	sim.WaitHTTP(t, sim.URL()+"/_sim/stats", 10*time.Second)
	common := []string{"--certcentral.url=" + sim.URL() + "/services/v2", "--certcentral.api-key-file=" + keyFile, "--log.level=debug"}

	out := outputs{}
	for _, format := range []string{"text", "json"} {
		code, stdout, stderr := testbin.Run(t, 20*time.Second, bins[0], append([]string{"check", "--output=" + format}, common...))
		out.add("check "+format, stdout+stderr)
		if code != 1 || !strings.Contains(stdout, "redacted") {
			t.Errorf("check %s: exit %d, want 1 and the echoed key shown as redacted:\n%s", format, code, stdout)
		}
	}
	exp := testbin.StartServer(t, bins[0], common)
	exp.WaitHTTP(t, exp.URL()+"/-/healthy", 10*time.Second)
	_, metrics := testbin.Get(t, exp.URL()+"/metrics")
	out.add("/metrics", metrics)
	_, page := testbin.Get(t, exp.URL()+"/")
	out.add("status page", page)
	_ = exp.Stop()
	stdout, stderr := exp.Output()
	out.add("exporter log", stdout+stderr)
	if !strings.Contains(page, "redacted") || !strings.Contains(stderr, "redacted") {
		t.Errorf("the status page and the log should show the echoed key as redacted:\n%s", stderr)
	}
	for name, text := range out {
		if run := keyRun(text, knownKey); run != "" {
			i := strings.Index(strings.ToLower(text), strings.ToLower(run))
			t.Errorf("%s shows %q of the key: ...%s...", name, run, text[max(0, i-150):min(len(text), i+60)])
		}
	}
}

// TestInvalidFlagsRefusedAtStart: a telemetry path of "/", "/-/healthy", "" or "metrics"
// panicked at start, a negative rate limit silently disabled the budget, and an http:// URL to
// another host sent the key in cleartext without a word. Each now stops the exporter with one
// clear error line: exit 2 for a command line that cannot be used; an account whose URL is
// refused when the accounts are set up exits 1 (check: 2, nothing could be checked).
func TestInvalidFlagsRefusedAtStart(t *testing.T) {
	exporter := testbin.Build(t, "certcentral_exporter")[0]
	keyFile := testbin.WriteKeyFile(t, knownKey)
	for _, tt := range []struct {
		args      []string
		want      string
		serveExit int
	}{
		{[]string{"--web.telemetry-path=/"}, "--web.telemetry-path=/ is the status page", 2},
		{[]string{"--web.telemetry-path=/-/healthy"}, "is the health probe", 2},
		{[]string{"--web.telemetry-path=/probe"}, "is one account's metrics", 2},
		{[]string{"--web.telemetry-path="}, "--web.telemetry-path is empty", 2},
		{[]string{"--web.telemetry-path=metrics"}, "must start with /", 2},
		{[]string{"--certcentral.rate-limit=-1"}, "certcentral.rate-limit: -1 is outside 0..100000", 2},
		{[]string{"--certcentral.url=http://certcentral.example.internal/services/v2"}, "cleartext: use https://, or set certcentral.allow-insecure-http (--certcentral.allow-insecure-http)", 1},
	} {
		args := append([]string{"--certcentral.api-key-file=" + keyFile}, tt.args...)
		if !strings.HasPrefix(tt.args[0], "--certcentral.url") {
			args = append(args, "--certcentral.url=http://127.0.0.1:1/services/v2")
		}
		for _, cmd := range []struct {
			args []string
			exit int
		}{{[]string{"--web.listen-address=127.0.0.1:0"}, tt.serveExit}, {[]string{"check"}, 2}} {
			code, stdout, stderr := testbin.Run(t, 10*time.Second, exporter, append(cmd.args, args...))
			out := stdout + stderr
			var errorLines []string
			for _, l := range strings.Split(out, "\n") {
				if strings.Contains(l, "level=ERROR") || strings.Contains(l, "FAIL") || strings.Contains(l, ": error: ") {
					errorLines = append(errorLines, l)
				}
			}
			if code != cmd.exit || len(errorLines) == 0 || !strings.Contains(errorLines[0], tt.want) || strings.Contains(out, "panic") {
				t.Errorf("%v %v: exit %d, want %d and one error saying %q:\n%s", cmd.args, tt.args, code, cmd.exit, tt.want, out)
			}
		}
	}

	// Allowed explicitly, plain HTTP to another host starts, with a warning.
	exp := testbin.StartServer(t, exporter, []string{"--certcentral.api-key-file=" + keyFile,
		"--certcentral.url=http://certcentral.example.internal/services/v2", "--certcentral.allow-insecure-http"})
	exp.WaitHTTP(t, exp.URL()+"/-/healthy", 10*time.Second)
	_ = exp.Stop()
	if _, log := exp.Output(); !strings.Contains(log, "level=WARN") || !strings.Contains(log, "plain HTTP") {
		t.Errorf("no warning about the key sent over plain HTTP:\n%s", log)
	}
}
