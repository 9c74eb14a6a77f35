"""Bad input never causes a 5xx: hypothesis sends malformed and adversarial requests to every route.

Random and mutated SPARQL (the named queries are the seeds), wrong and odd Content-Types and Accept headers,
invalid UTF-8, overlong parameters and bodies, path traversal and odd IRIs in the linked-data routes (/id/...,
/source/..., /ontology, /data/..., /api/search, /api/labels) and unknown parameters.  Every answer must be a
2xx/3xx or a 4xx in the error shape (JSON ``status``/``error``/``message``/``where``; plain text when the client
prefers text; the HTML 404 page for browsers on linked-data routes), never a 5xx, a traceback or a hang.
The one 5xx allowed is the 503 of a *valid* query stopped at the time or memory limit, counted apart.

Most requests go through the Flask test client (the same code as the server, without the socket); a share goes
to a real `rakg serve` through requests and raw sockets.

CI runs a few hundred requests.  The full run is

    RAKG_FUZZ_EXAMPLES=10000 .venv/bin/pytest -s tests/test_fuzz.py

(RAKG_FUZZ_EXAMPLES is the total number of requests; the tally of status classes is printed as FIGURE lines
and appended to the file named by RAKG_FIGURES when it is set).
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

ROOT = Path(__file__).resolve().parent.parent
CHARS = st.characters(exclude_categories=["Cs"])  # every code point but surrogates, which no client can send
TOTAL = int(os.environ.get("RAKG_FUZZ_EXAMPLES", "400"))
SHARES = {"sparql_get": 0.3, "sparql_post": 0.3, "linked_data": 0.25, "live": 0.15}
ERROR_KEYS = {"status", "error", "message", "where"}
LIMIT_MESSAGES = ("setting query_timeout", "memory limit")
TALLY: Counter = Counter()
SLOWEST = {"seconds": 0.0, "request": ""}


def examples(share: str) -> int:
    return max(1, round(TOTAL * SHARES[share]))


def fuzz_settings(share: str):
    return hypothesis_settings(max_examples=examples(share), deadline=None, database=None, derandomize=False,
                               suppress_health_check=list(HealthCheck))


def figure(name: str, value) -> None:
    print(f"FIGURE {name}: {value}")
    if os.environ.get("RAKG_FIGURES"):
        with open(os.environ["RAKG_FIGURES"], "a", encoding="utf-8") as out:
            out.write(json.dumps({"name": name, "value": value}) + "\n")


@pytest.fixture(scope="module", autouse=True)
def tally():
    TALLY.clear()
    yield
    total = sum(v for k, v in TALLY.items() if k.endswith("xx"))
    classes = {k: v for k, v in sorted(TALLY.items()) if k.endswith("xx")}
    figure("fuzzed requests", total)
    figure("fuzzed requests by status class", classes)
    figure("fuzzed requests by status", {k: v for k, v in sorted(TALLY.items()) if not k.endswith("xx")})
    figure("slowest fuzzed request", f"{SLOWEST['seconds']:.2f} s ({SLOWEST['request'][:80]!r})")


def check(status: int, content_type: str, body: bytes, accept: str, path: str, elapsed: float, what: str) -> None:
    """The invariants every answer must keep; counts it."""
    TALLY[f"{status // 100}xx"] += 1
    TALLY[str(status)] += 1
    if elapsed > SLOWEST["seconds"]:
        SLOWEST.update(seconds=elapsed, request=what)
    assert elapsed < 30, f"{what!r} took {elapsed:.1f} s"  # no hang (a linked-data page takes up to ~2 s alone)
    assert b"Traceback (most recent call last)" not in body, what
    if status < 400:
        assert status in (200, 204, 301, 302, 304, 308), (status, what)
        return
    if content_type.startswith("text/html"):
        assert status == 404 and "html" in accept.lower(), (status, what)  # the not-found page for browsers
        return
    if content_type.startswith("text/plain"):
        assert body.decode().startswith(f"{status} "), (body[:200], what)
        document_status, message = status, body.decode()
    else:
        assert content_type.startswith("application/json"), (status, content_type, what)
        document = json.loads(body)
        assert set(document) == ERROR_KEYS and document["status"] == status, (document, what)
        document_status, message = document["status"], document["message"]
    if status >= 500:
        assert status == 503 and any(limit in message for limit in LIMIT_MESSAGES), (status, message, what)
        TALLY["limit-503"] += 1
    assert document_status == status


# --- strategies --------------------------------------------------------------------------------------------


def seed_queries(client) -> list[str]:
    """The named queries that run fast (mutants of the slow ones would only test the time limit): each is run
    once through the app and kept when it answers within 0.3 s (the slow ones are stopped at the 1 s limit)."""
    from server import syntax
    from server.catalog import load_catalog
    from server.store import QUERY_PREFIXES

    texts = []
    for query in load_catalog(ROOT / "queries"):
        if not syntax.analyze(query.text, QUERY_PREFIXES).services:  # federated ones stay seeds: they exercise the allow-list
            started = time.monotonic()
            if client.get("/sparql", query_string={"query": query.text}).status_code != 200 or time.monotonic() - started > 0.3:
                continue
        texts.append(query.text)
    return texts


SEEDS: list[str] = []
TOKENS = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "{", "}", "(", ")", "[", "]", "?s", "?p", "?o", "$x", ".", ";", ",",
          "FILTER", "OPTIONAL", "UNION", "MINUS", "GRAPH", "SERVICE", "SILENT", "BIND", "AS", "VALUES", "UNDEF", "LIMIT", "OFFSET",
          "ORDER BY", "GROUP BY", "HAVING", "COUNT(*)", "DISTINCT", "REDUCED", "FROM", "NAMED", "PREFIX", "BASE", "a", "rdf:type",
          "rakg:", "state:russia", "<https://w3id.org/rakg/id/state/russia>", "<>", "<http://127.0.0.1:1/>", "<file:///etc/passwd>",
          "'x'", '"y"@en', "'''z'''", "1", "-1.5e3", "true", "^^xsd:date", "@zh-Hant", "*", "/", "|", "^", "!", "+", "?", "=", "!=",
          "<", ">", "&&", "||", "REGEX", "STR", "LANG", "CONCAT", "IRI", "BNODE", "NOW()", "RAND()", "EXISTS", "NOT", "IN",
          "INSERT DATA", "DELETE", "LOAD", "CLEAR", "DROP", "#", "\n", "\\", "\\u0041", "<<", ">>", "_:b", "[]", "()", "\x00", "\ufeff"]


@st.composite
def sparql_text(draw) -> str:
    kind = draw(st.sampled_from(["mutant", "mutant", "mutant", "soup", "text", "repeat", "seed"]))
    if kind in ("mutant", "seed"):
        text = draw(st.sampled_from(SEEDS))
        for _ in range(draw(st.integers(1, 6)) if kind == "mutant" else 0):
            op = draw(st.sampled_from(["insert", "delete", "replace", "duplicate", "token", "truncate"]))
            i = draw(st.integers(0, len(text)))
            j = min(len(text), i + draw(st.integers(0, 40)))
            if op == "insert":
                text = text[:i] + draw(st.text(CHARS, min_size=1, max_size=8)) + text[i:]
            elif op == "delete":
                text = text[:i] + text[j:]
            elif op == "replace":
                text = text[:i] + draw(CHARS) + text[i + 1:]
            elif op == "duplicate":
                text = text[:j] + text[i:j] + text[j:]
            elif op == "token":
                text = text[:i] + " " + draw(st.sampled_from(TOKENS)) + " " + text[i:]
            else:
                text = text[:i]
        return text
    if kind == "soup":
        return " ".join(draw(st.lists(st.sampled_from(TOKENS), max_size=40)))
    if kind == "repeat":
        return draw(st.sampled_from(["SELECT * WHERE ", "ASK ", ""])) + draw(st.sampled_from(TOKENS + ["'\\", '"\\', "SERVICE <", "{ ", "( "])) * draw(st.integers(1, 20000))
    return draw(st.text(CHARS, max_size=300))


ACCEPTS = ["", "*/*", "application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values",
           "text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml", "text/html", "text/plain",
           "image/png", "application/json;q=0", "text/*;q=0.5, */*;q=0.1", "*/*;q=abc", ";;;,,,", "text/html, text/plain;q=2",
           "application/sparql-results+json;q=0.1, text/plain", "\u00ff\u00fe", "x" * 3000]
CONTENT_TYPES = ["application/x-www-form-urlencoded", "application/sparql-query", "application/sparql-update", "multipart/form-data",
                 "application/json", "text/plain", "", "application/sparql-query; charset=latin-1", "APPLICATION/SPARQL-QUERY",
                 "application/x-www-form-urlencoded; charset=utf-16", "multipart/form-data; boundary=", "text/turtle", "*/*",
                 "application/sparql-query;;;", "\u00e9/\u00e9"]
FORMATS = ["", "json", "xml", "csv", "tsv", "ttl", "turtle", "nt", "rdf", "json-ld", "nq", "trig", "html", "png", "../../etc/passwd", "%00"]
GRAPH_IRIS = ["", "https://w3id.org/rakg/graph/inferred", "not an iri", "http://127.0.0.1:1/g", "file:///etc/passwd", "http://[::1",
              "http://a/%zz", "urn:x", "\x00", "<http://a/>"]

accept_header = st.one_of(st.sampled_from(ACCEPTS), st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255), max_size=60))
unknown_params = st.dictionaries(st.text(CHARS, min_size=1, max_size=12), st.text(CHARS, max_size=30), max_size=3)
params = st.fixed_dictionaries({}, optional={
    "format": st.sampled_from(FORMATS), "inferred": st.sampled_from(["true", "no", "1", "\u00ff"]),
    "default-graph-uri": st.sampled_from(GRAPH_IRIS), "named-graph-uri": st.sampled_from(GRAPH_IRIS)})


def encode(text: str, how: str) -> bytes:
    if how == "utf-8":
        return text.encode("utf-8", "surrogatepass")
    if how == "latin-1":
        return text.encode("latin-1", "replace")
    if how == "utf-16":
        return text.encode("utf-16", "surrogatepass")
    return text.encode("utf-8", "surrogatepass") + b"\xff\xfe\xc3\x28\xa0\xa1\xe2\x28\xa1\xf0\x28\x8c\xbc"  # invalid UTF-8


# --- the app through the Flask test client --------------------------------------------------------------------


@pytest.fixture(scope="module")
def client(settings):
    from server.web import create_app

    app = create_app({"build_dir": settings.build_dir, "threads": 2, "query_timeout": 1})
    SEEDS[:] = seed_queries(app.test_client())
    yield app.test_client()
    app.extensions["rakg"].close()


def send(client, method: str, path: str, **kwargs):
    started = time.monotonic()
    response = client.open(path, method=method, **kwargs)
    elapsed = time.monotonic() - started
    accept = kwargs.get("headers", {}).get("Accept", "")
    if method == "HEAD":
        TALLY[f"{response.status_code // 100}xx"] += 1
        TALLY[str(response.status_code)] += 1
        assert response.status_code < 500 and elapsed < 30, (response.status_code, path)
        return response
    check(response.status_code, response.headers.get("Content-Type", ""), response.get_data(), accept, path, elapsed,
          f"{method} {path} {kwargs}"[:2000])
    return response


@fuzz_settings("sparql_get")
@given(query=sparql_text(), accept=accept_header, extra=params, unknown=unknown_params,
       name=st.sampled_from(["query", "query", "query", "update", "QUERY", "query[]", ""]),
       how=st.sampled_from(["utf-8", "utf-8", "utf-8", "latin-1", "invalid"]))
def test_fuzz_sparql_get(client, query, accept, extra, unknown, name, how):
    if how == "utf-8":
        send(client, "GET", "/sparql", query_string={**unknown, **extra, name: query}, headers={"Accept": accept})
    else:  # percent-escapes of bytes that are not UTF-8
        from urllib.parse import quote_from_bytes

        send(client, "GET", "/sparql", query_string=f"{quote_from_bytes(name.encode())}={quote_from_bytes(encode(query, how))}",
             headers={"Accept": accept})


@fuzz_settings("sparql_post")
@given(query=sparql_text(), accept=accept_header, content_type=st.sampled_from(CONTENT_TYPES), extra=params, unknown=unknown_params,
       how=st.sampled_from(["utf-8", "utf-8", "latin-1", "utf-16", "invalid"]), form=st.booleans(),
       size=st.sampled_from([0, 0, 0, 0, 1_100_000]))
def test_fuzz_sparql_post(client, query, accept, content_type, extra, unknown, how, form, size):
    headers = {"Accept": accept, "Content-Type": content_type}
    if size:
        query = query + "#" * size  # beyond max_request_bytes
    if form:
        from urllib.parse import urlencode

        body = urlencode({**unknown, **extra, "query": query}, encoding="utf-8", errors="surrogatepass").encode() if how != "invalid" \
            else b"query=" + encode(query, "invalid")
        send(client, "POST", "/sparql", data=body, headers={**headers, "Content-Type": "application/x-www-form-urlencoded"})
    else:
        send(client, "POST", "/sparql", data=encode(query, how), headers=headers, query_string={**unknown, **extra})


SEGMENTS = ["russia", "state", "asean", "..", ".", "%2e%2e", "..%2f..%2f", "%00", "%ff", "%zz", "%", " ", "<x>", "{x}", "a|b", "a\\b", "#frag",
            "?x=1", "\u6771\u5354", "\ud7ff", "\ue000", "\ufffe", "x" * 3000, "etc/passwd", "%2F", "//", ";", "'", '"', "`", "^", "\t", "~"]
LINKED = ["/id/state/russia", "/id/state/", "/id/", "/id/fact/", "/source/s1-3-p6", "/source/", "/ontology", "/ontology/", "/data/graph.nq",
          "/data/", "/graph/inferred", "/search", "/api/search", "/api/labels", "/api/queries", "/api/prefixes", "/.well-known/void",
          "/static/", "/sparql/", "/federation/0", "/federation/x", "/update", "/"]


@st.composite
def linked_path(draw) -> str:
    base = draw(st.sampled_from(LINKED))
    parts = draw(st.lists(st.one_of(st.sampled_from(SEGMENTS), st.text(CHARS, min_size=1, max_size=10)), max_size=4))
    path = base + "/".join(part.replace("?", "%3F").replace("#", "%23") for part in parts)  # as a client sends them
    return "/" + path.lstrip("/")  # (a leading '//' is sent raw to the live server: the test client reads it as a host)


@fuzz_settings("linked_data")
@given(path=linked_path(), accept=accept_header, method=st.sampled_from(["GET", "GET", "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS"]),
       query=st.dictionaries(st.sampled_from(["q", "limit", "iri", "format", "inferred", "query", "x", "\u00e9"]),
                             st.one_of(st.sampled_from(["", "-1", "0", "101", "abc", "1e9", "20", "russia", "\u6771\u5354", "%00",
                                                        "https://w3id.org/rakg/id/state/russia", "x" * 5000]), st.text(CHARS, max_size=20)),
                             max_size=3),
       json_body=st.one_of(st.none(), st.recursive(st.none() | st.booleans() | st.integers() | st.text(CHARS, max_size=20),
                                                   lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(CHARS, max_size=5), inner, max_size=3),
                                                   max_leaves=8)))
def test_fuzz_linked_data_and_api(client, path, accept, method, query, json_body):
    kwargs = {"headers": {"Accept": accept}, "query_string": query}
    if json_body is not None and method == "POST":
        kwargs["json"] = json_body
    send(client, method, path, **kwargs)


# --- a real server: requests and raw HTTP ---------------------------------------------------------------------


def raw(base: str, data: bytes) -> tuple[int, str, bytes, float]:
    """Send raw bytes; return status, content type, body and seconds."""
    host, port = base.split("//")[1].split(":")
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=20) as connection:
        connection.sendall(data)
        reply = b""
        while True:
            chunk = connection.recv(65536)
            if not chunk:
                break
            reply += chunk
            head, _, body = reply.partition(b"\r\n\r\n")
            if head.startswith(b"HTTP/1.1 100"):
                continue
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), None)
            if length is not None and len(body) >= length:
                break
    while reply.startswith(b"HTTP/1.1 100"):  # an interim answer to Expect: 100-continue
        reply = reply.partition(b"\r\n\r\n")[2]
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    content_type = next((line.split(b":", 1)[1].strip().decode("latin-1") for line in lines if line.lower().startswith(b"content-type:")), "")
    return status, content_type, body, time.monotonic() - started


RAW_TARGETS = [b"/sparql?query=ASK%7B%7D", b"/id/state/russia", b"/id/state/%00", b"/id/state/%zz", b"/id/../../../etc/passwd",
               b"/source/..%2f..%2fetc%2fpasswd", b"/data/..%2fgraph.nq", b"/static/../server/settings.py", b"//etc/passwd",
               b"/static/%2e%2e/%2e%2e/pyproject.toml", b"/api/search?q=%ff%fe", b"/sparql?query=%ff", b"*", b"http://evil/sparql",
               b"/ontology?format=%00", b"/\xff\xfe", b"/id/state/russia\x00", b"/sparql?query=" + b"a" * 9000]


@fuzz_settings("live")
@given(kind=st.sampled_from(["requests", "requests", "raw"]), query=sparql_text(), accept=accept_header,
       path=linked_path(), target=st.sampled_from(RAW_TARGETS),
       method=st.sampled_from([b"GET", b"POST", b"HEAD", b"PUT", b"G\x00T", b"", b"TRACE", b"CONNECT"]),
       version=st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/9.9", b"HTTP/1.1 junk", b""]),
       headers=st.lists(st.sampled_from([b"Content-Length: -1", b"Content-Length: 99999999", b"Transfer-Encoding: chunked",
                                         b"Transfer-Encoding: gzip", b"Content-Type: application/sparql-query", b"Accept: \xff",
                                         b"Bad Header: x", b"X: " + b"y" * 9000, b"Expect: 100-continue", b"Host:"]), max_size=2))
def test_fuzz_a_live_server(live_server, kind, query, accept, path, target, method, version, headers):
    if kind == "requests":
        # requests refuses a header value with leading or trailing blanks; HTTP drops them anyway, so they are stripped.
        sent = {"Accept": accept.encode("latin-1", "replace").decode("latin-1").strip(" \t")}
        started = time.monotonic()
        if path.startswith("/sparql"):
            response = requests.post(live_server + "/sparql", data={"query": query}, headers=sent, timeout=30)
        else:
            response = requests.get(live_server + path, headers=sent, timeout=30)
        check(response.status_code, response.headers.get("Content-Type", ""), response.content, accept, path,
              time.monotonic() - started, f"{kind} {path} {query[:200]}")
        return
    request = method + b" " + target + b" " + version + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n"
    if b"Transfer-Encoding: chunked" in headers:
        request += b"0\r\n\r\n"  # an empty chunked body, so that the server has nothing to wait for
    status, content_type, body, elapsed = raw(live_server, request)
    if method == b"HEAD" or status in (204, 304):  # no body to check
        TALLY[f"{status // 100}xx"] += 1
        TALLY[str(status)] += 1
        assert status < 500 and elapsed < 30, request[:200]
        return
    check(status, content_type, body, "", target.decode("latin-1"), elapsed, repr(request[:300]))
