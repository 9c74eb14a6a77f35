"""Load test: concurrent clients against the named-query mix of a `rakg serve` on loopback.

    .venv/bin/python -m bench.load                                   # 50 clients for 60 s; starts its own server
    .venv/bin/python -m bench.load --clients 50 --duration 60 --json bench/results/load.json
    .venv/bin/python -m bench.load --url http://127.0.0.1:8000 --pid 1234   # a server you started (pid: gunicorn master)

The server it starts is `rakg serve --host 127.0.0.1 --port P` over the current build (RAKG_BUILD_DIR or build/),
with the production defaults of server/settings.py (2 gunicorn workers x 4 threads, a query worker process per
thread, 30 s limit, result cache) unless --serve-args says otherwise.  The mix is every named query of queries/
except the federated ones (SERVICE needs the internet and an allow-list).  Before the clock starts, each query is
run once alone (queries slower than --max-query-seconds, if given, leave the mix), then `workers x threads` times
at once, so that every gunicorn worker has it in its result cache: the run measures the serving path, not the
first execution of each query.

Each client is a thread with one keep-alive HTTP/1.1 connection that sends the mix round-robin (starting at its
own offset) as GET /sparql with Accept: application/sparql-results+json.  An error is any answer other than 200 or
a failed connection.  The report gives requests, errors, throughput, latency p50/p90/p99/max, and the resident
memory (RSS) of the server's whole process tree (gunicorn master, workers, query workers) after the warm-up and at
the end.  The Python client can saturate two cores on its own: the throughput is a floor, not the server's limit.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

from .servers import descendants, free_port, memory_mb

ROOT = Path(__file__).resolve().parent.parent


def named_queries(root: Path = ROOT) -> list[tuple[str, str]]:
    """(slug, text) of every named query that runs locally."""
    from server import syntax
    from server.catalog import load_catalog
    from server.store import QUERY_PREFIXES

    return [(q.slug, q.text) for q in load_catalog(root / "queries") if not syntax.analyze(q.text, QUERY_PREFIXES).services]


def start_server(build_dir: str | None = None, serve_args: tuple[str, ...] = (), log: Path | None = None) -> tuple[subprocess.Popen, str]:
    """`rakg serve` on a free loopback port; returns (process, base URL) once it answers."""
    port = free_port()
    environment = dict(os.environ)
    if build_dir:
        environment["RAKG_BUILD_DIR"] = build_dir
    out = open(log, "wb") if log else subprocess.DEVNULL
    try:
        process = subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *serve_args],
                                   cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        if log:
            out.close()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600  # it may build first
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}" + (f"; see {log}" if log else ""))
        try:
            if get(base, "ASK {}")[0] == 200:
                return process, base
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("the server did not answer within 600 s")


def stop_server(process: subprocess.Popen) -> int:
    """SIGTERM (gunicorn stops gracefully); returns the exit code."""
    process.terminate()
    try:
        return process.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        return process.wait(10)


def get(base: str, query: str, connection: http.client.HTTPConnection | None = None, timeout: float = 120) -> tuple[int, bytes]:
    """GET /sparql?query=...; returns (status, body)."""
    parsed = urllib.parse.urlsplit(base)
    own = connection is None
    if own:
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    try:
        connection.request("GET", "/sparql?" + urllib.parse.urlencode({"query": query}),
                           headers={"Accept": "application/sparql-results+json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        if own:
            connection.close()


def rss_mb(pid: int) -> tuple[float, int]:
    """Total resident memory of ``pid``'s process tree in MB, and the number of processes."""
    return memory_mb(pid, "VmRSS"), len(descendants(pid))


def fast_queries(queries: list[tuple[str, str]], graph: Path, max_seconds: float) -> tuple[list[tuple[str, str]], dict]:
    """The queries that answer within ``max_seconds`` alone, timed in the server's own killable query workers
    (server.web.executor), so that a slow one costs ``max_seconds``, not its whole run."""
    from server.errors import RakgError
    from server.web.executor import QueryPool
    from server.web.jobs import Job, StoreSpec
    from server.store import open_store

    spec = StoreSpec(files=(str(graph),))
    pool = QueryPool(spec, open_store(spec), size=2, timeout=max_seconds)
    kept, dropped = [], {}
    try:
        for slug, text in queries:
            try:
                pool.run(Job(text, None, None, 10000, False))
            except RakgError as error:
                dropped[slug] = f"{error.status} ({error.message[:60]})"
                continue
            kept.append((slug, text))
    finally:
        pool.close()
    return kept, dropped


def warm_up(base: str, queries: list[tuple[str, str]], connections: int) -> None:
    """Send every query over ``connections`` keep-alive connections at once, so that every answer is in the
    server's result cache afterwards."""
    parsed = urllib.parse.urlsplit(base)
    pool = [http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=600) for _ in range(connections)]
    try:
        for _, text in queries:
            threads = [threading.Thread(target=get, args=(base, text, connection)) for connection in pool]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        for connection in pool:
            connection.close()


def load(base: str, queries: list[tuple[str, str]], clients: int, duration: float) -> dict:
    """``clients`` threads send the mix for ``duration`` seconds; returns the counts and latencies."""
    parsed = urllib.parse.urlsplit(base)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(offset: int) -> None:
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
        mine, failures, index = [], {}, offset
        start.wait()
        while time.monotonic() < stop_at[0]:
            slug, text = queries[index % len(queries)]
            index += 1
            began = time.monotonic()
            try:
                status, _ = get(base, text, connection)
            except (OSError, http.client.HTTPException) as exc:
                status = type(exc).__name__
                connection.close()
                connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
            mine.append(time.monotonic() - began)
            if status != 200:
                failures[f"{slug}: {status}"] = failures.get(f"{slug}: {status}", 0) + 1
        connection.close()
        with lock:
            latencies.extend(mine)
            for key, count in failures.items():
                errors[key] = errors.get(key, 0) + count

    threads = [threading.Thread(target=client, args=(i * 7,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.monotonic() + duration
    began = time.monotonic()
    start.wait()
    for thread in threads:
        thread.join(duration + 180)
    elapsed = time.monotonic() - began
    ordered = sorted(latencies)

    def percentile(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000 if ordered else float("nan")

    return {
        "tool": "python", "clients": clients, "seconds": round(elapsed, 1), "requests": len(latencies), "errors": sum(errors.values()),
        "error_kinds": errors, "requests_per_second": round(len(latencies) / elapsed, 1),
        "latency_ms": {"p50": round(percentile(50), 1), "p90": round(percentile(90), 1), "p99": round(percentile(99), 1),
                       "max": round(ordered[-1] * 1000, 1) if ordered else None,
                       "mean": round(statistics.fmean(ordered) * 1000, 1) if ordered else None},
    }


WRK_MIX = """
local paths = {{ {paths} }}
local counter = 0
wrk.headers["Accept"] = "application/sparql-results+json"
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,'
    .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%d}}\\n', summary.requests, summary.duration, e.connect, e.read,
    e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


def load_wrk(base: str, queries: list[tuple[str, str]], clients: int, duration: float) -> dict:
    """Debian's wrk (2 threads, ``clients`` connections) sends the mix round-robin for ``duration`` seconds."""
    import tempfile

    paths = ", ".join("[==[/sparql?" + urllib.parse.urlencode({"query": text}) + "]==]" for _, text in queries)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(WRK_MIX.format(paths=paths))
    try:
        run = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{max(1, round(duration))}s", "--timeout", "60s", "-s", handle.name, base + "/"],
                             capture_output=True, text=True, check=True)
    finally:
        Path(handle.name).unlink()
    result = json.loads(run.stdout.strip().splitlines()[-1])
    seconds = result["duration_us"] / 1e6
    errors = {kind: result[kind] for kind in ("connect", "read", "write", "status", "timeout") if result[kind]}
    return {
        "tool": "wrk", "clients": clients, "seconds": round(seconds, 1), "requests": result["requests"], "errors": sum(errors.values()),
        "error_kinds": errors, "requests_per_second": round(result["requests"] / seconds, 1),
        "latency_ms": {key: round(result[f"{key}_us"] / 1000, 1) for key in ("p50", "p90", "p99", "max", "mean")},
    }


def run(clients: int = 50, duration: float = 60, url: str | None = None, pid: int | None = None, build_dir: str | None = None,
        serve_args: tuple[str, ...] = (), max_query_seconds: float | None = None, connections: int = 8, log: Path | None = None,
        tool: str = "python") -> dict:
    """Start a server unless ``url`` is given, warm it up, load it, measure its memory; returns the report."""
    began = time.monotonic()
    queries, dropped = named_queries(), {}
    if max_query_seconds is not None:
        graph = Path(build_dir or os.environ.get("RAKG_BUILD_DIR") or ROOT / "build") / "current" / "graph.nq"
        queries, dropped = fast_queries(queries, graph, max_query_seconds)
    if not queries:
        raise RuntimeError(f"no named query left in the mix: {dropped}")
    process = None
    if url is None:
        process, url = start_server(build_dir, serve_args, log)
        pid = process.pid
    try:
        started = time.monotonic()
        warm_up(url, queries, connections)
        preparation = {"server_start_and_selection_s": round(started - began, 1), "warm_up_s": round(time.monotonic() - started, 1)}
        before = rss_mb(pid) if pid else (None, 0)
        report = (load_wrk if tool == "wrk" else load)(url, queries, clients, duration)
        after = rss_mb(pid) if pid else (None, 0)
        report.update(queries=len(queries), dropped=dropped, preparation=preparation, rss_mb_start=round(before[0], 1) if before[0] else None,
                      rss_mb_end=round(after[0], 1) if after[0] else None, processes=after[1])
    finally:
        if process is not None:
            report_exit = stop_server(process)
    if process is not None:
        report["server_exit_code"] = report_exit
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--url", help="load this server instead of starting one")
    parser.add_argument("--pid", type=int, help="with --url: the server's (gunicorn master's) pid, for its memory")
    parser.add_argument("--serve-args", default="", help="extra `rakg serve` options for the server it starts, e.g. '--workers 1'")
    parser.add_argument("--max-query-seconds", type=float, help="leave queries slower than this (alone, timed first in-process) out of the mix")
    parser.add_argument("--json", type=Path, help="also write the report here")
    parser.add_argument("--tool", choices=("python", "wrk"), default="python",
                        help="the load generator: Python client threads (default) or Debian's wrk (2 threads, one connection per client)")
    args = parser.parse_args(argv)
    report = run(args.clients, args.duration, args.url, args.pid, serve_args=tuple(args.serve_args.split()),
                 max_query_seconds=args.max_query_seconds, tool=args.tool)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0 if report["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
