"""Requests to other servers: the SPARQL endpoints a SERVICE clause calls (through the web service's federation
proxy), Wikidata's SPARQL endpoint and API (the Wikidata tools), and an external store that `rakg build --into`
loads (:func:`load_into`).

A query or an API call says who sends it (:data:`USER_AGENT`), has a time limit, and waits once when asked to with
429 or 503 and a ``Retry-After`` of at most :data:`MAX_RETRY_WAIT` seconds.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from .errors import DataError, QueryTimeout, RakgError

USER_AGENT = "rakg/0.1 (Russia-ASEAN Knowledge Graph; https://w3id.org/rakg/; federated SPARQL) python-urllib"
MAX_RETRY_WAIT = 5.0  # seconds we are willing to wait on a Retry-After before giving up with 503


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes


def _retry_after(header: str | None) -> float:
    try:
        return max(0.0, float(header)) if header else 1.0
    except ValueError:
        return MAX_RETRY_WAIT + 1  # an HTTP date: too far to wait in a request


def forward(url: str, query: str, accept: str, timeout: float) -> Reply:
    """Send a SPARQL query to a remote endpoint (POST form), honouring 429/503 Retry-After once.

    Raises QueryTimeout when the endpoint does not answer in ``timeout`` seconds or asks us to wait longer
    than MAX_RETRY_WAIT; RakgError when it cannot be reached.
    """
    data = urllib.parse.urlencode({"query": query}).encode()
    headers = {"User-Agent": USER_AGENT, "Accept": accept or "application/sparql-results+json",
               "Content-Type": "application/x-www-form-urlencoded"}
    for attempt in (1, 2):
        request = urllib.request.Request(url, data=data, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return Reply(response.status, response.headers.get("Content-Type", ""), response.read())
        except urllib.error.HTTPError as error:
            with error:  # close the error response: its socket would otherwise linger
                body = error.read()
            if error.code in (429, 503) and attempt == 1:
                wait = _retry_after(error.headers.get("Retry-After"))
                if wait <= MAX_RETRY_WAIT:
                    time.sleep(wait)
                    continue
                raise QueryTimeout(f"{url} asks us to wait {wait:g} s (Retry-After); try again later", where="SERVICE") from error
            return Reply(error.code, error.headers.get("Content-Type", "text/plain"), body)
        except (TimeoutError, urllib.error.URLError) as error:
            reason = getattr(error, "reason", error)
            if isinstance(reason, TimeoutError) or "timed out" in str(reason):
                raise QueryTimeout(f"{url} did not answer within {timeout:g} s", where="SERVICE") from error
            raise RakgError(f"cannot reach {url}: {reason}", where="SERVICE") from error
    raise QueryTimeout(f"{url} kept answering 429", where="SERVICE")


def get_json(url: str, timeout: float = 30.0) -> dict:
    """GET a JSON document with the project's User-Agent, waiting once on 429/503 Retry-After.

    Raises QueryTimeout when the server does not answer or keeps asking us to wait; RakgError on an error reply.
    """
    for attempt in (1, 2):
        request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            error.close()
            if error.code in (429, 503) and attempt == 1:
                wait = _retry_after(error.headers.get("Retry-After"))
                if wait <= MAX_RETRY_WAIT:
                    time.sleep(wait)
                    continue
            raise RakgError(f"{url} answered {error.code}", where="Wikidata API") from error
        except (TimeoutError, urllib.error.URLError) as error:
            raise QueryTimeout(f"{url} did not answer: {getattr(error, 'reason', error)}", where="Wikidata API") from error
    raise QueryTimeout(f"{url} kept answering 429", where="Wikidata API")


def load_into(endpoint: str, nquads: str, timeout: float = 600.0) -> int:
    """Replace each named graph of an external store (Graph Store Protocol PUT ?graph=) with the graphs of an N-Quads text;
    returns the number of graphs sent.

    Raises DataError naming the graph when the store refuses it.
    """
    graphs: dict[str, list[str]] = {}
    for line in nquads.splitlines():
        head, _, graph = line.rstrip(" .").rpartition(" <")
        graphs.setdefault(graph.rstrip(">"), []).append(head + " .")
    for graph, lines in graphs.items():
        url = f"{endpoint}?{urllib.parse.urlencode({'graph': graph})}"
        request = urllib.request.Request(url, data="\n".join(lines).encode("utf-8"), method="PUT",
                                         headers={"Content-Type": "application/n-triples"})
        try:
            with urllib.request.urlopen(request, timeout=timeout):
                pass
        except urllib.error.URLError as error:
            raise DataError(f"the store refused graph <{graph}>: {error}", where=endpoint) from error
    return len(graphs)
