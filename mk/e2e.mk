# Alerts, dashboards and the end-to-end test.
#
# `make alerts-check` (in TEST_TARGETS, a few seconds): the rule file and its unit tests, the
# shipped Alertmanager example (config and routing), yamllint on the YAML we ship. The dashboard
# and contract checks are Go tests (dashboards/), run by `make unit`.
#
# `make e2e` (about 2.5 minutes, not in TEST_TARGETS): simulator -> exporter -> Prometheus ->
# Alertmanager -> webhook receiver as real processes on 127.0.0.1 (test/e2e/run.sh).
AM_EXAMPLE := examples/alertmanager/alertmanager.yml
YAMLLINT_CONFIG := {extends: default, rules: {line-length: disable, document-start: disable}}

.PHONY: alerts-check e2e mixin-check

alerts-check:
	promtool check rules alerts/certcentral.rules.yml
	promtool test rules alerts/certcentral.rules.test.yml
	amtool check-config $(AM_EXAMPLE)
	amtool config routes test --config.file=$(AM_EXAMPLE) --verify.receivers=certcentral-pager severity=critical 2>/dev/null
	amtool config routes test --config.file=$(AM_EXAMPLE) --verify.receivers=certcentral-team severity=warning 2>/dev/null
	amtool config routes test --config.file=$(AM_EXAMPLE) --verify.receivers=certcentral-digest severity=info 2>/dev/null
	yamllint --strict -d '$(YAMLLINT_CONFIG)' alerts examples/alertmanager examples/grafana test/e2e

TEST_TARGETS += alerts-check mixin-check

# The monitoring mixin (mixin/): with its default _config it renders exactly the shipped
# alerts/ and dashboards/, and a changed _config reaches every rule (scripts/check-mixin.sh).
mixin-check:
	./scripts/check-mixin.sh

e2e: build
	./test/e2e/run.sh
