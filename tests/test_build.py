"""The build: reproducible output, atomic switch, located errors."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from server.build.pipeline import build, is_stale, sources_hash
from server.canonical import canonical_nquads
from server.releases import current_build, remove_leftovers
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


def test_staleness_follows_the_sources_bytes_not_their_times(root, previous_build, tmp_path):
    """Touching a file does not make the build stale; changing a byte does; a rebuild that reproduces the current
    release (a comment changes no triple) records the new sources, so the next start does not rebuild."""
    sources = _copy_sources(root, tmp_path / "repo")
    release = current_build(previous_build)
    assert not is_stale(sources, previous_build)
    touched = sources / "data/entities/state.ttl"
    os.utime(touched, (touched.stat().st_atime + 3600, touched.stat().st_mtime + 3600))
    assert not is_stale(sources, previous_build)
    touched.write_text(touched.read_text(encoding="utf-8") + "# a comment changes bytes, not triples\n", encoding="utf-8")
    assert is_stale(sources, previous_build)
    result = build(sources, previous_build, dl_check=False)
    assert result.path == release == current_build(previous_build)
    assert not is_stale(sources, previous_build)
    assert json.loads((release / "manifest.json").read_text(encoding="utf-8"))["sources_hash"] == sources_hash(sources)
    assert {p.name for p in release.iterdir()} == {"graph.nq", "graph.ttl", "manifest.json"}


def test_a_build_removes_what_killed_builds_left_and_keeps_what_running_ones_use(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    releases = tmp_path / "releases"
    (releases / "0123456789abcdef").mkdir(parents=True)
    left = [releases / f".staging-{gone}", tmp_path / f".current-{gone}", releases / "0123456789abcdef" / f".manifest-{gone}"]
    kept = [releases / f".staging-{os.getpid()}", tmp_path / f".current-{os.getpid()}"]
    for path in (left[0], kept[0]):
        (path / "part").mkdir(parents=True)
    for path in (left[1], kept[1]):
        path.symlink_to("releases/0123456789abcdef")
    left[2].write_text("{}")
    assert sorted(remove_leftovers(tmp_path)) == sorted(left)
    assert not any(p.exists() or p.is_symlink() for p in left) and all(p.exists() for p in kept)


BROKEN = {  # file: (line to change (from 1), old text, new text)
    "data/chapter/s1-4-full-relations-and-normalisation.ttl": (30, "rakg:Discrepancy", "<https://w3id.org/rakg/ontology#Bad Discrepancy>"),
    "data/entities/state.ttl": (16, '"Australia"@en', '"Australia"@en_AU'),
}


@pytest.mark.parametrize("command", ["build", "validate"])
def test_parse_errors_are_one_line_each_with_no_traceback(root, tmp_path, command):
    sources = _copy_sources(root, tmp_path / "repo")
    for name, (line, old, new) in BROKEN.items():
        lines = (sources / name).read_text(encoding="utf-8").split("\n")
        assert old in lines[line - 1]
        lines[line - 1] = lines[line - 1].replace(old, new)
        (sources / name).write_text("\n".join(lines), encoding="utf-8")
    (sources / "data/chapter/zz-dates.ttl").write_text(
        '@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n<https://w3id.org/rakg/id/fact/zz> <https://w3id.org/rakg/ontology#date>\n'
        '    "1991-02-30"^^xsd:date .\n', encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "server.cli", command], cwd=root, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "RAKG_ROOT": str(sources), "RAKG_BUILD_DIR": str(tmp_path / "build")})
    assert run.returncode == 1
    assert run.stderr.splitlines() == [
        "error: 3 parse errors",
        "  data/chapter/s1-4-full-relations-and-normalisation.ttl:30:7: the IRI <https://w3id.org/rakg/ontology#Bad Discrepancy>"
        " contains a space, which an IRI cannot hold (write it as %20)",
        '  data/chapter/zz-dates.ttl:3:5: "1991-02-30" is not a valid xsd:date: February 1991 has 28 days',
        "  data/entities/state.ttl:16:23: bad language tag @en_AU: '_' cannot be part of it (a tag is letters and digits joined"
        " by hyphens, like en, zh-Hant or en-US)",
    ]
    assert not (tmp_path / "build").exists()


def test_serve_with_a_broken_source_serves_the_last_good_build_and_says_why(root, previous_build, tmp_path):
    from server.build.pipeline import build_if_stale
    from server.settings import load_settings

    before = current_build(previous_build)
    sources = _copy_sources(root, tmp_path / "repo")
    (sources / "data/entities/zz-broken.ttl").write_text("<http://e/a> <http://e/b> <http://bad iri> .\n", encoding="utf-8")
    said = []
    build_if_stale(load_settings({"root": str(sources), "build_dir": str(previous_build)}), said.append)
    assert said[-1] == (f"the build failed, so the last good build {before.name} is served: data/entities/zz-broken.ttl:1:27: the IRI"
                        " <http://bad iri> contains a space, which an IRI cannot hold (write it as %20)")
    assert current_build(previous_build) == before


def _processes() -> dict[int, tuple[int, int, bytes, bytes]]:
    """Every live process that can be read: pid -> (parent pid, process group, command line, environment)."""
    table = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            command, environment = Path(f"/proc/{entry}/cmdline").read_bytes(), Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue
        if state[0] != "Z":  # a zombie has ended
            table[int(entry)] = (int(state[1]), int(state[2]), command, environment)
    return table


def _started_by(pid: int, marker: bytes) -> dict[int, str]:
    """The processes descending from ``pid`` (by parent), in its process group, or carrying ``marker`` in their
    environment (the build's children inherit it, even when their parent is gone): pid -> command line."""
    table, found = _processes(), {}
    for other, (_, group, command, environment) in table.items():
        ancestor, seen = other, set()
        while ancestor in table and ancestor not in seen and ancestor != pid:
            seen.add(ancestor)
            ancestor = table[ancestor][0]
        if ancestor == pid or group == pid or marker in environment:
            found[other] = command.replace(b"\0", b" ").decode(errors="replace")[:100]
    return found


def _kill_build_at(root: Path, build_dir: Path, temporary: Path, point: str, condition) -> tuple[dict, dict]:
    """Start `rakg build`, kill -9 it when ``condition(seconds, processes)`` holds; return the processes it had
    started just before and those that outlive it by more than 3 s (a child that merely finishes its work later
    counts: nothing is to go on once the build is gone), killing them."""
    import time
    import uuid

    marker = uuid.uuid4().hex
    process = subprocess.Popen([sys.executable, "-m", "server.cli", "build"], cwd=root, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env={**os.environ, "RAKG_ROOT": str(root), "RAKG_BUILD_DIR": str(build_dir),
                                    "TMPDIR": str(temporary), "RAKG_KILL_TEST": marker})
    started = time.monotonic()
    while True:
        before = _started_by(process.pid, marker.encode())
        assert process.poll() is None, f"the build ended before the kill point {point}: {process.stdout.read()[-2000:]!r}"
        if condition(time.monotonic() - started, before):
            break
        time.sleep(0.02)
    process.kill()
    process.wait()
    deadline = time.monotonic() + 3
    while (survivors := _started_by(process.pid, marker.encode())) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in survivors:  # leave nothing running, whatever the verdict
        os.kill(pid, 9)
    process.stdout.read()  # nothing holds the build's output any more: this ends
    process.stdout.close()
    return before, survivors


def test_a_build_killed_at_any_moment_leaves_no_process_and_no_file(root, tmp_path):
    """kill -9 of `rakg build` at fixed times, while HermiT's Java runs and during the write: no process it started
    survives (the forked validator, the HermiT process, Java, a resource tracker), no temporary file is left, and
    the next build removes the staging folder of the killed write."""
    build_dir, temporary = tmp_path / "build", tmp_path / "tmp"
    temporary.mkdir()
    points = {f"{t} s": (lambda t: lambda seconds, _: seconds >= t)(t) for t in (0.5, 1, 2, 3, 4)}
    points["Java running"] = lambda _, processes: any("/java " in command for command in processes.values())
    points["writing"] = lambda *_: any((build_dir / "releases").glob(".staging-*"))
    seen, survived = set(), {}
    for point, condition in points.items():
        before, survivors = _kill_build_at(root, build_dir, temporary, point, condition)
        seen |= {("java" if "/java " in c else "HermiT" if "server.build.reasoning" in c else "build") for c in before.values()}
        survived.update({f"{point}: {command}": pid for pid, command in survivors.items()})
        assert list(temporary.iterdir()) == [], f"killed at {point}"
    assert survived == {}
    assert seen == {"build", "HermiT", "java"}
    assert [p.name for p in (build_dir / "releases").glob(".staging-*")], "the kill during the write left its staging folder"
    again = subprocess.run([sys.executable, "-m", "server.cli", "build", "--no-dl-check"], cwd=root, capture_output=True, text=True,
                           timeout=600, env={**os.environ, "RAKG_ROOT": str(root), "RAKG_BUILD_DIR": str(build_dir)})
    assert again.returncode == 0, again.stderr[-2000:]
    assert sorted(p.name for p in build_dir.iterdir()) == ["current", "releases"]
    assert [p.name for p in (build_dir / "releases").iterdir() if p.name.startswith(".")] == []
