"""Every named query of queries/ returns its expected result (queries/<slug>.srj) on the built graph."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.answers import serialize, serialize_whole
from server.catalog import load_catalog, results_json, same_results
from server.protocol import query_form

QUERIES = Path(__file__).resolve().parent.parent / "queries"
CATALOG = load_catalog(QUERIES)
# Federated queries call Wikidata through SERVICE; tests/test_linking.py runs them against a stand-in server.
LOCAL = [q for q in CATALOG if "needs-internet" not in q.tags]


def test_the_catalog_has_at_least_25_documented_queries():
    assert len(CATALOG) >= 25
    for query in CATALOG:
        for key in ("title", "title_zh", "description", "description_zh", "tags"):
            assert query.meta.get(key), f"{query.slug}.rq lacks a '#+ {key}:' header"


@pytest.mark.parametrize("query", LOCAL, ids=lambda q: q.slug)
def test_named_query_returns_its_expected_result(query, store):
    assert query.expected_path.exists(), f"no expected result: run `rakg query {query.slug} --update-expected` and review it"
    expected = json.loads(query.expected_path.read_text(encoding="utf-8"))
    actual = results_json(store.query(query.text))
    assert "boolean" in actual or actual["results"]["bindings"], f"{query.slug} returns no rows"
    assert same_results(expected, actual, query.ordered), (
        f"{query.slug} differs from {query.expected_path.name}; if the change is right, run "
        f"`rakg build && rakg query {query.slug} --update-expected` and review the diff"
    )


@pytest.mark.parametrize("check", load_catalog(QUERIES / "checks"), ids=lambda q: q.slug)
def test_violation_checks_find_nothing(check, store):
    assert check.slug.endswith(("-violation", "-warning"))
    assert results_json(store.query(check.text))["results"]["bindings"] == []


@pytest.fixture(scope="module")
def list_form_store(built):
    """The same build with the default graph as the list of asserted graphs (no materialized copy)."""
    from server.releases import current_build
    from server.store import load

    _, build_dir = built
    return load([current_build(build_dir) / "graph.nq"])


@pytest.mark.parametrize("query", LOCAL + load_catalog(QUERIES / "checks"), ids=lambda q: q.slug)
def test_the_materialized_default_graph_answers_like_the_list_of_graphs(query, store, list_form_store):
    for inferred in (False, True):
        copied = results_json(store.query(query.text, include_inferred=inferred))
        listed = results_json(list_form_store.query(query.text, include_inferred=inferred))
        assert same_results(listed, copied, query.ordered), f"{query.slug} (inferred={inferred})"


def rows_of(store, slug: str) -> list[dict]:
    query = next(q for q in CATALOG if q.slug == slug)
    return [{k: v["value"] for k, v in row.items()} for row in results_json(store.query(query.text))["results"]["bindings"]]


def test_the_first_east_asia_summit_has_the_participants_the_chapter_counts(store):
    rows = rows_of(store, "first-east-asia-summit-participants")
    [counted] = [int(r["n"]["value"]) for r in results_json(store.query(
        "SELECT (MAX(?v) AS ?n) WHERE { ?m a rakg:Measurement ; rakg:about event:2005-12-14-1st-east-asia-summit ; "
        "rakg:value ?v ; rakg:quote ?q FILTER (CONTAINS(?q, '16 國')) }"))["results"]["bindings"]]
    participants = {r["state"] for r in rows if r["role"] == "participant"}
    assert len(participants) == counted == 16
    assert [(r["state"].rsplit("/", 1)[1], r["invitedBy"]) for r in rows if r["role"] == "guest"] == [("russia", "Malaysia")]


@pytest.mark.parametrize("slug", ["asean-members-on-dates", "russia-status-on-dates", "tac-parties-end-of-2004", "eas-conditions-russia-2005"])
def test_queries_at_a_date_say_how_sure_they_are(store, slug):
    rows = rows_of(store, slug)
    assert rows and {r["certainty"] for r in rows} <= {"certain", "possible"}


def test_an_as_of_date_is_never_shown_as_a_start(store):
    """Issue 15: Russia's UN membership is attested on 2 July 2004; it did not start then."""
    un = [r for r in rows_of(store, "russia-status-with-asean") if r.get("organizationLabel") == "United Nations"]
    assert un and all("start" not in r and r["asOf"] == "2004-07-02" for r in un)
    derived = results_json(store.query("""SELECT ?from WHERE { GRAPH graph:inferred {
        ?d rdf:subject state:russia ; rdf:predicate rakg:memberOf ; rdf:object organization:united-nations ; rakg:validFrom ?from } }"""))
    assert derived["results"]["bindings"] == []


def test_facts_by_footnote_has_one_row_per_fact_with_its_quotes_joined(store):
    rows = rows_of(store, "facts-by-footnote")
    assert len(rows) == len({r["fact"] for r in rows}) == 8
    assert all(int(r["quotes"]) == len(r["quoted"].split(" / ")) for r in rows) and {r["quotes"] for r in rows} == {"1", "2"}


def test_inherited_by_russia_gives_each_start_at_the_chapters_precision(store):
    established = {r["other"].rsplit("/", 1)[1]: r["established"] for r in rows_of(store, "inherited-by-russia")}
    assert established == {"brunei": "1991-10-01", "philippines": "1976", "soviet-thai-science-protocol-1990": "1990-02",
                           "soviet-vietnamese-treaty-of-friendship-1978": "1978"}


def test_lavrov_meetings_show_the_bbc_reports_date_beside_the_ceremonys_and_no_conflict_between_them(store):
    """Issue 18 asked for the flagged 28/29 November conflict; the data review of issue 15 found 29 November to be
    the BBC report's publication date (rakg:reportedOn), so the query shows it as such and no discrepancy joins them."""
    [ceremony] = [r for r in rows_of(store, "lavrov-meetings") if r["event"].endswith("tac-accession-ceremony")]
    assert (ceremony["date"], ceremony["reportedOn"]) == ("2004-11-28", "2004-11-29")
    assert not bool(store.query("ASK { ?d a rakg:Discrepancy ; ?p fact:s2-1-2-footnote-22-bbc-report-2004-11-29 }"))


@pytest.mark.parametrize("query", LOCAL, ids=lambda q: q.slug)
def test_a_known_job_written_in_one_call_gives_the_bytes_of_the_first_answer(query, store):
    """A job whose first answer was whole is answered again by answers.serialize_whole (web/jobs.Plan): the engine
    writes the format at once, without the TSV pass of answers.serialize, and must give the same bytes."""
    form = query_form(query.text)
    formats = {"select": ["json", "xml", "csv", "tsv"], "ask": ["json", "xml"]}.get(form, ["turtle", "ntriples"])
    for fmt in formats:
        first = serialize(store.query(query.text), fmt, max_rows=10000, max_bytes=32_000_000)
        again = serialize_whole(store.query(query.text), fmt, first.rows)
        assert not first.limit and (again.body, again.rows) == (first.body, first.rows), f"{query.slug} as {fmt}"
