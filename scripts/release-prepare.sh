#!/usr/bin/env bash
# goreleaser's before hook (.goreleaser.yaml): writes into .build/ the files the packages ship
# that are not in the repository as they are:
#   certcentral_exporter.1.gz   the man page, from the exporter's --help-man, with the release's
#                               version and date in its title
#   changelog.gz                CHANGELOG.md, where Debian expects the upstream changelog
#   changelog.Debian.gz         the .deb's own changelog: one entry for this build, whose version
#                               must equal the package's (scripts/check-release.sh checks it)
# gzip -n keeps file names and times out of the archives, so that the same commit gives the
# same bytes.
#
#   scripts/release-prepare.sh VERSION BUILD_DATE
set -euo pipefail
cd "$(dirname "$0")/.."

version=${1:?usage: $0 VERSION BUILD_DATE}
date=${2:?usage: $0 VERSION BUILD_DATE}
out=.build
rm -rf "$out"
mkdir -p "$out"

CGO_ENABLED=0 go build -trimpath -o "$out/certcentral_exporter" -ldflags "\
  -X github.com/prometheus/common/version.Version=$version \
  -X github.com/prometheus/common/version.BuildDate=$date" ./cmd/certcentral_exporter
"$out/certcentral_exporter" --help-man | gzip -9n > "$out/certcentral_exporter.1.gz"
rm "$out/certcentral_exporter"

gzip -9n < CHANGELOG.md > "$out/changelog.gz"

# The .deb version as nfpm writes it: a semver pre-release goes after "~" (so that
# 0.1.0~SNAPSHOT-abc1234-1 sorts before 0.1.0-1), then the packaging revision (release: "1").
core=${version%%-*}
pre=${version#"$core"}
deb_version="$core${pre:+~${pre#-}}-1"
maintainer=$(sed -n 's/^ *maintainer: *//p' .goreleaser.yaml)
{
  echo "certcentral-exporter ($deb_version) unstable; urgency=medium"
  echo
  echo "  * certcentral_exporter $version, built by goreleaser."
  echo "    The changes are in /usr/share/doc/certcentral-exporter/changelog.gz."
  echo
  echo " -- $maintainer  $(date -u -R -d "$date")"
} | gzip -9n > "$out/changelog.Debian.gz"
