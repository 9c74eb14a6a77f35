"""Caching, client budgets and serving from an external SPARQL store, through real servers on 127.0.0.1."""

from __future__ import annotations

import subprocess
import sys

import requests

ASK = "ASK { state:russia a rakg:SovereignState }"


def test_repeated_queries_carry_a_strong_etag_and_revalidate_with_304(live_server):
    first = requests.get(live_server + "/sparql", params={"query": ASK}, timeout=30)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and first.headers["Cache-Control"] == "public, no-cache"
    again = requests.get(live_server + "/sparql", params={"query": ASK}, timeout=30)
    assert again.headers["ETag"] == etag and again.content == first.content
    revalidated = requests.get(live_server + "/sparql", params={"query": ASK}, headers={"If-None-Match": etag}, timeout=30)
    assert revalidated.status_code == 304 and revalidated.content == b""
    other = requests.get(live_server + "/sparql", params={"query": ASK, "format": "xml"}, timeout=30)
    assert other.headers["ETag"] != etag


def test_client_budget_answers_429_with_retry_after(server_factory):
    base = server_factory("--client-budget", "0.2", "--cache-entries", "0")
    heavy = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?a ?d ?e }"
    statuses = []
    for _ in range(30):
        response = requests.get(base + "/sparql", params={"query": heavy}, timeout=60)
        statuses.append(response.status_code)
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) >= 1
            assert "client_budget" in response.json()["message"]
            break
    assert statuses[0] == 200 and statuses[-1] == 429


def test_build_into_and_serve_from_an_external_store(settings, oxigraph_factory, server_factory):
    store = oxigraph_factory()
    loaded = subprocess.run([sys.executable, "-m", "server.cli", "build", "--into", store + "/store"],
                            capture_output=True, text=True, env={"RAKG_BUILD_DIR": settings.build_dir, "PATH": ""}, timeout=600)
    assert loaded.returncode == 0, loaded.stderr
    assert "named graphs into" in loaded.stdout
    base = server_factory("--store", store + "/query")
    rows = requests.get(base + "/sparql", headers={"Accept": "text/csv"}, timeout=60, params={
        "query": "SELECT ?total WHERE { ?o qb:dataSet dataset:russia-asean-trade-1996-2005 ; rakg:flow rakg:TotalTradeFlow ; rakg:refYear ?y ; rakg:tradeValue ?total FILTER (?y = '1998'^^xsd:gYear) }"})
    assert rows.text.splitlines() == ["total", "963.7"]
    assert requests.get(base + "/sparql", params={"query": "ASK { ?a rakg:conflictsWith ?b }"}, timeout=60).json()["boolean"] is False
    assert requests.get(base + "/sparql", params={"query": "ASK { ?a rakg:conflictsWith ?b }", "inferred": "true"}, timeout=60).json()["boolean"] is True
    page = requests.get(base + "/id/state/brunei", headers={"Accept": "text/html"}, timeout=60)
    assert page.status_code == 200 and "汶萊" in page.text


def test_an_on_disk_store_answers_as_the_memory_store_from_its_own_copy_of_the_default_graph(live_server, server_factory, tmp_path):
    """`--store DIR` prepares an on-disk store with the asserted graphs copied into its default graph (as the memory
    store does), so both answer alike; counts, dumps and GRAPH ?g leave the copy out."""
    disk = server_factory("--store", str(tmp_path / "disk"))
    assert (tmp_path / "disk" / "DEFAULT_COPY").read_text() != "0"
    queries = [
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",  # the default graph: the asserted graphs, once each
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",  # no default graph among them
        "ASK { ?a rakg:conflictsWith ?b }",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s rakg:derivedBy ?d }",
    ]
    for query in queries:
        for inferred in ("false", "true"):
            params = {"query": query, "inferred": inferred}
            answers = [requests.get(base + "/sparql", params=params, headers={"Accept": "text/csv"}, timeout=60) for base in (live_server, disk)]
            assert [a.status_code for a in answers] == [200, 200] and answers[0].text == answers[1].text, (query, inferred)
    void = [requests.get(base + "/.well-known/void", headers={"Accept": "application/n-triples"}, timeout=60).text for base in (live_server, disk)]
    assert sorted(void[0].splitlines()) == sorted(void[1].splitlines())
