"""OWL DL consistency with HermiT, and the derivation rules."""

import os
import time
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from server.build import reasoning
from server.namespaces import RAKG, entity_iri


def test_the_repository_is_consistent_under_hermit(sources):
    reasoning.check_consistency(sources.ontology(), sources.data())


def test_a_state_that_is_also_an_organization_is_caught_by_the_hermit_process(sources):
    bad = f"<{entity_iri('state', 'russia')}> <{RDF.type}> <{RAKG.IntergovernmentalOrganization}> .\n"
    check = reasoning.start_consistency_check(sources.ntriples() + bad)
    with pytest.raises(reasoning.Inconsistent) as failure:
        check.result()
    assert "contradict" in str(failure.value)


def test_an_inconsistency_leaves_no_temporary_file(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    small = Graph().parse(format="turtle", data="@prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix e: <http://e/> ."
                          " e:C a owl:Class . e:D a owl:Class ; owl:disjointWith e:C . e:x a e:C, e:D .")
    with pytest.raises(reasoning.Inconsistent):
        reasoning.check_consistency(small, Graph())
    assert list(tmp_path.iterdir()) == []


def _group(leader: int) -> list[str]:
    """The command lines of the live processes in the process group ``leader`` leads."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(state[2]) == leader and state[0] != "Z":
            found.append(command)
    return found


def test_stopping_the_hermit_process_ends_java_and_removes_its_files(sources, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    check = reasoning.start_consistency_check(sources.ntriples())
    leader = check.process.process.pid
    deadline = time.monotonic() + 120
    while not any("/java " in command for command in _group(leader)):
        assert time.monotonic() < deadline and check.process.process.poll() is None, "HermiT ended before Java was seen"
        time.sleep(0.02)
    assert list(tmp_path.iterdir()), "HermiT's input is in its temporary folder"
    check.stop()
    deadline = time.monotonic() + 3
    while _group(leader) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _group(leader) == []
    assert list(tmp_path.iterdir()) == []


def test_dates_outside_the_owl2_datatype_map_become_strings_for_hermit():
    g = Graph()
    node = URIRef("https://w3id.org/rakg/id/fact/x")
    g.add((node, RAKG.date, Literal("1991-07", datatype=XSD.gYearMonth)))
    copy = reasoning.owl_ready_copy(Graph(), g)
    assert (node, RAKG.date, Literal("1991-07", datatype=XSD.string)) in copy


def test_discrepancies_make_their_claims_conflict_both_ways(built, store):
    rows = list(store.query("SELECT ?a ?b WHERE { GRAPH graph:inferred { ?a rakg:conflictsWith ?b } }"))
    pairs = {(r["a"].value, r["b"].value) for r in rows}
    assert pairs, "no rakg:conflictsWith derived"
    assert all((b, a) in pairs for a, b in pairs)
