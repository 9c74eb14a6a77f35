"""Fair shares of query time: a per-client budget charged while queries run, a cap on each client's queries at once,
and query workers kept for clients who have used little.

A client is its address.  Its spending is the query-seconds of its queries that ended within the last minute plus
the time its running queries have run so far, so that ten queries started together cannot each slip under the
budget.  Answers from the cache and queries known to be cheap (run inline, in milliseconds) are counted but never
refused: a client that used its budget on expensive queries still gets its cheap ones.

>>> accounts = Accounts(budget=1.0, max_client_queries=1)
>>> ticket = accounts.open("10.0.0.1")
>>> accounts.open("10.0.0.1")
Traceback (most recent call last):
...
server.errors.TooManyRequests: this client already runs 1 query at once (setting max_client_queries); retry when one has ended
>>> accounts.close(ticket, now=ticket.started + 1.5)
>>> accounts.check_budget("10.0.0.1", now=ticket.started + 2)
Traceback (most recent call last):
...
server.errors.TooManyRequests: query budget used: 1.5 of 1 query-seconds per minute (setting client_budget); retry in 60 s
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from ..errors import TooManyRequests

WINDOW = 60.0  # seconds over which spending is counted, as the Wikidata Query Service does
LIGHT_SECONDS = 1.0  # a client that spent less than this in the window, with no query running, may use a reserved worker


@dataclass
class Ticket:
    """A query running for a client."""

    client: str
    started: float = field(default_factory=time.monotonic)


class Accounts:
    def __init__(self, budget: float = 0.0, max_client_queries: int = 0):
        self.budget, self.cap = budget, max_client_queries
        self.lock = threading.Lock()
        self.ended: dict[str, deque[tuple[float, float]]] = {}
        self.running: dict[str, list[Ticket]] = {}

    def open(self, client: str) -> Ticket:
        """Start counting a query of ``client``.  Raises TooManyRequests when it already runs ``max_client_queries``."""
        with self.lock:
            running = self.running.setdefault(client, [])
            if self.cap and len(running) >= self.cap:
                noun = "query" if self.cap == 1 else "queries"
                raise TooManyRequests(f"this client already runs {self.cap} {noun} at once (setting max_client_queries); "
                                      "retry when one has ended", retry_after=1)
            running.append(Ticket(client))
            return running[-1]

    def close(self, ticket: Ticket, now: float | None = None) -> None:
        """Stop counting a query: its time joins the client's spending."""
        now = time.monotonic() if now is None else now
        with self.lock:
            running = self.running.get(ticket.client, [])
            if ticket in running:
                running.remove(ticket)
            if not running:
                self.running.pop(ticket.client, None)
            self.ended.setdefault(ticket.client, deque()).append((now, now - ticket.started))

    def charge(self, client: str, seconds: float) -> None:
        """Count ``seconds`` of a query that ran outside a ticket (inline)."""
        now = time.monotonic()
        with self.lock:
            self.ended.setdefault(client, deque()).append((now, seconds))

    def used(self, client: str, now: float | None = None) -> float:
        """Query-seconds of ``client`` in the last minute, its running queries included."""
        now = time.monotonic() if now is None else now
        with self.lock:
            ended = self.ended.get(client)
            while ended and ended[0][0] < now - WINDOW:
                ended.popleft()
            if ended is not None and not ended:
                del self.ended[client]
            return sum(s for _, s in ended or ()) + sum(now - t.started for t in self.running.get(client, ()))

    def over_budget(self, client: str, now: float | None = None) -> bool:
        return self.budget > 0 and self.used(client, now) >= self.budget

    def check_budget(self, client: str, now: float | None = None) -> None:
        """Raises TooManyRequests (429, with Retry-After) when ``client`` has spent its budget."""
        now = time.monotonic() if now is None else now
        used = self.used(client, now)
        if self.budget <= 0 or used < self.budget:
            return
        with self.lock:
            oldest = self.ended[client][0][0] if self.ended.get(client) else now
        wait = max(1, math.ceil(oldest + WINDOW - now))
        raise TooManyRequests(f"query budget used: {used:.1f} of {self.budget:g} query-seconds per minute (setting client_budget); "
                              f"retry in {wait} s", retry_after=wait)

    def is_light(self, client: str) -> bool:
        """Whether ``client`` has no query running and spent little lately: it may take a reserved worker."""
        with self.lock:
            if self.running.get(client):
                return False
        return self.used(client) < LIGHT_SECONDS
