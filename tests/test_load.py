"""Load: 50 concurrent clients for 10 s on loopback against the named-query mix, with 0 errors and flat memory.

The CI version of `bench/load.py` (whose default is 60 s: ``.venv/bin/python -m bench.load --tool wrk``); the load
generator is Debian's wrk (installed by the README's test command), 50 connections on 2 threads.  The server is
`rakg serve` (2 query workers, 4 request threads, no cap on one client's concurrent queries: wrk's 50 connections
all come from 127.0.0.1) over the session's build; the mix is
every named query that runs locally and answers within 0.5 s alone (timed first in a killable query worker, so
that the slow ones cost 0.5 s each and the warm-up stays short).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def bench_load():
    """bench/ is not an installed package: import it from the repository root, as `python -m bench.load` does."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("bench.load")


def test_fifty_clients_for_ten_seconds_without_errors_and_with_flat_memory(settings, tmp_path):
    load = bench_load()
    report = load.run(clients=50, duration=10, build_dir=settings.build_dir, max_query_seconds=0.5,
                      serve_args=("--workers", "2", "--threads", "4", "--max-client-queries", "0"), log=tmp_path / "serve.log", tool="wrk")
    summary = (f"{report['requests']} requests from {report['clients']} clients in {report['seconds']} s "
               f"({report['requests_per_second']}/s), {report['errors']} errors, p50 {report['latency_ms']['p50']} ms, "
               f"p99 {report['latency_ms']['p99']} ms, max {report['latency_ms']['max']} ms; RSS of {report['processes']} processes "
               f"{report['rss_mb_start']} MB -> {report['rss_mb_end']} MB; {report['queries']} queries in the mix")
    print(f"FIGURE load (10 s): {summary}")
    if os.environ.get("RAKG_FIGURES"):
        with open(os.environ["RAKG_FIGURES"], "a", encoding="utf-8") as out:
            out.write(json.dumps({"name": "load (10 s)", "value": report}) + "\n")
    assert report["errors"] == 0, report["error_kinds"]
    assert report["requests"] > 500 and report["queries"] >= 20, report
    assert report["rss_mb_end"] <= report["rss_mb_start"] * 1.1 + 20, "memory grew under load"
    assert report["server_exit_code"] == 0
