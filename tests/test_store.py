"""Answers (server/answers.py, written by the engine of server/store.py) and the store: rows counted and cut at max_rows in every format, terms intact."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest

from server.answers import serialize
from server.store import GraphStore

EX = "http://example.org/"
# Literals that stress the row counting: line breaks, tabs and quotes inside values, and values longer than the
# engine's 8 KiB write buffer, so that rows are split across writes.
VALUES = ["plain", "line\nbreak", "tab\there", 'quote " and \\ backslash', "俄羅斯與東協", "x" * 20000 + "\n" + "y" * 9000, "\r\n\u2028"]


def _store(count: int) -> GraphStore:
    lines = []
    for i in range(count):
        value = json.dumps(VALUES[i % len(VALUES)] + f" #{i:05d}")
        lines.append(f"<{EX}s{i:05d}> <{EX}p> {value}@zh-Hant <{EX}g> .")
        if i % 3 == 0:
            lines.append(f"<{EX}s{i:05d}> <{EX}q> _:b{i} <{EX}g> .")
    return GraphStore.from_text("\n".join(lines), "nquads")


QUERY = f"SELECT ?s ?o ?b WHERE {{ ?s <{EX}p> ?o OPTIONAL {{ ?s <{EX}q> ?b }} }} ORDER BY ?s"


def _expected(store: GraphStore, limit: int) -> list[dict]:
    """The bindings by iterating the engine's solutions in Python: the reference the serializer must agree with."""
    rows = []
    for solution in list(store.query(QUERY))[:limit]:
        row = {"s": {"type": "uri", "value": solution["s"].value},
               "o": {"type": "literal", "value": solution["o"].value, "xml:lang": solution["o"].language}}
        if solution["b"] is not None:
            row["b"] = {"type": "bnode", "value": solution["b"].value}
        rows.append(row)
    return rows


@pytest.mark.parametrize("count,limit", [(20, 50), (21, 21), (22, 21), (60, 7), (7, 0)])
def test_json_rows_are_counted_cut_and_flagged(count, limit):
    store = _store(count)
    answer = serialize(store.query(QUERY), "json", limit)
    document = json.loads(answer.body)
    assert document["head"]["vars"] == ["s", "o", "b"]
    assert document["results"]["bindings"] == _expected(store, limit)
    assert answer.rows == min(count, limit)
    assert answer.truncated is (count > limit) and document.get("truncated", False) is (count > limit)


@pytest.mark.parametrize("fmt", ["xml", "csv", "tsv"])
def test_other_formats_carry_the_same_rows(fmt):
    store, limit = _store(30), 11
    answer = serialize(store.query(QUERY), fmt, limit)
    assert answer.rows == limit and answer.truncated
    text = answer.body.decode("utf-8")
    if fmt == "xml":
        root = ET.fromstring(answer.body)
        ns = {"r": "http://www.w3.org/2005/sparql-results#"}
        results = root.findall("r:results/r:result", ns)
        assert [r.find("r:binding[@name='o']/r:literal", ns).text for r in results] == [row["o"]["value"] for row in _expected(store, limit)]
        assert root.find("r:head/r:link", ns).get("href") == "urn:rakg:truncated"
    elif fmt == "csv":
        records = list(csv.reader(io.StringIO(text, newline="")))
        assert records[0] == ["s", "o", "b"] and [r[1] for r in records[1:]] == [row["o"]["value"] for row in _expected(store, limit)]
    else:
        lines = text.split("\n")
        assert lines[0] == "?s\t?o\t?b" and lines[-1] == "" and len(lines) == limit + 2
        assert all("\t" in line for line in lines[1:-1])  # escaped tabs and line breaks stay inside their value


def test_solutions_without_variables_and_unbound_variables_are_rows_too():
    store = _store(3)
    empty = serialize(store.query("SELECT * WHERE {}"), "json", 10)
    assert json.loads(empty.body)["results"]["bindings"] == [{}] and empty.rows == 1
    unbound = serialize(store.query(f"SELECT ?x WHERE {{ ?s <{EX}p> ?o }}"), "json", 2)
    assert json.loads(unbound.body)["results"]["bindings"] == [{}, {}] and unbound.truncated
    none = serialize(store.query("SELECT ?x WHERE { FILTER(false) }"), "tsv", 10)
    assert none.body == b"?x\n" and none.rows == 0 and not none.truncated


def test_the_materialized_default_graph_is_hidden_from_graphs_dumps_and_counts():
    text = (f"<{EX}a> <{EX}p> \"1\" <{EX}g1> .\n<{EX}a> <{EX}p> \"1\" <{EX}g2> .\n<{EX}b> <{EX}p> \"2\" _:g3 .\n"
            f"<{EX}c> <{EX}p> \"3\" <https://w3id.org/rakg/graph/inferred> .")
    store = GraphStore.from_text(text, "nquads")
    before = (len(store), store.dump_format("nquads"), store.dump_format("turtle"))
    store.materialize_default_graph()
    assert (len(store), store.dump_format("nquads"), store.dump_format("turtle")) == before
    rows = lambda q, **kw: sorted(str(r[0]) for r in store.query(q, **kw))  # noqa: E731
    assert rows("SELECT ?o WHERE { ?s ?p ?o }") == ['"1"', '"2"']  # one triple in two graphs counts once; not inferred
    assert rows("SELECT ?o WHERE { ?s ?p ?o }", include_inferred=True) == ['"1"', '"2"', '"3"']
    assert len(rows("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")) == 4  # the copy is no named graph


def test_data_with_a_default_graph_of_its_own_keeps_the_list_form():
    store = GraphStore.from_text(f"<{EX}a> <{EX}p> \"1\" .\n<{EX}b> <{EX}p> \"2\" <{EX}g> .", "nquads")
    store.materialize_default_graph()
    assert sorted(str(r[0]) for r in store.query("SELECT ?o WHERE { ?s ?p ?o }")) == ['"1"', '"2"']
    assert len(store) == 2
