package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/listenaddr"
	"github.com/certcentral-exporter/certcentral_exporter/internal/simulator"
)

const key = "sim-secret-key-42"

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseArgs(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte("  file-key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	emptyFile := filepath.Join(t.TempDir(), "empty")
	_ = os.WriteFile(emptyFile, []byte(" \n"), 0o600)
	withEnv := env(map[string]string{keyEnv: "\tenv-key \n"})

	cases := []struct {
		name    string
		args    []string
		getenv  func(string) string
		wantErr string
		check   func(t *testing.T, c *config)
	}{
		{name: "defaults", getenv: withEnv, check: func(t *testing.T, c *config) {
			if c.listen != "127.0.0.1:10028" || c.key != "env-key" || c.restriction != simulator.RestrictionViewOnly ||
				c.scenario != "demo" || c.generate || !c.rateLimit || c.latency != 0 || len(c.faults) != 0 {
				t.Errorf("%+v", c)
			}
		}},
		{name: "file wins over env", args: []string{"--api-key-file", keyFile}, getenv: withEnv, check: func(t *testing.T, c *config) {
			if c.key != "file-key" {
				t.Errorf("key %q", c.key)
			}
		}},
		{name: "everything", getenv: withEnv, args: []string{"--key-restriction", "orders-domains", "--scenario", "healthy",
			"--users", "50", "--seed", "9", "--latency", "100ms", "--no-rate-limit",
			"--fault", "/domain=status:503", "--fault", "*=latency:2s@0.3", "--log.level", "debug"},
			check: func(t *testing.T, c *config) {
				if c.restriction != simulator.RestrictionOrdersDomainsOrganizations || !c.generate || c.seed != 9 ||
					c.sizes != (simulator.Sizes{Users: 50, Domains: 500, Orders: 1000}) || c.latency != 100*time.Millisecond ||
					c.rateLimit || len(c.faults) != 2 || c.faults[1].Probability != 0.3 {
					t.Errorf("%+v", c)
				}
			}},
		{name: "no key", getenv: env(nil), wantErr: "API key is required"},
		{name: "empty key file", args: []string{"--api-key-file", emptyFile}, getenv: withEnv, wantErr: "is empty"},
		{name: "missing key file", args: []string{"--api-key-file", "/nonexistent/key"}, getenv: withEnv, wantErr: "reading --api-key-file"},
		{name: "bad restriction", args: []string{"--key-restriction", "admin"}, getenv: withEnv, wantErr: "admin"},
		{name: "bad fault", args: []string{"--fault", "/nope=hang"}, getenv: withEnv, wantErr: "unknown endpoint"},
		{name: "negative size", args: []string{"--orders=-1"}, getenv: withEnv, wantErr: "negative"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parseArgs(c.args, c.getenv, io.Discard)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				if strings.Contains(err.Error(), "env-key") || strings.Contains(err.Error(), "file-key") {
					t.Fatal("error leaks the key")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, cfg)
		})
	}
}

// syncBuffer lets the test read logs while the server writes them.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunServesAndShutsDown(t *testing.T) {
	// Port 0: the kernel picks a free port at bind time; run() reports it in the address file.
	addrFile := filepath.Join(t.TempDir(), "addr")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"--web.listen-address", "127.0.0.1:0", "--web.listen-address-file", addrFile,
			"--users", "20", "--domains", "30", "--orders", "40",
			"--log.level", "debug", "--fault", "/finance/balance=hang"}, env(map[string]string{keyEnv: key}), logs)
	}()
	exited := func() bool { return len(done) > 0 }
	addrs, err := listenaddr.Wait(addrFile, 10*time.Second, exited)
	if err != nil {
		t.Fatalf("%v; log:\n%s", err, logs.String())
	}
	addr := addrs[0]
	if _, port, _ := net.SplitHostPort(addr); len(addrs) != 1 || port == "0" || !strings.Contains(logs.String(), "address="+addr) {
		t.Fatalf("reported %v; want the one bound address the log names:\n%s", addrs, logs.String())
	}

	client := &http.Client{Timeout: 2 * time.Second}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/services/v2/user?limit=5", nil)
	req.Header.Set("X-DC-DEVKEY", key)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"total":20`) {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}

	// A hanging request must not keep shutdown waiting forever.
	go func() {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/services/v2/finance/balance", nil)
		req.Header.Set("X-DC-DEVKEY", key)
		if r, err := (&http.Client{}).Do(req); err == nil {
			r.Body.Close()
		}
	}()
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	out := logs.String()
	if !strings.Contains(out, "CertCentral simulator listening") || !strings.Contains(out, "users=20") || !strings.Contains(out, "orders=40") {
		t.Errorf("start-up line missing: %s", out)
	}
	if strings.Contains(out, key) {
		t.Error("the API key was logged")
	}
}

// TestRunUnwritableAddressFile: a listen address file that cannot be written stops the
// simulator with the reason, instead of leaving the caller waiting for it.
func TestRunUnwritableAddressFile(t *testing.T) {
	addrFile := filepath.Join(t.TempDir(), "no-such-dir", "addr")
	err := run(context.Background(), []string{"--web.listen-address", "127.0.0.1:0", "--web.listen-address-file", addrFile},
		env(map[string]string{keyEnv: key}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "listen address file") {
		t.Fatalf("err = %v, want the address file named", err)
	}
}

func TestRunBadScenario(t *testing.T) {
	err := run(context.Background(), []string{"--scenario", filepath.Join(t.TempDir(), "nope.yaml")}, env(map[string]string{keyEnv: key}), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Fatalf("err = %v", err)
	}
}
