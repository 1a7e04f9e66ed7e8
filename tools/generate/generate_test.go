package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v2"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the fixtures")

func TestGenerateMatchesGolden(t *testing.T) {
	files, err := generate("testdata/alerts", "testdata/dashboards")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		golden := filepath.Join("testdata", "golden", f.name)
		if *update {
			if err := writeIfChanged(golden, f.data); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./tools/generate -update)", err)
		}
		if !bytes.Equal(f.data, want) {
			t.Errorf("%s differs from %s; review and run go test ./tools/generate -update", f.name, golden)
		}
	}
}

// Same inputs in a directory filled in another order: the same bytes (apart from the header,
// which names the directory).
func TestGenerateIsDeterministic(t *testing.T) {
	first, err := generate("testdata/alerts", "testdata/dashboards")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, sub := range []string{"alerts", "dashboards"} {
		entries, err := os.ReadDir(filepath.Join("testdata", sub))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
		for i := len(entries) - 1; i >= 0; i-- {
			data, err := os.ReadFile(filepath.Join("testdata", sub, entries[i].Name()))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, sub, entries[i].Name()), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	second, err := generate(filepath.Join(dir, "alerts"), filepath.Join(dir, "dashboards"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range first {
		a := strings.ReplaceAll(string(first[i].data), "testdata/", "")
		b := strings.ReplaceAll(string(second[i].data), filepath.ToSlash(dir)+"/", "")
		if a != b {
			t.Errorf("%s depends on more than the input files", first[i].name)
		}
	}
}

func TestPrometheusRulesCarryTheRuleFiles(t *testing.T) {
	out, err := prometheusRules("testdata/alerts")
	if err != nil {
		t.Fatal(err)
	}
	docs := splitDocs(t, out)
	sources := []string{"certcentral.rules.yml", "second_file.rules.yml"} // sorted, no _test.yml
	names := []string{"certcentral-rules", "second-file-rules"}
	if len(docs) != len(sources) {
		t.Fatalf("got %d documents, want one per rule file: %d", len(docs), len(sources))
	}
	for i, doc := range docs {
		var pr struct {
			APIVersion string `yaml:"apiVersion"`
			Kind       string `yaml:"kind"`
			Metadata   struct {
				Name   string            `yaml:"name"`
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec any `yaml:"spec"`
		}
		if err := yaml.UnmarshalStrict(doc, &pr); err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		if pr.APIVersion != "monitoring.coreos.com/v1" || pr.Kind != "PrometheusRule" {
			t.Errorf("document %d is %s %s", i, pr.APIVersion, pr.Kind)
		}
		if pr.Metadata.Name != names[i] {
			t.Errorf("document %d is named %q, want %q", i, pr.Metadata.Name, names[i])
		}
		if pr.Metadata.Labels["app.kubernetes.io/name"] != "certcentral-exporter" {
			t.Errorf("document %d labels = %v", i, pr.Metadata.Labels)
		}
		src, err := os.ReadFile(filepath.Join("testdata/alerts", sources[i]))
		if err != nil {
			t.Fatal(err)
		}
		var want any
		if err := yaml.Unmarshal(src, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(pr.Spec, want) {
			t.Errorf("document %d: spec differs from %s", i, sources[i])
		}
	}
	// The text is copied, not re-encoded: comments and the literal block survive.
	for _, want := range []string{"  # Comment between groups.\n", "          description: |\n", "\n              Check the exporter's status page.\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func TestDashboardConfigMap(t *testing.T) {
	out, err := dashboardConfigMap("testdata/dashboards")
	if err != nil {
		t.Fatal(err)
	}
	var cm struct {
		APIVersion string `yaml:"apiVersion"`
		Kind       string `yaml:"kind"`
		Metadata   struct {
			Name        string            `yaml:"name"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"metadata"`
		Data map[string]string `yaml:"data"`
	}
	if err := yaml.UnmarshalStrict(out, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Kind != "ConfigMap" || cm.APIVersion != "v1" {
		t.Errorf("got %s %s", cm.APIVersion, cm.Kind)
	}
	if cm.Metadata.Labels["grafana_dashboard"] != "1" {
		t.Errorf("labels = %v, want grafana_dashboard: \"1\" for the sidecar", cm.Metadata.Labels)
	}
	if len(cm.Data) != 2 {
		t.Errorf("data has keys %v, want overview.json and users.json", keys(cm.Data))
	}
	for _, name := range []string{"overview.json", "users.json"} {
		src, err := os.ReadFile(filepath.Join("testdata/dashboards", name))
		if err != nil {
			t.Fatal(err)
		}
		var want, got any
		if err := json.Unmarshal(src, &want); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(cm.Data[name]), &got); err != nil {
			t.Fatalf("%s in the ConfigMap is not JSON: %v", name, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s in the ConfigMap differs from the file", name)
		}
	}
}

func TestGenerateRefusesBadInput(t *testing.T) {
	goodRules := "groups:\n- name: g\n  rules:\n  - record: a\n    expr: up\n"
	goodDash := `{"uid":"u","title":"T","panels":[]}`
	for _, tc := range []struct {
		name, rules, dashboard, dashboardName, wantErr string
	}{
		{"no rule file", "", goodDash, "d.json", "no Prometheus rule files"},
		{"no dashboard", goodRules, "", "", "no Grafana dashboards"},
		{"two documents", goodRules + "---\n" + goodRules, goodDash, "d.json", "more than one YAML document"},
		{"extra top-level key", goodRules + "extra: 1\n", goodDash, "d.json", "single top-level key groups"},
		{"no groups", "groups: []\n", goodDash, "d.json", "no rule groups"},
		{"group without name", "groups:\n- rules:\n  - record: a\n    expr: up\n", goodDash, "d.json", "has no name"},
		{"group without rules", "groups:\n- name: g\n  rules: []\n", goodDash, "d.json", `"g" has no rules`},
		{"duplicate group", goodRules + "- name: g\n  rules:\n  - record: b\n    expr: up\n", goodDash, "d.json", "appears twice"},
		{"not YAML", "groups: [\n", goodDash, "d.json", "yaml"},
		{"dashboard not JSON", goodRules, `{"uid":`, "d.json", "not a dashboard JSON object"},
		{"dashboard without uid", goodRules, `{"title":"T"}`, "d.json", "needs a title and a uid"},
		{"bad key", goodRules, goodDash, "my dash.json", "not a valid ConfigMap key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			alerts, dashboards := filepath.Join(dir, "alerts"), filepath.Join(dir, "dashboards")
			for _, d := range []string{alerts, dashboards} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if tc.rules != "" {
				writeFile(t, filepath.Join(alerts, "x.rules.yml"), tc.rules)
			}
			if tc.dashboard != "" {
				writeFile(t, filepath.Join(dashboards, tc.dashboardName), tc.dashboard)
			}
			_, err := generate(alerts, dashboards)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestWriteIfChangedKeepsIdenticalFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "f.yaml")
	if err := writeIfChanged(path, []byte("a\n")); err != nil {
		t.Fatal(err)
	}
	past := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.Chtimes(path, past, past); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		data      string
		rewritten bool
	}{{"a\n", false}, {"b\n", true}} {
		if err := writeIfChanged(path, []byte(tc.data)); err != nil {
			t.Fatal(err)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if rewritten := !info.ModTime().Equal(past); rewritten != tc.rewritten {
			t.Errorf("content %q: rewritten = %v, want %v", tc.data, rewritten, tc.rewritten)
		}
	}
}

func splitDocs(t *testing.T, data []byte) [][]byte {
	t.Helper()
	var docs [][]byte
	for _, d := range strings.Split(string(data), "\n---\n") {
		docs = append(docs, []byte(d))
	}
	return docs
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
