"""The SPARQL and JSON routes: /sparql, /update, the service and VoID descriptions, downloads, the query gallery and label search."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, jsonify, redirect, request
from werkzeug.datastructures import ETags
from werkzeug.http import HTTP_STATUS_CODES, parse_etags
from werkzeug.wsgi import get_current_url

from .. import protocol
from ..errors import (Forbidden, MethodNotAllowed, NotAcceptable, NotFound, PayloadTooLarge, QueryError, RakgError, UnsupportedMediaType)
from .jobs import Job
from .replies import common_header_items

api = Blueprint("api", __name__)
log = logging.getLogger(__name__)

FORM_TYPE = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
HTML_TYPES = ("text/html", "application/xhtml+xml")


def _service():
    return current_app.extensions["rakg"]


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match(list(HTML_TYPES) + [protocol.MEDIA_TYPES["turtle"][0]])
    return best in HTML_TYPES and request.accept_mimetypes[best] > request.accept_mimetypes["text/turtle"]


def _query_and_parameters() -> tuple[str | None, protocol.Parameters]:
    """The query of a GET, form POST or direct POST (None when there is none) and the request's parameters (the
    URL's and a form's), read as the Protocol says: UTF-8, one query.

    Raises PayloadTooLarge (413), Forbidden (403) for an update, UnsupportedMediaType (415), QueryError (400) for
    parameters or a body that are not UTF-8 (or declare another charset) and for more than one query.
    """
    limit = _service().settings.max_request_bytes
    if len(request.query_string) > limit:
        raise PayloadTooLarge(f"the query string has {len(request.query_string)} bytes; the limit is {limit} (setting max_request_bytes)")
    pairs, body_query = protocol.parse_parameters(request.query_string), None
    if request.method == "POST":
        if request.mimetype == UPDATE_TYPE:
            raise Forbidden("this endpoint is read-only: SPARQL Update is refused")
        if request.mimetype not in (FORM_TYPE, QUERY_TYPE):
            raise UnsupportedMediaType(
                f"unsupported Content-Type {request.mimetype or '(none)'!r}: POST a query as {FORM_TYPE} (query=...) or {QUERY_TYPE}")
        protocol.check_charset(request.mimetype_params.get("charset"))
        body = request.get_data(cache=False)
        if request.mimetype == FORM_TYPE:
            pairs += protocol.parse_parameters(body)
        else:
            body_query = protocol.decode_body(body)
    values = protocol.Parameters(pairs)
    if "update" in values:
        raise Forbidden("this endpoint is read-only: SPARQL Update is refused")
    return protocol.single_query(values, body_query), values


@api.route("/sparql", methods=["GET", "POST", "OPTIONS"])
def sparql():
    if request.method == "OPTIONS":
        return Response(status=204)
    query, values = _query_and_parameters()
    if query is None:
        if request.method == "GET" and _wants_html():
            return redirect("/")
        if request.method == "GET":
            return _service().description_response("service", request.headers.get("Accept"), values.get("format"))
        raise QueryError("no query: send query=... (form or URL) or a body of type application/sparql-query")
    if not query.strip():
        raise QueryError("the query is empty")
    service = _service()
    protocol.refuse_update(query)
    job = _job(service, query, request.headers.get("Accept"), values, request.base_url)
    reply = answer(service, job, request.if_none_match, request.remote_addr or "unknown")
    return Response(reply.body, status=reply.status, headers=reply.headers)


def _job(service, query: str, accept: str | None, values, base_iri: str) -> Job:
    """The job of a query with the request's Accept header, parameters (protocol.Parameters of the query string and form)
    and URL (the base IRI of the query's relative IRIs, as the Protocol says).

    Raises QueryError (400) for an ``inferred`` that is neither true nor false.
    """
    return Job(
        query=query,
        fmt_accept=accept,
        fmt_param=values.get("format"),
        max_rows=service.settings.max_rows,
        max_bytes=service.settings.max_result_bytes,
        include_inferred=protocol.flag("inferred", values.get("inferred")),
        default_graph_uris=tuple(values.getlist("default-graph-uri")),
        named_graph_uris=tuple(values.getlist("named-graph-uri")),
        base_iri=base_iri,
    )


@dataclass
class Reply:
    """A SPARQL answer as status, headers and body, made without Flask so that both the Flask view and
    :class:`FastPath` send it."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def mimetype(self) -> str | None:
        return next((value.split(";")[0] for name, value in self.headers if name == "Content-Type"), None)


def answer(service, job: Job, etags: ETags, client: str, known_only: bool = False, within: float | None = None):
    """The reply to a job whose query passed the protocol checks: 304 when one of the client's ``etags`` is the
    answer's, the cached answer, or the query's answer (in this thread for a job known to be cheap, else in a
    query worker, which also checks its SERVICE clauses and nesting).  ``known_only``: None instead of sending the
    job to a query worker (and, with ``within``, also for a known job that took longer).  A federated answer (one
    that called SERVICE endpoints) is neither cached nor validated.

    Raises the errors of QueryPool.run (TooManyRequests when ``client`` has used its budget...).
    """
    key = _cache_key(service.content_hash, job)
    etag = f'"{key[:40]}"'
    if etags.contains(key[:40]):
        return Reply(304, _cache_headers(etag), b"")
    cached = service.cache.get(key)
    if cached is not None:
        return _answer_reply(service, *cached, etag=etag, timing='cache;desc="hit"')
    if not known_only:
        return _fresh_reply(service, key, etag, service.pool.run(job, client))
    known = service.pool.known(job, within)
    if known is None:
        return None
    return _fresh_reply(service, key, etag, service.pool.run_known(job, known, client))


def _fresh_reply(service, key: str, etag: str, result) -> Reply:
    """The reply of an answer the engine just made, which the result cache keeps unless it is federated."""
    entry = (result.body, result.format, result.rows, result.limit)
    timing = f'query;dur={result.seconds * 1000:.2f};desc="{"inline" if result.inline else "worker"}"'
    if result.federated:
        return _answer_reply(service, *entry, etag=None, timing=timing)
    service.cache.put(key, entry)
    return _answer_reply(service, *entry, etag=etag, timing=timing)


def _cache_key(content_hash: str, job: Job) -> str:
    """The data's content hash and everything in the request that can change the answer (the job as the client sent it)."""
    parts = [content_hash, job.query, job.fmt_accept or "", job.fmt_param or "", str(job.include_inferred),
             "|".join(job.default_graph_uris), "|".join(job.named_graph_uris), str(job.max_rows), str(job.max_bytes), job.base_iri or ""]
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def _cache_headers(etag: str | None) -> list[tuple[str, str]]:
    validators = [("ETag", etag), ("Cache-Control", "public, no-cache")] if etag else []
    return validators + [("Vary", "Accept")]


def _answer_reply(service, body: bytes, fmt: str, rows: int, limit: str, etag: str | None, timing: str) -> Reply:
    """The answer with its row count, truncation flag (``limit``: the limit that cut it, 'limit=N' or 'bytes=N'),
    caching headers and a Server-Timing header: where the answer came from (the result cache, a query worker, or
    this thread for a job known to be cheap) and the engine's milliseconds for the query and its serialization."""
    headers = [("Content-Type", protocol.content_type(fmt)), ("Server-Timing", timing), ("X-Result-Rows", str(rows))]
    if limit:
        headers.append(("X-Result-Truncated", f"true; {limit}"))
    return Reply(200, headers + _cache_headers(etag), body)


class FastPath:
    """WSGI middleware in front of the Flask app for the most frequent SPARQL requests: a GET of /sparql whose
    answer needs no query worker (a 304, a cached answer, or a job known to be cheap, see QueryPool.run).
    It sends the same reply as the Flask view (:func:`answer`, the headers of :func:`replies.common_headers`)
    without Flask's request and response objects, which cost about a third of such a request.

    Every other request, and every one of these that would fail (over max_request_bytes, an ``update``
    parameter, an empty query, a spent budget...), goes to Flask, whose view checks and answers it as before.
    The protocol checks are not repeated here: a cached answer or a known-cheap job was checked when it was
    first answered, and text that differs only in comments and blanks passes the same checks.  A federated
    query is never cached nor known cheap, so it always goes to Flask.
    """

    def __init__(self, app, service):
        self.app, self.service = app, service
        self.limit = service.settings.max_request_bytes

    def __call__(self, environ, start_response):
        reply = None
        if environ["REQUEST_METHOD"] == "GET" and environ.get("PATH_INFO") == "/sparql":
            reply = self.reply(environ.get("QUERY_STRING", ""), environ.get("HTTP_ACCEPT"), environ.get("HTTP_IF_NONE_MATCH"),
                               environ.get("REMOTE_ADDR") or "unknown", get_current_url(environ, strip_querystring=True))
        if reply is None:
            return self.app(environ, start_response)
        status, headers, body = reply
        start_response(status, headers)
        return [body]

    def reply(self, query_string: str, accept: str | None, if_none_match: str | None, client: str, base: str,
              within: float | None = None):
        """The status line, headers and body of the answer to ``GET /sparql?<query_string>`` when it needs no query
        worker (and, with ``within``, no known job that took longer than that), else None: the Flask view answers.
        The HTTP server calls this in its event loops with a small ``within``, the WSGI path without."""
        return self._triple(self._guarded(lambda: self._reply(query_string, accept, if_none_match, client, base, within)))

    @staticmethod
    def _triple(reply: Reply | None) -> tuple[str, list, bytes] | None:
        if reply is None:
            return None
        headers = [*reply.headers, *common_header_items("/sparql", reply.mimetype)]
        if reply.status != 304:
            headers.append(("Content-Length", str(len(reply.body))))
        return f"{reply.status} {HTTP_STATUS_CODES[reply.status]}", headers, reply.body

    @staticmethod
    def _guarded(make):
        """What ``make()`` gives; None when it raises: the view raises a RakgError again (a spent budget, say) and
        answers it in the error shape, and logs a fault as every other."""
        try:
            return make()
        except RakgError:
            return None
        except Exception:  # noqa: BLE001
            log.exception("the fast path failed on GET /sparql; the Flask view answers instead")
            return None

    def _reply(self, text: str, accept: str | None, if_none_match: str | None, client: str, base: str,
               within: float | None):
        if not text or len(text) > self.limit:
            return None
        values = protocol.Parameters(protocol.parse_parameters(text.encode("latin-1")))
        query = protocol.single_query(values)
        if query is None or not query.strip() or "update" in values:
            return None
        job = _job(self.service, query, accept, values, base)
        return answer(self.service, job, parse_etags(if_none_match), client, known_only=True, within=within)


@api.route("/update", methods=["GET", "POST", "PUT", "DELETE", "PATCH"])
def update():
    raise Forbidden("this endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, ADD, MOVE, COPY) is refused")


@api.route("/.well-known/void")
def void():
    return _service().description_response("void", request.headers.get("Accept"), request.args.get("format"))


@api.route("/data/<name>")
def download(name: str):
    formats = {"graph.nq": "nquads", "graph.trig": "trig", "graph.ttl": "turtle", "graph.jsonld": "jsonld"}
    if name not in formats:
        raise NotAcceptable(f"no download {name!r}; available: {', '.join(formats)}")
    return _service().download_response(formats[name])


@api.route("/api/queries")
def queries():
    return jsonify([
        {"slug": q.slug, "query": q.text, **{k: q.meta.get(k, "") for k in ("title", "title_zh", "description", "description_zh", "source")}, "tags": q.tags}
        for q in _service().catalog
    ])


@api.route("/api/search")
def search():
    term = request.args.get("q", "")
    if not term.strip():
        raise QueryError("give a search text: /api/search?q=東協")
    limit = request.args.get("limit", "") or "20"
    if not limit.isascii() or not limit.isdigit() or not 1 <= int(limit) <= 100:
        raise QueryError(f"limit must be a whole number from 1 to 100, not {limit[:40]!r}")
    return jsonify(_service().labels.search(term, limit=int(limit)))


LINKED_DATA_ROUTES = {"pages.entity", "pages.source", "pages.other"}


@api.before_app_request
def _refuse_paths_that_are_not_iris():
    """The linked-data routes look up base IRI + path: a path that cannot be part of an IRI (a space, '<', '{',
    a bad %-escape, a control character) names no resource, so it is a 404 before any store lookup."""
    if request.endpoint in LINKED_DATA_ROUTES and not protocol.is_iri_path(request.path[1:]):
        raise NotFound(f"no resource: {request.path[:200]!r} cannot be part of an IRI", where="path")


@api.route("/sparql/<path:rest>", methods=["GET", "POST"])
def no_such_sparql_route(rest: str):
    raise MethodNotAllowed(f"no route /sparql/{rest}: the endpoint is /sparql")
