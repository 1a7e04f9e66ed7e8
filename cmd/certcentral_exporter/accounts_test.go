package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

const (
	usKey = "UsFleetKey-0123456789abcdefABCDEF"
	euKey = "EuFleetKey-0123456789abcdefABCDEF"
)

// fleetStack is the simulator serving the demo fleet (a US and a Europe account) and the
// exporter watching both from a config file.
type fleetStack struct {
	exporter            *testbin.Proc
	exporterURL, simURL string
	configFile, euKey   string
	bin                 string
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func fleetConfig(simURL, dir string) string {
	return fmt.Sprintf(`defaults:
  url: %[1]s/services/v2
  certcentral.cache-ttl: 0s
accounts:
  - name: us
    api_key_file: us.key
  - name: eu
    url: %[1]s/eu/services/v2
    api_key_file: %[2]s
    labels: {team: pki-eu}
`, simURL, filepath.Join(dir, "eu.key"))
}

// startFleetStack starts both; euKeyValue is the key the exporter is given for the EU account.
func startFleetStack(t *testing.T, euKeyValue string) *fleetStack {
	t.Helper()
	bins := testbin.Build(t, "certcentral_exporter", "certcentral-simulator")
	dir := t.TempDir()
	usFile, euFile := filepath.Join(dir, "sim-us.key"), filepath.Join(dir, "sim-eu.key")
	writeFile(t, usFile, usKey)
	writeFile(t, euFile, euKey)
	sim := testbin.StartServer(t, bins[1], []string{"--scenario=demo-fleet",
		"--account-key-file=us=" + usFile, "--account-key-file=eu=" + euFile, "--no-rate-limit"})
	s := &fleetStack{simURL: sim.URL(), bin: bins[0]}
	writeFile(t, filepath.Join(dir, "us.key"), usKey)
	s.euKey = filepath.Join(dir, "eu.key")
	writeFile(t, s.euKey, euKeyValue)
	s.configFile = filepath.Join(dir, "certcentral.yml")
	writeFile(t, s.configFile, fleetConfig(s.simURL, dir))
	s.exporter = testbin.StartServer(t, bins[0], []string{"--config.file=" + s.configFile, "--log.level=debug"})
	s.exporterURL = s.exporter.URL()
	s.exporter.WaitHTTP(t, s.exporterURL+"/-/healthy", 10*time.Second)
	return s
}

func (s *fleetStack) scrape(t *testing.T, path string) (int, string) {
	t.Helper()
	return testbin.Get(t, s.exporterURL+path, "X-Prometheus-Scrape-Timeout-Seconds", "10")
}

// waitFor scrapes path until the body contains want.
func (s *fleetStack) waitFor(t *testing.T, path, want string) string {
	t.Helper()
	var body string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, body = s.scrape(t, path); strings.Contains(body, want) {
			return body
		}
	}
	t.Fatalf("%s never showed %q:\n%s", path, want, body)
	return ""
}

// TestSeveralAccounts: one exporter, two accounts (US and Europe) from a config file: each
// series carries its account; /probe serves one; a wrong key fails one account alone; a bad
// config is refused on SIGHUP while the old one serves; a rotated key is picked up on reload.
func TestSeveralAccounts(t *testing.T) {
	s := startFleetStack(t, "WrongEuKey-0123456789abcdefABCDEF")

	body := s.waitFor(t, "/metrics", `certcentral_up{account="eu",team="pki-eu"} 0`)
	for _, want := range []string{
		`certcentral_up{account="us"} 1`,
		`certcentral_collector_error{account="eu",collector="users",reason="invalid_key",team="pki-eu"} 1`,
		`certcentral_account_balance{account="us",currency="USD"}`,
		`certcentral_api_requests_total{account="eu",code="403",endpoint="/user",team="pki-eu"}`,
		`certcentral_exporter_config_last_reload_successful 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if n := strings.Count(body, "# HELP certcentral_up "); n != 1 {
		t.Errorf("%d HELP lines for certcentral_up, want 1", n)
	}

	// /probe: one account; a missing or unknown name is a one-line 400.
	code, probe := s.scrape(t, "/probe?account=us")
	if code != 200 || !strings.Contains(probe, `certcentral_up{account="us"} 1`) || strings.Contains(probe, `account="eu"`) {
		t.Errorf("/probe?account=us: %d, want the US account only:\n%.3000s", code, probe)
	}
	if strings.Contains(probe, "go_goroutines") {
		t.Error("/probe serves the process's own metrics; they belong to /metrics")
	}
	for path, want := range map[string]string{
		"/probe":                  "missing ?account=NAME: name one of the accounts in the config (us, eu)",
		"/probe?account=nope":     `unknown account "nope": the config has us, eu`,
		"/probe?account=%3Cb%3E1": `unknown account "<b>1"`,
	} {
		code, body := testbin.Get(t, s.exporterURL+path)
		if code != http.StatusBadRequest || !strings.Contains(body, want) || strings.Count(strings.TrimSpace(body), "\n") != 0 {
			t.Errorf("%s: %d %q, want 400 with the one line %q", path, code, body, want)
		}
	}

	// /config names key files, never keys.
	_, cfgPage := testbin.Get(t, s.exporterURL+"/config")
	if !strings.Contains(cfgPage, "api_key_file: "+s.euKey) || strings.Contains(cfgPage, usKey) || strings.Contains(cfgPage, "WrongEuKey") {
		t.Errorf("/config:\n%s", cfgPage)
	}

	// A bad config is refused on SIGHUP; the old one keeps serving.
	good, _ := os.ReadFile(s.configFile)
	writeFile(t, s.configFile, string(good)+"    regoin: eu\n")
	if err := s.exporter.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	body = s.waitFor(t, "/metrics", "certcentral_exporter_config_last_reload_successful 0")
	if !strings.Contains(body, `certcentral_up{account="us"} 1`) {
		t.Error("after a refused reload the old config does not serve")
	}
	_, stderr := s.exporter.Output()
	if !strings.Contains(stderr, "regoin: unknown field (did you mean region?)") {
		t.Errorf("the refused reload is not logged with its reason:\n%s", stderr)
	}

	// The key is rotated: fix the file, reload by POST.
	writeFile(t, s.configFile, string(good))
	writeFile(t, s.euKey, euKey)
	resp, err := http.Post(s.exporterURL+"/-/reload", "", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("POST /-/reload: %v %v", err, resp)
	}
	resp.Body.Close()
	body = s.waitFor(t, "/metrics", `certcentral_up{account="eu",team="pki-eu"} 1`)
	for _, want := range []string{
		`certcentral_exporter_config_last_reload_successful 1`,
		`certcentral_account_balance{account="eu",currency="EUR",team="pki-eu"} 8400`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("after the reload /metrics lacks %s", want)
		}
	}
	if code, _ := testbin.Get(t, s.exporterURL+"/-/reload"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload: %d, want 405", code)
	}
	_, landing := testbin.Get(t, s.exporterURL+"/")
	for _, want := range []string{"Account us", "Account eu", `team=&#34;pki-eu&#34;`, "/probe?account=eu"} {
		if !strings.Contains(landing, want) {
			t.Errorf("the landing page lacks %q", want)
		}
	}
	stdout, stderr := s.exporter.Output()
	for _, k := range []string{usKey, euKey} {
		if strings.Contains(stdout+stderr+body+landing+cfgPage, k) {
			t.Error("a key was shown")
		}
	}
}

// TestConfigCheckAndCheckCommand: --config.check validates without calling the API (0 valid,
// 2 invalid); check --config.file tests every account's key, one block per account, and
// --account picks one.
func TestConfigCheckAndCheckCommand(t *testing.T) {
	s := startFleetStack(t, "WrongEuKey-0123456789abcdefABCDEF")
	code, stdout, _ := testbin.Run(t, 10*time.Second, s.bin, []string{"--config.check", "--config.file=" + s.configFile})
	if code != 0 || !strings.Contains(stdout, "OK "+s.configFile+": 2 account(s)") {
		t.Errorf("--config.check on a good file: exit %d\n%s", code, stdout)
	}
	bad := filepath.Join(t.TempDir(), "bad.yml")
	writeFile(t, bad, "accounts:\n  - name: a\n    region: uk\n    api_key_env: X\n")
	code, stdout, _ = testbin.Run(t, 10*time.Second, s.bin, []string{"--config.check", "--config.file=" + bad})
	if code != 2 || !strings.Contains(stdout, bad+`:3: accounts[0].region: unknown region "uk"`) {
		t.Errorf("--config.check on a bad file: exit %d\n%s", code, stdout)
	}

	code, stdout, _ = testbin.Run(t, 20*time.Second, s.bin, []string{"check", "--config.file=" + s.configFile})
	if code != 1 {
		t.Errorf("check with one account's key wrong: exit %d, want 1\n%s", code, stdout)
	}
	usBlock, euBlock, _ := strings.Cut(stdout, "\naccount         eu\n")
	if !strings.Contains(usBlock, "account         us") || !strings.Contains(usBlock, "result     OK") {
		t.Errorf("the US block:\n%s", usBlock)
	}
	if !strings.Contains(euBlock, "invalid_key") || !strings.Contains(euBlock, "result     FAIL") {
		t.Errorf("the EU block:\n%s", euBlock)
	}
	code, stdout, _ = testbin.Run(t, 20*time.Second, s.bin, []string{"check", "--config.file=" + s.configFile, "--account=us"})
	if code != 0 || strings.Contains(stdout, "account         eu") {
		t.Errorf("check --account=us: exit %d\n%s", code, stdout)
	}
	code, stdout, _ = testbin.Run(t, 20*time.Second, s.bin, []string{"check", "--config.file=" + s.configFile, "--account=nope"})
	if code != 2 || !strings.Contains(stdout, "--account=nope: the config has no such account (it has us, eu)") {
		t.Errorf("check --account=nope: exit %d\n%s", code, stdout)
	}
}
