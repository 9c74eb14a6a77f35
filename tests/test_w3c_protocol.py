"""The W3C SPARQL 1.1 Protocol tests, read-only subset, against `rakg serve --data` over the tests' own dataset.

tests/w3c-protocol/ holds the suite's manifest and data files as the W3C publishes them (unchanged; licence in
LICENSE.md there).  Each test is one or more HTTP requests (method, a path under ``/sparql/``, headers, a body in
a stated character encoding) with the response expected: its status class and, for a query, the kind of result
(boolean, tabular or RDF) and the boolean.  The 7 ``update_*`` tests perform SPARQL Update, which a read-only
endpoint refuses; the other 27 apply to it (the ``bad_update_*`` ones expect a 4xx, which it gives).

Each test runs against a real server on 127.0.0.1 serving the manifest's data files as named graphs named by their
``rdfs:label`` (one N-Quads file: the graphs of every test together, which changes no test's answer).

For comparison, the same 27 tests against ``oxigraph serve`` 0.5 (the oxigraph package's command, over the same
dataset; measured by :func:`test_oxigraph_serve_for_comparison`): it passes 25.  It answers a CONSTRUCT or
DESCRIBE sent without an Accept header in N-Quads, which is not among the formats those two tests accept (RDF/XML,
Turtle, N-Triples, RDFa); counting N-Quads as RDF (a document of triples in the default graph is N-Triples), it
passes all 27.  (Issue 18 counted 26 for it.)  This endpoint passes all 27.
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox
import pytest
from rdflib import Graph, Namespace
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

SUITE = Path(__file__).parent / "w3c-protocol"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
# The media types each expected format may come in (RDFa, which the manifest also allows, is not produced here).
FORMATS = {
    "boolean": {"application/sparql-results+json", "application/sparql-results+xml"},
    "tabular": {"application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"},
    "RDF": {"application/rdf+xml", "text/turtle", "application/n-triples"},
}


@dataclass(frozen=True)
class Exchange:
    """One request of a test and what its response must be."""

    method: str
    path: str  # under /sparql/, as the manifest writes it
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    statuses: frozenset[str]  # status classes: '2xx', '3xx', '4xx'
    format: str | None  # 'boolean', 'tabular', 'RDF'
    boolean: bool | None


@dataclass(frozen=True)
class ProtocolTest:
    name: str
    title: str
    graphs: tuple[tuple[str, str], ...]  # (data file name, graph IRI)
    exchanges: tuple[Exchange, ...]


def read_manifest(path: Path) -> list[ProtocolTest]:
    """The tests of a protocol manifest, in its order."""
    graph = Graph().parse(path, format="turtle")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    tests = []
    for node in Collection(graph, graph.value(manifest, MF.entries)):
        action = graph.value(node, MF.action)
        data = sorted((Path(urlsplit(str(graph.value(d, UT.graph))).path).name, str(graph.value(d, RDFS.label)))
                      for d in graph.objects(node, UT.graphData))
        exchanges = tuple(_exchange(graph, r) for r in Collection(graph, graph.value(action, HT.requests)))
        tests.append(ProtocolTest(str(node).rsplit("#", 1)[1], str(graph.value(node, MF.name)), tuple(data), exchanges))
    return tests


def _exchange(graph: Graph, request) -> Exchange:
    headers = graph.value(request, HT.headers)
    fields = tuple((str(graph.value(h, HT.fieldName)), str(graph.value(h, HT.fieldValue))) for h in Collection(graph, headers)) if headers else ()
    body = graph.value(request, HT.body)
    payload = None if body is None else str(graph.value(body, CNT.chars)).encode(str(graph.value(body, CNT.characterEncoding)))
    response = graph.value(request, HT.resp)
    statuses = frozenset(str(s).rsplit("StatusCode", 1)[1] for s in graph.objects(response, MF.expectedStatus))
    expected_format, boolean = graph.value(response, MF.expectedFormat), graph.value(response, MF.expectedBoolean)
    return Exchange(str(graph.value(request, HT.methodName)), str(graph.value(request, HT.absolutePath)), fields, payload, statuses,
                    None if expected_format is None else str(expected_format), None if boolean is None else boolean.toPython())


TESTS = read_manifest(SUITE / "manifest.ttl")
READ_ONLY = [t for t in TESTS if not t.name.startswith("update_")]


def run(test: ProtocolTest, endpoint: str) -> str | None:
    """Send a test's requests to ``endpoint`` (the URL replacing ``/sparql/``); None when every response is as
    expected, else what was wrong with the first that is not."""
    parts = urlsplit(endpoint)
    for exchange in test.exchanges:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            connection.request(exchange.method, parts.path + exchange.path.removeprefix("/sparql/"), body=exchange.body,
                               headers=dict(exchange.headers))
            response = connection.getresponse()
            problem = verdict(exchange, response.status, response.getheader("Content-Type", ""), response.read())
        finally:
            connection.close()
        if problem:
            return problem
    return None


def verdict(exchange: Exchange, status: int, content_type: str, body: bytes) -> str | None:
    """What is wrong with a response to ``exchange``, or None.  A result must also parse in its media type."""
    if f"{status // 100}xx" not in exchange.statuses:
        return f"status {status}, expected {' or '.join(sorted(exchange.statuses))}: {body[:200]!r}"
    if exchange.format is None:
        return None
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in FORMATS[exchange.format]:
        return f"Content-Type {content_type!r} is not {exchange.format}"
    if exchange.format == "RDF":
        list(ox.parse(body, format=ox.RdfFormat.from_media_type(media_type), base_iri="http://example.org/"))
        return None
    result = ox.parse_query_results(body, format=ox.QueryResultsFormat.from_media_type(media_type))
    if exchange.format == "boolean" and not isinstance(result, ox.QueryBoolean):
        return f"not a boolean result: {body[:200]!r}"
    if exchange.boolean is not None and bool(result) != exchange.boolean:
        return f"boolean {bool(result)}, expected {exchange.boolean}"
    return None


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """The data files of every test as one N-Quads file, each in the graph its label names."""
    graphs = sorted({graph for test in TESTS for graph in test.graphs})
    path = tmp_path_factory.mktemp("w3c-protocol") / "dataset.nq"
    with path.open("wb") as out:
        for name, iri in graphs:
            triples = ox.parse(path=str(SUITE / name), format=ox.RdfFormat.N_TRIPLES)
            out.write(ox.serialize((ox.Quad(t.subject, t.predicate, t.object, ox.NamedNode(iri)) for t in triples), format=ox.RdfFormat.N_QUADS))
    return path


@pytest.fixture(scope="module")
def endpoint(server_factory, dataset) -> str:
    return server_factory("--data", str(dataset)) + "/sparql"


def test_the_manifest_has_27_tests_for_a_read_only_endpoint():
    assert len(TESTS) == 34 and len(READ_ONLY) == 27
    assert {name for test in READ_ONLY for name, _ in test.graphs} == {"data1.nt", "data2.nt", "data3.nt"}


@pytest.mark.parametrize("test", READ_ONLY, ids=lambda t: t.name)
def test_w3c_protocol(test, endpoint):
    problem = run(test, endpoint)
    assert problem is None, f"{test.name} ({test.title}): {problem}"


def test_oxigraph_serve_for_comparison(oxigraph_factory, dataset):
    """The figure in the module's docstring, measured: the same tests against `oxigraph serve` over the same data."""
    endpoint = oxigraph_factory(load=dataset) + "/query"
    failed = {test.name: problem for test in READ_ONLY if (problem := run(test, endpoint))}
    assert failed == {name: "Content-Type 'application/n-quads' is not RDF" for name in
                      ("query_content_type_describe", "query_content_type_construct")}, f"oxigraph serve now fails {failed}: update the module's docstring"
