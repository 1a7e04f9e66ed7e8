package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v2"
)

const (
	// Kubernetes refuses objects over 1 MiB; keep a margin for metadata.
	maxConfigMapBytes = 1000 * 1024
	// `kubectl apply` without --server-side copies the object into an annotation limited to
	// 256 KiB; past that only server-side apply works.
	clientSideApplyBytes = 256 * 1024
)

var configMapKey = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)

// dashboardConfigMap puts every dashboards/*.json into one ConfigMap, one key per file, with
// the label the Grafana sidecar (kube-prometheus-stack, grafana helm chart) looks for.
// The JSON is re-indented (two spaces, key order kept) so that the YAML block is clean text.
func dashboardConfigMap(dir string) ([]byte, error) {
	files, err := sortedGlob(dir, "*.json", "Grafana dashboards")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	writeHeader(&b, files)
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: certcentral-dashboards\n")
	writeLabels(&b, [2]string{"app.kubernetes.io/component", "dashboards"}, [2]string{"grafana_dashboard", "1"})
	// The folder annotation is read by the sidecar when its folderAnnotation is grafana_folder
	// (the kube-prometheus-stack default); otherwise it is ignored.
	b.WriteString("  annotations:\n    grafana_folder: \"CertCentral\"\ndata:\n")

	want := map[string]string{}
	size := 0
	for _, f := range files {
		key := filepath.Base(f)
		if !configMapKey.MatchString(key) {
			return nil, fmt.Errorf("%s: %q is not a valid ConfigMap key (letters, digits, -, _, .)", f, key)
		}
		text, err := dashboardText(f)
		if err != nil {
			return nil, err
		}
		want[key] = text
		size += len(text)
		fmt.Fprintf(&b, "  %s: |\n", key)
		for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
			b.WriteString("    " + line + "\n")
		}
	}
	if size > maxConfigMapBytes {
		return nil, fmt.Errorf("the dashboards add up to %d bytes, over the %d a ConfigMap may hold: split them", size, maxConfigMapBytes)
	}
	if size > clientSideApplyBytes {
		fmt.Fprintf(os.Stderr, "generate: note: the dashboards ConfigMap holds %d bytes; apply it with kubectl apply --server-side\n", size)
	}

	var doc struct {
		Data map[string]string `yaml:"data"`
	}
	if err := yaml.Unmarshal(b.Bytes(), &doc); err != nil {
		return nil, fmt.Errorf("the generated ConfigMap does not parse: %w", err)
	}
	for key, text := range want {
		if doc.Data[key] != text {
			return nil, fmt.Errorf("%s: the generated ConfigMap does not hold the dashboard's text unchanged", key)
		}
	}
	return b.Bytes(), nil
}

// dashboardText checks that the file is one JSON object that looks like a dashboard and returns
// it indented by two spaces, ending in a newline.
func dashboardText(path string) (string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var d struct {
		UID   string `json:"uid"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal(src, &d); err != nil {
		return "", fmt.Errorf("%s: not a dashboard JSON object: %w", path, err)
	}
	if d.Title == "" || d.UID == "" {
		return "", fmt.Errorf("%s: a dashboard needs a title and a uid (the sidecar and links rely on the uid)", path)
	}
	var compact, out bytes.Buffer
	if err := json.Compact(&compact, src); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if err := json.Indent(&out, compact.Bytes(), "", "  "); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	out.WriteByte('\n')
	return out.String(), nil
}
