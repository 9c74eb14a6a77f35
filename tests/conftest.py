"""Shared fixtures: the repository built once per session, the CLI runner."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from server.build import build, load_sources
from server.catalog import open_built_store
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
    """Start `rakg serve` (gunicorn, production settings) on a free loopback port; return (process, base URL)."""
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    port = _free_port()
    command = [sys.executable, "-m", "server.cli", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1", "--threads", "2", *args]
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
