"""The canonical serializer (every committed Turtle file is in canonical form, formatting is idempotent) and the
parser's errors: file, line, column and the reason in words."""

from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import isomorphic

from server.errors import DataError
from server.canonical import canonical_turtle
from server.build.parsing import ParseErrors, parse_file

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


PREFIXES = "@prefix ex: <http://e/> .\n@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"


def _error(tmp_path, body: str) -> DataError:
    """The DataError of parsing a Turtle file made of the two prefix lines and ``body`` (so body lines start at 3)."""
    bad = tmp_path / "bad.ttl"
    bad.write_text(PREFIXES + body, encoding="utf-8")
    with pytest.raises(DataError) as failure:
        parse_file(bad, name="data/bad.ttl")
    return failure.value


@pytest.mark.parametrize("body, where, words", [
    ("ex:a ex:b ex:c .\nex:a ex:b .\n", "data/bad.ttl:4:11", "expected an object (an IRI, a prefixed name, a literal or a blank node) but found '.'"),
    ("ex:a ex:b ex:c\nex:d ex:e ex:f .\n", "data/bad.ttl:4:1", "expected '.' to end the statement before ex:d"),
    ("ex:a ex:b <http://bad iri> .\n", "data/bad.ttl:3:11", "the IRI <http://bad iri> contains a space, which an IRI cannot hold (write it as %20)"),
    ("ex:a ex:b <http://e/x|y> .\n", "data/bad.ttl:3:11", "the IRI <http://e/x|y> contains '|', which an IRI cannot hold (write it as %7C)"),
    ('ex:a ex:b "x"^^xsd:integer .\n', "data/bad.ttl:3:11", '"x" is not a valid xsd:integer: write digits with an optional sign'),
    ('ex:a ex:b "x"@en_US .\n', "data/bad.ttl:3:17", "bad language tag @en_US: '_' cannot be part of it"),
    ('ex:a ex:b "y"@123 .\n', "data/bad.ttl:3:15", "bad language tag @123: a language code should always start with a letter"),
    ('ex:a\n  ex:b "1991-13"^^xsd:gYearMonth .\n', "data/bad.ttl:4:8", '"1991-13" is not a valid xsd:gYearMonth: the month must be 01 to 12'),
    ('ex:a ex:b "1991-02-29"^^<http://www.w3.org/2001/XMLSchema#date> .\n', "data/bad.ttl:3:11", "February 1991 has 28 days"),
    ('ex:a ex:b "19x1"^^xsd:gYear .\n', "data/bad.ttl:3:11", '"19x1" is not a valid xsd:gYear: write YYYY, e.g. 1991'),
    ('ex:a ex:b foo:c .\n', "data/bad.ttl:3:11", "the prefix foo: is not declared"),
    ('ex:a ex:b "中文" , "unclosed .\n\nex:c ex:d ex:e .\n', "data/bad.ttl:3:18", "the file ends before what begins here is closed"),
], ids=["syntax", "missing-dot", "iri-space", "iri-bar", "integer", "language-tag", "language-tag-digits", "month",
        "day", "year", "prefix", "unclosed-string"])
def test_every_parse_error_names_file_line_column_and_reason(tmp_path, body, where, words):
    error = _error(tmp_path, body)
    assert error.where == where
    assert words in error.message
    assert "\n" not in str(error) and "Parser error" not in str(error)


def test_every_bad_literal_of_a_file_is_reported_where_it_is_written(tmp_path):
    error = _error(tmp_path, 'ex:a ex:b "1991-7"^^xsd:gYearMonth ;\n  ex:c 42, "4 2"^^xsd:integer .\nex:d ex:b "1991-7"^^xsd:gYearMonth .\n')
    assert isinstance(error, ParseErrors)
    assert [(p.where, p.message) for p in error.problems] == [
        ("data/bad.ttl:3:11", '"1991-7" is not a valid xsd:gYearMonth: write YYYY-MM, e.g. 1991-07'),
        ("data/bad.ttl:4:12", '"4 2" is not a valid xsd:integer: write digits with an optional sign, e.g. 42 or -7'),
        ("data/bad.ttl:5:11", '"1991-7" is not a valid xsd:gYearMonth: write YYYY-MM, e.g. 1991-07'),
    ]
