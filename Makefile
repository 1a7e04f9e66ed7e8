# certcentral_exporter: build, demo, tests, benchmarks.
GO          ?= go
BIN         := bin
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION    ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS     := -s -w \
	-X github.com/prometheus/common/version.Version=$(VERSION) \
	-X github.com/prometheus/common/version.Revision=$(REVISION) \
	-X github.com/prometheus/common/version.Branch=main \
	-X github.com/prometheus/common/version.BuildUser=make
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
	rm -rf $(BIN) .demo
