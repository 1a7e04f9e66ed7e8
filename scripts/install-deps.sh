#!/usr/bin/env bash
# Installs the Debian packages the tests need when they are missing (promtool, amtool, the
# Prometheus and Alertmanager servers for the end-to-end test, yamllint, Chromium for the landing
# page check, buildah for the image).
# Used by `make test` and by CI; does nothing when everything is there.
set -euo pipefail

declare -A want=(
  [promtool]=prometheus
  [prometheus]=prometheus
  [amtool]=prometheus-alertmanager
  [prometheus-alertmanager]=prometheus-alertmanager
  [yamllint]=yamllint
  [chromium]=chromium
)
# Extra commands a caller needs, as command=package pairs (e.g. buildah=buildah).
for pair in "$@"; do want[${pair%%=*}]=${pair#*=}; done

missing=()
for cmd in "${!want[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${want[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)

if [ "$(id -u)" = 0 ]; then
  SUDO=
elif command -v sudo >/dev/null 2>&1; then
  SUDO=sudo
else
  echo "missing Debian packages: ${missing[*]}; install them with apt-get (needs root)" >&2
  exit 1
fi
echo "installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
