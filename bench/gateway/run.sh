#!/usr/bin/env bash
# The gateway benchmark: stub subgraphs (gateway/examples/bench_subgraphs.rs), the gateway
# binary, and wrk, all on this machine. Prints Markdown tables of the results.
#
#   bench/gateway/run.sh                          # the four cases (a)-(d), deduplication off, default, on
#   SOAK_SECONDS=300 bench/gateway/run.sh soak    # gateway memory over a long run
#   HIVE_ROUTER=/path/to/hive_router bench/gateway/run.sh
#                                                 # also every case through Hive Router
#   MODES="on" CASES="b d" bench/gateway/run.sh   # some series and cases only
#
# Deduplication: "off" turns off both kinds (identical subgraph fetches in flight, identical
# client queries in flight), "default" leaves each gateway's defaults (subgraph fetches
# shared, client queries not, for both gateways), "on" turns on both.
#
# HIVE_ROUTER names a hive_router binary built apart (github.com/graphql-hive/router, its
# release profile); it is started on port 4200 over the same supergraph with the same
# deduplication settings, and its runs alternate with this gateway's.
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
metrics_port=4109
hive_port=4200
hive_router="${HIVE_ROUTER:-}"
cd "$root"

command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
. "$here/setup.sh"

wait_for_idle() {
  local waited=0
  while awk '{exit !($1 >= 1.0)}' /proc/loadavg && [ "$waited" -lt "${IDLE_WAIT:-600}" ]; do
    sleep 10; waited=$((waited + 10))
  done
  echo "load average when measuring: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
}

# The deduplication settings of a series: "subgraph_fetches client_queries".
dedup_settings() { # $1: off|default|on
  case "$1" in
    off) echo "false false" ;;
    default) echo "true false" ;;
    on) echo "true true" ;;
  esac
}

start_gateway() { # $1: deduplication off|default|on
  local subgraph_fetches client_queries
  read -r subgraph_fetches client_queries < <(dedup_settings "$1")
  RUST_LOG=warn \
  KEXIE_PRINCIPAL_SECRET=bench-principal-secret-0123456789abcdef \
  SUPERGRAPH_PATH="$here/supergraph.graphql" \
  GATEWAY_LISTEN="127.0.0.1:$gateway_port" \
  GATEWAY_METRICS_LISTEN="127.0.0.1:$metrics_port" \
  GATEWAY_DEDUP_SUBGRAPH_FETCHES=$subgraph_fetches \
  GATEWAY_DEDUP_CLIENT_QUERIES=$client_queries \
    "$gateway_binary" &
  gateway_pid=$!
  pids+=($gateway_pid)
  wait_for "http://127.0.0.1:$gateway_port/health"
}

start_hive_router() { # $1: deduplication off|default|on
  local subgraph_fetches client_queries config="$scratch/hive-router.yaml"
  read -r subgraph_fetches client_queries < <(dedup_settings "$1")
  cat >"$config" <<YAML
supergraph:
  source: file
  path: $here/supergraph.graphql
http:
  host: 127.0.0.1
  port: $hive_port
log:
  level: warn
traffic_shaping:
  all:
    dedupe_enabled: $subgraph_fetches
  router:
    dedupe:
      enabled: $client_queries
YAML
  ROUTER_CONFIG_FILE_PATH="$config" "$hive_router" >/dev/null &
  hive_pid=$!
  pids+=($hive_pid)
  wait_for "http://127.0.0.1:$hive_port/health"
}

stop() { # $1: pid
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# Runs wrk once; prints "p50_us p99_us requests_per_second requests".
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
      / requests in / { requests = $1 }
      /Non-2xx|Socket errors/ { bad = 1 }
      END { if (bad) rps = "ERRORS"; printf "%s %s %s %s\n", p50, p99, rps, requests }'
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The CPU time (user and system) a process has used, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
ticks_per_second="$(getconf CLK_TCK)"

# Measures one case: medians of p50 and p99 at 1 connection, of requests/s and p99 at 50,
# and of the CPU the serving process (pid $4: the gateway, or the subgraph stubs for direct
# calls) spent per request at 50.
# How many requests the stub subgraphs have answered in all.
subgraph_requests() {
  local total=0
  for port in 4101 4102 4103 4104; do total=$((total + $(curl -fs "http://127.0.0.1:$port/requests"))); done
  echo "$total"
}
declare -A samples metrics
sample() { # $1: key, $2: body, $3: URL, $4: pid
  local p50 p99 rps requests before p99_50 fetches_before
  read -r p50 p99 _ _ < <(run_wrk 1 "$2" "$3")
  before="$(cpu_ticks "$4")"
  fetches_before="$(subgraph_requests)"
  read -r _ p99_50 rps requests < <(run_wrk 50 "$2" "$3")
  samples[$1.cpu]+="$(( ($(cpu_ticks "$4") - before) * 1000000 / ticks_per_second / requests )) "
  samples[$1.fetches]+="$(awk -v n="$(( $(subgraph_requests) - fetches_before ))" -v r="$requests" 'BEGIN { printf "%.2f", n / r }') "
  samples[$1.p50]+="$p50 "; samples[$1.p99]+="$p99 "; samples[$1.rps]+="$rps "
  samples[$1.p99_50]+="$p99_50 "
}
median_of() { tr ' ' '\n' <<<"${samples[$1]}" | grep . | median; }
# The peak resident memory of process $1 so far (VmHWM), in MB.
peak_rss() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
row() { # $1: key, $2: label
  echo "| $2 | $(median_of "$1.p50") µs | $(median_of "$1.p99") µs | $(median_of "$1.rps") |" \
    "$(median_of "$1.p99_50") µs | $(median_of "$1.cpu") µs | $(median_of "$1.fetches") |" \
    "${samples[$1.rss]:-—} |"
}

warm_up() { # $1: port, $2: request body file
  BODY_FILE="$here/$2" wrk -t1 -c4 -d2s -s "$here/post.lua" "http://127.0.0.1:$1/graphql" >/dev/null
}

answer() { # $1: request body file, $2: port
  curl -s -H 'content-type: application/json' --data-binary "@$here/$1" "http://127.0.0.1:$2/graphql"
}

# Both gateways must give the same answer for their numbers to compare: the same JSON,
# keys in the same order; and neither may answer errors.
same_answer() { # $1: request body file
  if ! cmp -s <(answer "$1" "$gateway_port") <(answer "$1" "$hive_port"); then
    echo "the gateways answer $1 differently" >&2; exit 1
  fi
}
no_errors() { # $1: request body file, $2: port
  if answer "$1" "$2" | grep -q '"errors"'; then
    echo "the answer to $1 on port $2 has errors: $(answer "$1" "$2" | head -c 600)" >&2; exit 1
  fi
}

gateway_metrics() {
  curl -s "http://127.0.0.1:$metrics_port/metrics" |
    grep -E "^gateway_plan_cache_(hits_total|misses_total|hit_ratio)|^gateway_deduplicated" | sed 's/^/    /'
}

if [ "${1:-}" = soak ]; then
  seconds="${SOAK_SECONDS:-300}"
  wait_for_idle
  start_gateway off
  warm_up "$gateway_port" b_nested.json
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
  stop "$gateway_pid"
  exit 0
fi

wait_for_idle
declare -A bodies=([a]=a_unit.json [b]=b_nested.json [c]=c_fanout.json [d]=d_heavy.json)
cases="${CASES:-a b c d}"
for dedup in ${MODES:-off default on}; do
  # Each case on freshly started gateways, so that each peak RSS is that case's own.
  for key in $cases; do
    body="${bodies[$key]:?"no case $key (CASES: a b c d)"}"
    start_gateway "$dedup"
    warm_up "$gateway_port" "$body"
    no_errors "$body" "$gateway_port"
    if [ -n "$hive_router" ]; then
      start_hive_router "$dedup"
      warm_up "$hive_port" "$body"
      same_answer "$body"
    fi
    for _ in $(seq 1 "$rounds"); do
      if [ "$key" = a ]; then sample direct a_unit.json http://127.0.0.1:4101/graphql "$stubs_pid"; fi
      sample "$key" "$body" "http://127.0.0.1:$gateway_port/graphql" "$gateway_pid"
      if [ -n "$hive_router" ]; then
        sample "hive.$key" "$body" "http://127.0.0.1:$hive_port/graphql" "$hive_pid"
      fi
    done
    samples[$key.rss]="$(peak_rss "$gateway_pid") MB"
    samples[$key.bytes]="$(answer "$body" "$gateway_port" | wc -c)"
    metrics[$key]="$(gateway_metrics)"
    stop "$gateway_pid"
    if [ -n "$hive_router" ]; then
      samples[hive.$key.rss]="$(peak_rss "$hive_pid") MB"
      stop "$hive_pid"
    fi
  done
  echo
  echo "Deduplication $dedup (subgraph fetches $(dedup_settings "$dedup" | cut -d' ' -f1), client queries $(dedup_settings "$dedup" | cut -d' ' -f2)):"
  echo
  echo "| case | p50, 1 connection | p99, 1 connection | requests/s, 50 connections | p99, 50 connections | CPU per request, 50 connections | subgraph requests per request, 50 connections | peak RSS |"
  echo "|---|---|---|---|---|---|---|---|"
  declare -A labels=(
    [a]="(a) one subgraph, through the gateway"
    [b]="(b) three subgraphs, nested, ${samples[b.bytes]:-} bytes"
    [c]="(c) _entities fan-out of 100"
    [d]="(d) four subgraphs, seven levels, ${samples[d.bytes]:-} bytes"
  )
  for key in $cases; do
    if [ "$key" = a ]; then row direct "(a) one subgraph, direct"; fi
    row "$key" "${labels[$key]}"
    if [ -n "$hive_router" ]; then row "hive.$key" "($key) through Hive Router"; fi
  done
  echo
  for key in $cases; do echo "  ($key)"; echo "${metrics[$key]}"; done
  unset samples
  declare -A samples
done
