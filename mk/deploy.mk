# Deployment files: Kubernetes manifests (deploy/kubernetes) and the systemd unit
# (examples/systemd). Their Go tests run in `make unit`: they render every kustomization, check
# the objects and start the binaries with the manifests' and the unit's flags.
#   make generate          rewrite the manifests generated from alerts/ and dashboards/, and
#                          THIRD_PARTY_NOTICES.md from the modules the exporter compiles in
#   make check-generated   fail when the committed generated files are stale (CI)
#   make check-deploy      yamllint the manifests (CI)
GENERATED_DEPLOY := deploy/kubernetes/monitoring/prometheusrule.yaml deploy/kubernetes/monitoring/grafana-dashboards.yaml THIRD_PARTY_NOTICES.md
# The generated files carry other files' text (long PromQL lines, JSON), so no line length.
DEPLOY_YAMLLINT  := {extends: default, rules: {line-length: disable, document-start: disable, truthy: {check-keys: false}, comments: {min-spaces-from-content: 1}, indentation: {indent-sequences: whatever}}}

.PHONY: generate check-generated check-deploy

generate:
	$(GO) run ./tools/generate
	$(GO) run ./tools/notices

# A clean checkout must regenerate to the same bytes; new files count too (git status).
check-generated: generate
	@git diff --exit-code -- $(GENERATED_DEPLOY) || { echo "generated files are stale: run make generate and commit them" >&2; exit 1; }
	@if [ -n "$$(git status --porcelain -- $(GENERATED_DEPLOY))" ]; then \
		git status --porcelain -- $(GENERATED_DEPLOY); \
		echo "generated files are not committed: run make generate and commit them" >&2; exit 1; fi

check-deploy:
	yamllint -s -d '$(DEPLOY_YAMLLINT)' deploy/

TEST_TARGETS += check-generated check-deploy
