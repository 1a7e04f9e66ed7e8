package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

// outputs collects everything a run showed, by where it was seen.
type outputs map[string]string

func (o outputs) add(name, text string) { o[name] += text }

// assertNoKey fails for every output that contains the key, and shows where.
func (o outputs) assertNoKey(t *testing.T, key string) {
	t.Helper()
	for name, text := range o {
		if i := strings.Index(text, key); i >= 0 {
			t.Errorf("the API key appears in %s: ...%s...", name, text[max(0, i-200):min(len(text), i+len(key)+50)])
		}
	}
}

// keyUse is how a process gets the key: a flag for the file, or the environment.
type keyUse struct {
	name string
	args []string
	env  []string
}

func keyUses(t *testing.T, key string) []keyUse {
	return []keyUse{
		{"file", []string{"--certcentral.api-key-file=" + testbin.WriteKeyFile(t, key)}, nil},
		{"env", nil, []string{"CERTCENTRAL_API_KEY=" + key}},
	}
}

// secretFaults are every simulator fault kind, each on every endpoint unless it is costly.
// checkExit is what check exits with under the fault: 1 when collectors could not read, 2 when
// GET /user/me showed that nothing could be checked (no answer, or not CertCentral's).
var secretFaults = []struct {
	fault, reason string
	checkExit     int
}{
	{"*=status:503", "server_error", 1},
	{"*=status:429", "rate_limited", 1},
	{"*=status:403", "missing_permission", 1},
	{"*=latency:3s", "timeout", 2},
	{"*=hang", "timeout", 2},
	{"*=truncated", "decode_error", 1},
	{"*=malformed", "decode_error", 1},
	{"*=html", "server_error", 1},
	{"*=html:401", "invalid_response", 2},
	{"/domain=oversized:40MB", "response_too_large", 1},
	{"*=reset", "connection", 2},
}

// TestSecretsNeverShown runs every command (serve, check in both formats, --help, --version)
// and every fault path with a known key, from the key file and from the environment, and
// searches all the output: stdout, stderr at debug level, /metrics, the landing page.
func TestSecretsNeverShown(t *testing.T) {
	bins := testbin.Build(t, "certcentral_exporter", "certcentral-simulator")
	exporter, simulator := bins[0], bins[1]
	for _, use := range keyUses(t, knownKey) {
		t.Run(use.name, func(t *testing.T) {
			out := outputs{}
			sim := testbin.StartServer(t, simulator, []string{
				"--api-key-file=" + testbin.WriteKeyFile(t, knownKey), "--no-rate-limit", "--log.level=debug"})
			simURL := sim.URL()
			sim.WaitHTTP(t, simURL+"/_sim/stats", 10*time.Second)
			common := append([]string{
				"--certcentral.url=" + simURL + "/services/v2", "--log.level=debug",
				"--certcentral.request-timeout=500ms", "--certcentral.collection-timeout=2s",
			}, use.args...)

			for _, args := range [][]string{{"--help"}, {"--help-long"}, {"--version"}, {"check", "--help"}} {
				_, stdout, stderr := testbin.Run(t, 10*time.Second, exporter, append(args, common...), use.env...)
				out.add(strings.Join(args, " "), stdout+stderr)
			}

			exp := testbin.StartServer(t, exporter, append(append(refreshEveryScrape(),
				"--certcentral.rate-limit=0", "--certcentral.stale-data-max-age=0s"), common...), use.env...)
			expURL := exp.URL()
			exp.WaitHTTP(t, expURL+"/-/healthy", 10*time.Second)

			runCheck := func(label string, wantCode int) {
				t.Helper()
				for _, format := range []string{"text", "json"} {
					code, stdout, stderr := testbin.Run(t, 20*time.Second, exporter, append([]string{"check", "--output=" + format}, common...), use.env...)
					out.add("check --output="+format+" "+label, stdout+stderr)
					if code != wantCode {
						t.Errorf("check %s (%s): exit %d, want %d\n%s%s", label, format, code, wantCode, stdout, stderr)
					}
				}
			}
			scrape := func(label string) string {
				t.Helper()
				code, body := testbin.Get(t, expURL+"/metrics", "X-Prometheus-Scrape-Timeout-Seconds", "5")
				if code != 200 {
					t.Errorf("/metrics %s: status %d", label, code)
				}
				out.add("/metrics "+label, body)
				_, page := testbin.Get(t, expURL+"/")
				out.add("landing page "+label, page)
				return body
			}

			body := scrape("healthy")
			if !strings.Contains(body, `certcentral_up{account="default"} 1`) {
				t.Errorf("the healthy scrape does not show certcentral_up{account=\"default\"} 1")
			}
			runCheck("healthy", 0)
			for _, f := range secretFaults {
				putFaults(t, simURL, f.fault)
				body := scrape(f.fault)
				if !strings.Contains(body, fmt.Sprintf(`reason=%q} 1`, f.reason)) {
					t.Errorf("fault %s: no collector failing with %s:\n%s", f.fault, f.reason, testbin.Lines(body, "certcentral_collector_error"))
				}
				runCheck(f.fault, f.checkExit)
			}
			putFaults(t, simURL)
			_ = exp.Stop()
			stdout, stderr := exp.Output()
			out.add("exporter stdout", stdout)
			out.add("exporter stderr", stderr)
			// Every fault was logged (so the logs were really searched) without the key.
			for _, f := range secretFaults {
				if !strings.Contains(stderr, "reason="+f.reason) {
					t.Errorf("the logs never mention reason %s", f.reason)
				}
			}
			simOut, simErr := sim.Output()
			out.add("simulator output", simOut+simErr)
			out.assertNoKey(t, knownKey)
		})
	}
}

// TestSecretsRejectedAndEchoed: a key the API rejects, and an upstream (a broken proxy) that
// echoes the key back in its error bodies and HTML titles: the key must still be nowhere.
func TestSecretsRejectedAndEchoed(t *testing.T) {
	bins := testbin.Build(t, "certcentral_exporter", "certcentral-simulator")
	exporter, simulator := bins[0], bins[1]

	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get("X-DC-DEVKEY")
		if strings.HasSuffix(r.URL.Path, "/domain") {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "<html><head><title>Bad key %s</title></head><body>%s</body></html>", key, key)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(w, `{"errors":[{"code":"access_denied|%s","message":"key %s is not valid"}]}`, key, key)
	}))
	t.Cleanup(echo.Close)

	sim := testbin.StartServer(t, simulator, []string{
		"--api-key-file=" + testbin.WriteKeyFile(t, "TheOnlyKeyTheSimulatorTakes"), "--no-rate-limit"})
	sim.WaitHTTP(t, sim.URL()+"/_sim/stats", 10*time.Second)

	for _, use := range keyUses(t, knownKey) {
		for _, upstream := range []struct{ name, url, reason string }{
			{"rejected", sim.URL() + "/services/v2", "invalid_key"},
			{"echoed", echo.URL + "/services/v2", "access_denied"},
		} {
			t.Run(use.name+"/"+upstream.name, func(t *testing.T) {
				out := outputs{}
				common := append([]string{"--certcentral.url=" + upstream.url, "--log.level=debug"}, use.args...)
				for _, format := range []string{"text", "json"} {
					code, stdout, stderr := testbin.Run(t, 20*time.Second, exporter, append([]string{"check", "--output=" + format}, common...), use.env...)
					out.add("check "+format, stdout+stderr)
					if code != 1 || !strings.Contains(stdout, upstream.reason) {
						t.Errorf("check %s: exit %d, want 1 and reason %s:\n%s", format, code, upstream.reason, stdout)
					}
				}
				exp := testbin.StartServer(t, exporter, common, use.env...)
				exp.WaitHTTP(t, exp.URL()+"/-/healthy", 10*time.Second)
				_, body := testbin.Get(t, exp.URL()+"/metrics")
				out.add("/metrics", body)
				if !strings.Contains(body, fmt.Sprintf(`reason=%q} 1`, upstream.reason)) {
					t.Errorf("no collector failing with %s:\n%s", upstream.reason, testbin.Lines(body, "certcentral_collector_error"))
				}
				_, page := testbin.Get(t, exp.URL()+"/")
				out.add("landing page", page)
				_ = exp.Stop()
				stdout, stderr := exp.Output()
				out.add("exporter output", stdout+stderr)
				if upstream.name == "echoed" && !strings.Contains(stderr+page, "<redacted>") && !strings.Contains(stderr+page, "&lt;redacted&gt;") {
					t.Errorf("the echoed key should show as <redacted>:\n%s", stderr)
				}
				out.assertNoKey(t, knownKey)
			})
		}
	}
}

// TestStartupKeyErrors: a bad or missing key stops the exporter at start-up with one clear
// error line that does not contain the key.
func TestStartupKeyErrors(t *testing.T) {
	exporter := testbin.Build(t, "certcentral_exporter")[0]
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	half := len(knownKey) / 2
	for _, tt := range []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"missing file", []string{"--certcentral.api-key-file=" + filepath.Join(dir, "absent")}, nil, "cannot read the API key file"},
		{"empty file", []string{"--certcentral.api-key-file=" + write("empty", "")}, nil, "the API key is empty"},
		{"inner space in file", []string{"--certcentral.api-key-file=" + write("space", knownKey[:half]+" "+knownKey[half:]+"\n")}, nil, "contains white space"},
		{"inner space in env", nil, []string{"CERTCENTRAL_API_KEY=" + knownKey[:half] + " " + knownKey[half:]}, "contains white space"},
		{"no key at all", nil, []string{"CERTCENTRAL_API_KEY="}, "no API key: set --certcentral.api-key-file (preferred) or the environment variable CERTCENTRAL_API_KEY"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// The exporter stops before it listens or calls the API; port 0 and a closed
			// port keep it from touching anything if it did not.
			args := append([]string{"--web.listen-address=127.0.0.1:0", "--certcentral.url=http://" + testbin.ClosedAddr(t) + "/services/v2"}, tt.args...)
			code, stdout, stderr := testbin.Run(t, 10*time.Second, exporter, args, tt.env...)
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			var errorLines []string
			for _, l := range strings.Split(stderr, "\n") {
				if strings.Contains(l, "level=ERROR") {
					errorLines = append(errorLines, l)
				}
			}
			if len(errorLines) != 1 || !strings.Contains(errorLines[0], tt.want) {
				t.Errorf("want one error line with %q, got:\n%s", tt.want, stderr)
			}
			for _, part := range []string{knownKey, knownKey[:half], knownKey[half:]} {
				if strings.Contains(stdout+stderr, part) {
					t.Errorf("the output contains (part of) the key:\n%s%s", stdout, stderr)
				}
			}
		})
	}
}

// TestKeyFilePermissionWarning: a key file other users can read is served but warned about.
func TestKeyFilePermissionWarning(t *testing.T) {
	exporter := testbin.Build(t, "certcentral_exporter")[0]
	keyFile := testbin.WriteKeyFile(t, knownKey)
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	closedURL := "http://" + testbin.ClosedAddr(t) + "/services/v2"
	exp := testbin.StartServer(t, exporter, []string{"--certcentral.url=" + closedURL, "--certcentral.api-key-file=" + keyFile})
	exp.WaitHTTP(t, exp.URL()+"/-/healthy", 10*time.Second)
	_ = exp.Stop()
	_, stderr := exp.Output()
	if !strings.Contains(stderr, "level=WARN") || !strings.Contains(stderr, "is readable by every user (mode -rw-r--r--): chmod 600 it") {
		t.Errorf("no warning about the world-readable key file:\n%s", stderr)
	}
	if strings.Contains(stderr, knownKey) {
		t.Error("the warning shows the key")
	}
	code, stdout, _ := testbin.Run(t, 10*time.Second, exporter, []string{"check", "--certcentral.url=" + closedURL, "--certcentral.api-key-file=" + keyFile})
	if code != 2 || !strings.Contains(stdout, "key        WARN the API key file") {
		t.Errorf("check (exit %d) does not warn about the key file:\n%s", code, stdout)
	}
}

func putFaults(t *testing.T, simURL string, faults ...string) {
	t.Helper()
	if err := testbin.SetFaults(simURL, faults...); err != nil {
		t.Fatal(err)
	}
}
