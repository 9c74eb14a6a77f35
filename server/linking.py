"""Wikidata: the federation client behind SERVICE, with a User-Agent, a time limit and Retry-After handling.

Every SERVICE call of a query goes through this server's /federation/<n> route (see
protocol.route_services), which forwards it here, to the allow-listed endpoint or to the
URL that the `service_map` setting puts in its place (an offline mirror or a test stand-in).
"""

from __future__ import annotations

import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from .errors import QueryTimeout, RakgError

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
