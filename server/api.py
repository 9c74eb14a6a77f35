"""The SPARQL and JSON routes: /sparql, /update, the service and VoID descriptions, downloads, the query gallery and label search."""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace

from flask import Blueprint, Response, current_app, jsonify, redirect, request

from . import protocol
from .errors import Forbidden, MethodNotAllowed, NotAcceptable, NotFound, PayloadTooLarge, QueryError, UnsupportedMediaType
from .executor import Job
from .linking import forward

api = Blueprint("api", __name__)

FORM_TYPE = "application/x-www-form-urlencoded"
QUERY_TYPE = "application/sparql-query"
UPDATE_TYPE = "application/sparql-update"
HTML_TYPES = ("text/html", "application/xhtml+xml")


def _service():
    return current_app.extensions["rakg"]


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match(list(HTML_TYPES) + [protocol.MEDIA_TYPES["turtle"][0]])
    return best in HTML_TYPES and request.accept_mimetypes[best] > request.accept_mimetypes["text/turtle"]


def _flag(name: str) -> bool:
    return request.values.get(name, "").lower() in {"1", "true", "yes", "on"}


def _query_text() -> str | None:
    """The query of a GET, form POST or direct POST, after the Protocol's rules; raises 415/403/413."""
    limit = _service().settings.max_request_bytes
    if request.method == "GET":
        if len(request.query_string) > limit:
            raise PayloadTooLarge(f"the query string has {len(request.query_string)} bytes; the limit is {limit} (setting max_request_bytes)")
        if "update" in request.args:
            raise Forbidden("this endpoint is read-only: SPARQL Update is refused")
        return request.args.get("query")
    mimetype = request.mimetype
    if mimetype == UPDATE_TYPE:
        raise Forbidden("this endpoint is read-only: SPARQL Update is refused")
    if mimetype == QUERY_TYPE:
        body = request.get_data(cache=False)
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise QueryError(f"the request body is not UTF-8: {exc.reason} at byte {exc.start}") from exc
    if mimetype in (FORM_TYPE, "multipart/form-data"):
        if "update" in request.form:
            raise Forbidden("this endpoint is read-only: SPARQL Update is refused")
        return request.form.get("query")
    raise UnsupportedMediaType(
        f"unsupported Content-Type {request.mimetype or '(none)'!r}: POST a query as {FORM_TYPE} (query=...) or {QUERY_TYPE}"
    )


@api.route("/sparql", methods=["GET", "POST", "OPTIONS"])
def sparql():
    if request.method == "OPTIONS":
        return Response(status=204)
    query = _query_text()
    if query is None:
        if request.method == "GET" and _wants_html():
            return redirect("/")
        if request.method == "GET":
            return _service().description_response("service", request.headers.get("Accept"), request.args.get("format"))
        raise QueryError("no query: send query=... (form or URL) or a body of type application/sparql-query")
    if not query.strip():
        raise QueryError("the query is empty")
    service = _service()
    protocol.refuse_update(query)
    protocol.check_nesting(query)
    federated = bool(protocol.check_services(query, service.settings.allowed_services, service.prefixes))
    job = Job(
        query=query,
        fmt_accept=request.headers.get("Accept"),
        fmt_param=request.values.get("format"),
        max_rows=service.settings.max_rows,
        include_inferred=_flag("inferred"),
        default_graph_uris=tuple(request.values.getlist("default-graph-uri")),
        named_graph_uris=tuple(request.values.getlist("named-graph-uri")),
    )
    key = _cache_key(service.content_hash, job)
    etag = f'"{key[:40]}"'
    if not federated:
        if request.if_none_match.contains(key[:40]):
            return _cached_headers(Response(status=304), etag)
        cached = service.cache.get(key)
        if cached is not None:
            return _answer_response(service, *cached, etag=etag, timing='cache;desc="hit"')
    client = request.remote_addr or "unknown"
    service.budget.check(client)
    if federated:
        job = replace(job, query=protocol.route_services(query, service.settings.allowed_services, service.prefixes, service.proxy_base))
    started = time.monotonic()
    try:
        answer = service.pool.run(job, may_inline=not federated)
    finally:
        service.budget.charge(client, time.monotonic() - started)
    entry = (answer.body, answer.format, answer.rows, answer.truncated)
    timing = f'query;dur={answer.seconds * 1000:.2f};desc="{"inline" if answer.inline else "worker"}"'
    if federated:
        return _answer_response(service, *entry, etag=None, timing=timing)
    service.cache.put(key, entry)
    return _answer_response(service, *entry, etag=etag, timing=timing)


def _cache_key(content_hash: str, job: Job) -> str:
    """The data's content hash and everything in the request that can change the answer (the job as the client sent it)."""
    parts = [content_hash, job.query, job.fmt_accept or "", job.fmt_param or "", str(job.include_inferred),
             "|".join(job.default_graph_uris), "|".join(job.named_graph_uris), str(job.max_rows)]
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def _cached_headers(response: Response, etag: str | None) -> Response:
    if etag:
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = "public, no-cache"
    response.headers["Vary"] = "Accept"
    return response


def _answer_response(service, body: bytes, fmt: str, rows: int, truncated: bool, etag: str | None, timing: str) -> Response:
    """The answer with its row count, truncation flag, caching headers and a Server-Timing header: where the
    answer came from (the result cache, a query worker, or this thread for a job known to be cheap) and
    the engine's milliseconds for the query and its serialization."""
    response = Response(body, content_type=protocol.content_type(fmt))
    response.headers["Server-Timing"] = timing
    response.headers["X-Result-Rows"] = str(rows)
    if truncated:
        response.headers["X-Result-Truncated"] = f"true; limit={service.settings.max_rows}"
    return _cached_headers(response, etag)


@api.route("/federation/<int:index>", methods=["GET", "POST"])
def federation(index: int):
    """The one door to other endpoints: query workers reach allow-listed SERVICE endpoints only through here."""
    service = _service()
    if request.remote_addr not in ("127.0.0.1", "::1"):
        raise Forbidden("the federation proxy serves this server's own query workers only")
    endpoints = service.settings.allowed_services
    if index >= len(endpoints):
        raise Forbidden(f"no allow-listed endpoint number {index}")
    query = request.values.get("query") or request.get_data(as_text=True)
    target = service.settings.service_targets[endpoints[index]]
    reply = forward(target, query, request.headers.get("Accept", ""), service.settings.query_timeout)
    return Response(reply.body, status=reply.status, content_type=reply.content_type)


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
