# Container image of autopilot-registry.
#
#   docker build -t autopilot-registry .
#   docker run -p 8080:8080 \
#       -e DATABASE_URL=postgres://user:password@db-host:5432/autopilot \
#       -e AUTOPILOT_AUTH=jwt -e AUTOPILOT_JWT_SECRET="$(openssl rand -hex 32)" \
#       autopilot-registry
#
# Inside the container the service listens on 0.0.0.0:8080 (AUTOPILOT_BIND), and
# on a non-loopback address it refuses to start until authentication is chosen:
#   AUTOPILOT_AUTH=jwt + AUTOPILOT_JWT_SECRET (HS256, at least 32 random bytes) or
#       AUTOPILOT_JWKS (RS256/ES256)
#   AUTOPILOT_AUTH=unverified + AUTOPILOT_ALLOW_UNVERIFIED_REMOTE=true
#       claims checked, signature not: only where every client is trusted
#   AUTOPILOT_AUTH=none + AUTOPILOT_ALLOW_ANONYMOUS_REMOTE=true
#       anonymous, every request has every permission: only for a throwaway
#       instance that nobody else can reach.
# Mint a test token with the image itself:
#   docker run --rm -e AUTOPILOT_JWT_SECRET=... autopilot-registry token \
#       --tenant 6b1e1f0a-0000-4000-8000-000000000001 \
#       --roles DeviceManagementServiceConfig.ReadWrite.All
#
# Build arguments:
#   RUST_IMAGE     the builder stage's base (default: the official Rust image)
#   RUNTIME_IMAGE  the runtime stage's base (default: Debian bookworm slim); it must
#                  be Debian bookworm (or newer) for the binary's glibc, and have apt
#   PREBUILT       a path inside the build context to an already built release
#                  binary (`cargo build --release`, built on Debian bookworm or
#                  older glibc). When set, nothing is compiled: the builder stage
#                  only copies that file, so RUST_IMAGE may then be any image with
#                  a shell (e.g. the same image as RUNTIME_IMAGE). This is for
#                  machines that cannot pull the Rust image (scripts/compose-smoke).
#
# The choice is made inside one RUN rather than by picking a stage by name so that
# the classic builder (DOCKER_BUILDKIT=0, docker-compose v1), which builds every
# stage, never needs RUST_IMAGE to be a Rust image when PREBUILT is given.

ARG RUST_IMAGE=rust:1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${RUST_IMAGE} AS builder
# Lets scripts/compose-smoke prune the untagged builder images the classic builder leaves.
LABEL autopilot-registry.stage=builder
ARG PREBUILT=
WORKDIR /src
COPY . .
RUN set -eu; \
    if [ -n "$PREBUILT" ]; then \
        echo "using the prebuilt binary $PREBUILT"; \
        install -D -m 0755 "$PREBUILT" /out/autopilot-registry; \
    else \
        cargo build --release --locked; \
        install -D -m 0755 target/release/autopilot-registry /out/autopilot-registry; \
    fi; \
    /out/autopilot-registry --version

FROM ${RUNTIME_IMAGE}
# ca-certificates: JWKS over https (AUTOPILOT_JWKS=https://...) verifies against
# the system's roots. No curl: the HEALTHCHECK below speaks HTTP with bash alone.
RUN set -eu; \
    apt-get update -q; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ca-certificates; \
    rm -rf /var/lib/apt/lists/*; \
    groupadd --system --gid 10001 autopilot; \
    useradd --system --uid 10001 --gid autopilot --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin autopilot
COPY --from=builder /out/autopilot-registry /usr/local/bin/autopilot-registry

USER 10001:10001
ENV AUTOPILOT_BIND=0.0.0.0:8080
EXPOSE 8080

# Ready = the database answers and every migration is applied (GET /readyz: 200).
# bash's /dev/tcp sends the request, so the slim image needs no HTTP client; the
# port is taken from AUTOPILOT_BIND, so overriding it keeps the check working.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${AUTOPILOT_BIND##*:} && printf 'GET /readyz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

ENTRYPOINT ["autopilot-registry"]
CMD ["serve"]
