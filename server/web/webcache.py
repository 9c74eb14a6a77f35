"""ETags and gzip for the HTML pages, their fragments, the RDF of the linked-data pages and the static files.

A page is the same until the server restarts on other data or code, so its ETag is a hash of its body: a client
that sends it back in If-None-Match gets a 304 without the body. A compressed answer is another representation,
with its own ETag (suffix ``-gzip``). gzip (the standard library's) is the only coding: the heaviest first view is
about 20 KB gzipped, and brotli would save a few more KB for a compiled dependency.

>>> compressible("text/html"), compressible("application/ld+json"), compressible("image/png")
(True, True, False)
"""

from __future__ import annotations

import gzip
import hashlib
import threading

from flask import Request, Response

TEXT_TYPES = ("application/javascript", "application/json", "application/ld+json", "application/n-triples",
              "application/n-quads", "application/rdf+xml", "application/trig", "image/svg+xml")
MIN_BYTES = 1024
_STATIC: dict[tuple[str, str], bytes] = {}  # (path, ETag) -> gzipped body of a static file
_LOCK = threading.Lock()


def compressible(mimetype: str) -> bool:
    """Whether answers of this media type are worth gzipping (text, JSON, RDF, SVG)."""
    return mimetype.startswith("text/") or mimetype in TEXT_TYPES


def finish(response: Response, request: Request, static: bool = False) -> Response:
    """Give a 200 answer its ETag and Vary: Accept-Encoding; answer 304 when the client has it; gzip it when the
    client accepts gzip. Static files keep Flask's ETag (file name, size and time) and their gzipped body is kept."""
    if response.status_code != 200 or "Content-Encoding" in response.headers:
        return response
    response.direct_passthrough = False
    data = response.get_data()
    etag = response.get_etag()[0] if static and response.get_etag()[0] else hashlib.sha256(data).hexdigest()[:32]
    zipped = "gzip" in request.accept_encodings and compressible(response.mimetype or "") and len(data) >= MIN_BYTES
    tag = etag + ("-gzip" if zipped else "")
    response.vary.add("Accept-Encoding")
    response.set_etag(tag)
    if request.if_none_match.contains(tag):
        response.status_code = 304
        response.set_data(b"")
        response.headers.pop("Content-Length", None)
        return response
    if zipped:
        response.set_data(_static_gzip(request.path, tag, data) if static else gzip.compress(data, 6))
        response.headers["Content-Encoding"] = "gzip"
    return response


def _static_gzip(path: str, tag: str, data: bytes) -> bytes:
    with _LOCK:
        found = _STATIC.get((path, tag))
    if found is None:
        found = gzip.compress(data, 9)
        with _LOCK:
            _STATIC[(path, tag)] = found
    return found
