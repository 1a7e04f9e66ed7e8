#!/usr/bin/env bash
# Starts the CertCentral simulator with two demo accounts (a US and a Europe one, each behind
# its own key) and the exporter watching both from a config file, on loopback; prints where to
# look and the accounts' summary, and stops both on Ctrl-C. No DigiCert account needed.
# SIM_ADDR and EXPORTER_ADDR (default 127.0.0.1:10028 and 127.0.0.1:10027) may use port 0; the
# URLs printed are those of the ports the processes really listen on.
set -euo pipefail
cd "$(dirname "$0")/.."

SIM_ADDR=${SIM_ADDR:-127.0.0.1:10028}
EXPORTER_ADDR=${EXPORTER_ADDR:-127.0.0.1:10027}
dir=.demo
mkdir -p "$dir"
# Throwaway keys, one per account, shared by the two processes: never real DigiCert keys.
for account in us eu; do
  if [ ! -s "$dir/$account.key" ]; then
    (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/$account.key")
  fi
  chmod 600 "$dir/$account.key"
done

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

. scripts/lib.sh # listen_port

# url_host ADDR: the host to put in a URL for a listen address (its own host, or loopback when
# it listens on every interface).
url_host() {
  case ${1%:*} in "" | 0.0.0.0 | "[::]") echo 127.0.0.1 ;; *) echo "${1%:*}" ;; esac
}
# started NAME LOG ADDR: prints the address process $! really listens on (read back from the
# kernel, so SIM_ADDR/EXPORTER_ADDR may use port 0), or shows the log and stops the demo.
started() {
  local port
  if ! port=$(listen_port "$!" 10); then
    echo "the $1 did not start; its log:" >&2
    cat "$2" >&2
    exit 1
  fi
  echo "$(url_host "$3"):$port"
}

./bin/certcentral-simulator --web.listen-address="$SIM_ADDR" --scenario=demo-fleet \
  --account-key-file=us="$dir/us.key" --account-key-file=eu="$dir/eu.key" >"$dir/simulator.log" 2>&1 &
pids+=($!)
SIM_ADDR=$(started simulator "$dir/simulator.log" "$SIM_ADDR")
# The exporter's config: the two accounts, as a real deployment lists them.
cat >"$dir/certcentral.yml" <<EOF
# Written by scripts/demo.sh: the demo's two simulated accounts.
accounts:
  - name: demo-us
    url: http://$SIM_ADDR/services/v2
    api_key_file: us.key
  - name: demo-eu
    url: http://$SIM_ADDR/eu/services/v2
    api_key_file: eu.key
    labels: {team: pki-eu}
EOF
# --collector.api_keys: off by default (listing keys may need an Administrator), on in the demo.
./bin/certcentral_exporter --web.listen-address="$EXPORTER_ADDR" --config.file="$dir/certcentral.yml" \
  --collector.api_keys >"$dir/exporter.log" 2>&1 &
pids+=($!)
EXPORTER_ADDR=$(started exporter "$dir/exporter.log" "$EXPORTER_ADDR")

echo "CertCentral simulator, two accounts: http://$SIM_ADDR/   (US API /services/v2, Europe API /eu/services/v2)"
echo "Exporter status page:                http://$EXPORTER_ADDR/"
echo "Exporter metrics (both accounts):    http://$EXPORTER_ADDR/metrics"
echo "One account's metrics:               http://$EXPORTER_ADDR/probe?account=demo-eu"
echo "Config: $dir/certcentral.yml   Logs: $dir/simulator.log $dir/exporter.log"
echo
# The summary the status page shows, once the first collections are in. No `| head` anywhere:
# with pipefail, head closing the pipe early killed curl with SIGPIPE, which ended the script
# and stopped both processes right after the URLs were printed.
summary=""
for _ in $(seq 50); do
  summary=$(curl -fsS "http://$EXPORTER_ADDR/?format=text" || true)
  case $summary in "" | *"no account data yet"*) sleep 0.2 ;; *) break ;; esac
done
echo "$summary"
echo "Both are running; press Ctrl-C to stop them."
wait
