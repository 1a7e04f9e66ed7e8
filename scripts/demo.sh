#!/usr/bin/env bash
# Starts the CertCentral simulator with the demo account and the exporter against it, both on
# loopback, prints where to look, and stops both on Ctrl-C. No DigiCert account needed.
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

./bin/certcentral-simulator --web.listen-address="$SIM_ADDR" --api-key-file="$dir/api-key" \
  --scenario="$SCENARIO" >"$dir/simulator.log" 2>&1 &
pids+=($!)
./bin/certcentral_exporter --web.listen-address="$EXPORTER_ADDR" --certcentral.url="http://$SIM_ADDR/services/v2" \
  --certcentral.api-key-file="$dir/api-key" --collector.api_keys >"$dir/exporter.log" 2>&1 &
pids+=($!)

for _ in $(seq 50); do
  if curl -fsS "http://$EXPORTER_ADDR/-/healthy" >/dev/null 2>&1 && curl -fsS "http://$SIM_ADDR/_sim/stats" >/dev/null 2>&1; then
    break
  fi
  sleep 0.1
done
if ! curl -fsS "http://$EXPORTER_ADDR/-/healthy" >/dev/null 2>&1; then
  echo "the exporter did not start; logs:" >&2
  cat "$dir/simulator.log" "$dir/exporter.log" >&2
  exit 1
fi

echo "CertCentral simulator ($SCENARIO account): http://$SIM_ADDR/services/v2   (stats: http://$SIM_ADDR/_sim/stats)"
echo "Exporter status page:                   http://$EXPORTER_ADDR/"
echo "Exporter metrics:                       http://$EXPORTER_ADDR/metrics"
echo "Logs: $dir/simulator.log $dir/exporter.log"
echo
scrape=$(curl -fsS "http://$EXPORTER_ADDR/metrics")
echo "What blocks issuance now (certcentral_issuance_blockers), and what depends on it:"
grep -E '^certcentral_(issuance_blockers|orders_stuck|organization_active_certificates|domain_active_certificates)\{' <<<"$scrape" || true
echo
echo "A first scrape, certcentral_* lines only:"
grep '^certcentral_' <<<"$scrape" | head -n 40
echo "..."
echo
echo "Both are running; press Ctrl-C to stop them."
wait
