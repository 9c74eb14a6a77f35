"""The linked-data views: content negotiation between the HTML page and RDF, and the data each page shows.

>>> choose_format("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None)
'html'
>>> choose_format("*/*", None), choose_format(None, None), choose_format("application/ld+json", None)
('turtle', 'turtle', 'jsonld')
>>> choose_format("text/html", "ttl")
'turtle'
"""

from __future__ import annotations

import json

from flask import Response

from .. import protocol
from ..canonical import canonical_turtle
from ..errors import NotAcceptable
from ..namespaces import RAKG
from .describe import (
    INFERRED,
    RDF_TYPE,
    RDFS_COMMENT,
    RDFS_LABEL,
    SKOS,
    Describer,
    FactCard,
    Term,
    fact_cards,
    group_values,
    mark_quotes,
    source_refs,
)
from .factgroups import fact_index, first_view, group_facts

HTML_TYPES = ("text/html", "application/xhtml+xml")
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFLIB_FORMATS = {"ntriples": "nt", "rdfxml": "xml", "jsonld": "json-ld", "nquads": "nquads", "trig": "trig"}
RDF_FORMAT_LINKS = (("ttl", "Turtle"), ("jsonld", "JSON-LD"), ("nt", "N-Triples"), ("rdf", "RDF/XML"))
INLINE_DERIVED = 10  # derived statements drawn in the first view of a page; more load on demand
NAME_PROPERTIES = {RDFS_LABEL, SKOS + "altLabel", SKOS + "prefLabel", RDF_TYPE, SKOS + "exactMatch"}


def choose_format(accept: str | None, fmt: str | None) -> str:
    """'html' or a graph format key of protocol.MEDIA_TYPES, from ?format= or the Accept header.

    Turtle is the default for clients that do not ask for HTML. Raises NotAcceptable.
    """
    if fmt:
        if fmt.lower() in ("html", "htm"):
            return "html"
        try:
            return protocol.negotiate("construct", None, fmt)
        except NotAcceptable:
            raise NotAcceptable(f"no format {fmt!r} for this resource; use html, ttl, jsonld, nt, rdf, nq or trig") from None
    if not accept:
        return "turtle"
    for media_range in protocol.parse_accept(accept):
        if media_range.type in HTML_TYPES:
            return "html"
        try:
            return protocol.negotiate("construct", media_range.type, None)
        except NotAcceptable:
            continue
    offered = ", ".join(list(HTML_TYPES[:1]) + [protocol.MEDIA_TYPES[k][0] for k in protocol.MEDIA_TYPES if protocol.MEDIA_TYPES[k][1] == "graph"])
    raise NotAcceptable(f"cannot produce {accept!r} for this resource; available: {offered}")


def rdf_response(graph, key: str) -> Response:
    """The graph serialized in format ``key``, with its Content-Type and Vary: Accept."""
    body = canonical_turtle(graph) if key == "turtle" else graph.serialize(format=RDFLIB_FORMATS[key])
    response = Response(body, content_type=protocol.content_type(key))
    response.headers["Vary"] = "Accept"
    return response


# --- entity and fact pages -------------------------------------------------------------------------


def entity_context(d: Describer, iri: str) -> dict | None:
    """Everything the page of an entity or fact shows, or None when the store knows nothing of ``iri``."""
    statements = d.rows("entity-statements", iri)
    incoming = d.rows("entity-incoming", iri)
    index = fact_index(d, iri)
    if not (statements or incoming or index):
        return None
    grouped = group_facts(d, index)
    first_view(d, iri, grouped)
    asserted = [r for r in statements if r["graph"]["value"] != INFERRED]
    inferred_only = bool(statements) and not asserted
    own = asserted or statements
    context = {
        "entity": d.iri(iri),
        **names(d, own, fallback=d.service.labels.names.get(iri, {})),
        "properties": group_values((d.term(r["property"]), d.term(r["value"])) for r in own if r["property"]["value"] not in NAME_PROPERTIES),
        "fact_groups": grouped,
        "fact_count": len(index),
        "claim_count": sum(g.claims for _, groups in grouped for g in groups),
        "incoming": [(d.term(r["subject"]), d.term(r["property"])) for r in incoming if r["graph"]["value"] != INFERRED],
        **derived_first_view(d, iri, inferred_only),
        "inferred_only": inferred_only,
        "statement": reified(d, own),
        "self_card": None,
        "discrepancies": [],
    }
    if any(r["property"]["value"] in (str(RAKG.quote), str(RAKG.statedIn)) for r in own):
        context["self_card"] = self_card(d, iri, own, source_refs(d, d.rows("entity-fact-sources", iri)))
        context["discrepancies"] = discrepancies(d, iri)
        context["properties"] = []
    return context


def names(d: Describer, rows: list[dict], fallback: dict | None = None) -> dict:
    """Labels, alternative labels, classes and Wikidata (or other exactMatch) links from a resource's statements;
    the labels of the label index ({lang: label}) when the statements have none (over an external store whose
    dataset has no named graphs for entity-statements' GRAPH pattern)."""
    out = {"labels": [], "alt_labels": [], "classes": [], "matches": []}
    keys = {RDFS_LABEL: "labels", SKOS + "prefLabel": "labels", SKOS + "altLabel": "alt_labels", RDF_TYPE: "classes", SKOS + "exactMatch": "matches"}
    for row in rows:
        key = keys.get(row["property"]["value"])
        if key:
            out[key].append(d.term(row["value"]))
    if not out["labels"]:
        out["labels"] = [Term(label, "literal", lang) for lang, label in (fallback or {}).items()]
    order = {"en": 0, "zh-hant": 1, "zh": 1, "ru": 2}
    out["labels"].sort(key=lambda t: (order.get(t.lang, 3), t.lang))
    out["alt_labels"].sort(key=lambda t: (order.get(t.lang, 3), t.lang, t.value))
    return out


def derived_first_view(d: Describer, iri: str, inferred_only: bool) -> dict:
    """The derived statements drawn in the first view (all of them up to INLINE_DERIVED, else none: the page
    loads them from /api/derived when asked) and their number."""
    if inferred_only:
        return {"derived": [], "derived_count": 0}
    rows = d.rows("entity-derived-count", iri)
    count = int(rows[0]["count"]["value"]) if rows else 0
    return {"derived": derived(d, iri) if 0 < count <= INLINE_DERIVED else [], "derived_count": count}


def reified(d: Describer, rows: list[dict]) -> tuple | None:
    """(subject, predicate, object) of a reified statement (a rakg:Derivation), else None."""
    parts = {r["property"]["value"].rsplit("#", 1)[-1]: r["value"] for r in rows if r["property"]["value"].startswith(RDF_NS)}
    if not {"subject", "predicate", "object"} <= set(parts):
        return None
    return tuple(d.term(parts[k]) for k in ("subject", "predicate", "object"))


def derived(d: Describer, iri: str) -> list[dict]:
    """The statements of graph/inferred with ``iri`` as subject or object, each with the rule and premises that explain it."""
    found: dict[tuple, dict] = {}
    for row in d.rows("entity-derived", iri):
        key = (row["subject"]["value"], row["property"]["value"], json.dumps(row["value"], sort_keys=True))
        item = found.setdefault(key, {
            "subject": d.term(row["subject"]), "property": d.term(row["property"]), "value": d.term(row["value"]),
            "derivation": d.term(row.get("derivation")), "rules": [], "premises": [], "background": False,
        })
        for name, field in (("rule", "rules"), ("premise", "premises")):
            term = d.term(row.get(name))
            if term and term.value not in {t.value for t in item[field]}:
                item[field].append(term)
        item["background"] = item["background"] or row.get("background", {}).get("value") == "true"
    return list(found.values())


def self_card(d: Describer, iri: str, own: list[dict], refs: dict) -> FactCard:
    """The fact card of a fact's own page, with each passage's text and the quotes marked in it."""
    rows = [{"fact": {"type": "uri", "value": iri}, "property": r["property"], "value": r["value"]} for r in own]
    card = fact_cards(d, rows, refs)[0]
    card.marked = {ref.term.value: mark_quotes(ref.text, card.quotes) for ref in card.passages}
    return card


def discrepancies(d: Describer, iri: str) -> list[dict]:
    """The discrepancies a fact is part of: the node, its kind, comment and the other claims."""
    found: dict[str, dict] = {}
    for row in d.rows("fact-discrepancies", iri):
        item = found.setdefault(row["discrepancy"]["value"], {
            "term": d.term(row["discrepancy"]), "kind": d.term(row.get("kind")),
            "comment": d.term(row.get("comment")), "others": [],
        })
        other = d.term(row.get("other"))
        if other and other.value not in {o.value for o in item["others"]}:
            item["others"].append(other)
    return list(found.values())


def graph_context(d: Describer, iri: str) -> dict | None:
    """A minimal page for a named graph of the dataset: its size; None when ``iri`` names no graph."""
    for row in d.rows("graph-sizes"):
        if row["graph"]["value"] == iri:
            size = Term(row["triples"]["value"], "literal", datatype=row["triples"].get("datatype", ""))
            return {
                "entity": d.iri(iri), "labels": [], "alt_labels": [], "classes": [d.iri("http://www.w3.org/ns/sparql-service-description#NamedGraph")],
                "matches": [], "properties": [(d.iri("http://rdfs.org/ns/void#triples"), [size])], "fact_groups": [], "fact_count": 0,
                "claim_count": 0, "incoming": [],
                "derived": [], "derived_count": 0, "inferred_only": False, "statement": None, "self_card": None, "discrepancies": [],
            }
    return None


# --- source pages ----------------------------------------------------------------------------------

BIBLIOGRAPHIC = (
    "http://purl.org/dc/terms/creator", "http://purl.org/dc/terms/contributor", "http://purl.org/dc/terms/title",
    str(RAKG.translator), str(RAKG.container), "http://purl.org/dc/terms/publisher", str(RAKG.volume), str(RAKG.issue),
    "http://purl.org/dc/terms/date", str(RAKG.pages), str(RAKG.printedUrl), str(RAKG.quotedFrom),
    str(RAKG.citesDocument), str(RAKG.sameWorkAs), RDFS_COMMENT,
)
STRUCTURE = {str(RAKG[p]) for p in ("text", "locator", "startLine", "endLine", "ordinal", "inSection", "inChapter", "calledFrom",
                                    "parentSection", "heading")}


def source_context(d: Describer, iri: str) -> dict | None:
    """Everything the page of a chapter, section, passage or footnote shows, or None when it is unknown."""
    statements = [r for r in d.rows("entity-statements", iri) if r["graph"]["value"] != INFERRED]
    if not statements:
        return None
    values: dict[str, list[Term]] = {}
    for row in statements:
        values.setdefault(row["property"]["value"], []).append(d.term(row["value"]))
    refs = source_refs(d, d.rows("entity-fact-sources", iri))
    facts = fact_cards(d, d.rows("entity-facts", iri), refs)
    text = _first(values, RAKG.text)
    quotes = [q for card in facts if card.role and card.role.value == str(RAKG.statedIn) for q in card.quotes]
    return {
        "entity": d.iri(iri),
        **names(d, statements),
        "kind": next((c.value.rsplit("#", 1)[-1] for c in values.get(RDF_TYPE, [])), "Source"),
        "text": text,
        "marked": mark_quotes(text, quotes) if text else [],
        "locator": _first(values, RAKG.locator) or iri.rsplit("/", 1)[-1],
        "lines": (_first(values, RAKG.startLine), _first(values, RAKG.endLine)),
        "heading": _first(values, RAKG.heading),
        "up": [t for p in ("inSection", "parentSection", "calledFrom", "inChapter") for t in values.get(str(RAKG[p]), [])],
        "bibliography": [(d.iri(p), values[p]) for p in BIBLIOGRAPHIC if p in values],
        "references": references(d, iri),
        "parts": parts(d, iri),
        "facts": facts,
        "other": group_values((d.term(r["property"]), d.term(r["value"])) for r in statements
                              if r["property"]["value"] not in NAME_PROPERTIES | STRUCTURE | set(BIBLIOGRAPHIC)),
    }


def _first(values: dict, prop) -> str:
    found = values.get(str(prop))
    return found[0].value if found else ""


def references(d: Describer, iri: str) -> list[list[tuple[Term, list[Term]]]]:
    """The works a footnote cites one by one (its dcterms:references nodes), each as [(property, values)]."""
    works: dict[str, list] = {}
    for row in d.rows("source-references", iri):
        works.setdefault(row["reference"]["value"], []).append((d.term(row["property"]), d.term(row["value"])))
    order = {p: i for i, p in enumerate(BIBLIOGRAPHIC)}
    return [sorted(group_values(pairs), key=lambda g: order.get(g[0].value, 99)) for pairs in works.values()]


def parts(d: Describer, iri: str) -> list[dict]:
    """The sections, passages and footnotes inside a source, in line order."""
    out = []
    for row in d.rows("source-parts", iri):
        out.append({
            "term": d.term(row["part"]),
            "link": row["link"]["value"].rsplit("#", 1)[-1],
            "locator": row.get("locator", {}).get("value") or row["part"]["value"].rsplit("/", 1)[-1],
            "start": row.get("start", {}).get("value", ""),
            "text": row.get("text", {}).get("value", ""),
            "facts": int(row["facts"]["value"]),
        })
    return out


# --- the ontology page -----------------------------------------------------------------------------

TERM_GROUPS = (
    ("classes", "Classes", "類別", {"http://www.w3.org/2002/07/owl#Class"}),
    ("object", "Object properties", "物件屬性", {"http://www.w3.org/2002/07/owl#ObjectProperty"}),
    ("datatype", "Datatype properties", "資料屬性", {"http://www.w3.org/2002/07/owl#DatatypeProperty"}),
    ("annotation", "Annotation properties", "註解屬性", {"http://www.w3.org/2002/07/owl#AnnotationProperty"}),
)
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
TERM_FIELDS = (
    ("super", RDFS + "subClassOf"), ("super", RDFS + "subPropertyOf"), ("domain", RDFS + "domain"), ("range", RDFS + "range"),
    ("disjoint", "http://www.w3.org/2002/07/owl#disjointWith"), ("wikidata", str(RAKG.wikidataClass)),
    ("wikidata", str(RAKG.wikidataProperty)), ("definition", SKOS + "definition"), ("comment", RDFS_COMMENT),
)


def ontology_context(d: Describer) -> dict:
    """Every term of the ontology graph grouped as classes, properties and named values, with their fields."""
    terms: dict[str, dict] = {}
    for row in d.rows("ontology-terms"):
        term = terms.setdefault(row["term"]["value"], {"term": d.term(row["term"]), "types": [], "labels": [], "fields": {}, "sub": []})
        prop, value = row["property"]["value"], d.term(row["value"])
        if prop == RDF_TYPE:
            term["types"].append(value)
        elif prop == RDFS_LABEL:
            term["labels"].append(value)
        for key, iri in TERM_FIELDS:
            if prop == iri:
                term["fields"].setdefault(key, []).append(value)
    for term in terms.values():
        for parent in term["fields"].get("super", []):
            if parent.value in terms:
                terms[parent.value]["sub"].append(term["term"])
    groups = [{"key": key, "en": en, "zh": zh, "terms": []} for key, en, zh, _ in TERM_GROUPS]
    groups.append({"key": "values", "en": "Named values and other terms", "zh": "具名值與其他詞彙", "terms": []})
    ontology = None
    for iri, term in sorted(terms.items(), key=lambda item: item[0].rsplit("#", 1)[-1].lower()):
        types = {t.value for t in term["types"]}
        if "http://www.w3.org/2002/07/owl#Ontology" in types:
            ontology = term
            continue
        index = next((i for i, (_, _, _, kinds) in enumerate(TERM_GROUPS) if types & kinds), len(TERM_GROUPS))
        term["anchor"] = iri.rsplit("#", 1)[-1] if "#" in iri else iri.rsplit("/", 1)[-1]
        groups[index]["terms"].append(term)
    return {"groups": groups, "ontology": ontology, "count": sum(len(g["terms"]) for g in groups)}
