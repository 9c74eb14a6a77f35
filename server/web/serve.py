"""`rakg serve`: a small supervisor over one serving process (server/web/front.py).

`rakg serve` builds the graph first when the sources changed since the last good build; if that build fails it
says why and serves the last good build instead (a broken commit is not an outage), and only with no build at all
does it give up (build.build_if_stale, called by the command line: the web service never imports the build).  The
supervisor binds the listening socket once and starts the serving process with it.  SIGHUP starts a new serving
process over the current build and, once that one answers, stops the old one gracefully: its requests in flight
finish, no connection is refused meanwhile.  SIGTERM and SIGINT stop the serving process gracefully and exit 0.  A
serving process that dies is started again.  The supervisor imports little and holds no data.
"""

from __future__ import annotations

import dataclasses
import json
import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ..errors import ConfigError, RakgError
from ..settings import Settings

READY_WAIT = 300.0  # seconds a new serving process may take to open the store and answer (a 10 M-triple store on disk)


def run(settings: Settings, echo=print) -> None:
    """Serve the last good build (or the files of the `data` setting) until SIGTERM or SIGINT; `rakg serve` builds
    first when the sources changed (build.build_if_stale).

    Raises ConfigError when the address cannot be listened on, RakgError when the serving process cannot start.
    """
    if settings.store != "memory" and not settings.store.startswith(("http://", "https://")):
        from ..releases import current_build
        from ..store import prepare_disk_store

        files = settings.data_files or [current_build(settings.build_path) / "graph.nq"]
        echo(f"preparing the on-disk store in {settings.store} ...")
        prepare_disk_store(Path(settings.store), files)
    try:
        listener = socket.create_server((settings.host, settings.port), backlog=2048)
    except OSError as error:
        raise ConfigError(f"cannot listen on {settings.host}:{settings.port}: {error.strerror}", where="host, port") from None
    listener.set_inheritable(True)
    echo(f"serving on http://{settings.host}:{settings.port}/ (SPARQL endpoint: /sparql)")
    Supervisor(listener, dataclasses.asdict(settings), echo, grace=settings.query_timeout * 2 + 10).run()


class Supervisor:
    """Starts serving processes on ``listener`` with ``settings`` (every setting, resolved: the TOML file and the
    environment were read once, here) and keeps one running."""

    def __init__(self, listener: socket.socket, settings: dict, echo, grace: float):
        self.listener, self.settings, self.echo, self.grace = listener, settings, echo, grace
        self.signals: list[int] = []
        self.retiring: list[subprocess.Popen] = []

    def run(self) -> None:
        for signum in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda signum, _frame: self.signals.append(signum))
        current = self._start()
        while True:
            time.sleep(0.1)
            self.retiring = [p for p in self.retiring if p.poll() is None]
            while self.signals:
                signum = self.signals.pop(0)
                if signum == signal.SIGHUP:
                    current = self._reload(current)
                else:
                    return self._stop([current, *self.retiring])
            if current.poll() is not None:
                self.echo(f"the serving process ended (exit code {current.returncode}); starting another")
                time.sleep(1)
                current = self._start()

    def _start(self) -> subprocess.Popen:
        """A serving process on the listening socket, once it answers.  Raises RakgError when it cannot start."""
        read_end, write_end = os.pipe()
        command = [sys.executable, "-m", "server.web.front", "--listen-fd", str(self.listener.fileno()), "--ready-fd", str(write_end),
                   "--settings", json.dumps(self.settings)]
        process = subprocess.Popen(command, pass_fds=(self.listener.fileno(), write_end))
        os.close(write_end)
        try:
            ready, _, _ = select.select([read_end], [], [], READY_WAIT)
            if not ready or os.read(read_end, 16) != b"ready\n":
                process.kill()
                process.wait()
                raise RakgError(f"the serving process did not start (exit code {process.returncode}); see the log above")
        finally:
            os.close(read_end)
        return process

    def _reload(self, current: subprocess.Popen) -> subprocess.Popen:
        self.echo("reloading: starting a serving process over the current build ...")
        try:
            new = self._start()
        except RakgError as error:
            self.echo(f"reload failed, the current serving process goes on: {error}")
            return current
        current.terminate()  # it stops accepting and lets its requests in flight finish
        self.retiring.append(current)
        self.echo(f"reloaded: serving process {new.pid} answers, {current.pid} finishes its requests")
        return new

    def _stop(self, processes: list[subprocess.Popen]) -> None:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + self.grace + 5
        for process in processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.listener.close()
