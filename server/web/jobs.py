"""A job for the query engine and its run: what a request asks (Job), the store it runs on (StoreSpec), the network a
query may reach (Wall), and :func:`execute`, which a query worker calls for each job and the serving process for a
job known to be cheap (server/web/executor.py decides where a job runs)."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from .. import protocol, syntax
from ..answers import serialize, serialize_whole
from ..errors import BadGateway, GatewayTimeout, QueryError
from ..store import QUERY_PREFIXES


@dataclass(frozen=True)
class StoreSpec:
    """How the store is opened: files into memory, an on-disk store (a folder) read-only, or an external SPARQL endpoint (a URL)."""

    files: tuple[str, ...] = ()
    location: str | None = None


@dataclass(frozen=True)
class Wall:
    """The network of the query workers: ``isolation`` 'required' puts them in a network namespace of their own
    (server/web/sandbox.py; 'off' leaves them on the host's network), ``allowed`` are the endpoints SERVICE may call,
    and ``federation_socket`` is the federation proxy's Unix socket that a worker's relay reaches them through."""

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
    max_bytes: int = 0
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    base_iri: str | None = None  # relative IRIs of the query resolve against it (the request's URL)


@dataclass(frozen=True)
class Plan:
    """What a run taught of a job, so that running it again inline costs less: its form, the predeclared prefixes
    its text names (the engine then declares those only) and, when its answer was whole (no limit cut it), the
    format negotiated and the rows: the engine then writes that format at once, which gives the same answer
    (the data never changes while the server runs and the engine is deterministic; blank nodes a CONSTRUCT makes
    are named anew each run, as before)."""

    form: str
    prefixes: tuple[tuple[str, str], ...]
    fmt: str | None = None
    rows: int = 0


def execute(store, job: Job, wall: Wall | None = None, relay: str | None = None, plan: Plan | None = None):
    """Run a job on a store; returns an answers.Answer with the seconds the engine took (query and serialization,
    not the checks) and the job's Plan.

    The query's SERVICE clauses are read by a parser (server/syntax.py) and must name endpoints of
    ``wall.allowed``; they are then pointed at the federation proxy through ``relay`` (the base URL of this
    worker's relay).  Without a wall, a query may call no SERVICE at all.  With a ``plan`` (a job a worker answered
    before, never a federated one) the checks it passed are not made again.

    Raises RakgError (400/403/406...) for a query or request the checks, the store or the negotiation refuse;
    BadGateway (502) or GatewayTimeout (504) when a SERVICE call fails.
    """
    allowed = wall.allowed if wall else ()
    services = [] if plan else syntax.check(job.query, QUERY_PREFIXES, base=job.base_iri, allowed=allowed)
    plan = plan or Plan(protocol.query_form(job.query), tuple(protocol.used_prefixes(job.query, QUERY_PREFIXES).items()))
    started = time.perf_counter()  # the engine's time: what a run with this plan, which skips the checks, will take
    query = job.query
    if services:
        query = syntax.route(query, services, lambda endpoint: f"{relay}/federation/{allowed.index(endpoint)}")
    try:
        result = _query(store, query, job, dict(plan.prefixes))
        if plan.fmt:
            answer = serialize_whole(result, plan.fmt, plan.rows)
        else:
            fmt = protocol.negotiate(plan.form, job.fmt_accept, job.fmt_param, lenient=True)
            answer = serialize(result, fmt, job.max_rows, job.max_bytes)
            if not answer.limit and not services:
                plan = replace(plan, fmt=fmt, rows=answer.rows)
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
    answer.plan = plan
    return answer


def _query(store, query: str, job: Job, prefixes: dict[str, str]):
    """The engine's result, given the prefixes the text names; all of them when that is not enough (a name the
    pattern of protocol.used_prefixes did not see), so that the shortcut never changes an answer."""
    try:
        return store.query(query, job.include_inferred, job.default_graph_uris, job.named_graph_uris, base_iri=job.base_iri,
                           prefixes=prefixes)
    except QueryError:
        if len(prefixes) == len(QUERY_PREFIXES):
            raise
        return store.query(query, job.include_inferred, job.default_graph_uris, job.named_graph_uris, base_iri=job.base_iri)


def _service_failure(services, what: str) -> str:
    endpoints = ", ".join(sorted({f"<{s.endpoint}>" for s in services}))
    return f"the SERVICE endpoint ({endpoints}) {what}"
