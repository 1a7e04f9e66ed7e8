package dashboards_test

// One exporter watches several CertCentral accounts, and one Prometheus, one scrape job and one
// dashboard serve many exporters: every series of an account carries `account` (plus the extra
// labels its config gives it, such as `team`). These tests hold the rules to that: no
// aggregation or join may mix two accounts' series, and every alert about an account names it.
// dashboards_test.go holds the dashboards to the same.

import (
	"regexp"
	"strings"
	"testing"
)

// groupingRe finds PromQL's label lists: by/without of an aggregation, on/ignoring of a binary
// operation. group_left/group_right lists are not among them (they add labels, never match).
var groupingRe = regexp.MustCompile(`\b(by|without|on|ignoring)\s*\(([^)]*)\)`)

type grouping struct {
	keyword string
	labels  []string
}

func groupings(expr string) []grouping {
	var out []grouping
	for _, m := range groupingRe.FindAllStringSubmatch(stringLit.ReplaceAllString(expr, `""`), -1) {
		g := grouping{keyword: m[1]}
		for _, l := range strings.Split(m[2], ",") {
			if l = strings.TrimSpace(l); l != "" {
				g.labels = append(g.labels, l)
			}
		}
		out = append(out, g)
	}
	return out
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ruleGroupingProblems: in a rule, every by (...) keeps account and every on (...) matches on
// it (rules about an account must stay per account, and the shipped rules never aggregate
// across accounts); without (...) and ignoring (...) must not drop it.
func ruleGroupingProblems(expr string) []string {
	var out []string
	for _, g := range groupings(expr) {
		switch g.keyword {
		case "by", "on":
			if !has(g.labels, "account") {
				out = append(out, g.keyword+" ("+strings.Join(g.labels, ", ")+") leaves out account: series of different accounts would meet")
			}
		default:
			if has(g.labels, "account") {
				out = append(out, g.keyword+" ("+strings.Join(g.labels, ", ")+") drops account")
			}
		}
	}
	return out
}

// processWide tells the metrics that belong to the exporter process, not to an account: they
// have no account label. Prometheus's own up is one too.
func processWide(metric string) bool {
	return strings.HasPrefix(metric, "certcentral_exporter_")
}

func usesAccountSeries(expr string) bool {
	for _, n := range metricNames(expr) {
		if !processWide(n) {
			return true
		}
	}
	return false
}

// selectorWithMatchers finds the certcentral_ selectors of a query spelt in an annotation
// (single-quoted label values inside a printf string).
var selectorWithMatchers = regexp.MustCompile(`(certcentral_[a-zA-Z0-9_]*)\{([^}]*)\}`)

func TestRulesKeepTheAccount(t *testing.T) {
	perAccount := 0
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			name := r.Alert + r.Record
			for _, p := range ruleGroupingProblems(r.Expr) {
				t.Errorf("rule %s: %s", name, p)
			}
			desc := r.Annotations["description"]
			if r.Alert != "" {
				switch {
				case usesAccountSeries(r.Expr):
					perAccount++
					if !strings.Contains(desc, "$labels.account") {
						t.Errorf("alert %s is about an account, but its description does not name it ({{ $labels.account }}): %s", name, desc)
					}
				case strings.Contains(desc, "$labels.account"):
					t.Errorf("alert %s has no account label (its series are the exporter's or Prometheus's own), but its description uses $labels.account", name)
				}
			}
			// A query in an annotation that picks the alert's exporter must pick its account
			// too, or list the accounts (by (account)).
			for _, a := range r.Annotations {
				for _, q := range annotationQueries(a) {
					for _, p := range ruleGroupingProblems(q) {
						t.Errorf("rule %s, annotation query %s: %s", name, q, p)
					}
					if strings.HasPrefix(q, "{{") {
						continue // the action; its query is checked as a literal
					}
					for _, m := range selectorWithMatchers.FindAllStringSubmatch(q, -1) {
						if processWide(m[1]) || !strings.Contains(m[2], "instance=") {
							continue
						}
						if !strings.Contains(m[2], "account=") && !strings.Contains(q, "by (account)") {
							t.Errorf("rule %s: annotation query %s selects an exporter's %s but not the alert's account", name, q, m[1])
						}
					}
				}
			}
		}
	}
	if perAccount < 15 {
		t.Errorf("only %d alerts about an account found; the parser is broken", perAccount)
	}
}

// The two grouping checks side by side: rules must keep account everywhere, dashboards only
// where they join or group per exporter.
func TestGroupingChecks(t *testing.T) {
	for _, tc := range []struct {
		expr            string
		rule, dashboard int // problems expected
	}{
		{`max by (job, instance) (x)`, 1, 1},
		{`max by (job, instance, account) (x)`, 0, 0},
		{`sum by (role) (x)`, 1, 0}, // a dashboard may sum across the chosen accounts
		{`sum without (endpoint, reason) (x)`, 0, 0},
		{`sum without (account) (x)`, 1, 1},
		{`a unless on(job, instance, currency) b`, 1, 1},
		{`a unless on(job, instance, account, currency) b`, 0, 0},
		{`a * ignoring(account) b`, 1, 1},
		{`a * on(job, instance, account) group_left(team) b`, 0, 0},
		{`count(x) by (instance)`, 1, 1},
		{`label_replace(x, "by (job)", "", "", "")`, 0, 0},
	} {
		if got := len(ruleGroupingProblems(tc.expr)); got != tc.rule {
			t.Errorf("ruleGroupingProblems(%s): %d problems, want %d", tc.expr, got, tc.rule)
		}
		if got := len(dashboardGroupingProblems(tc.expr)); got != tc.dashboard {
			t.Errorf("dashboardGroupingProblems(%s): %d problems, want %d", tc.expr, got, tc.dashboard)
		}
	}
}
