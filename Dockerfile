# The exporter's image: an empty base with the static exporter binary and a CA bundle, nothing
# else (no shell, no package manager). Time zone data is embedded in the binary (time/tzdata).
#
# The build pulls no image: `make docker` compiles the static binary (CGO_ENABLED=0, the
# Makefile's LDFLAGS with the version) and copies it with the CA bundle into dist/image, the
# build context. With Docker instead of buildah: `make docker CONTAINER_BUILDER=docker`, or
# `make docker-context && docker build -f Dockerfile -t localhost/certcentral_exporter dist/image`.
FROM scratch

ARG VERSION=dev
ARG REVISION=unknown

LABEL org.opencontainers.image.title="certcentral_exporter" \
      org.opencontainers.image.description="Prometheus exporter for DigiCert CertCentral" \
      org.opencontainers.image.source="https://github.com/certcentral-exporter/certcentral_exporter" \
      org.opencontainers.image.url="https://github.com/certcentral-exporter/certcentral_exporter" \
      org.opencontainers.image.documentation="https://github.com/certcentral-exporter/certcentral_exporter/blob/main/docs/deployment.md" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"

# Go reads /etc/ssl/certs/ca-certificates.crt first on Linux; DigiCert's API is HTTPS only.
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY certcentral_exporter /bin/certcentral_exporter

# nobody:nogroup by number, so Kubernetes' runAsNonRoot can check it without /etc/passwd.
USER 65534:65534
EXPOSE 10027
ENTRYPOINT ["/bin/certcentral_exporter"]
