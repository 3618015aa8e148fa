# Multi-stage build of the `kexie` binary. Dependencies are compiled in their own layer
# (cargo-chef), so editing the hub's code does not rebuild them.
FROM rust:1-bookworm AS chef
RUN cargo install cargo-chef --locked
WORKDIR /app

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /app/recipe.json recipe.json
RUN cargo chef cook --release --recipe-path recipe.json --bin kexie
COPY . .
RUN cargo build --release --locked --bin kexie

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=builder /app/target/release/kexie /usr/local/bin/kexie
COPY schema ./schema
ENV LOG_FORMAT=json
ENTRYPOINT ["kexie"]
CMD ["serve"]
