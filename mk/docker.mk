# Container images (Dockerfile, Dockerfile.simulator), built from static binaries with buildah:
# no Docker engine needed. `make docker CONTAINER_BUILDER=docker` builds with Docker instead.
# `make image-check` (in TEST_TARGETS) builds them and checks config, files, CA roots, time
# zone and a real scrape inside them (scripts/check-image.sh; needs root and buildah).
IMAGE             ?= localhost/certcentral_exporter
SIMULATOR_IMAGE   ?= localhost/certcentral-simulator
CONTAINER_BUILDER ?=
IMAGE_ENV = VERSION='$(VERSION)' REVISION='$(REVISION)' LDFLAGS='$(LDFLAGS)' IMAGE='$(IMAGE)' \
	SIMULATOR_IMAGE='$(SIMULATOR_IMAGE)' CONTAINER_BUILDER='$(CONTAINER_BUILDER)'

.PHONY: docker docker-context image-check

docker:
	@case "$(CONTAINER_BUILDER)" in ""|buildah) command -v buildah >/dev/null 2>&1 || ./scripts/install-deps.sh buildah=buildah;; esac
	$(IMAGE_ENV) ./scripts/docker-build.sh

# Only the build context (dist/image), for `docker build -f Dockerfile dist/image` elsewhere.
docker-context:
	$(IMAGE_ENV) ./scripts/docker-build.sh context

image-check: CONTAINER_BUILDER := buildah
image-check: docker
	$(IMAGE_ENV) ./scripts/check-image.sh

TEST_TARGETS += image-check
