package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v2"
)

const runbookPrefix = "https://github.com/certcentral-exporter/certcentral_exporter/blob/main/docs/runbook.md#"

// expectations is test/e2e/expected-alerts.yaml.
type expectations struct {
	// Firing alerts the receiver must get, each with exactly these labels.
	Firing []map[string]string `yaml:"firing"`
	// Pending alerts Prometheus must show (ALERTS{alertstate="pending"}) with at least these labels.
	Pending []map[string]string `yaml:"pending"`
	// Instances that must raise nothing, not even a pending alert.
	SilentInstances []string `yaml:"silent_instances"`
	// Alerts of the rule file that the run cannot see firing, with the reason.
	NotSeenEndToEnd map[string]string `yaml:"not_seen_end_to_end"`
}

// receivedAlert is what test/e2e/receiver serves.
type receivedAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// labelKey is a canonical text for a label set.
func labelKey(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%q", k, l[k])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func readYAML(path string, into any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if err := yaml.UnmarshalStrict(b, into); err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	return nil
}

// ruleAlertNames lists the alerts of the shipped rule file.
func ruleAlertNames(path string) ([]string, error) {
	var rf struct {
		Groups []struct {
			Rules []struct {
				Alert string `yaml:"alert"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading rules: %w", err)
	}
	if err := yaml.Unmarshal(b, &rf); err != nil {
		return nil, fmt.Errorf("parsing rules: %w", err)
	}
	var out []string
	for _, g := range rf.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				out = append(out, r.Alert)
			}
		}
	}
	return out, nil
}

func fetchReceived(ctx context.Context, receiver string) ([]receivedAlert, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, receiver+"/alerts", nil)
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("asking the receiver: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the receiver's answer: %w", err)
	}
	var out []receivedAlert
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decoding the receiver's answer: %w", err)
	}
	return out, nil
}

// firingByKey keeps the last firing notification of each label set.
func firingByKey(all []receivedAlert) map[string]receivedAlert {
	out := map[string]receivedAlert{}
	for _, a := range all {
		if a.Status == "firing" {
			out[labelKey(a.Labels)] = a
		}
	}
	return out
}

func checkAlerts(args []string) error {
	fs := flag.NewFlagSet("alerts", flag.ContinueOnError)
	receiver := fs.String("receiver", "", "webhook receiver base URL")
	promURL := fs.String("prometheus", "", "Prometheus base URL")
	expectFile := fs.String("expect", "test/e2e/expected-alerts.yaml", "expectations")
	rulesFile := fs.String("rules", "alerts/certcentral.rules.yml", "the shipped rule file")
	timeout := fs.Duration("timeout", 4*time.Minute, "how long to wait for the expected alerts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var exp expectations
	if err := readYAML(*expectFile, &exp); err != nil {
		return err
	}
	if err := coverage(exp, *rulesFile); err != nil {
		return err
	}

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	want := map[string]map[string]string{}
	for _, l := range exp.Firing {
		want[labelKey(l)] = l
	}
	seen := map[string]bool{}
	var got map[string]receivedAlert
	for len(seen) < len(want) {
		all, err := fetchReceived(ctx, *receiver)
		if err != nil && ctx.Err() == nil {
			return err
		}
		got = firingByKey(all)
		for k, l := range want {
			if _, ok := got[k]; ok && !seen[k] {
				seen[k] = true
				fmt.Printf("  %5.0fs  received %d/%d: %s %s\n", time.Since(start).Seconds(), len(seen), len(want), l["alertname"], k)
			}
		}
		if len(seen) == len(want) {
			break
		}
		select {
		case <-ctx.Done():
			var missing []string
			for k := range want {
				if !seen[k] {
					missing = append(missing, k)
				}
			}
			sort.Strings(missing)
			return fmt.Errorf("after %s, %d expected alert(s) never reached the receiver:\n  %s\nreceived firing:\n  %s",
				*timeout, len(missing), strings.Join(missing, "\n  "), strings.Join(sortedKeys(got), "\n  "))
		case <-time.After(2 * time.Second):
		}
	}
	fmt.Printf("all %d expected alerts reached the receiver after %.0fs\n", len(want), time.Since(start).Seconds())

	var problems []string
	for k, a := range got {
		if _, ok := want[k]; !ok {
			problems = append(problems, "unexpected alert fired: "+k)
			continue
		}
		problems = append(problems, checkAnnotations(a)...)
	}
	p := newProm(*promURL)
	problems = append(problems, checkPending(ctx, p, exp.Pending)...)
	problems = append(problems, checkSilent(ctx, p, exp.SilentInstances, got)...)
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("%d problem(s):\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	fmt.Printf("ok: no other alert fired; annotations rendered; %d pending alert(s) as expected; silent: %s\n",
		len(exp.Pending), strings.Join(exp.SilentInstances, ", "))
	for name, why := range exp.NotSeenEndToEnd {
		fmt.Printf("not seen firing end to end: %s (%s)\n", name, why)
	}
	return nil
}

func sortedKeys(m map[string]receivedAlert) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// coverage: every alert of the rule file is expected firing, or listed with a reason why the
// run cannot see it firing; and the expectations name no alert the rule file lacks.
func coverage(exp expectations, rulesFile string) error {
	names, err := ruleAlertNames(rulesFile)
	if err != nil {
		return err
	}
	inRules := map[string]bool{}
	for _, n := range names {
		inRules[n] = true
	}
	expected := map[string]bool{}
	for _, l := range append(append([]map[string]string{}, exp.Firing...), exp.Pending...) {
		expected[l["alertname"]] = true
		if !inRules[l["alertname"]] {
			return fmt.Errorf("expectations name %q, which is not in %s", l["alertname"], rulesFile)
		}
	}
	var uncovered []string
	for _, n := range names {
		firing := false
		for _, l := range exp.Firing {
			firing = firing || l["alertname"] == n
		}
		if !firing && exp.NotSeenEndToEnd[n] == "" {
			uncovered = append(uncovered, n)
		}
	}
	if len(uncovered) > 0 {
		return fmt.Errorf("alerts neither expected firing nor explained in not_seen_end_to_end: %s", strings.Join(uncovered, ", "))
	}
	return nil
}

// checkAnnotations: a fixed summary, a description that names what the alert is about, and
// the runbook link of this alert.
func checkAnnotations(a receivedAlert) []string {
	var out []string
	name := a.Labels["alertname"]
	if s := a.Annotations["summary"]; s == "" || strings.Contains(s, "{{") {
		out = append(out, fmt.Sprintf("%s: bad summary %q", name, s))
	}
	d := a.Annotations["description"]
	if d == "" || strings.Contains(d, "<no value>") || strings.Contains(d, "{{") {
		out = append(out, fmt.Sprintf("%s: badly rendered description %q", name, d))
	}
	for _, l := range []string{"username", "email", "domain", "common_name", "order_id", "currency", "collector", "group", "instance", "account"} {
		if v, ok := a.Labels[l]; ok && !strings.Contains(d, v) {
			out = append(out, fmt.Sprintf("%s: description does not name %s %q: %q", name, l, v, d))
		}
	}
	if u := a.Annotations["runbook_url"]; u != runbookPrefix+strings.ToLower(name) {
		out = append(out, fmt.Sprintf("%s: runbook_url %q", name, u))
	}
	return out
}

func checkPending(ctx context.Context, p *prom, pending []map[string]string) []string {
	if len(pending) == 0 {
		return nil
	}
	res, err := p.instant(ctx, `ALERTS{alertstate="pending"}`)
	if err != nil {
		return []string{err.Error()}
	}
	var out []string
	for _, want := range pending {
		found := false
		for _, s := range res {
			match := true
			for k, v := range want {
				match = match && s.Metric[k] == v
			}
			found = found || match
		}
		if !found {
			out = append(out, "not pending in Prometheus: "+labelKey(want))
		} else {
			fmt.Printf("  pending as expected: %s\n", labelKey(want))
		}
	}
	return out
}

func checkSilent(ctx context.Context, p *prom, instances []string, got map[string]receivedAlert) []string {
	var out []string
	for _, inst := range instances {
		res, err := p.instant(ctx, fmt.Sprintf(`ALERTS{instance=%q}`, inst))
		if err != nil {
			out = append(out, err.Error())
			continue
		}
		for _, s := range res {
			out = append(out, fmt.Sprintf("instance %s should raise nothing, but Prometheus has %s", inst, labelKey(s.Metric)))
		}
		for k, a := range got {
			if a.Labels["instance"] == inst {
				out = append(out, fmt.Sprintf("instance %s should raise nothing, but the receiver got %s", inst, k))
			}
		}
		// The instance must really be scraped, or silence proves nothing.
		up, err := p.instant(ctx, fmt.Sprintf(`up{instance=%q} == 1 and on(instance) certcentral_up == 1`, inst))
		if err != nil || len(up) == 0 {
			out = append(out, fmt.Sprintf("instance %s is not scraped successfully, so its silence proves nothing (%v)", inst, err))
		}
	}
	return out
}
