"""server/web/sandbox.py: the wall around the query workers, checked with the check switched off.

A spawned process walls itself in as a query worker does and runs SERVICE-hiding queries with no check at all
(the engine calls whatever they name): a listening socket on the host's 127.0.0.1 must see no connection, while the
relay still reaches a Unix socket outside."""

from __future__ import annotations

import multiprocessing
import os
import socket
import tempfile
import time

import pytest

from server.web import sandbox

CONTEXT = multiprocessing.get_context("spawn")


def _walled_in(queries: list[str], unix_path: str, results) -> None:
    import pyoxigraph as ox

    try:
        sandbox.isolate_network()
    except OSError as error:
        results.put(("unavailable", str(error), b""))
        return
    port = sandbox.start_relay(unix_path)
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p"), ox.NamedNode("http://e/o")))
    outcomes = {"ran": 0, "failed": 0}
    for query in queries:
        try:
            result = store.query(query)
            list(result) if not isinstance(result, bool) else None
            outcomes["ran"] += 1
        except Exception:  # noqa: BLE001 - connection refused (the wall), or a syntax error
            outcomes["failed"] += 1
    with socket.create_connection(("127.0.0.1", port), timeout=60) as relayed:
        relayed.sendall(b"through the relay")
        answer = relayed.recv(64)
    results.put(("done", outcomes, answer))


def test_a_walled_in_engine_reaches_nothing_but_the_relay(listening_socket, service_hiding_queries):
    trap = listening_socket()
    queries = service_hiding_queries(trap.url)
    directory = tempfile.mkdtemp(prefix="rakg-test-")
    path = os.path.join(directory, "proxy.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as proxy:
        proxy.bind(path)
        proxy.listen()
        proxy.settimeout(1)
        results = CONTEXT.Queue()
        process = CONTEXT.Process(target=_walled_in, args=(queries, path, results))
        process.start()
        deadline = time.monotonic() + 300
        while True:
            try:
                peer, _ = proxy.accept()
                break
            except TimeoutError:
                if not results.empty() or time.monotonic() > deadline:
                    pytest.fail(f"nothing came through the relay: {results.get(timeout=1) if not results.empty() else 'no answer'}")
        with peer:
            assert peer.recv(64) == b"through the relay"
            peer.sendall(b"and back")
        status, detail, answer = results.get(timeout=60)
        process.join(30)
    assert status == "done" and answer == b"and back", (status, detail)
    assert trap.quiet(), f"a walled-in engine reached the host's loopback: {trap.connections[:1]}"
    assert detail["failed"] >= len(queries) // 4, detail  # the calls were made, and refused by the wall
    print(f"FIGURE walled-in engine: {len(queries)} SERVICE-hiding queries unchecked, {detail}, 0 connections")
