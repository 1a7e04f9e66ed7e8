# Benchmarks (not part of `make test`): Go micro-benchmarks, then the end-to-end figures
# against the simulator (about 12 minutes with the default 10-minute long run; pass
# BENCH_ARGS="-long-run 0" to skip it, or "-accounts typical" for a quick look).
.PHONY: bench
BENCH_ARGS ?=
bench: build
	$(GO) test -run '^$$' -bench . -benchmem ./internal/certcentral ./collector
	$(GO) run ./test/bench $(BENCH_ARGS)
