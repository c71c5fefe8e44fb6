#!/usr/bin/env python3
"""A login flood against `billing serve`, measured from outside: the answers, the server's peak
and final resident memory (/proc/<pid>/status), and the latency of other requests meanwhile.

    tests/login_flood.py --binary target/debug/billing \
        --database-url postgres://postgres@127.0.0.1:5432/flood [--logins 400] [--concurrency 16]

Each wrong login names another login and, through X-Forwarded-For (the server runs with
BILLING_TRUST_PROXY), another address: the flood stands for an attack from many machines, which
only the argon2 gate stops. `--same-address` floods from one address instead (the failure limits
answer). Standard library only.
"""

import argparse
import collections
import concurrent.futures
import json
import os
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request

TOKEN = "flood-admin-token"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def memory_kib(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0])
    return fields


def request(url, body=None, headers=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers=headers or {})
    if data is not None:
        req.add_header("content-type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            response.read()
            return response.status, response.headers.get("retry-after")
    except urllib.error.HTTPError as error:
        error.read()
        return error.code, error.headers.get("retry-after")


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--logins", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--same-address", action="store_true")
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, DATABASE_URL=args.database_url, BILLING_LISTEN=f"127.0.0.1:{port}",
               BILLING_ADMIN_TOKEN=TOKEN, BILLING_TRUST_PROXY="true", RUST_LOG="error")
    server = subprocess.Popen([args.binary, "serve", "--log-format", "text"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(600):
            try:
                if request(f"{base}/v1/health", timeout=1)[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit("the server did not become healthy")
        before = memory_kib(server.pid)

        flooding = threading.Event()
        flooding.set()
        latencies_ms = []
        other_statuses = collections.Counter()

        def watch():
            while flooding.is_set():
                started = time.perf_counter()
                status, _ = request(f"{base}/v1/auth/me",
                                    headers={"authorization": f"Bearer {TOKEN}"})
                latencies_ms.append((time.perf_counter() - started) * 1000)
                other_statuses[status] += 1
                time.sleep(0.02)

        watcher = threading.Thread(target=watch)
        watcher.start()

        def flood(n):
            address = "203.0.113.7" if args.same_address else f"10.1.{n // 256}.{n % 256}"
            email = "victim@example.com" if args.same_address else f"flood{n}@example.com"
            return request(f"{base}/v1/auth/login", {"email": email, "password": "guess"},
                           {"x-forwarded-for": address})

        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
            answers = list(pool.map(flood, range(args.logins)))
        elapsed = time.perf_counter() - started
        flooding.clear()
        watcher.join()
        after = memory_kib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=60)

    statuses = collections.Counter(status for status, _ in answers)
    without_retry_after = sum(1 for status, retry in answers if status in (429, 503) and not retry)
    latencies_ms.sort()
    print(json.dumps({
        "logins": args.logins,
        "concurrency": args.concurrency,
        "seconds": round(elapsed, 2),
        "login_statuses": dict(statuses),
        "turned_away_without_retry_after": without_retry_after,
        "rss_mib_before": before["VmRSS"] // 1024,
        "rss_mib_peak": after["VmHWM"] // 1024,
        "rss_mib_after": after["VmRSS"] // 1024,
        "other_requests": dict(other_statuses),
        "other_latency_ms": {
            "p50": round(percentile(latencies_ms, 50), 1),
            "p99": round(percentile(latencies_ms, 99), 1),
            "max": round(latencies_ms[-1], 1) if latencies_ms else None,
        },
    }, indent=2))


if __name__ == "__main__":
    main()
