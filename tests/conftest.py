"""Shared fixtures: the repository built once per session, the CLI runner, live servers, listening sockets and the
generator of SERVICE-hiding queries."""

from __future__ import annotations

import itertools
import random
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.build.pipeline import build, load_sources
from server.releases import open_built_store
from server.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The repository built into a temporary build folder (warnings are checked by test_validation)."""
    build_dir = tmp_path_factory.mktemp("build")
    result = build(ROOT, build_dir)
    return result, build_dir


@pytest.fixture(scope="session")
def settings(built):
    _, build_dir = built
    return load_settings({"build_dir": str(build_dir)})


@pytest.fixture(scope="session")
def store(settings):
    return open_built_store(settings)


@pytest.fixture(scope="session")
def sources():
    return load_sources(ROOT)


@pytest.fixture(scope="session")
def exceptions():
    """The reviewed exceptions of the date audit and the number test (tests/date-exceptions.toml): a list of entries
    (``fact``, ``test``, ``reason``) and a function giving one test's excused facts (full IRI -> reason)."""
    import tomllib

    from server.namespaces import ID

    entries = tomllib.loads((ROOT / "tests" / "date-exceptions.toml").read_text(encoding="utf-8")).get("exception", [])

    def expand(name: str) -> str:
        return str(ID["fact/"]) + name.removeprefix("fact:") if name.startswith("fact:") else name

    def of(test: str) -> dict[str, str]:
        return {expand(e["fact"]): e.get("reason", "") for e in entries if e.get("test") == test}

    of.entries, of.expand = entries, expand
    return of


@pytest.fixture
def runner(settings, monkeypatch):
    monkeypatch.setenv("RAKG_BUILD_DIR", settings.build_dir)
    return CliRunner()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(settings, *args: str, env: dict | None = None):
    """Start `rakg serve` (production settings) on a free loopback port; return (process, base URL)."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    port = _free_port()
    command = [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--threads", "4", *args]
    environment = {**os.environ, "RAKG_BUILD_DIR": settings.build_dir, **(env or {})}
    import tempfile

    log = tempfile.NamedTemporaryFile(prefix="rakg-serve-", suffix=".log", delete=False)
    process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    process.log_path = log.name
    log.close()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {Path(process.log_path).read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(base + "/sparql?query=ASK%7B%7D", timeout=2):
                return process, base
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("server did not start within 120 s")


def stop_server(process) -> None:
    process.terminate()
    try:
        process.wait(20)
    except Exception:
        process.kill()


@pytest.fixture(scope="session")
def live_server(settings):
    """`rakg serve` on 127.0.0.1 over the session's build; yields the base URL."""
    process, base = start_server(settings)
    yield base
    stop_server(process)


@pytest.fixture(scope="session")
def server_factory(settings):
    """Start extra `rakg serve` instances with other options: ``base = server_factory("--max-rows", "5")``.
    They are stopped at the end of the session."""
    started = []

    def start(*args: str, env: dict | None = None) -> str:
        process, base = start_server(settings, *args, env=env)
        started.append(process)
        return base

    yield start
    for process in started:
        stop_server(process)


@pytest.fixture(scope="session")
def oxigraph_factory(tmp_path_factory):
    """Start real `oxigraph serve` instances (the PyPI package's CLI) on loopback; returns (base URL, location)."""
    import shutil
    import subprocess
    import time
    import urllib.request

    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    started = []

    def start(load: Path | None = None, read_only: bool = False) -> str:
        location = tmp_path_factory.mktemp("oxigraph")
        if load is not None:
            subprocess.run([binary, "load", "--location", str(location), "--file", str(load)], check=True, capture_output=True)
        port = _free_port()
        command = [binary, "serve-read-only" if read_only else "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                with urllib.request.urlopen(base + "/query?query=ASK%7B%7D", timeout=2):
                    return base
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("oxigraph did not start")

    yield start
    for process in started:
        process.terminate()
        process.wait(10)


class Listener:
    """A TCP server on 127.0.0.1 that records every connection; ``respond`` makes it answer as a SPARQL endpoint."""

    EMPTY_RESULT = b'{"head":{"vars":[]},"results":{"bindings":[{}]}}'

    def __init__(self, respond: bool = False):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(64)
        self.port = self.socket.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.connections: list[bytes] = []
        self.respond = respond
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.socket.accept()
            except OSError:
                return
            with client:
                client.settimeout(2)
                try:
                    self.connections.append(client.recv(65536))
                    if self.respond:
                        client.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\nContent-Length: "
                                       + str(len(self.EMPTY_RESULT)).encode() + b"\r\nConnection: close\r\n\r\n" + self.EMPTY_RESULT)
                except OSError:
                    self.connections.append(b"")

    def quiet(self) -> bool:
        time.sleep(0.2)  # a connection attempt would have been made while the request ran; let accept() see it
        return not self.connections

    def close(self) -> None:
        self.socket.close()


class LoopbackClient:
    """A keep-alive HTTP client that connects from its own loopback address (127.0.0.0/8 is all local), so that the
    server sees it as a client of its own: ``LoopbackClient(base, "127.0.0.12").get(query)`` -> (status, headers, body)."""

    def __init__(self, base: str, address: str, timeout: float = 60):
        import http.client

        host, port = base.split("//")[1].split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=timeout, source_address=(address, 0))

    def get(self, query: str, path: str = "/sparql", headers: dict | None = None) -> tuple[int, dict, bytes]:
        from urllib.parse import urlencode

        self.connection.request("GET", f"{path}?{urlencode({'query': query})}", headers=headers or {})
        response = self.connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()

    def close(self) -> None:
        self.connection.close()


@pytest.fixture(scope="session")
def loopback_client():
    """The class :class:`LoopbackClient`."""
    return LoopbackClient


@pytest.fixture(scope="session")
def listening_socket():
    """A function that opens a :class:`Listener` (closed at the end of the session)."""
    opened = []

    def open_listener(respond: bool = False) -> Listener:
        opened.append(Listener(respond))
        return opened[-1]

    yield open_listener
    for listener in opened:
        listener.close()


# The pieces of a SERVICE clause and of what surrounds it, each written in ways the engine's parser reads alike
# or that a text-level check misreads: a '<' that is a comparison (and a '#>' that then closes no IRI), comments
# and strings holding the keyword, escapes in IRIs and names, keywords that touch the next token, prefixes named
# SILENT, relative IRIs under BASE, variables bound to the target.
SERVICE_PIECES = {
    "before": ["", "?s ?p ?o .", "?s ?p ?o", "FILTER(1<2)", "FILTER(?s<?o)", "FILTER(?s<?o&&?p>?o)", "BIND(1<2 AS ?x)",
               "FILTER(1 <2)#>\n", "{ }", "OPTIONAL { ?s ?p ?o }", "VALUES ?e { <{url}> }", "BIND(<{url}> AS ?e)",
               "?s ?p 'SERVICE <{url}>'", "# SERVICE <http://e/>\n", '?s ?p """x""".', "MINUS { ?s ?p ?o }",
               "?s ex:a\\' ?o .", "?s ex:a\\# ?o", "?s ?p ?o.", "FILTER(?o != '#>')"],
    "keyword": ["SERVICE", "service", "SeRvIcE"],
    "blank": [" ", "", "\n", "#c\n", "#>\n", "\t"],
    "silent": ["", "SILENT ", "silent", "SILENT"],
    "target": ["<{url}>", "<{url}sparql>", "ex:", "ex:sparql", ":x", "SILENT:a", "ex:a\\.b", "ex:a%20", "<sparql>",
               "<{escaped}>", "?e", "$e"],
    "after": ["", "FILTER(?o != 'x')", ". ?s ?p ?o", "#>\n"],
}


def service_variants(url: str, count: int = 1200, seed: int = 16) -> list[str]:
    """``count`` queries (drawn reproducibly from every combination of SERVICE_PIECES) that call ``url``, an
    http://127.0.0.1:PORT/ address, if the engine runs them; the first is the bypass of the text-level check
    reported in issue 16."""
    escaped = url.replace(":", "\\u003a", 2).replace("\\u003a", ":", 1)  # the port's colon as an IRI escape
    prologue = f"PREFIX ex: <{url}> PREFIX : <{url}> PREFIX SILENT: <{url}> BASE <{url}> "
    combinations = list(itertools.product(*SERVICE_PIECES.values()))
    random.Random(seed).shuffle(combinations)
    queries = [f"PREFIX : <{url}> SELECT * {{ FILTER(1<2)SERVICE:x#>\n{{ ?a ?b ?c }} }}"]
    for before, keyword, blank, silent, target, after in combinations[:count - 1]:
        body = f"{before}{keyword}{blank}{silent}{blank}{target} {{ ?a ?b ?c }} {after}"
        queries.append(prologue + "SELECT * WHERE { " + body.replace("{url}", url).replace("{escaped}", escaped) + " }")
    return queries


@pytest.fixture(scope="session")
def service_hiding_queries():
    """The generator :func:`service_variants`."""
    return service_variants
