"""The HTTP server of `rakg serve`: HTTP/1.1 on asyncio (uvloop, the httptools parser) in front of the Flask app.

A connection (server/web/connection.py) costs a few kilobytes and no thread until its request is complete, so clients
that are slow or send nothing cannot starve the server; one client (address) may hold ``max_client_connections``
connections (``max_connections`` in all), beyond which the server answers 503 in the one error shape and closes.
Only a complete request takes one of the ``threads`` request threads, which run the WSGI app.

``run(settings, listen_fd, ready_fd)`` is the serving process that server/web/serve.py starts: it opens the store and
forks the query workers' zygote before any thread starts (create_app), serves on a thread of its own (arena.py) until
SIGTERM, then stops accepting, lets the requests in flight finish (at most ``query_timeout`` * 2 + 10 seconds) and
exits 0.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import signal
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from .arena import run_on_own_thread
from .connection import HttpConnection

log = logging.getLogger("rakg.http")


class AccessLog:
    """One line per request, written in batches (a write per request costs a system call and the logging module's
    locks): lines are kept in memory and written by the event loop every FLUSH seconds, and when the server stops."""

    FLUSH = 0.25

    def __init__(self, stream):
        self.stream, self.lines = stream, []
        self.second, self.stamp = 0, ""

    def __call__(self, client: str, method: str, url: bytes, version: str, status, seconds: float) -> None:
        self.lines.append(f'{self._now()} access {client} "{method} {url[:200].decode("latin-1")} '
                          f'HTTP/{version}" {status} {seconds * 1000:.1f}ms\n')  # list.append is atomic: threads may call

    def _now(self) -> str:
        """The time of day, formatted once a second."""
        now = int(time.time())
        if now != self.second:
            self.second, self.stamp = now, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
        return self.stamp

    def flush(self) -> None:
        lines, self.lines = self.lines, []
        if lines:
            self.stream.write("".join(lines))
            self.stream.flush()


class Server:
    """The connections, their limits and the request threads of one serving process."""

    def __init__(self, app, settings):
        self.app, self.settings = app, settings
        self.fast = getattr(app.wsgi_app, "reply", None)  # api.FastPath: answers in the event loop (see HttpConnection._start)
        self.access = AccessLog(sys.stderr)
        self.threads = ThreadPoolExecutor(settings.threads, thread_name_prefix="rakg-request")
        # Known queries of at most LOOP_SECONDS that arrive together run here, on threads of their own: requests that
        # wait for a query worker in the request threads never hold them up (see HttpConnection._start).
        self.engine = ThreadPoolExecutor(os.cpu_count() or 2, thread_name_prefix="rakg-engine")
        self.per_client: dict[str, int] = {}
        self.connections: set[HttpConnection] = set()
        self.in_flight = 0
        self.fast_pending = 0  # GETs between their arrival and the fast path's answer (in the loop or on self.engine)
        self.buffered = 0  # bytes of answers written to connections and not yet sent (an upper bound between recounts)
        self.buffer_budget = settings.threads * settings.max_result_bytes  # the answers memory_limit counts in flight
        self.loop: asyncio.AbstractEventLoop | None = None
        self.listener: asyncio.AbstractServer | None = None

    async def start(self, sock: socket.socket) -> None:
        self.loop = asyncio.get_running_loop()
        self.listener = await self.loop.create_server(lambda: HttpConnection(self), sock=sock, backlog=2048)
        self.loop.call_later(1, self._recount)
        self.loop.call_later(AccessLog.FLUSH, self._flush_log)

    def _recount(self) -> None:
        """Count again the bytes waiting in the connections' buffers (they drain without telling us), every second."""
        self._recount_now()
        self.loop.call_later(1, self._recount)

    def _flush_log(self) -> None:
        self.access.flush()
        self.loop.call_later(AccessLog.FLUSH, self._flush_log)

    async def stop(self, grace: float) -> None:
        """Stop accepting, close idle connections, and wait up to ``grace`` seconds for the requests in flight."""
        self.listener.close()
        for connection in list(self.connections):
            connection.close_when_idle()
        deadline = time.monotonic() + grace
        while self.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for connection in list(self.connections):
            connection.transport.close()
        self.threads.shutdown(wait=False, cancel_futures=True)
        self.engine.shutdown(wait=False, cancel_futures=True)
        self.access.flush()

    def _recount_now(self) -> None:
        self.buffered = sum(connection.account_buffer() for connection in self.connections if connection.buffered)

    def admit(self, client: str) -> str | None:
        """Count a new connection of ``client``; the reason to refuse it, if any."""
        if len(self.connections) >= self.settings.max_connections:
            return f"the server holds its {self.settings.max_connections} connections (setting max_connections); retry shortly"
        if self.per_client.get(client, 0) >= self.settings.max_client_connections:
            return (f"this client holds {self.settings.max_client_connections} connections already (setting "
                    "max_client_connections); reuse them")
        self.per_client[client] = self.per_client.get(client, 0) + 1
        return None

    def release(self, client: str) -> None:
        left = self.per_client.get(client, 1) - 1
        if left > 0:
            self.per_client[client] = left
        else:
            self.per_client.pop(client, None)


def run(settings, overrides: dict, listen_fd: int, ready_fd: int | None) -> None:
    """The serving process: create the app (store, zygote), serve on the inherited socket until SIGTERM, drain, exit."""
    import uvloop

    from . import create_app

    from .zygote import die_with_parent

    die_with_parent(signal.SIGTERM)  # a supervisor that dies, even by SIGKILL, leaves no serving process behind
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s", stream=sys.stderr)
    app = create_app(overrides)  # forks the query workers' zygote: before any thread of ours starts
    gc.freeze()  # the app's objects (graphs, catalog, labels) are never collected: no cyclic collection walks them (100 ms pauses)
    sock = socket.socket(fileno=listen_fd)
    server = Server(app, settings)
    uvloop.install()
    loop = asyncio.new_event_loop()
    stopping = asyncio.Event()

    async def main() -> None:
        await server.start(sock)
        if ready_fd is not None:
            os.write(ready_fd, b"ready\n")
            os.close(ready_fd)
        log.info("serving on http://%s:%s/ (pid %d)", settings.host, settings.port, os.getpid())
        await stopping.wait()
        log.info("stopping: no new connections, %d request(s) in flight", server.in_flight)
        await server.stop(settings.query_timeout * 2 + 10)

    def serve() -> None:
        try:
            loop.run_until_complete(main())
        finally:
            app.extensions["rakg"].close()
            loop.close()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: loop.call_soon_threadsafe(stopping.set))
    run_on_own_thread(serve, "rakg-loop")  # the loop, and the queries it answers, get a malloc arena of their own


def main(argv: list[str] | None = None) -> None:
    """``python -m server.web.front --listen-fd N [--ready-fd M] --settings JSON``: the serving process (started by serve.py)."""
    import argparse

    from ..settings import load_settings

    parser = argparse.ArgumentParser(prog="python -m server.web.front", description=main.__doc__)
    parser.add_argument("--listen-fd", type=int, required=True, help="the inherited listening socket")
    parser.add_argument("--ready-fd", type=int, default=None, help="a pipe to write 'ready' to once serving")
    parser.add_argument("--settings", default="{}", help="every setting, as JSON (the supervisor's resolved settings)")
    args = parser.parse_args(argv)
    overrides = json.loads(args.settings)
    run(load_settings(overrides), overrides, args.listen_fd, args.ready_fd)


if __name__ == "__main__":
    main()
