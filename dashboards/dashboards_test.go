package dashboards_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/certcentral-exporter/certcentral_exporter/dashboards"
)

const dsVar = "${datasource}"

func loadAll(t *testing.T) []dashboards.File {
	t.Helper()
	files, err := dashboards.Load(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("found %d dashboards, want at least 3 (overview, access review, domains and certificates)", len(files))
	}
	return files
}

func isDatasourceVar(r *dashboards.Ref) bool {
	return r != nil && (r.UID == dsVar || r.UID == "$datasource")
}

func TestDashboardModel(t *testing.T) {
	uids := map[string]string{}
	for _, f := range loadAll(t) {
		d := f.Dashboard
		t.Run(f.Path, func(t *testing.T) {
			if d.UID == "" || d.Title == "" {
				t.Fatalf("uid %q, title %q: both must be set", d.UID, d.Title)
			}
			if other, dup := uids[d.UID]; dup {
				t.Errorf("uid %q also used by %s", d.UID, other)
			}
			uids[d.UID] = f.Path
			if d.SchemaVersion < 39 {
				t.Errorf("schemaVersion %d, want 39 or later", d.SchemaVersion)
			}
			checkVariables(t, d)
			ids := map[int]bool{}
			for _, p := range d.AllPanels() {
				if ids[p.ID] {
					t.Errorf("panel id %d used twice", p.ID)
				}
				ids[p.ID] = true
				if p.GridPos == nil {
					t.Errorf("panel %q has no gridPos", p.Title)
				}
				if p.Type != "row" {
					checkPanel(t, p)
				}
			}
		})
	}
}

func checkVariables(t *testing.T, d dashboards.Dashboard) {
	t.Helper()
	ds, ok := d.Variable("datasource")
	if !ok || ds.Type != "datasource" || ds.Query() != "prometheus" {
		t.Errorf("want a variable datasource of type datasource listing prometheus, got %+v", ds)
	}
	for _, name := range []string{"job", "account", "instance"} {
		v, ok := d.Variable(name)
		if !ok {
			t.Errorf("variable %s missing", name)
			continue
		}
		if v.Type != "query" || !isDatasourceVar(v.Datasource) {
			t.Errorf("variable %s: type %q, datasource %+v; want a query on %s", name, v.Type, v.Datasource, dsVar)
		}
		if _, err := dashboards.ParseVariableQuery(v.Query()); err != nil {
			t.Errorf("variable %s: %v", name, err)
		}
	}
	// The account variable lists the exporter's account label (the config's account names)
	// from certcentral_up, which every account has even when its key is rejected; several can
	// be chosen, or all. It narrows the exporters listed.
	acc, _ := d.Variable("account")
	if q, err := dashboards.ParseVariableQuery(acc.Query()); err != nil || q.Kind != "label_values" || q.Label != "account" ||
		!strings.HasPrefix(q.Expr, "certcentral_up{") || !strings.Contains(q.Expr, `job=~"$job"`) {
		t.Errorf("the account variable should be label_values(certcentral_up{job=~\"$job\"}, account): %s", acc.Query())
	}
	if !acc.Multi || !acc.IncludeAll || acc.AllValue != ".*" {
		t.Errorf("the account variable: multi %v, includeAll %v, allValue %q; want several accounts or All (.*)", acc.Multi, acc.IncludeAll, acc.AllValue)
	}
	if inst, _ := d.Variable("instance"); !strings.Contains(inst.Query(), `account=~"$account"`) {
		t.Errorf("the instance variable's query does not filter on $account: %s", inst.Query())
	}
}

// selectorRe finds the certcentral_ series selectors of a query, with their matchers.
var selectorRe = regexp.MustCompile(`(certcentral_[a-zA-Z0-9_:]*)(\{[^}]*\})?`)

func checkPanel(t *testing.T, p dashboards.Panel) {
	t.Helper()
	if !isDatasourceVar(p.Datasource) {
		t.Errorf("panel %q: datasource %+v, want uid %s", p.Title, p.Datasource, dsVar)
	}
	if strings.TrimSpace(p.Description) == "" {
		t.Errorf("panel %q has no description", p.Title)
	}
	if p.FieldConfig.Defaults.Unit == "" {
		t.Errorf("panel %q has no unit", p.Title)
	}
	th := p.FieldConfig.Defaults.Thresholds
	if th == nil || len(th.Steps) == 0 || th.Steps[0].Value != nil {
		t.Errorf("panel %q: thresholds %+v, want steps starting with a base step (value null)", p.Title, th)
	}
	if len(p.Targets) == 0 {
		t.Errorf("panel %q has no query", p.Title)
	}
	for _, tg := range p.Targets {
		if !isDatasourceVar(tg.Datasource) {
			t.Errorf("panel %q query %s: datasource %+v, want uid %s", p.Title, tg.RefID, tg.Datasource, dsVar)
		}
		if strings.TrimSpace(tg.Expr) == "" {
			t.Errorf("panel %q query %s is empty", p.Title, tg.RefID)
		}
		sels := selectorRe.FindAllStringSubmatch(tg.Expr, -1)
		if len(sels) == 0 {
			t.Errorf("panel %q query %s uses no certcentral_ series: %s", p.Title, tg.RefID, tg.Expr)
		}
		// Every series must follow the job, account and instance chosen at the top of the
		// dashboard.
		for _, s := range sels {
			if !strings.Contains(s[2], `job=~"$job"`) || !strings.Contains(s[2], `account=~"$account"`) ||
				!strings.Contains(s[2], `instance=~"$instance"`) {
				t.Errorf("panel %q query %s: %s%s does not filter on $job, $account and $instance", p.Title, tg.RefID, s[1], s[2])
			}
		}
		for _, problem := range dashboardGroupingProblems(tg.Expr) {
			t.Errorf("panel %q query %s: %s", p.Title, tg.RefID, problem)
		}
	}
	if p.Type == "table" {
		checkAccountColumn(t, p)
	}
}

func TestExpand(t *testing.T) {
	vars := map[string]string{"job": "certcentral", "instance": "demo", "__rate_interval": "1m"}
	got := dashboards.Expand(`rate(x{job=~"$job", instance=~"${instance}", a="[[job]]", b="${instance:regex}"}[$__rate_interval]) $other`, vars)
	want := `rate(x{job=~"certcentral", instance=~"demo", a="certcentral", b="demo"}[1m]) $other`
	if got != want {
		t.Errorf("Expand:\n got %s\nwant %s", got, want)
	}
	// label_replace's $1 is the regular expression's group, not a variable.
	q := `label_replace(x{job=~"$job"}, "what", "$1", "reason", "(.*)")`
	if got, want := dashboards.Expand(q, vars), `label_replace(x{job=~"certcentral"}, "what", "$1", "reason", "(.*)")`; got != want {
		t.Errorf("Expand:\n got %s\nwant %s", got, want)
	}
	if refs := dashboards.References(q); len(refs) != 1 || refs[0] != "job" {
		t.Errorf("References(%s) = %v, want [job]", q, refs)
	}
}

func TestParseVariableQuery(t *testing.T) {
	q, err := dashboards.ParseVariableQuery(`label_values(certcentral_account_info{job=~"$job"}, organization)`)
	if err != nil || q.Kind != "label_values" || q.Expr != `certcentral_account_info{job=~"$job"}` || q.Label != "organization" {
		t.Errorf("label_values: %+v, %v", q, err)
	}
	q, err = dashboards.ParseVariableQuery(`query_result(up{a="b"} or c)`)
	if err != nil || q.Kind != "query_result" || q.Expr != `up{a="b"} or c` {
		t.Errorf("query_result: %+v, %v", q, err)
	}
	if _, err := dashboards.ParseVariableQuery(`metrics(certcentral_)`); err == nil {
		t.Error("metrics() accepted; the e2e check could not evaluate it")
	}
}

// dashboardGroupingProblems: a dashboard may sum across the chosen accounts on purpose
// (sum by (role)), but a join must match on account, a per-exporter grouping (one naming job
// or instance) must also be per account, and nothing may drop account by name.
func dashboardGroupingProblems(expr string) []string {
	var out []string
	for _, g := range groupings(expr) {
		list := g.keyword + " (" + strings.Join(g.labels, ", ") + ")"
		switch {
		case g.keyword == "on" && !has(g.labels, "account"):
			out = append(out, list+" leaves out account: series of different accounts would be joined")
		case g.keyword == "by" && (has(g.labels, "instance") || has(g.labels, "job")) && !has(g.labels, "account"):
			out = append(out, list+" groups per exporter but not per account")
		case (g.keyword == "without" || g.keyword == "ignoring") && has(g.labels, "account"):
			out = append(out, list+" drops account")
		}
	}
	return out
}

// checkAccountColumn: a table lists the series' labels as columns, so it shows which account a
// row belongs to, under the heading Account.
func checkAccountColumn(t *testing.T, p dashboards.Panel) {
	t.Helper()
	for _, tr := range p.Transformations {
		if tr.ID != "organize" {
			continue
		}
		if tr.Options.ExcludeByName["account"] || tr.Options.RenameByName["account"] != "Account" {
			t.Errorf("table %q: the account label should be shown as the column Account (organize: exclude %v, rename %q)",
				p.Title, tr.Options.ExcludeByName["account"], tr.Options.RenameByName["account"])
		}
		return
	}
	t.Errorf("table %q has no organize transformation naming its columns (Account among them)", p.Title)
}
