#!/usr/bin/env bash
# Starts the CertCentral simulator with the demo account and the exporter against it, both on
# loopback, prints where to look, and stops both on Ctrl-C. No DigiCert account needed.
# SIM_ADDR and EXPORTER_ADDR (default 127.0.0.1:10028 and 127.0.0.1:10027) may use port 0; the
# URLs printed are those of the ports the processes really listen on.
set -euo pipefail
cd "$(dirname "$0")/.."

SIM_ADDR=${SIM_ADDR:-127.0.0.1:10028}
EXPORTER_ADDR=${EXPORTER_ADDR:-127.0.0.1:10027}
SCENARIO=${SCENARIO:-demo}
dir=.demo
mkdir -p "$dir"
# A throwaway key shared by the two processes: never a real DigiCert key.
if [ ! -s "$dir/api-key" ]; then
  (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/api-key")
fi
chmod 600 "$dir/api-key"

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

./bin/certcentral-simulator --web.listen-address="$SIM_ADDR" --api-key-file="$dir/api-key" \
  --scenario="$SCENARIO" >"$dir/simulator.log" 2>&1 &
pids+=($!)
SIM_ADDR=$(started simulator "$dir/simulator.log" "$SIM_ADDR")
./bin/certcentral_exporter --web.listen-address="$EXPORTER_ADDR" --certcentral.url="http://$SIM_ADDR/services/v2" \
  --certcentral.api-key-file="$dir/api-key" >"$dir/exporter.log" 2>&1 &
pids+=($!)
EXPORTER_ADDR=$(started exporter "$dir/exporter.log" "$EXPORTER_ADDR")

echo "CertCentral simulator ($SCENARIO account): http://$SIM_ADDR/services/v2   (stats: http://$SIM_ADDR/_sim/stats)"
echo "Exporter status page:                   http://$EXPORTER_ADDR/"
echo "Exporter metrics:                       http://$EXPORTER_ADDR/metrics"
echo "Logs: $dir/simulator.log $dir/exporter.log"
echo
echo "A first scrape, certcentral_* lines only:"
# No `| head` here: with pipefail, head closing the pipe early killed curl or grep with SIGPIPE,
# which ended the script and stopped both processes right after the URLs were printed.
metrics=$(curl -fsS "http://$EXPORTER_ADDR/metrics")
awk '/^certcentral_/ && n++ < 40' <<<"$metrics"
echo "..."
echo
echo "Both are running; press Ctrl-C to stop them."
wait
