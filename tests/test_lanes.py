"""server/web/front.py's lanes: the serving process deals its connections out to event loops on threads of their own,
each answers the requests of its connections, the limits on connections hold across them, and a stop ends them all.
A real front.Server on 127.0.0.1 with a small WSGI app in place of the Flask app."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from server.settings import load_settings
from server.web.front import Server


class PathApp:
    """A WSGI app that answers with the request's path."""

    def __init__(self):
        self.wsgi_app = self  # front.Server looks for a fast path on app.wsgi_app; this app has none

    def __call__(self, environ, start_response):
        body = environ["PATH_INFO"].encode()
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]


@pytest.fixture
def serving():
    """A Server with two lanes on a free port; yields (server, port, stop), stop() ending it (also at the end)."""
    settings = load_settings({"max_client_connections": 6, "max_connections": 7})
    server = Server(PathApp(), settings, loops=2)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    loop = asyncio.new_event_loop()
    started = threading.Event()
    stop = asyncio.Event()

    async def main():
        await server.start(sock)
        started.set()
        await stop.wait()
        await server.stop(5)

    thread = threading.Thread(target=lambda: loop.run_until_complete(main()), name="test-lane-0")
    thread.start()
    assert started.wait(10)

    def stopped() -> None:
        if thread.is_alive():
            loop.call_soon_threadsafe(stop.set)
            thread.join(15)
            loop.close()

    try:
        yield server, sock.getsockname()[1], stopped
    finally:
        stopped()


def get(sock: socket.socket, path: str) -> bytes:
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    data = b""
    while not data.endswith(path.encode()):
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before the answer to {path}: {data!r}"
        data += chunk
    return data


def wait_for(condition, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_connections_are_dealt_out_to_every_lane_and_each_lane_answers_its_own(serving):
    server, port, _ = serving
    clients = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(6)]
    try:
        wait_for(lambda: sum(len(lane.connections) for lane in server.lanes) == 6)
        assert [len(lane.connections) for lane in server.lanes] == [3, 3]
        assert len({lane.thread for lane in server.lanes}) == 2, "each lane runs its loop on a thread of its own"
        for n, client in enumerate(clients):
            assert get(client, f"/answer/{n}").startswith(b"HTTP/1.1 200 OK")
            assert get(client, f"/again/{n}").startswith(b"HTTP/1.1 200 OK"), "a keep-alive connection stays served"
    finally:
        for client in clients:
            client.close()
    wait_for(lambda: server.admitted == 0 and not any(lane.connections for lane in server.lanes))
    assert server.per_client == {}


def test_the_connection_limits_count_every_lane(serving):
    server, port, _ = serving
    clients = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(6)]
    try:
        wait_for(lambda: server.admitted == 6)
        refused = socket.create_connection(("127.0.0.1", port), timeout=10)
        clients.append(refused)
        answer = refused.recv(65536)
        assert answer.startswith(b"HTTP/1.1 503") and b"max_client_connections" in answer
        other = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=("127.0.0.2", 0))  # one more fits
        clients.append(other)
        assert get(other, "/other").startswith(b"HTTP/1.1 200 OK")
        last = socket.create_connection(("127.0.0.1", port), timeout=10, source_address=("127.0.0.3", 0))
        clients.append(last)
        answer = last.recv(65536)
        assert answer.startswith(b"HTTP/1.1 503") and b"max_connections" in answer
    finally:
        for client in clients:
            client.close()


def test_a_stop_closes_idle_connections_on_every_lane_and_ends_their_threads(serving):
    server, port, stop = serving
    clients = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(4)]
    wait_for(lambda: all(len(lane.connections) == 2 for lane in server.lanes))
    stop()
    try:
        for client in clients:
            assert client.recv(65536) == b"", "an idle connection is closed by the stop"
        assert not server.lanes[1].thread.is_alive(), "the other lanes' loops end with the stop"
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2)
    finally:
        for client in clients:
            client.close()
