"""Federation: the one door from the query workers to other SPARQL endpoints.

A query worker has no network of its own (server/web/sandbox.py): the SERVICE clauses of a query, once checked against
the allow-list (server/syntax.py), are pointed at ``/federation/<n>`` on the worker's relay, which passes the
connection to :class:`FederationProxy`'s Unix socket.  The proxy answers only those paths, and sends each query
with outbound.forward (a User-Agent, a time limit, Retry-After handling) to allow-listed endpoint number n, or to the
URL that the `service_map` setting puts in its place (an offline mirror or a test stand-in).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import socketserver
import tempfile
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler

from ..errors import QueryTimeout, RakgError
from ..outbound import forward

_FEDERATION_PATH = re.compile(r"/federation/(\d{1,4})(?:\?(.*))?")
log = logging.getLogger(__name__)


class FederationProxy:
    """An HTTP server on a Unix socket (``path``) that sends the query of ``POST /federation/<n>`` (a form with
    ``query=``, or an ``application/sparql-query`` body; also ``GET ?query=``) to allow-listed endpoint n and
    answers with its reply.  Any other path is 404; a remote endpoint that cannot be reached is 502, one that does
    not answer in ``timeout`` seconds 504; neither says more than that (no port scans through the proxy).
    """

    def __init__(self, endpoints: list[str], targets: dict[str, str], timeout: float, max_bytes: int):
        self.directory = tempfile.mkdtemp(prefix="rakg-federation-")
        self.path = os.path.join(self.directory, "proxy.sock")
        handler = type("Handler", (_ProxyHandler,), {"endpoints": endpoints, "targets": targets, "timeout": timeout, "max_bytes": max_bytes})
        self.server = socketserver.ThreadingUnixStreamServer(self.path, handler)
        self.server.daemon_threads = True

    def start(self) -> None:
        """Answer in a thread of its own (after the query workers' zygote was forked: it must inherit no thread)."""
        threading.Thread(target=self.server.serve_forever, name="rakg-federation", daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        shutil.rmtree(self.directory, ignore_errors=True)


class _ProxyHandler(BaseHTTPRequestHandler):
    endpoints: list[str]
    targets: dict[str, str]
    timeout: float
    max_bytes: int
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._proxy()

    def do_POST(self) -> None:  # noqa: N802
        self._proxy()

    def _proxy(self) -> None:
        match = _FEDERATION_PATH.fullmatch(self.path)
        if not match or int(match.group(1)) >= len(self.endpoints):
            return self._reply(404, "text/plain", b"no such federation endpoint")
        length = int(self.headers.get("Content-Length") or 0)
        if length > self.max_bytes:
            return self._reply(413, "text/plain", b"query too large")
        body = self.rfile.read(length).decode("utf-8", "replace")
        if self.headers.get_content_type() == "application/sparql-query":
            query = body
        else:
            query = (urllib.parse.parse_qs(body).get("query") or urllib.parse.parse_qs(match.group(2) or "").get("query") or [""])[0]
        target = self.targets[self.endpoints[int(match.group(1))]]
        try:
            reply = forward(target, query, self.headers.get("Accept", ""), self.timeout)
        except QueryTimeout:
            return self._reply(504, "text/plain", b"the SERVICE endpoint did not answer in time")
        except RakgError:
            return self._reply(502, "text/plain", b"the SERVICE endpoint could not be reached")
        self._reply(reply.status, reply.content_type or "application/octet-stream", reply.body)

    def _reply(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def address_string(self) -> str:
        return "query worker"

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's signature
        log.info("federation proxy: " + format, *args)
