package kubernetes

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v2"

	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

// multiAccount is what the multi-account overlay gives its one exporter: a config file from a
// ConfigMap and every account's key from one Secret, each mounted read-only.
type multiAccount struct {
	args       []string
	configFile string // --config.file, inside the ConfigMap's mount
	config     string // the ConfigMap's text of that file
	keysDir    string // where the Secret is mounted
	accounts   []string
}

// multiAccountLayout checks the overlay's wiring and returns it: --config.file names the data
// key of a mounted ConfigMap the overlay renders, and every account's api_key_file is the
// Secret entry named after the account, under the Secret's mount.
func multiAccountLayout(t *testing.T, objs []object) multiAccount {
	t.Helper()
	d := decode[deployment](t, one(t, objs, "Deployment", "certcentral-exporter"))
	p := d.Spec.Template.Spec
	c := p.Containers[0]
	ma := multiAccount{args: c.Args}
	for _, a := range c.Args {
		if f, ok := strings.CutPrefix(a, "--config.file="); ok {
			ma.configFile = f
		}
		if strings.HasPrefix(a, "--certcentral.api-key-file=") {
			t.Errorf("args %v: the accounts' keys come from the config file, not --certcentral.api-key-file", c.Args)
		}
	}
	if ma.configFile == "" {
		t.Fatalf("args %v: no --config.file", c.Args)
	}
	mountOf := func(volume string) string {
		for _, m := range c.VolumeMounts {
			if m.Name == volume {
				return m.MountPath
			}
		}
		return ""
	}
	var secrets []string
	for _, v := range p.Volumes {
		switch {
		case v.ConfigMap != nil && mountOf(v.Name) == path.Dir(ma.configFile):
			cm := decode[secret](t, one(t, objs, "ConfigMap", v.ConfigMap.Name))
			ma.config = cm.Data[path.Base(ma.configFile)]
		case v.Secret != nil:
			secrets = append(secrets, v.Secret.SecretName)
			ma.keysDir = mountOf(v.Name)
			if v.Secret.DefaultMode != 0o440 || len(v.Secret.Items) != 0 {
				t.Errorf("Secret volume %s: mode %#o, items %v; want 0440 (group 65534 through fsGroup) and every entry a file, so that adding an account needs no manifest change",
					v.Name, v.Secret.DefaultMode, v.Secret.Items)
			}
		}
	}
	if ma.config == "" {
		t.Fatalf("--config.file=%s is not a key of a ConfigMap the overlay renders and mounts there", ma.configFile)
	}
	if len(secrets) != 1 || secrets[0] != "certcentral-api-keys" || ma.keysDir == "" {
		t.Fatalf("Secret volumes %v mounted at %q: want one Secret certcentral-api-keys with every account's key, mounted", secrets, ma.keysDir)
	}
	var cfg struct {
		Accounts []struct {
			Name       string `yaml:"name"`
			APIKeyFile string `yaml:"api_key_file"`
		} `yaml:"accounts"`
	}
	if err := yaml.Unmarshal([]byte(ma.config), &cfg); err != nil {
		t.Fatalf("%s: %v", ma.configFile, err)
	}
	for _, a := range cfg.Accounts {
		if want := ma.keysDir + "/" + a.Name; a.APIKeyFile != want {
			t.Errorf("account %s: api_key_file %q, want %q (the Secret's entry named after the account)", a.Name, a.APIKeyFile, want)
		}
		ma.accounts = append(ma.accounts, a.Name)
	}
	return ma
}

func TestMultiAccountOverlay(t *testing.T) {
	objs := parseDocs(t, "multi-account", kustomize(t, "overlays/multi-account"))
	checkWiring(t, objs)
	// One exporter for every account: one Deployment, Service and ServiceAccount; the
	// dashboards' ConfigMap and the config's.
	for kind, n := range map[string]int{"Deployment": 1, "Service": 1, "ServiceAccount": 1, "ServiceMonitor": 1, "ConfigMap": 2, "Secret": 0} {
		if got := len(find(objs, kind, "")); got != n {
			t.Errorf("renders %d %s, want %d", got, kind, n)
		}
	}
	for _, o := range objs {
		if o.Metadata.Namespace != "monitoring" {
			t.Errorf("%s %s is in namespace %q, want monitoring", o.Kind, o.Metadata.Name, o.Metadata.Namespace)
		}
	}
	// A fixed ConfigMap name: an edited config is updated in the pod's file for a reload,
	// instead of a renamed ConfigMap rolling out a new pod.
	one(t, objs, "ConfigMap", "certcentral-exporter-config")
	ma := multiAccountLayout(t, objs)
	if strings.Join(ma.accounts, ",") != "team-a,team-b" {
		t.Errorf("accounts %v, want team-a and team-b", ma.accounts)
	}
	text := string(readFile(t, "overlays/multi-account/kustomization.yaml")) + string(readFile(t, "overlays/multi-account/certcentral.yml"))
	for _, doc := range []string{"To add an account", "/-/reload", "--config.check"} {
		if !strings.Contains(text, doc) {
			t.Errorf("the overlay's comments no longer say %q", doc)
		}
	}
}

// listenRe finds the address a binary started on port 0 listens on, in its log.
var listenRe = regexp.MustCompile(`msg="(?:CertCentral simulator listening|Listening on)" address=(\S+)`)

// listenAddr waits for p to log the address it listens on.
func listenAddr(t *testing.T, p *testbin.Proc) string {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !p.Exited(); time.Sleep(20 * time.Millisecond) {
		o, e := p.Output()
		if m := listenRe.FindStringSubmatch(e + o); m != nil {
			return m[1]
		}
	}
	o, e := p.Output()
	t.Fatalf("%s logged no listen address\nstdout:\n%s\nstderr:\n%s", p, o, e)
	return ""
}

// waitMetrics scrapes url until every want line is in the exposition.
func waitMetrics(t *testing.T, url string, want ...string) string {
	t.Helper()
	var body string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		_, body = testbin.Get(t, url)
		missing := false
		for _, w := range want {
			missing = missing || !strings.Contains(body, "\n"+w+"\n")
		}
		if !missing {
			return body
		}
	}
	t.Fatalf("%s never showed %v:\n%s", url, want, testbin.Lines(body, "certcentral_up"))
	return ""
}

// TestMultiAccountOverlayRunsWithTheBinaries checks the overlay's config file with
// --config.check, then starts the exporter with the Deployment's args on it (keys and
// CertCentral moved to loopback: one simulator per account, each with its own key) and adds an
// account the way the overlay's comment says: a key file, a config entry, POST /-/reload.
func TestMultiAccountOverlayRunsWithTheBinaries(t *testing.T) {
	ma := multiAccountLayout(t, parseDocs(t, "multi-account", kustomize(t, "overlays/multi-account")))
	bins := testbin.Build(t, "certcentral-simulator", "certcentral_exporter")
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	// startAccount writes the account's key file and starts a simulator that accepts only it.
	startAccount := func(name string) (key, url string) {
		key = fmt.Sprintf("k8s-test-key-%s-%d", name, time.Now().UnixNano())
		file := filepath.Join(keys, name)
		if err := os.WriteFile(file, []byte(key+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		sim := testbin.Start(t, bins[0], []string{"--web.listen-address=127.0.0.1:0", "--api-key-file=" + file, "--scenario=healthy"})
		return key, "http://" + listenAddr(t, sim) + "/services/v2"
	}
	var secretKeys []string
	urls := map[string]string{}
	for _, name := range ma.accounts {
		key, url := startAccount(name)
		secretKeys = append(secretKeys, key)
		urls[name] = url
	}

	// The ConfigMap's file, with the keys where the test put them.
	config := strings.ReplaceAll(ma.config, ma.keysDir+"/", keys+"/")
	configFile := filepath.Join(dir, path.Base(ma.configFile))
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(configFile, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(config)
	check := []string{"--config.check", "--config.file=" + configFile}
	code, stdout, stderr := testbin.Run(t, 30*time.Second, bins[1], check)
	if code != 0 {
		t.Fatalf("--config.check of the ConfigMap's config: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, name := range ma.accounts {
		if !strings.Contains(stdout+stderr, name) {
			t.Errorf("--config.check does not list account %s:\n%s%s", name, stdout, stderr)
		}
	}
	// The check reads every key: without team-b's file the config is invalid.
	moved := filepath.Join(dir, "moved-key")
	if err := os.Rename(filepath.Join(keys, ma.accounts[1]), moved); err != nil {
		t.Fatal(err)
	}
	if code, stdout, stderr := testbin.Run(t, 30*time.Second, bins[1], check); code != 2 || !strings.Contains(stdout+stderr, ma.accounts[1]) {
		t.Errorf("--config.check without %s's key file: exit %d, want 2 naming the account\n%s%s", ma.accounts[1], code, stdout, stderr)
	}
	if err := os.Rename(moved, filepath.Join(keys, ma.accounts[1])); err != nil {
		t.Fatal(err)
	}

	// Run it, each account pointed at its simulator (url wins over region).
	keyLine := regexp.MustCompile(`(?m)^(\s+)api_key_file:\s*` + regexp.QuoteMeta(keys) + `/(\S+)\s*$`)
	withURLs := func(text string) string {
		return keyLine.ReplaceAllStringFunc(text, func(line string) string {
			m := keyLine.FindStringSubmatch(line)
			return line + "\n" + m[1] + "url: " + urls[m[2]]
		})
	}
	write(withURLs(config))
	var args []string
	for _, a := range ma.args {
		switch {
		case strings.HasPrefix(a, "--web.listen-address="):
			a = "--web.listen-address=127.0.0.1:0"
		case strings.HasPrefix(a, "--config.file="):
			a = "--config.file=" + configFile
		}
		args = append(args, a)
	}
	exp := testbin.Start(t, bins[1], args)
	base := "http://" + listenAddr(t, exp)
	var want []string
	for _, name := range ma.accounts {
		want = append(want, fmt.Sprintf(`certcentral_up{account=%q} 1`, name))
	}
	waitMetrics(t, base+"/metrics", want...)
	code, body := testbin.Get(t, base+"/probe?account="+ma.accounts[1])
	if code != 200 || !strings.Contains(body, want[1]) || strings.Contains(body, fmt.Sprintf("account=%q", ma.accounts[0])) {
		t.Errorf("/probe?account=%s: status %d, want only that account's series:\n%s", ma.accounts[1], code, testbin.Lines(body, "certcentral_up"))
	}

	// Add an account as the overlay's comment says: its key file, its entry, a reload.
	key, url := startAccount("team-c")
	secretKeys = append(secretKeys, key)
	urls["team-c"] = url
	write(withURLs(config + "  - name: team-c\n    api_key_file: " + keys + "/team-c\n"))
	resp, err := http.Post(base+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /-/reload: %s: %s", resp.Status, msg)
	}
	body = waitMetrics(t, base+"/metrics", append(want, `certcentral_up{account="team-c"} 1`, "certcentral_exporter_config_last_reload_successful 1")...)
	o, e := exp.Output()
	for _, k := range secretKeys {
		if strings.Contains(o+e+body, k) {
			t.Error("a key appears in the exporter's log or metrics")
		}
	}
}
