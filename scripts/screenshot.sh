#!/usr/bin/env bash
# Checks the exporter's landing page in headless Chromium and takes a PNG of it. It starts the
# simulator with the demo fleet (a US and a Europe account) and an account of its own whose user
# is named with markup, and the exporter watching three accounts: the two demo accounts and one
# whose key the simulator rejects. Once every collector has a result, it checks the rendered
# page: each account's at-a-glance section names its problems, the failing account says why,
# and the user named <script>...</script> is shown as text, never run. Then it takes the
# screenshot and stops everything it started.
#
#   scripts/screenshot.sh [OUTPUT.png]      (default bin/landing-page.png; README uses
#                                            docs/landing-page.png)
#
# Needs chromium (Debian: apt-get install -y chromium; scripts/install-deps.sh does it), curl
# and Go. Part of `make test` (landing-check).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${1:-bin/landing-page.png}
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
(umask 077
 for k in us eu marked wrong; do head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/$k.key"; done)

# A third simulated account: healthy, but one Administrator's name is markup that would
# change the page's title if the page ever ran it.
cat >"$work/marked.yaml" <<'EOF'
account: {id: 1696599, primary_organization_name: Marked Corp}
key_owner: anna.admin@example.com
users:
  - {username: anna.admin@example.com, first_name: Anna, last_name: Admin, role: Administrator, last_login: 1h ago}
  - {username: '<script>document.title="INJECTED"</script>', email: x@example.com, first_name: X, last_name: Y, role: Administrator, last_login: never}
products:
  - name_id: ssl_plus
balance: {balance: "100.00", currency: USD, unpaid_invoice: "0.00", negative_balance_limit: "0.00", used_credit_from_other_containers: "0.00"}
EOF
cat >"$work/fleet.yaml" <<EOF
accounts:
  - {name: us, region: us, scenario: demo}
  - {name: eu, region: eu, scenario: demo-eu}
  - {name: marked, region: us, scenario: $work/marked.yaml}
EOF
"$work/certcentral-simulator" --web.listen-address=127.0.0.1:0 --scenario="$work/fleet.yaml" \
  --account-key-file=us="$work/us.key" --account-key-file=eu="$work/eu.key" --account-key-file=marked="$work/marked.key" \
  >"$work/simulator.log" 2>&1 &
pids+=($!)
sim="127.0.0.1:$(listen_port "$!")" || { cat "$work/simulator.log" >&2; exit 1; }
cat >"$work/certcentral.yml" <<EOF
accounts:
  - {name: demo-us, url: "http://$sim/services/v2", api_key_file: us.key}
  - {name: demo-eu, url: "http://$sim/eu/services/v2", api_key_file: eu.key, labels: {team: pki-eu}}
  - {name: marked, url: "http://$sim/services/v2", api_key_file: marked.key}
  - {name: rejected, url: "http://$sim/services/v2", api_key_file: wrong.key}
EOF
"$work/certcentral_exporter" --web.listen-address=127.0.0.1:0 --config.file="$work/certcentral.yml" >"$work/exporter.log" 2>&1 &
pids+=($!)
exp="127.0.0.1:$(listen_port "$!")" || { cat "$work"/*.log >&2; exit 1; }
wait_http "http://$exp/-/healthy" "http://$sim/_sim/stats" || { cat "$work"/*.log >&2; exit 1; }
curl -fsS "http://$exp/metrics" >/dev/null # waits for the first collections of every account

chrome_run() {
  # A fresh profile, no network besides the page, nothing left running afterwards.
  timeout 60 "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/chrome" --hide-scrollbars "$@" 2>>"$work/chrome.log"
}

dom=$(chrome_run --dump-dom "http://$exp/")
failed=0
for want in \
  "Account demo-us" "Account demo-eu" "Account rejected" \
  "Can this account order and renew now?" \
  "funds: -130.00 USD available for new orders" \
  "ghost.admin@example.com (Administrator): never signed in" \
  "legacy.example.com: DCV expired: redo it" \
  "alt.beispiel.example: DCV expired: redo it" \
  "vpn.example.com (ssl_plus, order 11000005): expired " \
  "FAILED: invalid_key" "8 of 8 collectors failing" \
  '&lt;script&gt;document.title="INJECTED"&lt;/script&gt; (Administrator): never signed in' \
  "<title>certcentral_exporter</title>"; do
  if ! grep -qF -- "$want" <<<"$dom"; then
    echo "the rendered page lacks: $want" >&2
    failed=1
  fi
done
if grep -qF "INJECTED</title>" <<<"$dom"; then
  echo "a user's name ran as a script in the page" >&2
  failed=1
fi
if [ "$failed" = 1 ]; then
  echo "chromium log: $work/chrome.log; the page as rendered:" >&2
  echo "$dom" >&2
  exit 1
fi
echo "landing page checked in Chromium: 4 accounts, their problems, the failing one, markup shown as text"

mkdir -p "$(dirname "$out")"
chrome_run --window-size=1400,1900 --screenshot="$out" "http://$exp/" >/dev/null
[ -s "$out" ] || { echo "no screenshot written" >&2; cat "$work/chrome.log" >&2; exit 1; }
echo "screenshot: $out"
