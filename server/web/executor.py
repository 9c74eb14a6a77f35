"""Query workers: each SPARQL query whose cost is not known runs in a worker process that can be killed at its limit.

pyoxigraph cannot interrupt a running query, so the time limit is enforced by process: the request waits for its
worker's answer for ``timeout`` seconds, then kills the worker and answers 503.  The workers are forked from one
zygote that holds the store (server/web/zygote.py), so they share one copy of the data and a replacement is ready in
milliseconds; the zygote and its workers are walled into a network of their own (server/web/sandbox.py).

A worker may use at most ``memory`` bytes of address space beyond what it started with: a query that needs more
(an ORDER BY over a cartesian product grows by gigabytes within seconds) makes the engine abort, and the request
gets 503 naming the memory limit.  A query that still overflows the engine's stack kills its worker with SIGSEGV;
that request gets 400.  Either way the worker is replaced, and no request is sent to a dead one.

Workers are shared fairly (server/web/fairness.py): a client may run at most ``max_client_queries`` queries in
workers at once, its budget is charged while they run (a query is stopped when its client's budget runs out), the
last ``reserved`` idle workers go only to clients who have used little, and a request that finds no worker it may
use is answered at once with 503 and Retry-After instead of waiting.

The hop to a worker costs a fraction of a millisecond, which is most of the time of a cheap query.  So the pool
remembers the jobs that a worker answered within ``inline_seconds``, keyed by the job with its query normalized
(no comments, blanks collapsed: protocol.normalize_query); when such a job comes again it runs in the request
thread on the serving process's own store.  The data cannot change while the process lives and the engine is
deterministic, so a job that took 5 ms in a worker takes about 5 ms again: it needs no time limit.  The memo is
bounded by the bytes of the queries it holds.
"""

from __future__ import annotations

import gc
import logging
import os
import resource
import signal
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass

from .. import protocol, syntax
from ..errors import QueryError, QueryTimeout, RakgError, ResourceLimit, ServerBusy
from ..store import open_store
from . import sandbox
from .arena import run_on_own_thread
from .fairness import Accounts
from .jobs import Job, Plan, StoreSpec, Wall, execute
from .zygote import Zygote

QUERY_MEMORY = 1 << 30  # bytes of address space a query may add to a worker, unless the pool is given another figure
LEAST_QUERY_MEMORY = 64 << 20  # a memory_limit that leaves a worker less than this is refused
MEMO_BYTES = 8_000_000  # most bytes of query text the memo of cheap jobs holds (least recently used out)
BUSY_WAIT = 0.1  # seconds a request waits for a worker it may use before the 503 (a burst is smoothed, a siege is not)
POLL = 0.25  # seconds between the checks of a running query's client budget
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")
log = logging.getLogger(__name__)


def query_memory(settings) -> int:
    """Bytes each query worker may add to what it inherits, so that the whole server stays within ``memory_limit``:
    the limit less this process (its store included; the workers share it), the result cache, and the answers the
    request threads may hold at once (twice the largest, for a copy in flight), divided by the workers.

    Raises ConfigError when that leaves a worker less than LEAST_QUERY_MEMORY.
    """
    from ..errors import ConfigError

    with open("/proc/self/status", encoding="ascii") as status:
        resident = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmRSS:"))
    held = resident + settings.cache_bytes + settings.threads * settings.max_result_bytes * 2
    share = (settings.memory_limit * 1_000_000 - held) // max(1, settings.workers)
    if share < LEAST_QUERY_MEMORY:
        raise ConfigError(f"memory_limit {settings.memory_limit} MB leaves {max(share, 0) >> 20} MB per query worker once this process "
                          f"({resident >> 20} MB), the result cache ({settings.cache_bytes >> 20} MB) and {settings.threads} answers of up "
                          f"to {settings.max_result_bytes >> 20} MB are counted; raise it, or lower workers, threads, cache_bytes or "
                          "max_result_bytes", where="memory_limit")
    return share


def _limit_memory(extra: int) -> None:
    """Cap this process's address space at its current size plus ``extra`` bytes (Linux; elsewhere a no-op)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
        resource.setrlimit(resource.RLIMIT_AS, (size + extra, resource.getrlimit(resource.RLIMIT_AS)[1]))
    except (OSError, StopIteration, ValueError):
        pass


def _serve_jobs(connection, store, wall: Wall, memory: int | None, retire_bytes: int) -> None:
    """A worker's loop, on a thread of its own (arena.py: in a forked worker the main thread's allocations copy
    pages it shares with the zygote): start the relay to the federation proxy, cap the memory, then answer jobs
    until the connection closes; asks to be replaced once it holds more than ``retire_bytes`` of its own (0: never)."""
    run_on_own_thread(lambda: _answer_jobs(connection, store, wall, memory, retire_bytes), "rakg-worker")


def _answer_jobs(connection, store, wall: Wall, memory: int | None, retire_bytes: int) -> None:
    relay = f"http://127.0.0.1:{sandbox.start_relay(wall.federation_socket)}" if wall.federation_socket else None
    if memory:
        bytearray(1 << 16)  # this thread's first allocation makes its arena, whose reserved addresses count
        _limit_memory(memory)
    counted = faulted_bytes()  # faults since this mark cannot exceed the memory the worker has made its own
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        try:
            answer = execute(store, job, wall, relay)
            # Reading an in-memory store writes to the pages it reads (reference counts), so each query gives the
            # worker private copies of shared pages; past retire_bytes the pool forks a fresh worker instead.  The
            # page faults bound the copies from above at no cost; the exact figure is read when they pass the mark.
            retire = False
            if retire_bytes and faulted_bytes() - counted > retire_bytes:
                own = private_bytes()
                retire, counted = own > retire_bytes, faulted_bytes() - own
            connection.send(("retire" if retire else "ok", answer))
        except RakgError as error:
            connection.send(("error", error))
        except MemoryError:
            connection.send(("error", ResourceLimit(_memory_message(memory))))
        except BaseException as error:  # an engine fault (also a Rust panic): a server error with its type
            connection.send(("crash", f"{type(error).__name__}: {error}"))


def faulted_bytes() -> int:
    """The bytes of the page faults this process has taken since it began (each page it first touched or copied on
    writing): an upper bound of its own memory, read in a microsecond where /proc's exact figure takes half a
    millisecond."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt * PAGE_BYTES


def private_bytes() -> int:
    """The bytes of memory this process has written and shares with no other (Private_Dirty in
    /proc/self/smaps_rollup); 0 where the kernel does not say."""
    try:
        with open("/proc/self/smaps_rollup") as handle:
            return next((int(line.split()[1]) << 10 for line in handle if line.startswith("Private_Dirty:")), 0)
    except OSError:
        return 0


def _memory_message(memory: int | None) -> str:
    limit = f"the {memory >> 20} MB memory limit of a query" if memory else "the memory available to a query"
    return f"the query needed more than {limit} and was stopped"


@dataclass(slots=True)
class KnownJob:
    """A job of the memo: the bytes of its normalized text, the seconds its last run took, its plan."""

    size: int
    seconds: float
    plan: Plan


@dataclass
class Worker:
    pid: int
    connection: object


class QueryPool:
    """``size`` query workers forked from a zygote over ``store`` (shared; an on-disk or external store is opened
    again by the zygote), shared fairly by the request threads.

    Must be created before the serving process starts a thread (the zygote is forked then).
    Raises IsolationUnavailable when the workers cannot be walled in and ``wall.isolation`` is 'required'.
    """

    def __init__(self, spec: StoreSpec, store, size: int, timeout: float, memory: int | None = QUERY_MEMORY,
                 inline_seconds: float = 0.0, wall: Wall | None = None, accounts: Accounts | None = None, reserved: int = 1,
                 retire_bytes: int = 0):
        self.wall = wall or Wall(isolation="off")
        self.timeout, self.memory, self.retire_bytes = timeout, memory, retire_bytes
        self.accounts = accounts or Accounts()
        self.reserved = min(reserved, size - 1)
        external = bool(spec.location) and spec.location.startswith(("http://", "https://"))
        self.inline = store if inline_seconds > 0 and not external else None  # over an external store the time is its own
        self.inline_seconds = inline_seconds
        self.cheap: OrderedDict[tuple, KnownJob] = OrderedDict()  # jobs (normalized query, as a tuple: hashed and
        # compared in C) that a worker answered within inline_seconds
        self.cheap_bytes = 0
        shared = store if spec.location is None else None  # a memory store is shared; others are opened again
        syntax.prepare()  # before the fork: every worker inherits the parser
        gc.freeze()  # and no collection in a worker or the zygote touches (and so copies) the pages they share
        self.zygote = Zygote(self._serve, shared, lambda: open_store(spec), self.wall.isolation != "off")
        self.idle: deque[Worker] = deque()
        self.free = threading.Condition()
        self.size = size
        self.closed = False
        for _ in range(size):
            self.idle.append(self._worker())

    def _serve(self, connection, store) -> None:
        _serve_jobs(connection, store, self.wall, self.memory, self.retire_bytes)

    def _worker(self) -> Worker:
        pid, connection = self.zygote.spawn()
        return Worker(pid, connection)

    # --- running a job --------------------------------------------------------------------------------------

    def run(self, job: Job, client: str = "local"):
        """Run a job; returns a store.Answer.  A job known to be cheap runs in this thread, any other in a worker.
        A job is known to be cheap when a worker answered it within ``inline_seconds`` without calling a SERVICE
        endpoint (a federated query's cost is the remote endpoint's), and its text does not hold the letters
        "service" at all: this thread has the host's network, and a SERVICE SILENT that a parse missed would have
        failed quietly in the walled-in worker.

        Raises TooManyRequests (429) when ``client`` has used its budget (also while the query runs: it is then
        stopped) or runs too many queries at once; ServerBusy (503) when no worker is free for it; the worker's
        RakgError (400/403/406/502/504...), QueryTimeout (503) at the limit, ResourceLimit (503) beyond the memory
        limit, QueryError (400) when the engine overflows its stack, RakgError (500) on any other worker crash.
        """
        key = self._memo_key(job) if self.inline is not None else None
        known = self._lookup(key) if key is not None else None
        if known is not None:
            return self.run_known(job, known, client)
        answer = self._in_worker(job, client)
        if key is not None and answer.seconds <= self.inline_seconds and not answer.federated and not syntax.mentions_service(key[0]):
            self._remember(key, answer.seconds, answer.plan)
        return answer

    def known(self, job: Job, within: float | None = None) -> KnownJob | None:
        """The memo's entry of a job known to be cheap (that took at most ``within`` seconds, when given), for
        :meth:`run_known`; None for any other job."""
        if self.inline is None:
            return None
        return self._lookup(self._memo_key(job), within)

    def _lookup(self, key: tuple, within: float | None = None) -> KnownJob | None:
        with self.free:
            known = self.cheap.get(key)
            if known is None or (within is not None and known.seconds > within):
                return None
            self.cheap.move_to_end(key)
            return known

    def run_known(self, job: Job, known: KnownJob, client: str = "local"):
        """Run a job :meth:`known` found cheap, in this thread; returns a store.Answer.  Its memo keeps the time of
        this run (a worker's first run is the slowest).

        Raises the RakgError of :func:`execute`.
        """
        answer = execute(self.inline, job, plan=known.plan)
        answer.inline = True
        self.accounts.charge(client, answer.seconds)
        known.seconds = answer.seconds
        return answer

    @staticmethod
    def _memo_key(job: Job) -> tuple:
        """The job's fields, its query normalized (protocol.normalize_query)."""
        return (protocol.normalize_query(job.query), job.fmt_accept, job.fmt_param, job.max_rows, job.include_inferred,
                job.max_bytes, job.default_graph_uris, job.named_graph_uris, job.base_iri)

    def _remember(self, key: tuple, seconds: float, plan: Plan) -> None:
        size = len(key[0])
        with self.free:
            if key in self.cheap or size > MEMO_BYTES:
                return
            self.cheap[key] = KnownJob(size, seconds, plan)
            self.cheap_bytes += size
            while self.cheap_bytes > MEMO_BYTES:
                self.cheap_bytes -= self.cheap.popitem(last=False)[1].size

    def _in_worker(self, job: Job, client: str):
        self.accounts.check_budget(client)
        ticket = self.accounts.open(client)
        try:
            worker = self._take(client)
            return self._ask(worker, job, client)
        finally:
            self.accounts.close(ticket)

    def _take(self, client: str) -> Worker:
        """An idle worker this client may use; the last ``reserved`` ones only for a client that has used little."""
        light = self.accounts.is_light(client)
        deadline = time.monotonic() + BUSY_WAIT
        with self.free:
            while not self.closed:
                if len(self.idle) > (0 if light else self.reserved):
                    return self.idle.pop()  # the most recently used: its caches are warm
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self.free.wait(remaining)
        raise ServerBusy(f"every query worker this client may use is busy ({self.size} workers, {self.reserved} kept for "
                         "clients that have used little); retry shortly", retry_after=1)

    def _ask(self, worker: Worker, job: Job, client: str):
        started = time.monotonic()
        try:
            worker.connection.send(job)
            while not worker.connection.poll(POLL):
                elapsed = time.monotonic() - started
                if elapsed >= self.timeout:
                    self._replace(worker)
                    raise QueryTimeout(f"the query ran longer than the {self.timeout:g} s limit (setting query_timeout) and was "
                                       "stopped", where=f"after {elapsed:.1f} s")
                if self.accounts.over_budget(client):
                    self._replace(worker)
                    self.accounts.check_budget(client)  # raises: the stopped query's time is spent
            status, payload = worker.connection.recv()
        except (EOFError, BrokenPipeError, OSError) as exc:
            raise self._died(self._replace(worker, kill=False), exc) from exc
        if status == "retire":
            self._replace(worker)
            return payload
        self._release(worker)
        if status == "ok":
            return payload
        if status == "error":
            raise payload
        raise RakgError(f"query engine failure: {payload}")

    def _release(self, worker: Worker) -> None:
        with self.free:
            self.idle.append(worker)
            self.free.notify()

    def _died(self, code: int | None, exc: Exception) -> RakgError:
        """The error for a request whose worker died under it, by how it died."""
        if code == -signal.SIGSEGV:
            return QueryError("the query is too long or too deeply nested for the query engine (it overflowed the engine's stack)")
        if code in (-signal.SIGABRT, -signal.SIGKILL):
            return ResourceLimit(_memory_message(self.memory))
        return RakgError(f"the query worker died (exit code {code}): {exc}")

    def _replace(self, worker: Worker, kill: bool = True) -> int | None:
        """End ``worker`` (kill it, unless it died by itself), fork its replacement, and return how it ended."""
        if kill:
            try:
                os.kill(worker.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        worker.connection.close()
        code = self.zygote.exit_code(worker.pid)
        if not self.closed:
            try:
                self._release(self._worker())
            except RuntimeError:
                log.exception("could not fork a replacement query worker")
        return code

    def close(self) -> None:
        self.closed = True
        with self.free:
            self.free.notify_all()
        self.zygote.close()


