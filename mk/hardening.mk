# Hardening: fuzzing, the soak run and the landing page screenshot.
#
# fuzz-smoke (part of `make test`): each fuzz target of the API decoders for FUZZ_TIME from its
# seed corpus. The default is a count of executions (about 5 s each here), not a duration: with
# a duration, Go 1.26's fuzz coordinator can fail a target with a bare "context deadline
# exceeded" and no failing input when the time runs out (golang/go#75804, fixed in Go 1.27).
# Fuzz longer by hand, one target at a time:
#   make fuzz-smoke FUZZ_TIME=10m FUZZ_TARGETS=FuzzDecodeUsers
# soak (not in CI, ~13 minutes): two scrapers every second against a simulator with changing
# faults; SOAK_SECONDS=120 for a quick run.
# landing-check (part of `make test`, needs chromium; scripts/install-deps.sh installs it): the
# landing page of four accounts (the demo fleet, a failing one, one with markup in a user name)
# rendered in headless Chromium and checked, with a screenshot in bin/landing-page.png.
# `make screenshot` writes docs/landing-page.png, the one README shows.
.PHONY: fuzz-smoke soak screenshot landing-check

FUZZ_TIME    ?= 20000x
FUZZ_TARGETS ?= FuzzDecodeUsers FuzzDecodeDomains FuzzDecodeOrders FuzzDecodeProducts FuzzDecodeBalance \
                FuzzDecodeOrganizations FuzzDecodeRequests FuzzDecodeAPIKeys FuzzErrorBody FuzzParseDates

fuzz-smoke:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "fuzz $$t for $(FUZZ_TIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZ_TIME) ./internal/certcentral; \
	done

soak:
	./scripts/soak.sh

screenshot:
	./scripts/screenshot.sh docs/landing-page.png

landing-check:
	./scripts/screenshot.sh bin/landing-page.png

TEST_TARGETS += fuzz-smoke landing-check
