package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v2"
)

// prometheusRules turns every *.rules.yml in dir into a PrometheusRule whose spec is the rule
// file itself, copied line by line with two more spaces of indentation. Copying the text rather
// than re-encoding parsed YAML keeps the comments, the key order and the block style of the
// descriptions, so the generated file reads like the source and diffs line for line with it.
func prometheusRules(dir string) ([]byte, error) {
	files, err := sortedGlob(dir, "*.rules.yml", "Prometheus rule files")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	writeHeader(&b, files)
	for i, f := range files {
		doc, err := ruleDocument(f)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b.WriteString("---\n")
		}
		b.Write(doc)
	}
	return b.Bytes(), nil
}

type ruleFile struct {
	Groups []struct {
		Name  string          `yaml:"name"`
		Rules []yaml.MapSlice `yaml:"rules"`
	} `yaml:"groups"`
}

// ruleDocument builds the PrometheusRule for one rule file and checks that its spec parses to
// exactly what the rule file parses to.
func ruleDocument(path string) ([]byte, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text := strings.ReplaceAll(string(src), "\r\n", "\n")
	if err := checkRuleFile(text); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	body, err := indentBody(text)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}

	var b bytes.Buffer
	b.WriteString("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n")
	fmt.Fprintf(&b, "  name: %s\n", ruleName(path))
	writeLabels(&b, [2]string{"app.kubernetes.io/component", "alerting-rules"})
	b.WriteString("spec:\n")
	b.WriteString(body)

	var want any
	if err := yaml.Unmarshal([]byte(text), &want); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var doc struct {
		Spec any `yaml:"spec"`
	}
	if err := yaml.Unmarshal(b.Bytes(), &doc); err != nil {
		return nil, fmt.Errorf("%s: the generated PrometheusRule does not parse: %w", path, err)
	}
	if !reflect.DeepEqual(doc.Spec, want) {
		return nil, fmt.Errorf("%s: the generated PrometheusRule's spec differs from the rule file (indentation-sensitive YAML?)", path)
	}
	return b.Bytes(), nil
}

// checkRuleFile accepts a Prometheus rule file with groups that have a name and rules; promtool
// checks the expressions, this only makes sure the file has the shape a PrometheusRule needs.
func checkRuleFile(text string) error {
	var top yaml.MapSlice
	if err := yaml.Unmarshal([]byte(text), &top); err != nil {
		return err
	}
	if len(top) != 1 || top[0].Key != "groups" {
		return fmt.Errorf("want a single top-level key groups, got %d keys", len(top))
	}
	var rf ruleFile
	if err := yaml.Unmarshal([]byte(text), &rf); err != nil {
		return err
	}
	if len(rf.Groups) == 0 {
		return fmt.Errorf("no rule groups")
	}
	seen := map[string]bool{}
	for i, g := range rf.Groups {
		if g.Name == "" {
			return fmt.Errorf("group %d has no name", i+1)
		}
		if seen[g.Name] {
			return fmt.Errorf("group %q appears twice", g.Name)
		}
		seen[g.Name] = true
		if len(g.Rules) == 0 {
			return fmt.Errorf("group %q has no rules", g.Name)
		}
	}
	return nil
}

// indentBody shifts every non-empty line two spaces right, which keeps block scalars' content.
// A leading document start marker is dropped; any other document marker means several
// documents, which one spec cannot hold.
func indentBody(text string) (string, error) {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	var b strings.Builder
	started := false
	for _, line := range lines {
		trimmed := strings.TrimSpace(line)
		isMarker := line == "---" || strings.HasPrefix(line, "--- ") || line == "..."
		if isMarker && !started {
			started = true
			continue
		}
		if isMarker {
			return "", fmt.Errorf("more than one YAML document")
		}
		if trimmed != "" && !strings.HasPrefix(trimmed, "#") {
			started = true
		}
		if line == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString("  " + line + "\n")
	}
	return b.String(), nil
}

var notNameChar = regexp.MustCompile(`[^a-z0-9]+`)

// ruleName names the PrometheusRule after the file: certcentral.rules.yml -> certcentral-rules.
func ruleName(path string) string {
	stem := strings.TrimSuffix(filepath.Base(path), ".rules.yml")
	return strings.Trim(notNameChar.ReplaceAllString(strings.ToLower(stem), "-"), "-") + "-rules"
}
