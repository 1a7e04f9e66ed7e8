package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"html/template"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/certcentral-exporter/certcentral_exporter/collector"
	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

// webStack is the simulator and the exporter as processes, with extra flags for each.
type webStack struct {
	exporter            *testbin.Proc
	simURL, exporterURL string
}

func startWebStack(t *testing.T, simArgs, exporterArgs []string) *webStack {
	t.Helper()
	bins := testbin.Build(t, "certcentral_exporter", "certcentral-simulator")
	keyFile := testbin.WriteKeyFile(t, knownKey)
	sim := testbin.StartServer(t, bins[1], append([]string{"--api-key-file=" + keyFile, "--no-rate-limit"}, simArgs...))
	sim.WaitHTTP(t, sim.URL()+"/_sim/stats", 10*time.Second)
	exp := testbin.StartServer(t, bins[0], append([]string{
		"--certcentral.url=" + sim.URL() + "/services/v2", "--certcentral.api-key-file=" + keyFile}, exporterArgs...))
	return &webStack{exporter: exp, simURL: sim.URL(), exporterURL: exp.URL()}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key, and returns their
// paths and a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "certcentral_exporter test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestWebConfigTLSAndBasicAuth: exporter-toolkit's --web.config.file with a real certificate
// and a bcrypt password: the right password over TLS is served, a wrong or missing one gets
// 401, plain HTTP to the TLS port gets no metrics, and a client that does not trust the
// certificate cannot connect.
func TestWebConfigTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	const user, password = "prometheus", "correct horse battery staple"
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	cfg := "tls_server_config:\n  cert_file: " + certFile + "\n  key_file: " + keyFile +
		"\nbasic_auth_users:\n  " + user + ": " + string(hash) + "\n"
	if err := os.WriteFile(webConfig, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startWebStack(t, nil, []string{"--web.config.file=" + webConfig})
	httpsURL := strings.Replace(s.exporterURL, "http://", "https://", 1)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}

	get := func(url, user, pass string) (int, string, error) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), nil
	}
	// Wait until the TLS listener answers.
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _, err := get(httpsURL+"/-/healthy", user, password)
		if err == nil && code == 200 {
			break
		}
		if time.Now().After(deadline) || s.exporter.Exited() {
			o, e := s.exporter.Output()
			t.Fatalf("the TLS listener never answered (last: %d %v)\n%s%s", code, err, o, e)
		}
		time.Sleep(50 * time.Millisecond)
	}

	code, body, err := get(httpsURL+"/metrics", user, password)
	if err != nil || code != 200 || !strings.Contains(body, `certcentral_up{account="default"} 1`) {
		t.Errorf("the right password over TLS: %d %v\n%.300s", code, err, body)
	}
	for _, tt := range []struct{ name, user, pass string }{
		{"wrong password", user, "wrong"}, {"unknown user", "mallory", password}, {"no credentials", "", ""},
	} {
		code, body, err := get(httpsURL+"/metrics", tt.user, tt.pass)
		if err != nil || code != http.StatusUnauthorized || strings.Contains(body, "certcentral_") {
			t.Errorf("%s: %d %v, want 401 without metrics", tt.name, code, err)
		}
	}
	// Plain HTTP to the TLS port: Go's TLS server answers 400, never the metrics.
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get(s.exporterURL + "/metrics")
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 || strings.Contains(string(b), "certcentral_") {
			t.Errorf("plain HTTP to the TLS port answered %d with metrics", resp.StatusCode)
		}
	}
	// A client that does not trust the certificate cannot connect.
	if _, err := (&http.Client{Timeout: 5 * time.Second}).Get(httpsURL + "/metrics"); err == nil {
		t.Error("a client without the certificate in its roots connected")
	}
}

// TestMaxRequests: beyond --web.max-requests concurrent scrapes the exporter answers 503 at
// once instead of queueing them.
func TestMaxRequests(t *testing.T) {
	s := startWebStack(t, []string{"--latency=2s"}, append(refreshEveryScrape(), "--web.max-requests=1"))
	s.exporter.WaitHTTP(t, s.exporterURL+"/-/healthy", 10*time.Second)
	type answer struct {
		code int
		body string
	}
	answers := make([]answer, 2)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 300 * time.Millisecond) // the first holds the slot
			answers[i].code, answers[i].body = testbin.Get(t, s.exporterURL+"/metrics")
		}()
	}
	wg.Wait()
	ok, refused := 0, 0
	for _, a := range answers {
		switch {
		case a.code == 200 && strings.Contains(a.body, "certcentral_up"):
			ok++
		case a.code == http.StatusServiceUnavailable && strings.Contains(a.body, "--web.max-requests"):
			refused++
		default:
			t.Errorf("unexpected answer %d: %.200s", a.code, a.body)
		}
	}
	if ok != 1 || refused != 1 {
		t.Errorf("two concurrent scrapes with a limit of 1: %d served, %d refused; want 1 and 1", ok, refused)
	}
	// The slot is free again afterwards.
	if code, _ := testbin.Get(t, s.exporterURL+"/metrics"); code != 200 {
		t.Errorf("a scrape after the others answered %d", code)
	}
}

// TestLandingPageShowsFailures: the landing page names a failing collector's reason, error
// and advice in words, and the others as OK.
func TestLandingPageShowsFailures(t *testing.T) {
	s := startWebStack(t, []string{"--fault=/finance/balance=status:403"}, nil)
	s.exporter.WaitHTTP(t, s.exporterURL+"/-/healthy", 10*time.Second)
	// Collections start with the exporter, not at the first scrape: without any scrape the
	// page comes to show the failing collector.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, before := testbin.Get(t, s.exporterURL+"/")
		if strings.Contains(before, "FAILED: missing_permission") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("without a scrape, the collections did not run at start:\n%s", before)
		}
	}
	if code, _ := testbin.Get(t, s.exporterURL+"/metrics"); code != 200 {
		t.Fatalf("/metrics answered %d", code)
	}
	code, page := testbin.Get(t, s.exporterURL+"/")
	if code != 200 {
		t.Fatalf("/ answered %d", code)
	}
	balance, _ := collector.Lookup("balance")
	for _, want := range []string{
		"1 of 8 collectors failing", // the default ones: api_keys is off
		"FAILED: missing_permission",
		"GET /finance/balance: HTTP 403",
		"<b>Fix:</b> " + template.HTMLEscapeString(collector.Advice(balance, "missing_permission")),
		"/finance/balance",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the landing page lacks %q:\n%s", want, page)
		}
	}
	if n := strings.Count(page, `<span class="ok">OK</span>`); n != 7 {
		t.Errorf("%d collectors shown OK, want 7", n)
	}
	// A failed collection made requests that brought nothing: its Requests cell stays empty
	// rather than showing a count of the last successful one.
	row := regexp.MustCompile(`(?s)<tr>\s*<td>balance</td>.*?</tr>`).FindString(page)
	cells := regexp.MustCompile(`(?s)<td>(.*?)</td>`).FindAllStringSubmatch(row, -1)
	if len(cells) < 5 || strings.TrimSpace(cells[4][1]) != "" {
		t.Errorf("the failing balance row should have an empty Requests cell: %q", row)
	}
	if strings.Contains(page, knownKey) {
		t.Error("the landing page shows the API key")
	}
}
