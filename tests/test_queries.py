"""Every named query of queries/ returns its expected result (queries/<slug>.srj) on the built graph."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.catalog import load_catalog, results_json, same_results

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
    from server.build import current_build
    from server.store import load

    _, build_dir = built
    return load([current_build(build_dir) / "graph.nq"])


@pytest.mark.parametrize("query", LOCAL + load_catalog(QUERIES / "checks"), ids=lambda q: q.slug)
def test_the_materialized_default_graph_answers_like_the_list_of_graphs(query, store, list_form_store):
    for inferred in (False, True):
        copied = results_json(store.query(query.text, include_inferred=inferred))
        listed = results_json(list_form_store.query(query.text, include_inferred=inferred))
        assert same_results(listed, copied, query.ordered), f"{query.slug} (inferred={inferred})"
