"""Benchmark: ``secfilings serve`` under load on loopback, from another process.

    python bench/serve.py [--rounds 3] [--seconds 20] [--miss-seconds 10] [--connections 32]

Builds a folder lake from the bundled real filings, starts ``secfilings serve`` (its own
process, under the runtime guard), then per round loads it with wrk (Debian's ``wrk`` package;
else a Python client process: ``--client python``): index hits (``GET /companies/<CIK>`` over
the lake's issuers) at ``--connections`` for ``--seconds``, then misses (a new unknown CIK per
request, each answered by the SQL fallback) for ``--miss-seconds``. Hits and misses alternate
round by round; figures are medians over the rounds. It prints requests/s, p50/p99 latency,
errors (socket errors and unexpected statuses: hits must be 200, misses 404), the billable
requests the server counted (the sum of the ``X-Costguard-Requests`` headers), the CPU seconds
of the client and of the server (both share the machine's cores), and the load average before
and after, to say how quiet the machine was. Targets on 2 cores: at least 2,000 hits/s, p99 at
most 25 ms, zero errors, zero S3 GET. Not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ISSUERS = ("1640147", "7536", "1750", "933972", "867773")
COUNTED = ("s3.GET", "athena.query", "dynamodb.read_units", "dynamodb.write_units")

# wrk's Lua: vary the path, check statuses, sum the cost header per thread (wrk gathers them in done)
_WRK_SCRIPT = r"""
local kind = os.getenv("BENCH_KIND")
local issuers = {"1640147", "7536", "1750", "933972", "867773"}
local threads = {}
counter = 0  -- globals: done() reads them from each thread
bad = 0
sums = {}
base = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("base", #threads * 100000000)
end

function init(args)
  base = base + (tonumber(os.getenv("BENCH_BASE")) or 0)
end

function request()
  counter = counter + 1
  local path
  if kind == "hit" then
    path = "/companies/" .. issuers[(counter % #issuers) + 1]
  else
    path = "/companies/" .. tostring(base + counter + 9000000000)
  end
  return wrk.format("GET", path)
end

function response(status, headers, body)
  local expected = (kind == "hit") and 200 or 404
  if status ~= expected then bad = bad + 1 end
  local value = headers["x-costguard-requests"] or headers["X-Costguard-Requests"]
  if value then
    for key, number in string.gmatch(value, "([%w%._]+)=([%d%.e%+]+)") do
      sums[key] = (sums[key] or 0) + tonumber(number)
    end
  else
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total_bad = 0
  local totals = {}
  for _, thread in ipairs(threads) do
    total_bad = total_bad + thread:get("bad")
    local s = thread:get("sums")
    for key, number in pairs(s) do totals[key] = (totals[key] or 0) + number end
  end
  local parts = {}
  for key, number in pairs(totals) do table.insert(parts, string.format('"%s": %.17g', key, number)) end
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.6f, "p50_ms": %.3f, "p99_ms": %.3f, "socket_errors": %d, "bad_status": %d, "counted": {%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    total_bad, table.concat(parts, ", ")))
end
"""

# the Python client (another process): threads on keep-alive connections, same checks and sums
_PY_CLIENT = r"""
import http.client, json, sys, threading, time
host, port, kind, seconds, connections, base = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
issuers = ["1640147", "7536", "1750", "933972", "867773"]
lock = threading.Lock(); latencies = []; bad = [0]; errors = [0]; sums = {}
deadline = time.perf_counter() + seconds
def worker(number):
    conn = http.client.HTTPConnection(host, port, timeout=30); count = 0; mine = []; local = {}; local_bad = 0
    while time.perf_counter() < deadline:
        count += 1
        path = "/companies/" + (issuers[count % 5] if kind == "hit" else str(9000000000 + base + number * 10000000 + count))
        started = time.perf_counter()
        try:
            conn.request("GET", path); response = conn.getresponse(); response.read()
        except OSError:
            with lock: errors[0] += 1
            conn.close(); conn = http.client.HTTPConnection(host, port, timeout=30); continue
        mine.append(time.perf_counter() - started)
        if response.status != (200 if kind == "hit" else 404): local_bad += 1
        for part in (response.getheader("X-Costguard-Requests") or "").split(", "):
            if "=" in part:
                key, value = part.split("="); local[key] = local.get(key, 0) + float(value)
    with lock:
        latencies.extend(mine); bad[0] += local_bad
        for key, value in local.items(): sums[key] = sums.get(key, 0) + value
started = time.perf_counter()
threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
for t in threads: t.start()
for t in threads: t.join()
elapsed = time.perf_counter() - started
latencies.sort()
pick = lambda f: latencies[min(len(latencies) - 1, int(f * (len(latencies) - 1)))] * 1000 if latencies else 0.0
print("BENCH " + json.dumps({"requests": len(latencies), "seconds": elapsed, "p50_ms": pick(0.5), "p99_ms": pick(0.99),
                             "socket_errors": errors[0], "bad_status": bad[0], "counted": sums}))
"""


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load(client: str, url: str, kind: str, seconds: float, connections: int, base: int, script: Path) -> dict:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    if client == "wrk":
        command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s", "--latency", "-s", str(script), url]
    else:
        command = [sys.executable, "-c", _PY_CLIENT, host, port, kind, str(seconds), str(connections), str(base)]
    before = os.times()
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 120,
        env={**os.environ, "BENCH_KIND": kind, "BENCH_BASE": str(base)},
    )
    after = os.times()
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"bench/serve.py: the {client} client failed: {result.stdout[-500:]} {result.stderr[-500:]}")
    figures = json.loads(line[len("BENCH "):])
    figures["client_cpu_s"] = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=20.0, help="hit load per round")
    parser.add_argument("--miss-seconds", type=float, default=10.0, help="miss load per round")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--client", choices=("auto", "wrk", "python"), default="auto")
    parser.add_argument("--server-args", default="", help="extra arguments for secfilings serve")
    args = parser.parse_args(argv)
    client = args.client if args.client != "auto" else ("wrk" if shutil.which("wrk") else "python")

    repo = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory(prefix="secfilings-serve-bench-") as scratch:
        lake = Path(scratch) / "lake"
        data = repo / "secfilings" / "data"
        subprocess.run(
            [sys.executable, "-m", "secfilings", "--lake", str(lake), "ingest", str(data / "form4"), str(data / "13f")],
            capture_output=True, check=False, timeout=600,
        )
        script = Path(scratch) / "bench.lua"
        script.write_text(_WRK_SCRIPT)
        server = subprocess.Popen(
            [sys.executable, "-m", "secfilings", "--lake", str(lake), "serve", "--port", "0", *args.server_args.split()],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=repo,
        )
        try:
            assert server.stdout is not None
            first = server.stdout.readline()
            match = re.search(r"listening on (http://\S+?) ", first)
            if not match:
                server.kill()
                raise SystemExit(f"bench/serve.py: server did not start: {first!r} {server.communicate()[1]!r}")
            url = match.group(1)
            load_before = os.getloadavg()
            print(f"secfilings serve at {url}; client {client}, {args.connections} connections, {args.rounds} rounds"
                  f" ({args.seconds:g} s hits + {args.miss_seconds:g} s misses each); {os.cpu_count()} CPUs;"
                  f" load average before {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")
            runs: dict[str, list[dict]] = {"hit": [], "miss": []}
            for number in range(args.rounds):
                order = ("hit", "miss") if number % 2 == 0 else ("miss", "hit")
                for kind in order:
                    seconds = args.seconds if kind == "hit" else args.miss_seconds
                    server_cpu = _cpu_seconds(server.pid)
                    figures = _load(client, url, kind, seconds, args.connections, number * 1_000_000_000 // 10, script)
                    figures["server_cpu_s"] = _cpu_seconds(server.pid) - server_cpu
                    runs[kind].append(figures)
                    counted = figures["counted"]
                    print(
                        f"  round {number + 1} {kind:<4}: {figures['requests'] / figures['seconds']:8.0f} req/s"
                        f"  p50 {figures['p50_ms']:6.2f} ms  p99 {figures['p99_ms']:7.2f} ms"
                        f"  errors {figures['socket_errors'] + figures['bad_status']}"
                        f"  counted " + ", ".join(f"{k}={counted.get(k, 0):g}" for k in COUNTED)
                        + f"  cpu client {figures['client_cpu_s']:.1f} s server {figures['server_cpu_s']:.1f} s"
                    )
            load_after = os.getloadavg()
        finally:
            server.terminate()
            try:
                server.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    print(f"load average after {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}")
    for kind, figures in runs.items():
        rates = [f["requests"] / f["seconds"] for f in figures]
        requests = sum(f["requests"] for f in figures)
        counted = {k: sum(f["counted"].get(k, 0) for f in figures) for k in COUNTED}
        print(
            f"{kind:<4} median of {len(figures)}: {statistics.median(rates):.0f} req/s,"
            f" p50 {statistics.median(f['p50_ms'] for f in figures):.2f} ms,"
            f" p99 {statistics.median(f['p99_ms'] for f in figures):.2f} ms;"
            f" {requests} requests, errors {sum(f['socket_errors'] + f['bad_status'] for f in figures)};"
            f" per request " + ", ".join(f"{k} {counted[k] / max(requests, 1):.3g}" for k in COUNTED)
            + f"; client CPU {statistics.median(f['client_cpu_s'] / f['seconds'] for f in figures):.2f}"
            f" cores, server CPU {statistics.median(f['server_cpu_s'] / f['seconds'] for f in figures):.2f} cores"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
