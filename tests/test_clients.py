"""Every client's defaults work: the client matrix of issue 18, each client as it is, against a real server.

- SPARQLWrapper with each of its ``setReturnFormat`` values × SELECT, ASK, CONSTRUCT, DESCRIBE (it sends GET with
  an Accept header and ``format``/``output``/``results`` parameters; for a graph result its default ``xml`` means
  RDF/XML, ``n3`` Turtle; a format that cannot express the result leaves the choice to its Accept header);
- rdflib's SPARQLStore (GET, Accept of SPARQL XML results and RDF/XML), also through ``Graph.triples`` and ``len``;
- curl, the program itself: GET, a form POST (``--data-urlencode``) and a direct POST with its default
  ``Accept: */*``, and with the Accept headers people write;
- YASGUI's requests (a form POST with the Accept headers of its defaults, from another origin);
- a federated ``SERVICE`` call to this endpoint from pyoxigraph and from rdflib (what each engine sends).

Each answer is read back by the client and must hold what the graph says about Russia.
"""

from __future__ import annotations

import csv
import io
import subprocess
import urllib.parse
import warnings

import pyoxigraph as ox
import pytest
import requests
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

RUSSIA = URIRef("https://w3id.org/rakg/id/state/russia")
PROLOGUE = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> PREFIX state: <https://w3id.org/rakg/id/state/>\n"
QUERIES = {
    "select": PROLOGUE + "SELECT ?label WHERE { state:russia rdfs:label ?label }",
    "ask": PROLOGUE + "ASK { state:russia rdfs:label 'Russia'@en }",
    "construct": PROLOGUE + "CONSTRUCT { state:russia rdfs:label ?label } WHERE { state:russia rdfs:label ?label }",
    "describe": PROLOGUE + "DESCRIBE state:russia",
}
LABELS = {"Russia", "俄羅斯"}
# SPARQLWrapper's return format -> what this endpoint answers (SPARQLWrapper's name for it), for solutions and graphs.
SPARQLWRAPPER = {
    "json": ("json", "json-ld"), "xml": ("xml", "rdf+xml"), "csv": ("csv", "turtle"), "tsv": ("tsv", "turtle"),
    "turtle": ("json", "turtle"), "n3": ("json", "turtle"), "rdf": ("json", "rdf+xml"), "rdf+xml": ("json", "rdf+xml"),
    "json-ld": ("json", "json-ld"),
}
# The return formats SPARQLWrapper has an Accept header for (solutions, graphs); for the others it sends */*.
SPARQLWRAPPER_ACCEPTS = ({"json", "xml", "csv", "tsv"}, {"turtle", "n3", "xml", "rdf+xml", "json-ld"})
GRAPH_FORMS = ("construct", "describe")


def sparql_url(base: str) -> str:
    return base + "/sparql"


# --- reading an answer back -------------------------------------------------------------------------------


def check_solutions(form: str, labels_or_boolean) -> None:
    if form == "ask":
        assert labels_or_boolean is True
    else:
        assert LABELS <= set(labels_or_boolean), labels_or_boolean


def check_graph(graph: Graph) -> None:
    assert {str(o) for o in graph.objects(RUSSIA, RDFS.label)} >= LABELS, graph.serialize(format="nt")[:500]


def read_body(form: str, content_type: str, body: bytes) -> None:
    """Check an answer by its media type, parsed by the engine (solutions) or rdflib (graphs)."""
    media_type = content_type.split(";")[0].strip()
    if form in GRAPH_FORMS:
        rdflib_format = {"text/turtle": "turtle", "application/n-triples": "nt", "application/rdf+xml": "xml",
                         "application/ld+json": "json-ld"}[media_type]
        check_graph(Graph().parse(data=body, format=rdflib_format))
        return
    if media_type == "text/csv":  # the engine does not read CSV results back (they are lossy): its rows are enough
        check_solutions(form, [row[0] for row in csv.reader(io.StringIO(body.decode()))][1:])
        return
    result = ox.parse_query_results(body, format=ox.QueryResultsFormat.from_media_type(media_type))
    check_solutions(form, bool(result) if isinstance(result, ox.QueryBoolean) else [row["label"].value for row in result])


# --- SPARQLWrapper -------------------------------------------------------------------------------------------


def run_sparqlwrapper(base: str, query: str, return_format: str | None = None):
    """(result, converted, SPARQLWrapper's own warnings) of a query with its defaults and ``return_format``.
    rdflib's DeprecationWarning for the ConjunctiveGraph that SPARQLWrapper parses RDF/XML into is left out."""
    from SPARQLWrapper import SPARQLWrapper

    client = SPARQLWrapper(sparql_url(base))
    client.setQuery(query)
    if return_format:
        client.setReturnFormat(return_format)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = client.query()
        converted = result.convert()
    return result, converted, [w for w in caught if not issubclass(w.category, DeprecationWarning)]


def read_sparqlwrapper(form: str, answered: str, converted) -> None:
    """Check what SPARQLWrapper's convert() gave for an answer it received in format ``answered``."""
    if form in GRAPH_FORMS:
        check_graph(converted if isinstance(converted, Graph) else Graph().parse(data=converted, format="turtle"))
    elif answered == "json":
        check_solutions(form, converted.get("boolean", [b["label"]["value"] for b in converted.get("results", {}).get("bindings", [])]))
    elif answered == "xml":
        booleans = converted.getElementsByTagName("boolean")
        check_solutions(form, booleans[0].firstChild.data == "true" if booleans else
                        [node.firstChild.data for node in converted.getElementsByTagName("literal")])
    else:  # csv, tsv: the bytes
        lines = converted.decode().splitlines()[1:]
        check_solutions(form, lines == ["true"] if form == "ask" else [line.strip('"').split('"@')[0] for line in lines])


@pytest.mark.parametrize("form", QUERIES)
@pytest.mark.parametrize("return_format", SPARQLWRAPPER)
def test_sparqlwrapper_every_return_format_and_query_form(live_server, return_format, form):
    """The answer comes in the format SPARQLWRAPPER says: the one asked for when it can express the result; else the
    client's Accept header decides (then SPARQLWrapper itself warns that it asked for something else)."""
    result, converted, caught = run_sparqlwrapper(live_server, QUERIES[form], return_format)
    answered = SPARQLWRAPPER[return_format][form in GRAPH_FORMS]
    assert result.response.status == 200 and result._get_responseFormat() == answered
    # SPARQLWrapper warns when it has no Accept header for the format asked (it sends */*), and only then.
    sent_accept = return_format in SPARQLWRAPPER_ACCEPTS[form in GRAPH_FORMS]
    assert bool(caught) != sent_accept and all("Sending Accept header '*/*'" in str(w.message) for w in caught[:1])
    read_sparqlwrapper(form, answered, converted)


def test_sparqlwrapper_default_is_xml_and_a_graph_comes_as_rdfxml(live_server):
    """Issue 18: SPARQLWrapper's default CONSTRUCT sent format=xml and got 406."""
    result, converted, caught = run_sparqlwrapper(live_server, QUERIES["construct"])
    assert result.response.headers["Content-Type"] == "application/rdf+xml" and not caught
    check_graph(converted)


# --- rdflib's SPARQLStore -----------------------------------------------------------------------------------


@pytest.mark.parametrize("form", QUERIES)
def test_rdflib_sparqlstore_defaults(live_server, form):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = Graph(store=SPARQLStore(sparql_url(live_server)))
    result = graph.query(QUERIES[form])
    if form in GRAPH_FORMS:
        check_graph(result.graph)
    else:
        check_solutions(form, result.askAnswer if form == "ask" else [str(row.label) for row in result])


def test_rdflib_sparqlstore_reads_triples_and_counts(live_server):
    from rdflib.plugins.stores.sparqlstore import SPARQLStore

    graph = Graph(store=SPARQLStore(sparql_url(live_server)))
    assert {str(o) for o in graph.objects(RUSSIA, RDFS.label)} >= LABELS
    assert len(graph) > 20000


# --- curl ------------------------------------------------------------------------------------------------


CURL_ACCEPTS = {
    "select": ["application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"],
    "ask": ["application/sparql-results+json", "application/sparql-results+xml"],
    "construct": ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"],
    "describe": ["text/turtle", "application/ld+json"],
}


def curl(*args: str) -> tuple[str, bytes]:
    """Run curl; (Content-Type, body) of its answer, which must be a 200."""
    done = subprocess.run(["curl", "-s", "-S", "-w", "\n%{http_code} %{content_type}", *args], capture_output=True, timeout=60, check=True)
    body, _, status_line = done.stdout.rpartition(b"\n")
    status, _, content_type = status_line.decode().partition(" ")
    assert status == "200", (args, body[:300])
    return content_type, body


@pytest.mark.parametrize("form", QUERIES)
def test_curl_with_its_default_accept_by_get_form_post_and_direct_post(live_server, form, tmp_path):
    query_file = tmp_path / "query.rq"
    query_file.write_text(QUERIES[form], encoding="utf-8")
    url = sparql_url(live_server)
    ways = [["--get", "--data-urlencode", f"query@{query_file}", url], ["--data-urlencode", f"query@{query_file}", url],
            ["-H", "Content-Type: application/sparql-query", "--data-binary", f"@{query_file}", url]]
    for way in ways:
        content_type, body = curl(*way)
        assert content_type.startswith("text/turtle" if form in GRAPH_FORMS else "application/sparql-results+json")
        read_body(form, content_type, body)


@pytest.mark.parametrize("form,accept", [(form, accept) for form, accepts in CURL_ACCEPTS.items() for accept in accepts])
def test_curl_with_the_accept_headers_people_write(live_server, form, accept):
    content_type, body = curl("-H", f"Accept: {accept}", "--data-urlencode", f"query={QUERIES[form]}", sparql_url(live_server))
    assert content_type.split(";")[0] == accept
    read_body(form, content_type, body)


# --- YASGUI ----------------------------------------------------------------------------------------------


YASGUI_ACCEPT = {"select": "application/sparql-results+json,*/*;q=0.9", "graph": "application/n-triples,*/*;q=0.9",
                 "graph, before 4.3": "text/turtle,*/*;q=0.9"}


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=UTF-8"])
@pytest.mark.parametrize("form", QUERIES)
def test_yasgui_form_posts_from_another_origin(live_server, form, content_type):
    """What YASGUI (its default requestConfig: POST, a form, acceptHeaderSelect / acceptHeaderGraph) sends from the
    page of another site; jQuery-era versions add the charset."""
    accepts = [YASGUI_ACCEPT["graph"], YASGUI_ACCEPT["graph, before 4.3"]] if form in GRAPH_FORMS else [YASGUI_ACCEPT["select"]]
    for accept in accepts:
        body = "query=" + urllib.parse.quote(QUERIES[form], safe="")
        response = requests.post(sparql_url(live_server), data=body.encode(), timeout=30, headers={
            "Content-Type": content_type, "Accept": accept, "Origin": "https://yasgui.example"})
        assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Content-Type"].split(";")[0] == accept.split(",")[0]
        read_body(form, response.headers["Content-Type"], response.content)


# --- a SERVICE call to this endpoint, from other engines -------------------------------------------------------


def test_pyoxigraph_service_call(live_server):
    store = ox.Store()
    rows = store.query(f"SELECT ?label WHERE {{ SERVICE <{sparql_url(live_server)}> {{ <{RUSSIA}> <{RDFS.label}> ?label }} }}")
    check_solutions("select", [row["label"].value for row in rows])
    asked = store.query(f"ASK {{ SERVICE <{sparql_url(live_server)}> {{ <{RUSSIA}> <{RDFS.label}> 'Russia'@en }} }}")
    assert bool(asked)


def test_rdflib_service_call(live_server):
    rows = Graph().query(f"SELECT ?label WHERE {{ SERVICE <{sparql_url(live_server)}> {{ <{RUSSIA}> <{RDFS.label}> ?label }} }}")
    check_solutions("select", [str(row.label) for row in rows])
    assert Literal("Russia", lang="en") in {row.label for row in rows}
