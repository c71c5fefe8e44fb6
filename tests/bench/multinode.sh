#!/usr/bin/env bash
# Issue 21, "What it must show": `billing bench --url` through HAProxy over three nodes reading a
# streaming standby, beside one node behind the same proxy, in one series on one machine.
#
# Starts on 127.0.0.1, in a temporary folder: a PostgreSQL primary (initdb), a hot standby made
# with pg_basebackup, HAProxy, and `billing serve` nodes. Three series, each over a fresh database
# of the same primary, each `billing bench --workload payments --runs $RUNS` (the median of the
# runs):
#   single  one node (every projection group), no replica;
#   three   three nodes (every node runs every group: the locks give each read model one worker),
#           queries on the standby;
#   spread  three nodes with the read side split (BILLING_PROJECTION_GROUPS, ADR 35): one node
#           runs the ledger's read models, one the rest and the process managers, one serves
#           requests only; queries on the standby.
# Prints payments/s, the latency of a payment, the read latency with min_position (the time from
# a payment's answer until a balance read with `min_position` returns), and the CPU seconds per
# payment of the whole topology (nodes, primary, standby and HAProxy; the bench's own process
# not counted), which moves far less with other work on the machine than throughput does.
#
#   cargo build --release --bin billing
#   tests/bench/multinode.sh                      # RUNS=3 SECONDS_PER_RUN=20 CONCURRENCY=32
set -euo pipefail

BILLING=${BILLING:-$(cd "$(dirname "$0")/../.." && pwd)/target/release/billing}
RUNS=${RUNS:-3}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-20}
CONCURRENCY=${CONCURRENCY:-32}
TOKEN=bench-multinode-token
MAJOR=$(ls /usr/lib/postgresql | sort -n | tail -1)
PGBIN=/usr/lib/postgresql/$MAJOR/bin
ROOT=$(mktemp -d /tmp/billing-bench-multinode.XXXXXX)
TCK=$(getconf CLK_TCK)
PIDS=()

as_postgres() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    as_postgres "$PGBIN/pg_ctl" -D "$ROOT/standby" -m immediate stop >/dev/null 2>&1 || true
    as_postgres "$PGBIN/pg_ctl" -D "$ROOT/primary" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$ROOT"
}
trap cleanup EXIT

[ -x "$BILLING" ] || { echo "no $BILLING: cargo build --release --bin billing" >&2; exit 1; }
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || { echo "apt-get install haproxy" >&2; exit 1; }
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)
[ "$(id -u)" = 0 ] && chown postgres:postgres "$ROOT"

PRIMARY_PORT=$(free_port)
STANDBY_PORT=$(free_port)
as_postgres "$PGBIN/initdb" -D "$ROOT/primary" -U postgres -A trust >/dev/null
as_postgres "$PGBIN/pg_ctl" -D "$ROOT/primary" -l "$ROOT/primary.log" -w -t 60 \
    -o "-p $PRIMARY_PORT -k '' -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
as_postgres "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -X stream -R -c fast \
    -D "$ROOT/standby"
as_postgres "$PGBIN/pg_ctl" -D "$ROOT/standby" -l "$ROOT/standby.log" -w -t 60 \
    -o "-p $STANDBY_PORT -k '' -c listen_addresses=127.0.0.1 -c hot_standby=on -c max_connections=300" \
    start >/dev/null

postmaster() { head -1 "$1/postmaster.pid"; }

# CPU ticks of a process and its living descendants, plus what its reaped children used.
tree_ticks() {
    python3 - "$@" <<'EOF'
import os, sys
def stat(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[1]), [int(x) for x in fields[11:15]]
    except OSError:
        return None, [0, 0, 0, 0]
children = {}
for entry in os.listdir("/proc"):
    if entry.isdigit():
        parent, _ = stat(entry)
        if parent is not None:
            children.setdefault(parent, []).append(int(entry))
total = 0
for root in map(int, sys.argv[1:]):
    _, (ut, st, cut, cst) = stat(root)
    total += ut + st + cut + cst
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        _, (ut, st, _, _) = stat(pid)
        total += ut + st
        todo.extend(children.get(pid, []))
print(total)
EOF
}

psql_on() { psql -X -qAt -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d "$1" -c "$2"; }

start_node() { # name database run-groups replica(0/1)
    local port; port=$(free_port)
    local replica=""
    [ "$4" = 1 ] && replica="postgres://postgres@127.0.0.1:$STANDBY_PORT/$2"
    env DATABASE_URL="postgres://postgres@127.0.0.1:$PRIMARY_PORT/$2" \
        BILLING_REPLICA_URLS="$replica" \
        BILLING_LISTEN="127.0.0.1:$port" BILLING_ADMIN_TOKEN=$TOKEN BILLING_LOG_FORMAT=text \
        BILLING_DB_CONNECTIONS=40 \
        BILLING_PROJECTION_GROUPS="$ASSIGNMENT" BILLING_RUN_GROUPS="$3" \
        "$BILLING" serve >"$ROOT/$1.log" 2>&1 &
    PIDS+=($!)
    NODE_PIDS+=($!)
    NODE_PORTS+=("$port")
    for _ in $(seq 300); do
        curl -fs "http://127.0.0.1:$port/v1/health" >/dev/null && return 0
        sleep 0.1
    done
    echo "node $1 did not start:" >&2; tail -20 "$ROOT/$1.log" >&2; exit 1
}

start_proxy() { # name
    local port; port=$(free_port)
    {
        printf 'global\n  maxconn 4000\ndefaults\n  mode http\n  timeout connect 1s\n'
        printf '  timeout client 60s\n  timeout server 60s\n  retries 3\n  option redispatch\n'
        printf 'frontend billing\n  bind 127.0.0.1:%s\n  default_backend nodes\n' "$port"
        printf 'backend nodes\n  balance roundrobin\n  option httpchk GET /v1/health\n'
        printf '  default-server inter 1s fall 2 rise 2\n'
        local n=0
        for p in "${NODE_PORTS[@]}"; do printf '  server node%s 127.0.0.1:%s check\n' $n "$p"; n=$((n+1)); done
    } >"$ROOT/$1.haproxy.cfg"
    "$HAPROXY" -f "$ROOT/$1.haproxy.cfg" -db >"$ROOT/$1.haproxy.log" 2>&1 &
    PROXY_PID=$!
    PIDS+=($PROXY_PID)
    PROXY="http://127.0.0.1:$port"
    for _ in $(seq 100); do curl -fs "$PROXY/v1/health" >/dev/null && return 0; sleep 0.1; done
    echo "haproxy did not answer" >&2; exit 1
}

stop_series() {
    for pid in "${NODE_PIDS[@]}" "$PROXY_PID"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${NODE_PIDS[@]}" "$PROXY_PID"; do wait "$pid" 2>/dev/null || true; done
}

series() { # name nodes(as "run-groups replica" pairs...)
    local name=$1; shift
    local database="bench_$name"
    psql_on postgres "CREATE DATABASE $database" >/dev/null
    NODE_PIDS=(); NODE_PORTS=()
    local n=0
    while [ $# -gt 0 ]; do start_node "$name-$n" "$database" "$1" "$2"; shift 2; n=$((n+1)); done
    start_proxy "$name"
    local pm; pm=$(postmaster "$ROOT/primary")
    local sb; sb=$(postmaster "$ROOT/standby")
    local paid_before cpu_before cpu_after paid_after
    paid_before=$(psql_on "$database" "SELECT count(*) FROM events WHERE event_type = 'PaymentPosted'")
    cpu_before=$(tree_ticks "${NODE_PIDS[@]}" "$PROXY_PID" "$pm" "$sb")
    DATABASE_URL="postgres://postgres@127.0.0.1:$PRIMARY_PORT/$database" \
        "$BILLING" bench --url "$PROXY" --token $TOKEN --workload payments \
        --concurrency "$CONCURRENCY" --seconds "$SECONDS_PER_RUN" --runs "$RUNS" --json \
        >"$ROOT/$name.json" 2>"$ROOT/$name.bench.log" \
        || { echo "bench $name failed:" >&2; tail -20 "$ROOT/$name.bench.log" >&2; exit 1; }
    cpu_after=$(tree_ticks "${NODE_PIDS[@]}" "$PROXY_PID" "$pm" "$sb")
    paid_after=$(psql_on "$database" "SELECT count(*) FROM events WHERE event_type = 'PaymentPosted'")
    stop_series
    python3 - "$name" "$ROOT/$name.json" $((cpu_after - cpu_before)) "$TCK" $((paid_after - paid_before)) <<'EOF'
import json, statistics, sys
name, path, ticks, tck, paid = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
runs = json.load(open(path))
m = lambda f: statistics.median(f(r) for r in runs)
cpu_us = ticks / tck / max(paid, 1) * 1e6
print(f"{name:<7} {m(lambda r: r['throughput_per_s']):>9.0f} {m(lambda r: r['latency']['p50_ms']):>9.2f} "
      f"{m(lambda r: r['latency']['p99_ms']):>9.2f} {m(lambda r: r['projection_lag']['p50_ms']):>9.2f} "
      f"{m(lambda r: r['projection_lag']['p99_ms']):>9.2f} {cpu_us:>9.0f} {m(lambda r: r['errors']):>6.0f}"
      f"   runs: " + ", ".join(f"{r['throughput_per_s']:.0f}/s" for r in runs))
EOF
}

echo "payments workload, $CONCURRENCY callers, $SECONDS_PER_RUN s per run, medians of $RUNS runs"
echo "series  payments/s  pay p50ms pay p99ms read p50ms read p99ms  CPU us/pay errors"
ASSIGNMENT="default=*"
series single all 0
series three all 1 all 1 all 1
ASSIGNMENT="ledger=balances,statement,payments,expenses,invoices,payers,clients,providers;rest=*"
series spread ledger 1 rest 1 none 1
