#!/usr/bin/env bash
# Takes a PNG of the exporter's landing page with one collector failing, to review the page by
# eye: starts the simulator (demo account, GET /finance/balance answering 403) and the exporter
# on loopback, scrapes once so that every collector has a result, checks in headless Chromium
# that the page renders the failure, takes the screenshot and stops everything it started.
#
#   scripts/screenshot.sh [OUTPUT.png]      (default bin/landing-page.png)
#
# Needs chromium (Debian: apt-get install -y chromium), curl and Go.
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-bin/landing-page.png}
fault=${SCREENSHOT_FAULT:-/finance/balance=status:403}
chrome=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chrome" ] || { echo "chromium not found: apt-get install -y chromium" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

. scripts/lib.sh

echo "building..."
CGO_ENABLED=0 go build -o "$work/" ./cmd/certcentral_exporter ./cmd/certcentral-simulator
(umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/api-key")

"$work/certcentral-simulator" --web.listen-address=127.0.0.1:0 --api-key-file="$work/api-key" \
  --scenario=demo --fault="$fault" >"$work/simulator.log" 2>&1 &
pids+=($!)
sim="127.0.0.1:$(listen_port "$!")" || { cat "$work/simulator.log" >&2; exit 1; }
"$work/certcentral_exporter" --web.listen-address=127.0.0.1:0 --certcentral.url="http://$sim/services/v2" \
  --certcentral.api-key-file="$work/api-key" >"$work/exporter.log" 2>&1 &
pids+=($!)
exp="127.0.0.1:$(listen_port "$!")" || { cat "$work"/*.log >&2; exit 1; }
wait_http "http://$exp/-/healthy" "http://$sim/_sim/stats" || { cat "$work"/*.log >&2; exit 1; }
curl -fsS "http://$exp/metrics" >/dev/null # one scrape: every collector runs once

chrome_run() {
  # A fresh profile, no network besides the page, nothing left running afterwards.
  timeout 60 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/chrome" --hide-scrollbars "$@" 2>>"$work/chrome.log"
}

dom=$(chrome_run --dump-dom "http://$exp/")
for want in "FAILED: missing_permission" "collectors failing" '<span class="ok">OK</span>'; do
  if ! grep -qF "$want" <<<"$dom"; then
    echo "the rendered page lacks \"$want\"; chromium log: $work/chrome.log" >&2
    exit 1
  fi
done

mkdir -p "$(dirname "$out")"
chrome_run --window-size=1400,720 --screenshot="$out" "http://$exp/" >/dev/null
[ -s "$out" ] || { echo "no screenshot written" >&2; cat "$work/chrome.log" >&2; exit 1; }
echo "landing page with $fault: $out"
