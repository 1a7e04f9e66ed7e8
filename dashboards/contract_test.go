package dashboards_test

// The metric names the dashboards and the alert rules use must be ones the exporter really
// exposes: the golden expositions in collector/testdata are the contract, so renaming a metric
// there without updating the dashboards and rules fails here instead of silently emptying a
// panel or an alert.

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v2"

	"github.com/certcentral-exporter/certcentral_exporter/dashboards"
)

const (
	goldenGlob = "../collector/testdata/*.prom"
	rulesFile  = "../alerts/certcentral.rules.yml"
	runbook    = "../docs/runbook.md"
	runbookURL = "https://github.com/certcentral-exporter/certcentral_exporter/blob/main/docs/runbook.md#"
)

// exposedNames reads every sample and TYPE line of the golden files. Histogram and summary
// families add their _bucket/_sum/_count series names.
func exposedNames(t *testing.T) map[string]bool {
	t.Helper()
	paths, err := filepath.Glob(goldenGlob)
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden expositions at %s (%v)", goldenGlob, err)
	}
	names := map[string]bool{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			switch {
			case strings.HasPrefix(line, "# TYPE "):
				fields := strings.Fields(line)
				if len(fields) < 4 {
					continue
				}
				names[fields[2]] = true
				if fields[3] == "histogram" || fields[3] == "summary" {
					for _, suffix := range []string{"_bucket", "_sum", "_count"} {
						names[fields[2]+suffix] = true
					}
				}
			case line == "" || strings.HasPrefix(line, "#"):
			default:
				if end := strings.IndexAny(line, "{ "); end > 0 {
					names[line[:end]] = true
				}
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatalf("reading %s: %v", p, err)
		}
	}
	return names
}

// notInGolden are metrics the exporter registers outside the collectors, so that no golden
// file shows them: the source file that names them and the reason. Each entry must stay absent
// from the golden files (once a golden file has it, the test asks for the entry to be removed)
// and its source must still name it, so that a rename there fails here too.
var notInGolden = map[string]struct{ source, why string }{
	"certcentral_exporter_config_last_reload_successful": {
		"../cmd/certcentral_exporter/reload.go", "process-wide: the config reload status, registered by the command"},
	"certcentral_exporter_config_last_reload_success_timestamp_seconds": {
		"../cmd/certcentral_exporter/reload.go", "process-wide: the config reload status, registered by the command"},
}

func contract(t *testing.T) map[string]bool {
	t.Helper()
	names := exposedNames(t)
	for n, e := range notInGolden {
		if names[n] {
			t.Errorf("%s is in the golden files now: remove it from notInGolden (%s)", n, e.why)
		}
		src, err := os.ReadFile(e.source)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(src), `"`+n+`"`) {
			t.Errorf("%s no longer names %s: update notInGolden and the rules or dashboards that use it", e.source, n)
		}
		names[n] = true
	}
	return names
}

var (
	templateAction = regexp.MustCompile(`\{\{.*?\}\}`)
	stringLit      = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	ident          = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
)

// metricNames returns the certcentral_ metric names a PromQL expression (or a Grafana variable
// query) refers to. String literals are removed first so that label values do not count.
func metricNames(expr string) []string { return namesWithPrefix(expr, "certcentral_") }

// namesWithPrefix returns the identifiers of an expression that start with prefix, outside
// string literals.
func namesWithPrefix(expr, prefix string) []string {
	var out []string
	for _, id := range ident.FindAllString(stringLit.ReplaceAllString(expr, `""`), -1) {
		if strings.HasPrefix(id, prefix) {
			out = append(out, id)
		}
	}
	return out
}

// annotationQueries returns the template actions of an annotation and the string literals
// inside them (the PromQL a printf ... | query spells out), without their quotes.
func annotationQueries(annotation string) []string {
	var out []string
	for _, action := range templateAction.FindAllString(annotation, -1) {
		out = append(out, action)
		for _, lit := range stringLit.FindAllString(action, -1) {
			out = append(out, lit[1:len(lit)-1])
		}
	}
	return out
}

func TestMetricNamesHelper(t *testing.T) {
	got := metricNames(`sum by (le) (rate(certcentral_api_request_duration_seconds_bucket{job=~"certcentral_x"}[5m])) / certcentral_up`)
	want := []string{"certcentral_api_request_duration_seconds_bucket", "certcentral_up"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("metricNames = %v, want %v", got, want)
	}
}

type ruleFile struct {
	Groups []struct {
		Name  string `yaml:"name"`
		Rules []struct {
			Alert       string            `yaml:"alert"`
			Record      string            `yaml:"record"`
			Expr        string            `yaml:"expr"`
			For         string            `yaml:"for"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func loadRules(t *testing.T) ruleFile {
	t.Helper()
	b, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	var rf ruleFile
	if err := yaml.UnmarshalStrict(b, &rf); err != nil {
		t.Fatalf("parsing %s: %v", rulesFile, err)
	}
	if len(rf.Groups) == 0 {
		t.Fatalf("%s has no groups", rulesFile)
	}
	return rf
}

func TestDashboardMetricsAreExposed(t *testing.T) {
	known := contract(t)
	if len(known) < 40 {
		t.Fatalf("only %d metric names in the golden files; the parser is broken", len(known))
	}
	used := 0
	for _, f := range loadAll(t) {
		var exprs []string
		for _, p := range f.Dashboard.AllPanels() {
			for _, tg := range p.Targets {
				exprs = append(exprs, tg.Expr)
			}
		}
		for _, v := range f.Dashboard.Templating.List {
			if v.Type == "query" {
				exprs = append(exprs, v.Query())
			}
		}
		for _, e := range exprs {
			for _, n := range metricNames(e) {
				used++
				if !known[n] {
					t.Errorf("%s uses %s, which the exporter does not expose (collector/testdata/*.prom): %s", f.Path, n, e)
				}
			}
		}
	}
	if used == 0 {
		t.Fatal("no metric names found in the dashboards")
	}
}

// thresholdRule is a recording rule that holds one alert threshold (a constant), the only kind
// of rule that may use no exporter metric.
var thresholdRule = regexp.MustCompile(`^certcentral:[a-z0-9_:]+ vector\([0-9 .*/+-]+\)$`)

// recordedNames returns the certcentral: recording-rule names an expression refers to.
func recordedNames(expr string) []string { return namesWithPrefix(expr, "certcentral:") }

// TestRecordedNamesAreDefined: a rule or annotation that uses a recording rule the file does
// not define would get no data, and scalar() of nothing is NaN, which no comparison passes: a
// misspelt threshold would silence its alert for good.
func TestRecordedNamesAreDefined(t *testing.T) {
	rf := loadRules(t)
	defined := map[string]bool{}
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				if defined[r.Record] {
					t.Errorf("recording rule %s is defined twice", r.Record)
				}
				defined[r.Record] = true
			}
		}
	}
	used := 0
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			exprs := []string{r.Expr}
			for _, a := range r.Annotations {
				exprs = append(exprs, annotationQueries(a)...)
			}
			for _, e := range exprs {
				for _, n := range recordedNames(e) {
					used++
					if !defined[n] {
						t.Errorf("rule %s uses %s, which no recording rule of %s defines", r.Alert+r.Record, n, rulesFile)
					}
				}
			}
		}
	}
	if len(defined) > 0 && used == 0 {
		t.Error("recording rules defined but none used: the parser is broken")
	}
}

func TestRuleMetricsAreExposed(t *testing.T) {
	known := contract(t)
	rf := loadRules(t)
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			names := metricNames(r.Expr)
			// Annotations may query too (e.g. the previous Administrator count): look inside
			// their template actions only, not at the text (the runbook URL names the project),
			// and into the queries the actions spell as string literals.
			for _, a := range r.Annotations {
				for _, q := range annotationQueries(a) {
					names = append(names, metricNames(q)...)
				}
			}
			if len(names) == 0 && !strings.Contains(r.Expr, "up{") && !thresholdRule.MatchString(r.Record+" "+r.Expr) {
				t.Errorf("rule %s uses no exporter metric: %s", r.Alert+r.Record, r.Expr)
			}
			for _, n := range names {
				if !known[n] {
					t.Errorf("alert %s uses %s, which the exporter does not expose (collector/testdata/*.prom)", r.Alert, n)
				}
			}
		}
	}
}

// githubAnchor turns a Markdown heading into the anchor GitHub gives it.
func githubAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

func runbookAnchors(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(runbook)
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{}
	inFence := false
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
		}
		if !inFence && strings.HasPrefix(line, "#") {
			anchors[githubAnchor(strings.TrimLeft(line, "#"))] = true
		}
	}
	return anchors
}

func TestAlertsAreDocumented(t *testing.T) {
	anchors := runbookAnchors(t)
	rf := loadRules(t)
	var alerts []string
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			alerts = append(alerts, r.Alert)
			switch r.Labels["severity"] {
			case "critical", "warning", "info":
			default:
				t.Errorf("alert %s: severity %q, want critical, warning or info", r.Alert, r.Labels["severity"])
			}
			if s := r.Annotations["summary"]; s == "" || strings.Contains(s, "{{") {
				t.Errorf("alert %s: summary %q must be a fixed sentence", r.Alert, s)
			}
			if d := r.Annotations["description"]; !strings.Contains(d, "{{") {
				t.Errorf("alert %s: description %q should name the thing with template variables", r.Alert, d)
			}
			url := r.Annotations["runbook_url"]
			anchor, ok := strings.CutPrefix(url, runbookURL)
			if !ok {
				t.Errorf("alert %s: runbook_url %q does not point into docs/runbook.md (%s...)", r.Alert, url, runbookURL)
				continue
			}
			if anchor != strings.ToLower(r.Alert) {
				t.Errorf("alert %s: runbook anchor %q, want %q", r.Alert, anchor, strings.ToLower(r.Alert))
			}
			if !anchors[anchor] {
				t.Errorf("alert %s: docs/runbook.md has no section #%s", r.Alert, anchor)
			}
		}
	}
	sort.Strings(alerts)
	for i := 1; i < len(alerts); i++ {
		if alerts[i] == alerts[i-1] {
			t.Errorf("alert %s is defined twice", alerts[i])
		}
	}
	if len(alerts) < 20 {
		t.Errorf("only %d alerts found", len(alerts))
	}
}

// Every alert the rule test file checks must exist, and every alert must be checked firing.
func TestEveryAlertIsUnitTested(t *testing.T) {
	b, err := os.ReadFile("../alerts/certcentral.rules.test.yml")
	if err != nil {
		t.Fatal(err)
	}
	var tf struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string        `yaml:"alertname"`
				ExpAlerts []interface{} `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal(b, &tf); err != nil {
		t.Fatal(err)
	}
	firing, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range tf.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				firing[a.Alertname] = true
			} else {
				silent[a.Alertname] = true
			}
		}
	}
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue // a recording rule; the alerts that use it are tested
			}
			if !firing[r.Alert] {
				t.Errorf("alert %s is never tested firing in certcentral.rules.test.yml", r.Alert)
			}
			if !silent[r.Alert] {
				t.Errorf("alert %s is never tested silent in certcentral.rules.test.yml", r.Alert)
			}
		}
	}
}

// The README and runbook link to anchors of their own; check those too.
func TestRunbookInternalLinks(t *testing.T) {
	anchors := runbookAnchors(t)
	b, err := os.ReadFile(runbook)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`\]\(#([^)]+)\)`).FindAllStringSubmatch(string(b), -1) {
		if !anchors[m[1]] {
			t.Errorf("docs/runbook.md links to #%s, which is not a heading", m[1])
		}
	}
}

var _ = dashboards.Load // the package under test is used by dashboards_test.go
