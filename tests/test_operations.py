"""Operations: a new build is served after SIGHUP without dropping in-flight requests; SIGTERM stops gracefully.

The server runs over its own build folder (a copy of the session's build).  While it serves, a modified copy of
the sources (one extra fact) is built into that folder with `python -m server.cli build` (RAKG_ROOT and
RAKG_BUILD_DIR set), which switches build/current atomically.  SIGHUP makes the supervisor start a new serving
process (its create_app reads build/current again) and stop the old one gracefully: a long query started before the reload
completes, short queries sent throughout all succeed, and the new fact is served.  SIGTERM lets an in-flight
query complete and the server exits 0.  A build that fails (a broken Turtle file) leaves build/current as it
was, and the server keeps serving it, also across a SIGHUP.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
EXTRA_LABEL = "Rossiyskaya Federatsiya (reload test)"
EXTRA_FACT = f"""@prefix state: <https://w3id.org/rakg/id/state/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .

state:russia skos:altLabel "{EXTRA_LABEL}"@en .
"""
HAS_EXTRA_FACT = f'ASK {{ state:russia skos:altLabel "{EXTRA_LABEL}"@en }}'


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(build_dir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
               "--workers", "3", "--threads", "4", "--max-client-queries", "0", "--query-timeout", "60"]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "RAKG_BUILD_DIR": str(build_dir)}, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")[-2000:]
        try:
            if requests.get(base + "/sparql", params={"query": "ASK {}"}, timeout=5).status_code == 200:
                return process, base
        except requests.ConnectionError:
            time.sleep(0.3)
    process.kill()
    raise AssertionError("the server did not start")


def ask(base: str, query: str) -> bool:
    response = requests.get(base + "/sparql", params={"query": query + f" # {uuid.uuid4()}"}, timeout=60)
    assert response.status_code == 200, response.text
    return response.json()["boolean"]


def long_query(rows: int) -> str:
    """A query that counts ``rows`` x (the triples of the default graph) rows: as long as we like, and it succeeds."""
    return f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c VALUES ?x {{ {' '.join(map(str, range(rows)))} }} }} # {uuid.uuid4()}"


def calibrated(base: str, seconds: float) -> str:
    """A long query that takes about ``seconds`` on this machine."""
    started = time.monotonic()
    requests.post(base + "/sparql", data={"query": long_query(200)}, timeout=60).raise_for_status()
    per_row = (time.monotonic() - started) / 200
    return long_query(max(200, min(20000, int(seconds / max(per_row, 1e-5)))))


class InFlight(threading.Thread):
    """A POST /sparql running in the background; .response, .started and .finished once done."""

    def __init__(self, base: str, query: str):
        super().__init__(daemon=True)
        self.base, self.query = base, query
        self.response, self.error = None, None
        self.start()
        self.started = time.monotonic()
        self.finished = None

    def run(self) -> None:
        try:
            self.response = requests.post(self.base + "/sparql", data={"query": self.query}, timeout=120)
        except requests.RequestException as exc:  # a dropped request
            self.error = exc
        self.finished = time.monotonic()


def master_and_workers(pid: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


@pytest.fixture(scope="module")
def served(built, tmp_path_factory):
    """One server for the module: the reload test first, then the stop test."""
    _, build_dir = built
    folder = tmp_path_factory.mktemp("operations")
    copy = folder / "build"
    shutil.copytree(build_dir, copy, symlinks=True)
    process, base = serve(copy, folder / "serve.log")
    yield process, base, copy
    if process.poll() is None:
        process.kill()
        process.wait(10)


def build_sources(sources: Path, build_dir: Path) -> subprocess.CompletedProcess:
    """`python -m server.cli build` of the sources in ``sources`` into ``build_dir``."""
    return subprocess.run([sys.executable, "-m", "server.cli", "build"], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "RAKG_ROOT": str(sources), "RAKG_BUILD_DIR": str(build_dir)})


def copy_sources(target: Path) -> Path:
    for folder in ("ontology", "data", "queries"):
        shutil.copytree(ROOT / folder, target / folder)
    return target


def test_a_failing_build_leaves_the_served_graph_untouched_even_after_sighup(served, tmp_path):
    process, base, build_dir = served
    before = os.path.realpath(build_dir / "current")
    sources = copy_sources(tmp_path / "sources")
    broken = sources / "data" / "entities" / "zz-broken.ttl"
    broken.write_text(EXTRA_FACT + "state:russia skos:altLabel \"unterminated .\n", encoding="utf-8")
    failed = build_sources(sources, build_dir)
    assert failed.returncode != 0 and "zz-broken.ttl" in failed.stderr + failed.stdout
    assert os.path.realpath(build_dir / "current") == before
    process.send_signal(signal.SIGHUP)  # a reload now must reopen the same, last good build
    time.sleep(3)
    assert ask(base, "ASK { state:russia a rakg:SovereignState }") is True
    assert ask(base, HAS_EXTRA_FACT) is False


def test_sighup_serves_a_new_build_without_dropping_in_flight_requests(served, tmp_path):
    process, base, build_dir = served
    assert ask(base, HAS_EXTRA_FACT) is False
    before = os.path.realpath(build_dir / "current")

    sources = copy_sources(tmp_path / "sources")
    (sources / "data" / "entities" / "zz-reload-test.ttl").write_text(EXTRA_FACT, encoding="utf-8")
    built = build_sources(sources, build_dir)
    assert built.returncode == 0, built.stderr[-3000:]
    assert os.path.realpath(build_dir / "current") != before
    assert ask(base, HAS_EXTRA_FACT) is False, "the running workers keep serving the build they opened"

    short_answers, stop = [], threading.Event()

    def short_requests() -> None:
        while not stop.is_set():
            try:
                short_answers.append(requests.get(base + "/sparql", params={"query": f"ASK {{ }} # {uuid.uuid4()}"}, timeout=60).status_code)
            except requests.RequestException as exc:
                short_answers.append(repr(exc))

    old_workers = set(master_and_workers(process.pid))
    in_flight = InFlight(base, calibrated(base, 3))
    traffic = threading.Thread(target=short_requests, daemon=True)
    traffic.start()
    time.sleep(1)
    process.send_signal(signal.SIGHUP)
    hup = time.monotonic()
    deadline = hup + 90
    while not ask(base, HAS_EXTRA_FACT):
        assert time.monotonic() < deadline, "the new build was not served after SIGHUP"
        time.sleep(0.3)
    served_after = time.monotonic() - hup
    in_flight.join(120)
    stop.set()
    traffic.join(60)
    assert in_flight.error is None and in_flight.response.status_code == 200, in_flight.error or in_flight.response.text
    assert int(in_flight.response.json()["results"]["bindings"][0]["n"]["value"]) > 0
    assert in_flight.finished > hup, "the long request was still running at the reload"
    assert short_answers and set(short_answers) == {200}, [a for a in short_answers if a != 200][:5]
    deadline = time.monotonic() + 20  # the old worker exits once its request is done (and its query workers stopped)
    while old_workers & set(master_and_workers(process.pid)):
        assert time.monotonic() < deadline, "the old worker did not exit after its last request"
        time.sleep(0.2)
    print(f"FIGURE reload: new build served {served_after:.1f} s after SIGHUP; a query started before it finished "
          f"{in_flight.finished - hup:.1f} s after; {len(short_answers)} short queries during the reload, all 200")


def test_sigterm_lets_the_in_flight_request_complete_and_exits_0(served):
    process, base, _ = served
    in_flight = InFlight(base, calibrated(base, 3))
    time.sleep(1)
    process.send_signal(signal.SIGTERM)
    term = time.monotonic()
    in_flight.join(120)
    assert in_flight.error is None and in_flight.response.status_code == 200, in_flight.error or in_flight.response.text
    assert in_flight.finished > term + 0.5, "the request was in flight when SIGTERM came"
    assert process.wait(60) == 0
    with pytest.raises(requests.ConnectionError):
        requests.get(base + "/sparql", params={"query": "ASK {}"}, timeout=5)
