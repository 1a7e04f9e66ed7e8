package main

import (
	"strings"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

// demoACMEToken is the secret part of the demo account's ACME directory URL, which the
// simulator sends whole (the real API obfuscates it, but nothing says every answer will).
const demoACMEToken = "DemoAcmeSecret7f3c9b1e5d2a"

// TestACMEURLNeverShown runs both binaries with the api_keys collector on: the ACME directory
// URL the simulator sends is a credential, and must appear in neither /metrics, the landing
// page, the exporter's debug log nor check's output in either format, also when the answer
// carrying it breaks off.
func TestACMEURLNeverShown(t *testing.T) {
	s := startStack(t, append(refreshEveryScrape(), "--collector.api_keys", "--certcentral.stale-data-max-age=0s", "--certcentral.rate-limit=0")...)
	if _, raw := testbin.Get(t, s.simURL+"/services/v2/key", "X-DC-DEVKEY", knownKey); !strings.Contains(raw, demoACMEToken) {
		t.Fatalf("the simulator does not send the demo's ACME URL, so this test proves nothing:\n%s", raw)
	}
	out := outputs{}
	scrape := func(label string) string {
		t.Helper()
		code, body := testbin.Get(t, s.exporterURL+"/metrics", "X-Prometheus-Scrape-Timeout-Seconds", "10")
		if code != 200 {
			t.Fatalf("/metrics %s answered %d", label, code)
		}
		out.add("/metrics "+label, body)
		_, page := testbin.Get(t, s.exporterURL+"/")
		out.add("landing page "+label, page)
		return body
	}
	if body := scrape("healthy"); !strings.Contains(body, `certcentral_acme_directories{account="default",product="ssl_plus",status="active"} 1`) {
		t.Errorf("the ACME entry is not counted:\n%s", testbin.Lines(body, "certcentral_acme"))
	}
	keyFile := testbin.WriteKeyFile(t, knownKey)
	for _, format := range []string{"text", "json"} {
		code, stdout, stderr := testbin.Run(t, 20*time.Second, s.exporterBin, []string{"check", "--output=" + format, "--collector.api_keys",
			"--certcentral.url=" + s.simURL + "/services/v2", "--certcentral.api-key-file=" + keyFile, "--log.level=debug"})
		out.add("check "+format, stdout+stderr)
		if code != 0 || !strings.Contains(stdout, "api_keys") {
			t.Errorf("check %s: exit %d, want 0 with api_keys:\n%s%s", format, code, stdout, stderr)
		}
	}
	for _, fault := range []string{"/key=truncated", "/key=malformed"} {
		putFaults(t, s.simURL, fault)
		if body := scrape(fault); !strings.Contains(body, `certcentral_collector_error{account="default",collector="api_keys",reason="decode_error"} 1`) {
			t.Errorf("%s: api_keys should fail to decode:\n%s", fault, testbin.Lines(body, "certcentral_collector_"))
		}
	}
	_ = s.exporter.Stop()
	stdout, stderr := s.exporter.Output()
	out.add("exporter stdout", stdout)
	out.add("exporter stderr", stderr)
	if !strings.Contains(stderr, "collector=api_keys") {
		t.Error("the exporter's log never mentions api_keys: the search below would prove nothing")
	}
	out.assertNoKey(t, demoACMEToken)
	out.assertNoKey(t, knownKey)
}
