"""Query workers: each SPARQL query runs in a child process that can be killed at the time limit.

pyoxigraph cannot interrupt a running query, so the time limit is enforced by
process: the request waits for the child's answer for ``timeout`` seconds,
then kills it, starts a fresh one and answers 503.  Children are started with
the 'spawn' method (safe in a threaded server) and open the store themselves.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import time
from dataclasses import dataclass

from .errors import QueryTimeout, RakgError

CONTEXT = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class StoreSpec:
    """How a child process opens the store: files into memory, an on-disk store (a folder) read-only, or an external SPARQL endpoint (a URL)."""

    files: tuple[str, ...] = ()
    location: str | None = None


@dataclass(frozen=True)
class Job:
    query: str
    fmt_accept: str | None
    fmt_param: str | None
    max_rows: int
    include_inferred: bool
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()


def _child(connection, spec: StoreSpec) -> None:
    """Child process loop: open the store once, then answer jobs until the pipe closes."""
    from . import protocol
    from .store import open_store, serialize

    store = open_store(spec)
    connection.send(("ready", None))
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        try:
            result = store.query(job.query, job.include_inferred, job.default_graph_uris, job.named_graph_uris)
            fmt = protocol.negotiate(protocol.query_form(job.query), job.fmt_accept, job.fmt_param)
            connection.send(("ok", serialize(result, fmt, job.max_rows)))
        except RakgError as error:
            connection.send(("error", error))
        except Exception as error:  # an engine fault: report it as a server error with its type
            connection.send(("crash", f"{type(error).__name__}: {error}"))


class Worker:
    def __init__(self, spec: StoreSpec):
        parent, child = CONTEXT.Pipe()
        self.connection = parent
        self.process = CONTEXT.Process(target=_child, args=(child, spec), daemon=True)
        self.process.start()
        child.close()
        if not parent.poll(120):
            self.kill()
            raise RakgError("a query worker did not start within 120 s")
        status, _ = parent.recv()
        if status != "ready":
            raise RakgError("a query worker failed to open the store")

    def kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self.connection.close()


class QueryPool:
    """A fixed number of query worker processes shared by the request threads."""

    def __init__(self, spec: StoreSpec, size: int, timeout: float):
        self.spec = spec
        self.timeout = timeout
        self.idle: queue.Queue[Worker] = queue.Queue()
        self.lock = threading.Lock()
        for _ in range(size):
            self.idle.put(Worker(spec))

    def run(self, job: Job):
        """Run a job; returns a store.Answer.

        Raises the worker's RakgError (400/406...), QueryTimeout (503) at the limit, RakgError on a worker crash.
        """
        worker = self.idle.get()
        started = time.monotonic()
        try:
            worker.connection.send(job)
            if not worker.connection.poll(self.timeout):
                worker.kill()
                worker = Worker(self.spec)
                raise QueryTimeout(
                    f"the query ran longer than the {self.timeout:g} s limit (setting query_timeout) and was stopped",
                    where=f"after {time.monotonic() - started:.1f} s",
                )
            status, payload = worker.connection.recv()
        except (EOFError, BrokenPipeError, OSError) as exc:
            worker.kill()
            worker = Worker(self.spec)
            raise RakgError(f"the query worker died: {exc}") from exc
        finally:
            self.idle.put(worker)
        if status == "ok":
            return payload
        if status == "error":
            raise payload
        raise RakgError(f"query engine failure: {payload}")

    def close(self) -> None:
        while not self.idle.empty():
            self.idle.get().kill()
