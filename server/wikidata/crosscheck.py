"""The cross-check (`rakg crosscheck`): the chapter's claims whose two entities are linked, compared with Wikidata's
statements on the same subject, property and value and their dates; reported as a table and as RDF in the named
graph graph/wikidata-crosscheck.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from ..namespaces import BASE, GRAPH, RAKG, WD, bind_all
from .client import WIKIBASE_PREFIXES, WIKIDATA_SPARQL, binding, qid_of, sparql_rows, store_rows

CROSSCHECK_GRAPH = GRAPH["wikidata-crosscheck"]
CROSSCHECK = BASE + "id/crosscheck/"
PRECISION = {str(XSD.gYear): 9, str(XSD.gYearMonth): 10, str(XSD.date): 11, str(XSD.dateTime): 11}

CLAIMS = """
SELECT ?fact ?property ?subject ?object ?subjectItem ?objectItem ?start ?end ?asOf ?date (SAMPLE(?q) AS ?quote) WHERE {
  {
    ?fact a rakg:Membership ; org:member ?subject ; org:organization ?object . BIND ("P463" AS ?property)
  } UNION {
    ?fact a rakg:PositionHolding ; rakg:holder ?subject ; rakg:position ?object . BIND ("P39" AS ?property)
  } UNION {
    ?fact a rakg:DiplomaticRelation ; rakg:between ?subject , ?object . FILTER (STR(?subject) < STR(?object)) BIND ("P530" AS ?property)
  } UNION {
    ?fact a rakg:Signature ; rakg:document ?subject ; rakg:party ?object . BIND ("P1891" AS ?property)
  } UNION {
    VALUES ?action { rakg:Ratification rakg:Accession }
    ?fact a ?action ; rakg:document ?subject ; rakg:party ?object . BIND ("P6193" AS ?property)
  }
  ?fact rakg:statedIn ?passage .
  FILTER NOT EXISTS { ?fact a rakg:BackgroundFact }
  OPTIONAL { ?subject skos:exactMatch ?subjectItem FILTER STRSTARTS(STR(?subjectItem), STR(wd:)) }
  OPTIONAL { ?object skos:exactMatch ?objectItem FILTER STRSTARTS(STR(?objectItem), STR(wd:)) }
  OPTIONAL { ?fact rakg:startDate ?start }
  OPTIONAL { ?fact rakg:endDate ?end }
  OPTIONAL { ?fact rakg:asOf ?asOf }
  OPTIONAL { ?fact rakg:date ?date }
  OPTIONAL { ?fact rakg:quote ?q }
}
GROUP BY ?fact ?property ?subject ?object ?subjectItem ?objectItem ?start ?end ?asOf ?date
ORDER BY ?property ?fact ?subject ?object
"""
STATEMENTS = WIKIBASE_PREFIXES + """SELECT ?s ?o ?st ?start ?startPrecision ?end ?endPrecision ?time ?timePrecision WHERE {
  VALUES (?s ?o) { %s }
  ?s p:%s ?st . ?st ps:%s ?o .
  FILTER NOT EXISTS { ?st wikibase:rank wikibase:DeprecatedRank }
  OPTIONAL { ?st pq:P580 ?start OPTIONAL { ?st pqv:P580/wikibase:timePrecision ?startPrecision } }
  OPTIONAL { ?st pq:P582 ?end OPTIONAL { ?st pqv:P582/wikibase:timePrecision ?endPrecision } }
  OPTIONAL { ?st pq:P585 ?time OPTIONAL { ?st pqv:P585/wikibase:timePrecision ?timePrecision } }
}"""
OUTCOMES = {"agrees": RAKG.Agrees, "differs": RAKG.Differs, "wikidata-silent": RAKG.WikidataSilent}


@dataclass
class Claim:
    fact: str
    property: str
    subject: str
    object: str
    subject_item: str
    object_item: str
    dates: dict  # qualifier ('P580', 'P582', 'asOf', 'P585') -> (text, precision)
    quote: str = ""
    outcome: str = ""  # agrees, differs, wikidata-silent, not-linked
    wikidata: dict = field(default_factory=dict)  # qualifier -> (text, precision)
    statement: str = ""
    detail: str = ""

    @property
    def comparable(self) -> bool:
        return bool(self.subject_item and self.object_item)


def _date(cell: dict | None) -> tuple[str, int] | None:
    if not cell:
        return None
    return cell["value"], PRECISION.get(cell.get("datatype", ""), 11)


def chapter_claims(store) -> list[Claim]:
    """Every dated-or-not claim of the chapter (not background facts) that Wikidata models as a statement."""
    claims = []
    for row in store_rows(store, CLAIMS):
        dates = {}
        for name, qualifier in (("start", "P580"), ("end", "P582"), ("asOf", "asOf"), ("date", "P585")):
            value = _date(row.get(name))
            if value:
                dates[qualifier] = value
        claims.append(Claim(binding(row, "fact"), binding(row, "property"), binding(row, "subject"), binding(row, "object"),
                            qid_of(binding(row, "subjectItem")), qid_of(binding(row, "objectItem")), dates, binding(row, "quote")))
    return claims


def _cut(text: str, precision: int) -> str:
    """A date (any of our literals or Wikidata's xsd:dateTime) cut to year, month or day."""
    text = text.lstrip("+")
    return text[: {9: 4, 10: 7}.get(precision, 10)]


def compare(claim: Claim, statements: list[dict]) -> None:
    """Set the claim's outcome from Wikidata's statements on the same subject, property and value."""
    if not statements:
        claim.outcome, claim.detail = "wikidata-silent", f"Wikidata has no {claim.property} statement"
        return
    verdicts = []
    for st in statements:
        wd_dates = {q: (binding(st, v), int(binding(st, v + "Precision") or 11)) for q, v in (("P580", "start"), ("P582", "end"), ("P585", "time")) if v in st}
        checks = []
        for qualifier, (ours, our_precision) in claim.dates.items():
            if qualifier == "asOf":
                start, end = wd_dates.get("P580"), wd_dates.get("P582")
                ok = (start is None or _cut(start[0], min(start[1], our_precision)) <= _cut(ours, min(start[1], our_precision))) and \
                     (end is None or _cut(end[0], min(end[1], our_precision)) >= _cut(ours, min(end[1], our_precision)))
                checks.append(("agrees" if ok else "differs", qualifier))
            elif qualifier not in wd_dates:
                checks.append(("wikidata-silent", qualifier))
            else:
                theirs, their_precision = wd_dates[qualifier]
                precision = min(our_precision, their_precision)
                checks.append(("agrees" if _cut(theirs, precision) == _cut(ours, precision) else "differs", qualifier))
        outcome = "differs" if any(c == "differs" for c, _ in checks) else "wikidata-silent" if any(c == "wikidata-silent" for c, _ in checks) else "agrees"
        verdicts.append((outcome, st, wd_dates, [q for c, q in checks if c == outcome]))
    order = {"agrees": 0, "wikidata-silent": 1, "differs": 2}
    outcome, st, wd_dates, qualifiers = min(verdicts, key=lambda v: order[v[0]])
    claim.outcome, claim.statement, claim.wikidata = outcome, binding(st, "st"), wd_dates
    if outcome == "agrees":
        claim.detail = "Wikidata has the statement" + ("; the dates agree" if claim.dates else "")
    elif outcome == "wikidata-silent":
        claim.detail = f"Wikidata has the statement without {', '.join(qualifiers)}"
    else:
        claim.detail = "Wikidata's " + ", ".join(q if q != 'asOf' else 'P580/P582' for q in qualifiers) + " differs from the chapter's date"


def crosscheck(store, sparql: str, timeout: float = 60.0) -> list[Claim]:
    """Compare every claim whose two entities are linked with Wikidata's statements (one query per property)."""
    claims = chapter_claims(store)
    for claim in claims:
        if not claim.comparable:
            claim.outcome = "not-linked"
            claim.detail = "no Wikidata link for " + " and ".join(e for e, q in ((claim.subject, claim.subject_item), (claim.object, claim.object_item)) if not q)
    for prop in sorted({c.property for c in claims if c.comparable}):
        pairs = sorted({(c.subject_item, c.object_item) for c in claims if c.comparable and c.property == prop})
        if prop == "P530":
            pairs = sorted(set(pairs) | {(o, s) for s, o in pairs})
        found: dict[tuple[str, str], list[dict]] = {}
        for row in sparql_rows(sparql, STATEMENTS % (" ".join(f"(wd:{s} wd:{o})" for s, o in pairs), prop, prop), timeout):
            found.setdefault((qid_of(row["s"]["value"]), qid_of(row["o"]["value"])), []).append(row)
        for claim in (c for c in claims if c.comparable and c.property == prop):
            statements = found.get((claim.subject_item, claim.object_item), [])
            if prop == "P530":
                statements = statements + found.get((claim.object_item, claim.subject_item), [])
            compare(claim, statements)
    return claims


def summary(claims: list[Claim]) -> dict[str, int]:
    counts = {"agrees": 0, "differs": 0, "wikidata-silent": 0, "not-linked": 0}
    for claim in claims:
        counts[claim.outcome] += 1
    return counts


def crosscheck_table(claims: list[Claim], everything: bool = False) -> str:
    """The report: one line per compared claim (all claims with ``everything``), then the counts."""
    from ..catalog import format_table

    shown = [c for c in claims if everything or c.comparable]
    names = ["outcome", "property", "fact", "subject", "object", "chapter", "wikidata", "detail"]

    def cell(value: str) -> dict:
        return {"type": "uri" if value.startswith("http") else "literal", "value": value}

    rows = []
    for c in shown:
        chapter = " ".join(f"{'as of' if q == 'asOf' else q} {v[0]}" for q, v in sorted(c.dates.items()))
        wikidata = " ".join(f"{q} {v[0][:10]}" for q, v in sorted(c.wikidata.items()))
        values = [c.outcome, c.property, c.fact, c.subject, c.object, chapter, wikidata, c.detail]
        rows.append({n: cell(v) for n, v in zip(names, values) if v})
    table = format_table({"head": {"vars": names}, "results": {"bindings": rows}})
    counts = summary(claims)
    return table + "\n" + ", ".join(f"{n} {k}" for k, n in counts.items())


def crosscheck_graph(claims: list[Claim], sparql: str) -> Graph:
    """The cross-check as RDF, for the named graph graph/wikidata-crosscheck (claims that could be compared)."""
    graph = Graph()
    bind_all(graph)
    graph.add((CROSSCHECK_GRAPH, RDFS.label, Literal("Cross-check of the chapter's claims against Wikidata", lang="en")))
    graph.add((CROSSCHECK_GRAPH, DCTERMS.source, URIRef(WIKIDATA_SPARQL)))
    graph.add((CROSSCHECK_GRAPH, RAKG.note, Literal(f"Queried at {sparql}", lang="en")))
    graph.add((CROSSCHECK_GRAPH, PROV.generatedAtTime, Literal(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), datatype=XSD.dateTime)))
    for c in (c for c in claims if c.comparable):
        key = hashlib.sha256(f"{c.fact}|{c.subject}|{c.object}|{c.property}".encode()).hexdigest()[:10]
        node = URIRef(f"{CROSSCHECK}{c.fact.rsplit('/', 1)[-1]}-{key}")
        graph.add((node, RDF.type, RAKG.WikidataCrossCheck))
        graph.add((node, RDFS.label, Literal(f"{c.outcome}: wd:{c.subject_item} {c.property} wd:{c.object_item}", lang="en")))
        graph.add((node, RAKG.checkedClaim, URIRef(c.fact)))
        graph.add((node, RAKG.comparedProperty, WD[c.property]))
        graph.add((node, RAKG.wikidataSubject, WD[c.subject_item]))
        graph.add((node, RAKG.wikidataObject, WD[c.object_item]))
        graph.add((node, RAKG.crossCheckOutcome, OUTCOMES[c.outcome]))
        graph.add((node, RDFS.comment, Literal(c.detail, lang="en")))
        if c.statement:
            graph.add((node, RAKG.wikidataStatement, URIRef(c.statement)))
        for qualifier, (value, precision) in sorted(c.dates.items()):
            datatype = {9: XSD.gYear, 10: XSD.gYearMonth}.get(precision, XSD.date)
            graph.add((node, RAKG.chapterValue, Literal(value, datatype=datatype)))
            if qualifier != "asOf":
                graph.add((node, RAKG.comparedQualifier, WD[qualifier]))
        for value, _ in sorted(c.wikidata.values()):
            graph.add((node, RAKG.wikidataValue, Literal(value, datatype=XSD.dateTime)))
    return graph


def crosscheck_nquads(claims: list[Claim], sparql: str) -> str:
    """The cross-check as sorted N-Quads in graph/wikidata-crosscheck: `rakg serve --data build/current/graph.nq --data <file>`
    serves it beside the build."""
    from ..canonical import canonical_nquads

    return canonical_nquads({CROSSCHECK_GRAPH: crosscheck_graph(claims, sparql)})
