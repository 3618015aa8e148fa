#!/usr/bin/env bash
# The gateway benchmark: stub subgraphs (gateway/examples/bench_subgraphs.rs), the gateway
# binary, and wrk, all on this machine. Prints Markdown tables of the results.
#
#   bench/gateway/run.sh                          # every scenario, deduplication off and on
#   SOAK_SECONDS=300 bench/gateway/run.sh soak    # gateway memory over a long run
#
# Each number is the median of ROUNDS (default 5) runs of DURATION seconds (default 3);
# direct and gateway runs alternate so that background load hits both alike. The script
# first waits (up to IDLE_WAIT seconds, default 600) for the machine's load to drop below 1.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
duration="${DURATION:-3}"
rounds="${ROUNDS:-5}"
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

wait_for_idle() {
  local waited=0
  while awk '{exit !($1 >= 1.0)}' /proc/loadavg && [ "$waited" -lt "${IDLE_WAIT:-600}" ]; do
    sleep 10; waited=$((waited + 10))
  done
  echo "load average when measuring: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
}

"$target/examples/bench_subgraphs" 4101 4102 4103 2>/dev/null &
pids+=($!)
wait_for http://127.0.0.1:4101/health

start_gateway() { # $1: deduplication on|off
  local dedup=false
  [ "$1" = on ] && dedup=true
  RUST_LOG=warn \
  KEXIE_PRINCIPAL_SECRET=bench-principal-secret-0123456789abcdef \
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

# Runs wrk once; prints "p50_us p99_us requests_per_second".
# $1: connections, $2: body file, $3: URL.
run_wrk() {
  local threads=1
  [ "$1" -gt 1 ] && threads=2
  BODY_FILE="$here/$2" wrk -t"$threads" -c"$1" -d"${duration}s" --latency -s "$here/post.lua" "$3" |
    awk '
      function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; if (v ~ /s$/) return v * 1000000; return v }
      $1 == "50%" { p50 = us($2) }
      $1 == "99%" { p99 = us($2) }
      /^Requests\/sec/ { rps = $2 }
      /Non-2xx|Socket errors/ { bad = 1 }
      END { if (bad) rps = "ERRORS"; printf "%s %s %s\n", p50, p99, rps }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Measures one case: medians of p50 and p99 at 1 connection and of requests/s at 50.
# $1: label, $2: body file, $3: URL. Appends a table row to $table.
declare -A samples
sample() { # $1: key, $2: body, $3: URL
  read -r p50 p99 _ < <(run_wrk 1 "$2" "$3")
  read -r _ _ rps < <(run_wrk 50 "$2" "$3")
  samples[$1.p50]+="$p50 "; samples[$1.p99]+="$p99 "; samples[$1.rps]+="$rps "
}
row() { # $1: key, $2: label
  local p50 p99 rps
  p50="$(tr ' ' '\n' <<<"${samples[$1.p50]}" | grep . | median)"
  p99="$(tr ' ' '\n' <<<"${samples[$1.p99]}" | grep . | median)"
  rps="$(tr ' ' '\n' <<<"${samples[$1.rps]}" | grep . | median)"
  echo "| $2 | ${p50} µs | ${p99} µs | ${rps} |"
}

warm_up() {
  for body in a_unit.json b_nested.json c_fanout.json; do
    BODY_FILE="$here/$body" wrk -t1 -c4 -d2s -s "$here/post.lua" "http://127.0.0.1:$gateway_port/graphql" >/dev/null
  done
}

size_of() { # $1: request body file
  curl -s -H 'content-type: application/json' --data-binary "@$here/$1" "http://127.0.0.1:$gateway_port/graphql" | wc -c
}

gateway_metrics() {
  curl -s "http://127.0.0.1:$gateway_port/metrics" |
    grep -E "^gateway_plan_cache_(hits_total|misses_total|hit_ratio)|^gateway_deduplicated" | sed 's/^/    /'
}

if [ "${1:-}" = soak ]; then
  seconds="${SOAK_SECONDS:-300}"
  wait_for_idle
  start_gateway off
  warm_up
  echo "| second | gateway RSS (kB) |"
  echo "|---|---|"
  BODY_FILE="$here/b_nested.json" wrk -t2 -c50 -d"${seconds}s" -s "$here/post.lua" \
    "http://127.0.0.1:$gateway_port/graphql" >/tmp/kexie-gateway-soak.txt &
  wrk_pid=$!
  for second in $(seq 0 30 "$seconds"); do
    echo "| $second | $(awk '/VmRSS/ {print $2}' "/proc/$gateway_pid/status") |"
    if [ "$second" -lt "$seconds" ]; then sleep 30; fi
  done
  wait "$wrk_pid"
  grep -E "Requests/sec|Latency|requests in" /tmp/kexie-gateway-soak.txt
  gateway_metrics
  stop_gateway
  exit 0
fi

wait_for_idle
for dedup in off on; do
  start_gateway "$dedup"
  warm_up
  gateway="http://127.0.0.1:$gateway_port/graphql"
  for _ in $(seq 1 "$rounds"); do
    sample direct a_unit.json http://127.0.0.1:4101/graphql
    sample a a_unit.json "$gateway"
    sample b b_nested.json "$gateway"
    sample c c_fanout.json "$gateway"
  done
  echo
  echo "Deduplication $dedup (subgraph fetches and client queries):"
  echo
  echo "| case | p50, 1 connection | p99, 1 connection | requests/s, 50 connections |"
  echo "|---|---|---|---|"
  row direct "(a) one subgraph, direct"
  row a "(a) one subgraph, through the gateway"
  row b "(b) three subgraphs, nested, $(size_of b_nested.json) bytes"
  row c "(c) _entities fan-out of 100"
  echo
  gateway_metrics
  unset samples
  declare -A samples
  stop_gateway
done
