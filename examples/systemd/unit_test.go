// Package systemd holds the example systemd unit; its test checks it and the unit the .deb and
// .rpm packages ship (packaging/) the ways that work without a running systemd: the keys each
// must have, that their hardening is the same, systemd-analyze's verdict, and the real binary
// started (and, for the packaged unit, checked and reloaded) with each unit's command lines and
// env file's flags.
package systemd

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/config"
	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

// variant is one of the two units.
type variant struct {
	name     string
	unitFile string
	envFile  string
	binPath  string
	// Settings only this unit has, and keys it must not set.
	own       []setting
	forbidden []string
	// ExecStart must contain these.
	execParts []string
	// configFile is the config file the unit's commands name (--config.file); "" when the
	// flags describe the one account.
	configFile string
}

// configCheck is the unit's --config.check command line: ExecStartPre, and the first ExecReload.
func (v variant) configCheck() string {
	return v.binPath + " --config.check --config.file=" + v.configFile + " $CERTCENTRAL_EXPORTER_ARGS"
}

type setting struct{ section, key, want string }

var variants = []variant{{
	// By hand from the release archive: a dynamic user, the key as a credential.
	name:     "example",
	unitFile: "certcentral_exporter.service",
	envFile:  "certcentral_exporter.default",
	binPath:  "/usr/local/bin/certcentral_exporter",
	own: []setting{
		{"Service", "DynamicUser", "yes"},
		{"Service", "LoadCredential", "certcentral-api-key:/etc/certcentral_exporter/api.key"},
	},
	// The credential is a copy made at start: a reload would re-read the old key.
	forbidden: []string{"User", "Group", "ExecStartPre", "ExecReload"},
	execParts: []string{" --certcentral.api-key-file=${CREDENTIALS_DIRECTORY}/certcentral-api-key "},
}, {
	// The packages: a system user that owns the key files in /etc/certcentral_exporter/, one
	// per account of the configuration file; the config is checked before each start and
	// reload, and reloaded on SIGHUP.
	name:     "package",
	unitFile: "../../packaging/certcentral_exporter.service",
	envFile:  "../../packaging/certcentral_exporter.default",
	binPath:  "/usr/bin/certcentral_exporter",
	own: []setting{
		{"Service", "User", "certcentral_exporter"},
		{"Service", "Group", "certcentral_exporter"},
	},
	forbidden:  []string{"DynamicUser", "LoadCredential"},
	execParts:  []string{" --config.file=/etc/certcentral_exporter/certcentral.yml "},
	configFile: "/etc/certcentral_exporter/certcentral.yml",
}}

// variantKeys are the [Service] keys in which the units differ (TestVariantKeysDiffer holds the
// list to that); the rest (hardening, restarts, the [Unit] and [Install] sections) must be the
// same.
var variantKeys = map[string]bool{
	"DynamicUser": true, "LoadCredential": true, "User": true, "Group": true, "ExecStart": true,
	"ExecStartPre": true, "ExecReload": true,
}

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
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			u := parseUnit(t, v.unitFile)
			for _, kv := range append([]setting{
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
			}, v.own...) {
				got, ok := u.last(kv.section, kv.key)
				if !ok || got != kv.want {
					t.Errorf("[%s] %s = %q (set: %v), want %q", kv.section, kv.key, got, ok, kv.want)
				}
			}
			if filters := u["Service"]["SystemCallFilter"]; len(filters) == 0 || filters[0] != "@system-service" {
				t.Errorf("SystemCallFilter = %v, want @system-service first", filters)
			}
			for _, forbidden := range v.forbidden {
				if _, ok := u.last("Service", forbidden); ok {
					t.Errorf("[Service] %s is set", forbidden)
				}
			}
			for _, env := range u["Service"]["Environment"] {
				if strings.HasPrefix(env, "CERTCENTRAL_API_KEY") {
					t.Errorf("Environment=%s: the key must come from a file, not the unit", env)
				}
			}
			exec, _ := u.last("Service", "ExecStart")
			if !strings.HasPrefix(exec, v.binPath+" ") || !strings.HasSuffix(exec, " $CERTCENTRAL_EXPORTER_ARGS") {
				t.Errorf("ExecStart = %q, want %s ... $CERTCENTRAL_EXPORTER_ARGS", exec, v.binPath)
			}
			for _, part := range v.execParts {
				if !strings.Contains(exec, part) {
					t.Errorf("ExecStart = %q, want it to contain %q", exec, part)
				}
			}
			if v.configFile == "" {
				return
			}
			// The check before a start and before SIGHUP reads the file ExecStart serves, with
			// the same flags; the reload is SIGHUP to the exporter.
			if pre := u["Service"]["ExecStartPre"]; !slices.Equal(pre, []string{v.configCheck()}) {
				t.Errorf("ExecStartPre = %q, want %q", pre, v.configCheck())
			}
			if reload := u["Service"]["ExecReload"]; !slices.Equal(reload, []string{v.configCheck(), "/bin/kill -HUP $MAINPID"}) {
				t.Errorf("ExecReload = %q, want %q then /bin/kill -HUP $MAINPID", reload, v.configCheck())
			}
		})
	}
}

// Every key variantKeys excuses really differs between the units: an entry that no longer does
// would let the hardening drift apart unnoticed.
func TestVariantKeysDiffer(t *testing.T) {
	a, b := parseUnit(t, variants[0].unitFile), parseUnit(t, variants[1].unitFile)
	for k := range variantKeys {
		if slices.Equal(a["Service"][k], b["Service"][k]) {
			t.Errorf("[Service] %s is the same in both units (%q): remove it from variantKeys", k, a["Service"][k])
		}
	}
}

// The packaged unit is the example with another user model: a change to the hardening of one
// must reach the other.
func TestUnitsShareTheirHardening(t *testing.T) {
	a, b := parseUnit(t, variants[0].unitFile), parseUnit(t, variants[1].unitFile)
	for _, section := range []string{"Unit", "Service", "Install"} {
		keys := map[string]bool{}
		for k := range a[section] {
			keys[k] = true
		}
		for k := range b[section] {
			keys[k] = true
		}
		for k := range keys {
			if variantKeys[k] || (section == "Unit" && k == "Documentation") {
				continue
			}
			if x, y := strings.Join(a[section][k], " | "), strings.Join(b[section][k], " | "); x != y {
				t.Errorf("[%s] %s: %s has %q, %s has %q", section, k, variants[0].name, x, variants[1].name, y)
			}
		}
	}
}

// The packaged unit's user is the one the package creates.
func TestPackagedUserIsCreated(t *testing.T) {
	user, _ := parseUnit(t, variants[1].unitFile).last("Service", "User")
	sysusers, err := os.ReadFile("../../packaging/sysusers.conf")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^u\s+` + regexp.QuoteMeta(user) + `\s`).Match(sysusers) {
		t.Errorf("packaging/sysusers.conf does not create the user %q:\n%s", user, sysusers)
	}
	postinst, err := os.ReadFile("../../packaging/postinstall.sh")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(postinst), "\nuser="+user+"\n") {
		t.Errorf("packaging/postinstall.sh does not set up the user %q", user)
	}
}

// envAssignments reads KEY=VALUE lines of an env file: the active ones, and all of them with
// the commented-out examples.
func envAssignments(t *testing.T, path string) (active, all map[string]string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	assign := regexp.MustCompile(`^(#?)([A-Z][A-Z0-9_]*)=(.*)$`)
	active, all = map[string]string{}, map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		if m := assign.FindStringSubmatch(line); m != nil {
			value := strings.Trim(m[3], `"`)
			all[m[2]] = value
			if m[1] == "" {
				active[m[2]] = value
			}
		}
	}
	return active, all
}

// The env file's variables are ones the exporter reads (its --help lists them) or the unit's
// own; the packaged env file leaves every per-account setting to the config file. The unit's
// command lines with the env file's settings, the key (and the config) moved to temporary
// places and the URL to a closed loopback port, run the real binary: ExecStart serves
// /-/healthy after reading that key, and the packaged unit's ExecStartPre passes, its
// ExecReload makes the exporter reload, and its ExecStartPre fails, naming the key file, once
// the key is gone.
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
	// What a config file sets per account, and the key and config sources the unit sets.
	perAccount := map[string]bool{"CERTCENTRAL_API_KEY_FILE": true, "CERTCENTRAL_CONFIG_FILE": true}
	for _, d := range config.SettingsTable {
		if d.Envar != "" {
			perAccount[d.Envar] = true
		}
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			active, all := envAssignments(t, v.envFile)
			for name := range all {
				if !known[name] {
					t.Errorf("%s sets %s, which neither the exporter nor the unit reads", v.envFile, name)
				}
				if name == "CERTCENTRAL_API_KEY" {
					t.Errorf("%s mentions CERTCENTRAL_API_KEY: the key belongs in a file", v.envFile)
				}
				if v.configFile != "" && perAccount[name] {
					t.Errorf("%s mentions %s: with --config.file that belongs in the config file", v.envFile, name)
				}
			}

			u := parseUnit(t, v.unitFile)
			closedURL := "http://" + testbin.ClosedAddr(t) + "/services/v2"
			dir := t.TempDir()
			env := []string{"CERTCENTRAL_URL=" + closedURL}
			for name, value := range active {
				if name != "CERTCENTRAL_EXPORTER_ARGS" && name != "CERTCENTRAL_URL" {
					env = append(env, name+"="+value)
				}
			}
			vars := []string{"${CREDENTIALS_DIRECTORY}", dir, "$CERTCENTRAL_EXPORTER_ARGS", active["CERTCENTRAL_EXPORTER_ARGS"]}
			keyFile := filepath.Join(dir, "certcentral-api-key") // the credential's name
			if v.configFile != "" {
				keyFile = filepath.Join(dir, "prod-us.key")
				configFile := filepath.Join(dir, "certcentral.yml")
				writeTestConfig(t, configFile, keyFile, closedURL)
				vars = append(vars, v.configFile, configFile)
			}
			if err := os.WriteFile(keyFile, []byte("systemd-test-key\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			// command is a unit's command line as systemd would run it, with the built binary.
			command := func(line string, more ...string) []string {
				args := strings.Fields(strings.NewReplacer(append(vars, more...)...).Replace(line))
				if args[0] == v.binPath {
					args[0] = bin
				}
				return args
			}
			run := func(key, line string, more ...string) (int, string) {
				args := command(line, more...)
				code, stdout, stderr := testbin.Run(t, 30*time.Second, args[0], args[1:], env...)
				if strings.Contains(stdout+stderr, "systemd-test-key") {
					t.Errorf("%s: the key appears in the output", key)
				}
				return code, stdout + stderr
			}

			checks := u["Service"]["ExecStartPre"]
			for _, pre := range checks {
				if code, out := run("ExecStartPre", pre); code != 0 || !strings.Contains(out, keyFile+": key readable") {
					t.Errorf("ExecStartPre %s: exit %d, want 0 with %s readable:\n%s", pre, code, keyFile, out)
				}
			}

			execStart, _ := u.last("Service", "ExecStart")
			var args []string
			for _, a := range command(execStart)[1:] {
				if !strings.HasPrefix(a, "--web.listen-address=") { // StartServer listens on port 0
					args = append(args, a)
				}
			}
			p := testbin.StartServer(t, bin, args, env...)
			p.WaitHTTP(t, p.URL()+"/-/healthy", 10*time.Second)
			// Without a key the exporter exits at once: healthy, and the log line naming the key
			// file, mean it read this one.
			watching := regexp.MustCompile(`msg="watching CertCentral account" .*url=` + regexp.QuoteMeta(closedURL) +
				` key_source="file ` + regexp.QuoteMeta(keyFile) + `"`)
			waitOutput(t, p, "the account with the test key and URL", watching)

			for _, reload := range u["Service"]["ExecReload"] {
				if code, out := run("ExecReload", reload, "$MAINPID", strconv.Itoa(p.PID())); code != 0 {
					t.Errorf("ExecReload %s: exit %d:\n%s", reload, code, out)
				}
			}
			if len(u["Service"]["ExecReload"]) > 0 {
				waitOutput(t, p, "the reload", regexp.MustCompile(`msg="configuration reloaded"`))
			}
			_, stderr := p.Output()
			if strings.Contains(stderr, "systemd-test-key") {
				t.Error("the key appears in the exporter's output")
			}

			// A missing key stops the start before the exporter runs, with the file named.
			if err := os.Remove(keyFile); err != nil {
				t.Fatal(err)
			}
			for _, pre := range checks {
				if code, out := run("ExecStartPre", pre); code == 0 || !strings.Contains(out, "cannot read the API key file "+keyFile) {
					t.Errorf("ExecStartPre %s without the key: exit %d, want a failure naming %s:\n%s", pre, code, keyFile, out)
				}
			}
		})
	}
}

// writeTestConfig writes examples/certcentral.yml with prod-us's key file moved to keyFile and
// the account pointed at url (its url: wins over the defaults' region), so that nothing leaves
// the machine.
func writeTestConfig(t *testing.T, path, keyFile, url string) {
	t.Helper()
	example, err := os.ReadFile("../certcentral.yml")
	if err != nil {
		t.Fatal(err)
	}
	const keyLine = "    api_key_file: /etc/certcentral_exporter/prod-us.key\n"
	if n := strings.Count(string(example), keyLine); n != 1 {
		t.Fatalf("examples/certcentral.yml has %d lines %q, want 1", n, keyLine)
	}
	text := strings.Replace(string(example), keyLine, "    api_key_file: "+keyFile+"\n    url: "+url+"\n", 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitOutput waits up to 10 s for re to match the process's log.
func waitOutput(t *testing.T, p *testbin.Proc, what string, re *regexp.Regexp) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if _, stderr := p.Output(); re.MatchString(stderr) {
			return
		}
	}
	_, stderr := p.Output()
	t.Fatalf("no log line for %s (%s):\n%s", what, re, stderr)
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
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			src, err := os.ReadFile(v.unitFile)
			if err != nil {
				t.Fatal(err)
			}
			copyPath := filepath.Join(t.TempDir(), filepath.Base(v.unitFile))
			if err := os.WriteFile(copyPath, []byte(strings.ReplaceAll(string(src), v.binPath, bin)), 0o644); err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{
				{"verify", "--man=no", "--generators=no", copyPath},
				// The threshold is on systemd's internal 0-100 scale (printed as 0.0-10.0):
				// 20 = 2.0. These units score 1.2; one without hardening scores above 8.
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
		})
	}
}
