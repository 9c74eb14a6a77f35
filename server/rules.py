"""The derivation rules: run to a fixpoint, each derived statement recorded with its rule and premises.

A rule is a SPARQL SELECT in ``ontology/rules/<slug>.rq`` that returns ``?subject ?predicate ?object``,
one or more ``?premise…`` variables (the fact nodes or derivation nodes it used) and optionally
``?validFrom`` / ``?validUntil`` (xsd:date; the statement holds on D when validFrom ≤ D < validUntil).
Header lines give its title (en, zh), description and ``stratum``: rules of stratum 2 may use negation
over the results of stratum 1, which reach their fixpoint first.  One rule is Python: ``date-bounds``
turns every date of a fact, at whatever precision, into the first and last day it can mean.

Every derived triple goes into graph/inferred together with a ``rakg:Derivation`` node (an
``rdf:Statement``) naming the triple, ``rakg:derivedBy`` the rule, ``prov:wasDerivedFrom`` the premises,
``rakg:usesBackground`` and the validity dates.  A triple derived in two ways has two derivations.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS, XSD

from .catalog import load_catalog
from .namespaces import ID, RAKG, RULE
from .store import GraphStore

DATE_PROPERTIES = {
    RAKG.startDate: (RAKG.startsNotBefore, RAKG.startsNotAfter),
    RAKG.date: (RAKG.startsNotBefore, RAKG.startsNotAfter),
    RAKG.endDate: (RAKG.endsNotBefore, RAKG.endsNotAfter),
    RAKG.asOf: (None, RAKG.startsNotAfter),
}
DATE_BOUNDS_RULE = RULE["date-bounds"]
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


def day_bounds(literal: Literal) -> tuple[str, str] | None:
    """The first and last day a date of any precision can mean.

    >>> day_bounds(Literal("1994-07", datatype=XSD.gYearMonth))
    ('1994-07-01', '1994-07-31')
    >>> day_bounds(Literal("1976", datatype=XSD.gYear))
    ('1976-01-01', '1976-12-31')
    """
    text = str(literal)
    try:
        if literal.datatype == XSD.gYear:
            return f"{int(text):04d}-01-01", f"{int(text):04d}-12-31"
        if literal.datatype == XSD.gYearMonth:
            year, month = (int(p) for p in text.split("-")[:2])
            return f"{year:04d}-{month:02d}-01", f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"
        if literal.datatype == XSD.date:
            return text[:10], text[:10]
    except ValueError:
        return None
    return None


class Deriver:
    """Holds the store the rules query and the inferred graph they fill."""

    def __init__(self, ontology: Graph, data: Graph, store: GraphStore | None = None):
        self.ontology, self.data = ontology, data
        self.asserted = set(ontology) | set(data)
        self.background = set(data.subjects(RDF.type, RAKG.BackgroundFact))
        self.store = store or GraphStore.from_text((ontology + data).serialize(format="nt"), "ntriples")
        self.inferred: set = set()
        self.uses_background: dict[URIRef, bool] = {}

    def record(self, triple, rule: URIRef, premises: list, valid_from=None, valid_until=None, first_only=False) -> bool:
        """Add a derived triple with its derivation; returns True when something new was recorded.

        Nothing is recorded for a triple that is asserted, nor (with ``first_only``) for one already derived.
        """
        if triple in self.asserted or (first_only and triple in self.inferred):
            return False
        key = " ".join(t.n3() for t in triple) + "|" + str(rule) + "|" + " ".join(sorted(str(p) for p in premises))
        node = ID["derivation/" + hashlib.sha256(key.encode()).hexdigest()[:20]]
        if node in self.uses_background:
            return False
        background = any(p in self.background or self.uses_background.get(p, False) for p in premises)
        self.uses_background[node] = background
        new = [(node, RDF.type, RAKG.Derivation), (node, RDF.subject, triple[0]), (node, RDF.predicate, triple[1]),
               (node, RDF.object, triple[2]), (node, RAKG.derivedBy, rule), (node, RAKG.usesBackground, Literal(background))]
        new += [(node, PROV.wasDerivedFrom, p) for p in premises]
        if valid_from is not None:
            new.append((node, RAKG.validFrom, Literal(str(valid_from), datatype=XSD.date)))
        if valid_until is not None:
            new.append((node, RAKG.validUntil, Literal(str(valid_until), datatype=XSD.date)))
        if triple not in self.inferred:
            new.append(triple)
        self.inferred.update(new)
        self.store.add_triples(new)
        return True

    def date_bounds(self) -> None:
        """The Python rule: normalise every fact date to its first and last possible day."""
        for prop, (earliest, latest) in DATE_PROPERTIES.items():
            for fact, value in self.data.subject_objects(prop):
                bounds = day_bounds(value)
                if bounds is None:
                    continue
                for target, day in ((earliest, bounds[0]), (latest, bounds[1])):
                    if target is not None:
                        self.record((fact, target, Literal(day, datatype=XSD.date)), DATE_BOUNDS_RULE, [fact])

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
        from .catalog import results_json

        result = results_json(self.store.query(rule.text))
        rows = []
        for row in result["results"]["bindings"]:
            triple = tuple(_term(row[name]) for name in ("subject", "predicate", "object"))
            premises = [_term(row[name]) for name in sorted(row) if name.startswith("premise")]
            rows.append((triple, premises, row.get("validFrom", {}).get("value"), row.get("validUntil", {}).get("value")))
        # The engine returns rows in no fixed order (it differs between processes); a rule that keeps only the first
        # explanation of a statement must see them in a fixed one, or two builds of the same sources would differ.
        rows.sort(key=lambda r: (" ".join(t.n3() for t in r[0]), " ".join(p.n3() for p in r[1]), r[2] or "", r[3] or ""))
        changed = False
        for triple, premises, valid_from, valid_until in rows:
            changed |= self.record(triple, rule.iri, premises, valid_from, valid_until, rule.first_explanation_only)
        return changed


def _term(cell: dict):
    if cell["type"] == "uri":
        return URIRef(cell["value"])
    if cell["type"] == "bnode":
        return BNode(cell["value"])
    return Literal(cell["value"], lang=cell.get("xml:lang"), datatype=URIRef(cell["datatype"]) if "datatype" in cell else None)


def rule_descriptions(rules: list[Rule]) -> Graph:
    """The rules as resources (labels, description, file), for graph/inferred."""
    g = Graph()
    described = [(r.iri, r.meta, f"ontology/rules/{r.slug}.rq") for r in rules]
    described.append((DATE_BOUNDS_RULE, {
        "title": "Date bounds", "title_zh": "日期範圍",
        "description": "Every date of a fact, at year, month or day precision, becomes the first and last day it can mean "
                       "(rakg:startsNotBefore/startsNotAfter, endsNotBefore/endsNotAfter); an as-of date bounds the start from above.",
    }, "server/rules.py:Deriver.date_bounds"))
    for iri, meta, where in described:
        g.add((iri, RDF.type, RAKG.Rule))
        g.add((iri, RDFS.label, Literal(meta.get("title", str(iri)), lang="en")))
        if meta.get("title_zh"):
            g.add((iri, RDFS.label, Literal(meta["title_zh"], lang="zh-Hant")))
        g.add((iri, SKOS.definition, Literal(meta.get("description", ""), lang="en")))
        g.add((iri, RAKG.ruleFile, Literal(where)))
    return g


def derive(ontology: Graph, data: Graph, rules_dir: Path, store: GraphStore | None = None) -> Graph:
    """Run all rules on ontology + data; return graph/inferred (derived triples, derivations, rule descriptions).

    ``store`` (holding ontology + data) is reused and receives the derived triples."""
    rules = load_rules(rules_dir)
    deriver = Deriver(ontology, data, store)
    deriver.run(rules)
    inferred = rule_descriptions(rules)
    for triple in deriver.inferred:
        inferred.add(triple)
    return inferred


def explain(store: GraphStore, iri: str, queries: Path, depth: int = 2) -> list[str]:
    """Lines explaining ``iri``: a derived statement (its rule, validity and premises with their quotes), or every
    derived statement about a resource.  Premises that are themselves derived are explained ``depth`` levels down.

    Raises NotFound when nothing derived is known about ``iri``.
    """
    from .catalog import results_json
    from .errors import NotFound

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
        validity = [f"from {first['validFrom']['value']}" if "validFrom" in first else "",
                    f"until {first['validUntil']['value']}" if "validUntil" in first else ""]
        basis = "uses background facts" if first["background"]["value"] == "true" else "rests on the chapter alone"
        lines.append(f"{indent}  valid {' '.join(v for v in validity if v) or 'at some time'}; {basis}")
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


def _short(cell: dict) -> str:
    from .namespaces import PREFIXES

    value = cell["value"]
    if cell["type"] != "uri":
        return f'"{value}"'
    for prefix, namespace in PREFIXES.items():
        if value.startswith(str(namespace)) and len(value) > len(str(namespace)):
            return f"{prefix}:{value[len(str(namespace)):]}"
    return f"<{value}>"
