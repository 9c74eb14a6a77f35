"""graph/inferred of a synthetic dataset, written the way server/build/rules.py writes it.

The real rules (rdflib graphs in memory, one SPARQL query per rule and round) are out of reach at 1 M and
10 M triples, so the generator derives as it writes: every fact it emits comes here and gets the
derivations the rules of ontology/rules/ make for such a fact, with the same shape (a rakg:Derivation
naming the triple with rdf:subject/predicate/object, rakg:derivedBy, prov:wasDerivedFrom,
rakg:usesBackground, rakg:validFrom/validUntil, plus the derived triple) and the same IRI scheme.
What the ontology alone implies (typing of its own terms, the rule descriptions) comes from
server.build.rules.derive itself; bench/reasoning.py compares both on the 100 k graph.
"""

from __future__ import annotations

import calendar
import hashlib
from itertools import permutations
from pathlib import Path

from .text import BASE, day, lit, nquads_term, t

INFERRED = t("graph:inferred")
ONTOLOGY = f"<{BASE}ontology>"
GEOGRAPHY = t("fact:background-geography")
TYPE = t("rdf:type")
CARRIED = {t("rakg:hasDiplomaticRelationsWith"), t("rakg:partyTo"), t("rakg:memberOf")}
DATE_BOUNDS = {
    t("rakg:startDate"): (t("rakg:startsNotBefore"), t("rakg:startsNotAfter")),
    t("rakg:date"): (t("rakg:startsNotBefore"), t("rakg:startsNotAfter")),
    t("rakg:endDate"): (t("rakg:endsNotBefore"), t("rakg:endsNotAfter")),
    t("rakg:asOf"): (None, t("rakg:startsNotAfter")),
}
PARTY_ACTIONS = {t("rakg:Signature"): "P1891", t("rakg:Ratification"): "P6193", t("rakg:Accession"): "P6193"}
DIRECT_CLAIMS = {t("rakg:memberOf"): t("wdt:P463"), t("rakg:hasDiplomaticRelationsWith"): t("wdt:P530"),
                 t("rakg:participatedIn"): t("wdt:P1344"), t("rakg:continues"): t("wdt:P1365")}
# class -> (Wikidata property, the role whose value is the statement's subject, its value, qualifiers of dates)
QUALIFIED = {t("rakg:Membership"): ("P463", "org:member", "org:organization", {"rakg:startDate": "pq:P580", "rakg:endDate": "pq:P582"}),
             t("rakg:PositionHolding"): ("P39", "rakg:holder", "rakg:position", {"rakg:startDate": "pq:P580", "rakg:endDate": "pq:P582"}),
             **{t(cls): (pid, "rakg:document", "rakg:party", {"rakg:date": "pq:P585"}) for cls, pid in
                (("rakg:Signature", "P1891"), ("rakg:Ratification", "P6193"), ("rakg:Accession", "P6193"))}}
DIALOGUE = {t("rakg:ConsultativePartnerStatus"), t("rakg:FullDialoguePartnerStatus")}


def bounds(text: str) -> tuple[str, str]:
    """First and last day a date of year, month or day precision can mean.

    >>> bounds("1996-02")
    ('1996-02-01', '1996-02-29')
    """
    if len(text) == 4:
        return f"{text}-01-01", f"{text}-12-31"
    if len(text) == 7:
        year, month = int(text[:4]), int(text[5:7])
        return f"{text}-01", f"{text}-{calendar.monthrange(year, month)[1]:02d}"
    return text, text


class Vocabulary:
    """Superclasses, superproperties, domains and ranges of the ontology, as N-Quads terms (IRIs only)."""

    def __init__(self, ontology):
        from rdflib import RDFS, URIRef

        def closure(node, predicate) -> set[str]:
            return {f"<{x}>" for x in ontology.transitive_objects(node, predicate) if isinstance(x, URIRef) and x != node}

        def iris(predicate) -> dict[str, set[str]]:
            out: dict[str, set[str]] = {}
            for s, o in ontology.subject_objects(predicate):
                if isinstance(s, URIRef) and isinstance(o, URIRef):
                    out.setdefault(f"<{s}>", set()).add(f"<{o}>")
            return out

        self.superclasses = {f"<{c}>": closure(c, RDFS.subClassOf) for c in set(ontology.subjects(RDFS.subClassOf)) if isinstance(c, URIRef)}
        self.wikidata = iris(URIRef(BASE + "ontology#wikidataClass"))
        self.superproperties = {f"<{p}>": closure(p, RDFS.subPropertyOf) for p in set(ontology.subjects(RDFS.subPropertyOf))}
        self.domains, self.ranges = iris(RDFS.domain), iris(RDFS.range)

    def closure(self, classes) -> set[str]:
        out = set(classes)
        for c in classes:
            out |= self.superclasses.get(c, set())
        return out

    def instance_of(self, classes) -> set[str]:
        """The Wikidata classes of the nearest mapped classes at or above ``classes`` (rule wikidata-instance-of)."""
        out = set()
        for c in classes:
            mapped = {m for m in self.closure({c}) if m in self.wikidata}
            nearest = {m for m in mapped if not any(m in self.superclasses.get(n, ()) for n in mapped)}
            for m in nearest:
                out |= self.wikidata[m]
        return out


class Deriver:
    """Writes the derivations of each fact and entity it is given into graph/inferred."""

    def __init__(self, writer, vocabulary: Vocabulary):
        self.quad, self.vocabulary = writer.quad, vocabulary
        self.derived: set[tuple[str, str, str]] = set()
        self.types: dict[str, set[str]] = {}  # entity -> classes asserted or derived
        self.outside: set[str] = set()  # states not in Southeast Asia
        self.occurrences: dict[str, list] = {}  # event -> [(occurrence, series, validFrom, background)]
        self.held: list[tuple] = []  # what the USSR held: (predicate, object, from, until, derivation, background)
        self.successions: list[tuple] = []

    def record(self, s, p, o, rule, premises, background, valid_from=None, valid_until=None) -> str:
        """Write one derivation (and the derived triple the first time); return the derivation node."""
        key = f"{s} {p} {o}|{BASE}rule/{rule}|" + " ".join(sorted(x[1:-1] for x in premises))
        node = f"<{BASE}id/derivation/{hashlib.sha256(key.encode()).hexdigest()[:20]}>"
        q = self.quad
        q(node, TYPE, t("rakg:Derivation"), INFERRED)
        q(node, t("rdf:subject"), s, INFERRED)
        q(node, t("rdf:predicate"), p, INFERRED)
        q(node, t("rdf:object"), o, INFERRED)
        q(node, t("rakg:derivedBy"), t(f"rule:{rule}"), INFERRED)
        q(node, t("rakg:usesBackground"), lit("true" if background else "false", datatype="xsd:boolean"), INFERRED)
        for premise in premises:
            q(node, t("prov:wasDerivedFrom"), premise, INFERRED)
        if valid_from:
            q(node, t("rakg:validFrom"), lit(valid_from, datatype="xsd:date"), INFERRED)
        if valid_until:
            q(node, t("rakg:validUntil"), lit(valid_until, datatype="xsd:date"), INFERRED)
        if (s, p, o) not in self.derived:
            self.derived.add((s, p, o))
            q(s, p, o, INFERRED)
        if p in DIRECT_CLAIMS:
            self.record(s, DIRECT_CLAIMS[p], o, "wikidata-direct-claims", [node], background, valid_from, valid_until)
        return node

    def _typing(self, node: str, have: set[str], predicates, background: bool, via: str) -> set[str]:
        """subclass-typing and domain-and-range (`via` the property side) for one node; returns its classes."""
        vocabulary, new = self.vocabulary, {}
        for p in predicates:  # domain-and-range runs before subclass-typing (rules of a stratum go by name)
            for c in sorted(getattr(vocabulary, via).get(p, ())):
                if c not in have:
                    new.setdefault(c, "domain-and-range")
        for c in sorted(vocabulary.closure(have | set(new)) - have):
            new.setdefault(c, "subclass-typing")
        for c, rule in sorted(new.items()):
            if (node, TYPE, c) not in self.derived:
                self.record(node, TYPE, c, rule, [ONTOLOGY, node], background)
        return have | set(new)

    def entity(self, node: str, cls: str, links=()) -> None:
        """Typing of a new entity (and of the entities it links to)."""
        self.types[node] = self._typing(node, {cls}, [p for p, _ in links], False, "domains")
        self._links(node, links, False)
        self._instance_of(node, {cls}, False)

    def _instance_of(self, node: str, classes: set, background: bool) -> None:
        for item in sorted(self.vocabulary.instance_of(classes)):
            self.record(node, t("wdt:P31"), item, "wikidata-instance-of", [ONTOLOGY, node], background)

    def locate(self, state: str, region: str, continent: str, southeast_asia: bool) -> None:
        """located-in-transitive for a state of the background geography."""
        if not southeast_asia:
            self.outside.add(state)
        self.record(state, t("rakg:locatedIn"), continent, "located-in-transitive", [GEOGRAPHY], True)

    def _links(self, node, links, background) -> None:
        """Range typing of linked entities and the superproperties (prp-spo1) of the links."""
        seen = set()
        for p, o in links:
            if o in self.types:
                self.types[o] = self._typing(o, self.types[o], [p], False, "ranges")
            for sup in sorted(self.vocabulary.superproperties.get(p, ())):
                if (sup, o) not in seen:
                    seen.add((sup, o))
                    self.record(node, sup, o, "subproperty", [ONTOLOGY, node], background)

    def is_state(self, node: str) -> bool:
        return t("rakg:State") in self.types.get(node, ())

    def relation(self, s, p, o, rule, premises, background, valid_from=None, valid_until=None) -> str:
        node = self.record(s, p, o, rule, premises, background, valid_from, valid_until)
        if s == t("state:soviet-union") and p in CARRIED:
            self.held.append((p, o, valid_from, valid_until, node, background))
        return node

    def fact(self, node: str, cls: str, links: list, dates: dict, background: bool) -> None:
        """All derivations of one fact: typing, superproperties, date bounds and the rule of its class."""
        have = {cls, t("rakg:BackgroundFact")} if background else {cls}
        self._typing(node, have, [p for p, _ in links] + list(dates), background, "domains")
        self._links(node, links, background)
        if node.startswith(f"<{BASE}id/"):
            self._instance_of(node, have, background)
        bound = {}
        for p, text in dates.items():
            first, last = bounds(text)
            for target, value in zip(DATE_BOUNDS[p], (first, last)):
                if target is not None:
                    bound[target] = value
                    self.record(node, target, lit(value, datatype="xsd:date"), "date-bounds", [node], background)
        start, until = bound.get(t("rakg:startsNotAfter")), bound.get(t("rakg:endsNotBefore"))

        def get(p: str) -> list[str]:
            return [o for q, o in links if q == t(p)]

        if cls in QUALIFIED:  # rule wikidata-qualified-statements
            pid, subject_role, value_role, qualifiers = QUALIFIED[cls]
            for subject in get(subject_role):
                self.record(subject, t(f"p:{pid}"), node, "wikidata-qualified-statements", [node], background)
            for value in get(value_role):
                self.record(node, t(f"ps:{pid}"), value, "wikidata-qualified-statements", [node], background)
            for p, qualifier in qualifiers.items():
                if t(p) in dates:
                    self.record(node, t(qualifier), day(dates[t(p)]), "wikidata-qualified-statements", [node], background)

        if cls == t("rakg:Membership"):
            for member in get("org:member"):
                for org in get("org:organization"):
                    self.relation(member, t("rakg:memberOf"), org, "member-of", [node], background, start, until)
        elif cls == t("rakg:PartnerStatus") and get("rakg:status")[0] in DIALOGUE:
            for partner in get("rakg:partner"):
                for org in get("rakg:partnerOf"):
                    d = self.relation(partner, t("rakg:dialoguePartnerOf"), org, "dialogue-partner-of", [node], background, start, until)
                    if get("rakg:status")[0] == t("rakg:FullDialoguePartnerStatus") and org == t("organization:asean") and self.is_state(partner):
                        self.record(partner, t("rakg:meetsCondition"), t("rakg:EasDialoguePartnerCondition"), "eas-conditions", [d], background, start)
        elif cls in PARTY_ACTIONS:
            for party in get("rakg:party"):
                for document in get("rakg:document"):
                    self.record(document, t(f"wdt:{PARTY_ACTIONS[cls]}"), party, "wikidata-treaties-and-events", [node], background, start)
                    d = self.relation(party, t("rakg:partyTo"), document, "party-to", [node], background, start)
                    if document == t("document:treaty-of-amity-and-cooperation") and self.is_state(party):
                        self.record(party, t("rakg:meetsCondition"), t("rakg:EasTacCondition"), "eas-conditions", [d], background, start)
                        if party in self.outside:
                            self.record(t("group:non-southeast-asian-parties-to-the-tac"), t("rakg:groupMember"), party,
                                        "non-southeast-asian-tac-parties", [d, GEOGRAPHY], True, start)
        elif cls == t("rakg:Occurrence") and get("rakg:series"):
            for event in get("rakg:event"):
                self.occurrences.setdefault(event, []).append((node, get("rakg:series")[0], start, background))
        elif cls == t("rakg:Participation"):
            for agent in get("rakg:participant"):
                for event in get("rakg:event"):
                    self.relation(agent, t("rakg:participatedIn"), event, "participated-in", [node], background)
                    self.record(event, t("wdt:P710"), agent, "wikidata-treaties-and-events", [node], background)
                    for occurrence, series, since, occurrence_background in self.occurrences.get(event, ()):
                        self.relation(agent, t("rakg:tookPartInForum"), series, "took-part-in-forum", [node, occurrence],
                                      background or occurrence_background, since)
        elif cls == t("rakg:PositionHolding"):
            for holder in get("rakg:holder"):
                for position in get("rakg:position"):
                    self.record(holder, t("wdt:P39"), position, "wikidata-direct-claims", [node], background, start, until)
        elif cls == t("rakg:DiplomaticRelation"):
            for a, b in permutations(get("rakg:between"), 2):
                self.relation(a, t("rakg:hasDiplomaticRelationsWith"), b, "diplomatic-relations", [node], background, start)
        elif cls == t("rakg:StateSuccession"):
            for successor in get("rakg:successor"):
                for predecessor in get("rakg:predecessor"):
                    d = self.relation(successor, t("rakg:continues"), predecessor, "continues", [node], background, start)
                    self.successions.append((successor, d, start, background))
        elif cls == t("rakg:Discrepancy"):
            for a, b in permutations(get("rakg:claim"), 2):
                self.relation(a, t("rakg:conflictsWith"), b, "conflicting-claims", [node], background)

    def finish(self) -> None:
        """Stratum 2 over the whole graph: succession-carries-over and relations-are-mutual."""
        relations = t("rakg:hasDiplomaticRelationsWith")
        for successor, continues, since, background in self.successions:
            for p, o, held_from, held_until, held, held_background in list(self.held):
                if since and o != successor and (not held_from or held_from <= since) and (not held_until or held_until > since):
                    carried = self.record(successor, p, o, "succession-carries-over", [continues, held], background or held_background, since)
                    if p == relations and (o, p, successor) not in self.derived:
                        self.record(o, p, successor, "relations-are-mutual", [carried], background or held_background, since)


def ontology_inferences(ontology, rules_dir: Path, quad) -> None:
    """Write what server.build.rules.derive derives from the ontology alone (and the rule descriptions) into graph/inferred."""
    from server.build.rules import derive
    from server.store import GraphStore

    for s, p, o in sorted((nquads_term(s), nquads_term(p), nquads_term(o)) for s, p, o in derive(GraphStore.from_graphs(ontology), rules_dir).graph()):
        quad(s, p, o, INFERRED)
