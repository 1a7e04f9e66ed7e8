#!/usr/bin/env bash
# End-to-end test: CertCentral simulator -> exporter -> Prometheus (the shipped rule file,
# unmodified) -> Alertmanager -> a webhook receiver, all real processes on 127.0.0.1.
#
# It asserts that the alerts the demo account and the injected faults must raise reach the
# receiver with the right labels (test/e2e/expected-alerts.yaml), that the healthy account raises
# none, and that every dashboard query returns data (test/e2e/check). Every process it starts is
# stopped by PID on exit; on failure the logs of every process are printed.
#
# Needs: bin/certcentral_exporter and bin/certcentral-simulator (make build), go,
# /usr/bin/prometheus, /usr/bin/prometheus-alertmanager, promtool, amtool.
# E2E_TIMEOUT (default 240s): how long to wait for the alerts. E2E_KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
started=$(date +%s)
timeout=${E2E_TIMEOUT:-240s}

work=$(mktemp -d "${TMPDIR:-/tmp}/certcentral-e2e.XXXXXX")
logs=$work/logs
mkdir -p "$logs" "$work/bin"

names=()    # started processes, in order
declare -A pid=()
ok=0

dump_logs() {
  echo
  echo "=== e2e FAILED after $(( $(date +%s) - started ))s; logs of every process ($logs) ==="
  for f in "$logs"/*.log; do
    echo "----- $(basename "$f") -----"
    tail -n 200 "$f"
  done
}

cleanup() {
  local status=$?
  for n in "${names[@]}"; do
    kill "${pid[$n]}" 2>/dev/null || true
  done
  for n in "${names[@]}"; do
    wait "${pid[$n]}" 2>/dev/null || true
  done
  if [ "$ok" != 1 ]; then
    dump_logs
    [ "$status" = 0 ] && status=1
  fi
  if [ "${E2E_KEEP:-}" = 1 ]; then
    echo "work directory kept: $work"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME COMMAND...: runs a process in the background, logging to $logs/NAME.log.
start() {
  local n=$1
  shift
  "$@" >"$logs/$n.log" 2>&1 &
  pid[$n]=$!
  names+=("$n")
}

# stop NAME: stops one process and waits for it.
stop() {
  kill "${pid[$1]}" 2>/dev/null || true
  wait "${pid[$1]}" 2>/dev/null || true
}

step() { echo "--- $(printf '%4ss' $(( $(date +%s) - started ))) $*"; }

for cmd in prometheus prometheus-alertmanager promtool amtool go; do
  command -v "$cmd" >/dev/null || { echo "e2e needs $cmd (scripts/install-deps.sh installs the Debian packages)" >&2; exit 1; }
done
[ -x bin/certcentral_exporter ] && [ -x bin/certcentral-simulator ] || { echo "run make build first" >&2; exit 1; }

step "building the e2e receiver and checker"
go build -o "$work/bin/receiver" ./test/e2e/receiver
go build -o "$work/bin/check" ./test/e2e/check
check=$work/bin/check

mapfile -t port < <("$check" ports 16)
addr() { echo "127.0.0.1:${port[$1]}"; }
RECEIVER=$(addr 0) ALERTMANAGER=$(addr 1) PROM=$(addr 2) PROM_ABSENT=$(addr 3)
SIM_DEMO=$(addr 4) SIM_HEALTHY=$(addr 5) SIM_RESTRICTED=$(addr 6) SIM_RATELIMITED=$(addr 7) SIM_CHANGES=$(addr 8)
EXP_DEMO=$(addr 9) EXP_HEALTHY=$(addr 10) EXP_BADKEY=$(addr 11) EXP_RESTRICTED=$(addr 12)
EXP_RATELIMITED=$(addr 13) EXP_DOWN=$(addr 14) EXP_CHANGES=$(addr 15)

# Throwaway keys, never real DigiCert keys: one the simulators accept, one they reject.
(umask 077
 head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/api-key"
 head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/wrong-key")

render() { # render TEMPLATE OUT: fills in the @...@ placeholders
  sed -e "s|@RULES@|$root/alerts/certcentral.rules.yml|" -e "s|@ALERTMANAGER@|$ALERTMANAGER|" \
      -e "s|@RECEIVER@|$RECEIVER|" \
      -e "s|@EXP_DEMO@|$EXP_DEMO|" -e "s|@EXP_HEALTHY@|$EXP_HEALTHY|" -e "s|@EXP_BADKEY@|$EXP_BADKEY|" \
      -e "s|@EXP_RESTRICTED@|$EXP_RESTRICTED|" -e "s|@EXP_RATELIMITED@|$EXP_RATELIMITED|" \
      -e "s|@EXP_DOWN@|$EXP_DOWN|" -e "s|@EXP_CHANGES@|$EXP_CHANGES|" "$1" >"$2"
  if grep -n '@[A-Z_]*@' "$2"; then echo "unfilled placeholder in $2" >&2; exit 1; fi
}
render test/e2e/alertmanager.yml "$work/alertmanager.yml"
render test/e2e/prometheus.yml "$work/prometheus.yml"
render test/e2e/prometheus-absent.yml "$work/prometheus-absent.yml"
amtool check-config "$work/alertmanager.yml" >/dev/null
promtool check config "$work/prometheus.yml" >/dev/null
promtool check config "$work/prometheus-absent.yml" >/dev/null

step "starting the webhook receiver and Alertmanager"
start receiver "$work/bin/receiver" -listen "$RECEIVER"
start alertmanager prometheus-alertmanager --config.file="$work/alertmanager.yml" \
  --storage.path="$work/alertmanager-data" --web.listen-address="$ALERTMANAGER" --cluster.listen-address=

step "starting 5 simulators and 7 exporters"
sim() { # sim NAME ADDR SCENARIO [FLAGS...]
  local n=$1 a=$2 s=$3
  shift 3
  start "sim-$n" bin/certcentral-simulator --web.listen-address="$a" --api-key-file="$work/api-key" --scenario="$s" "$@"
}
sim demo "$SIM_DEMO" demo
sim healthy "$SIM_HEALTHY" healthy
sim restricted "$SIM_RESTRICTED" healthy --key-restriction=orders
sim ratelimited "$SIM_RATELIMITED" healthy --fault='*=status:429'
sim changes "$SIM_CHANGES" healthy

exporter() { # exporter NAME ADDR SIMULATOR_ADDR KEY_FILE
  start "exporter-$1" bin/certcentral_exporter --web.listen-address="$2" \
    --certcentral.url="http://$3/services/v2" --certcentral.api-key-file="$4"
}
exporter demo "$EXP_DEMO" "$SIM_DEMO" "$work/api-key"
exporter healthy "$EXP_HEALTHY" "$SIM_HEALTHY" "$work/api-key"
exporter badkey "$EXP_BADKEY" "$SIM_HEALTHY" "$work/wrong-key"
exporter restricted "$EXP_RESTRICTED" "$SIM_RESTRICTED" "$work/api-key"
exporter ratelimited "$EXP_RATELIMITED" "$SIM_RATELIMITED" "$work/api-key"
exporter down "$EXP_DOWN" "$SIM_HEALTHY" "$work/api-key"
exporter changes "$EXP_CHANGES" "$SIM_CHANGES" "$work/api-key"

step "starting Prometheus (with targets) and a second Prometheus without any CertCentral target"
start prometheus prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prometheus-data" \
  --web.listen-address="$PROM" --log.level=info
start prometheus-absent prometheus --config.file="$work/prometheus-absent.yml" \
  --storage.tsdb.path="$work/prometheus-absent-data" --web.listen-address="$PROM_ABSENT"

"$check" wait-http -timeout 30s "http://$RECEIVER/-/healthy" "http://$ALERTMANAGER/-/ready" \
  "http://$PROM/-/ready" "http://$PROM_ABSENT/-/ready" \
  "http://$EXP_DEMO/-/healthy" "http://$EXP_HEALTHY/-/healthy" "http://$EXP_BADKEY/-/healthy" \
  "http://$EXP_RESTRICTED/-/healthy" "http://$EXP_RATELIMITED/-/healthy" "http://$EXP_DOWN/-/healthy" \
  "http://$EXP_CHANGES/-/healthy"

step "waiting until Prometheus scrapes all 7 exporters"
"$check" wait-query -prometheus "http://$PROM" -timeout 60s -query 'count(up{job="certcentral"} == 1) == 7'
# The changed account needs a few samples of its first state so that the rise, the lost product
# group and the falling funds are seen as changes.
"$check" wait-query -prometheus "http://$PROM" -timeout 60s \
  -query 'count_over_time(certcentral_products{instance="changes",group="code_signing_certificate"}[1m]) >= 5'

step "stopping exporter 'down' (pid ${pid[exporter-down]}) and changing the 'changes' account"
stop exporter-down
"$check" put "http://$SIM_CHANGES/_sim/scenario" test/e2e/scenarios/healthy-changed.yaml

step "waiting for the expected alerts at the receiver (up to $timeout; most rules have for: 2m)"
"$check" alerts -receiver "http://$RECEIVER" -prometheus "http://$PROM" -timeout "$timeout" \
  -expect test/e2e/expected-alerts.yaml -rules alerts/certcentral.rules.yml

step "running every dashboard query against Prometheus"
"$check" dashboards -prometheus "http://$PROM" -dir dashboards -empty test/e2e/dashboards-empty-on-demo.yaml

ok=1
step "e2e passed"
