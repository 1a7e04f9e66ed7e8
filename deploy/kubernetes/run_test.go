package kubernetes

import (
	"encoding/base64"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/internal/testbin"
)

// TestDemoOverlayRunsWithTheBinaries starts the simulator and the exporter with the args, env,
// key and probes the demo overlay gives them (with loopback addresses in place of the cluster's),
// so that flags the binaries do not know, a key path that is not where the Secret is mounted, a
// probe path the exporter does not serve or a URL that misses the simulator's Service fail here.
func TestDemoOverlayRunsWithTheBinaries(t *testing.T) {
	objs := parseDocs(t, "demo", kustomize(t, "overlays/demo"))
	bins := testbin.Build(t, "certcentral-simulator", "certcentral_exporter")

	secretObj := find(objs, "Secret", "")
	if len(secretObj) != 1 {
		t.Fatalf("want one Secret, got %d", len(secretObj))
	}
	key, err := base64.StdEncoding.DecodeString(decode[secret](t, secretObj[0]).Data["api-key"])
	if err != nil || len(key) == 0 {
		t.Fatalf("the demo Secret has no api-key: %v", err)
	}
	keyDir := t.TempDir()
	keyFile := filepath.Join(keyDir, "api-key")
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		t.Fatal(err)
	}

	sim := decode[deployment](t, one(t, objs, "Deployment", "certcentral-simulator"))
	simArgs := localArgs(t, sim.Spec.Template.Spec, keyFile, "--api-key-file=")
	simProc := testbin.StartServer(t, bins[0], simArgs)
	simProc.WaitHTTP(t, simProc.URL()+sim.Spec.Template.Spec.Containers[0].ReadinessProbe.HTTPGet.Path, 10*time.Second)

	exp := decode[deployment](t, one(t, objs, "Deployment", "certcentral-exporter"))
	c := exp.Spec.Template.Spec.Containers[0]
	expArgs := localArgs(t, exp.Spec.Template.Spec, keyFile, "--certcentral.api-key-file=")

	// The exporter's CERTCENTRAL_URL must name the simulator's Service and port; the test then
	// points it at the local simulator instead.
	var env []string
	sawURL := false
	for _, e := range c.Env {
		if e.Name != "CERTCENTRAL_URL" {
			env = append(env, e.Name+"="+e.Value)
			continue
		}
		u, err := url.Parse(e.Value)
		if err != nil {
			t.Fatal(err)
		}
		svc := decode[service](t, one(t, objs, "Service", u.Hostname()))
		if len(svc.Spec.Ports) != 1 || strconv.Itoa(svc.Spec.Ports[0].Port) != u.Port() {
			t.Errorf("CERTCENTRAL_URL %s: Service %s has ports %+v", e.Value, u.Hostname(), svc.Spec.Ports)
		}
		u.Host = simProc.Addr
		env = append(env, "CERTCENTRAL_URL="+u.String())
		sawURL = true
	}
	if !sawURL {
		t.Fatal("the demo exporter has no CERTCENTRAL_URL: it would call DigiCert")
	}
	expProc := testbin.StartServer(t, bins[1], expArgs, env...)
	expProc.WaitHTTP(t, expProc.URL()+c.LivenessProbe.HTTPGet.Path, 10*time.Second)
	if code, _ := testbin.Get(t, expProc.URL()+c.ReadinessProbe.HTTPGet.Path); code != 200 {
		t.Errorf("readiness probe %s: status %d", c.ReadinessProbe.HTTPGet.Path, code)
	}
	code, body := testbin.Get(t, expProc.URL()+"/metrics")
	if code != 200 || !strings.Contains(body, "\ncertcentral_up{account=\"default\"} 1\n") {
		t.Errorf("/metrics: status %d, certcentral_up 1 missing:\n%.2000s", code, body)
	}
	if _, stderr := expProc.Output(); strings.Contains(stderr+body, string(key)) {
		t.Error("the key appears in the exporter's log or metrics")
	}
}

// localArgs returns the container's args without the listen address (testbin.StartServer
// listens on a port the kernel picks) and with the key file moved to a local one, after
// checking that the listen port is the container port and that the key file flag names the file
// the Secret volume puts there.
func localArgs(t *testing.T, p podSpec, keyFile, keyFlag string) []string {
	t.Helper()
	c := p.Containers[0]
	var args []string
	sawListen, sawKey := false, false
	for _, a := range c.Args {
		switch {
		case strings.HasPrefix(a, "--web.listen-address="):
			_, port, err := net.SplitHostPort(strings.TrimPrefix(a, "--web.listen-address="))
			if err != nil || len(c.Ports) == 0 || port != strconv.Itoa(c.Ports[0].ContainerPort) {
				t.Errorf("%s: %s does not listen on the container port %+v", c.Name, a, c.Ports)
			}
			sawListen = true
			continue
		case strings.HasPrefix(a, keyFlag):
			checkKeyMount(t, p, strings.TrimPrefix(a, keyFlag))
			a, sawKey = keyFlag+keyFile, true
		}
		args = append(args, a)
	}
	if !sawListen || !sawKey {
		t.Fatalf("%s: args %v lack --web.listen-address or %s", c.Name, c.Args, keyFlag)
	}
	return args
}

// checkKeyMount checks that file is an item of a Secret volume mounted read-only.
func checkKeyMount(t *testing.T, p podSpec, file string) {
	t.Helper()
	c := p.Containers[0]
	for _, m := range c.VolumeMounts {
		if m.MountPath != path.Dir(file) {
			continue
		}
		for _, v := range p.Volumes {
			if v.Name != m.Name || v.Secret == nil {
				continue
			}
			for _, it := range v.Secret.Items {
				if it.Path == path.Base(file) && it.Key == "api-key" {
					return
				}
			}
		}
	}
	t.Errorf("%s: the key file %s is not the api-key item of a mounted Secret", c.Name, file)
}
