"""OWL DL consistency with HermiT, and the derivation rules."""

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from server import reasoning
from server.namespaces import RAKG, entity_iri


def test_the_repository_is_consistent_under_hermit(sources):
    reasoning.check_consistency(sources.ontology(), sources.data())


def test_a_state_that_is_also_an_organization_is_caught(sources):
    bad = Graph()
    bad.add((entity_iri("state", "russia"), RDF.type, RAKG.IntergovernmentalOrganization))
    with pytest.raises(reasoning.Inconsistent) as failure:
        reasoning.check_consistency(sources.ontology(), sources.data() + bad)
    assert "contradict" in str(failure.value)


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
