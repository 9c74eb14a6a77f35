"""Wikidata: reconciliation candidates, the cross-check of the chapter's dated claims, QuickStatements export.

Every request goes out with outbound.USER_AGENT, a time limit and one Retry-After wait (SPARQL through
outbound.forward, the wbsearchentities API through outbound.get_json).  Where Wikidata is reached is
configurable: the ``service_map`` setting (``https://query.wikidata.org/sparql=<URL>``) or ``--sparql``
send the SPARQL queries to a mirror or to the tests' stand-in; ``--api`` does the same for the API.

Nothing here writes a link: ``rakg link`` writes candidates for review, ``rakg crosscheck`` a report
(a table and RDF in the named graph graph/wikidata-crosscheck), ``rakg quickstatements`` lines for a
person to check and upload.
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, XSD

from ..errors import RakgError
from ..namespaces import BASE, GRAPH, RAKG, WD, bind_all
from ..outbound import forward, get_json

WIKIDATA_SPARQL = "https://query.wikidata.org/sparql"
WIKIDATA_API = "https://www.wikidata.org/w/api.php"
CROSSCHECK_GRAPH = GRAPH["wikidata-crosscheck"]
CROSSCHECK = BASE + "id/crosscheck/"
SEARCH_LANGUAGES = {"en": "en", "zh-hant": "zh", "zh": "zh", "ru": "ru"}
PRECISION = {str(XSD.gYear): 9, str(XSD.gYearMonth): 10, str(XSD.date): 11, str(XSD.dateTime): 11}
WIKIBASE_PREFIXES = """PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX p: <http://www.wikidata.org/prop/>
PREFIX ps: <http://www.wikidata.org/prop/statement/>
PREFIX pq: <http://www.wikidata.org/prop/qualifier/>
PREFIX pqv: <http://www.wikidata.org/prop/qualifier/value/>
PREFIX wikibase: <http://wikiba.se/ontology#>
PREFIX schema: <http://schema.org/>
"""


def wikidata_sparql_url(settings, override: str | None = None) -> str:
    """Where the Wikidata SPARQL queries go: ``override``, else the service_map entry, else Wikidata itself."""
    if override:
        return override
    mapped = dict(pair.split("=", 1) for pair in settings.service_map.split(",") if "=" in pair)
    return mapped.get(WIKIDATA_SPARQL, WIKIDATA_SPARQL).strip()


def sparql_rows(url: str, query: str, timeout: float = 60.0) -> list[dict]:
    """The bindings of a SELECT sent to a SPARQL endpoint (POST form, JSON results); raises RakgError on an error reply."""
    reply = forward(url, query, "application/sparql-results+json", timeout)
    if reply.status != 200:
        raise RakgError(f"{url} answered {reply.status}: {reply.body[:300].decode('utf-8', 'replace')}", where="Wikidata SPARQL")
    return json.loads(reply.body)["results"]["bindings"]


def _rows(store, query: str) -> list[dict]:
    from ..catalog import results_json

    return results_json(store.query(query))["results"]["bindings"]


def _value(row: dict, name: str) -> str:
    return row[name]["value"] if name in row else ""


def _qid(iri: str) -> str:
    return iri.rsplit("/", 1)[-1] if iri.startswith(str(WD)) else ""


def load_reference(root: Path) -> dict:
    return json.loads((root / "data/links/qids-reference.json").read_text(encoding="utf-8"))


# --- reconciliation ---------------------------------------------------------------------------------

UNLINKED = """
SELECT ?entity ?label ?expected WHERE {
  VALUES ?top { rakg:Agent rakg:Place rakg:Document rakg:Idea rakg:Topic rakg:EquipmentType rakg:Period rakg:Event rakg:CountryGroup rakg:Position }
  ?entity a ?class . ?class rdfs:subClassOf* ?top .
  FILTER (STRSTARTS(STR(?entity), "https://w3id.org/rakg/id/"))
  FILTER NOT EXISTS { ?entity skos:exactMatch ?item FILTER STRSTARTS(STR(?item), STR(wd:)) }
  FILTER NOT EXISTS { ?entity owl:deprecated true }
  ?entity rdfs:label ?label .
  OPTIONAL { GRAPH graph:inferred { ?entity wdt:P31 ?expected } }
}
"""
LINKED = "SELECT ?entity ?item WHERE { ?entity skos:exactMatch ?item FILTER STRSTARTS(STR(?item), STR(wd:)) }"
TYPE_CHECK = WIKIBASE_PREFIXES + """SELECT ?item ?type WHERE {
  VALUES ?item { %s }
  VALUES ?type { %s }
  ?item wdt:P31/wdt:P279* ?type .
}"""
CANDIDATE_COLUMNS = ("entity", "label_searched", "language", "candidate_qid", "candidate_label", "description", "type_check", "score")


@dataclass
class Candidate:
    entity: str
    label_searched: str
    language: str
    candidate_qid: str
    candidate_label: str
    description: str
    type_check: str = ""
    score: float = 0.0
    rank: int = 1
    match_type: str = ""

    def row(self) -> list[str]:
        return [self.entity, self.label_searched, self.language, self.candidate_qid, self.candidate_label, self.description,
                self.type_check, f"{self.score:.2f}"]


def unlinked_entities(store, only: tuple = (), kinds: tuple = ()) -> dict[str, dict]:
    """IRI → {"labels": [(text, lang)], "expected": {QID}} for every entity without a Wikidata link."""
    found: dict[str, dict] = {}
    for row in _rows(store, UNLINKED):
        iri = row["entity"]["value"]
        kind = iri[len(BASE + "id/"):].split("/", 1)[0]
        if (only and iri not in only) or (kinds and kind not in kinds):
            continue
        entry = found.setdefault(iri, {"labels": [], "expected": set()})
        label = (row["label"]["value"], row["label"].get("xml:lang", "").lower())
        if label not in entry["labels"]:
            entry["labels"].append(label)
        if "expected" in row:
            entry["expected"].add(_qid(row["expected"]["value"]))
    return found


def search_url(api: str, text: str, language: str, limit: int) -> str:
    params = {"action": "wbsearchentities", "format": "json", "language": language, "uselang": language, "type": "item",
              "limit": str(limit), "search": text}
    return f"{api}?{urllib.parse.urlencode(params)}"


def reconcile(store, root: Path, api: str = WIKIDATA_API, sparql: str = WIKIDATA_SPARQL, only: tuple = (), kinds: tuple = (),
              limit: int = 5, delay: float = 0.5, timeout: float = 30.0) -> list[Candidate]:
    """Ranked Wikidata candidates for every unlinked entity (or those of ``only`` / ``kinds``): a label search
    in each language the entity has a label in, then a type check (instance of, transitively, the Wikidata class
    our class maps to) in one SPARQL query.  Known-wrong QIDs of the reference list and items already linked to
    another entity are flagged and scored down."""
    reference = load_reference(root)
    known_wrong = {w["qid"]: w for w in reference["known_wrong"] if "qid" in w}
    linked = {_qid(r["item"]["value"]): r["entity"]["value"] for r in _rows(store, LINKED)}
    entities = unlinked_entities(store, only, kinds)
    candidates: list[Candidate] = []
    for iri, entry in sorted(entities.items()):
        for text, lang in entry["labels"]:
            language = SEARCH_LANGUAGES.get(lang)
            if language is None:
                continue
            if candidates and delay:
                time.sleep(delay)
            result = get_json(search_url(api, text, language, limit), timeout)
            for rank, hit in enumerate(result.get("search", []), start=1):
                candidates.append(Candidate(iri, text, language, hit["id"], hit.get("label", ""), hit.get("description", ""),
                                            rank=rank, match_type=hit.get("match", {}).get("type", "")))
    expected = {iri: entry["expected"] for iri, entry in entities.items()}
    types = type_check(sparql, {c.candidate_qid for c in candidates}, set().union(*expected.values()) if expected else set(), timeout)
    for c in candidates:
        wanted = expected.get(c.entity, set())
        c.score = 0.3 / c.rank + (0.5 if c.candidate_label.casefold() == c.label_searched.casefold() else 0.2 if c.match_type == "alias" else 0.0)
        if c.candidate_qid in known_wrong:
            c.type_check, c.score = f"known wrong: {c.candidate_qid} is {known_wrong[c.candidate_qid]['is']}", 0.0
            continue
        if not wanted:
            c.type_check = "no expected type"
        elif types.get(c.candidate_qid, set()) & wanted:
            c.type_check, c.score = "instance of " + ", ".join(sorted(types[c.candidate_qid] & wanted)), c.score + 1.0
        else:
            c.type_check, c.score = "not an instance of " + ", ".join(sorted(wanted)), c.score - 1.0
        if c.candidate_qid in linked:
            c.type_check += f"; already linked to {linked[c.candidate_qid]}"
            c.score -= 1.0
    candidates.sort(key=lambda c: (c.entity, -c.score, c.candidate_qid, c.language))
    return candidates


def type_check(sparql: str, qids: set[str], classes: set[str], timeout: float = 60.0) -> dict[str, set[str]]:
    """QID → the classes of ``classes`` it is an instance of (wdt:P31/wdt:P279*)."""
    qids, classes = sorted(q for q in qids if q), sorted(c for c in classes if c)
    if not qids or not classes:
        return {}
    query = TYPE_CHECK % (" ".join(f"wd:{q}" for q in qids), " ".join(f"wd:{c}" for c in classes))
    found: dict[str, set[str]] = {}
    for row in sparql_rows(sparql, query, timeout):
        found.setdefault(_qid(row["item"]["value"]), set()).add(_qid(row["type"]["value"]))
    return found


def write_candidates(candidates: list[Candidate], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(CANDIDATE_COLUMNS)
        writer.writerows(c.row() for c in candidates)


# --- cross-check ------------------------------------------------------------------------------------

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
    for row in _rows(store, CLAIMS):
        dates = {}
        for name, qualifier in (("start", "P580"), ("end", "P582"), ("asOf", "asOf"), ("date", "P585")):
            value = _date(row.get(name))
            if value:
                dates[qualifier] = value
        claims.append(Claim(_value(row, "fact"), _value(row, "property"), _value(row, "subject"), _value(row, "object"),
                            _qid(_value(row, "subjectItem")), _qid(_value(row, "objectItem")), dates, _value(row, "quote")))
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
        wd_dates = {q: (_value(st, v), int(_value(st, v + "Precision") or 11)) for q, v in (("P580", "start"), ("P582", "end"), ("P585", "time")) if v in st}
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
    claim.outcome, claim.statement, claim.wikidata = outcome, _value(st, "st"), wd_dates
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
            found.setdefault((_qid(row["s"]["value"]), _qid(row["o"]["value"])), []).append(row)
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


# --- QuickStatements --------------------------------------------------------------------------------


def _qs_time(value: str, precision: int) -> str:
    year, month, day = (value.split("-") + ["00", "00"])[:3]
    if precision <= 9:
        month = day = "00"
    elif precision == 10:
        day = "00"
    return f"+{year}-{month}-{day[:2]}T00:00:00Z/{precision}"


def quickstatements(claims: list[Claim]) -> list[str]:
    """QuickStatements (v1, tab-separated) for what the chapter states and Wikidata lacks (the silent cases):
    the statement with the chapter's dates as qualifiers, referenced with S854 (reference URL: the fact's IRI)
    and S1683 (quotation: the chapter's words, zh-hant).  For a person to review before uploading."""
    lines, seen = [], set()
    for c in (c for c in claims if c.outcome == "wikidata-silent"):
        parts = [c.subject_item, c.property, c.object_item]
        for qualifier, (value, precision) in sorted(c.dates.items()):
            if qualifier in ("P580", "P582", "P585"):
                parts += [qualifier, _qs_time(value, precision)]
        parts += ["S854", f'"{c.fact}"']
        if c.quote:
            parts += ["S1683", 'zh-hant:"' + c.quote.replace('"', "'").replace("\t", " ").replace("\n", " ") + '"']
        line = "\t".join(parts)
        if line not in seen:
            seen.add(line)
            lines.append(line)
    return lines


# --- link checks ------------------------------------------------------------------------------------


def link_problems(graph, reference: dict) -> list[str]:
    """Problems of the Wikidata links of an rdflib graph: two entities linked to one item, a link to a QID the
    reference list knows to be wrong, a link without its record (rakg:WikidataLink with rakg:verifiedBy and
    dcterms:source), or a record claiming the reference list for a QID the list does not verify."""
    from rdflib.namespace import SKOS

    known_wrong = {w["qid"]: w for w in reference["known_wrong"] if "qid" in w}
    verified = {e["qid"] for e in reference["entities"] if e["status"] == "verified"}
    problems, by_item = [], {}
    for entity, item in sorted(graph.subject_objects(SKOS.exactMatch)):
        qid = _qid(str(item))
        if not qid:
            continue
        by_item.setdefault(qid, []).append(str(entity))
        records = [r for r in graph.subjects(RAKG.linkedEntity, entity) if (r, RAKG.wikidataItem, item) in graph]
        if qid in known_wrong:
            # a known-wrong look-alike is fine only for the thing it really is (Q7825 is wrong for the African Union,
            # right for the WTO): its record or the entity's labels must name that thing
            really = known_wrong[qid]["is"].casefold()
            names = [str(o) for r in records for o in graph.objects(r, DCTERMS.source)] + [str(o) for o in graph.objects(entity, RDFS.label)]
            if not any(really in name.casefold() for name in names):
                problems.append(f"{entity} is linked to {qid}, which is {known_wrong[qid]['is']}, not {known_wrong[qid]['is_not']}")
        if not any((r, RAKG.verifiedBy, None) in graph and (r, DCTERMS.source, None) in graph for r in records):
            problems.append(f"{entity} → {qid} has no rakg:WikidataLink record with rakg:verifiedBy and dcterms:source")
        if any((r, RAKG.verifiedBy, RAKG.ReferenceListVerification) in graph for r in records) and qid not in verified:
            problems.append(f"{entity} → {qid} claims the reference list, which does not verify {qid}")
    problems += [f"{qid} is linked from {len(entities)} entities: {', '.join(entities)}" for qid, entities in sorted(by_item.items()) if len(entities) > 1]
    return problems
