"""The HTTP/1.1 bytes the server makes itself, and the WSGI environ of a request (server/web/connection.py reads and
answers the connections): the Date line, the error answers of the requests refused before the app sees them."""

from __future__ import annotations

import json
import sys
import time
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

_date = [0, ""]


def http_date() -> str:
    """The Date header line, made once a second."""
    now = int(time.time())
    if now != _date[0]:
        _date[:] = [now, f"Date: {formatdate(now, usegmt=True)}"]
    return _date[1]


class HttpError(Exception):
    """A request the server refuses before the app sees it (status and message of the error body)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def error_bytes(status: int, message: str, keep_alive: bool = False) -> bytes:
    """A whole error answer in the one error shape (a JSON body), closing the connection unless ``keep_alive``."""
    body = json.dumps({"status": status, "error": HTTPStatus(status).phrase, "message": message, "where": None}).encode()
    head = (f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\nContent-Type: application/json\r\nX-Content-Type-Options: nosniff\r\n"
            f"Content-Length: {len(body)}\r\n" + ("" if keep_alive else "Connection: close\r\n") + "\r\n")
    return head.encode("latin-1") + body


def wsgi_environ(request: dict, settings, client: str, port: int) -> dict:
    """The WSGI environ of a complete request (its body rewound), as the app reads it."""
    path, _, query = request["url"].partition(b"?")
    environ = {
        "REQUEST_METHOD": request["method"], "SCRIPT_NAME": "", "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
        "QUERY_STRING": query.decode("latin-1"), "SERVER_NAME": settings.host, "SERVER_PORT": str(settings.port),
        "SERVER_PROTOCOL": f"HTTP/{request['version']}", "REMOTE_ADDR": client, "REMOTE_PORT": str(port),
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": request["body"], "wsgi.errors": sys.stderr,
        "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }
    request["body"].seek(0)
    for name, value in request["headers"]:
        key = name.decode("latin-1").upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value.decode("latin-1")
            continue
        key = "HTTP_" + key
        value = value.decode("latin-1")
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    if "CONTENT_LENGTH" not in environ and request["length"]:
        environ["CONTENT_LENGTH"] = str(request["length"])  # a chunked body, now whole
    return environ

