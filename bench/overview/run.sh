#!/usr/bin/env bash
# The city-wide overview through the gateway, on generated data: cold (response cache empty,
# one request at a time) and warm (served from Redis), against `{ __typename }` on the same
# run; and, cold, the city's trends: 36 months of every subgraph's series for the city and
# each of its districts (schema/queries/city_series.graphql). Prints a Markdown table.
#
#   bench/overview/run.sh            # scale 1, then cold at scale 10
#   SCALES="1" bench/overview/run.sh # scale 1 only
#
# Also reports, per scale, how long seeding took and the database's size, and at the first
# scale the latency of a write: planning an activity and holding it, as a district's staff,
# with and without webhook events being recorded.
#
# Uses the release `kexie` binary, the database kexie_bench_overview (replaced), the Redis
# namespace kexie-bench-overview, ports 4100-4104, wrk, redis-cli and psql.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
duration="${DURATION:-10}"
cold_runs="${COLD_RUNS:-20}"
write_runs="${WRITE_RUNS:-100}"
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

for tool in wrk redis-cli jq curl psql; do
  command -v "$tool" >/dev/null || { echo "$tool is needed (apt-get install wrk redis-tools jq curl postgresql-client)" >&2; exit 1; }
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
# The same overview over the same number of units at every scale: the city and its first 8
# districts (scale 1 has 8, scales 10 and 50 have 80 and 90, of which the overview reads 50).
# Its growth from scale to scale is what the records cost, apart from the units asked.
jq '.query |= gsub("first: 50"; "first: 8")' "$work/overview.json" >"$work/overview8.json"
grep -q '}, first: 8)' "$work/overview8.json" || { echo "the overview no longer reads its districts with first: 50" >&2; exit 1; }
jq -n --rawfile query schema/queries/city_series.graphql \
  '{query: $query, variables: {series: {from: "2023-01-01", to: "2025-12-31", every: "MONTH"}}}' >"$work/series.json"
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

# A token of a district's staff for the subject $1: the first district of the city.
district_staff_token() {
  local district
  district="$(curl -fsS -H 'Content-Type: application/json' \
    --data '{"query":"{ city { children(first: 1) { edges { node { id } } } } }"}' "$url" |
    jq -r '.data.city.children.edges[0].node.id')"
  echo "$district" >"$work/district"
  "$kexie" token --subject "$1" --unit "$district" --role unit_staff --hours 2
}

# Median and 90th percentile, in ms, of planning an activity and holding it (two mutations
# through the gateway, one after the other), over $1 activities.
create_and_hold() {
  local token district
  token="$(district_staff_token bench-writer)"
  district="$(cat "$work/district")"
  for run in $(seq 1 "$1"); do
    jq -n --arg organizer "$district" --arg title "基准活动 $run" '{
      query: "mutation($input: CreateActivityInput!) { createActivity(input: $input) { id version } }",
      variables: {input: {organizerId: $organizer, title: $title, kind: "LECTURE",
                          startsOn: "2025-06-01", audiences: ["GENERAL_PUBLIC"]}}}' >"$work/create.json"
    local create_s hold_s created id version
    # The time of each request as curl measures it: the jq between them is not the hub's.
    create_s="$(curl -fsS -o "$work/created.json" -w '%{time_total}' -H 'Content-Type: application/json' \
      -H "Authorization: Bearer $token" --data-binary @"$work/create.json" "$url")"
    created="$(cat "$work/created.json")"
    id="$(jq -r '.data.createActivity.id' <<<"$created")"
    version="$(jq -r '.data.createActivity.version' <<<"$created")"
    [ "$id" != null ] || { echo "createActivity failed: $created" >&2; exit 1; }
    jq -n --arg id "$id" --argjson version "$version" '{
      query: "mutation($id: ID!, $version: Int!) { transitionActivity(id: $id, expectedVersion: $version, to: HELD, participants: 30) { id } }",
      variables: {id: $id, version: $version}}' >"$work/hold.json"
    hold_s="$(curl -fsS -o "$work/held.json" -w '%{time_total}' -H 'Content-Type: application/json' \
      -H "Authorization: Bearer $token" --data-binary @"$work/hold.json" "$url")"
    jq -e '.errors' "$work/held.json" >/dev/null && { echo "holding failed: $(cat "$work/held.json")" >&2; exit 1; }
    awk -v a="$create_s" -v b="$hold_s" 'BEGIN { printf "%d\n", (a + b) * 1000000 }'
  done |
    sort -n | awk '{ v[NR] = $1 / 1000 } END { printf "%.1f %.1f\n", v[int((NR + 1) / 2)], v[int(NR * 0.9)] }'
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

overview_once() { # prints seconds; $1 the body file (the overview's by default)
  curl -fsS -o "$work/answer.json" -w '%{time_total}\n' -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $TOKEN" \
    --data-binary @"${1:-$work/overview.json}" "$url"
  if jq -e '.errors' "$work/answer.json" >/dev/null; then
    echo "the query answered errors:" >&2; jq '.errors' "$work/answer.json" >&2; exit 1
  fi
}

# Median and maximum of the cold overview (or of the body file $1), in ms. Each run asks as
# another member of the leadership: the cache key holds who asks, so neither Redis nor the
# gateway's memory has an entry for it (emptying Redis alone would leave the gateway's own
# copies).
cold() {
  for run in $(seq 1 "$cold_runs"); do
    clear_cache
    TOKEN="$(leadership_token "bench-cold-$run-$RANDOM")" overview_once "${1:-$work/overview.json}"
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

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'; }
first_cold="" first_cold8="" first_scale=""

echo "| scale | measure | result |"
echo "|---|---|---|"
for scale in $scales; do
  seed_started="$(date +%s%N)"
  "$kexie" seed --reset --scale "$scale" >&2
  seed_ms=$((($(date +%s%N) - seed_started) / 1000000))
  db_size="$(psql "$DATABASE_URL" -Atc "select pg_size_pretty(pg_database_size(current_database()))")"
  echo "| $scale | seeding (\`kexie seed --reset\`), database size | $((seed_ms / 1000)).$(((seed_ms % 1000) / 100)) s, $db_size |"
  start_hub
  TOKEN="$(leadership_token bench-leadership)"
  export TOKEN
  # Plans and connections ready, and every subgraph's copy of the freshly seeded unit tree:
  # until then the overview is refused for units a subgraph does not know yet.
  for attempt in $(seq 1 120); do
    (overview_once) >/dev/null 2>&1 && break
    [ "$attempt" = 120 ] && { overview_once >/dev/null; exit 1; }
    sleep 1
  done
  read -r cold_p50 cold_max < <(cold)
  echo "| $scale | overview cold, 1 at a time, median / max of $cold_runs | $cold_p50 ms / $cold_max ms |"
  echo "  answer: $(wc -c <"$work/answer.json") bytes" >&2
  read -r series_p50 series_max < <(cold "$work/series.json")
  echo "| $scale | 36-month series of the city and its districts cold, median / max of $cold_runs | $series_p50 ms / $series_max ms |"
  echo "  series answer: $(wc -c <"$work/answer.json") bytes" >&2
  echo "| $scale | series cold / overview cold (medians) | $(ratio "$series_p50" "$cold_p50") |"
  read -r cold8_p50 cold8_max < <(cold "$work/overview8.json")
  echo "| $scale | overview of the city and 8 districts cold, median / max of $cold_runs | $cold8_p50 ms / $cold8_max ms |"
  if [ -z "$first_cold" ]; then
    first_cold="$cold_p50" first_cold8="$cold8_p50" first_scale="$scale"
  else
    echo "| $scale | overview cold / overview cold at scale $first_scale (medians) | $(ratio "$cold_p50" "$first_cold") |"
    echo "| $scale | the same 9 units cold / at scale $first_scale (medians) | $(ratio "$cold8_p50" "$first_cold8") |"
  fi
  if [ "$scale" = "$(echo "$scales" | cut -d' ' -f1)" ]; then
    overview_once >/dev/null
    read -r w1_p50 w1_p99 _ < <(run_wrk 1 "$work/overview.json")
    read -r w8_p50 w8_p99 w8_rps < <(run_wrk 8 "$work/overview.json")
    read -r w50_p50 w50_p99 w50_rps < <(run_wrk 50 "$work/overview.json")
    read -r t8_p50 t8_p99 t8_rps < <(run_wrk 8 "$work/typename.json")
    read -r t50_p50 t50_p99 t50_rps < <(run_wrk 50 "$work/typename.json")
    echo "| $scale | overview warm, 1 connection, p50 / p99 | ${w1_p50} µs / ${w1_p99} µs |"
    echo "| $scale | overview cold (median) / warm (p50, 1 connection) | $(ratio "$cold_p50" "$(awk -v us="$w1_p50" 'BEGIN { print us / 1000 }')") |"
    echo "| $scale | overview warm, 8 connections, p50 / p99 | ${w8_p50} µs / ${w8_p99} µs ($w8_rps req/s) |"
    echo "| $scale | \`{ __typename }\`, 8 connections, p50 / p99 | ${t8_p50} µs / ${t8_p99} µs ($t8_rps req/s) |"
    echo "| $scale | overview warm, 50 connections | $w50_rps req/s (p99 ${w50_p99} µs) |"
    echo "| $scale | \`{ __typename }\`, 50 connections | $t50_rps req/s (p99 ${t50_p99} µs) |"
    echo "| $scale | warm overview / \`__typename\` throughput | $(awk -v a="$w50_rps" -v b="$t50_rps" 'BEGIN { printf "%.0f %%", 100 * a / b }') |"
    read -r write_p50 write_p90 < <(create_and_hold "$write_runs")
    echo "| $scale | plan and hold an activity (two mutations), median / p90 of $write_runs | $write_p50 ms / $write_p90 ms |"
    curl -fs "http://$GATEWAY_METRICS_LISTEN/metrics" | grep '^gateway_response_cache' >&2
    # The same writes with the webhook outbox switched off for the database (what the
    # seeder does for its own transaction): what recording events costs a write.
    stop_hub
    psql "$DATABASE_URL" -qc "alter database $(psql "$DATABASE_URL" -Atc 'select current_database()') set kexie.outbox = 'off'"
    start_hub
    read -r bare_p50 bare_p90 < <(create_and_hold "$write_runs")
    psql "$DATABASE_URL" -qc "alter database $(psql "$DATABASE_URL" -Atc 'select current_database()') reset kexie.outbox"
    echo "| $scale | the same without webhook events (outbox off), median / p90 of $write_runs | $bare_p50 ms / $bare_p90 ms |"
    echo "| $scale | plan and hold with / without webhook events (medians) | $(ratio "$write_p50" "$bare_p50") |"
  fi
  stop_hub
done
