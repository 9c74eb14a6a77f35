"""Wikidata: the links and their checks, the wdt: alignment rules, federation through the proxy (against a real
SPARQL server standing in for Wikidata), the proxy's User-Agent / Retry-After / timeout behaviour (against a small
real HTTP server), and `rakg link`, `rakg crosscheck`, `rakg quickstatements` offline.

The stand-in is tests/wikidata/extract.ttl, a hand-written Wikidata-shaped extract served by `oxigraph serve`;
the reconciliation test replays tests/cassettes/*.yaml, hand-written wbsearchentities answers (vcrpy).
Set RAKG_UPDATE_FEDERATION_EXPECTED=1 to rewrite the .srj of the federated queries from the stand-in (then review).
"""

from __future__ import annotations

import csv
import http.server
import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from server.build.pipeline import load_sources, validate_sources
from server.catalog import dumps, load_catalog, results_json, same_results
from server.cli import main
from server.errors import QueryTimeout, ValidationFailed
from server.outbound import USER_AGENT, forward
from server.namespaces import RAKG, RULE, WD, entity_iri
from server.wikidata.client import WIKIDATA_SPARQL
from server.wikidata.crosscheck import CROSSCHECK_GRAPH
from server.wikidata.links import link_problems, load_reference

ROOT = Path(__file__).resolve().parent.parent
EXTRACT = Path(__file__).parent / "wikidata" / "extract.ttl"
CASSETTE = Path(__file__).parent / "cassettes" / "wbsearchentities-siberia-suharto.yaml"
FEDERATED = [q for q in load_catalog(ROOT / "queries") if "needs-internet" in q.tags]
TERM_TYPES = ("Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty")


@pytest.fixture(scope="module")
def standin(oxigraph_factory) -> str:
    """The SPARQL endpoint of a real `oxigraph serve` loaded with the hand-written Wikidata extract."""
    return oxigraph_factory(load=EXTRACT, read_only=True) + "/query"


@pytest.fixture(scope="module")
def federating_server(server_factory, standin) -> str:
    return server_factory("--service-allowlist", WIKIDATA_SPARQL, "--service-map", f"{WIKIDATA_SPARQL}={standin}")


# --- links --------------------------------------------------------------------------------------------


def links_graph() -> Graph:
    return Graph().parse(ROOT / "data/links/wikidata.ttl")


def test_the_reference_list_is_a_copy_of_the_shared_one():
    shared = ROOT.parent / "shared/wikidata/qids.json"
    if not shared.exists():
        pytest.skip("no ../shared here (CI has none): the copy in data/links is the reference")
    assert json.loads(shared.read_text(encoding="utf-8")) == load_reference(ROOT)


def test_links_are_recorded_verified_unique_and_never_known_wrong():
    graph = links_graph()
    assert link_problems(graph, load_reference(ROOT)) == []
    assert len(set(graph.subject_objects(SKOS.exactMatch))) >= 90


def test_the_link_check_catches_duplicates_known_wrong_items_and_unrecorded_links():
    graph = links_graph()
    graph.add((entity_iri("place", "siberia"), SKOS.exactMatch, WD.Q5753))  # known wrong: Samarkand
    graph.add((entity_iri("state", "thailand"), SKOS.exactMatch, WD.Q159))  # Russia's item
    problems = "\n".join(link_problems(graph, load_reference(ROOT)))
    assert "Q5753, which is Samarkand" in problems
    assert "Q159 is linked from 2 entities" in problems
    assert "place/siberia → Q5753 has no rakg:WikidataLink record" in problems


def test_validate_fails_on_two_entities_linked_to_one_item(tmp_path):
    duplicate = tmp_path / "duplicate.ttl"
    duplicate.write_text("<https://w3id.org/rakg/id/state/thailand> <http://www.w3.org/2004/02/skos/core#exactMatch> "
                         "<http://www.wikidata.org/entity/Q159> .\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as failure:
        validate_sources(load_sources(ROOT, extra=(duplicate,)))
    assert any(p.shape == "queries/checks/duplicate-wikidata-link-violation.rq" for p in failure.value.problems)


def test_unresolved_entities_of_the_reference_list_stay_unlinked_unless_verified_by_search():
    graph = links_graph()
    by_search = {str(r) for r in graph.subjects(RAKG.verifiedBy, RAKG.PublicSourceVerification)}
    assert len(by_search) == 8
    linked = {str(e) for e in graph.subjects(SKOS.exactMatch, None)}
    for slug in ("state/peoples-republic-of-kampuchea", "organization/seato", "document/treaty-of-amity-and-cooperation", "place/siberia",
                 "position/chairman-of-the-council-of-ministers-of-the-ussr"):
        assert f"https://w3id.org/rakg/id/{slug}" not in linked


def test_every_term_of_the_wikidata_ontology_is_labelled_and_defined():
    g = Graph().parse(ROOT / "ontology/wikidata.ttl")
    terms = {s for t in TERM_TYPES for s in g.subjects(RDF.type, URIRef("http://www.w3.org/2002/07/owl#" + t))}
    assert len(terms) > 20
    for term in terms:
        assert {l.language for l in g.objects(term, RDFS.label)} >= {"en", "zh-Hant"}, term
        assert (term, SKOS.definition, None) in g, term


# --- alignment rules ------------------------------------------------------------------------------------


def test_wikidata_style_questions_are_answered_from_the_chapter(store):
    rows = results_json(store.query("SELECT ?state WHERE { GRAPH graph:inferred { ?state wdt:P463 organization:asean } }"))
    assert len(rows["results"]["bindings"]) == 10
    derivation = results_json(store.query(
        "SELECT ?rule ?premise WHERE { GRAPH graph:inferred { ?d rdf:subject state:russia ; rdf:predicate wdt:P463 ; "
        "rdf:object forum:asean-regional-forum ; rakg:derivedBy ?rule ; prov:wasDerivedFrom ?premise } }"))["results"]["bindings"]
    assert {r["rule"]["value"] for r in derivation} == {str(RULE["wikidata-direct-claims"])}
    classes = {r["c"]["value"] for r in results_json(store.query("SELECT ?c WHERE { GRAPH graph:inferred { state:russia wdt:P31 ?c } }"))["results"]["bindings"]}
    assert classes == {str(WD.Q3624078)}
    accession = results_json(store.query(
        "SELECT ?party WHERE { GRAPH graph:inferred { document:treaty-of-amity-and-cooperation wdt:P6193 ?party } }"))["results"]["bindings"]
    assert str(entity_iri("state", "russia")) in {r["party"]["value"] for r in accession}


def test_the_inferred_option_answers_the_wikidata_style_question(live_server):
    query = "SELECT ?org WHERE { state:russia wdt:P463 ?org }"
    without = _sparql(live_server, query)
    with_inferred = _sparql(live_server, query, inferred="true")
    assert without["results"]["bindings"] == []
    assert len(with_inferred["results"]["bindings"]) >= 5


# --- federation -------------------------------------------------------------------------------------------


def _sparql(base: str, query: str, **params) -> dict:
    data = urllib.parse.urlencode({"query": query, **params}).encode()
    request = urllib.request.Request(base + "/sparql", data=data, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


@pytest.mark.parametrize("query", FEDERATED, ids=lambda q: q.slug)
def test_federated_named_query_returns_its_expected_result_from_the_stand_in(query, federating_server):
    actual = _sparql(federating_server, query.text)
    if os.environ.get("RAKG_UPDATE_FEDERATION_EXPECTED"):
        query.expected_path.write_text(dumps(actual), encoding="utf-8")
    assert actual["results"]["bindings"], f"{query.slug} returns no rows"
    expected = json.loads(query.expected_path.read_text(encoding="utf-8"))
    assert same_results(expected, actual, query.ordered)


def test_a_federated_query_always_runs_in_a_query_worker(federating_server):
    """Its cost is the remote endpoint's, so a cheap first run says nothing about the next: it never runs inline."""
    timings = []
    for comment in ("# one", "# two"):
        data = urllib.parse.urlencode({"query": FEDERATED[0].text + "\n" + comment}).encode()
        request = urllib.request.Request(federating_server + "/sparql", data=data, headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            timings.append(response.headers["Server-Timing"])
    assert all(t.startswith("query;dur=") and t.endswith('desc="worker"') for t in timings), timings


def test_there_are_federated_queries_and_test_queries_skips_them():
    assert len(FEDERATED) >= 2
    assert all("federation" in q.tags for q in FEDERATED)
    assert "needs-internet" in (ROOT / "tests/test_queries.py").read_text(encoding="utf-8")


def test_a_service_not_on_the_allow_list_is_refused(federating_server):
    with pytest.raises(urllib.error.HTTPError) as refused:
        _sparql(federating_server, "SELECT * WHERE { SERVICE <https://dbpedia.org/sparql> { ?s ?p ?o } }")
    refused.value.close()
    assert refused.value.code == 403


class _Endpoint(http.server.BaseHTTPRequestHandler):
    """A tiny SPARQL endpoint: answers the scripted statuses in turn, then an empty result; records every request."""

    script: list = []
    seen: list = []
    delay = 0.0

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).seen.append((self.headers.get("User-Agent"), body.decode()))
        time.sleep(type(self).delay)
        status, headers = type(self).script.pop(0) if type(self).script else (200, {})
        payload = json.dumps({"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "literal", "value": "ok"}}]}}).encode() if status == 200 else b"slow down"
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/sparql-results+json" if status == 200 else "text/plain")
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint():
    handler = type("Handler", (_Endpoint,), {"script": [], "seen": [], "delay": 0.0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_port}/sparql"
    server.shutdown()
    server.server_close()


def test_forward_waits_on_429_retry_after_and_sends_its_user_agent(endpoint):
    handler, url = endpoint
    handler.script = [(429, {"Retry-After": "1"})]
    started = time.monotonic()
    reply = forward(url, "SELECT * {}", "application/sparql-results+json", timeout=5)
    assert reply.status == 200 and time.monotonic() - started >= 1
    assert [ua for ua, _ in handler.seen] == [USER_AGENT, USER_AGENT]
    assert "rakg" in USER_AGENT and "https://" in USER_AGENT


def test_forward_gives_up_on_a_long_retry_after_and_on_a_slow_endpoint(endpoint):
    handler, url = endpoint
    handler.script = [(429, {"Retry-After": "3600"})]
    with pytest.raises(QueryTimeout, match="Retry-After"):
        forward(url, "SELECT * {}", "", timeout=5)
    handler.delay = 3.0
    with pytest.raises(QueryTimeout, match="did not answer"):
        forward(url, "SELECT * {}", "", timeout=1)


def test_the_proxy_obeys_retry_after_and_identifies_itself(endpoint, server_factory):
    handler, url = endpoint
    base = server_factory("--service-allowlist", "https://example.org/sparql", "--service-map", f"https://example.org/sparql={url}")
    handler.script = [(429, {"Retry-After": "1"})]
    result = _sparql(base, "SELECT ?x WHERE { SERVICE <https://example.org/sparql> { ?s ?p ?x } }")
    assert [r["x"]["value"] for r in result["results"]["bindings"]] == ["ok"]
    assert len(handler.seen) == 2 and {ua for ua, _ in handler.seen} == {USER_AGENT}


def test_the_proxy_reports_a_slow_endpoint_instead_of_hanging(endpoint, server_factory):
    handler, url = endpoint
    base = server_factory("--service-allowlist", "https://example.org/sparql", "--service-map", f"https://example.org/sparql={url}",
                          "--query-timeout", "2")
    handler.delay = 6.0
    started = time.monotonic()
    with pytest.raises(urllib.error.HTTPError) as failed:
        _sparql(base, "SELECT ?x WHERE { SERVICE <https://example.org/sparql> { ?s ?p ?x } }")
    with failed.value:
        body = json.loads(failed.value.read())
    assert failed.value.code == 504 and time.monotonic() - started < 6
    assert body["message"] == "the SERVICE endpoint (<https://example.org/sparql>) did not answer in time", body


@pytest.mark.parametrize("target", ["http://127.0.0.1:{closed}/sparql", "http://127.0.0.1:{silent}/sparql"])
def test_a_service_that_cannot_be_reached_is_502_and_tells_no_more(server_factory, listening_socket, target):
    """No port scans through the proxy: a closed port, and a port that takes the connection and closes it at once,
    give the same 502 naming only the allow-listed endpoint."""
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        closed_port = closed.getsockname()[1]
    silent = listening_socket()  # accepts, reads, closes without an answer
    mapped = target.format(closed=closed_port, silent=silent.port)
    base = server_factory("--service-allowlist", "https://example.org/sparql", "--service-map", f"https://example.org/sparql={mapped}")
    with pytest.raises(urllib.error.HTTPError) as failed:
        _sparql(base, "SELECT ?x WHERE { SERVICE <https://example.org/sparql> { ?s ?p ?x } }")
    with failed.value:
        body = json.loads(failed.value.read())
    assert failed.value.code == 502 and body["status"] == 502
    assert body["message"] == "the SERVICE endpoint (<https://example.org/sparql>) failed or could not be reached", body
    assert str(closed_port) not in json.dumps(body) and str(silent.port) not in json.dumps(body)


def test_the_federation_proxy_answers_only_its_numbered_paths(endpoint):
    import http.client
    import socket

    from server.web.federation import FederationProxy

    handler, url = endpoint
    proxy = FederationProxy(["https://example.org/sparql"], {"https://example.org/sparql": url}, timeout=5, max_bytes=1000)
    proxy.start()

    class UnixConnection(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(proxy.path)

    def post(path: str, body: str = "query=ASK%20%7B%7D"):
        connection = UnixConnection("localhost")
        connection.request("POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        status, data = response.status, response.read()
        connection.close()
        return status, data

    try:
        assert post("/federation/0")[0] == 200 and handler.seen[-1] == (USER_AGENT, "query=ASK+%7B%7D")
        for path in ("/federation/1", "/sparql", "/federation/0/../1", "/federation/-1"):
            assert post(path)[0] == 404, path
        assert post("/federation/0", "query=" + "x" * 2000)[0] == 413
        assert len(handler.seen) == 1
    finally:
        proxy.close()


# --- rakg crosscheck, quickstatements, link -------------------------------------------------------------


def test_crosscheck_reports_agree_differ_and_silent_as_a_table_and_as_rdf(runner, standin, tmp_path):
    import pyoxigraph as ox

    out = tmp_path / "crosscheck.nq"
    result = runner.invoke(main, ["crosscheck", "--sparql", standin, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "16 agrees, 1 differs, 4 wikidata-silent" in result.output
    differs = [line for line in result.output.splitlines() if line.startswith("differs")]
    assert len(differs) == 1 and "ussr-brunei-diplomatic-relations-1991" in differs[0] and "1991-10-02" in differs[0]
    quads = list(ox.parse(path=str(out), format=ox.RdfFormat.N_QUADS))
    assert {q.graph_name.value for q in quads} == {str(CROSSCHECK_GRAPH)}
    outcomes = [q.object.value for q in quads if q.predicate.value == str(RAKG.crossCheckOutcome)]
    assert len(outcomes) == 21 and outcomes.count(str(RAKG.WikidataSilent)) == 4 and outcomes.count(str(RAKG.Differs)) == 1
    assert any(q.predicate.value == str(RAKG.checkedClaim) and q.object.value == str(entity_iri("fact", "s1-4-ussr-brunei-diplomatic-relations-1991"))
               for q in quads)


def test_quickstatements_export_the_silent_cases_with_a_reference_to_the_chapter(runner, standin):
    result = runner.invoke(main, ["quickstatements", "--service-map", f"{WIKIDATA_SPARQL}={standin}"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 4
    assert "Q159\tP463\tQ7886981\tP580\t+1994-07-25T00:00:00Z/11\tS854\t\"https://w3id.org/rakg/id/fact/s2-1-1-p6-russia-arf-member-1994\"\tS1683\tzh-hant:\"" in result.output
    assert any(line.startswith("Q159\tP463\tQ485207\tS854\t") for line in lines)


def test_link_writes_ranked_candidates_from_recorded_answers(runner, standin, tmp_path):
    import vcr

    out = tmp_path / "candidates.tsv"
    with vcr.use_cassette(str(CASSETTE), record_mode="none", ignore_localhost=True) as cassette:
        result = runner.invoke(main, ["link", "--entity", "place:siberia", "--entity", "person:suharto", "--delay", "0",
                                      "--sparql", standin, "--out", str(out)])
        assert cassette.all_played
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert list(rows[0]) == ["entity", "label_searched", "language", "candidate_qid", "candidate_label", "description", "type_check", "score"]
    siberia = [r for r in rows if r["entity"].endswith("/place/siberia")]
    assert siberia[0]["candidate_qid"] == "Q9990001" and siberia[0]["type_check"] == "instance of Q82794"
    assert any(r["candidate_qid"] == "Q5753" and r["type_check"].startswith("known wrong") for r in siberia)
    assert any(r["candidate_qid"] == "Q9990002" and r["type_check"].startswith("not an instance") for r in siberia)
    assert [r["candidate_qid"] for r in rows if r["entity"].endswith("/person/suharto")] == ["Q9990003"]
    assert "nothing is linked until reviewed" in result.output
