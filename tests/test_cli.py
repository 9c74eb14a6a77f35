"""`rakg query`: every query form prints (a table or Turtle by default, --format chooses), failures are one line
(`error: ...`, exit 1, never a traceback), and a federated named query runs from the command line against the
stand-in for Wikidata with --service-map, as `rakg serve` does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS

from server.catalog import load_catalog, same_results
from server.cli import main
from server.wikidata.client import WIKIDATA_SPARQL

ROOT = Path(__file__).resolve().parent.parent
RUSSIA = URIRef("https://w3id.org/rakg/id/state/russia")
FEDERATED = [q for q in load_catalog(ROOT / "queries") if "needs-internet" in q.tags]
CONSTRUCT = "CONSTRUCT { state:russia rdfs:label ?l } WHERE { state:russia rdfs:label ?l }"


def run(runner, *args: str) -> str:
    result = runner.invoke(main, ["query", *args])
    assert result.exit_code == 0, result.output
    return result.output


def fails(runner, *args: str) -> str:
    """The one line `rakg query` writes when it fails (exit 1, no traceback)."""
    result = runner.invoke(main, ["query", *args])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1, result.output
    return result.output


@pytest.mark.parametrize("fmt,rdflib_format", [(None, "turtle"), ("turtle", "turtle"), ("ntriples", "nt"), ("rdfxml", "xml"),
                                               ("jsonld", "json-ld"), ("nquads", "nquads"), ("trig", "trig")])
@pytest.mark.parametrize("query", [CONSTRUCT, "DESCRIBE state:russia"], ids=["construct", "describe"])
def test_construct_and_describe_print_a_graph(runner, query, fmt, rdflib_format):
    output = run(runner, query, *(["--format", fmt] if fmt else []))
    labels = {str(o) for o in Graph().parse(data=output, format=rdflib_format).objects(RUSSIA, RDFS.label)}
    assert labels >= {"Russia", "俄羅斯"}


def test_the_default_turtle_declares_the_prefixes_it_uses(runner):
    lines = run(runner, CONSTRUCT).splitlines()
    assert sorted(lines[:2]) == ["@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .", "@prefix state: <https://w3id.org/rakg/id/state/> ."]
    assert lines[2:] == ['state:russia rdfs:label "Russia"@en , "俄羅斯"@zh-hant .']


def test_select_and_ask_print_a_table_json_or_csv(runner):
    select = "SELECT ?l WHERE { state:russia rdfs:label ?l } ORDER BY ?l"
    assert run(runner, select).splitlines() == ["l", "------", "Russia", "俄羅斯", "(2 rows)"]
    assert [b["l"]["value"] for b in json.loads(run(runner, select, "--format", "json"))["results"]["bindings"]] == ["Russia", "俄羅斯"]
    assert run(runner, select, "--format", "csv").splitlines() == ["l", "Russia", "俄羅斯"]
    assert run(runner, "ASK { state:russia rdfs:label 'Russia'@en }") == "true\n"


@pytest.mark.parametrize("args,message", [
    (["SELECT * { ?s ?p ?o } LIMIT 1", "--format", "turtle"], "error: --format: format turtle cannot show the result of a SELECT or ASK query; use table, json, csv"),
    ([CONSTRUCT, "--format", "table"], "error: --format: format table cannot show the result of a CONSTRUCT or DESCRIBE query; use turtle, "),
    (["SELECT * {\n ?s foo:bar ?o }"], "error: unknown prefix `foo:` at line 2, column 5: declare it (PREFIX foo: <...>) or use "),
    (["DROP ALL"], "error: this endpoint is read-only"),
])
def test_a_query_that_cannot_run_is_one_line(runner, args, message):
    assert fails(runner, *args).startswith(message)


def test_a_service_that_cannot_be_reached_is_one_line(runner):
    import socket

    with socket.socket() as unused:  # a port nothing listens on: bound, never listening, then released
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}/sparql"
    line = fails(runner, f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}")
    assert line.startswith(f"error: SERVICE: the SERVICE endpoint <{url}> failed or could not be reached: ") and "refused" in line
    mapped = fails(runner, "SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }", "--service-map",
                   f"{WIKIDATA_SPARQL}={url}")
    assert mapped.startswith(f"error: SERVICE: the SERVICE endpoint <{WIKIDATA_SPARQL}> (sent to {url}) failed or could not be reached")


@pytest.fixture(scope="module")
def standin(oxigraph_factory) -> str:
    """A real `oxigraph serve` loaded with the hand-written Wikidata extract (as in tests/test_linking.py)."""
    return oxigraph_factory(load=ROOT / "tests/wikidata/extract.ttl", read_only=True) + "/query"


@pytest.mark.parametrize("query", FEDERATED, ids=lambda q: q.slug)
def test_a_federated_named_query_runs_against_the_stand_in(runner, standin, query):
    output = run(runner, query.slug, "--format", "json", "--service-map", f"{WIKIDATA_SPARQL}={standin}")
    expected = json.loads(query.expected_path.read_text(encoding="utf-8"))
    assert json.loads(output)["results"]["bindings"] and same_results(expected, json.loads(output), query.ordered)
