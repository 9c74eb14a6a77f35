"""The ontology: every term is labelled in English and Chinese and defined; Wikidata mappings are declared."""

from rdflib import Graph
from rdflib.namespace import OWL, RDF, RDFS, SKOS

from server.namespaces import RAKG, WD

TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)


def ontology(root) -> Graph:
    return Graph().parse(root / "ontology/rakg.ttl")


def test_every_class_and_property_has_labels_in_english_and_chinese_and_a_definition(root):
    g = ontology(root)
    terms = {s for t in TERM_TYPES for s in g.subjects(RDF.type, t) if str(s).startswith(str(RAKG))}
    assert len(terms) > 150
    problems = []
    for term in sorted(terms):
        languages = {label.language for label in g.objects(term, RDFS.label)}
        if not {"en", "zh-Hant"} <= languages:
            problems.append(f"{term}: labels {languages}")
        if (term, SKOS.definition, None) not in g:
            problems.append(f"{term}: no skos:definition")
    assert problems == []


def test_the_classes_the_client_asked_for_exist(root):
    g = ontology(root)
    for name in ("SovereignState", "HistoricalState", "IntergovernmentalOrganization", "Forum", "DialogueBody", "WorkingGroup",
                 "Fund", "Treaty", "Agreement", "Declaration", "Memorandum", "ProgrammeOfAction", "Person", "Position", "Company",
                 "StateEnterprise", "Place", "Meeting", "Summit", "Visit", "Speech", "SigningCeremony", "ArmedConflict", "Crisis",
                 "Policy", "Doctrine", "Proposal", "Period", "Membership", "PartnerStatus", "Signature", "Ratification", "Accession",
                 "DiplomaticRelation", "StateSuccession", "ArmsDeal", "EnergyDeal", "InvestmentDeal", "TradeObservation"):
        assert (RAKG[name], RDF.type, OWL.Class) in g, name


def test_wikidata_counterparts_are_declared(root):
    g = ontology(root)
    mapping = {str(s).split("#")[1]: str(o) for s, o in g.subject_objects(RAKG.wikidataProperty)}
    assert mapping["Membership"] == str(WD.P463) and mapping["memberOf"] == str(WD.P463)
    assert mapping["startDate"] == str(WD.P580) and mapping["endDate"] == str(WD.P582) and mapping["date"] == str(WD.P585)
    assert mapping["Signature"] == str(WD.P1891) and mapping["Accession"] == str(WD.P6193)
    assert mapping["participant"] == str(WD.P710) and mapping["DiplomaticRelation"] == str(WD.P530)
    assert mapping["predecessor"] == str(WD.P1365)


def test_membership_reuses_w3c_org_and_trade_reuses_data_cube(root):
    from server.namespaces import ORG, QB

    g = ontology(root)
    assert (RAKG.Membership, RDFS.subClassOf, ORG.Membership) in g
    assert (RAKG.TradeObservation, RDFS.subClassOf, QB.Observation) in g
