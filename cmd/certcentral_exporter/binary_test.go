package main

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/collector"
	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

// knownKey is the key given to the processes; every output is searched for it.
const knownKey = "KnownSecretKey-7f3a9c1e5b2d8f4a6c0e"

type stack struct {
	exporter, simulator *testbin.Proc
	exporterURL, simURL string
	exporterBin         string // the built exporter, for commands such as check
}

// startStack runs the real simulator (demo account) and the real exporter on loopback.
func startStack(t *testing.T, exporterArgs ...string) *stack {
	t.Helper()
	bins := testbin.Build(t, "certcentral_exporter", "certcentral-simulator")
	keyFile := testbin.WriteKeyFile(t, knownKey)
	s := &stack{exporterBin: bins[0]}
	s.simulator = testbin.StartServer(t, bins[1], []string{"--api-key-file=" + keyFile, "--scenario=demo"})
	s.simURL = s.simulator.URL()
	s.simulator.WaitHTTP(t, s.simURL+"/_sim/stats", 10*time.Second)
	args := append([]string{
		"--certcentral.url=" + s.simURL + "/services/v2",
		"--certcentral.api-key-file=" + keyFile,
		"--log.level=debug",
	}, exporterArgs...)
	s.exporter = testbin.StartServer(t, bins[0], args)
	s.exporterURL = s.exporter.URL()
	s.exporter.WaitHTTP(t, s.exporterURL+"/-/healthy", 10*time.Second)
	return s
}

func sample(t *testing.T, exposition, series string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`)
	m := re.FindStringSubmatch(exposition)
	if m == nil {
		t.Errorf("series %s not found in the exposition", series)
		return ""
	}
	return m[1]
}

// TestBinariesAgainstSimulator runs both binaries as processes, scrapes /metrics and checks
// values against the demo account, and that the simulator only ever saw GET requests.
func TestBinariesAgainstSimulator(t *testing.T) {
	s := startStack(t)
	code, body := testbin.Get(t, s.exporterURL+"/metrics", "X-Prometheus-Scrape-Timeout-Seconds", "10")
	if code != 200 {
		t.Fatalf("/metrics answered %d:\n%s", code, body)
	}
	for series, want := range map[string]string{
		`certcentral_up{account="default"}`:                                                                         "1",
		`certcentral_users{account="default",role="Administrator",status="active"}`:                                 "3",
		`certcentral_users_never_logged_in{account="default",role="Administrator"}`:                                 "1",
		`certcentral_domains{account="default",dcv_status="pending"}`:                                               "1",
		`certcentral_domains{account="default",dcv_status="expired"}`:                                               "1",
		`certcentral_domains_pending_dcv{account="default"}`:                                                        "2",
		`certcentral_account_balance{account="default",currency="USD"}`:                                             "120",
		`certcentral_account_unpaid_invoice_balance{account="default",currency="USD"}`:                              "250",
		`certcentral_products{account="default",group="ssl_certificate"}`:                                           "3",
		`certcentral_orders{account="default",product="ssl_plus",status="issued"}`:                                  "19", // 12 of a runaway loop
		`certcentral_collector_success{account="default",collector="orders"}`:                                       "1",
		`certcentral_api_requests_total{account="default",code="200",endpoint="/user"}`:                             "1",
		`certcentral_domain_active_certificates{account="default",domain="legacy.example.com",domain_id="3100004"}`: "1",
	} {
		if got := sample(t, body, series); got != "" && got != want {
			t.Errorf("%s = %s, want %s", series, got, want)
		}
	}
	if !strings.Contains(body, `certcentral_exporter_build_info{`) {
		t.Error("no certcentral_exporter_build_info")
	}
	// A user who never signed in is visible per user.
	if !strings.Contains(body, `certcentral_user_never_logged_in{account="default",email="ghost.admin@example.com",role="Administrator"`) {
		t.Error("the Administrator who never signed in is not named")
	}

	_, landing := testbin.Get(t, s.exporterURL+"/")
	if !strings.Contains(landing, "users") || !strings.Contains(landing, "OK") {
		t.Errorf("landing page does not show the collectors' state:\n%s", landing)
	}

	var stats struct {
		Requests map[string]int `json:"requests"`
		Writes   int            `json:"writes"`
	}
	_, raw := testbin.Get(t, s.simURL+"/_sim/stats")
	if err := json.Unmarshal([]byte(raw), &stats); err != nil {
		t.Fatalf("simulator stats: %v\n%s", err, raw)
	}
	if stats.Writes != 0 {
		t.Errorf("the simulator saw %d write attempts; the exporter must only read", stats.Writes)
	}
	_, simMetrics := testbin.Get(t, s.simURL+"/metrics")
	for _, line := range strings.Split(simMetrics, "\n") {
		if strings.HasPrefix(line, "ccsim_requests_total{") && !strings.Contains(line, `method="GET"`) {
			t.Errorf("the simulator saw a request that is not a GET: %s", line)
		}
	}
	if stats.Requests["/user"] != 1 || stats.Requests["/order/certificate"] != 1 {
		t.Errorf("simulator request counts %v, want one per endpoint for one scrape", stats.Requests)
	}

	// The key must not be anywhere we can see.
	_ = s.exporter.Stop()
	out, errOut := s.exporter.Output()
	for name, text := range map[string]string{"metrics": body, "landing page": landing, "stdout": out, "logs": errOut} {
		if strings.Contains(text, knownKey) {
			t.Errorf("the API key appears in the exporter's %s", name)
		}
	}
}

// refreshEveryScrape are the flags that make every scrape read every collector again (with
// --certcentral.cache-ttl=0s): each collector's default min-interval, and the orders check,
// are minutes, far longer than a test waits.
func refreshEveryScrape() []string {
	var args []string
	for _, d := range collector.Definitions() {
		args = append(args, "--collector."+d.Name+".min-interval=0s")
		if d.CheckEvery > 0 {
			args = append(args, "--collector."+d.Name+".check-interval=0s")
		}
	}
	return append(args, "--certcentral.cache-ttl=0s")
}
