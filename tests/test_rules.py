"""The derivation rules, each checked against a small hand-computed expectation, then on the real graph."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import PROV, RDF, XSD

from server.namespaces import RAKG, RULE, entity_iri
from server.build.rules import Deriver, Inferred, day_bounds, load_rules

ROOT = Path(__file__).resolve().parent.parent
PREFIXES = """
@prefix rakg: <https://w3id.org/rakg/ontology#> . @prefix org: <http://www.w3.org/ns/org#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix state: <https://w3id.org/rakg/id/state/> .
@prefix organization: <https://w3id.org/rakg/id/organization/> . @prefix fact: <https://w3id.org/rakg/id/fact/> .
@prefix document: <https://w3id.org/rakg/id/document/> . @prefix place: <https://w3id.org/rakg/id/place/> .
"""


@pytest.fixture(scope="module")
def ontology():
    return Graph().parse(ROOT / "ontology/rakg.ttl")


def derive(ontology, turtle: str) -> Graph:
    """What the rules derive from the ontology and ``turtle``, as an rdflib graph."""
    deriver = Deriver.of_graphs(ontology, Graph().parse(data=PREFIXES + turtle, format="turtle"))
    deriver.run(load_rules(ROOT / "ontology/rules"))
    return Inferred(deriver.inferred, Graph()).graph()


def derivations(g: Graph, subject, predicate, obj) -> list[dict]:
    found = []
    for node in g.subjects(RDF.subject, subject):
        if (node, RDF.predicate, predicate) in g and (node, RDF.object, obj) in g:
            found.append({
                "rule": g.value(node, RAKG.derivedBy),
                "from": str(g.value(node, RAKG.validFrom) or ""),
                "until": str(g.value(node, RAKG.validUntil) or ""),
                "possibly": str(g.value(node, RAKG.possiblyValidFrom) or ""),
                "possiblyUntil": str(g.value(node, RAKG.possiblyValidUntil) or ""),
                "attested": tuple(str(g.value(node, p) or "") for p in (RAKG.attestedNotBefore, RAKG.attestedNotAfter)),
                "background": g.value(node, RAKG.usesBackground).toPython(),
                "premises": set(g.objects(node, PROV.wasDerivedFrom)),
            })
    return found


@pytest.mark.parametrize("value,datatype,expected", [
    ("2004-02", XSD.gYearMonth, ("2004-02-01", "2004-02-29")),
    ("1990", XSD.gYear, ("1990-01-01", "1990-12-31")),
    ("1991-10-01", XSD.date, ("1991-10-01", "1991-10-01")),
])
def test_date_bounds(value, datatype, expected):
    assert day_bounds(value, datatype) == expected


def test_membership_holds_from_the_last_day_its_start_can_mean_until_its_end(ontology):
    d = derive(ontology, """
        fact:m a rakg:Membership ; org:member state:brunei ; org:organization organization:asean ;
            rakg:startDate "1984-01"^^xsd:gYearMonth ; rakg:endDate "1990"^^xsd:gYear .
    """)
    [found] = derivations(d, entity_iri("state", "brunei"), RAKG.memberOf, entity_iri("organization", "asean"))
    assert found == {"rule": RULE["member-of"], "from": "1984-01-31", "until": "1990-01-01", "background": False,
                     "possibly": "1984-01-01", "possiblyUntil": "1990-12-31", "attested": ("", ""),
                     "premises": {entity_iri("fact", "m")}}


def test_an_uncertain_start_holds_certainly_from_its_latest_and_possibly_from_its_earliest_day(ontology):
    d = derive(ontology, """
        fact:m a rakg:Membership ; org:member state:vietnam ; org:organization organization:asean ; rakg:startText "70 年代末" ;
            rakg:earliestStart "1977"^^xsd:gYear ; rakg:latestStart "1979"^^xsd:gYear .
        fact:a a rakg:Accession ; rakg:party state:laos ; rakg:document document:x ; rakg:dateText "2004 年底" ;
            rakg:earliestDate "2004-10"^^xsd:gYearMonth ; rakg:latestDate "2004-12"^^xsd:gYearMonth .
        fact:before a rakg:Membership ; org:member state:cambodia ; org:organization organization:asean ; rakg:startText "1990 年以前" ;
            rakg:latestStart "1989"^^xsd:gYear .
    """)
    [vietnam] = derivations(d, entity_iri("state", "vietnam"), RAKG.memberOf, entity_iri("organization", "asean"))
    assert (vietnam["from"], vietnam["possibly"], vietnam["until"]) == ("1979-12-31", "1977-01-01", "")
    [laos] = derivations(d, entity_iri("state", "laos"), RAKG.partyTo, entity_iri("document", "x"))
    assert (laos["from"], laos["possibly"]) == ("2004-12-31", "2004-10-01")
    [cambodia] = derivations(d, entity_iri("state", "cambodia"), RAKG.memberOf, entity_iri("organization", "asean"))
    assert (cambodia["from"], cambodia["possibly"]) == ("1989-12-31", "")  # "before 1990": certain by then, no earliest


def test_an_as_of_date_is_attested_never_a_start(ontology):
    d = derive(ontology, """
        fact:un a rakg:Membership ; org:member state:russia ; org:organization organization:united-nations ; rakg:asOf "2004-07-02"^^xsd:date .
        fact:late a rakg:Membership ; org:member state:ussr ; org:organization organization:x ; rakg:dateText "到了 1968 年末" ;
            rakg:earliestAsOf "1968-10"^^xsd:gYearMonth ; rakg:latestAsOf "1968-12"^^xsd:gYearMonth .
    """)
    [un] = derivations(d, entity_iri("state", "russia"), RAKG.memberOf, entity_iri("organization", "united-nations"))
    assert (un["from"], un["possibly"], un["attested"]) == ("", "", ("2004-07-02", "2004-07-02"))
    [late] = derivations(d, entity_iri("state", "ussr"), RAKG.memberOf, entity_iri("organization", "x"))
    assert (late["from"], late["attested"]) == ("", ("1968-10-01", "1968-12-31"))
    assert not list(d.triples((entity_iri("fact", "un"), RAKG.startsNotAfter, None)))


def test_habitual_attendance_takes_part_in_the_forum_from_its_start(ontology):
    d = derive(ontology, """
        fact:h a rakg:Participation ; rakg:participant state:russia ; rakg:series <https://w3id.org/rakg/id/forum/amm> ;
            rakg:startDate "1991"^^xsd:gYear ; rakg:startText "從 1991 年起" .
    """)
    [found] = derivations(d, entity_iri("state", "russia"), RAKG.tookPartInForum, URIRef("https://w3id.org/rakg/id/forum/amm"))
    assert (found["rule"], found["from"], found["possibly"]) == (RULE["took-part-in-forum"], "1991-12-31", "1991-01-01")


def test_background_premises_are_flagged(ontology):
    d = derive(ontology, """
        fact:b a rakg:Membership , rakg:BackgroundFact ; org:member state:laos ; org:organization organization:asean ;
            rakg:startDate "1997-07-23"^^xsd:date .
    """)
    [found] = derivations(d, entity_iri("state", "laos"), RAKG.memberOf, entity_iri("organization", "asean"))
    assert found["background"] is True and found["from"] == "1997-07-23"


def test_succession_carries_over_only_what_the_predecessor_held_on_the_day(ontology):
    d = derive(ontology, """
        fact:s a rakg:StateSuccession ; rakg:predecessor state:soviet-union ; rakg:successor state:russia ; rakg:date "1991-12-24"^^xsd:date .
        fact:before a rakg:DiplomaticRelation ; rakg:between state:soviet-union , state:brunei ; rakg:startDate "1991-10-01"^^xsd:date .
        fact:treaty a rakg:Signature ; rakg:party state:soviet-union ; rakg:document document:x ; rakg:date "1978"^^xsd:gYear .
        fact:after a rakg:DiplomaticRelation ; rakg:between state:soviet-union , state:laos ; rakg:startDate "1992-05-01"^^xsd:date .
    """)
    russia = entity_iri("state", "russia")
    [brunei] = derivations(d, russia, RAKG.hasDiplomaticRelationsWith, entity_iri("state", "brunei"))
    assert brunei["rule"] == RULE["succession-carries-over"] and brunei["from"] == "1991-12-24"
    assert derivations(d, entity_iri("state", "brunei"), RAKG.hasDiplomaticRelationsWith, russia)
    assert derivations(d, russia, RAKG.partyTo, entity_iri("document", "x"))[0]["from"] == "1991-12-24"
    assert derivations(d, russia, RAKG.hasDiplomaticRelationsWith, entity_iri("state", "laos")) == []


def test_succession_carries_over_as_possible_what_the_predecessor_only_possibly_held(ontology):
    d = derive(ontology, """
        fact:s a rakg:StateSuccession ; rakg:predecessor state:soviet-union ; rakg:successor state:russia ; rakg:date "1991-12-24"^^xsd:date .
        fact:maybe a rakg:DiplomaticRelation ; rakg:between state:soviet-union , state:brunei ; rakg:startText "1991 年底" ;
            rakg:earliestStart "1991-10"^^xsd:gYearMonth ; rakg:latestStart "1991-12"^^xsd:gYearMonth .
    """)
    [brunei] = derivations(d, entity_iri("state", "russia"), RAKG.hasDiplomaticRelationsWith, entity_iri("state", "brunei"))
    assert (brunei["from"], brunei["possibly"]) == ("", "1991-12-24")


def test_non_southeast_asian_parties_and_eas_conditions(ontology):
    d = derive(ontology, """
        fact:a1 a rakg:Accession ; rakg:party state:russia ; rakg:document document:treaty-of-amity-and-cooperation ; rakg:date "2004-11-28"^^xsd:date .
        fact:a2 a rakg:Accession ; rakg:party state:laos ; rakg:document document:treaty-of-amity-and-cooperation ; rakg:date "1992"^^xsd:gYear .
        fact:p a rakg:PartnerStatus ; rakg:partner state:russia ; rakg:partnerOf organization:asean ;
            rakg:status rakg:FullDialoguePartnerStatus ; rakg:startDate "1996-07-18"^^xsd:date .
        state:russia a rakg:SovereignState ; rakg:locatedIn place:europe . state:laos a rakg:SovereignState ; rakg:locatedIn place:southeast-asia .
    """)
    group = URIRef("https://w3id.org/rakg/id/group/non-southeast-asian-parties-to-the-tac")
    assert derivations(d, group, RAKG.groupMember, entity_iri("state", "russia"))
    assert derivations(d, group, RAKG.groupMember, entity_iri("state", "laos")) == []
    russia = entity_iri("state", "russia")
    assert derivations(d, russia, RAKG.meetsCondition, RAKG.EasTacCondition)[0]["from"] == "2004-11-28"
    assert derivations(d, russia, RAKG.meetsCondition, RAKG.EasDialoguePartnerCondition)[0]["from"] == "1996-07-18"
    assert derivations(d, russia, RAKG.meetsCondition, RAKG.EasSubstantiveRelationsCondition) == []


def test_rl_typing_and_symmetry_without_runaway_derivations(ontology):
    d = derive(ontology, """
        fact:x a rakg:Assessment ; rakg:about state:brunei ; rakg:statedIn <https://w3id.org/rakg/source/s1-4-p5> .
        fact:y a rakg:Assessment ; rakg:about state:brunei .
        <https://w3id.org/rakg/id/discrepancy/d> a rakg:Discrepancy ; rakg:claim fact:x , fact:y .
    """)
    x, y = entity_iri("fact", "x"), entity_iri("fact", "y")
    assert (x, RDF.type, RAKG.Fact) in d and (x, RDF.type, PROV.Entity) in d
    assert (x, PROV.wasDerivedFrom, URIRef("https://w3id.org/rakg/source/s1-4-p5")) in d
    assert len(derivations(d, x, RAKG.conflictsWith, y)) == 1 and len(derivations(d, y, RAKG.conflictsWith, x)) == 1
    # A bounded number of derivations (the ontology's own individuals are typed too), not one per round of a loop.
    assert len(set(d.triples((None, RAKG.derivedBy, None)))) < 200


def test_on_the_real_graph_russia_meets_two_eas_conditions(store):
    rows = list(store.query("""SELECT ?c (MIN(?f) AS ?from) WHERE { GRAPH graph:inferred {
        ?d rdf:subject state:russia ; rdf:predicate rakg:meetsCondition ; rdf:object ?c ; rakg:validFrom ?f } } GROUP BY ?c"""))
    found = {row["c"].value.split("#")[1]: row["from"].value for row in rows}
    assert found == {"EasDialoguePartnerCondition": "1996-07-18", "EasTacCondition": "2004-11-28"}


def test_explain_cli_names_rule_premise_and_quote(runner):
    from server.cli import main

    result = runner.invoke(main, ["explain", "state:brunei"])
    assert result.exit_code == 0, result.output
    assert "rule:diplomatic-relations" in result.output and "quote: 「" in result.output and "src:s1-4-p5" in result.output
    missing = runner.invoke(main, ["explain", "state:nowhere"])
    assert missing.exit_code == 1 and "nothing derived" in missing.output
