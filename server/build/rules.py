"""The derivation rules: run to a fixpoint, each derived statement recorded with its rule and premises.

A rule is a SPARQL SELECT in ``ontology/rules/<slug>.rq`` that returns ``?subject ?predicate ?object``,
one or more ``?premise…`` variables (the fact nodes or derivation nodes it used) and optionally the days of
:data:`VALIDITY` (xsd:date): the statement certainly holds on D when ``?validFrom`` ≤ D < ``?validUntil``, possibly
when ``?possiblyValidFrom`` ≤ D < ``?possiblyValidUntil`` (an uncertain start or end: certain from the last day the
start can mean, possible from the first), and was attested (an as-of date, never a start) on some day between
``?attestedNotBefore`` and ``?attestedNotAfter``.
Header lines give its title (en, zh), description and ``stratum``: rules of stratum 2 may use negation
over the results of stratum 1, which reach their fixpoint first.  One rule is Python: ``date-bounds``
turns every date of a fact, exact at whatever precision or given as bounds, into the first and last day it can mean.

Every derived triple goes into graph/inferred together with a ``rakg:Derivation`` node (an
``rdf:Statement``) naming the triple, ``rakg:derivedBy`` the rule, ``prov:wasDerivedFrom`` the premises,
``rakg:usesBackground`` and the validity dates.  A triple derived in two ways has two derivations.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS, XSD

from ..catalog import load_catalog
from ..namespaces import ID, RAKG, RULE
from ..store import GraphStore, iri, is_literal, literal, statement, to_rdflib

# The date-bounds rule: each time role of a fact, written as an exact value or as bounds, becomes the first and last
# day it can mean.  role: ((exact value, earliest bound, latest bound), (first-day property, last-day property)).
DATE_ROLES = (
    ((RAKG.date, RAKG.earliestDate, RAKG.latestDate), (RAKG.startsNotBefore, RAKG.startsNotAfter)),
    ((RAKG.startDate, RAKG.earliestStart, RAKG.latestStart), (RAKG.startsNotBefore, RAKG.startsNotAfter)),
    ((RAKG.endDate, RAKG.earliestEnd, RAKG.latestEnd), (RAKG.endsNotBefore, RAKG.endsNotAfter)),
    # An as-of date says when the state held, never when it began: it bounds the attestation, not the start.
    ((RAKG.asOf, RAKG.earliestAsOf, RAKG.latestAsOf), (RAKG.attestedNotBefore, RAKG.attestedNotAfter)),
)
DATE_BOUNDS_RULE = RULE["date-bounds"]
_DATE, _GYEAR_MONTH, _GYEAR = (str(t) for t in (XSD.date, XSD.gYearMonth, XSD.gYear))
# The days a rule may give a derived statement (its ?variables), each recorded as the property of the same name:
# certainly holds on D when validFrom ≤ D < validUntil, possibly when possiblyValidFrom ≤ D < possiblyValidUntil;
# attested (by an as-of date) on some day between attestedNotBefore and attestedNotAfter.
VALIDITY = ("validFrom", "validUntil", "possiblyValidFrom", "possiblyValidUntil", "attestedNotBefore", "attestedNotAfter")
MAX_ROUNDS = 20


@dataclass
class Rule:
    slug: str
    text: str
    meta: dict

    @property
    def iri(self) -> URIRef:
        return RULE[self.slug]

    @property
    def stratum(self) -> int:
        return int(self.meta.get("stratum", "1"))

    @property
    def first_explanation_only(self) -> bool:
        """Typing rules keep one explanation per triple; time-aware rules keep every way a triple follows."""
        return self.meta.get("explanations", "all") == "first"


def load_rules(folder: Path) -> list[Rule]:
    """The SPARQL rules of ``folder``, in stratum then name order."""
    rules = [Rule(q.slug, q.text, q.meta) for q in load_catalog(folder)]
    return sorted(rules, key=lambda r: (r.stratum, r.slug))


def day_bounds(text: str, datatype: str) -> tuple[str, str] | None:
    """The first and last day a date of any precision (its lexical form and datatype IRI) can mean.

    >>> day_bounds("1994-07", XSD.gYearMonth)
    ('1994-07-01', '1994-07-31')
    >>> day_bounds("1976", XSD.gYear)
    ('1976-01-01', '1976-12-31')
    """
    datatype = str(datatype)  # rdflib's URIRef is never equal to a str
    try:
        if datatype == _GYEAR:
            return f"{int(text):04d}-01-01", f"{int(text):04d}-12-31"
        if datatype == _GYEAR_MONTH:
            year, month = (int(p) for p in text.split("-")[:2])
            return f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"
        if datatype == _DATE:
            return text[:10], text[:10]
    except ValueError:
        return None
    return None


class Deriver:
    """Runs the rules over a store holding the ontology and the data in its default graph; each derived statement
    goes into ``inferred`` with its derivation, and into the store after the rule that derived it (later rules and
    rounds see it).  Everything is kept as the engine's terms: the reasoner never builds an rdflib term per triple."""

    def __init__(self, store: GraphStore):
        self.store = store
        self.asserted = set(store.statements())
        self.background = {s.subject for s in store.statements(str(RDF.type)) if s.object == _BACKGROUND_FACT}
        self.inferred: set = set()
        self.uses_background: dict = {}
        self._keys: dict = {}
        self._pending: list = []

    @classmethod
    def of_graphs(cls, ontology: Graph, data: Graph) -> Deriver:
        return cls(GraphStore.from_graphs(ontology, data))

    def record(self, derived, rule, premises: list, validity: dict | None = None, first_only: bool = False) -> bool:
        """Add a derived statement with its derivation and its days (``validity``: names of :data:`VALIDITY` to
        xsd:date text); returns True when something new was recorded.

        Nothing is recorded for a statement that is asserted, nor (with ``first_only``) for one already derived.
        """
        if derived in self.asserted or (first_only and derived in self.inferred):
            return False
        key = self._triple_key(derived) + "|" + rule.value + "|" + " ".join(sorted(p.value for p in premises))
        node = iri(DERIVATION + hashlib.sha256(key.encode()).hexdigest()[:20])
        if node in self.uses_background:
            return False
        background = any(p in self.background or self.uses_background.get(p, False) for p in premises)
        self.uses_background[node] = background
        new = [statement(node, _TYPE, _DERIVATION), statement(node, _SUBJECT, derived.subject),
               statement(node, _PREDICATE, derived.predicate), statement(node, _OBJECT, derived.object),
               statement(node, _DERIVED_BY, rule), statement(node, _USES_BACKGROUND, _TRUE if background else _FALSE)]
        new += [statement(node, _WAS_DERIVED_FROM, p) for p in premises]
        new += [statement(node, _VALIDITY[name], literal(day, _DATE)) for name, day in (validity or {}).items() if day is not None]
        if derived not in self.inferred:
            new.append(derived)
        self.inferred.update(new)
        self._pending += new
        return True

    def _flush(self) -> None:
        """Add what was recorded to the store, for the next rule's query."""
        self.store.add(self._pending)
        self._pending = []

    def _key(self, terms) -> str:
        """The terms in N3, as rdflib writes them: derivation IRIs are hashes of this text and stay the same."""
        out = []
        for term in terms:
            if term not in self._keys:
                self._keys[term] = to_rdflib(term).n3() if is_literal(term) else str(term)
            out.append(self._keys[term])
        return " ".join(out)

    def _triple_key(self, statement) -> str:
        """:meth:`_key` of a statement's subject, predicate and object (its graph is always the default graph)."""
        return self._key((statement.subject, statement.predicate, statement.object))

    def date_bounds(self) -> None:
        """The Python rule: every time role of a fact, exact or as bounds, becomes its first and last possible day."""
        rule = iri(str(DATE_BOUNDS_RULE))
        for (exact, earliest, latest), targets in DATE_ROLES:
            first, last = (iri(str(t)) for t in targets)
            for prop, sides in ((exact, (first, last)), (earliest, (first, None)), (latest, (None, last))):
                for fact, _, value, _ in self.store.statements(str(prop)):
                    bounds = day_bounds(value.value, value.datatype.value) if is_literal(value) else None
                    if bounds is None:
                        continue
                    for target, day in zip(sides, bounds):
                        if target is not None:
                            self.record(statement(fact, target, literal(day, _DATE)), rule, [fact])
        self._flush()

    def run(self, rules: list[Rule]) -> None:
        """Run every stratum to its fixpoint."""
        self.date_bounds()
        for stratum in sorted({r.stratum for r in rules}):
            for _ in range(MAX_ROUNDS):
                changed = False
                for rule in (r for r in rules if r.stratum == stratum):
                    changed |= self.apply(rule)
                if not changed:
                    break

    def apply(self, rule: Rule) -> bool:
        solutions = self.store.query(rule.text)
        names = [v.value for v in solutions.variables]  # solutions are read by position: 3× faster than by name
        s, p, o = (names.index(name) for name in ("subject", "predicate", "object"))
        premises = [names.index(name) for name in sorted(n for n in names if n.startswith("premise"))]
        days = [(name, names.index(name)) for name in VALIDITY if name in names]
        rows = []
        for row in solutions:
            validity = {name: row[i].value for name, i in days if row[i] is not None}
            rows.append((statement(row[s], row[p], row[o]), [row[i] for i in premises if row[i] is not None], validity))
        # The engine returns rows in no fixed order (it differs between processes); a rule that keeps only the first
        # explanation of a statement must see them in a fixed one, or two builds of the same sources would differ.
        rows.sort(key=lambda r: (self._triple_key(r[0]), self._key(r[1]), sorted(r[2].items())))
        rule_iri = iri(str(rule.iri))
        changed = False
        for derived, used, validity in rows:
            changed |= self.record(derived, rule_iri, used, validity, rule.first_explanation_only)
        self._flush()
        return changed


# The engine terms the reasoner writes, made once (an rdflib namespace attribute costs microseconds each time).
_TYPE, _SUBJECT, _PREDICATE, _OBJECT = (iri(str(p)) for p in (RDF.type, RDF.subject, RDF.predicate, RDF.object))
_DERIVATION, _DERIVED_BY, _USES_BACKGROUND, _BACKGROUND_FACT = (iri(str(t)) for t in (
    RAKG.Derivation, RAKG.derivedBy, RAKG.usesBackground, RAKG.BackgroundFact))
_VALIDITY = {name: iri(str(RAKG[name])) for name in VALIDITY}
_WAS_DERIVED_FROM = iri(str(PROV.wasDerivedFrom))
_TRUE, _FALSE = literal("true", str(XSD.boolean)), literal("false", str(XSD.boolean))
DERIVATION = str(ID["derivation/"])


def rule_descriptions(rules: list[Rule]) -> Graph:
    """The rules as resources (labels, description, file), for graph/inferred."""
    g = Graph()
    described = [(r.iri, r.meta, f"ontology/rules/{r.slug}.rq") for r in rules]
    described.append((DATE_BOUNDS_RULE, {
        "title": "Date bounds", "title_zh": "日期範圍",
        "description": "Every time role of a fact, an exact date at year, month or day precision or the bounds of an uncertain "
                       "one, becomes the first and last day it can mean: date and start give rakg:startsNotBefore/startsNotAfter, "
                       "end rakg:endsNotBefore/endsNotAfter, as-of rakg:attestedNotBefore/attestedNotAfter (an as-of date says when "
                       "the state held, never when it began). A bound alone gives one side only.",
    }, "server/rules.py:Deriver.date_bounds"))  # its place before issue 17, kept: this text is in graph/inferred
    for rule_iri, meta, where in described:
        g.add((rule_iri, RDF.type, RAKG.Rule))
        g.add((rule_iri, RDFS.label, Literal(meta.get("title", str(rule_iri)), lang="en")))
        if meta.get("title_zh"):
            g.add((rule_iri, RDFS.label, Literal(meta["title_zh"], lang="zh-Hant")))
        g.add((rule_iri, SKOS.definition, Literal(meta.get("description", ""), lang="en")))
        g.add((rule_iri, RAKG.ruleFile, Literal(where)))
    return g


@dataclass
class Inferred:
    """What the rules derived (engine statements) and the rules' descriptions (an rdflib graph): graph/inferred."""

    statements: set
    rules: Graph

    def graph(self) -> Graph:
        """graph/inferred as one rdflib graph."""
        terms: dict = {}

        def term(node):
            if node not in terms:
                terms[node] = to_rdflib(node)
            return terms[node]

        graph = Graph()
        for s in self.statements:
            graph.add((term(s.subject), term(s.predicate), term(s.object)))
        graph += self.rules
        return graph


def derive(store: GraphStore, rules_dir: Path) -> Inferred:
    """Run all rules on ``store`` (holding the ontology and the data), which receives the derived triples."""
    rules = load_rules(rules_dir)
    deriver = Deriver(store)
    deriver.run(rules)
    return Inferred(deriver.inferred, rule_descriptions(rules))


def explain(store: GraphStore, iri: str, queries: Path, depth: int = 2) -> list[str]:
    """Lines explaining ``iri``: a derived statement (its rule, validity and premises with their quotes), or every
    derived statement about a resource.  Premises that are themselves derived are explained ``depth`` levels down.

    Raises NotFound when nothing derived is known about ``iri``.
    """
    from ..catalog import results_json
    from ..errors import NotFound

    def rows(name: str, **bindings) -> list[dict]:
        text = (queries / f"{name}.rq").read_text(encoding="utf-8")
        return results_json(store.query(text, bindings=bindings))["results"]["bindings"]

    def describe(derivation: str, indent: str, level: int) -> list[str]:
        found = rows("explain-derivation", derivation=derivation)
        if not found:
            return []
        first = found[0]
        lines = [f"{indent}{_short(first['subject'])} {_short(first['predicate'])} {_short(first['object'])}",
                 f"{indent}  derived by {_short(first['rule'])} ({first.get('ruleLabel', {}).get('value', '')})"]
        basis = "uses background facts" if first["background"]["value"] == "true" else "rests on the chapter alone"
        lines.append(f"{indent}  valid {_validity({k: v['value'] for k, v in first.items()})}; {basis}")
        for row in found:
            if "premise" in row:
                lines += premise(row["premise"]["value"], indent + "  ", level)
        return lines

    def premise(node: str, indent: str, level: int) -> list[str]:
        info = (rows("explain-premise", premise=node) or [{}])[0]
        if info.get("isDerivation", {}).get("value") == "true":
            return [f"{indent}because:"] + (describe(node, indent + "  ", level - 1) if level > 0 else [f"{indent}  {_short({'type': 'uri', 'value': node})}"])
        text = f"{indent}from {_short({'type': 'uri', 'value': node})}"
        if "label" in info:
            text += f": {info['label']['value']}"
        lines = [text]
        if "quote" in info:
            lines.append(f"{indent}  quote: 「{info['quote']['value']}」 ({_short(info['passage'])})")
        if "source" in info:
            lines.append(f"{indent}  source: {info['source']['value']}")
        return lines

    lines = describe(iri, "", depth)
    if not lines:
        for row in rows("derivations-of", resource=iri):
            lines += describe(row["derivation"]["value"], "", depth - 1) + [""]
    if not lines:
        raise NotFound(f"nothing derived is known about <{iri}>", where="graph/inferred")
    return lines


def _validity(days: dict) -> str:
    """The days of a derivation in words.

    >>> _validity({"validFrom": "1979-12-31", "possiblyValidFrom": "1977-01-01"})
    'from 1979-12-31 (possibly from 1977-01-01)'
    >>> _validity({"attestedNotBefore": "2004-07-02", "attestedNotAfter": "2004-07-02"})
    'on 2004-07-02 (attested; not a start)'
    """
    words = []
    for certain, possible, word in (("validFrom", "possiblyValidFrom", "from"), ("validUntil", "possiblyValidUntil", "until")):
        if certain in days:
            words.append(f"{word} {days[certain]}" + (f" (possibly {word} {days[possible]})" if days.get(possible, days[certain]) != days[certain] else ""))
        elif possible in days:
            words.append(f"possibly {word} {days[possible]}")
    seen = days.get("attestedNotBefore"), days.get("attestedNotAfter")
    if seen[0]:
        words.append(f"on {seen[0]} (attested; not a start)" if seen[0] == seen[1] else f"at some day {seen[0]}…{seen[1]} (attested; not a start)")
    return " ".join(words) or "at some time"


def _short(cell: dict) -> str:
    from ..namespaces import PREFIXES

    value = cell["value"]
    if cell["type"] != "uri":
        return f'"{value}"'
    for prefix, namespace in PREFIXES.items():
        if value.startswith(str(namespace)) and len(value) > len(str(namespace)):
            return f"{prefix}:{value[len(str(namespace)):]}"
    return f"<{value}>"
