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
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from .arena import run_on_own_thread
from .connection import HttpConnection
from .wire import error_bytes

log = logging.getLogger("rakg.http")


class AccessLog:
    """One line per request, written in batches (a write per request costs a system call and the logging module's
    locks): lines are kept in memory and written by the event loop every FLUSH seconds, and when the server stops."""

    FLUSH = 0.25

    def __init__(self, stream):
        self.stream, self.lines = stream, []
        self.second, self.stamp = 0, ""
        self.lock = threading.Lock()  # the loops and the request threads all log

    def __call__(self, client: str, method: str, url: bytes, version: str, status, seconds: float) -> None:
        line = f'{self._now()} access {client} "{method} {url[:200].decode("latin-1")} HTTP/{version}" {status} {seconds * 1000:.1f}ms\n'
        with self.lock:
            self.lines.append(line)

    def _now(self) -> str:
        """The time of day, formatted once a second."""
        now = int(time.time())
        if now != self.second:
            self.second, self.stamp = now, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
        return self.stamp

    def flush(self) -> None:
        with self.lock:
            lines, self.lines = self.lines, []
        if lines:
            self.stream.write("".join(lines))
            self.stream.flush()


class Server:
    """The connections, their limits and the request threads of one serving process.

    The connections are dealt out to ``loops`` event loops, each on a thread of its own (:class:`Lane`): the first
    accepts them and hands each to the lane holding the fewest.  A connection stays on its lane, which reads its
    requests and answers those the fast path can answer (a cached answer, a query known to be cheap) itself; the
    engine releases the GIL, so the lanes run queries on all cores at once.  Everything else goes to the request
    threads.  The limits on connections are counted across lanes, under a lock; the unsent bytes per lane."""

    def __init__(self, app, settings, loops: int = 1):
        self.app, self.settings = app, settings
        self.fast = getattr(app.wsgi_app, "reply", None)  # api.FastPath: answers in the event loop (see HttpConnection._start)
        self.access = AccessLog(sys.stderr)
        self.threads = ThreadPoolExecutor(settings.threads, thread_name_prefix="rakg-request")
        self.lock = threading.Lock()  # per_client and admitted, which every lane's connections change
        self.per_client: dict[str, int] = {}
        self.admitted = 0
        self.lanes = [Lane(self, index) for index in range(max(1, loops))]
        self.buffer_budget = settings.threads * settings.max_result_bytes  # the answers memory_limit counts in flight
        self.accepting: asyncio.Task | None = None
        self.sock: socket.socket | None = None

    @property
    def in_flight(self) -> int:
        return sum(lane.in_flight for lane in self.lanes)

    @property
    def buffered(self) -> int:
        """Bytes of answers written to connections and not yet sent (an upper bound between recounts)."""
        return sum(lane.buffered for lane in self.lanes)

    async def start(self, sock: socket.socket) -> None:
        """Serve on ``sock`` from the running loop, which becomes the first lane; start the others."""
        self.lanes[0].attach(asyncio.get_running_loop(), threading.current_thread())
        for lane in self.lanes[1:]:
            lane.start()
        self.sock = sock
        sock.setblocking(False)
        sock.listen(2048)
        self.accepting = asyncio.get_running_loop().create_task(self._accept())
        self.lanes[0].loop.call_later(AccessLog.FLUSH, self._flush_log)

    async def _accept(self) -> None:
        """Accept connections in the order they come: admit each (the limits count every lane) and hand it to the
        lane that serves the fewest, or answer 503 and close it."""
        loop = asyncio.get_running_loop()
        while True:
            try:
                connection, address = await loop.sock_accept(self.sock)
            except OSError as error:  # out of file descriptors, say: the waiting connections stay in the backlog
                log.warning("cannot accept a connection: %s", error)
                await asyncio.sleep(0.1)
                continue
            client = address[0] if isinstance(address, tuple) else ""
            refusal = self.admit(client)
            if refusal:
                _refuse(connection, refusal)
            else:
                min(self.lanes, key=Lane.load).adopt(connection, client)

    def _flush_log(self) -> None:
        self.access.flush()
        self.lanes[0].loop.call_later(AccessLog.FLUSH, self._flush_log)

    async def stop(self, grace: float) -> None:
        """Stop accepting, close idle connections, and wait up to ``grace`` seconds for the requests in flight."""
        self.accepting.cancel()
        self.sock.close()
        for lane in self.lanes:
            lane.call(lane.close_idle)
        deadline = time.monotonic() + grace
        while self.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for lane in self.lanes:
            lane.call(lane.close_all)
        deadline = time.monotonic() + 1
        while any(lane.connections for lane in self.lanes) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)  # each lane's loop ends its connections (connection_lost) before it stops
        for lane in self.lanes[1:]:
            lane.stop()
        self.threads.shutdown(wait=False, cancel_futures=True)
        self.access.flush()

    def admit(self, client: str) -> str | None:
        """Count a new connection of ``client``; the reason to refuse it, if any."""
        with self.lock:
            if self.admitted >= self.settings.max_connections:
                return f"the server holds its {self.settings.max_connections} connections (setting max_connections); retry shortly"
            if self.per_client.get(client, 0) >= self.settings.max_client_connections:
                return (f"this client holds {self.settings.max_client_connections} connections already (setting "
                        "max_client_connections); reuse them")
            self.per_client[client] = self.per_client.get(client, 0) + 1
            self.admitted += 1
            return None

    def release(self, client: str) -> None:
        with self.lock:
            self.admitted -= 1
            left = self.per_client.get(client, 1) - 1
            if left > 0:
                self.per_client[client] = left
            else:
                self.per_client.pop(client, None)


def _refuse(sock: socket.socket, reason: str) -> None:
    """Answer 503 with ``reason`` on a connection that was not admitted, and close it (a short answer on a new
    connection fits in its send buffer: the write does not block)."""
    try:
        sock.send(error_bytes(503, reason))
    except OSError:
        pass
    finally:
        sock.close()


class Lane:
    """One event loop on a thread of its own (a malloc arena of its own too, see arena.py) and the connections
    dealt to it.  Its state is changed only on its thread; other threads ask it to act through :meth:`call`."""

    def __init__(self, server: Server, index: int):
        self.server, self.index = server, index
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self.connections: set[HttpConnection] = set()
        self.dealt = 0  # connections handed to this lane (counted by the accepting loop)
        self.ended = 0  # of those, the ones that ended (counted by this lane)
        self.in_flight = 0
        self.buffered = 0  # unsent bytes of this lane's connections (an upper bound between recounts)

    def attach(self, loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
        self.loop, self.thread = loop, thread
        loop.call_later(1, self._recount)

    def start(self) -> None:
        """Run a loop of its own on a new thread."""
        loop = asyncio.new_event_loop()
        self.attach(loop, threading.Thread(target=loop.run_forever, name=f"rakg-loop-{self.index}", daemon=True))
        self.thread.start()

    def stop(self) -> None:
        """End this lane's loop and thread (not the first lane's: its loop is the one that runs the server)."""
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        if not self.thread.is_alive():
            self.loop.close()

    def call(self, function, *args) -> None:
        """Run ``function(*args)`` on this lane's thread (at once when called there)."""
        if self.thread is threading.current_thread():
            function(*args)
        else:
            self.loop.call_soon_threadsafe(function, *args)

    def load(self) -> int:
        """The connections this lane serves, as the accepting loop sees them (each counter has one writer)."""
        return self.dealt - self.ended

    def adopt(self, sock: socket.socket, client: str) -> None:
        """Serve an accepted connection, admitted for ``client``, on this lane."""
        self.dealt += 1
        self.call(self._adopt, sock, client)

    def _adopt(self, sock: socket.socket, client: str) -> None:
        task = self.loop.create_task(self.loop.connect_accepted_socket(lambda: HttpConnection(self.server, self, client), sock))
        task.add_done_callback(lambda task: self._adopted(task, client))

    def _adopted(self, task: asyncio.Task, client: str) -> None:
        if not task.cancelled() and task.exception() is not None:  # the connection never began, so it will not end
            self.ended += 1
            self.server.release(client)
            log.warning("cannot serve an accepted connection: %s", task.exception())

    def _recount(self) -> None:
        """Count again the bytes waiting in the connections' buffers (they drain without telling us), every second."""
        self.recount_now()
        self.loop.call_later(1, self._recount)

    def recount_now(self) -> None:
        self.buffered = sum(connection.account_buffer() for connection in list(self.connections) if connection.buffered)

    def close_idle(self) -> None:
        for connection in list(self.connections):
            connection.close_when_idle()

    def close_all(self) -> None:
        for connection in list(self.connections):
            connection.transport.close()


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
    server = Server(app, settings, settings.loops or os.cpu_count() or 1)
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

    def stop_serving(signum, frame) -> None:
        try:
            loop.call_soon_threadsafe(stopping.set)
        except RuntimeError:  # a second signal after the loop has ended: it is stopping already
            pass

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, stop_serving)
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
