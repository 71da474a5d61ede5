# Container images of autopilot-registry: two targets.
#
# The default one (the last stage) takes a PostgreSQL of your own:
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
# `standalone` has PostgreSQL inside: the private server `serve` runs when no DATABASE_URL is
# given, with its data in the volume /data, and `--auth jwt` on (tokens from the service's own
# token endpoint, for apps registered with `app add`):
#   docker build --target standalone -t autopilot-registry:standalone .
#   docker run -d --name autopilot -p 8080:8080 -v autopilot-data:/data autopilot-registry:standalone
#   docker exec autopilot autopilot-registry app add --tenant 6b1e1f0a-0000-4000-8000-000000000001 \
#       --roles DeviceManagementServiceConfig.ReadWrite.All
# (`app add` finds the running server through /data and uses it.)
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
# The choice is made inside each RUN rather than by picking a stage by name so that
# the classic builder (DOCKER_BUILDKIT=0, docker-compose v1), which builds every
# stage, never needs RUST_IMAGE to be a Rust image when PREBUILT is given.
#
# Compiling, the dependencies are built in a layer of their own (cargo-chef: a recipe of
# the manifests and Cargo.lock, built with empty sources), so a change to the sources
# rebuilds only the crate itself; a change to Cargo.toml or Cargo.lock rebuilds them all.

ARG RUST_IMAGE=rust:1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${RUST_IMAGE} AS chef
# Lets the smoke tests (scripts/lib/image.sh) prune the untagged images of the stages the
# classic builder builds besides the target (the builder stages below inherit it).
LABEL autopilot-registry.stage=builder
ARG PREBUILT=
WORKDIR /src
RUN if [ -z "$PREBUILT" ]; then cargo install cargo-chef --version 0.1.78 --locked; fi

# The recipe changes only with the manifests, so the cook below stays cached across source edits.
FROM chef AS planner
ARG PREBUILT=
COPY . .
RUN if [ -z "$PREBUILT" ]; then cargo chef prepare --recipe-path recipe.json; else echo '{}' >recipe.json; fi

FROM chef AS builder
ARG PREBUILT=
COPY --from=planner /src/recipe.json recipe.json
RUN if [ -z "$PREBUILT" ]; then cargo chef cook --release --locked --recipe-path recipe.json; fi
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

# What both targets share. The binary is copied last in each, so a new build of it reuses
# every layer before.
FROM ${RUNTIME_IMAGE} AS base
# ca-certificates: JWKS over https (AUTOPILOT_JWKS=https://...) verifies against
# the system's roots. No curl: the HEALTHCHECK below speaks HTTP with bash alone.
# apt-get clean: the official image's apt drops what it downloaded, a debootstrapped base
# (scripts/compose-smoke's stand-in) keeps it.
RUN set -eu; \
    apt-get update -q; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ca-certificates; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/*; \
    groupadd --system --gid 10001 autopilot; \
    useradd --system --uid 10001 --gid autopilot --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin autopilot
ENV AUTOPILOT_BIND=0.0.0.0:8080
EXPOSE 8080

# Ready = the database answers and every migration is applied (GET /readyz: 200).
# bash's /dev/tcp sends the request, so the slim image needs no HTTP client; the
# port is taken from AUTOPILOT_BIND, so overriding it keeps the check working.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${AUTOPILOT_BIND##*:} && printf 'GET /readyz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

# All in one: PostgreSQL's server binaries (found in /usr/lib/postgresql/15/bin) for the
# private server, its data in the volume /data.
FROM base AS standalone
LABEL autopilot-registry.stage=standalone
# No cluster from the package: the service makes its own in /data on first start.
# tini as PID 1 forwards SIGTERM to the service (which stops PostgreSQL with it) and reaps
# whatever PostgreSQL leaves behind.
RUN set -eu; \
    mkdir -p /etc/postgresql-common/createcluster.d; \
    echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/autopilot.conf; \
    apt-get update -q; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql-15 tini; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/*; \
    install -d -o 10001 -g 10001 -m 0700 /data
# A fresh named volume takes /data's owner and mode from the image.
VOLUME /data
ENV AUTOPILOT_DATA_DIR=/data AUTOPILOT_AUTH=jwt
ENTRYPOINT ["tini", "--", "autopilot-registry"]
CMD ["serve"]
COPY --from=builder /out/autopilot-registry /usr/local/bin/autopilot-registry
USER 10001:10001

# The default target: DATABASE_URL names the database.
FROM base
ENTRYPOINT ["autopilot-registry"]
CMD ["serve"]
COPY --from=builder /out/autopilot-registry /usr/local/bin/autopilot-registry
USER 10001:10001
