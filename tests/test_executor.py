"""server/web/executor.py and server/web/zygote.py through a real `rakg serve`: one copy of the data for all the query
workers, and a memory ceiling for the whole server that eight clients asking for huge answers at once cannot break."""

from __future__ import annotations

import importlib
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Each row: a label quadrupled five times (about 1 000 times its length): 10 000 rows would be hundreds of MB.
HUGE = ("SELECT ?s ?l5 WHERE { ?s rdfs:label ?l0 BIND(CONCAT(?l0, ?l0, ?l0, ?l0) AS ?l1) BIND(CONCAT(?l1, ?l1, ?l1, ?l1) AS ?l2) "
        "BIND(CONCAT(?l2, ?l2, ?l2, ?l2) AS ?l3) BIND(CONCAT(?l3, ?l3, ?l3, ?l3) AS ?l4) BIND(CONCAT(?l4, ?l4, ?l4, ?l4) AS ?l5) } # {}")


def bench_servers():
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module("bench.servers")


def serve_pid(base: str) -> int:
    """The pid of the `rakg serve` supervisor listening on ``base``'s port (a child of this test process)."""
    import os

    port = base.rsplit(":", 1)[1].encode()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            parts = cmdline.read_bytes().split(b"\0")
            parent = int(Path(cmdline.parent, "stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if b"serve" in parts and port in parts and parent == os.getpid():
            return int(cmdline.parent.name)
    raise AssertionError(f"no rakg serve on port {port!r}")


def test_eight_huge_answers_at_once_keep_the_server_under_its_memory_limit(server_factory, loopback_client):
    servers = bench_servers()
    base = server_factory("--workers", "3", "--threads", "8", "--max-client-queries", "0", "--query-timeout", "20")
    pid = serve_pid(base)
    idle = servers.pss_mb(pid)
    peak, results, stop = idle, [], threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, servers.pss_mb(pid))
            time.sleep(0.1)

    def ask(number: int) -> None:
        client = loopback_client(base, f"127.0.0.{100 + number}", timeout=120)
        status, headers, body = client.get(HUGE.replace("{}", str(number)))
        results.append((status, headers.get("X-Result-Truncated", ""), len(body)))
        client.close()

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    clients = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(180)
    stop.set()
    sampler.join()
    print(f"FIGURE eight huge answers at once: server memory (PSS of the process tree) {idle:.0f} MB idle, "
          f"{peak:.0f} MB at peak (limit 2000 MB); answers {sorted(results)}")
    assert len(results) == 8 and peak < 2000
    for status, truncated, size in results:
        assert (status == 200 and truncated == "true; bytes=32000000" and size <= 32_000_000) or status == 503, (status, truncated, size)


def test_the_query_workers_share_one_copy_of_the_store(live_server):
    """The serving process holds the store; the zygote and the workers add only what they write (PSS counts a page
    shared by n processes as 1/n in each)."""
    servers = bench_servers()
    pid = serve_pid(live_server)
    tree = servers.descendants(pid)
    rss = servers.memory_mb(pid, "VmRSS")
    pss = servers.pss_mb(pid)
    print(f"FIGURE memory of the served chapter graph: {len(tree)} processes, RSS summed {rss:.0f} MB, PSS {pss:.0f} MB")
    assert len(tree) >= 4 and pss < 0.6 * rss


def test_a_worker_that_has_copied_much_of_the_store_is_replaced_by_a_fresh_fork(server_factory, loopback_client):
    """Reading an in-memory store writes to the pages read: a worker past worker_retire_mb of its own memory after
    a job is replaced (its answer still delivered); with the default, cheap queries keep the same worker."""
    servers = bench_servers()
    scan = "SELECT (COUNT(*) AS ?n) (SAMPLE(STR(?o)) AS ?any) WHERE { ?s ?p ?o } # {}"
    for retire, replaced in (("1", True), ("64", False)):
        base = server_factory("--workers", "1", "--worker-retire-mb", retire, "--inline-seconds", "0")
        pid = serve_pid(base)
        client = loopback_client(base, "127.0.0.55")
        workers, counts = [], set()
        for number in range(3):
            status, _, body = client.get(scan.replace("{}", str(number)) if replaced else "ASK { ?s ?p ?o } # " + str(number))
            assert status == 200
            counts.add(body)
            workers.append(max(servers.descendants(pid)))  # the newest process of the tree: the worker
        client.close()
        assert len(counts) == 1  # the same answer each time
        assert (len(set(workers)) == 3) is replaced, workers
