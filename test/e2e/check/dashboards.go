package main

import (
	"context"
	"flag"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/certcentral-exporter/certcentral_exporter/dashboards"
)

// emptyOK is one entry of test/e2e/dashboards-empty-on-demo.yaml: a query that legitimately
// returns nothing for the demo account. It must then return data for some exporter of the run.
type emptyOK struct {
	Dashboard string `yaml:"dashboard"`
	Panel     string `yaml:"panel"`
	Ref       string `yaml:"ref"`
	Reason    string `yaml:"reason"`
}

type dashCheck struct {
	p        *prom
	base     map[string]string // variable values for every query
	problems []string
	queries  int
}

func (c *dashCheck) failf(format string, a ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, a...))
}

func checkDashboards(args []string) error {
	fs := flag.NewFlagSet("dashboards", flag.ContinueOnError)
	promURL := fs.String("prometheus", "", "Prometheus base URL")
	dir := fs.String("dir", "dashboards", "dashboard directory")
	emptyFile := fs.String("empty", "test/e2e/dashboards-empty-on-demo.yaml", "queries allowed to be empty on the demo account")
	job := fs.String("job", "certcentral", "value for $job")
	instance := fs.String("instance", "demo", "value for $instance: the demo account's exporter")
	account := fs.String("account", "default", "value for $account: the demo account's name (an exporter without a config file calls its one account default)")
	otherInstance := fs.String("other-instance", "healthy", "another exporter with an account of the same name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	files, err := dashboards.Load(*dir)
	if err != nil {
		return err
	}
	var allowed []emptyOK
	if err := readYAML(*emptyFile, &allowed); err != nil {
		return err
	}
	c := &dashCheck{p: newProm(*promURL), base: map[string]string{
		"job":             regexp.QuoteMeta(*job),
		"instance":        regexp.QuoteMeta(*instance),
		"account":         regexp.QuoteMeta(*account),
		"__rate_interval": "1m",
		"__interval":      "15s",
		"__range":         "1h",
	}}
	ctx := context.Background()
	used := map[int]bool{}
	for _, f := range files {
		d := f.Dashboard
		fmt.Printf("dashboard %s (%s)\n", d.UID, d.Title)
		c.checkVariables(ctx, d, *job, *instance, *account, *otherInstance)
		for _, p := range d.AllPanels() {
			if p.Type == "row" {
				continue
			}
			for _, t := range p.Targets {
				if t.Hide {
					continue
				}
				c.checkTarget(ctx, d, p, t, allowed, used)
			}
		}
	}
	for i, a := range allowed {
		if !used[i] {
			c.failf("%s: entry for %s / %q / %s matches no dashboard query", *emptyFile, a.Dashboard, a.Panel, a.Ref)
		}
	}
	if len(c.problems) > 0 {
		sort.Strings(c.problems)
		return fmt.Errorf("%d problem(s):\n  %s", len(c.problems), strings.Join(c.problems, "\n  "))
	}
	fmt.Printf("ok: %d dashboard queries across %d dashboards returned data for instance %q and account %q (or are listed as legitimately empty), and none for an account not chosen\n",
		c.queries, len(files), *instance, *account)
	return nil
}

// run evaluates a panel query the way its panel would: instant, or as a range over the last
// minutes with a 15s step.
func (c *dashCheck) run(ctx context.Context, t dashboards.Target, expr string) (int, error) {
	var res []series
	var err error
	if t.Instant && !t.Range {
		res, err = c.p.instant(ctx, expr)
	} else {
		res, err = c.p.rangeQuery(ctx, expr, 3*time.Minute, 15*time.Second)
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range res {
		if len(s.Value) > 0 || len(s.Values) > 0 {
			n++
		}
	}
	return n, nil
}

func (c *dashCheck) checkTarget(ctx context.Context, d dashboards.Dashboard, p dashboards.Panel, t dashboards.Target, allowed []emptyOK, used map[int]bool) {
	c.queries++
	where := fmt.Sprintf("%s / %q / %s", d.UID, p.Title, t.RefID)
	expr := dashboards.Expand(t.Expr, c.base)
	if refs := dashboards.References(expr); len(refs) > 0 {
		c.failf("%s: variables left after substitution: %v", where, refs)
		return
	}
	n, err := c.run(ctx, t, expr)
	if err != nil {
		c.failf("%s: %v\n    query: %s", where, err, expr)
		return
	}
	allowIdx := -1
	for i, a := range allowed {
		if a.Dashboard == d.UID && a.Panel == p.Title && a.Ref == t.RefID {
			allowIdx = i
		}
	}
	c.checkFollowsAccount(ctx, where, t)
	switch {
	case n > 0 && allowIdx < 0:
		fmt.Printf("  ok     %-45q %s: %d series\n", p.Title, t.RefID, n)
	case n > 0:
		c.failf("%s: listed as empty on the demo account but returned %d series; remove it from the list", where, n)
	case allowIdx < 0:
		c.failf("%s: no data for the demo account\n    query: %s", where, expr)
	default:
		used[allowIdx] = true
		// Empty for the demo account is fine only if the query works where the situation exists.
		wide := dashboards.Expand(t.Expr, merge(c.base, map[string]string{"instance": ".+", "account": ".+"}))
		m, err := c.run(ctx, t, wide)
		if err != nil || m == 0 {
			c.failf("%s: empty for the demo account (%s) and also for every exporter of the run (%v)", where, allowed[allowIdx].Reason, err)
			return
		}
		fmt.Printf("  empty  %-45q %s: none for the demo account (%s); %d series across all exporters\n",
			p.Title, t.RefID, allowed[allowIdx].Reason, m)
	}
}

// noSuchAccount is an account name no exporter of the run has.
const noSuchAccount = "no-such-account"

// checkFollowsAccount: with an account chosen that nobody has, the query must show nothing, so
// that a panel never mixes in the series of accounts the viewer did not choose.
func (c *dashCheck) checkFollowsAccount(ctx context.Context, where string, t dashboards.Target) {
	expr := dashboards.Expand(t.Expr, merge(c.base, map[string]string{"account": noSuchAccount}))
	n, err := c.run(ctx, t, expr)
	if err != nil {
		c.failf("%s: %v\n    query: %s", where, err, expr)
		return
	}
	if n > 0 {
		c.failf("%s: returns %d series for account %q, which no exporter has: the query does not follow $account\n    query: %s",
			where, n, noSuchAccount, expr)
	}
}

func merge(a, b map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// variableValues evaluates a variable's query the way Grafana does: label_values lists one
// label's values over the matching series, query_result applies the variable's regex to each
// result line.
func (c *dashCheck) variableValues(ctx context.Context, v dashboards.Variable, vars map[string]string) ([]string, error) {
	q, err := dashboards.ParseVariableQuery(dashboards.Expand(v.Query(), vars))
	if err != nil {
		return nil, err
	}
	res, err := c.p.instant(ctx, q.Expr)
	if err != nil {
		return nil, fmt.Errorf("variable %s: %w", v.Name, err)
	}
	var re *regexp.Regexp
	if v.Regex != "" {
		if re, err = regexp.Compile(strings.TrimSuffix(strings.TrimPrefix(v.Regex, "/"), "/")); err != nil {
			return nil, fmt.Errorf("variable %s regex: %w", v.Name, err)
		}
	}
	set := map[string]bool{}
	for _, s := range res {
		var val string
		switch q.Kind {
		case "label_values":
			val = s.Metric[q.Label]
		default:
			line := labelKey(s.Metric) + " 1"
			if re == nil {
				val = line
			} else if m := re.FindStringSubmatch(line); len(m) > 1 {
				val = m[1]
			}
		}
		if val != "" {
			set[val] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// checkVariables: the job, account and instance lists hold what the run has, and choosing an
// account narrows the exporters to those serving it. Every exporter of this run has no config
// file, so every one serves one account called default: choosing it lists them all, choosing
// an account nobody has lists none.
func (c *dashCheck) checkVariables(ctx context.Context, d dashboards.Dashboard, job, instance, account, otherInstance string) {
	get := func(name string, vars map[string]string) []string {
		v, ok := d.Variable(name)
		if !ok {
			c.failf("%s: variable %s missing", d.UID, name)
			return nil
		}
		vals, err := c.variableValues(ctx, v, vars)
		if err != nil {
			c.failf("%s: %v", d.UID, err)
		}
		return vals
	}
	jobs := get("job", c.base)
	accounts := get("account", c.base)
	mine := get("instance", c.base)
	nobodys := get("instance", merge(c.base, map[string]string{"account": noSuchAccount}))
	every := get("instance", merge(c.base, map[string]string{"account": ".*"}))
	check := func(ok bool, format string, a ...any) {
		if !ok {
			c.failf("%s: "+format, append([]any{d.UID}, a...)...)
		}
	}
	check(contains(jobs, job), "job variable %v lacks %q", jobs, job)
	check(contains(accounts, account) && !contains(accounts, noSuchAccount), "account variable %v lacks %q", accounts, account)
	check(contains(mine, instance) && contains(mine, otherInstance), "account %q lists exporters %v: want %q and %q", account, mine, instance, otherInstance)
	check(len(nobodys) == 0, "account %q, which nobody has, lists exporters %v: want none", noSuchAccount, nobodys)
	check(contains(every, instance) && contains(every, otherInstance), "all accounts list exporters %v: want %q and %q", every, instance, otherInstance)
	fmt.Printf("  ok     variables: job %v; accounts %v; exporters of %q: %v; of all accounts: %v\n", jobs, accounts, account, mine, every)
}
