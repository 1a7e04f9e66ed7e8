#!/usr/bin/env bash
# Checks the monitoring mixin (mixin/): formatted with jsonnetfmt; with its default _config it
# renders exactly the shipped alerts/certcentral.rules.yml (the same data, and the rendered file
# passes the shipped promtool unit tests) and the shipped dashboards (the same JSON); with a
# changed _config its selectors and thresholds reach every rule and still make valid rules.
#
# Needs go (go-jsonnet is run through the module proxy, pinned) and promtool.
set -euo pipefail
cd "$(dirname "$0")/.."

JSONNET=${JSONNET:-go run github.com/google/go-jsonnet/cmd/jsonnet@v0.22.0}
JSONNETFMT=${JSONNETFMT:-go run github.com/google/go-jsonnet/cmd/jsonnetfmt@v0.22.0}
out=bin/mixin
rm -rf "$out" && mkdir -p "$out/default/dashboards" "$out/custom"
failed=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failed=1; }

if $JSONNETFMT --test mixin/*.libsonnet; then ok "jsonnetfmt: mixin/*.libsonnet formatted"; else fail "jsonnetfmt: run $JSONNETFMT -i mixin/*.libsonnet"; fi

# Default _config: the shipped files exactly.
$JSONNET -S -e 'std.manifestYamlDoc((import "mixin/mixin.libsonnet").prometheusAlerts)' >"$out/default/certcentral.rules.yml"
$JSONNET -m "$out/default/dashboards" -e '(import "mixin/mixin.libsonnet").grafanaDashboards' >/dev/null
same=$($JSONNET -e 'local m = import "mixin/mixin.libsonnet"; m.prometheusAlerts == std.parseYaml(importstr "alerts/certcentral.rules.yml")')
if [ "$same" = true ]; then ok "default _config renders the data of alerts/certcentral.rules.yml"; else fail "default _config: the rules differ from alerts/certcentral.rules.yml"; fi
cp alerts/certcentral.rules.test.yml "$out/default/"
if (cd "$out/default" && promtool test rules certcentral.rules.test.yml >/dev/null); then
  ok "the rendered rules pass alerts/certcentral.rules.test.yml"
else
  fail "the rendered rules fail the promtool tests: (cd $out/default && promtool test rules certcentral.rules.test.yml)"
fi
for f in dashboards/*.json; do
  name=$(basename "$f")
  if [ ! -f "$out/default/dashboards/$name" ]; then fail "the mixin has no dashboard $name"; continue; fi
  if cmp -s <($JSONNET "$f") <($JSONNET "$out/default/dashboards/$name"); then
    ok "default _config renders $f"
  else
    fail "default _config: $name differs from $f"
  fi
done
n_shipped=$(ls dashboards/*.json | wc -l)
n_mixin=$(ls "$out/default/dashboards" | wc -l)
[ "$n_shipped" = "$n_mixin" ] && ok "$n_mixin dashboards" || fail "the mixin has $n_mixin dashboards, dashboards/ has $n_shipped"

# A changed _config reaches every rule.
cat >"$out/custom/custom.jsonnet" <<'JSONNET'
(import '../../../mixin/mixin.libsonnet') + {
  _config+:: {
    jobSelector: 'job="cc-exporter"',
    metricSelector: 'job="cc-exporter"',
    dashboardSelector: 'job="cc-exporter"',
    runbookURL: 'https://wiki.example.internal/certcentral',
    administratorInactiveDays: 61,
    dcvPendingDays: 3,
    dataStaleHours: 2,
    certificateLifetimeWarningRatio: '0.4',
    certificateCriticalDays: 9,
    orderPlanWarningDays: 45,
  },
}
JSONNET
$JSONNET -S -e 'std.manifestYamlDoc((import "bin/mixin/custom/custom.jsonnet").prometheusAlerts)' >"$out/custom/certcentral.rules.yml"
if promtool check rules "$out/custom/certcentral.rules.yml" >/dev/null; then ok "changed _config: promtool check rules"; else fail "changed _config: invalid rules"; fi
rules=$out/custom/certcentral.rules.yml
for want in '} > 61' 'more than 61 days' '> 3 * 86400' 'more than 3 days' '> 7200' \
  'more than 2 hours old' 'vector(0.4)' 'vector(9 * 86400)' 'at most 9 days' 'vector(45 * 86400)' 'within 45 days' 'https://wiki.example.internal/certcentral#certcentraladministratorinactive'; do
  if grep -qF -- "$want" "$rules"; then ok "changed _config: the rules hold $want"; else fail "changed _config: the rules lack $want"; fi
done
# Every certcentral_* selector of every expression carries the metric selector, and the `up`
# alerts the job selector.
bare=$($JSONNET -e '
  local m = import "bin/mixin/custom/custom.jsonnet";
  local count(s, e) = std.length(std.findSubstr(s, e));
  [r.alert for g in m.prometheusAlerts.groups for r in g.rules
   if count("certcentral_", r.expr) != count("{job=\"cc-exporter\"", r.expr) - count("up{job=\"cc-exporter\"}", r.expr)
      || count("up{", r.expr) != count("up{job=\"cc-exporter\"}", r.expr)]')
if [ "$bare" = "[ ]" ]; then ok "changed _config: every certcentral_* selector carries the metric selector, every up the job selector"; else fail "changed _config: selectors left out in $bare"; fi
dash=$($JSONNET -e '(import "bin/mixin/custom/custom.jsonnet").grafanaDashboards')
if grep -qF 'certcentral_up{job=\"cc-exporter\"}' <<<"$dash"; then
  ok "changed _config: the dashboards' Job variable carries the selector"
else
  fail "changed _config: the dashboards' Job variable lacks the selector"
fi

[ "$failed" = 0 ] && echo "mixin check: all passed" || { echo "mixin check: failures above"; exit 1; }
