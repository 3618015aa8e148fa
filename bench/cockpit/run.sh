#!/usr/bin/env bash
# The cockpit's first screen in headless Chromium, as the demo city's leadership: GraphQL
# requests, compressed asset bytes, and the time to a complete screen cold and warm.
# Prints a Markdown table (bench/README.md keeps the last one).
#
#   bench/cockpit/run.sh           # LOADS=20 warm loads
#
# The measuring is tests/cockpit/budget.mjs. Uses the release `kexie` binary and `kexie serve` with its demo city (scale 1) in the
# database kexie_bench_cockpit (replaced), the Redis namespace kexie-bench-cockpit, ports
# 4200-4204, and tests/cockpit/setup.sh for Chromium and playwright-core.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
export DATABASE_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/kexie_bench_cockpit}"
export REDIS_NAMESPACE=kexie-bench-cockpit
export GATEWAY_LISTEN=127.0.0.1:4200
export GATEWAY_METRICS_LISTEN=off
export ORGANIZATIONS_LISTEN=127.0.0.1:4201
export TALENT_LISTEN=127.0.0.1:4202
export POPULARIZATION_LISTEN=127.0.0.1:4203
export ADVICE_LISTEN=127.0.0.1:4204
export RUST_LOG=warn
unset GATEWAY_JWT_HS256_SECRET GATEWAY_JWKS_URL

tests/cockpit/setup.sh
cargo build --release --bin kexie >&2
kexie="${CARGO_TARGET_DIR:-$root/target}/release/kexie"

admin="${DATABASE_URL%/*}/postgres"
PGOPTIONS="--client-min-messages=warning" psql -q "$admin" -c "drop database if exists kexie_bench_cockpit with (force)" -c "create database kexie_bench_cockpit" >/dev/null

log="$(mktemp)"
"$kexie" serve >"$log" 2>&1 &
hub_pid=$!
trap 'kill "$hub_pid" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 1200); do
  curl -fs "http://$GATEWAY_LISTEN/ready" >/dev/null 2>&1 && break
  kill -0 "$hub_pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
token="$(curl -fsS "http://$GATEWAY_LISTEN/cockpit/sign-ins" | jq -r '.demo[0].token')"
[ -n "$token" ] && [ "$token" != null ] || { echo "no demo sign-in" >&2; cat "$log" >&2; exit 1; }

echo "cockpit first screen, demo city scale 1, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores"
echo
# The measuring script lives beside the browser tests, whose npm packages it uses.
COCKPIT_URL="http://$GATEWAY_LISTEN" TOKEN="$token" node tests/cockpit/budget.mjs
