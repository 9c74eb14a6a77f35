"""server/web/fairness.py with the query workers: 16 clients looping expensive queries do not slow a cheap client down,
whether it has an address of its own or shares theirs (then the cap on one client's concurrent queries protects it).
Through a real `rakg serve`; figures as ``FIGURE`` lines (``pytest -s``).  ``RAKG_STRICT=1`` also asserts the
target of issue 16 (the cheap client's p99 within twice its unloaded p99), which needs a machine with nothing else
running: under the whole suite the test asserts the median and a bound on the tail."""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time

import pytest

from server.web.fairness import Accounts

STRICT = bool(os.environ.get("RAKG_STRICT"))
EXPENSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } # {}"
CHEAP = ["ASK { state:russia a rakg:SovereignState }", "SELECT ?label WHERE { state:russia rdfs:label ?label }",
         "SELECT (COUNT(*) AS ?n) WHERE { ?s a rakg:Membership }"]


# 16 threads, each a client looping EXPENSIVE (from its own address 127.0.0.70+n, or all from argv[2]) until SIGINT;
# prints how many answers of each status they got, as JSON.
HOSTILE_CLIENTS = """
import http.client, json, sys, threading, urllib.parse
base, shared, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
host, port = base.split("//")[1].split(":")
statuses, stop = {}, threading.Event()
def client(number):
    connection = http.client.HTTPConnection(host, int(port), timeout=60, source_address=(shared or f"127.0.0.{70 + number}", 0))
    counter = 0
    while not stop.is_set():
        counter += 1
        query = %r.replace("{}", f"{number}-{counter}")
        connection.request("GET", "/sparql?" + urllib.parse.urlencode({"query": query}))
        response = connection.getresponse()
        response.read()
        statuses[response.status] = statuses.get(response.status, 0) + 1
threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(count)]
for thread in threads:
    thread.start()
try:
    threading.Event().wait()
except KeyboardInterrupt:
    stop.set()
print(json.dumps(statuses))
""" % EXPENSIVE


def p99(values: list[float]) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * 0.99))]


def cheap_run(base: str, loopback_client, address: str, seconds: float) -> list[float]:
    client, latencies, index = loopback_client(base, address, timeout=30), [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.monotonic()
        status, _, body = client.get(f"{CHEAP[index % len(CHEAP)]} # {index}")
        assert status == 200, body[:300]
        latencies.append(time.monotonic() - started)
        index += 1
    client.close()
    return latencies


@pytest.fixture(scope="module")
def contested(server_factory):
    return server_factory("--query-timeout", "2", "--workers", "3", "--threads", "8", "--cache-entries", "0")


@pytest.mark.parametrize("shared", [False, True], ids=["own address", "shared address"])
def test_sixteen_hostile_clients_leave_a_cheap_client_its_latency(contested, loopback_client, shared):
    base = contested
    cheap_address = "127.0.0.60" if shared else "127.0.0.2"
    cheap_run(base, loopback_client, cheap_address, 1)  # its queries become known to be cheap
    baseline = cheap_run(base, loopback_client, cheap_address, 3)
    attackers = subprocess.Popen([sys.executable, "-c", HOSTILE_CLIENTS, base, "127.0.0.60" if shared else "", "16"],
                                 stdout=subprocess.PIPE, text=True)  # a process of their own: no share of our GIL
    time.sleep(1.5)
    loaded = cheap_run(base, loopback_client, cheap_address, 6)
    attackers.send_signal(signal.SIGINT)
    outcomes = json.loads(attackers.communicate(timeout=60)[0])
    kinds = {int(status): count for status, count in outcomes.items()}
    print(f"FIGURE cheap client p99 with 16 hostile clients ({'shared' if shared else 'own'} address): unloaded "
          f"{p99(baseline) * 1000:.1f} ms (median {statistics.median(baseline) * 1000:.1f}), loaded {p99(loaded) * 1000:.1f} ms "
          f"(median {statistics.median(loaded) * 1000:.1f}); hostile answers {kinds}")
    if STRICT:  # the target of issue 16, on a quiet machine: RAKG_STRICT=1 pytest -s tests/test_fairness.py
        assert p99(loaded) < 2 * p99(baseline), (p99(baseline), p99(loaded))
    # With the rest of the suite around (CI), the median must hold and the tail stay within a few milliseconds.
    assert statistics.median(loaded) < 2 * statistics.median(baseline) and p99(loaded) < 0.025, (p99(baseline), p99(loaded))
    assert set(kinds) <= {429, 503} and kinds.get(503, 0) > 0  # stopped at the limit, or turned away at once


def test_the_budget_counts_running_queries_and_spares_cheap_ones():
    accounts = Accounts(budget=1.0)
    ticket = accounts.open("a")
    assert not accounts.over_budget("a", now=ticket.started + 0.5)
    assert accounts.over_budget("a", now=ticket.started + 1.0), "a running query is charged as it runs"
    accounts.close(ticket, now=ticket.started + 1.2)
    assert accounts.used("a", now=ticket.started + 61.3) == 0, "spending leaves the window after a minute"
    assert accounts.used("b") == 0 and accounts.is_light("b")


def test_known_queries_that_arrive_together_are_not_held_behind_requests_waiting_for_workers(server_factory):
    """Known queries are answered in the event loops that read them (server/web/front.py, Lane), never behind the
    request threads: here both request threads wait on a query worker for seconds, and four known queries sent at
    once are still answered at once."""
    import http.client
    import socket
    import threading
    import urllib.parse

    base = server_factory("--query-timeout", "5", "--workers", "3", "--threads", "2", "--cache-entries", "0")
    host, port = base.split("//")[1].split(":")
    opened: list = []  # connections and sockets, closed at the end

    def connect(address: str = "127.0.0.1") -> http.client.HTTPConnection:
        opened.append(http.client.HTTPConnection(host, int(port), timeout=60, source_address=(address, 0)))
        return opened[-1]

    def send(connection, query: str) -> None:
        connection.request("GET", "/sparql?" + urllib.parse.urlencode({"query": query}))

    def answer(connection) -> tuple[int, str]:
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Server-Timing") or ""

    def raw_answer(sock) -> tuple[int, str]:
        data = b""
        while b"\r\n\r\n" not in data:
            data += sock.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.split(": ", 1) for line in lines[1:])
        while len(body) < int(headers["Content-Length"]):
            body += sock.recv(65536)
        return int(lines[0].split()[1]), headers.get("Server-Timing", "")

    try:
        warm = connect()
        for attempt in range(5):  # a first run slowed past inline_seconds by a loaded machine is not remembered as cheap
            send(warm, f"{CHEAP[1]} # warm {attempt}")
            if 'desc="inline"' in answer(warm)[1]:
                break
        slow: list[int] = []
        holders = [connect(f"127.0.0.{90 + n}") for n in range(2)]
        threads = [threading.Thread(target=lambda c=c, n=n: (send(c, EXPENSIVE.replace("{}", str(n))), slow.append(answer(c)[0])))
                   for n, c in enumerate(holders)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)  # both request threads now wait on a worker, until the 5 s limit
        requests = [(f"GET /sparql?{urllib.parse.urlencode({'query': f'{CHEAP[1]} # together {n}'})} HTTP/1.1\r\n"
                     f"Host: {host}:{port}\r\n\r\n").encode() for n in range(4)]
        together = [socket.create_connection((host, int(port)), timeout=60) for _ in requests]
        opened.extend(together)
        for sock, request in zip(together, requests):
            sock.sendall(request[:-1])  # all but the last byte: the server waits for it
        time.sleep(0.2)
        started = time.monotonic()
        for sock in together:  # the last bytes back to back, so that the loop reads most of them in one turn
            sock.sendall(b"\n")
        answers = [raw_answer(sock) for sock in together]
        elapsed = time.monotonic() - started
        for thread in threads:
            thread.join(30)
    finally:
        for connection in opened:
            connection.close()
    assert [status for status, _ in answers] == [200] * 4 and all('desc="inline"' in timing for _, timing in answers), answers
    assert slow == [503, 503] and elapsed < 2.5, (elapsed, slow)
