"""server/web/front.py: the HTTP layer against slow, idle, greedy and malformed clients, through a real `rakg serve`.

Every client here is a real socket on 127.0.0.0/8; hostile ones come from addresses of their own (127.0.0.20 and
up) so that the per-client connection cap does not turn them away before they are open, and the well-behaved client
that is measured comes from 127.0.0.2.  Figures are printed as ``FIGURE`` lines (``pytest -s``).
"""

from __future__ import annotations

import socket
import statistics
import threading
import time

import pytest

CHEAP = ["ASK { state:russia a rakg:SovereignState }", "SELECT ?label WHERE { state:russia rdfs:label ?label }",
         "SELECT (COUNT(*) AS ?n) WHERE { ?s a rakg:Membership }"]


def figure(name: str, value) -> None:
    print(f"FIGURE {name}: {value}")


def port_of(base: str) -> int:
    return int(base.rsplit(":", 1)[1])


def connect(base: str, address: str) -> socket.socket:
    sock = socket.socket()
    sock.bind((address, 0))
    sock.settimeout(30)
    sock.connect(("127.0.0.1", port_of(base)))
    return sock


def cheap_latencies(base: str, loopback_client, seconds: float, address: str = "127.0.0.2") -> tuple[list[float], int]:
    """Cheap queries (each with a fresh comment, so the cache does not answer) from one client for ``seconds``:
    the latencies of the answered ones, and how many were sent."""
    client, latencies, sent, index = loopback_client(base, address, timeout=10), [], 0, 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        sent += 1
        started = time.monotonic()
        try:
            status, _, _ = client.get(f"{CHEAP[index % len(CHEAP)]} # {index}")
        except OSError:
            client.close()
            client = loopback_client(base, address, timeout=10)
            continue
        if status == 200:
            latencies.append(time.monotonic() - started)
        index += 1
    client.close()
    return latencies, sent


def p99(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * 0.99))]


@pytest.fixture(scope="module")
def guarded(server_factory):
    """A server with short header and body limits, so that the slow clients are cut within the test."""
    return server_factory("--header-timeout", "3", "--body-timeout", "4", "--keepalive-timeout", "2", "--max-client-connections", "200")


def test_slow_and_idle_connections_do_not_starve_a_cheap_client(guarded, loopback_client):
    """64 connections that send a header a byte every second, 64 that announce a 1 MB body and trickle it, and 256
    that send nothing: a separate client's cheap queries are all answered, p99 under 100 ms; the slow ones get 408
    at their limit and the idle ones are closed."""
    base = guarded
    cheap_latencies(base, loopback_client, 1)  # known to be cheap from now on
    hostile: list[socket.socket] = []
    addresses = [f"127.0.0.{20 + i}" for i in range(4)]
    for i in range(64):
        sock = connect(base, addresses[0])
        sock.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x")
        hostile.append(sock)
    for i in range(64):
        sock = connect(base, addresses[1])
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: 1000000\r\n\r\nASK")
        hostile.append(sock)
    idle = [connect(base, addresses[2 + i % 2]) for i in range(256)]
    stop = threading.Event()

    def trickle() -> None:
        while not stop.is_set():
            for sock in hostile:
                try:
                    sock.send(b"x")
                except OSError:
                    pass
            time.sleep(1)

    feeder = threading.Thread(target=trickle, daemon=True)
    feeder.start()
    try:
        latencies, sent = cheap_latencies(base, loopback_client, 6)
    finally:
        stop.set()
        feeder.join()
    answered = len(latencies) / sent
    figure("cheap client beside 64 slow-header, 64 slow-body and 256 idle connections",
           f"{len(latencies)} of {sent} answered ({answered:.1%}), p50 {statistics.median(latencies) * 1000:.1f} ms, "
           f"p99 {p99(latencies) * 1000:.1f} ms")
    assert answered >= 0.99 and p99(latencies) < 0.1
    statuses = []
    for sock in hostile:
        try:
            statuses.append(sock.recv(64).split(b" ")[1])
        except (OSError, IndexError):
            statuses.append(b"closed")
        sock.close()
    assert statuses.count(b"408") >= 120, statuses[:8]  # cut at the header or body limit, not left hanging
    for sock in idle:
        assert sock.recv(1) == b"", "an idle connection is closed at the header limit"
        sock.close()


def test_a_client_beyond_its_connection_cap_is_refused_and_others_are_not(guarded):
    opened = [connect(base=guarded, address="127.0.0.30") for _ in range(200)]
    extra = connect(guarded, "127.0.0.30")
    reply = extra.recv(4096)
    assert reply.startswith(b"HTTP/1.1 503") and b"max_client_connections" in reply
    other = connect(guarded, "127.0.0.31")
    other.sendall(b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\n\r\n")
    assert other.recv(64).startswith(b"HTTP/1.1 200")
    for sock in [*opened, extra, other]:
        sock.close()


@pytest.mark.parametrize("request_bytes, status", [
    (b"POST /sparql HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffffff\r\n", b"400"),
    (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", b"400"),
    (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\n", b"413"),
    (b"GET /sparql?query=" + b"A" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", b"414"),
    (b"GET / HTTP/1.1\r\n" + b"X-Filler: 0123456789\r\n" * 200 + b"\r\n", b"431"),
])
def test_malformed_and_oversized_requests_are_refused_at_once(guarded, request_bytes, status):
    sock = connect(guarded, "127.0.0.40")
    started = time.monotonic()
    sock.sendall(request_bytes)
    reply = sock.recv(4096)
    assert reply.split(b" ")[1] == status, reply[:200]
    assert b'"status"' in reply and time.monotonic() - started < 1
    sock.close()


def test_a_refusal_that_asks_to_wait_is_held_back(server_factory, loopback_client):
    """A client that runs too many queries at once gets 429 with Retry-After, sent after a pause (the tarpit), so that
    looping on refusals costs it time rather than the server."""
    base = server_factory("--max-client-queries", "1", "--query-timeout", "3")
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"
    first, second = loopback_client(base, "127.0.0.50"), loopback_client(base, "127.0.0.50")
    hog = threading.Thread(target=lambda: first.get(slow), daemon=True)
    hog.start()
    time.sleep(0.5)
    started = time.monotonic()
    status, headers, body = second.get(slow + " # second")
    assert status == 429 and "max_client_queries" in body.decode() and headers["Retry-After"] == "1"
    assert time.monotonic() - started >= 0.9
    hog.join(10)
    first.close()
    second.close()
