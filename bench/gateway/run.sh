#!/usr/bin/env bash
# The gateway benchmark: stub subgraphs (gateway/examples/bench_subgraphs.rs), the gateway
# binary, and wrk, all on this machine. Prints a Markdown table of the results.
#
#   bench/gateway/run.sh            # every scenario, deduplication on and off
#   SOAK_SECONDS=300 bench/gateway/run.sh soak   # memory over a long run
#
# DURATION (seconds per measurement, default 10) shortens or lengthens every run.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
duration="${DURATION:-10}"
gateway_port=4100
cd "$root"

command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
# Built apart so that the gateway binary gets exactly its own dependencies' features (an
# example build would add those of the dev-dependencies).
cargo build --release -p kexie-gateway --bin kexie-gateway >&2
cargo build --release -p kexie-gateway --example bench_subgraphs >&2
target="${CARGO_TARGET_DIR:-$root/target}/release"

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_for() {
  for _ in $(seq 1 200); do
    curl -fs "$1" >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "$1 did not come up" >&2; exit 1
}

"$target/examples/bench_subgraphs" 4101 4102 4103 2>/dev/null &
pids+=($!)
wait_for http://127.0.0.1:4101/health

start_gateway() { # $1: deduplication on|off
  local dedup=false
  [ "$1" = on ] && dedup=true
  RUST_LOG=warn \
  SUPERGRAPH_PATH="$here/supergraph.graphql" \
  GATEWAY_LISTEN="127.0.0.1:$gateway_port" \
  GATEWAY_DEDUP_SUBGRAPH_FETCHES=$dedup \
  GATEWAY_DEDUP_CLIENT_QUERIES=$dedup \
    "$target/kexie-gateway" &
  gateway_pid=$!
  pids+=($gateway_pid)
  wait_for "http://127.0.0.1:$gateway_port/health"
}

stop_gateway() {
  kill "$gateway_pid" 2>/dev/null || true
  wait "$gateway_pid" 2>/dev/null || true
}

# wrk at 1 connection (p50, p99) and at 50 connections (requests/s).
# $1: request body file, $2: URL, $3: label.
measure() {
  local one fifty
  one="$(BODY_FILE="$here/$1" wrk -t1 -c1 -d"${duration}s" --latency -s "$here/post.lua" "$2")"
  fifty="$(BODY_FILE="$here/$1" wrk -t2 -c50 -d"${duration}s" --latency -s "$here/post.lua" "$2")"
  local p50 p99 rps errors
  p50="$(awk '$1 == "50%" {print $2}' <<<"$one")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$one")"
  rps="$(awk '/^Requests\/sec/ {print $2}' <<<"$fifty")"
  errors="$(grep -E 'Non-2xx|Socket errors' <<<"$one$fifty" | tr '\n' ' ' || true)"
  echo "| $3 | $p50 | $p99 | $rps | ${errors:-none} |"
}

warm_up() {
  for body in a_unit.json b_nested.json c_fanout.json; do
    BODY_FILE="$here/$body" wrk -t1 -c4 -d2s -s "$here/post.lua" "http://127.0.0.1:$gateway_port/graphql" >/dev/null
  done
}

size_of() { # $1: request body file, $2: URL
  curl -s -H 'content-type: application/json' --data-binary "@$here/$1" "$2" | wc -c
}

if [ "${1:-}" = soak ]; then
  seconds="${SOAK_SECONDS:-300}"
  start_gateway off
  warm_up
  echo "| second | gateway RSS (kB) |"
  echo "|---|---|"
  BODY_FILE="$here/b_nested.json" wrk -t2 -c50 -d"${seconds}s" -s "$here/post.lua" "http://127.0.0.1:$gateway_port/graphql" >/tmp/kexie-gateway-soak.txt &
  wrk_pid=$!
  for second in $(seq 0 30 "$seconds"); do
    echo "| $second | $(awk '/VmRSS/ {print $2}' "/proc/$gateway_pid/status") |"
    [ "$second" -lt "$seconds" ] && sleep 30
  done
  wait "$wrk_pid"
  grep -E "Requests/sec|Latency" /tmp/kexie-gateway-soak.txt
  stop_gateway
  exit 0
fi

echo "| case | p50 at 1 connection | p99 at 1 connection | requests/s at 50 connections | errors |"
echo "|---|---|---|---|---|"
measure a_unit.json http://127.0.0.1:4101/graphql "(a) one subgraph, direct"
for dedup in off on; do
  start_gateway "$dedup"
  warm_up
  url="http://127.0.0.1:$gateway_port/graphql"
  measure a_unit.json "$url" "(a) one subgraph, through the gateway, dedup $dedup"
  measure b_nested.json "$url" "(b) three subgraphs nested, $(size_of b_nested.json "$url") bytes, dedup $dedup"
  measure c_fanout.json "$url" "(c) _entities fan-out of 100, dedup $dedup"
  echo
  curl -s "http://127.0.0.1:$gateway_port/metrics" | grep -E "^gateway_plan_cache_(hits_total|misses_total|hit_ratio)|^gateway_deduplicated" | sed 's/^/    /'
  echo
  stop_gateway
done
