"""The build: reproducible output, atomic switch, located errors."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from server.build import build, canonical_nquads, current_build
from server.errors import DataError, ValidationFailed


def test_build_writes_nquads_turtle_and_manifest(built):
    result, build_dir = built
    current = current_build(build_dir)
    assert current == result.path
    assert {p.name for p in current.iterdir()} == {"graph.nq", "graph.ttl", "manifest.json"}
    assert hashlib.sha256((current / "graph.nq").read_bytes()).hexdigest() == result.content_hash


def test_one_named_graph_per_source_file(built):
    result, _ = built
    graphs = result.counts["graphs"]
    assert "https://w3id.org/rakg/graph/ontology/rakg" in graphs
    assert "https://w3id.org/rakg/graph/data/sources/footnotes" in graphs
    assert "https://w3id.org/rakg/graph/data/chapter/s1-4-full-relations-and-normalisation" in graphs


def test_the_same_inputs_give_byte_identical_dumps(built, tmp_path):
    from rdflib import Dataset

    result, _ = built
    text = (result.path / "graph.nq").read_text(encoding="utf-8")
    reparsed = Dataset()
    reparsed.parse(data=text, format="nquads")
    assert canonical_nquads(reparsed) == text


def _copy_sources(root: Path, target: Path) -> Path:
    for folder in ("ontology", "data", "queries"):
        shutil.copytree(root / folder, target / folder)
    return target


@pytest.fixture
def previous_build(built, tmp_path):
    """A build folder holding a copy of the session's good build."""
    _, build_dir = built
    copy = tmp_path / "build"
    shutil.copytree(build_dir, copy, symlinks=True)
    return copy


def test_broken_turtle_names_file_and_line_and_keeps_the_last_good_build(root, previous_build, tmp_path):
    before = current_build(previous_build)
    sources = _copy_sources(root, tmp_path / "repo")
    broken = sources / "data/chapter/s1-4-full-relations-and-normalisation.ttl"
    lines = broken.read_text(encoding="utf-8").splitlines()
    lines[10] = lines[10] + " this is not turtle"
    broken.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(DataError) as failure:
        build(sources, previous_build)
    assert "s1-4-full-relations-and-normalisation.ttl:11" in str(failure.value)
    assert current_build(previous_build) == before


def test_a_shape_violation_fails_the_build_and_keeps_the_last_good_build(root, previous_build, tmp_path):
    before = current_build(previous_build)
    sources = _copy_sources(root, tmp_path / "repo")
    shutil.copy(root / "tests/shapes/invalid/MembershipShape-member-missing.ttl", sources / "data/chapter/zz-broken.ttl")
    with pytest.raises(ValidationFailed) as failure:
        build(sources, previous_build)
    assert any(p.shape == "shape:Membership-member" and p.file == "data/chapter/zz-broken.ttl" for p in failure.value.problems)
    assert current_build(previous_build) == before


def test_building_twice_gives_the_same_content_hash(root, built, tmp_path):
    """The second build runs in another process with another string-hash seed (and so other hash-map orders in
    Python and in the engine, whose rows come in no fixed order): the bytes must not change.  It skips the OWL DL
    check, which decides whether a build is published but never changes its content."""
    result, _ = built
    again = subprocess.run([sys.executable, "-m", "server.cli", "build", "--no-dl-check", "--timings"], cwd=root, capture_output=True,
                           text=True, timeout=600,
                           env={**os.environ, "RAKG_ROOT": str(root), "RAKG_BUILD_DIR": str(tmp_path / "again"), "PYTHONHASHSEED": "12345"})
    assert again.returncode == 0, again.stderr[-2000:]
    assert "s  parse" in again.stdout and "HermiT" not in again.stdout
    assert (tmp_path / "again" / "current" / "graph.nq").read_bytes() == (result.path / "graph.nq").read_bytes()
