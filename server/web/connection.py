"""One HTTP/1.1 connection of `rakg serve` (server/web/front.py runs the server): its request is read as its bytes come,
within the limits of the settings, and answered in the event loop when that is cheap, else in a request thread.

The request line and headers must arrive within ``header_timeout`` seconds, the body within ``body_timeout``; a
keep-alive connection may idle ``keepalive_timeout`` seconds; an over-long line, header block or body, a chunk size
that overflows or a body announced twice is refused at once in the one error shape (400, 408, 413, 414, 431).  A
GET of /sparql that the fast path can answer without a query worker, from its cache or with a query known to take
at most LOOP_SECONDS, is answered in the connection's event loop (a thread hand-off and the engine's return to the
GIL cost more than such an answer); the serving process has one such loop per core (front.Lane), and the engine
releases the GIL, so these answers use all cores.  Any other complete request takes one of the request threads,
which run the WSGI app.  An answer of up to STREAM_BYTES is handed to the loop whole (its thread is free at once,
however slowly the client reads), a longer one is streamed with back-pressure; answers of BIG_ANSWER bytes or more
are written only within the server's budget of unsent bytes, and a client that does not read its answer sends no
further request.  A 429 or 503 with Retry-After is held back up to TARPIT seconds, without a thread, so that a
client looping on refusals cannot spin the server.
"""

from __future__ import annotations

import asyncio
import io
import logging
import threading
import time

import httptools

from .wire import HttpError, error_bytes, http_date, wsgi_environ

log = logging.getLogger("rakg.http")
STREAM_BYTES = 4 << 20  # a longer response is streamed from its thread with back-pressure instead of handed over whole
BIG_ANSWER = 1 << 20  # an answer this long is written only within the server's budget of unsent bytes
TARPIT = 1.0  # most seconds a 429 or 503 with Retry-After is held back before it is sent
LOOP_SECONDS = 0.010  # a query known to take at most this long is answered in the event loop, without a thread
# (measured on the chapter: a 2 ms query answered in a request thread took 4.2 ms over HTTP, in the loop 2.3 ms)
MAX_URL_BYTES = 8190  # the request line: longer queries are POSTed (8 KB, as most servers and proxies allow)
MAX_HEADER_BYTES = 65536  # all header lines of a request together
MAX_HEADERS = 100


class HttpConnection(asyncio.Protocol):
    """One client connection: parse requests as their bytes come, hand each complete one to a thread, write its answer."""

    def __init__(self, server, lane, client: str):
        """A connection that ``server`` (a front.Server) admitted for ``client`` (its address) when it accepted it,
        served by the loop of ``lane`` (a front.Lane)."""
        self.server, self.lane, self.loop, self.client = server, lane, lane.loop, client
        self.settings = server.settings
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.port = 0
        self.busy = False  # a request is being answered
        self.closing = False
        self.last = False  # no request may follow the ones queued (the client asked for an upgrade or CONNECT)
        self.queue: list[dict] = []  # complete requests waiting for the one being answered (pipelining)
        self.request: dict | None = None
        self.header_bytes = 0
        self.buffered = 0  # this connection's share of Server.buffered
        self.unsent = 0  # unsent bytes when the idle timer last fired: no progress for body_timeout ends the connection
        self.timer: asyncio.TimerHandle | None = None
        self.writable = threading.Event()
        self.writable.set()

    # --- asyncio.Protocol ------------------------------------------------------------------------------------

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.port = (transport.get_extra_info("peername") or ("", 0))[1]
        self.lane.connections.add(self)
        self._expect_request(self.settings.header_timeout, "the request line and headers")

    def connection_lost(self, exc) -> None:
        self.lane.ended += 1
        self.closing = True
        self.writable.set()  # a thread streaming to us must not wait forever
        self._cancel_timer()
        self.lane.buffered -= self.buffered
        self.buffered = 0
        self.lane.connections.discard(self)
        self.server.release(self.client)

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()
        self.account_buffer()
        if not self.busy and not self.queue and not self.closing and self.transport.is_reading() is False:
            self.transport.resume_reading()

    def account_buffer(self) -> int:
        """Bring this connection's unsent bytes up to date in the server's count; returns them."""
        now = self.transport.get_write_buffer_size() if not self.transport.is_closing() else 0
        self.lane.buffered += now - self.buffered
        self.buffered = now
        return now

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as error:  # raised by one of our callbacks below
            cause = error.__context__
            if not isinstance(cause, HttpError):
                raise
            self._refuse(cause.status, cause.message)
        except httptools.HttpParserUpgrade:  # CONNECT, or Upgrade: the request is answered as any other, then the end
            self.last = True
            self.transport.pause_reading()
        except httptools.HttpParserError as error:
            self._refuse(400, f"the request is not valid HTTP/1.1: {error}")

    # --- httptools callbacks -------------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.request = {"url": b"", "headers": [], "body": io.BytesIO(), "length": 0}
        self.header_bytes = 0
        self._expect_request(self.settings.header_timeout, "the request line and headers")

    def on_url(self, url: bytes) -> None:
        self.request["url"] += url
        if len(self.request["url"]) > MAX_URL_BYTES:
            raise HttpError(414, f"the request line is longer than {MAX_URL_BYTES} bytes; POST long queries")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_bytes += len(name) + len(value) + 4
        self.request["headers"].append((name, value))
        if self.header_bytes > MAX_HEADER_BYTES or len(self.request["headers"]) > MAX_HEADERS:
            raise HttpError(431, f"the request's headers exceed {MAX_HEADERS} lines or {MAX_HEADER_BYTES} bytes")

    def on_headers_complete(self) -> None:
        request = self.request
        request["method"] = self.parser.get_method().decode("latin-1")
        request["version"] = self.parser.get_http_version()
        request["keep_alive"] = self.parser.should_keep_alive()
        names = {name.lower(): value for name, value in request["headers"]}
        length = names.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.settings.max_request_bytes):
            raise HttpError(413, f"the request body is larger than {self.settings.max_request_bytes} bytes (setting max_request_bytes)")
        if names.get(b"expect", b"").lower() == b"100-continue":
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if length is not None or b"transfer-encoding" in names:  # else the request is complete (the header timer stays)
            self._expect_request(self.settings.body_timeout, "the request body")

    def on_body(self, body: bytes) -> None:
        self.request["length"] += len(body)
        if self.request["length"] > self.settings.max_request_bytes:
            raise HttpError(413, f"the request body is larger than {self.settings.max_request_bytes} bytes (setting max_request_bytes)")
        self.request["body"].write(body)

    def on_message_complete(self) -> None:
        self._cancel_timer()
        self.queue.append(self.request)
        self.request = None
        if len(self.queue) > 1:
            self.transport.pause_reading()  # pipelined requests wait for the ones before them
        self._next()

    # --- answering -----------------------------------------------------------------------------------------

    def _next(self) -> None:
        if self.busy or not self.queue or self.closing:
            return
        self.busy = True
        request = self.queue.pop(0)
        self.lane.in_flight += 1
        if request["method"] == "GET" and self.server.fast:
            self.loop.call_soon(self._start, request)  # outside the parser's callback
        else:
            self.server.threads.submit(self._answer, request)

    def _start(self, request: dict) -> None:
        """Answer a GET of /sparql here when that costs no more than a cache lookup or a query known to take at most
        LOOP_SECONDS (api.FastPath): a thread hand-off costs more than such an answer.  Any other request is answered
        by the app in a request thread."""
        reply = self._fast_reply(request) if not self.closing else None
        if reply is None:
            self.server.threads.submit(self._answer, request)
            return
        data, keep_alive = self._fast_bytes(request, reply)
        self._write(data)
        self._done(keep_alive)

    def _fast_bytes(self, request: dict, reply: tuple[str, list, bytes]) -> tuple[bytes, bool]:
        """The bytes of the fast path's answer and whether the connection stays open after it; logs the request."""
        keep_alive = self._keep_alive(request)
        self.server.access(self.client, "GET", request["url"], request["version"], reply[0][:3], time.perf_counter() - request["started"])
        return self._head(request, {"status": reply[0], "headers": reply[1]}, None, keep_alive) + reply[2], keep_alive

    def _fast_reply(self, request: dict):
        """The fast path's answer to a GET of /sparql (a status line, headers and body) when it costs no more than a
        query known to take at most LOOP_SECONDS, or None: the app answers."""
        request["started"] = time.perf_counter()
        path, _, query = request["url"].partition(b"?")
        if path != b"/sparql" or not query:
            return None
        headers = {name.lower(): value for name, value in request["headers"] if name.lower() in (b"accept", b"if-none-match", b"host")}
        accept, validators = headers.get(b"accept"), headers.get(b"if-none-match")
        host = (headers.get(b"host") or f"{self.settings.host}:{self.settings.port}".encode()).decode("latin-1")
        return self.server.fast(query.decode("latin-1"), accept and accept.decode("latin-1"), validators and validators.decode("latin-1"),
                                self.client, f"http://{host}/sparql", LOOP_SECONDS)

    def _keep_alive(self, request: dict) -> bool:
        return request["keep_alive"] and not self.closing and not (self.last and not self.queue)

    def _answer(self, request: dict) -> None:
        """In a request thread: run the app and hand its answer to the event loop."""
        started = request.get("started") or time.perf_counter()
        status, keep_alive, data, delay = 500, False, None, 0.0
        try:
            status, keep_alive, data, delay = self._run_app(request)
        except Exception:  # noqa: BLE001 - a fault outside the app's own handlers: logged, answered 500
            log.exception("request failed: %s %r", request.get("method"), request.get("url"))
            data = error_bytes(500, "internal error; the server log has the details")
        finally:
            self.server.access(self.client, request["method"], request["url"], request["version"], status, time.perf_counter() - started)
            self.loop.call_soon_threadsafe(self._finish, data, keep_alive, delay)

    def _finish(self, data: bytes | None, keep_alive: bool, delay: float) -> None:
        """Write an answer and take the next request; a refusal that asks the client to wait (429, 503 with
        Retry-After) is held back up to TARPIT seconds first, without a thread, so that a client looping on refusals
        cannot spin the server."""
        if delay > 0:
            self.loop.call_later(delay, self._finish, data, keep_alive, 0.0)
            return
        if data is not None:
            self._write(data)
        self._done(keep_alive)

    def _run_app(self, request: dict) -> tuple[int, bool, bytes | None, float]:
        """Run the app; returns its status, whether the connection stays open, the bytes to write (None when they were
        streamed already) and how long to hold them back."""
        response: dict = {}

        def start_response(status: str, headers: list, exc_info=None):
            response["status"], response["headers"] = status, headers
            return lambda data: None  # the legacy write() callable: our app never uses it

        result = self.server.app(wsgi_environ(request, self.settings, self.client, self.port), start_response)
        try:
            chunks, size = [], 0
            iterator = iter(result)
            for chunk in iterator:
                chunks.append(chunk)
                size += len(chunk)
                if size > STREAM_BYTES:
                    return self._stream(request, response, chunks, iterator), False, None, 0.0
        finally:
            if hasattr(result, "close"):
                result.close()
        body = b"".join(chunks)
        status = int(response["status"][:3])
        keep_alive = self._keep_alive(request)
        head = self._head(request, response, len(body), keep_alive)
        delay = 0.0
        if status in (429, 503):
            wait = next((value for name, value in response["headers"] if name.lower() == "retry-after"), "")
            delay = min(float(wait), TARPIT) if wait.isdigit() else 0.0
        return status, keep_alive, head + (b"" if request["method"] == "HEAD" else body), delay

    def _stream(self, request: dict, response: dict, chunks: list, iterator) -> int:
        """Write a long response as it is produced, waiting while the client's socket is full; returns its status."""
        head = self._head(request, response, None, False)
        pending = [head, *chunks]
        for chunk in iterator:
            pending.append(chunk)
            if sum(map(len, pending)) >= 65536:
                if not self._send(b"".join(pending)):
                    return int(response["status"][:3])
                pending = []
        self._send(b"".join(pending))
        return int(response["status"][:3])

    def _send(self, data: bytes) -> bool:
        if not self.writable.wait(self.settings.body_timeout) or self.closing:
            self.loop.call_soon_threadsafe(self.transport.abort)
            return False
        self.loop.call_soon_threadsafe(self._write, data)
        return True

    def _head(self, request: dict, response: dict, length: int | None, keep_alive: bool) -> bytes:
        lines = [f"HTTP/1.1 {response['status']}", *(f"{name}: {value}" for name, value in response["headers"])]
        if (length is not None and not response["status"].startswith(("1", "204", "304"))
                and all(name.lower() != "content-length" for name, _ in response["headers"])):
            lines.append(f"Content-Length: {length}")
        lines.append(http_date())
        if not keep_alive:
            lines.append("Connection: close")
        elif request["version"] == "1.0":
            lines.append("Connection: keep-alive")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _write(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        if len(data) > BIG_ANSWER and self.server.buffered + len(data) > self.server.buffer_budget:
            self.lane.recount_now()  # the other lanes recount theirs every second
            if self.server.buffered + len(data) > self.server.buffer_budget:
                self.transport.write(error_bytes(503, "the server holds as many unread answers as its memory allows (setting "
                                                      "memory_limit); read them, or retry shortly"))
                self.closing = True
                self.transport.close()
                return
        self.transport.write(data)
        self.account_buffer()

    def _done(self, keep_alive: bool) -> None:
        self.lane.in_flight -= 1
        self.busy = False
        if not keep_alive or self.closing:
            self.closing = True
            self.transport.close()
            return
        if self.queue:
            self._next()
        else:
            if self.writable.is_set():  # a client that does not read its answer sends no further request
                self.transport.resume_reading()
            self._expect_request(self.settings.keepalive_timeout, None)

    # --- timers and refusals -------------------------------------------------------------------------------

    def _expect_request(self, seconds: float, what: str | None) -> None:
        self._cancel_timer()
        self.timer = self.loop.call_later(seconds, self._timed_out, seconds, what)

    def _timed_out(self, seconds: float, what: str | None) -> None:
        if self.busy:
            return
        unsent = self.transport.get_write_buffer_size()
        if what is None and unsent and unsent != self.unsent:  # a slow reader still receiving its answer: wait on
            self.unsent = unsent
            self._expect_request(self.settings.body_timeout, None)
            return
        if what is None or self.request is None:
            self.closing = True
            self.transport.close()  # an idle keep-alive connection, or one that never sent a byte
            return
        self._refuse(408, f"{what} did not arrive within {seconds:g} s (setting {'header' if 'headers' in what else 'body'}_timeout)")

    def _cancel_timer(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def _refuse(self, status: int, message: str) -> None:
        self.closing = True
        self._cancel_timer()
        if not self.busy:
            self.transport.write(error_bytes(status, message))
        self.transport.close()

    def close_when_idle(self) -> None:
        if not self.busy and not self.queue:
            self.closing = True
            self.transport.close()
