# Releases: archives, .deb and .rpm packages and checksums in dist/ (.goreleaser.yaml).
#
# `make release` runs goreleaser in snapshot mode: it builds everything and publishes nothing.
# goreleaser is pinned and built through the Go module proxy (`go run`; the first run on a fresh
# machine compiles it, about 3 minutes). The version is the Makefile's VERSION, so `make build`,
# the images and the packages of one commit all report the same.
# `make release-check` (CI) checks what it built: scripts/check-release.sh.
GORELEASER ?= $(GO) run github.com/goreleaser/goreleaser/v2@v2.15.1

.PHONY: release release-check release-deps

release:
	VERSION='$(VERSION)' REVISION='$(REVISION)' BRANCH='$(BRANCH)' BUILD_DATE='$(BUILD_DATE)' \
		SOURCE_DATE_EPOCH='$(SOURCE_DATE_EPOCH)' $(GORELEASER) release --snapshot --clean

# Only fetches and compiles goreleaser into Go's cache (.ci/run does it at low priority while
# the tests run).
release-deps:
	$(GORELEASER) --version >/dev/null

release-check:
	$(GORELEASER) check
	./scripts/install-deps.sh lintian=lintian dpkg-deb=dpkg rpm=rpm unzip=unzip groff=groff-base systemd-analyze=systemd
	VERSION='$(VERSION)' REVISION='$(REVISION)' BUILD_DATE='$(BUILD_DATE)' ./scripts/check-release.sh
