"""Query workers: each SPARQL query runs in a child process that can be killed at the time limit.

pyoxigraph cannot interrupt a running query, so the time limit is enforced by
process: the request waits for the child's answer for ``timeout`` seconds,
then kills it, answers 503 and starts a fresh child in the background.  Children
are started with the 'spawn' method (safe in a threaded server) and open the
store themselves.

A child may use at most QUERY_MEMORY bytes of address space beyond what the open
store takes: a query that needs more (an ORDER BY over a cartesian product grows
by gigabytes within seconds) makes the engine abort, and the request gets 503
instead of the machine running out of memory.  A query so long or deeply nested
that the engine's recursive parser or planner overflows the stack kills its child
with SIGSEGV; that request gets 400.  Either way the child is replaced.

The hop to a worker (pickling, the pipe, waking two processes) costs about half a millisecond, which is most
of the time of a cheap query.  So a pool given an ``inline`` store (the request process's own copy of the
data) remembers the jobs that a worker answered within ``inline_seconds``, keyed by the job with its query
normalized (no comments, blanks collapsed: protocol.normalize_query).  When such a job comes again (the
result cache bypassed, e.g. by a cache-busting comment) it runs in the request thread.  The data cannot
change while the process lives and the engine is deterministic, so a job that took 5 ms in a worker takes
about 5 ms again: it needs no time limit, and the limit still guards every query whose cost is unknown.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import signal
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace

from . import protocol, sandbox, syntax
from .errors import BadGateway, GatewayTimeout, QueryError, QueryTimeout, RakgError, ResourceLimit
from .store import QUERY_PREFIXES, open_store, serialize

CONTEXT = multiprocessing.get_context("spawn")
QUERY_MEMORY = 1 << 30  # bytes of address space a query may add to a child (RLIMIT_AS = store + this)
WORKER_WAIT = 10.0  # least seconds a request waits for a free worker (a replacement takes about a second to start)
INLINE_JOBS = 4096  # most cheap jobs a pool remembers (least recently used out)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoreSpec:
    """How a child process opens the store: files into memory, an on-disk store (a folder) read-only, or an external SPARQL endpoint (a URL)."""

    files: tuple[str, ...] = ()
    location: str | None = None


@dataclass(frozen=True)
class Wall:
    """The network of the query workers: ``isolation`` 'required' puts each in a network namespace of its own
    (server/sandbox.py; 'off' leaves it on the host's network), ``allowed`` are the endpoints SERVICE may call,
    and ``federation_socket`` is the federation proxy's Unix socket that the worker's relay reaches them through."""

    isolation: str = "required"
    allowed: tuple[str, ...] = ()
    federation_socket: str | None = None


@dataclass(frozen=True)
class Job:
    query: str
    fmt_accept: str | None
    fmt_param: str | None
    max_rows: int
    include_inferred: bool
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()


def _limit_memory(extra: int) -> None:
    """Cap this process's address space at its current size plus ``extra`` bytes (Linux; elsewhere a no-op)."""
    try:
        import resource

        with open("/proc/self/status", encoding="ascii") as status:
            size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
        resource.setrlimit(resource.RLIMIT_AS, (size + extra, resource.getrlimit(resource.RLIMIT_AS)[1]))
    except (ImportError, OSError, StopIteration, ValueError):
        pass


def execute(store, job: Job, wall: Wall | None = None, relay: str | None = None):
    """Run a job on a store; returns a store.Answer with the seconds it took.

    The query's SERVICE clauses are read by a parser (server/syntax.py) and must name endpoints of
    ``wall.allowed``; they are then pointed at the federation proxy through ``relay`` (the base URL of this
    worker's relay).  Without a wall, a query may call no SERVICE at all.

    Raises RakgError (400/403/406...) for a query or request the checks, the store or the negotiation refuse;
    BadGateway (502) or GatewayTimeout (504) when a SERVICE call fails.
    """
    started = time.perf_counter()
    allowed = wall.allowed if wall else ()
    services = syntax.check(job.query, QUERY_PREFIXES, allowed=allowed)
    query = job.query
    if services:
        query = syntax.route(query, services, lambda endpoint: f"{relay}/federation/{allowed.index(endpoint)}")
    try:
        result = store.query(query, job.include_inferred, job.default_graph_uris, job.named_graph_uris)
        answer = serialize(result, protocol.negotiate(protocol.query_form(job.query), job.fmt_accept, job.fmt_param), job.max_rows)
    except ValueError as error:  # the store maps the engine's errors; this is a graph IRI it cannot take
        if services:
            raise BadGateway(_service_failure(services, "sent an answer that cannot be read")) from None
        raise QueryError(f"invalid request: {error} (in default-graph-uri or named-graph-uri)") from None
    except OSError as error:  # the engine's HTTP client (SERVICE), or a store that cannot be read
        if services:
            if "Error 504" in str(error):
                raise GatewayTimeout(_service_failure(services, "did not answer in time")) from None
            raise BadGateway(_service_failure(services, "failed or could not be reached")) from None
        if "os error" in str(error) or "http" in str(error).lower():
            raise BadGateway("the query tried to reach another server; this endpoint calls only the SERVICE endpoints of "
                             "its allow-list") from None
        raise
    except RuntimeError:
        if services:
            raise BadGateway(_service_failure(services, "sent an answer that cannot be read")) from None
        raise
    answer.seconds = time.perf_counter() - started
    answer.federated = bool(services)
    return answer


def _service_failure(services, what: str) -> str:
    endpoints = ", ".join(sorted({f"<{s.endpoint}>" for s in services}))
    return f"the SERVICE endpoint ({endpoints}) {what}"


def _child(connection, spec: StoreSpec, memory: int | None = None, wall: Wall | None = None) -> None:
    """Child process loop: wall itself in (before any thread starts), open the store once, then answer jobs until the
    pipe closes."""
    wall = wall or Wall(isolation="off")
    try:
        if wall.isolation != "off":
            sandbox.isolate_network()
        relay = f"http://127.0.0.1:{sandbox.start_relay(wall.federation_socket)}" if wall.federation_socket else None
    except OSError as error:
        connection.send(("failed", str(error)))
        return
    store = open_store(spec)
    syntax.analyze("ASK {}", {})  # build the parser now rather than in the first query's time
    if memory:
        _limit_memory(memory)
    connection.send(("ready", None))
    while True:
        try:
            job = connection.recv()
        except EOFError:
            return
        try:
            connection.send(("ok", execute(store, job, wall, relay)))
        except RakgError as error:
            connection.send(("error", error))
        except MemoryError:
            connection.send(("error", ResourceLimit(_memory_message(memory))))
        except BaseException as error:  # an engine fault (also a Rust panic): a server error with its type
            connection.send(("crash", f"{type(error).__name__}: {error}"))


def _memory_message(memory: int | None) -> str:
    limit = f"the {memory >> 20} MB memory limit of a query" if memory else "the memory available to a query"
    return f"the query needed more than {limit} and was stopped"


class Worker:
    def __init__(self, spec: StoreSpec, memory: int | None = QUERY_MEMORY, wall: Wall | None = None):
        parent, child = CONTEXT.Pipe()
        self.connection = parent
        self.process = CONTEXT.Process(target=_child, args=(child, spec, memory, wall), daemon=True)
        self.process.start()
        child.close()
        if not parent.poll(120):
            self.kill()
            raise RakgError("a query worker did not start within 120 s")
        status, detail = parent.recv()
        if status == "failed":
            self.kill()
            raise RakgError(detail)
        if status != "ready":
            raise RakgError("a query worker failed to open the store")

    def kill(self) -> int | None:
        """Stop the child; returns its exit code (negative: the signal that ended it)."""
        self.process.kill()
        self.process.join(5)
        self.connection.close()
        return self.process.exitcode


class QueryPool:
    """A fixed number of query worker processes shared by the request threads.

    A request waits at most ``timeout`` seconds (but at least WORKER_WAIT) for a free worker
    (503 beyond) and ``timeout`` seconds for its answer.  One spare worker, started ahead, takes the place
    of a killed one at once (a worker takes about a second to start and load the store),
    and a new spare is started in the background: the 503 is sent at the limit and the
    pool is back at full strength immediately.
    """

    def __init__(self, spec: StoreSpec, size: int, timeout: float, memory: int | None = QUERY_MEMORY,
                 inline=None, inline_seconds: float = 0.0, wall: Wall | None = None):
        self.spec = spec
        self.timeout = timeout
        self.memory = memory
        self.wall = wall
        self.inline = inline if inline_seconds > 0 else None
        self.inline_seconds = inline_seconds
        self.cheap: OrderedDict[Job, None] = OrderedDict()  # jobs (normalized query) a worker answered within inline_seconds
        self.idle: queue.Queue[Worker] = queue.LifoQueue()  # the most recently used worker first: its caches are warm
        self.spare: queue.Queue[Worker] = queue.Queue(maxsize=1)
        self.lock = threading.Lock()
        self.closed = False
        for _ in range(size):
            self.idle.put(self._worker())
        self.spare.put(self._worker())

    def _worker(self) -> Worker:
        return Worker(self.spec, self.memory, self.wall)

    def run(self, job: Job):
        """Run a job; returns a store.Answer.  A job known to be cheap runs in this thread, any other in a worker.
        A job is known to be cheap when a worker answered it within ``inline_seconds`` without calling a SERVICE
        endpoint (a federated query's cost is the remote endpoint's), and its text does not hold the letters
        "service" at all: this thread has the host's network, and a SERVICE SILENT that a parser missed would have
        failed quietly in the walled-in worker.

        Raises the worker's RakgError (400/403/406/502/504...), QueryTimeout (503) at the limit or when no worker is
        free, ResourceLimit (503) beyond the memory limit, QueryError (400) when the engine overflows its stack,
        RakgError (500) on any other worker crash.
        """
        if self.inline is None:
            return self._in_worker(job)
        key = self._memo_key(job)
        if self._known(key):
            return self._execute_inline(job)
        answer = self._in_worker(job)
        if answer.seconds <= self.inline_seconds and not answer.federated and not syntax.mentions_service(key.query):
            with self.lock:
                self.cheap[key] = None
                if len(self.cheap) > INLINE_JOBS:
                    self.cheap.popitem(last=False)
        return answer

    def run_inline(self, job: Job):
        """Run a job in this thread if it is known to be cheap; returns a store.Answer, or None for any other job.

        Raises the RakgError of :func:`execute`.
        """
        if self.inline is None or not self._known(self._memo_key(job)):
            return None
        return self._execute_inline(job)

    @staticmethod
    def _memo_key(job: Job) -> Job:
        return replace(job, query=protocol.normalize_query(job.query))

    def _known(self, key: Job) -> bool:
        with self.lock:
            if key in self.cheap:
                self.cheap.move_to_end(key)
                return True
        return False

    def _execute_inline(self, job: Job):
        answer = execute(self.inline, job)
        answer.inline = True
        return answer

    def _in_worker(self, job: Job):
        wait = max(self.timeout, WORKER_WAIT)
        try:
            worker = self.idle.get(timeout=wait)
        except queue.Empty:
            raise QueryTimeout(f"every query worker stayed busy for {wait:g} s; try again later") from None
        started = time.monotonic()
        try:
            worker.connection.send(job)
            if not worker.connection.poll(self.timeout):
                self._replace(worker)
                raise QueryTimeout(
                    f"the query ran longer than the {self.timeout:g} s limit (setting query_timeout) and was stopped",
                    where=f"after {time.monotonic() - started:.1f} s",
                )
            status, payload = worker.connection.recv()
        except (EOFError, BrokenPipeError, OSError) as exc:
            raise self._died(self._replace(worker), exc) from exc
        self.idle.put(worker)
        if status == "ok":
            return payload
        if status == "error":
            raise payload
        raise RakgError(f"query engine failure: {payload}")

    def _died(self, code: int | None, exc: Exception) -> RakgError:
        """The error for a request whose worker died under it, by how it died."""
        if code == -signal.SIGSEGV:
            return QueryError("the query is too long or too deeply nested for the query engine (it overflowed the engine's stack)")
        if code in (-signal.SIGABRT, -signal.SIGKILL):
            return ResourceLimit(_memory_message(self.memory))
        return RakgError(f"the query worker died (exit code {code}): {exc}")

    def _replace(self, worker: Worker) -> int | None:
        """Kill ``worker``, put the spare in its place and start a new spare (or, with no spare ready, the
        replacement itself) in a background thread; returns the killed worker's exit code."""
        code = worker.kill()
        try:
            self.idle.put(self.spare.get_nowait())
            target = self.spare
        except queue.Empty:
            target = self.idle
        threading.Thread(target=self._respawn, args=(target,), name="rakg-respawn", daemon=True).start()
        return code

    def _respawn(self, target: queue.Queue) -> None:
        for attempt in range(3):
            if self.closed:
                return
            try:
                worker = self._worker()
            except Exception:  # keep trying: the pool must not shrink
                if not self.closed:
                    log.exception("could not start a query worker (attempt %d of 3)", attempt + 1)
                    time.sleep(1)
                continue
            if self.closed:
                worker.kill()
            else:
                target.put(worker)
            return

    def close(self) -> None:
        self.closed = True
        for workers in (self.idle, self.spare):
            while not workers.empty():
                workers.get().kill()
