"""The frame of every HTTP reply: the one error shape (JSON, or plain text for a client that prefers text) for the
project's errors, Flask's and unexpected ones; CORS on the read-only routes; the security headers on HTML.
"""

from __future__ import annotations

import functools

from ..errors import RakgError, TooManyRequests, error_body

READ_ONLY_ROUTES = ("/sparql", "/.well-known/void", "/data/", "/api/", "/id/", "/ontology", "/source/")
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept",
    "Access-Control-Expose-Headers": "X-Result-Rows, X-Result-Truncated, ETag, Retry-After, Server-Timing",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def error_response(error: RakgError):
    """The one error shape: JSON, or plain text when the client prefers text."""
    from flask import jsonify, make_response, request

    body = error_body(error)
    best = request.accept_mimetypes.best_match(["application/json", "text/plain"], default="application/json")
    if best == "text/plain" and request.accept_mimetypes["text/plain"] > request.accept_mimetypes["application/json"]:
        text = f"{body['status']} {body['error']}: {body['message']}" + (f" ({body['where']})" if body["where"] else "")
        response = make_response(text + "\n", error.status)
        response.mimetype = "text/plain"
        return response
    return make_response(jsonify(body), error.status)


def register_error_handlers(app) -> None:
    """Map RakgError, Flask's HTTP errors and unexpected exceptions onto the error shape; add CORS and security headers."""
    from flask import request
    from werkzeug.exceptions import HTTPException

    @app.errorhandler(RakgError)
    def _rakg(error: RakgError):
        response = error_response(error)
        if isinstance(error, TooManyRequests):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        mapped = RakgError(error.description or error.name)
        mapped.status = error.code or 500
        if error.code == 413:
            mapped.message = f"the request is larger than the {app.config['MAX_CONTENT_LENGTH']} byte limit (setting max_request_bytes)"
        if error.code == 405:
            mapped.message = f"method {request.method} is not allowed on {request.path}"
        return error_response(mapped)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(RakgError(f"internal error ({type(error).__name__}); the server log has the details"))

    @app.after_request
    def _headers(response):
        response.headers.update(common_headers(request.path, response.mimetype if response.status_code != 304 else None))
        return response


@functools.lru_cache(maxsize=256)
def common_header_items(path: str, mimetype: str | None) -> tuple[tuple[str, str], ...]:
    """:func:`common_headers` as pairs, made once per path and media type (the SPARQL fast path adds them to every answer)."""
    return tuple(common_headers(path, mimetype).items())


def common_headers(path: str, mimetype: str | None) -> dict[str, str]:
    """The headers of every answer: CORS on the read-only routes, the security headers on HTML (``mimetype``
    None: no body), nosniff."""
    headers = dict(CORS_HEADERS) if path.startswith(READ_ONLY_ROUTES) else {}
    if mimetype == "text/html":
        headers.update(SECURITY_HEADERS)
    headers["X-Content-Type-Options"] = "nosniff"
    return headers
