"""The shapes and checks: the repository conforms; each negative example fails the shape its first line names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.build.pipeline import load_sources, validate_sources
from server.errors import ValidationFailed

CASES = Path(__file__).parent / "shapes"
INVALID = sorted((CASES / "invalid").glob("*.ttl"))
VALID = sorted((CASES / "valid").glob("*.ttl"))
EXPECTATION = re.compile(r"^# fails (\S+) on (\S*): (.+)$")


def expectation(path: Path):
    match = EXPECTATION.match(path.read_text(encoding="utf-8").splitlines()[0])
    assert match, f"{path.name}: first line must be '# fails <shape> on <path>: <why>'"
    return match.group(1), match.group(2)


@pytest.fixture(scope="module")
def problems_by_file(root):
    """All examples checked in one run against the repository's ontology, entities and sources."""
    sources = load_sources(root, extra=tuple(INVALID + VALID))
    try:
        problems = validate_sources(sources, only=tuple(INVALID + VALID))
    except ValidationFailed as failure:
        problems = failure.problems
    grouped = {}
    for problem in problems:
        grouped.setdefault(problem.file, []).append(problem)
    return grouped


def test_the_repository_conforms_strictly(built):
    result, _ = built
    assert result.warnings == []


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_negative_example_fails_the_named_shape(path, problems_by_file, root):
    shape, property_path = expectation(path)
    found = problems_by_file.get(path.relative_to(root).as_posix(), [])
    assert found, f"{path.name} passed but should fail {shape}"
    assert any(p.shape == shape and p.path == property_path and p.severity == "violation" for p in found), (
        f"{path.name}: expected {shape} on {property_path!r}, got {[(p.shape, p.path) for p in found]}"
    )
    assert all(p.message for p in found)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_positive_example_passes(path, problems_by_file, root):
    assert path.read_text(encoding="utf-8").startswith("# passes: ")
    assert problems_by_file.get(path.relative_to(root).as_posix(), []) == []


def test_cli_rejects_a_negative_example_with_a_clear_message(root):
    from click.testing import CliRunner

    from server.cli import main

    example = CASES / "invalid" / "MembershipShape-member-missing.ttl"
    result = CliRunner().invoke(main, ["validate", str(example)])
    assert result.exit_code == 1
    assert "shape:Membership-member" in result.output and "exactly one member" in result.output
    assert example.relative_to(root).as_posix() in result.output


def test_an_entity_that_no_fact_uses_is_a_warning(root, tmp_path):
    from server.build.pipeline import CHECKS_DIR, asserted_store
    from server.build.validation import run_checks

    extra = tmp_path / "unused-entity.ttl"
    extra.write_text(
        "@prefix rakg: <https://w3id.org/rakg/ontology#> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        '<https://w3id.org/rakg/id/person/nobody> a rakg:Person ; rdfs:label "Nobody"@en , "無人"@zh-Hant .\n', encoding="utf-8")
    sources = load_sources(root, extra=(extra,))
    warned = {p.focus for p in run_checks(asserted_store(sources), root / CHECKS_DIR) if p.shape.endswith("unused-entity-warning.rq")}
    assert warned == {"https://w3id.org/rakg/id/person/nobody"}
