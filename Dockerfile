# Multi-stage build of the `kexie` binary, with the `production` profile (Cargo.toml:
# link-time optimization across crates). Dependencies are compiled in their own layer
# (cargo-chef), so editing the hub's code does not rebuild them. Base images and tools are
# pinned to exact versions; bump them deliberately.
ARG RUST_IMAGE=rust:1.95.0-bookworm
ARG RUNTIME_IMAGE=debian:12.12-slim

FROM ${RUST_IMAGE} AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /app

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /app/recipe.json recipe.json
RUN cargo chef cook --profile production --recipe-path recipe.json --bin kexie
COPY . .
RUN cargo build --profile production --locked --bin kexie

# The runtime: Debian slim with CA certificates and curl (for the health check), running as
# an unprivileged user.
FROM ${RUNTIME_IMAGE} AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin kexie
WORKDIR /app
COPY --from=builder /app/target/production/kexie /usr/local/bin/kexie
COPY schema ./schema
ENV LOG_FORMAT=json
USER 10001
# 4000: the gateway (`serve` and `gateway`); 4001–4005: the subgraphs; 9090: the
# gateway's metrics listener (set GATEWAY_METRICS_LISTEN=0.0.0.0:9090 to reach it).
EXPOSE 4000 4001 4002 4003 4004 4005 9090
# Ready when the gateway answers /ready; a subgraph container sets HEALTH_URL to its own
# (docker-compose.yml overrides the check per service).
ENV HEALTH_URL=http://127.0.0.1:4000/ready
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD curl -fsS "$HEALTH_URL" || exit 1
ENTRYPOINT ["kexie"]
# The whole hub in one process; it needs DATABASE_URL and REDIS_URL pointing at servers
# the container can reach (inside a container, 127.0.0.1 is the container itself).
CMD ["serve"]
