# certcentral_exporter: build, demo, tests, benchmarks.
GO          ?= go
BIN         := bin
# The version comes from the file VERSION: the release being prepared. A build of the commit
# tagged v$(RELEASE_VERSION) is that release; a build of any other commit is a snapshot of it,
# $(RELEASE_VERSION)-SNAPSHOT-<short commit>, which sorts before the release in semver, dpkg and
# rpm. `make release` (mk/release.mk) hands the same values to goreleaser.
RELEASE_VERSION := $(shell cat VERSION)
REVISION    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
VERSION     ?= $(if $(filter v$(RELEASE_VERSION),$(shell git tag --points-at HEAD 2>/dev/null)),$(RELEASE_VERSION),$(RELEASE_VERSION)-SNAPSHOT-$(REVISION))
BRANCH      ?= $(shell git rev-parse --abbrev-ref HEAD 2>/dev/null || echo unknown)
# The commit time, not the clock: the same commit builds the same binary.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
BUILD_DATE  ?= $(shell TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo unknown)
LDFLAGS     := -s -w \
	-X github.com/prometheus/common/version.Version=$(VERSION) \
	-X github.com/prometheus/common/version.Revision=$(REVISION) \
	-X github.com/prometheus/common/version.Branch=$(BRANCH) \
	-X github.com/prometheus/common/version.BuildUser=make \
	-X github.com/prometheus/common/version.BuildDate=$(BUILD_DATE)
# Pinned so that a fresh machine gets the same checks; `go run` fetches it through the module proxy.
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build demo test deps lint unit clean

# Topic makefiles (e2e, docker, bench, ...) add their targets and append to TEST_TARGETS.
.DEFAULT_GOAL := all
TEST_TARGETS := deps lint unit
-include mk/*.mk

all: build

build: $(BIN)/certcentral_exporter $(BIN)/certcentral-simulator

$(BIN)/certcentral_exporter $(BIN)/certcentral-simulator: FORCE
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./cmd/$(notdir $@)

FORCE:

# Runs the simulator with the demo account and the exporter against it, on loopback. Ctrl-C stops both.
demo: build
	./scripts/demo.sh

# Everything CI runs: static checks, unit and integration tests (race detector on), and the
# topic targets listed in TEST_TARGETS.
test: $(TEST_TARGETS)

# Debian packages the tests use (promtool, amtool, Prometheus, Alertmanager, yamllint).
deps:
	./scripts/install-deps.sh

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(STATICCHECK) ./...

unit:
	$(GO) test -race -count=1 ./...

clean:
	rm -rf $(BIN) .demo .build
