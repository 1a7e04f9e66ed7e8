package config

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/certcentral"
)

// TestBadFiles: every file in testdata/bad is refused with the message its first line gives
// (after "# want: "), which names the file, the line and the field.
func TestBadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yml")
	if err != nil || len(files) < 20 {
		t.Fatalf("want the bad config files, found %d (%v)", len(files), err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			want := wantLine(t, f)
			_, err := Parse(filepath.Base(f), mustRead(t, f), DefaultSettings())
			if err == nil {
				t.Fatalf("accepted; want the error %q", want)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error:\n  %v\nwant it to contain:\n  %s", err, want)
			}
		})
	}
}

func wantLine(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan()
	want, ok := strings.CutPrefix(sc.Text(), "# want: ")
	if !ok {
		t.Fatalf("%s: the first line must be '# want: <error>'", path)
	}
	return want
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestIssueExample: the shape from the multi-account issue loads, with inheritance as
// documented: defaults over the flags, the account over the defaults, url over region.
func TestIssueExample(t *testing.T) {
	base := DefaultSettings()
	base.RateLimit = 300 // as if set by a flag: the file does not set it, so it stays
	cfg, err := LoadFile("testdata/good/issue-example.yml", base)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Names(); !reflect.DeepEqual(got, []string{"prod-us", "prod-eu", "lab"}) {
		t.Fatalf("accounts %v", got)
	}
	us, _ := cfg.Account("prod-us")
	eu, _ := cfg.Account("prod-eu")
	lab, _ := cfg.Account("lab")
	for _, c := range []struct {
		name, got, want string
	}{
		{"prod-us url", us.URL, certcentral.USBaseURL},
		{"prod-eu url", eu.URL, certcentral.EUBaseURL},
		{"lab url", lab.URL, "https://certcentral.example.internal/services/v2"},
		{"prod-us key", us.KeySource(), "file /etc/certcentral/prod-us.key"},
		{"lab key", lab.KeySource(), "environment LAB_CERTCENTRAL_KEY"},
		{"prod-us collectors", strings.Join(us.Collectors, ","), "account,balance,domains,orders,products,users"},
		{"lab collectors", strings.Join(lab.Collectors, ","), "domains,users"},
		{"prod-eu team", eu.Labels["team"], "pki-eu"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if len(us.Labels) != 0 {
		t.Errorf("prod-us has labels %v, want none", us.Labels)
	}
	if us.RateLimit != 300 || lab.RateLimit != 300 {
		t.Errorf("rate limit %d/%d: the flag's value must reach accounts that do not set it", us.RateLimit, lab.RateLimit)
	}
}

// TestSettingsByFlagName: per-collector options and client settings set in defaults and per
// account, under the flags' names; the account wins over the defaults.
func TestSettingsByFlagName(t *testing.T) {
	cfg, err := Parse("f.yml", []byte(`
defaults:
  collector.orders.expired-retention: 60d
  collector.users.per-user: false
  certcentral.rate-limit: 200
  collector.orders.min-interval: 15m
  labels: {env: prod, team: pki}
accounts:
  - name: a
    api_key_env: KEY_A
    collector.users.per-user: true
    collector.users.max-users: 50
    collector.balance.division-id: 12345
    certcentral.request-timeout: 45s
    labels: {team: web}
  - name: b
    api_key_file: keys/b.key
`), DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	a, _ := cfg.Account("a")
	b, _ := cfg.Account("b")
	if !a.Options.Users.PerUser || b.Options.Users.PerUser {
		t.Errorf("per-user a=%v b=%v, want true/false", a.Options.Users.PerUser, b.Options.Users.PerUser)
	}
	if a.Options.Users.MaxUsers != 50 || a.Options.Balance.DivisionID != 12345 || a.RequestTimeout != 45*time.Second {
		t.Errorf("account a's own settings not applied: %+v", a.Settings)
	}
	for _, acct := range []Account{a, b} {
		if acct.Options.Orders.ExpiredRetention != 60*24*time.Hour || acct.RateLimit != 200 || acct.MinInterval["orders"] != 15*time.Minute {
			t.Errorf("%s: defaults not applied: retention %v, rate %d, min-interval %v", acct.Name,
				acct.Options.Orders.ExpiredRetention, acct.RateLimit, acct.MinInterval)
		}
	}
	if !reflect.DeepEqual(a.Labels, map[string]string{"env": "prod", "team": "web"}) || !reflect.DeepEqual(b.Labels, map[string]string{"env": "prod", "team": "pki"}) {
		t.Errorf("labels a=%v b=%v", a.Labels, b.Labels)
	}
	if b.KeyFile != "keys/b.key" { // Parse's name has no directory: relative to the working directory
		t.Errorf("key file %q", b.KeyFile)
	}
	if got := a.LabelPairs(); !reflect.DeepEqual(got, [][2]string{{"account", "a"}, {"env", "prod"}, {"team", "web"}}) {
		t.Errorf("label pairs %v", got)
	}
}

// TestRelativeKeyFile: a relative api_key_file is read from the config file's directory, as
// Prometheus reads relative paths in its own config.
func TestRelativeKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "certcentral.yml")
	if err := os.WriteFile(path, []byte("accounts:\n  - name: a\n    api_key_file: a.key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadFile(path, DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "a.key"); cfg.Accounts[0].KeyFile != want {
		t.Errorf("key file %q, want %q", cfg.Accounts[0].KeyFile, want)
	}
}

// TestYAMLRoundTrip: what /config shows is itself a valid config that loads to the same
// accounts, and it names key sources but holds no key.
func TestYAMLRoundTrip(t *testing.T) {
	cfg, err := LoadFile("testdata/good/issue-example.yml", DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	shown := cfg.YAML()
	back, err := Parse("shown.yml", shown, Settings{})
	if err != nil {
		t.Fatalf("the rendered config does not load: %v\n%s", err, shown)
	}
	back.Source = cfg.Source
	if !reflect.DeepEqual(back, cfg) {
		t.Errorf("round trip differs:\n%s\n%+v\n%+v", shown, back, cfg)
	}
	for _, want := range []string{"api_key_file: /etc/certcentral/prod-us.key", "api_key_env: LAB_CERTCENTRAL_KEY", `team: "pki-eu"`} {
		if !strings.Contains(string(shown), want) {
			t.Errorf("the rendered config lacks %q:\n%s", want, shown)
		}
	}
}

// TestFromFlags: without a file, one account "default" with the flags' key file, or the
// environment variable CERTCENTRAL_API_KEY.
func TestFromFlags(t *testing.T) {
	cfg := FromFlags(DefaultSettings(), "")
	if len(cfg.Accounts) != 1 || cfg.Accounts[0].Name != "default" || cfg.Accounts[0].KeyEnv != APIKeyEnv {
		t.Errorf("%+v", cfg.Accounts)
	}
	cfg = FromFlags(DefaultSettings(), "/etc/k")
	if cfg.Accounts[0].KeySource() != "file /etc/k" {
		t.Errorf("%s", cfg.Accounts[0].KeySource())
	}
}

// TestHostileFiles: a config path that is not a regular file, or a huge file, is refused
// before it is read whole, and without waiting: a named pipe with no writer used to block
// open(2) forever, hanging start, check and a SIGHUP reload.
func TestHostileFiles(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yml")
	if err := os.WriteFile(big, make([]byte, maxConfigBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	type row struct{ path, want string }
	rows := []row{
		{t.TempDir(), "is a directory, not a regular file"},
		{big, "is larger than 1048576 bytes: is the path right?"},
		{"/no/such/f", "cannot read the config file /no/such/f: "},
	}
	for _, sf := range specialFiles(t, dir) {
		rows = append(rows, row{sf.path, "the config file " + sf.path + " is " + sf.kind + ", not a regular file"})
	}
	for _, tt := range rows {
		done := make(chan error, 1)
		go func() {
			_, err := LoadFile(tt.path, DefaultSettings())
			done <- err
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: error %v, want %q", tt.path, err, tt.want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("LoadFile(%s) has not returned after 5 s", tt.path)
		}
	}
}

// TestManyErrorsBounded: a file with thousands of mistakes gives a bounded report.
func TestManyErrorsBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("accounts:\n")
	for range 5000 {
		b.WriteString("  - name: BAD NAME\n")
	}
	_, err := Parse("f.yml", []byte(b.String()), DefaultSettings())
	if err == nil {
		t.Fatal("accepted")
	}
	if n := strings.Count(err.Error(), "\n"); n > maxErrorsReported+1 {
		t.Errorf("%d lines of errors, want at most %d", n, maxErrorsReported+1)
	}
}
