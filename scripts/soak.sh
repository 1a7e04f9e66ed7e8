#!/usr/bin/env bash
# Soak run: the exporter scraped by two concurrent scrapers every second for SOAK_SECONDS
# (default 600) against a simulator whose faults change every 15 s (every fault kind, the
# hostile answers included, random endpoints and probabilities). Goroutines and memory must stay
# flat, no scrape may fail or outlast the scrape timeout, the simulator must see zero writes, and
# the exporter's log must hold no panic and no API key. Everything runs on loopback and is stopped by PID at the end.
#
#   scripts/soak.sh                     # 10 minutes, every fault kind
#   SOAK_SECONDS=120 scripts/soak.sh    # at least 60
#
# The faults run between two quiet windows (a minute each; a fifth of shorter runs, at least
# 30 s), and flat means the second half of the last quiet window against the second half of the
# first: goroutines' average <= 1.25 x + 10; the live heap after GC (minimum of
# go_gc_heap_live_bytes) <= 1.25 x + 8 MiB; resident memory's average <= 1.25 x + 16 MiB, and
# its peak at any moment <= 256 MiB. Every collector must have recovered by the end.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${SOAK_SECONDS:-600}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${SOAK_KEEP:-}" ]; then echo "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT INT TERM

. scripts/lib.sh # listen_port, wait_http

echo "building..."
CGO_ENABLED=0 go build -o "$work/" ./cmd/certcentral_exporter ./cmd/certcentral-simulator ./test/soak
(umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/api-key")
key=$(cat "$work/api-key")

# A larger account than the demo, so that lists take several pages.
"$work/certcentral-simulator" --web.listen-address=127.0.0.1:0 --api-key-file="$work/api-key" \
  --users=1500 --domains=2500 --orders=4000 --seed=7 >"$work/simulator.log" 2>&1 &
pids+=($!)
sim="127.0.0.1:$(listen_port "$!")" || { cat "$work/simulator.log" >&2; exit 1; }
"$work/certcentral_exporter" --web.listen-address=127.0.0.1:0 --certcentral.url="http://$sim/services/v2" \
  --certcentral.api-key-file="$work/api-key" --certcentral.request-timeout=10s \
  --certcentral.collection-timeout=30s --log.level=debug >"$work/exporter.log" 2>&1 &
exporter_pid=$!
pids+=($exporter_pid)
exp="127.0.0.1:$(listen_port "$exporter_pid")" || { cat "$work"/*.log >&2; exit 1; }
wait_http "http://$exp/-/healthy" "http://$sim/_sim/stats" || { cat "$work"/*.log >&2; exit 1; }

status=0
"$work/soak" -exporter "http://$exp" -simulator "http://$sim" -duration "${seconds}s" || status=1

if ! kill -0 "$exporter_pid" 2>/dev/null; then
  echo "FAIL the exporter died"; status=1
fi
if grep -qi 'panic' "$work/exporter.log"; then
  echo "FAIL the exporter logged a panic:"; grep -i -m5 'panic' "$work/exporter.log"; status=1
else
  echo "PASS no panic in the exporter's log"
fi
# The echokey fault echoes the key lower- and upper-cased and cut short: look for any run of it.
if grep -qiF -e "$key" -e "${key:0:16}" -e "${key: -16}" "$work/exporter.log" "$work/simulator.log"; then
  echo "FAIL the API key (or a run of it) appears in a log"; status=1
else
  echo "PASS the API key appears in no log"
fi
echo "exporter log: $(wc -l <"$work/exporter.log") lines, $(grep -c 'collector failing' "$work/exporter.log" || true) failure transitions, $(grep -c 'collector recovered' "$work/exporter.log" || true) recoveries"
[ "$status" = 0 ] && echo "soak run: PASS" || echo "soak run: FAIL"
exit "$status"
