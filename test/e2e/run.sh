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

# Every process listens on 127.0.0.1:0 and `bound` reads back the port the kernel gave it, so
# the processes start in the order their configurations need each other's addresses: the
# receiver, Alertmanager (its config names the receiver), the simulators, the exporters (their
# flags name a simulator), then Prometheus (its config names Alertmanager and the exporters).
. scripts/lib.sh # listen_port

# bound NAME: the address process NAME listens on. One assignment per line: in a line of
# several, a failing $(...) other than the last would not stop the script (set -e).
bound() {
  local port
  port=$(listen_port "${pid[$1]}" 30) || { echo "$1 did not start listening" >&2; exit 1; }
  echo "127.0.0.1:$port"
}

# Throwaway keys, never real DigiCert keys: one the simulators accept, one they reject, and one
# per account of the fleet.
(umask 077
 for k in api-key wrong-key fleet-us.key fleet-eu.key; do
   head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/$k"
 done)
WORK=$work

RULES=$root/alerts/certcentral.rules.yml
render() { # render TEMPLATE OUT: fills in each @NAME@ with $NAME, which must be set by now
  local name script=(-e '')
  for name in $(grep -o '@[A-Z0-9_]*@' "$1" | tr -d @ | sort -u); do
    [ -n "${!name:-}" ] || { echo "render $1: no value for @$name@ yet" >&2; exit 1; }
    script+=(-e "s|@$name@|${!name}|g")
  done
  sed "${script[@]}" "$1" >"$2"
}

step "starting the webhook receiver and Alertmanager"
start receiver "$work/bin/receiver" -listen 127.0.0.1:0
RECEIVER=$(bound receiver)
render test/e2e/alertmanager.yml "$work/alertmanager.yml"
amtool check-config "$work/alertmanager.yml" >/dev/null
start alertmanager prometheus-alertmanager --config.file="$work/alertmanager.yml" \
  --storage.path="$work/alertmanager-data" --web.listen-address=127.0.0.1:0 --cluster.listen-address=
ALERTMANAGER=$(bound alertmanager)

step "starting 6 simulators and 9 exporters"
sim() { # sim NAME SCENARIO [FLAGS...]
  local n=$1 s=$2
  shift 2
  start "sim-$n" bin/certcentral-simulator --web.listen-address=127.0.0.1:0 --api-key-file="$work/api-key" --scenario="$s" "$@"
}
sim demo demo
sim healthy healthy
sim restricted healthy --key-restriction=orders
sim ratelimited healthy --fault='*=status:429'
sim changes healthy
SIM_DEMO=$(bound sim-demo)
SIM_HEALTHY=$(bound sim-healthy)
SIM_RESTRICTED=$(bound sim-restricted)
SIM_RATELIMITED=$(bound sim-ratelimited)
SIM_CHANGES=$(bound sim-changes)
# The fleet: one simulator with a US and a Europe account, each behind its own key.
start sim-fleet bin/certcentral-simulator --web.listen-address=127.0.0.1:0 --scenario=test/e2e/scenarios/fleet.yaml \
  --account-key-file=us="$work/fleet-us.key" --account-key-file=eu="$work/fleet-eu.key"
SIM_FLEET=$(bound sim-fleet)

# The run lasts minutes: every collector refreshes at --certcentral.cache-ttl (10 s) instead of
# its default interval (minutes, see README "Refresh intervals"), so that the changed account
# and the faults show within the run. The flags come from --help, so that a new collector is
# covered.
# shellcheck disable=SC2207
fast_refresh=($(bin/certcentral_exporter --help 2>&1 | grep -o -- '--collector\.[a-z_]*\.\(min\|check\)-interval' | sed 's/$/=0s/'))
exporter() { # exporter NAME SIMULATOR_ADDR KEY_FILE [FLAGS...]
  local n=$1 addr=$2 key=$3
  shift 3
  start "exporter-$n" bin/certcentral_exporter --web.listen-address=127.0.0.1:0 \
    --certcentral.url="http://$addr/services/v2" --certcentral.api-key-file="$key" "${fast_refresh[@]}" "$@"
}
# The api_keys collector is off by default; demo needs it for the API key alerts, and healthy
# has it too so that its unrestricted ACME URL of an Administrator proves those alerts silent.
exporter demo "$SIM_DEMO" "$work/api-key" --collector.api_keys
exporter healthy "$SIM_HEALTHY" "$work/api-key" --collector.api_keys
exporter badkey "$SIM_HEALTHY" "$work/wrong-key"
exporter restricted "$SIM_RESTRICTED" "$work/api-key"
exporter ratelimited "$SIM_RATELIMITED" "$work/api-key"
exporter down "$SIM_HEALTHY" "$work/api-key"
exporter changes "$SIM_CHANGES" "$work/api-key"
EXP_DEMO=$(bound exporter-demo)
EXP_HEALTHY=$(bound exporter-healthy)
EXP_BADKEY=$(bound exporter-badkey)
EXP_RESTRICTED=$(bound exporter-restricted)
EXP_RATELIMITED=$(bound exporter-ratelimited)
EXP_DOWN=$(bound exporter-down)
EXP_CHANGES=$(bound exporter-changes)
# Two exporter processes with disjoint accounts of the fleet, from config files.
for shard in 0 1; do
  render "test/e2e/shard-$shard.yml" "$work/shard-$shard.yml"
  bin/certcentral_exporter --config.check --config.file="$work/shard-$shard.yml" >"$logs/config-check-$shard.log"
  start "exporter-shard$shard" bin/certcentral_exporter --web.listen-address=127.0.0.1:0 --config.file="$work/shard-$shard.yml"
done
EXP_SHARD0=$(bound exporter-shard0)
EXP_SHARD1=$(bound exporter-shard1)

step "starting Prometheus (with targets) and a second Prometheus without any CertCentral target"
render test/e2e/prometheus.yml "$work/prometheus.yml"
render test/e2e/prometheus-absent.yml "$work/prometheus-absent.yml"
promtool check config "$work/prometheus.yml" >/dev/null
promtool check config "$work/prometheus-absent.yml" >/dev/null
start prometheus prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/prometheus-data" \
  --web.listen-address=127.0.0.1:0 --log.level=info
start prometheus-absent prometheus --config.file="$work/prometheus-absent.yml" \
  --storage.tsdb.path="$work/prometheus-absent-data" --web.listen-address=127.0.0.1:0
PROM=$(bound prometheus)
PROM_ABSENT=$(bound prometheus-absent)

"$check" wait-http -timeout 30s "http://$RECEIVER/-/healthy" "http://$ALERTMANAGER/-/ready" \
  "http://$PROM/-/ready" "http://$PROM_ABSENT/-/ready" \
  "http://$EXP_DEMO/-/healthy" "http://$EXP_HEALTHY/-/healthy" "http://$EXP_BADKEY/-/healthy" \
  "http://$EXP_RESTRICTED/-/healthy" "http://$EXP_RATELIMITED/-/healthy" "http://$EXP_DOWN/-/healthy" \
  "http://$EXP_CHANGES/-/healthy" "http://$EXP_SHARD0/-/healthy" "http://$EXP_SHARD1/-/healthy"

step "waiting until Prometheus scrapes all 7 exporters"
"$check" wait-query -prometheus "http://$PROM" -timeout 60s -query 'count(up{job="certcentral"} == 1) == 7'
step "checking that each account of the fleet is scraped exactly once, through its shard's /probe"
"$check" wait-query -prometheus "http://$PROM" -timeout 60s \
  -query 'count(up{job="certcentral-fleet"} == 1) == 3 and count(count by (account) (certcentral_up{job="certcentral-fleet"})) == 3'
# A few scrapes later, still one series per account: neither shard serves another's account.
sleep 3
"$check" wait-query -prometheus "http://$PROM" -timeout 10s \
  -query 'max(count by (account) (count_over_time(certcentral_up{job="certcentral-fleet"}[1m]) > 0)) == 1 and count(count by (account) (certcentral_up{job="certcentral-fleet"})) == 3'
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

step "running the README's PromQL answers against Prometheus"
"$check" readme -prometheus "http://$PROM" -file README.md

ok=1
step "e2e passed"
