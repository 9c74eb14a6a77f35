"""The SPARQL 1.1 Protocol through a real server on 127.0.0.1: formats, negotiation, errors, limits, descriptions (the clients:
tests/test_clients.py; the W3C protocol tests: tests/test_w3c_protocol.py)."""

from __future__ import annotations

import http.client
import socket
import time
import urllib.parse
import uuid

import pytest
import requests
from hypothesis import given, strategies as st
from rdflib import Dataset, Graph
from rdflib.namespace import RDF

from server import protocol
from server.errors import QueryError
from server.namespaces import SD, VOID

SELECT = "SELECT ?label WHERE { state:russia rdfs:label ?label } ORDER BY ?label"
CONSTRUCT = "CONSTRUCT { state:russia rdfs:label ?l } WHERE { state:russia rdfs:label ?l }"


def sparql(base, query, method="GET", accept=None, headers=None, **params):
    headers = {**({"Accept": accept} if accept else {}), **(headers or {})}
    if method == "GET":
        return requests.get(base + "/sparql", params={"query": query, **params}, headers=headers, timeout=60)
    return requests.post(base + "/sparql", data={"query": query, **params}, headers=headers, timeout=60)


def test_get_post_form_and_post_body_give_the_same_json(live_server):
    a = sparql(live_server, SELECT)
    b = sparql(live_server, SELECT, method="POST")
    c = requests.post(live_server + "/sparql", data=SELECT.encode(), headers={"Content-Type": "application/sparql-query"}, timeout=60)
    assert a.status_code == b.status_code == c.status_code == 200
    assert a.headers["Content-Type"] == "application/sparql-results+json"
    assert a.json() == b.json() == c.json()
    labels = {row["label"]["value"] for row in a.json()["results"]["bindings"]}
    assert {"Russia", "俄羅斯"} <= labels


@pytest.mark.parametrize("accept,content_type,marker", [
    ("application/sparql-results+xml", "application/sparql-results+xml", "<sparql"),
    ("text/csv", "text/csv; charset=utf-8", "label\r\n"),
    ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8", "?label"),
    ("application/sparql-results+xml;q=0.5, text/csv;q=0.9", "text/csv; charset=utf-8", "label"),
])
def test_select_results_by_accept(live_server, accept, content_type, marker):
    response = sparql(live_server, SELECT, accept=accept)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert marker in response.text


@pytest.mark.parametrize("accept,fmt", [
    (None, "turtle"), ("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/rdf+xml", "xml"),
    ("application/ld+json", "json-ld"), ("application/n-quads", "nquads"), ("application/trig", "trig"),
])
def test_construct_results_by_accept_parse_as_rdf(live_server, accept, fmt):
    response = sparql(live_server, CONSTRUCT, accept=accept)
    assert response.status_code == 200
    graph = Dataset() if fmt in ("nquads", "trig") else Graph()
    graph.parse(data=response.text, format=fmt)
    assert len(graph) >= 2


def test_format_parameter_overrides_accept(live_server):
    response = sparql(live_server, SELECT, accept="application/sparql-results+json", format="csv")
    assert response.headers["Content-Type"].startswith("text/csv")


def test_default_and_named_graph_parameters(live_server):
    facts = "https://w3id.org/rakg/graph/data/chapter/s1-4-full-relations-and-normalisation"
    only = sparql(live_server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **{"default-graph-uri": facts}).json()
    everything = sparql(live_server, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").json()
    assert 0 < int(only["results"]["bindings"][0]["n"]["value"]) < int(everything["results"]["bindings"][0]["n"]["value"])
    named = sparql(live_server, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", **{"named-graph-uri": facts}).json()
    assert [row["g"]["value"] for row in named["results"]["bindings"]] == [facts]


def test_inferred_graph_only_with_the_switch(live_server):
    query = "ASK { ?a rakg:conflictsWith ?b }"
    assert sparql(live_server, query).json()["boolean"] is False
    assert sparql(live_server, query, inferred="true").json()["boolean"] is True


def error(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"status", "error", "message", "where"} and body["status"] == status
    return body


def test_syntax_error_is_400_with_line_and_column(live_server):
    body = error(sparql(live_server, "SELECT * WHERE { ?s ?p }"), 400)
    assert body["where"] == "line 1, column 25"


def test_an_unknown_prefix_is_named_with_its_place_and_the_predeclared_prefixes(live_server):
    body = error(sparql(live_server, "SELECT * WHERE {\n  ?s rdfs:label 'x:y' ; foo:bar ?o }"), 400)
    assert body["message"].startswith("unknown prefix `foo:` at line 2, column 25: declare it (PREFIX foo: <...>)")
    assert body["where"] == "line 2, column 25" and " rakg: src: " in body["message"] and "\\u{" not in body["message"]
    long = error(sparql(live_server, "SELECT * WHERE { ?s ?p ?o . SERVICE foo:x { ?s ?p ?o } }"), 400)  # the parsed check's words
    assert long["message"].startswith("unknown prefix `foo:` at line 1, column 37")


def test_a_yes_no_parameter_is_true_or_false_and_nothing_else(live_server):
    body = error(sparql(live_server, SELECT, inferred="banana"), 400)
    assert body["where"] == "inferred" and "must be true or false" in body["message"] and "'banana'" in body["message"]
    assert [sparql(live_server, SELECT, inferred=v).status_code for v in ("true", "false", "0", "on", "")] == [200] * 5
    page = requests.get(live_server + "/id/state/russia", params={"inferred": "banana"}, headers={"Accept": "text/turtle"}, timeout=30)
    assert error(page, 400)["where"] == "inferred"


def test_relative_iris_resolve_against_the_request_url(live_server):
    """As the Protocol says (and oxigraph serve does); a BASE in the query wins.  The fast path, the Flask view and
    the result cache give the same answer; another Host is another base."""
    query = f"CONSTRUCT {{ <s> <p> <#{uuid.uuid4().hex}> }} WHERE {{}}"
    expected = f"<{live_server}/s> <{live_server}/p> <{live_server}/sparql#{query.split('#')[1].split('>')[0]}> .\n"
    answers = [sparql(live_server, query + f"\n# {n}", accept="application/n-triples") for n in (1, 2, 2)]
    answers.append(sparql(live_server, query, method="POST", accept="application/n-triples"))
    answers.append(requests.post(live_server + "/sparql", data=query.encode(), timeout=30,
                                 headers={"Content-Type": "application/sparql-query", "Accept": "application/n-triples"}))
    assert [ran(a) for a in answers[:3]] == ["worker", "inline", "hit"] and {a.text for a in answers} == {expected}
    other_host = sparql(live_server, query + "\n# 2", accept="application/n-triples", headers={"Host": "example.org"})
    assert other_host.text.startswith("<http://example.org/s>")
    based = sparql(live_server, "BASE <http://e.org/a/> CONSTRUCT { <s> <p> 1 } WHERE {}", accept="application/n-triples")
    assert based.text.startswith("<http://e.org/a/s> ")
    port = live_server.rsplit(":", 1)[1]
    assert f"SERVICE <http://127.0.0.1:{port}/sparql> is not allowed" in error(sparql(live_server, "ASK { SERVICE <sparql> {} }"), 403)["message"]
    assert "SERVICE <http://169.254.169.254/> is not allowed" in error(sparql(live_server, "ASK { SERVICE <//169.254.169.254/> {} }"), 403)["message"]


@pytest.mark.parametrize("method,url,body,content_type", [
    ("GET", "?query=ASK%7B%7D&query=ASK%7B%7D", None, None),
    ("POST", "", b"query=ASK%7B%7D&query=ASK%7B%7D", "application/x-www-form-urlencoded"),
    ("POST", "?query=ASK%7B%7D", b"query=ASK%7B%7D", "application/x-www-form-urlencoded"),
    ("POST", "?query=ASK%7B%7D", b"ASK {}", "application/sparql-query"),
], ids=["get", "form", "form-and-url", "body-and-url"])
def test_two_queries_in_one_request_are_400(live_server, method, url, body, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = requests.request(method, live_server + "/sparql" + url, data=body, headers=headers, timeout=30)
    assert "send exactly one query" in error(response, 400)["message"]


def test_a_body_or_parameter_that_is_not_utf8_is_400(live_server):
    latin = "ASK { ?s ?p 'Müller' }".encode("latin-1")
    form, direct = {"Content-Type": "application/x-www-form-urlencoded"}, {"Content-Type": "application/sparql-query"}
    url = live_server + "/sparql"
    assert error(requests.post(url, data=latin, headers=direct, timeout=30), 400)["where"] == "body"
    assert error(requests.post(url, data=b"query=" + urllib.parse.quote_from_bytes(latin).encode(), headers=form, timeout=30), 400)["where"] == "query"
    assert error(requests.post(url, data=b"query=" + latin, headers=form, timeout=30), 400)["where"] == "parameters"
    assert error(requests.get(url + "?query=" + urllib.parse.quote_from_bytes(latin), timeout=30), 400)["where"] == "query"
    utf16 = "ASK {}".encode("utf-16-be")  # no byte-order mark: these bytes are also UTF-8 (with NULs); the charset refuses them
    assert error(requests.post(url, data=utf16, headers={"Content-Type": "application/sparql-query; charset=UTF-16"}, timeout=30), 400)["where"] == "Content-Type"
    jquery = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}  # what older YASGUI sends
    assert requests.post(url, data={"query": "ASK { ?s ?p 'Müller' }"}, headers=jquery, timeout=30).json() == {"head": {}, "boolean": False}


def test_errors_in_plain_text_when_asked(live_server):
    response = sparql(live_server, "SELECT * WHERE { ?s ?p }", accept="text/plain")
    assert response.status_code == 400 and response.headers["Content-Type"].startswith("text/plain")
    assert response.text.startswith("400 Bad Request: SPARQL syntax error")


@pytest.mark.parametrize("request_kwargs", [
    {"data": {"update": "DROP ALL"}},
    {"data": b"INSERT DATA { <a:b> <a:c> <a:d> }", "headers": {"Content-Type": "application/sparql-update"}},
    {"data": {"query": "LOAD <http://example.org/data.ttl>"}},
    {"data": {"query": "CLEAR ALL"}},
])
def test_updates_are_refused_with_403(live_server, request_kwargs):
    body = error(requests.post(live_server + "/sparql", timeout=30, **request_kwargs), 403)
    assert "read-only" in body["message"]
    error(requests.post(live_server + "/update", data={"update": "DROP ALL"}, timeout=30), 403)


def test_service_outside_the_allow_list_is_refused(live_server):
    body = error(sparql(live_server, "SELECT * WHERE { SERVICE <http://169.254.169.254/latest> { ?s ?p ?o } }"), 403)
    assert "169.254.169.254" in body["message"]
    error(sparql(live_server, "SELECT * WHERE { BIND(<http://127.0.0.1:1/> AS ?e) SERVICE ?e { ?s ?p ?o } }"), 403)


def test_unacceptable_accept_is_406_and_unsupported_content_type_is_415(live_server):
    error(sparql(live_server, SELECT, accept="image/png"), 406)
    error(requests.post(live_server + "/sparql", data=SELECT, headers={"Content-Type": "text/plain"}, timeout=30), 415)


def test_wrong_method_is_405_and_oversized_request_is_413(live_server):
    error(requests.put(live_server + "/sparql", data=SELECT, timeout=30), 405)
    error(requests.post(live_server + "/sparql", data={"query": "#" * 2_000_000 + "\nASK {}"}, timeout=60), 413)


def test_cors_is_open_on_the_read_only_routes(live_server):
    preflight = requests.options(live_server + "/sparql", headers={"Origin": "https://yasgui.example", "Access-Control-Request-Method": "POST"}, timeout=30)
    assert preflight.status_code == 204 and preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert sparql(live_server, SELECT).headers["Access-Control-Allow-Origin"] == "*"


def test_service_description_and_void(live_server, store):
    description = Graph().parse(data=requests.get(live_server + "/sparql", headers={"Accept": "text/turtle"}, timeout=30).text, format="turtle")
    service = next(description.subjects(RDF.type, SD.Service))
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in description
    assert len(list(description.objects(None, SD.namedGraph))) >= 20
    void = Graph().parse(data=requests.get(live_server + "/.well-known/void", timeout=30).text, format="turtle")
    dataset = next(void.subjects(RDF.type, VOID.Dataset))
    triples = int(void.value(dataset, VOID.triples))
    expected = int(next(iter(store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))["n"].value)
    assert triples == expected
    assert int(void.value(dataset, VOID.entities)) > 400


def test_dataset_download_keeps_named_graphs(live_server):
    response = requests.get(live_server + "/data/graph.nq", timeout=60)
    dataset = Dataset()
    dataset.parse(data=response.text, format="nquads")
    graphs = {str(g.identifier) for g in dataset.graphs() if len(g)}
    assert "https://w3id.org/rakg/graph/inferred" in graphs and "https://w3id.org/rakg/graph/ontology/rakg" in graphs


def ran(response) -> str:
    """Where the answer came from, by its Server-Timing header: 'worker', 'inline' or 'hit' (the result cache)."""
    timing = response.headers["Server-Timing"]
    assert timing.startswith(("query;dur=", "cache;")), timing
    return timing.rsplit('desc="', 1)[1].rstrip('"')


def test_a_query_a_worker_answered_cheaply_runs_inline_when_it_comes_again_with_another_comment(live_server):
    marker = uuid.uuid4().hex  # a query no other test has sent to this session's server
    text = f'SELECT ?label WHERE {{ state:russia rdfs:label ?label FILTER(?label != "{marker}") }} ORDER BY ?label'
    first = sparql(live_server, text + "\n# first")
    assert ran(first) == "worker"
    for attempt in range(4):  # a first run slowed past inline_seconds by a loaded machine is not remembered as cheap
        again = sparql(live_server, f"# again {attempt}\n" + text + "  # and again")
        if ran(again) == "inline":
            break
    assert ran(again) == "inline"
    assert again.content == first.content and again.headers["X-Result-Rows"] == first.headers["X-Result-Rows"] != "0"
    assert float(again.headers["Server-Timing"].split("dur=")[1].split(";")[0]) < 50  # the inline_seconds bound, in ms
    assert ran(sparql(live_server, f"# again {attempt}\n" + text + "  # and again")) == "hit"  # the identical text: the result cache
    # Another parameter is another job: a worker answers it first.
    csv = sparql(live_server, text + "\n# csv", accept="text/csv")
    assert ran(csv) == "worker" and csv.text.splitlines()[0] == "label"
    assert ran(sparql(live_server, text + "\n# csv again", accept="text/csv")) == "inline"
    # A string or IRI holding '#' is not a comment: the query differs, so it is not known yet.
    assert ran(sparql(live_server, text.replace(marker, marker + " # not a comment"))) == "worker"


def test_known_queries_that_arrive_together_are_all_answered_in_the_serving_process_alike(live_server):
    """Requests on four connections at once, which the server deals out to its event loops (one per core; the
    engine releases the GIL, so they answer at once; bench/README.md has the throughput), run their known query in
    the serving process; each gets the answer the worker gave, byte for byte."""
    marker = uuid.uuid4().hex
    text = f'SELECT ?s ?label WHERE {{ ?s rdfs:label ?label FILTER(?label != "{marker}") }} ORDER BY ?s ?label LIMIT 200'
    accept = "application/sparql-results+json"
    first = sparql(live_server, text + "\n# first", accept=accept)
    for attempt in range(4):  # a first run slowed past inline_seconds by a loaded machine is not remembered as cheap
        if ran(sparql(live_server, text + f"\n# warm {attempt}", accept=accept)) == "inline":
            break
    host, port = live_server.removeprefix("http://").split(":")
    connections = [http.client.HTTPConnection(host, int(port), timeout=30) for _ in range(4)]
    answers = []
    for turn in range(25):
        for n, connection in enumerate(connections):  # four requests on the wire before any answer is read
            query = urllib.parse.quote_plus(f"{text}\n# {turn} {n}")
            connection.request("GET", f"/sparql?query={query}", headers={"Accept": accept})
        for connection in connections:
            response = connection.getresponse()
            answers.append((response.status, response.getheader("Server-Timing"), response.read()))
    for connection in connections:
        connection.close()
    assert len(answers) == 100 and {status for status, _, _ in answers} == {200}
    assert {timing.rsplit('desc="', 1)[1] for _, timing, _ in answers} == {'inline"'}
    assert {body for _, _, body in answers} == {first.content} and first.json()["results"]["bindings"]


VARYING = {"date", "etag", "server-timing"}  # the clock, the text's own ETag, where and how long it ran


def test_the_fast_path_answers_exactly_as_the_flask_view(live_server):
    """GETs whose answer needs no query worker skip Flask (api.FastPath): a known-cheap job, a cached answer, a
    304.  POSTs always take the Flask view.  Both must send the same status, headers and body."""
    marker = uuid.uuid4().hex
    text = f'SELECT ?label WHERE {{ state:russia rdfs:label ?label FILTER(?label != "{marker}") }} ORDER BY ?label'
    params = {"format": "csv", "inferred": "true"}
    first = sparql(live_server, text + "\n# 1", **params)  # a worker, through the Flask view
    fast = sparql(live_server, text + "\n# 2", **params)  # known cheap: the fast path
    view = sparql(live_server, text + "\n# 3", method="POST", **params)  # known cheap: the Flask view, inline
    cached_fast = sparql(live_server, text + "\n# 2", **params)
    assert [ran(r) for r in (first, fast, view, cached_fast)] == ["worker", "inline", "inline", "hit"]

    def same(*responses):
        shown = [(r.status_code, r.content, {k.lower(): v for k, v in r.headers.items() if k.lower() not in VARYING}) for r in responses]
        assert all(s == shown[0] for s in shown[1:]), shown
        assert all("ETag" in r.headers and "Date" in r.headers for r in responses)

    same(first, fast, view, cached_fast)
    assert fast.text.splitlines()[0] == "label" and fast.headers["Access-Control-Expose-Headers"].startswith("X-Result-Rows")
    etag = {"If-None-Match": fast.headers["ETag"]}
    get_304 = requests.get(live_server + "/sparql", params={"query": text + "\n# 2", **params}, headers=etag, timeout=30)
    post_304 = requests.post(live_server + "/sparql", data={"query": text + "\n# 2", **params}, headers=etag, timeout=30)
    assert get_304.status_code == 304 and get_304.headers["ETag"] == post_304.headers["ETag"] == fast.headers["ETag"]
    same(get_304, post_304)


@pytest.fixture(scope="module")
def small_requests_server(server_factory):
    return server_factory("--max-request-bytes", "300")


@pytest.mark.parametrize("params,status", [({"update": "x"}, 403), ({"query": " "}, 400), ({"x": "y" * 300}, 413)])
def test_requests_the_fast_path_leaves_to_the_flask_view_get_its_errors(small_requests_server, params, status):
    text = f'ASK {{ state:russia ?p "{uuid.uuid4().hex[:8]}" }}'
    assert [ran(sparql(small_requests_server, text + f"\n# {n}")) for n in (1, 2)] == ["worker", "inline"]
    response = requests.get(small_requests_server + "/sparql", params={"query": text + "\n# 2", **params}, timeout=30)
    assert response.status_code == status and "message" in response.json()


@given(st.lists(st.tuples(st.text(st.sampled_from("ab=&+%\\~ 中\x00"), max_size=6),
                          st.one_of(st.text(max_size=8), st.binary(max_size=6).map(urllib.parse.quote_from_bytes))), max_size=4))
def test_the_parameter_parser_reads_what_urllib_reads_and_refuses_what_is_not_utf8(pairs):
    text = "&".join(a + "=" + b for a, b in pairs)
    try:
        expected = urllib.parse.parse_qsl(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        with pytest.raises(QueryError, match="is not UTF-8"):
            protocol.parse_parameters(text.encode("utf-8"))
    else:
        assert protocol.parse_parameters(text.encode("utf-8")) == expected


def test_inline_runs_can_be_switched_off(server_factory):
    base = server_factory("--inline-seconds", "0")
    text = "SELECT ?label WHERE { state:russia rdfs:label ?label }"
    assert [ran(sparql(base, text + f"\n# {n}")) for n in range(3)] == ["worker"] * 3


def test_keep_alive_connections_are_answered_in_turn_with_or_without_pauses(live_server):
    """The request thread lingers 2 ms on a keep-alive connection for its next request (serve.LingeringThreadWorker):
    requests sent at once, after a pause beyond the linger, and from more connections than there are threads
    (this server has 2) are all answered, each on its own connection."""
    port = int(live_server.rsplit(":", 1)[1])
    connections = [http.client.HTTPConnection("127.0.0.1", port, timeout=30) for _ in range(3)]
    for round_number, pause in enumerate([0, 0, 0.05, 0, 0.2]):
        time.sleep(pause)
        for number, connection in enumerate(connections):
            label = f"{round_number}-{number}"
            connection.request("GET", "/sparql?" + urllib.parse.urlencode({"query": f'SELECT ("{label}" AS ?x) {{}}'}),
                               headers={"Accept": "text/csv"})
            response = connection.getresponse()
            assert response.status == 200 and response.read().decode().splitlines() == ["x", label]
    for connection in connections:
        connection.close()


def test_pipelined_requests_get_their_answers_in_order(live_server):
    port = int(live_server.rsplit(":", 1)[1])
    requests_sent = b"".join(
        b"GET /sparql?" + urllib.parse.urlencode({"query": f'SELECT ("p{n}" AS ?x) {{}}'}).encode()
        + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/csv\r\n" + (b"Connection: close\r\n" if n == 2 else b"") + b"\r\n"
        for n in range(3))
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(requests_sent)
        reply = b""
        while chunk := connection.recv(65536):
            reply += chunk
    assert reply.count(b"HTTP/1.1 200 OK") == 3
    assert [reply.index(f"\r\np{n}\r\n".encode()) for n in range(3)] == sorted(reply.index(f"\r\np{n}\r\n".encode()) for n in range(3))


@pytest.fixture(scope="module")
def limited_server(server_factory):
    return server_factory("--query-timeout", "2", "--max-rows", "5")


def test_a_query_beyond_the_time_limit_is_stopped_with_503_and_the_server_keeps_serving(limited_server):
    explode = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    started = time.monotonic()
    body = error(sparql(limited_server, explode), 503)
    assert time.monotonic() - started < 15
    assert "2 s limit" in body["message"] and "query_timeout" in body["message"]
    started = time.monotonic()
    assert sparql(limited_server, "ASK { ?s ?p ?o }").json()["boolean"] is True
    assert time.monotonic() - started < 10


def test_results_beyond_max_rows_are_cut_and_flagged(limited_server):
    response = sparql(limited_server, "SELECT ?s WHERE { ?s a rakg:Passage }")
    assert response.headers["X-Result-Truncated"].startswith("true")
    assert response.json()["truncated"] is True and len(response.json()["results"]["bindings"]) == 5
    small = sparql(limited_server, "SELECT ?s WHERE { ?s a rakg:Chapter }")
    assert "X-Result-Truncated" not in small.headers and "truncated" not in small.json()


def test_serve_data_serves_any_rdf_files(server_factory, tmp_path):
    trig = tmp_path / "example.trig"
    trig.write_text("<http://ex/g1> { <http://ex/a> <http://ex/p> 'one' . }\n<http://ex/g2> { <http://ex/b> <http://ex/p> 'two' . }\n")
    turtle = tmp_path / "more.ttl"
    turtle.write_text("<http://ex/c> <http://ex/p> 'three' .\n")
    base = server_factory("--data", str(trig), "--data", str(turtle))
    graphs = sparql(base, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g").json()
    names = [row["g"]["value"] for row in graphs["results"]["bindings"]]
    assert "http://ex/g1" in names and "http://ex/g2" in names and any(n.endswith("more.ttl") for n in names)
    assert sparql(base, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }").json()["results"]["bindings"][0]["n"]["value"] == "3"


@given(st.text(st.sampled_from("#'\"<>\\ \t\r\n\x0bax{}.?"), max_size=40))
def test_normalizing_a_query_line_by_line_gives_what_reading_every_token_gives(text):
    """The memo of cheap queries keys on protocol.normalize_query, whose shortcut (comment lines dropped, no tokens
    read) must give the same text as reading every token: two queries that differ only in comments and blanks share
    a key, and two that share a key are one query."""
    assert protocol.normalize_query(text) == protocol._normalize_tokens(text)
