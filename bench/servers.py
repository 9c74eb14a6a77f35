"""The servers under test: start, wait until ready, measure (load time, RSS, disk) and stop.

`ours` is ``rakg serve`` (production settings: the defaults of server/settings.py) over ``--data FILE``,
in memory or with ``--store DIR``; `oxigraph` is the ``oxigraph`` CLI of the same version as pyoxigraph,
``serve`` in memory (data POSTed to /store) or ``serve-read-only`` over a directory filled by ``oxigraph load``.
Oxigraph's time limit (``--timeout-s``) starts a watchdog thread per request that sleeps for the whole limit, so
under wrk's load thousands of them pile up until thread creation fails and the server dies.  Oxigraph therefore
runs twice on the same data: ``oxigraph-limit`` with our limit (30 s) answers the first run of each query, which
decides whether it is timed at all, and ``oxigraph`` without a limit is timed (only with queries known to finish).
Every process is started in its own session so that stopping it stops its whole tree (the serving process, the
zygote and the query workers).  With ``bench.run --rdflib`` a third server, `rdflib` (rdflib-endpoint, see bench/rdflib_peer.py),
loads the same file in memory; it has no time limit, so the harness stops waiting after QUERY_TIMEOUT and restarts it.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
QUERY_TIMEOUT = 30


@dataclass
class Server:
    name: str
    port: int
    path: str  # the SPARQL query endpoint
    process: subprocess.Popen
    log: Path
    facts: dict = field(default_factory=dict)  # start and load times, store size, RSS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """``pid`` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def memory_mb(pid: int, field_name: str = "VmHWM") -> float:
    """Sum over the process tree of VmHWM (peak resident set) or VmRSS, in MB."""
    total = 0
    for p in descendants(pid):
        try:
            with open(f"/proc/{p}/status") as handle:
                total += next((int(line.split()[1]) for line in handle if line.startswith(field_name + ":")), 0)
        except OSError:
            continue
    return round(total / 1024, 1)


def pss_mb(pid: int) -> float:
    """The process tree's memory in MB counted by PSS: each resident page once, shared pages divided among the
    processes that map them (the store that the serving process, the zygote and the query workers share counts
    once, where a sum of RSS counts it in every process)."""
    total = 0
    for p in descendants(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as handle:
                total += next((int(line.split()[1]) for line in handle if line.startswith("Pss:")), 0)
        except OSError:
            continue
    return round(total / 1024, 1)


def cpu_seconds(pid: int) -> float:
    total = 0
    for p in descendants(pid):
        try:
            with open(f"/proc/{p}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def wait_idle(pid: int, timeout: float = 600, window: float = 0.5, share: float = 0.05) -> float:
    """Wait until the process tree uses under ``share`` of one core over ``window`` seconds; returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = cpu_seconds(pid)
        time.sleep(window)
        if cpu_seconds(pid) - before < share * window:
            break
    return time.monotonic() - started


def probe(port: int, path: str) -> int:
    """Status of a trivial ASK on the endpoint, or 0 when nothing answers yet."""
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", f"{path}?query=ASK%7B%7D", headers={"Accept": "application/sparql-results+json"})
        status = connection.getresponse().status
        connection.close()
        return status
    except OSError:
        return 0


def _spawn(name: str, command: list[str], log_dir: Path, port: int, path: str) -> Server:
    log = log_dir / f"{name}-{port}.log"
    handle = open(log, "w")
    process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=ROOT, start_new_session=True)
    return Server(name, port, path, process, log)


def _wait_ready(server: Server, started: float, timeout: float = 3600) -> None:
    while probe(server.port, server.path) != 200:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}; see {server.log}")
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"{server.name} not ready after {timeout} s; see {server.log}")
        time.sleep(0.2)
    server.facts["first_answer_s"] = round(time.monotonic() - started, 2)
    wait_idle(server.process.pid)  # the store is loaded and the query workers started
    server.facts["ready_s"] = round(time.monotonic() - started, 2)
    server.facts["rss_after_load_mb"] = memory_mb(server.process.pid, "VmRSS")
    server.facts["pss_after_load_mb"] = pss_mb(server.process.pid)
    server.facts["processes"] = len(descendants(server.process.pid))


def timed(command: list[str]) -> dict:
    """Run a preparation command; its wall time and peak RSS (ru_maxrss of that process)."""
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{command[0]} failed with exit code {process.returncode}")
    return {"seconds": round(time.monotonic() - started, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def disk_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 1)


def start_ours(data: Path, log_dir: Path, store: Path | None = None) -> Server:
    """``rakg serve`` over ``data``; with ``store``, the on-disk store is prepared first (timed) unless it is current."""
    facts = {}
    if store is not None and not (store / "SOURCES").exists():
        code = "import sys; from pathlib import Path; from server.store import prepare_disk_store; prepare_disk_store(Path(sys.argv[1]), [Path(sys.argv[2])])"
        facts["prepare"] = timed([str(BIN / "python"), "-c", code, str(store), str(data.resolve())])
    port, started = free_port(), time.monotonic()
    command = [str(BIN / "rakg"), "serve", "--host", "127.0.0.1", "--port", str(port), "--data", str(data)]
    server = _spawn("ours", command + (["--store", str(store)] if store else []), log_dir, port, "/sparql")
    server.facts.update(facts)
    _wait_ready(server, started)
    if store is not None:
        server.facts["store_mb"] = disk_mb(store)
    return server


def start_oxigraph(data: Path, log_dir: Path, store: Path | None = None, limit: bool = False) -> Server:
    """``oxigraph serve`` in memory with ``data`` POSTed to /store, or ``serve-read-only`` over the directory of
    ``oxigraph load`` and ``oxigraph optimize``;
    with ``limit``, queries stop after QUERY_TIMEOUT seconds."""
    port, oxigraph, facts = free_port(), str(BIN / "oxigraph"), {}
    if store is not None:
        if not (store / "CURRENT").exists():
            facts["load"] = timed([oxigraph, "load", "--location", str(store), "--file", str(data)])
            # serve-read-only never compacts, and oxigraph advises `optimize` for a read-only endpoint under load
            # (ours optimizes its store when it prepares it)
            facts["optimize"] = timed([oxigraph, "optimize", "--location", str(store)])
        command = [oxigraph, "serve-read-only", "--location", str(store)]
    else:
        command = [oxigraph, "serve"]
    started = time.monotonic()
    name = "oxigraph-limit" if limit else "oxigraph"
    server = _spawn(name, command + ["--bind", f"127.0.0.1:{port}"] + (["--timeout-s", str(QUERY_TIMEOUT)] if limit else []), log_dir, port, "/query")
    server.facts.update(facts)
    if store is None:
        while probe(port, "/query") != 200:
            time.sleep(0.1)
        load_started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3600)
        with open(data, "rb") as body:
            connection.request("POST", "/store", body=body, headers={"Content-Type": "application/n-quads", "Content-Length": str(data.stat().st_size)})
            response = connection.getresponse()
            response.read()
        if response.status >= 300:
            raise RuntimeError(f"oxigraph refused the data: HTTP {response.status}")
        server.facts["load"] = {"seconds": round(time.monotonic() - load_started, 2), "via": "POST /store"}
    _wait_ready(server, started)
    if store is not None:
        server.facts["store_mb"] = disk_mb(store)
    return server


def start_rdflib(data: Path, log_dir: Path) -> Server:
    """rdflib-endpoint over ``data`` in memory (bench/rdflib_peer.py); ready once it answers and has gone idle."""
    port, started = free_port(), time.monotonic()
    command = [str(BIN / "python"), "-m", "bench.rdflib_peer", str(data), "--port", str(port)]
    server = _spawn("rdflib", command, log_dir, port, "/sparql")
    _wait_ready(server, started)
    return server


def stop(server: Server, grace: float = 30) -> None:
    """Record the peak RSS of the tree (the highest of its runs, for a server restarted with the same facts), then stop
    the session that was started for it, killing it after ``grace`` seconds."""
    server.facts["peak_rss_mb"] = max(server.facts.get("peak_rss_mb", 0), memory_mb(server.process.pid, "VmHWM"))
    server.facts["pss_at_stop_mb"] = pss_mb(server.process.pid)
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 10)):
        try:
            os.killpg(server.process.pid, sig)
        except ProcessLookupError:
            break
        try:
            server.process.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue
