#!/usr/bin/env bash
# Property-based API testing with schemathesis against the served OpenAPI document.
#
# Builds `billing`, creates a fresh PostgreSQL database, serves the API on a free loopback port,
# runs `schemathesis run .../openapi.json --checks all` (or SCHEMATHESIS_CHECKS) bounded in time, then stops the server and
# drops the database whatever happened. Exits non-zero when schemathesis reports a failure (any
# 5xx, any answer not matching the documented schema, ...) or when a step fails.
#
# Environment (all optional):
#   SCHEMATHESIS_MAX_TIME      seconds for the whole schemathesis run (default 240)
#   SCHEMATHESIS_MAX_EXAMPLES  test cases per operation and phase (default 100)
#   SCHEMATHESIS_PHASES        comma-separated phases (default examples,coverage,fuzzing,stateful)
#   SCHEMATHESIS_CHECKS        comma-separated checks (default all; tests/run.sh runs the ones that
#                              must always pass, see there)
#   SCHEMATHESIS_SEED          a seed, to replay a run
#   SCHEMATHESIS_ARGS          more arguments for `schemathesis run`, word-split
#   BILLING_TEST_DATABASE_URL  the PostgreSQL server (default postgres://postgres@127.0.0.1:5432)
#
# Reports (JUnit, NDJSON events, a VCR cassette of every request, a grouped summary) and the
# server's log go to target/schemathesis-report/, which is also schemathesis's working directory
# (its .hypothesis/ example database and replay files stay there, out of the work tree).
#
# Besides schemathesis's own checks, a few fixed edge probes (NUL bytes in query strings and text
# fields, extreme dates, the billing day on an empty log) must answer below 500 within 15 s, and the
# run fails when the server logged an internal error or a panic, or a projection failed (an
# accepted request whose event a read model cannot apply). Takes about 4.5 minutes by default.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*" >&2; }

max_time=${SCHEMATHESIS_MAX_TIME:-240}
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-100}
phases=${SCHEMATHESIS_PHASES:-examples,coverage,fuzzing,stateful}
checks=${SCHEMATHESIS_CHECKS:-all}
server_url=${BILLING_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432}
server_url=${server_url%/}
# Only the server part: the database name is ours.
case "$server_url" in
    postgres*://*/*) server_url=${server_url%/*} ;;
esac
venv=$PWD/target/schemathesis-venv
report_dir=$PWD/target/schemathesis-report
token=fuzz-token

# --- schemathesis, in its own virtualenv -----------------------------------------------------
if [ ! -x "$venv/bin/schemathesis" ]; then
    log "installing schemathesis into $venv"
    python3 -m venv "$venv"
    timeout 600 "$venv/bin/pip" install --quiet --disable-pip-version-check schemathesis
fi
log "$("$venv/bin/schemathesis" --version)"

# --- the server binary -------------------------------------------------------------------------
log "cargo build --bin billing"
timeout 1800 cargo build --quiet --bin billing

# --- a fresh database and a free port ----------------------------------------------------------
pg_isready -q -d "$server_url/postgres" || {
    echo "PostgreSQL is not reachable at $server_url (start it, or run tests/run.sh once)" >&2
    exit 1
}
database="billing_schemathesis_$$_$(date +%s)"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
mkdir -p "$report_dir"
rm -rf "${report_dir:?}"/*

server_pid=
cleanup() {
    local status=$?
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        log "stopping the server (pid $server_pid)"
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 20); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    log "dropping database $database"
    timeout 60 psql -q -d "$server_url/postgres" -v ON_ERROR_STOP=1 \
        -c "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" >/dev/null || true
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log "creating database $database"
psql -q -d "$server_url/postgres" -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$database\"" >/dev/null

# --- the server ---------------------------------------------------------------------------------
log "serving on $base (log: $report_dir/server.log)"
DATABASE_URL="$server_url/$database" \
    BILLING_ADMIN_TOKEN="$token" \
    BILLING_LISTEN="127.0.0.1:$port" \
    BILLING_LOG_FORMAT=json \
    BILLING_QUERY_WAIT_MS=1000 \
    target/debug/billing serve >"$report_dir/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null "$base/v1/ready" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "the server exited; its log:" >&2
        tail -n 50 "$report_dir/server.log" >&2
        exit 1
    fi
    sleep 0.5
done
curl -fsS -o /dev/null -H "Authorization: Bearer $token" "$base/openapi.json"

# --- edge probes --------------------------------------------------------------------------------
# A few fixed requests that random generation rarely hits (NUL bytes, chrono's extreme dates, the
# billing day on an empty log). Each must answer within 15 s with a status below 500.
probe_failures=0
probe() { # METHOD PATH [JSON BODY]
    local method=$1 path=$2 body=${3:-} code
    local args=(-s -m 15 -o "$report_dir/probe.out" -w '%{http_code}' -X "$method"
        -H "Authorization: Bearer $token")
    if [ -n "$body" ]; then
        args+=(-H 'Content-Type: application/json' --data-binary "$body")
    fi
    code=$(curl "${args[@]}" "$base$path") || code="timeout"
    if [ "$code" = "timeout" ] || [ "$code" -ge 500 ]; then
        probe_failures=$((probe_failures + 1))
        printf 'PROBE FAILED: %s %s %s -> %s %s\n' "$method" "$path" "$body" "$code" \
            "$(head -c 300 "$report_dir/probe.out" 2>/dev/null)" | tee -a "$report_dir/probes.txt" >&2
    else
        printf 'probe ok: %s %s %s -> %s\n' "$method" "$path" "$body" "$code" >>"$report_dir/probes.txt"
    fi
}
json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
uuid() { python3 -c 'import uuid; print(uuid.uuid4())'; }
log "edge probes (empty log)"
probe POST /v1/billing/runs '{"as_of":"2027-01-31"}'

# --- schemathesis -------------------------------------------------------------------------------
seed_args=()
if [ -n "${SCHEMATHESIS_SEED:-}" ]; then
    seed_args=(--seed "$SCHEMATHESIS_SEED")
fi
# shellcheck disable=SC2206 # word splitting of the extra arguments is wanted
extra_args=(${SCHEMATHESIS_ARGS:-})
log "schemathesis run: checks $checks, phases $phases, at most $max_examples examples per operation, ${max_time}s"
status=0
# The outer timeout is a hard stop should --max-time not be honoured (a stuck request, ...).
# NUL bytes are allowed in generated strings: PostgreSQL refuses them in text, a classic 500.
# One worker: schemathesis's workers are threads, and Python 3.11's AST constructor keeps its
# recursion counter in state the threads share (CPython gh-95185, gh-106905), so hypothesis's
# `ast.parse` of a lambda in two threads at once can fail with "AST constructor recursion depth
# mismatch"; a run was lost to it, as a runtime error on an operation nothing had changed.
(cd "$report_dir" && NO_COLOR=1 timeout --kill-after=30 $((max_time + 120)) \
    "$venv/bin/schemathesis" run "$base/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks "$checks" \
    --phases "$phases" \
    --max-examples "$max_examples" \
    --max-time "$max_time" \
    --request-timeout 10 \
    --workers 1 \
    --report junit,ndjson,vcr \
    --report-dir "$report_dir" \
    --output-truncate false \
    --generation-allow-x00 true \
    "${seed_args[@]}" "${extra_args[@]}") || status=$?

log "edge probes (after schemathesis)"
auth=(-H "Authorization: Bearer $token" -H 'Content-Type: application/json')
provider=$(curl -fsS -m 15 "${auth[@]}" -d '{"name":"Probe Hosting","currency":"EUR"}' \
    "$base/v1/providers" | json_field id) || provider=
client=
if [ -n "$provider" ]; then
    client=$(curl -fsS -m 15 "${auth[@]}" -d "{\"provider_id\":\"$provider\",\"name\":\"Probe\",\"email\":\"probe@example.com\",\"kind\":\"company\",\"country\":\"DE\"}" \
        "$base/v1/clients" | json_field id) || client=
fi
if [ -z "$client" ]; then
    echo "PROBE FAILED: could not create a provider and a client" | tee -a "$report_dir/probes.txt" >&2
    probe_failures=$((probe_failures + 1))
    client=00000000-0000-0000-0000-000000000000
fi
probe GET '/v1/clients?q=%00'
probe GET '/v1/action-log?actor=%00'
probe GET '/v1/action-log?event_type=%00'
probe GET '/v1/operations?kind=%00'
probe POST /v1/billing/runs '{"as_of":"-262143-01-01"}'
probe POST /v1/billing/runs '{"as_of":"+262142-12-31"}'
probe POST "/v1/clients/$client/adjustments" "{\"adjustment_id\":\"$(uuid)\",\"amount\":\"1.00\",\"currency\":\"EUR\",\"reason\":\"a\\u0000b\"}"
probe DELETE "/v1/clients/$client?reason=%00"
sleep 3 # let the projections try the events above
if [ "$probe_failures" -gt 0 ] && [ "$status" -eq 0 ]; then
    status=1
fi

# The server's own view: internal errors (500s), panics and projections that cannot apply an event.
server_errors=$(grep -E '"internal error"|panicked|projection step failed' "$report_dir/server.log" |
    python3 -c '
import collections, json, sys
seen = collections.Counter()
for line in sys.stdin:
    try:
        fields = json.loads(line).get("fields", {})
    except ValueError:
        fields = {"message": line.strip()}
    seen[" ".join(str(fields.get(k, "")) for k in ("message", "projection", "cause", "error")).strip()] += 1
for text, count in seen.most_common():
    print(f"  x{count} {text}")
' || true)
if [ -n "$server_errors" ]; then
    log "the server logged failures:"
    printf '%s\n' "$server_errors" >&2
    if [ "$status" -eq 0 ]; then
        status=1
    fi
fi

# One line per distinct failure, with one request that shows it.
for ndjson in "$report_dir"/ndjson-*.ndjson; do
    [ -f "$ndjson" ] || continue
    python3 - "$ndjson" >"$report_dir/summary.txt" <<'PYTHON' || true
"""Groups the failures of a schemathesis NDJSON report: one line per (check, operation, status,
problem code) with how often it was seen and one request that shows it."""
import base64
import collections
import json
import sys


def text(blob):
    if not blob:
        return ""
    if "$base64" in blob:
        return base64.b64decode(blob["$base64"]).decode("utf-8", "replace")
    return blob.get("string", "")


def shown(value):
    """The text as is, or JSON-quoted when it has control characters (a NUL, ...)."""
    if any(ord(c) < 32 for c in value):
        return json.dumps(value)
    return value


groups = collections.OrderedDict()
errors = []
with open(sys.argv[1], encoding="utf-8") as events:
    for line in events:
        event = json.loads(line)
        if "NonFatalError" in event:
            info = event["NonFatalError"]
            errors.append(f'{info.get("label", "?")}: {str(info.get("info", info))[:300]}')
            continue
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder", {})
        for case_id, checks in recorder.get("checks", {}).items():
            interaction = recorder.get("interactions", {}).get(case_id)
            for check in checks:
                if check.get("status") != "failure":
                    continue
                failure = check["failure_info"]["failure"]
                response = (interaction or {}).get("response") or {}
                body = text(response.get("content"))
                try:
                    problem = json.loads(body).get("code", "")
                except (ValueError, AttributeError):
                    problem = ""
                status = response.get("status_code", "-")
                key = (failure["code"], failure["operation"], status, problem)
                group = groups.get(key)
                if group is None:
                    request = (interaction or {}).get("request") or {}
                    groups[key] = group = {
                        "count": 0,
                        "title": failure["title"],
                        "message": failure.get("message", "").replace("\n", "; "),
                        "request": f'{request.get("method", "?")} {request.get("uri", "?")}',
                        "body": shown(text(request.get("body")))[:300],
                        "content_type": ",".join(
                            (response.get("headers") or {}).get("content-type", [])
                        ),
                        "response": shown(body)[:300],
                        "phase": finished.get("phase"),
                    }
                group["count"] += 1

print(f"{len(groups)} distinct failures (check, operation, status, problem code):")
for (code, operation, status, problem), group in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1])):
    print(f'\n[{code}] {group["title"]}: {operation} -> {status} {problem} (x{group["count"]}, {group["phase"]})')
    if group["message"]:
        print(f'    {group["message"]}')
    print(f'    request:  {group["request"]}')
    if group["body"]:
        print(f'    body:     {group["body"]}')
    print(f'    answer:   {status} {group["content_type"]} {group["response"]}')
for error in errors:
    print(f"\n[error] {error}")
PYTHON
    log "grouped failures: $report_dir/summary.txt ($(head -n 1 "$report_dir/summary.txt"))"
done
if [ "$status" -ne 0 ]; then
    log "failures (exit $status; $probe_failures edge probes failed): see above and $report_dir/"
else
    log "no failure"
fi
exit "$status"
