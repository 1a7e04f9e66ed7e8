#!/usr/bin/env bash
# Checks the images `make docker` built with buildah, without a container engine:
#  1. their config: non-root numeric user, entrypoint, exposed port, OCI labels, version;
#  2. the exporter image's files: only the binary and the CA bundle;
#  3. inside a copy of the exporter image's root (chroot, as UID 65534, empty environment):
#     test/image's check program verifies public certificate chains against the image's CA
#     bundle and loads America/Denver with no zoneinfo files; without the bundle it must fail;
#  4. the two images' binaries, each chrooted into its image's root as UID 65534, serve a real
#     scrape on loopback: simulator -> exporter -> /metrics with certcentral_up 1.
# Needs root (chroot, buildah mount). Settings: VERSION, REVISION, IMAGE, SIMULATOR_IMAGE as
# for scripts/docker-build.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${VERSION:-dev}
REVISION=${REVISION:-unknown}
IMAGE=${IMAGE:-localhost/certcentral_exporter}
SIMULATOR_IMAGE=${SIMULATOR_IMAGE:-localhost/certcentral-simulator}
BUILDAH=(buildah --storage-driver "${BUILDAH_STORAGE_DRIVER:-vfs}")
CHROOT=$(command -v chroot)
SOURCE_URL=https://github.com/certcentral-exporter/certcentral_exporter

failures=0
fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }
ok() { echo "ok   $*"; }
expect() { # expect NAME GOT WANT
  if [ "$2" = "$3" ]; then ok "$1 = $3"; else fail "$1 = '$2', want '$3'"; fi
}

work=$(mktemp -d)
containers=()
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for c in "${containers[@]}"; do "${BUILDAH[@]}" rm "$c" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

inspect() { "${BUILDAH[@]}" inspect --type image --format "$2" "$1"; }

check_config() { # check_config IMAGE ENTRYPOINT PORT
  local image=$1
  echo "== $image:$VERSION config"
  expect "User" "$(inspect "$image:$VERSION" '{{.OCIv1.Config.User}}')" "65534:65534"
  expect "Entrypoint" "$(inspect "$image:$VERSION" '{{.OCIv1.Config.Entrypoint}}')" "$2"
  expect "ExposedPorts" "$(inspect "$image:$VERSION" '{{range $p, $_ := .OCIv1.Config.ExposedPorts}}{{$p}} {{end}}')" "$3/tcp "
  local label
  for label in "source=$SOURCE_URL" "version=$VERSION" "revision=$REVISION" "licenses=Apache-2.0"; do
    expect "label org.opencontainers.image.${label%%=*}" \
      "$(inspect "$image:$VERSION" "{{index .OCIv1.Config.Labels \"org.opencontainers.image.${label%%=*}\"}}")" "${label#*=}"
  done
}

extract_root() { # extract_root IMAGE DIR: a copy of the image's root file system
  local c mnt
  c=$("${BUILDAH[@]}" from --pull=never --quiet "$1:$VERSION")
  containers+=("$c")
  mnt=$("${BUILDAH[@]}" mount "$c")
  mkdir -p "$2"
  cp -a "$mnt/." "$2/"
  "${BUILDAH[@]}" umount "$c" >/dev/null
}

# listen_port, wait_http
. scripts/lib.sh

# Runs a command chrooted into root DIR as nobody with an empty environment: nothing from the
# host (SSL_CERT_FILE, ZONEINFO, ...) leaks in. Call it only in a subshell ($(...) or &): it
# replaces that subshell with the command, so that $! is the server's own PID and cleanup's
# kill reaches it (a subshell that merely waits for chroot would die and orphan the server).
in_root() {
  [ "$BASH_SUBSHELL" -gt 0 ] || { echo "in_root must run in a subshell" >&2; exit 1; }
  local root=$1
  shift
  exec env -i "$CHROOT" --userspec=65534:65534 "$root" "$@"
}

# 1. Config.
check_config "$IMAGE" '[/bin/certcentral_exporter]' 10027
check_config "$SIMULATOR_IMAGE" '[/bin/certcentral-simulator]' 10028
expect "simulator Cmd" "$(inspect "$SIMULATOR_IMAGE:$VERSION" '{{.OCIv1.Config.Cmd}}')" '[--web.listen-address=:10028]'

# 2. Files.
echo "== $IMAGE:$VERSION files"
root=$work/exporter
extract_root "$IMAGE" "$root"
expect "regular files" "$(cd "$root" && find . -type f | sort | tr '\n' ' ')" \
  "./bin/certcentral_exporter ./etc/ssl/certs/ca-certificates.crt "
ok "root file system $(du -sh "$root" | cut -f1)"
got=$(in_root "$root" /bin/certcentral_exporter --version 2>&1 | head -n1 || true)
case $got in
  *"version $VERSION "*) ok "the image's exporter runs: $got" ;;
  *) fail "the image's exporter --version printed '$got', want version $VERSION" ;;
esac

# 3. CA roots and time zone inside the image.
echo "== CA roots and time zone inside $IMAGE:$VERSION"
CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$work/imagecheck" ./test/image
cp "$work/imagecheck" "$root/imagecheck"
if out=$(in_root "$root" /imagecheck 2>&1); then
  ok "image check program passed:"
else
  fail "image check program failed:"
fi
sed 's/^/       /' <<<"$out"
# The same check without the bundle must fail: it reads the image's roots, nothing else.
mv "$root/etc/ssl/certs/ca-certificates.crt" "$work/ca.crt"
if out=$(in_root "$root" /imagecheck 2>&1); then
  fail "the check passed without the image's CA bundle; it proves nothing"
elif grep -q 'unknown authority' <<<"$out"; then
  ok "without the CA bundle the chains are refused (control)"
else
  fail "without the CA bundle the check failed for another reason: $out"
fi
mv "$work/ca.crt" "$root/etc/ssl/certs/ca-certificates.crt"
rm "$root/imagecheck"

# 4. A scrape with both images' binaries, each in its own root, on loopback.
echo "== simulator -> exporter, both from the images, on loopback"
simroot=$work/simulator
extract_root "$SIMULATOR_IMAGE" "$simroot"
# A throwaway key for the simulator only, never a real DigiCert key.
key=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
for r in "$root" "$simroot"; do
  mkdir -p "$r/run"
  (umask 077 && printf '%s\n' "$key" >"$r/run/api-key")
  chown 65534:65534 "$r/run/api-key"
done
# Each listens on port 0; listen_port reads back the port the kernel gave it (in_root's $! is
# the server's own PID).
in_root "$simroot" /bin/certcentral-simulator --web.listen-address=127.0.0.1:0 \
  --api-key-file=/run/api-key --scenario=demo >"$work/simulator.log" 2>&1 &
pids+=($!)
exp_port=""
if sim_port=$(listen_port "$!"); then
  in_root "$root" /bin/certcentral_exporter --web.listen-address=127.0.0.1:0 \
    --certcentral.url="http://127.0.0.1:$sim_port/services/v2" --certcentral.api-key-file=/run/api-key \
    >"$work/exporter.log" 2>&1 &
  pids+=($!)
  exp_port=$(listen_port "$!") || exp_port=""
fi
if [ -n "$exp_port" ] && wait_http "http://127.0.0.1:$sim_port/_sim/stats" && wait_http "http://127.0.0.1:$exp_port/-/ready"; then
  metrics=$(curl -fsS "http://127.0.0.1:$exp_port/metrics" || true)
  for want in '^certcentral_up\{account="default"\} 1$' '^certcentral_collector_success\{account="default",collector="orders"\} 1$' \
    '^certcentral_certificate_expiry_timestamp_seconds\{' "^certcentral_exporter_build_info\\{.*version=\"$VERSION\""; do
    if grep -Eq "$want" <<<"$metrics"; then ok "/metrics has $want"; else fail "/metrics lacks $want"; fi
  done
  if grep -qF "$key" <<<"$metrics$(cat "$work/exporter.log")"; then fail "the API key appears in /metrics or the log"; fi
else
  fail "the chrooted simulator or exporter did not start"
  cat "$work/simulator.log" "$work/exporter.log" 2>/dev/null >&2
fi

if [ "$failures" -gt 0 ]; then
  echo "image check: $failures failure(s)" >&2
  exit 1
fi
echo "image check: all passed"
