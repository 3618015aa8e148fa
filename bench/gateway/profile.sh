#!/usr/bin/env bash
# Profiles the gateway on one case of the gateway benchmark, over the same stub subgraphs.
#
#   bench/gateway/profile.sh callgrind d_heavy.json   # instructions per request (valgrind)
#   bench/gateway/profile.sh perf d_heavy.json        # where the CPU goes under load (perf)
#
# callgrind counts instructions, which do not depend on what else the machine is doing: it
# sends REQUESTS (default 200) requests one after another after WARMUP (default 20), and
# prints the instructions the gateway executed per request (warm-up and start-up excluded,
# by zeroing the counters after the warm-up). perf records the gateway during a wrk run at
# 50 connections and prints the top of its report. DEDUP: off (default), default or on, as
# in run.sh. (Heap profilers that intercept malloc, such as heaptrack, see nothing here:
# the binary allocates through mimalloc. Peak RSS is in run.sh's tables.)
#
# Needs valgrind or perf (apt-get install valgrind linux-perf) and wrk.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tool="${1:?callgrind or perf}"
body="${2:-d_heavy.json}"
requests="${REQUESTS:-200}"
warmup="${WARMUP:-20}"
port=4100
cd "$root"

. "$here/setup.sh"

send() { # $1: how many requests, one after another
  for _ in $(seq 1 "$1"); do
    curl -s -o /dev/null -H 'content-type: application/json' --data-binary "@$here/$body" \
      "http://127.0.0.1:$port/graphql"
  done
}

case "${DEDUP:-off}" in
  off) dedup="false false" ;;
  default) dedup="true false" ;;
  on) dedup="true true" ;;
esac
read -r subgraph_fetches client_queries <<<"$dedup"
export RUST_LOG=warn KEXIE_PRINCIPAL_SECRET=bench-principal-secret-0123456789abcdef \
  SUPERGRAPH_PATH="$here/supergraph.graphql" GATEWAY_LISTEN="127.0.0.1:$port" \
  GATEWAY_METRICS_LISTEN=127.0.0.1:4109 GATEWAY_DEDUP_SUBGRAPH_FETCHES=$subgraph_fetches \
  GATEWAY_DEDUP_CLIENT_QUERIES=$client_queries

case "$tool" in
  callgrind)
    valgrind --tool=callgrind --callgrind-out-file="$scratch/callgrind.out" \
      "$gateway_binary" 2>"$scratch/valgrind.log" &
    pids+=($!)
    wait_for "http://127.0.0.1:$port/health"
    send "$warmup"
    callgrind_control --zero >/dev/null
    send "$requests"
    callgrind_control --dump >/dev/null
    sleep 1
    dump="$(ls -t "$scratch"/callgrind.out* | head -1)"
    total="$(callgrind_annotate "$dump" | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')"
    echo "$body: $((total / requests)) instructions per request (callgrind, $requests requests after $warmup)"
    callgrind_annotate --inclusive=no "$dump" 2>/dev/null | sed -n '/file:function/,$p' | head -40
    cp "$dump" "${PROFILE_OUT:-/tmp}/callgrind.$body.out"
    echo "full profile: ${PROFILE_OUT:-/tmp}/callgrind.$body.out (callgrind_annotate)"
    ;;
  perf)
    "$gateway_binary" &
    gateway=$!
    pids+=($gateway)
    wait_for "http://127.0.0.1:$port/health"
    BODY_FILE="$here/$body" wrk -t1 -c4 -d2s -s "$here/post.lua" "http://127.0.0.1:$port/graphql" >/dev/null
    perf record -F 999 -p "$gateway" -o "$scratch/perf.data" -- sleep 8 2>/dev/null &
    perf_pid=$!
    BODY_FILE="$here/$body" wrk -t2 -c50 -d8s -s "$here/post.lua" "http://127.0.0.1:$port/graphql"
    wait "$perf_pid" || true
    perf report -i "$scratch/perf.data" --no-children --percent-limit 1 --stdio 2>/dev/null |
      grep -E '^ +[0-9]' | head -40
    cp "$scratch/perf.data" "${PROFILE_OUT:-/tmp}/perf.$body.data"
    ;;
  *) echo "unknown tool $tool" >&2; exit 1 ;;
esac
