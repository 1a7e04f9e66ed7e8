// Package systemd holds the example systemd unit; its test checks the unit the ways that work
// without a running systemd: the keys it must have, systemd-analyze's verdict, and the real
// binary started with the unit's and the env file's flags.
package systemd

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

const (
	unitFile = "certcentral_exporter.service"
	envFile  = "certcentral_exporter.default"
	binPath  = "/usr/local/bin/certcentral_exporter"
	keyFlag  = "--certcentral.api-key-file=${CREDENTIALS_DIRECTORY}/certcentral-api-key"
)

// unit is a parsed unit file: section -> key -> values in order (keys may repeat).
type unit map[string]map[string][]string

func parseUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u, section := unit{}, ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			u[section] = map[string][]string{}
		case strings.HasSuffix(line, `\`):
			t.Fatalf("%s:%d: continuation lines are not expected in this unit", path, n)
		default:
			key, value, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not a key=value line in a section: %q", path, n, line)
			}
			u[section][key] = append(u[section][key], value)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

func (u unit) last(section, key string) (string, bool) {
	v := u[section][key]
	if len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

func TestUnitHasRequiredSettings(t *testing.T) {
	u := parseUnit(t, unitFile)
	for _, kv := range []struct{ section, key, want string }{
		{"Service", "DynamicUser", "yes"},
		{"Service", "LoadCredential", "certcentral-api-key:/etc/certcentral_exporter/api-key"},
		{"Service", "EnvironmentFile", "-/etc/default/certcentral_exporter"},
		{"Service", "NoNewPrivileges", "yes"},
		{"Service", "ProtectSystem", "strict"},
		{"Service", "ProtectHome", "yes"},
		{"Service", "PrivateTmp", "yes"},
		{"Service", "PrivateDevices", "yes"},
		{"Service", "CapabilityBoundingSet", ""},
		{"Service", "AmbientCapabilities", ""},
		{"Service", "RestrictAddressFamilies", "AF_INET AF_INET6"},
		{"Service", "RestrictNamespaces", "yes"},
		{"Service", "MemoryDenyWriteExecute", "yes"},
		{"Service", "SystemCallArchitectures", "native"},
		{"Service", "Restart", "on-failure"},
		{"Install", "WantedBy", "multi-user.target"},
	} {
		got, ok := u.last(kv.section, kv.key)
		if !ok || got != kv.want {
			t.Errorf("[%s] %s = %q (set: %v), want %q", kv.section, kv.key, got, ok, kv.want)
		}
	}
	if filters := u["Service"]["SystemCallFilter"]; len(filters) == 0 || filters[0] != "@system-service" {
		t.Errorf("SystemCallFilter = %v, want @system-service first", filters)
	}
	for _, forbidden := range []string{"User", "Environment=CERTCENTRAL_API_KEY"} {
		if _, ok := u.last("Service", forbidden); ok {
			t.Errorf("[Service] %s is set: the unit uses DynamicUser and a credential", forbidden)
		}
	}
	for _, env := range u["Service"]["Environment"] {
		if strings.HasPrefix(env, "CERTCENTRAL_API_KEY") {
			t.Errorf("Environment=%s: the key must come from the credential, not the unit", env)
		}
	}
	exec, _ := u.last("Service", "ExecStart")
	if !strings.HasPrefix(exec, binPath+" ") || !strings.Contains(exec, " "+keyFlag+" ") || !strings.HasSuffix(exec, " $CERTCENTRAL_EXPORTER_ARGS") {
		t.Errorf("ExecStart = %q, want %s with %s and $CERTCENTRAL_EXPORTER_ARGS", exec, binPath, keyFlag)
	}
}

// envAssignments reads KEY=VALUE lines of the env file, also the commented-out examples.
func envAssignments(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	assign := regexp.MustCompile(`^#?([A-Z][A-Z0-9_]*)=(.*)$`)
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if m := assign.FindStringSubmatch(line); m != nil {
			out[m[1]] = strings.Trim(m[2], `"`)
		}
	}
	return out
}

// The env file's variables are ones the exporter reads (its --help lists them) or the unit's
// own; the flags in it and in ExecStart start the real binary, which then serves /-/healthy.
func TestUnitAndEnvFileStartTheExporter(t *testing.T) {
	bin := testbin.Build(t, "certcentral_exporter")[0]
	_, stdout, stderr := testbin.Run(t, 30*time.Second, bin, []string{"--help"})
	help := stdout + stderr
	known := map[string]bool{"CERTCENTRAL_EXPORTER_ARGS": true}
	for _, m := range regexp.MustCompile(`\(\$([A-Z0-9_]+)\)`).FindAllStringSubmatch(help, -1) {
		known[m[1]] = true
	}
	if len(known) < 3 {
		t.Fatalf("found only %v in --help; has its format changed?", known)
	}
	env := envAssignments(t)
	for name := range env {
		if !known[name] {
			t.Errorf("%s sets %s, which neither the exporter nor the unit reads", envFile, name)
		}
		if name == "CERTCENTRAL_API_KEY" {
			t.Errorf("%s mentions CERTCENTRAL_API_KEY: the key belongs in the credential file", envFile)
		}
	}

	// ExecStart as systemd would expand it, with the credential directory and the listen
	// address moved to a temporary place.
	u := parseUnit(t, unitFile)
	execStart, _ := u.last("Service", "ExecStart")
	credDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(credDir, "certcentral-api-key"), []byte("systemd-test-key\n"), 0o400); err != nil {
		t.Fatal(err)
	}
	expanded := strings.ReplaceAll(execStart, "${CREDENTIALS_DIRECTORY}", credDir)
	expanded = strings.ReplaceAll(expanded, "$CERTCENTRAL_EXPORTER_ARGS", env["CERTCENTRAL_EXPORTER_ARGS"])
	var args []string
	for _, a := range strings.Fields(expanded)[1:] {
		if !strings.HasPrefix(a, "--web.listen-address=") { // StartServer listens on port 0
			args = append(args, a)
		}
	}
	p := testbin.StartServer(t, bin, args, "CERTCENTRAL_URL=http://"+testbin.ClosedAddr(t)+"/services/v2")
	p.WaitHTTP(t, p.URL()+"/-/healthy", 10*time.Second)
	if _, stderr := p.Output(); strings.Contains(stderr, "systemd-test-key") {
		t.Error("the key appears in the exporter's output")
	}
}

// systemd-analyze checks the unit's syntax, that every key is known to this systemd, and the
// exposure score of the hardening. It needs the binary the unit starts, so the unit is copied
// with ExecStart pointing at a freshly built one.
func TestSystemdAnalyze(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (Debian package systemd); the key checks above still ran")
	}
	bin := testbin.Build(t, "certcentral_exporter")[0]
	src, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(t.TempDir(), unitFile)
	if err := os.WriteFile(copyPath, []byte(strings.ReplaceAll(string(src), binPath, bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"verify", "--man=no", "--generators=no", copyPath},
		// The threshold is on systemd's internal 0-100 scale (printed as 0.0-10.0): 20 = 2.0.
		// This unit scores 1.2; one without hardening scores above 8.
		{"security", "--offline=yes", "--threshold=20", copyPath},
	} {
		cmd := exec.Command(analyze, args...)
		cmd.Dir = t.TempDir()
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("systemd-analyze %s: %v\n%s", args[0], err, out)
			continue
		}
		// verify exits 0 on unknown keys or misplaced settings, but says so.
		if args[0] == "verify" && len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("systemd-analyze verify complained:\n%s", out)
		}
	}
}
