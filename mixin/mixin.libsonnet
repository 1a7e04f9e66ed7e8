// certcentral_exporter's monitoring mixin: the shipped alert rules (alerts/) and Grafana
// dashboards (dashboards/), with the job selectors and thresholds of config.libsonnet.
//
// The shipped files are the single source: they are what most users load, they keep their
// comments, and the promtool unit tests, the dashboard tests and the end-to-end run check them.
// The mixin reads them and applies _config; with the default _config it renders them exactly
// (make mixin-check fails on any difference), so nothing is kept in step by hand.
local thresholds = import 'thresholds.libsonnet';

// The length of the metric name at the start of s.
local nameLength(s) =
  local ok(c) = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == ':';
  local go(i) = if i < std.length(s) && ok(s[i]) then go(i + 1) else i;
  go(0);

// addSelector puts sel into the selector of every certcentral_* metric of a PromQL expression.
local addSelector(expr, sel) =
  if sel == '' then expr
  else
    local parts = std.split(expr, 'certcentral_');
    parts[0] + std.join('', [
      local p = parts[i];
      local n = nameLength(p);
      local rest = p[n:];
      'certcentral_' + p[:n] + (
        if std.startsWith(rest, '{}') then '{' + sel + '}' + rest[2:]
        else if std.startsWith(rest, '{') then '{' + sel + ', ' + rest[1:]
        else '{' + sel + '}' + rest
      )
      for i in std.range(1, std.length(parts) - 1)
    ]);

// replaceOnce replaces from with to in s, which must hold from exactly once.
local replaceOnce(s, from, to, what) =
  local n = std.length(std.findSubstr(from, s));
  if n != 1 then error 'certcentral mixin: %s holds %d times %s, want once: update mixin/thresholds.libsonnet' % [what, n, std.toString(from)]
  else std.strReplace(s, from, to);

local ruleName(rule) = if std.objectHas(rule, 'alert') then rule.alert else rule.record;

local patchRule(rule, c) =
  local name = ruleName(rule);
  local mine = [p for p in thresholds.patches(c) if p[0] == name];
  local field(f, value) = std.foldl(
    function(v, p) if p[1] == f then replaceOnce(v, p[2], p[3], '%s %s' % [name, f]) else v, mine, value
  );
  local expr = addSelector(
    std.strReplace(field('expr', rule.expr), 'up{job="certcentral"}', 'up{%s}' % c.jobSelector),
    c.metricSelector,
  );
  if !std.objectHas(rule, 'alert') then rule { expr: expr }
  else rule {
    expr: expr,
    annotations+: {
      summary: field('summary', rule.annotations.summary),
      description: field('description', rule.annotations.description),
      runbook_url: std.strReplace(rule.annotations.runbook_url,
                                  'https://github.com/certcentral-exporter/certcentral_exporter/blob/main/docs/runbook.md',
                                  c.runbookURL),
    },
  };

// Every patch must name a rule that exists, so that a renamed rule cannot keep its old threshold
// silently.
local checkPatches(groups, c) =
  local alerts = std.set([ruleName(r) for g in groups for r in g.rules]);
  local unknown = std.set([p[0] for p in thresholds.patches(c) if !std.setMember(p[0], alerts)]);
  if std.length(unknown) > 0 then error 'certcentral mixin: thresholds for rules that do not exist: %s' % std.join(', ', unknown)
  else groups;

local dashboards = {
  'certcentral-overview.json': import '../dashboards/certcentral-overview.json',
  'certcentral-access.json': import '../dashboards/certcentral-access.json',
  'certcentral-domains-certificates.json': import '../dashboards/certcentral-domains-certificates.json',
};

// patchDashboard narrows the Job variable's query with the dashboard selector.
local patchDashboard(d, c) =
  if c.dashboardSelector == '' then d
  else d {
    templating+: {
      list: [
        if v.name == 'job' then v {
          definition: std.strReplace(v.definition, 'certcentral_up', 'certcentral_up{%s}' % c.dashboardSelector),
          query: std.strReplace(v.query, 'certcentral_up', 'certcentral_up{%s}' % c.dashboardSelector),
        } else v
        for v in super.list
      ],
    },
  };

(import 'config.libsonnet') + {
  prometheusAlerts+:: {
    local shipped = std.parseYaml(importstr '../alerts/certcentral.rules.yml'),
    groups+: [
      g { rules: [patchRule(r, $._config) for r in g.rules] }
      for g in checkPatches(shipped.groups, $._config)
    ],
  },
  grafanaDashboards+:: {
    [name]: patchDashboard(dashboards[name], $._config)
    for name in std.objectFields(dashboards)
  },
}
