#!/usr/bin/env bash
# Runs the federation gateway audit (graphql-hive/federation-gateway-audit at f59c05e: 46
# suites, 199 tests) against a gateway binary, each suite with the gateway started on that
# suite's supergraph. Needs Node 20 or later, npm, curl and python3, and the audit checked
# out here once (it is not part of this repository):
#
#   git clone https://github.com/graphql-hive/federation-gateway-audit gateway/conformance/audit
#   git -C gateway/conformance/audit checkout f59c05e
#   (cd gateway/conformance/audit && npm install --omit=dev)  # its dev tools are not needed
#   (cd gateway/conformance && npm ci)                         # tsx and graphql, for the audit
#
#   gateway/conformance/run.sh                                  # target/release/kexie-gateway
#   gateway/conformance/run.sh path/to/kexie-gateway [suite ...]
#
# Prints `suite passed/total` per suite (failing tests listed under it with the assertion)
# and `TOTAL passed/total tests, suites passed/total`; exits 0 only when everything passed.
# AUDIT_PORT (default 4200 if free, else the first free port from 4310), GATEWAY_PORT
# (default 4300), OUT_DIR (default gateway/conformance/out: each suite's supergraph, gateway
# log and test log) and SUITE_TIMEOUT (seconds for one suite's tests, default 180). The
# limits are raised for the run: two suites' largest queries cost more than the default
# --max-cost allows (gateway/README.md, Conformance).
set -u -o pipefail

ROOT="$(cd "$(dirname "$0")" && pwd)"
AUDIT_DIR=$ROOT/audit
OUT_DIR=${OUT_DIR:-$ROOT/out}
SUITE_TIMEOUT=${SUITE_TIMEOUT:-180}

GW=${1:-$ROOT/../../target/release/kexie-gateway}
if [[ ! -x "$GW" ]]; then
  echo "usage: $0 [gateway-binary] [suite ...] (no executable at $GW: cargo build --release -p kexie-gateway)" >&2
  exit 2
fi
GW=$(readlink -f "$GW")
shift || true
ONLY_SUITES=("$@")

for f in "$AUDIT_DIR/src/cli.ts" "$ROOT/node_modules/tsx"; do
  [[ -e "$f" ]] || { echo "missing $f: check out the audit and install as the top of $0 says" >&2; exit 2; }
done

port_free() { # true if nothing listens on TCP port $1 (v4 or v6)
  python3 - "$1" <<'EOF'
import socket, sys
p = int(sys.argv[1])
for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
    s = socket.socket(fam, socket.SOCK_STREAM)
    try:
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, p))
    except OSError:
        sys.exit(1)
    finally:
        s.close()
sys.exit(0)
EOF
}

GATEWAY_PORT=${GATEWAY_PORT:-4300}
if [[ -z "${AUDIT_PORT:-}" ]]; then
  if port_free 4200; then AUDIT_PORT=4200; else
    AUDIT_PORT=""
    for p in $(seq 4310 4399); do
      [[ $p == "$GATEWAY_PORT" ]] && continue
      if port_free "$p"; then AUDIT_PORT=$p; break; fi
    done
    [[ -n "$AUDIT_PORT" ]] || { echo "no free port for the audit server" >&2; exit 2; }
  fi
fi
port_free "$AUDIT_PORT" || { echo "audit port $AUDIT_PORT is busy" >&2; exit 2; }
port_free "$GATEWAY_PORT" || { echo "gateway port $GATEWAY_PORT is busy" >&2; exit 2; }

AUDIT_URL=http://127.0.0.1:$AUDIT_PORT
GW_URL=http://127.0.0.1:$GATEWAY_PORT
NODE_FLAGS=(--require "$ROOT/polyfill.cjs" --import tsx --no-warnings)

rm -rf "$OUT_DIR"
mkdir -p "$OUT_DIR"

SERVER_PID=""
GW_PID=""
TEST_PID=""

stop_pid() { # stop one process we started, by its id
  local pid=$1 i
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return 0
}
cleanup() {
  stop_pid "$TEST_PID"; TEST_PID=""
  stop_pid "$GW_PID"; GW_PID=""
  stop_pid "$SERVER_PID"; SERVER_PID=""
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_http() { # url seconds [pid]: wait until url answers 2xx (and pid, if given, is alive)
  local url=$1 secs=$2 pid=${3:-} deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then return 2; fi
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

START=$(date +%s.%N)

# --- audit server (subgraphs, supergraphs, tests of every suite) ---
(cd "$AUDIT_DIR" && exec node "${NODE_FLAGS[@]}" src/cli.ts serve --port "$AUDIT_PORT") \
  >"$OUT_DIR/audit-server.log" 2>&1 &
SERVER_PID=$!
if ! wait_http "$AUDIT_URL/ids" 60 "$SERVER_PID"; then
  echo "audit server did not come up on $AUDIT_PORT; log:" >&2
  tail -20 "$OUT_DIR/audit-server.log" >&2
  exit 3
fi

if ((${#ONLY_SUITES[@]})); then
  SUITES=("${ONLY_SUITES[@]}")
else
  mapfile -t SUITES < <(curl -fsS --max-time 10 "$AUDIT_URL/ids" |
    python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)))')
fi
((${#SUITES[@]})) || { echo "no suites listed by $AUDIT_URL/ids" >&2; exit 3; }

echo "gateway: $GW"
echo "audit:   $AUDIT_URL (graphql-hive/federation-gateway-audit $(git -C "$AUDIT_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')), gateway on $GW_URL, ${#SUITES[@]} suites"

T_PASS=0; T_TOTAL=0; S_PASS=0; S_TOTAL=0
FAILED_LINES=()

for suite in "${SUITES[@]}"; do
  S_TOTAL=$((S_TOTAL + 1))
  sg=$OUT_DIR/$suite.supergraph.graphql
  gwlog=$OUT_DIR/$suite.gateway.log
  res=$OUT_DIR/$suite.results.jsonl
  errlog=$OUT_DIR/$suite.tests.log
  fails=()

  # expected number of tests, straight from the audit server
  total=$(curl -fsS --max-time 10 "$AUDIT_URL/$suite/tests" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null) || total=""
  if [[ -z "$total" ]] || ! curl -fsS --max-time 10 -o "$sg" "$AUDIT_URL/$suite/supergraph"; then
    echo "$suite 0/?"
    echo "  FAIL $suite: could not fetch its tests or supergraph from the audit server"
    FAILED_LINES+=("$suite: (no tests/supergraph)")
    continue
  fi
  T_TOTAL=$((T_TOTAL + total))

  # --- gateway for this suite ---
  env RUST_LOG=warn \
    KEXIE_PRINCIPAL_SECRET=audit-principal-secret-0123456789abcdef0123 \
    SUPERGRAPH_PATH="$sg" \
    GATEWAY_LISTEN=127.0.0.1:$GATEWAY_PORT \
    GATEWAY_METRICS_LISTEN=off \
    GATEWAY_RESPONSE_CACHE=false \
    GATEWAY_MAX_COST=100000000 \
    GATEWAY_MAX_DEPTH=64 \
    GATEWAY_MAX_ALIASES=1000 \
    GATEWAY_MAX_ROOT_FIELDS=1000 \
    GATEWAY_MAX_TOKENS=100000 \
    "$GW" >"$gwlog" 2>&1 &
  GW_PID=$!

  wait_http "$GW_URL/health" 30 "$GW_PID"; rc=$?
  if ((rc == 0)); then
    # like the audit's own runner: wait until `{ __typename }` answers
    ok=""
    for i in $(seq 1 40); do
      if curl -fsS --max-time 2 -H 'content-type: application/json' -H 'accept: application/json' \
           -d '{"query":"query ping { __typename }"}' "$GW_URL/graphql" 2>/dev/null |
         grep -q '"__typename":"Query"'; then ok=1; break; fi
      sleep 0.1
    done
    [[ -n "$ok" ]] || echo "  (warning: $suite: gateway healthy but { __typename } did not answer Query)" >&2
  fi

  if ((rc != 0)); then
    why=$([[ $rc == 2 ]] && echo "gateway exited at start" || echo "gateway not healthy within 30s")
    echo "$suite 0/$total"
    echo "  FAIL $suite: $why; gateway log tail:"
    tail -5 "$gwlog" | sed 's/^/    | /'
    FAILED_LINES+=("$suite: $why")
    stop_pid "$GW_PID"; GW_PID=""
    continue
  fi

  # --- the suite's tests (src/test.ts, node:test) ---
  (cd "$AUDIT_DIR" && TEST_SUITE="$suite" \
     TESTS_ENDPOINT="$AUDIT_URL/$suite/tests" \
     GRAPHQL_ENDPOINT="$GW_URL/graphql" \
     exec timeout -k 5 "$SUITE_TIMEOUT" node "${NODE_FLAGS[@]}" \
       --test-reporter="file://$ROOT/reporter.mjs" --test-reporter-destination="$res" \
       src/test.ts) >"$errlog" 2>&1 &
  TEST_PID=$!   # in the background so a TERM/INT to this script is handled at once
  wait "$TEST_PID"; trc=$?
  TEST_PID=""

  stop_pid "$GW_PID"; GW_PID=""

  # --- tally ---
  summary=$(python3 - "$res" "$total" "$suite" "$trc" <<'EOF'
import json, sys
path, total, suite, trc = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
passed, fails, seen = 0, [], 0
try:
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            seen += 1
            if r["status"] == "pass":
                passed += 1
            else:
                fails.append((r["name"], r.get("message", "")))
except FileNotFoundError:
    pass
passed = min(passed, total)
print(f"{passed} {total}")
for name, msg in fails:
    print(f"  FAIL {name}:")
    for l in msg.rstrip().splitlines()[:60]:
        print("    | " + l)
if seen < total:
    why = "timed out" if trc in (124, 137) else f"runner exit {trc}"
    print(f"  FAIL {suite}: {total - seen} test(s) never reported ({why}; see {suite}.tests.log)")
EOF
)
  read -r passed _ <<<"$(head -1 <<<"$summary")"
  echo "$suite $passed/$total"
  tail -n +2 <<<"$summary"
  T_PASS=$((T_PASS + passed))
  if ((passed == total && total > 0)); then
    S_PASS=$((S_PASS + 1))
  else
    while IFS= read -r l; do
      [[ "$l" == "  FAIL "* ]] && FAILED_LINES+=("${l#  FAIL }")
    done < <(tail -n +2 <<<"$summary")
  fi
done

cleanup
ELAPSED=$(python3 -c "import sys; print(f'{float(sys.argv[2])-float(sys.argv[1]):.1f}')" "$START" "$(date +%s.%N)")

if ((${#FAILED_LINES[@]})); then
  echo "failing:"
  printf '  %s\n' "${FAILED_LINES[@]}"
fi
echo "TOTAL $T_PASS/$T_TOTAL tests, suites $S_PASS/$S_TOTAL"
echo "(took ${ELAPSED}s; logs in $OUT_DIR)" >&2
((T_PASS == T_TOTAL && S_PASS == S_TOTAL))
