# Releases: archives, .deb and .rpm packages and checksums in dist/ (.goreleaser.yaml).
#
# `make release` runs goreleaser in snapshot mode: it builds everything and publishes nothing.
# goreleaser is pinned and built through the Go module proxy (`go run`). On a fresh machine the
# first run compiles goreleaser (about 3 minutes) and the exporter for six platforms (3 more);
# `make release-deps` does that ahead, then `make release` takes about 20 s. The version is the
# Makefile's VERSION, so `make build`, the images and the packages of one commit all report the
# same.
# `make release-check` (CI) checks what it built: scripts/check-release.sh.
GORELEASER ?= $(GO) run github.com/goreleaser/goreleaser/v2@v2.15.1

.PHONY: release release-check release-deps

release:
	VERSION='$(VERSION)' REVISION='$(REVISION)' BRANCH='$(BRANCH)' BUILD_DATE='$(BUILD_DATE)' \
		SOURCE_DATE_EPOCH='$(SOURCE_DATE_EPOCH)' $(GORELEASER) release --snapshot --clean

# The slow part of a first `make release`, without writing dist/: fetches and compiles
# goreleaser, and compiles the exporter for every platform of .goreleaser.yaml with its flags
# into Go's build cache (the version -X flags only change the link). .ci/run does it at low
# priority while the tests run.
RELEASE_PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
release-deps:
	$(GORELEASER) --version >/dev/null
	@set -e; for p in $(RELEASE_PLATFORMS); do \
	  echo "go build for $$p"; \
	  CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -trimpath -o /dev/null ./cmd/certcentral_exporter; \
	done

release-check:
	$(GORELEASER) check
	./scripts/install-deps.sh lintian=lintian dpkg-deb=dpkg rpm=rpm unzip=unzip groff=groff-base systemd-analyze=systemd
	VERSION='$(VERSION)' REVISION='$(REVISION)' BUILD_DATE='$(BUILD_DATE)' ./scripts/check-release.sh
