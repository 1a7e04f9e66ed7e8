#!/usr/bin/env bash
# Builds the exporter's and the simulator's container images (Dockerfile, Dockerfile.simulator)
# from static Linux binaries, with buildah (no Docker engine needed) or Docker/Podman.
#
#   scripts/docker-build.sh context   only prepare the build context dist/image
#   scripts/docker-build.sh           prepare it and build both images
#
# Settings (environment; `make docker` passes the Makefile's):
#   VERSION, REVISION   baked into the binaries (LDFLAGS) and the OCI labels
#   LDFLAGS             the Makefile's linker flags (version variables)
#   IMAGE, SIMULATOR_IMAGE   image names (default localhost/certcentral_exporter, localhost/certcentral-simulator)
#   IMAGE_ARCH          GOARCH of the image (default: this machine's)
#   CA_BUNDLE           PEM bundle of CA roots to ship (default: the first of the usual system paths)
#   CONTAINER_BUILDER   buildah (default when installed), docker or podman
#   BUILDAH_STORAGE_DRIVER  buildah's storage driver (default vfs: works in containers, no fuse)
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${VERSION:-dev}
REVISION=${REVISION:-unknown}
LDFLAGS=${LDFLAGS:--s -w}
IMAGE=${IMAGE:-localhost/certcentral_exporter}
SIMULATOR_IMAGE=${SIMULATOR_IMAGE:-localhost/certcentral-simulator}
IMAGE_ARCH=${IMAGE_ARCH:-$(go env GOARCH)}
ctx=dist/image

pick_ca_bundle() {
  if [ -n "${CA_BUNDLE:-}" ]; then echo "$CA_BUNDLE"; return; fi
  # The same files Go's crypto/x509 tries on Linux, then macOS/BSD ones.
  for f in /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/ca-bundle.pem \
    /etc/pki/tls/cacert.pem /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem /etc/ssl/cert.pem; do
    if [ -s "$f" ]; then echo "$f"; return; fi
  done
  echo "no CA bundle found; set CA_BUNDLE=/path/to/ca-bundle.pem" >&2
  return 1
}

prepare_context() {
  rm -rf "$ctx"
  mkdir -p "$ctx"
  for cmd in certcentral_exporter certcentral-simulator; do
    CGO_ENABLED=0 GOOS=linux GOARCH="$IMAGE_ARCH" go build -trimpath -ldflags "$LDFLAGS" -o "$ctx/$cmd" "./cmd/$cmd"
  done
  local ca n
  ca=$(pick_ca_bundle)
  n=$(grep -c 'BEGIN CERTIFICATE' "$ca" || true)
  # A real bundle has well over a hundred roots; a handful means a wrong or private file.
  if [ "$n" -lt 50 ]; then
    echo "$ca holds $n certificates; want a full public CA bundle (set CA_BUNDLE)" >&2
    return 1
  fi
  install -m 0644 "$ca" "$ctx/ca-certificates.crt"
  echo "build context $ctx: linux/$IMAGE_ARCH binaries, version $VERSION, CA bundle $ca ($n roots)"
}

build_images() {
  local builder=${CONTAINER_BUILDER:-}
  if [ -z "$builder" ]; then
    if command -v buildah >/dev/null 2>&1; then builder=buildah; else builder=docker; fi
  fi
  # The commit time as image time: the same commit gives the same image config and layers.
  local epoch
  epoch=$(git log -1 --format=%ct 2>/dev/null || true)
  local args=(--build-arg "VERSION=$VERSION" --build-arg "REVISION=$REVISION")
  local pairs=("Dockerfile=$IMAGE" "Dockerfile.simulator=$SIMULATOR_IMAGE")
  for pair in "${pairs[@]}"; do
    local file=${pair%%=*} name=${pair#*=}
    case $builder in
      buildah)
        local ts=()
        [ -n "$epoch" ] && ts=(--timestamp "$epoch")
        buildah --storage-driver "${BUILDAH_STORAGE_DRIVER:-vfs}" bud --isolation chroot --quiet \
          --arch "$IMAGE_ARCH" "${ts[@]}" "${args[@]}" -f "$file" -t "$name:$VERSION" -t "$name:latest" "$ctx" >/dev/null
        ;;
      docker | podman)
        "$builder" build --platform "linux/$IMAGE_ARCH" "${args[@]}" -f "$file" -t "$name:$VERSION" -t "$name:latest" "$ctx"
        ;;
      *)
        echo "unknown CONTAINER_BUILDER=$builder (buildah, docker or podman)" >&2
        return 1
        ;;
    esac
    echo "built $name:$VERSION ($file, $builder)"
  done
}

prepare_context
[ "${1:-}" = context ] || build_images
