"""Requests and timings: each named query as each server needs it, the row check, sequential latency and wrk throughput.

Our endpoint gets the named query as written (the project prefixes are predeclared).  Oxigraph gets the PREFIX
lines the query uses and nothing else: it serves the same data with the asserted graphs' union copied into its
default graph, as our store holds it (bench/run.py, with_default_copy), so both answer the same rows from the same
layout.  (Until 2026-12 oxigraph was sent a ``default-graph-uri`` per asserted graph instead, which made it scan ~35
graphs one by one where ours read one copy: that flattered us by 1.5-2x, issue 19.)
rdflib-endpoint (``bench.run --rdflib``) gets the PREFIX lines but no graph parameters (it ignores them; its default
graph already is the union of the asserted graphs, see bench/rdflib_peer.py).
Modes: ``cold`` appends a unique comment to every request (no cache can answer it), ``warm`` repeats the identical
request, ``revalidate`` repeats it with ``If-None-Match`` set to the ETag of the first answer (servers without ETags: n/a).
"""

from __future__ import annotations

import http.client
import itertools
import json
import re
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus, urlencode

ACCEPT = "application/sparql-results+json"
BUST = itertools.count(1)
TOKEN = f"{time.time_ns():x}"
MAX_URL = 8000  # oxigraph refuses request lines over 8 KiB; ours over 8190 bytes


@dataclass
class Endpoint:
    name: str
    port: int
    path: str
    params: list  # extra query-string parameters, in order
    prefixes: dict | None  # PREFIX lines to prepend (None: the server predeclares them)
    graphs: list  # all named graphs, to resolve the ones a query names in GRAPH
    named_graphs: bool = True  # with prefixes: also ``named-graph-uri`` for the graphs a query names in GRAPH

    def url(self, query: str) -> str:
        """Path and query string, ``query=`` last so that a cache-busting comment can be appended."""
        text, params = query, list(self.params)
        if self.prefixes is not None:
            used = set(re.findall(r"(?<![\w?$<-])([A-Za-z][\w-]*):(?!//)", query))
            text = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in self.prefixes.items() if p in used) + query
        if self.prefixes is not None and self.named_graphs:
            body = "\n".join(line for line in query.splitlines() if not line.lstrip().startswith("#"))
            named = re.findall(r"\bGRAPH\s+([^\s{]+)", body)
            if any(n.startswith(("?", "$")) for n in named):
                params += [("named-graph-uri", g) for g in self.graphs]
            else:
                params += [("named-graph-uri", self.prefixes[n.split(":")[0]] + n.split(":", 1)[1]) if ":" in n and not n.startswith("<")
                           else ("named-graph-uri", n.strip("<>")) for n in dict.fromkeys(named)]
        url = f"{self.path}?{urlencode(params) + '&' if params else ''}query={quote_plus(text)}"
        if len(url) > MAX_URL:
            raise ValueError(f"{self.name}: request line of {len(url)} bytes for a GET")
        return url


def named_queries(folder: Path) -> tuple[dict, list]:
    """The named queries to time, and the federated ones left out (SERVICE calls another endpoint)."""
    queries, federated = {}, []
    for path in sorted(folder.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        (federated.append(path.stem) if "SERVICE" in body.upper() else queries.__setitem__(path.stem, text))
    return queries, federated


def bust() -> str:
    """A URL-encoded comment line that makes a query text unique."""
    return f"%0A%23bust-{TOKEN}-{next(BUST)}"


class Client:
    """One persistent HTTP/1.1 connection; reconnects when the server closes it (not after a timeout: that is raised)."""

    def __init__(self, port: int, timeout: float = 300):
        self.port, self.timeout = port, timeout
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def get(self, url: str, etag: str | None = None):
        """(status, headers, body, seconds) of one GET."""
        headers = {"Accept": ACCEPT, **({"If-None-Match": etag} if etag else {})}
        for attempt in (1, 2):
            try:
                started = time.perf_counter()
                self.connection.request("GET", url, headers=headers)
                response = self.connection.getresponse()
                body = response.read()
                seconds = time.perf_counter() - started
                if response.getheader("Connection", "").lower() == "close":
                    self.connection.close()
                return response.status, dict(response.getheaders()), body, seconds
            except TimeoutError:
                self.connection.close()
                raise
            except (http.client.HTTPException, OSError):
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def check(endpoint: Endpoint, query: str, timeout: float = 300) -> dict:
    """One cold request: status, seconds, result rows (and whether our server cut them), ETag; status ``timeout`` when
    no answer came within ``timeout`` seconds, ``error`` when the connection failed."""
    try:
        status, headers, body, seconds = Client(endpoint.port, timeout).get(endpoint.url(query) + bust())
    except TimeoutError as error:
        return {"status": "timeout", "seconds": timeout, "error": repr(error)}
    except OSError as error:
        return {"status": "error", "error": repr(error)}
    out = {"status": status, "seconds": round(seconds, 4), "etag": bool(headers.get("ETag") or headers.get("etag"))}
    try:
        document = json.loads(body) if status == 200 else None
    except ValueError:  # a streamed answer cut short (oxigraph's time limit strikes after the 200 status line)
        out["status"], document = "cut", None
    if document is not None:
        out["rows"] = len(document["results"]["bindings"]) if "results" in document else 1
        out["truncated"] = bool(document.get("truncated"))
    else:
        out["error"] = body[-300:].decode("utf-8", "replace")
    return out


def summary(samples: list[float]) -> dict:
    """Median, 99th percentile (nearest rank), mean and min of samples in seconds, as milliseconds."""
    ordered = sorted(samples)
    rank = max(0, min(len(ordered) - 1, -(-99 * len(ordered) // 100) - 1))
    return {"n": len(ordered), "median_ms": round(statistics.median(ordered) * 1000, 3), "p99_ms": round(ordered[rank] * 1000, 3),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 3), "min_ms": round(ordered[0] * 1000, 3)}


def latency(endpoint: Endpoint, query: str, mode: str, requests: int, cap: float, warmup: int = 3, timeout: float = 300) -> dict | None:
    """Sequential requests on one connection after warm-up: at most ``requests``, stopping after ``cap`` seconds.

    Returns None for ``revalidate`` when the server sent no ETag.  A request without answer after ``timeout`` s raises TimeoutError.
    """
    client, url = Client(endpoint.port, timeout), endpoint.url(query)
    etag = None
    for _ in range(warmup):
        status, headers, _, seconds = client.get(url + (bust() if mode == "cold" else ""))
        etag = headers.get("ETag") or headers.get("etag")
        if seconds > 1:
            break
    if mode == "revalidate" and not etag:
        return None
    samples, statuses, started = [], {}, time.monotonic()
    while len(samples) < requests and time.monotonic() - started < cap:
        status, _, _, seconds = client.get(url + (bust() if mode == "cold" else ""), etag if mode == "revalidate" else None)
        statuses[status] = statuses.get(status, 0) + 1
        samples.append(seconds)
    return {"samples_s": [round(s, 6) for s in samples], "statuses": {str(k): v for k, v in statuses.items()}}


LUA = """
local counter = 0
local prefix = [==[{url}]==]
wrk.headers["Accept"] = "{accept}"
{request}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('{{"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d}}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""
BUSTING = 'request = function()\n  counter = counter + 1\n  return wrk.format(nil, prefix .. "%0A%23bust-{token}-w" .. counter)\nend'


def throughput(endpoint: Endpoint, query: str, mode: str, seconds: float, connections: int = 4) -> dict:
    """wrk with ``connections`` connections (one wrk thread) for ``seconds``; completed non-error requests per second."""
    script = LUA.format(url=endpoint.url(query), accept=ACCEPT,
                        request=BUSTING.format(token=TOKEN) if mode == "cold" else "wrk.path = prefix")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        run = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "60s", "-s", handle.name,
                              f"http://127.0.0.1:{endpoint.port}/"], capture_output=True, text=True, check=True)
    finally:
        Path(handle.name).unlink()
    result = json.loads(run.stdout.strip().splitlines()[-1])
    result["ok_per_s"] = round((result["requests"] - result["status"]) / (result["duration_us"] / 1e6), 2)
    return result
