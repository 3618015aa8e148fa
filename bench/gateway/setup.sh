# Sourced by run.sh and profile.sh: builds the gateway as deployed (the `production`
# profile of Cargo.toml) and the stub subgraphs (release), starts the stubs, and stops
# every process the script started when it exits. Sets $gateway_binary, $target (the
# release directory, where the stubs are), $scratch (a directory removed at exit), $pids,
# $stubs_pid and wait_for.

# Built apart so that the gateway binary gets exactly its own dependencies' features (an
# example build would add those of the dev-dependencies).
cargo build --profile production -p kexie-gateway --bin kexie-gateway >&2
cargo build --release -p kexie-gateway --example bench_subgraphs >&2
target="${CARGO_TARGET_DIR:-$root/target}/release"
gateway_binary="${CARGO_TARGET_DIR:-$root/target}/production/kexie-gateway"

pids=()
scratch="$(mktemp -d)"
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$scratch"
}
trap cleanup EXIT

wait_for() { # $1: a URL that answers once its server is up (60 s at most)
  for _ in $(seq 1 600); do
    curl -fs "$1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "$1 did not come up" >&2; exit 1
}

# The ports the scripts use must be free: a gateway or stubs left from an earlier run would
# answer in place of the ones started here.
for port in 4100 4101 4102 4103 4104 4109 4200; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is taken (a gateway or stub subgraphs left from an earlier run?); stop what listens there first" >&2
    exit 1
  fi
done

# The stubs keep their data versions in Redis, as the hub's subgraphs do, under a namespace
# of the benchmark's own; the gateway, started from these scripts, reads them there.
export REDIS_NAMESPACE="${REDIS_NAMESPACE:-kexie-bench}"
"$target/examples/bench_subgraphs" 4101 4102 4103 4104 2>/dev/null &
stubs_pid=$!
pids+=($stubs_pid)
wait_for http://127.0.0.1:4101/health
