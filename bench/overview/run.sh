#!/usr/bin/env bash
# The city-wide overview through the gateway, on generated data: cold (response cache empty,
# one request at a time) and warm (served from Redis), against `{ __typename }` on the same
# run. Prints a Markdown table.
#
#   bench/overview/run.sh            # scale 1, then cold at scale 10
#   SCALES="1" bench/overview/run.sh # scale 1 only
#
# Uses the release `kexie` binary, the database kexie_bench_overview (replaced), the Redis
# namespace kexie-bench-overview, ports 4100-4104, wrk and redis-cli.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
duration="${DURATION:-10}"
cold_runs="${COLD_RUNS:-20}"
scales="${SCALES:-1 10}"
export DATABASE_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/kexie_bench_overview}"
export REDIS_NAMESPACE=kexie-bench-overview
export GATEWAY_LISTEN=127.0.0.1:4100
export GATEWAY_METRICS_LISTEN=127.0.0.1:4109
export ORGANIZATIONS_LISTEN=127.0.0.1:4101
export TALENT_LISTEN=127.0.0.1:4102
export POPULARIZATION_LISTEN=127.0.0.1:4103
export ADVICE_LISTEN=127.0.0.1:4104
export RUST_LOG=warn
# Leadership of the city reads the overview: staff tokens signed with a secret of this run.
GATEWAY_JWT_HS256_SECRET="bench-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export GATEWAY_JWT_HS256_SECRET
url="http://$GATEWAY_LISTEN/graphql"
redis_host="${REDIS_HOST:-127.0.0.1}"

for tool in wrk redis-cli jq curl; do
  command -v "$tool" >/dev/null || { echo "$tool is needed (apt-get install wrk redis-tools jq curl)" >&2; exit 1; }
done
cargo build --release --bin kexie >&2
kexie="${CARGO_TARGET_DIR:-$root/target}/release/kexie"

work="$(mktemp -d)"
hub_pid=""
cleanup() { [ -n "$hub_pid" ] && kill "$hub_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# The dashboard's query, as the front end sends it.
jq -n --rawfile query schema/queries/city_overview.graphql \
  '{query: $query, variables: {period: {year: 2025}, year: 2025}}' >"$work/overview.json"
echo '{"query":"{ __typename }"}' >"$work/typename.json"
cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
local file = assert(io.open(os.getenv("BODY_FILE"), "r"))
wrk.body = file:read("*a")
file:close()
LUA

start_hub() {
  "$kexie" serve --no-demo-data >"$work/hub.log" 2>&1 &
  hub_pid=$!
  for _ in $(seq 1 600); do
    curl -fs "http://$GATEWAY_LISTEN/ready" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$work/hub.log" >&2; echo "the hub did not come up" >&2; exit 1
}

# A token of the city's leadership for the subject $1 (the unit directory is public: the
# city's ID needs none).
leadership_token() {
  local city
  city="$(curl -fsS -H 'Content-Type: application/json' --data '{"query":"{ city { id } }"}' "$url" | jq -r '.data.city.id')"
  "$kexie" token --subject "$1" --unit "$city" --role leadership --hours 2
}

stop_hub() { kill "$hub_pid" 2>/dev/null || true; wait "$hub_pid" 2>/dev/null || true; hub_pid=""; }

clear_cache() {
  redis-cli -h "$redis_host" --scan --pattern "$REDIS_NAMESPACE:response:*" |
    xargs -r redis-cli -h "$redis_host" del >/dev/null
}

overview_once() { # prints seconds
  curl -fsS -o "$work/answer.json" -w '%{time_total}\n' -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $TOKEN" \
    --data-binary @"$work/overview.json" "$url"
  if jq -e '.errors' "$work/answer.json" >/dev/null; then
    echo "the overview answered errors:" >&2; jq '.errors' "$work/answer.json" >&2; exit 1
  fi
}

# Median and maximum of the cold overview, in ms. Each run asks as another member of the
# leadership: the cache key holds who asks, so neither Redis nor the gateway's memory has
# an entry for it (emptying Redis alone would leave the gateway's own copies).
cold() {
  for run in $(seq 1 "$cold_runs"); do
    clear_cache
    TOKEN="$(leadership_token "bench-cold-$run-$RANDOM")" overview_once
  done |
    sort -n | awk '{ v[NR] = $1 * 1000 } END { printf "%.1f %.1f\n", v[int((NR + 1) / 2)], v[NR] }'
}

# Runs wrk; prints "p50_us p99_us requests_per_second". $1 connections, $2 body file.
run_wrk() {
  local threads=1
  [ "$1" -gt 1 ] && threads=2
  BODY_FILE="$2" wrk -t"$threads" -c"$1" -d"${duration}s" --latency -s "$work/post.lua" "$url" |
    awk '
      function us(v) { if (v ~ /us$/) return v + 0; if (v ~ /ms$/) return v * 1000; if (v ~ /s$/) return v * 1000000; return v }
      $1 == "50%" { p50 = us($2) }
      $1 == "99%" { p99 = us($2) }
      /^Requests\/sec/ { rps = $2 }
      END { printf "%d %d %d\n", p50, p99, rps }'
}

echo "| scale | measure | result |"
echo "|---|---|---|"
for scale in $scales; do
  "$kexie" seed --reset --scale "$scale" >&2
  start_hub
  TOKEN="$(leadership_token bench-leadership)"
  export TOKEN
  overview_once >/dev/null  # plans and connections ready
  read -r cold_p50 cold_max < <(cold)
  echo "| $scale | overview cold, 1 at a time, median / max of $cold_runs | $cold_p50 ms / $cold_max ms |"
  echo "  answer: $(wc -c <"$work/answer.json") bytes" >&2
  if [ "$scale" = "$(echo "$scales" | cut -d' ' -f1)" ]; then
    overview_once >/dev/null
    read -r w1_p50 w1_p99 _ < <(run_wrk 1 "$work/overview.json")
    read -r w8_p50 w8_p99 w8_rps < <(run_wrk 8 "$work/overview.json")
    read -r w50_p50 w50_p99 w50_rps < <(run_wrk 50 "$work/overview.json")
    read -r t8_p50 t8_p99 t8_rps < <(run_wrk 8 "$work/typename.json")
    read -r t50_p50 t50_p99 t50_rps < <(run_wrk 50 "$work/typename.json")
    echo "| $scale | overview warm, 1 connection, p50 / p99 | ${w1_p50} µs / ${w1_p99} µs |"
    echo "| $scale | overview warm, 8 connections, p50 / p99 | ${w8_p50} µs / ${w8_p99} µs ($w8_rps req/s) |"
    echo "| $scale | \`{ __typename }\`, 8 connections, p50 / p99 | ${t8_p50} µs / ${t8_p99} µs ($t8_rps req/s) |"
    echo "| $scale | overview warm, 50 connections | $w50_rps req/s (p99 ${w50_p99} µs) |"
    echo "| $scale | \`{ __typename }\`, 50 connections | $t50_rps req/s (p99 ${t50_p99} µs) |"
    echo "| $scale | warm overview / \`__typename\` throughput | $(awk -v a="$w50_rps" -v b="$t50_rps" 'BEGIN { printf "%.0f %%", 100 * a / b }') |"
    curl -fs "http://$GATEWAY_METRICS_LISTEN/metrics" | grep '^gateway_response_cache' >&2
  fi
  stop_hub
done
