"""The canonical serializer: every committed Turtle file is in canonical form, and formatting is idempotent."""

from pathlib import Path

from rdflib import Graph
from rdflib.compare import isomorphic

from server.rdfio import canonical_turtle, parse_file

ROOT = Path(__file__).resolve().parent.parent
TURTLE = sorted(p for folder in ("ontology", "data") for p in (ROOT / folder).rglob("*.ttl"))


def test_every_turtle_file_is_canonical():
    different = [str(p.relative_to(ROOT)) for p in TURTLE if canonical_turtle(parse_file(p)) != p.read_text(encoding="utf-8")]
    assert different == [], f"run `rakg fmt` on: {different}"


def test_formatting_keeps_the_graph_and_is_idempotent():
    path = ROOT / "ontology/shapes/required.ttl"
    original = parse_file(path)
    once = canonical_turtle(original)
    reparsed = Graph().parse(data=once, format="turtle")
    assert isomorphic(original, reparsed)
    assert canonical_turtle(reparsed) == once


def test_parse_errors_name_file_and_line(tmp_path):
    import pytest

    from server.errors import DataError

    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://e/> .\nex:a ex:b ex:c .\nex:a ex:b .\n", encoding="utf-8")
    with pytest.raises(DataError) as failure:
        parse_file(bad)
    assert "bad.ttl:3" in str(failure.value)
