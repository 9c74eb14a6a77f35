"""What the linked-data pages show: the store's statements about one IRI, grouped for the templates, and its RDF.

Every query lives in ``queries/service/*.rq`` and is run with ``?entity`` bound to the page's IRI.
Terms reach the templates as :class:`Term` objects that know their local link and labels.

>>> local_href("https://w3id.org/rakg/id/state/russia"), local_href("https://w3id.org/rakg/ontology#Membership")
('/id/state/russia', '/ontology#Membership')
>>> html_lang("zh-hant"), html_lang("en")
('zh-Hant', 'en')
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rdflib import BNode, Graph, Literal, URIRef

from ..catalog import results_json
from ..namespaces import BASE, INFERRED_GRAPH, PREFIXES, RAKG, bind_all

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
SKOS = "http://www.w3.org/2004/02/skos/core#"
XSD = "http://www.w3.org/2001/XMLSchema#"
INFERRED = str(INFERRED_GRAPH)
DATE_PROPERTIES = tuple(str(RAKG[p]) for p in (
    "date", "earliestDate", "latestDate", "startDate", "earliestStart", "latestStart", "endDate", "earliestEnd", "latestEnd",
    "asOf", "earliestAsOf", "latestAsOf", "reportedOn", "refYear", "deliveryDate", "earliestDelivery", "latestDelivery"))  # shown with their property's label
DATE_TEXTS = (str(RAKG.dateText), str(RAKG.startText), str(RAKG.endText), str(RAKG.deliveryText))
SOURCE_PROPERTIES = (str(RAKG.statedIn), str(RAKG.citesFootnote))
CARD_OWN = {RDF_TYPE, RDFS_LABEL, str(RAKG.quote), str(RAKG.note), *DATE_TEXTS, *SOURCE_PROPERTIES, *DATE_PROPERTIES}


def local_href(iri: str) -> str:
    """The path on this server of an IRI under the base; other http(s) IRIs unchanged; '' for other schemes.

    >>> local_href("http://www.wikidata.org/entity/Q7159"), local_href("javascript:alert(1)")
    ('http://www.wikidata.org/entity/Q7159', '')
    """
    if iri.startswith(BASE + "ontology#"):
        return "/ontology#" + iri[len(BASE) + len("ontology#"):]
    if iri.startswith(BASE):
        return "/" + iri[len(BASE):]
    return iri if iri.startswith(("http://", "https://")) else ""


def html_lang(tag: str) -> str:
    """A language tag in its conventional case for an HTML lang attribute (the store lowercases tags)."""
    parts = tag.split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.title() if len(part) == 4 else part.upper() if len(part) == 2 else part.lower())
    return "-".join(out)


@lru_cache(maxsize=4096)
def short_name(iri: str) -> str:
    """The IRI as a prefixed name with the project prefixes (the longest namespace wins), or the IRI itself."""
    best = ("", "")
    for prefix, namespace in PREFIXES.items():
        ns = str(namespace)
        if iri.startswith(ns) and len(ns) > len(best[1]) and re.fullmatch(r"[\w.-]*", iri[len(ns):]):
            best = (prefix, ns)
    return f"{best[0]}:{iri[len(best[1]):]}" if best[1] else iri


@dataclass
class Term:
    """An RDF term as the templates need it: value, kind, language or datatype, link and labels."""

    value: str
    kind: str = "uri"
    lang: str = ""
    datatype: str = ""
    labels: dict = field(default_factory=dict)

    @property
    def href(self) -> str:
        """Where the term links to on this server ('' for literals and non-web IRIs)."""
        return local_href(self.value) if self.kind == "uri" else ""

    @property
    def short(self) -> str:
        return short_name(self.value) if self.kind == "uri" else self.value

    @property
    def en(self) -> str:
        return self.labels.get("en", "")

    @property
    def zh(self) -> str:
        return next((v for k, v in self.labels.items() if k.startswith("zh")), "")

    @property
    def name(self) -> str:
        """The best single display name: English label, Chinese label, or the short name."""
        return self.en or self.zh or self.short

    @property
    def html_lang(self) -> str:
        return html_lang(self.lang) if self.lang else ""

    @property
    def datatype_short(self) -> str:
        return short_name(self.datatype) if self.datatype else ""

    @property
    def external(self) -> bool:
        return self.kind == "uri" and not self.value.startswith(BASE)


class Describer:
    """Runs the page queries of ``queries/service`` for one service and turns rows into Terms."""

    def __init__(self, service):
        self.service = service
        self.folder = Path(service.settings.root_path) / "queries" / "service"

    def text(self, name: str) -> str:
        """The SPARQL text of ``queries/service/<name>.rq``."""
        return _read(self.folder / f"{name}.rq")

    def rows(self, name: str, iri: str | None = None) -> list[dict]:
        """The bindings of the SELECT query ``name`` with ?entity bound to ``iri``."""
        bindings = {"entity": iri} if iri else None
        return results_json(self.service.store.query(self.text(name), bindings=bindings))["results"]["bindings"]

    def term(self, cell: dict | None) -> Term | None:
        """A Term from a SPARQL JSON cell, with labels from the label index for IRIs."""
        if cell is None:
            return None
        if cell["type"] == "uri":
            return Term(cell["value"], "uri", labels=self.service.labels.names.get(cell["value"], {}))
        if cell["type"] == "bnode":
            return Term(cell["value"], "bnode")
        return Term(cell["value"], "literal", cell.get("xml:lang", ""), cell.get("datatype", ""))

    def iri(self, iri: str) -> Term:
        """A Term for an IRI, with its labels."""
        return Term(iri, "uri", labels=self.service.labels.names.get(iri, {}))

    def graph(self, name: str, iri: str | None = None, include_inferred: bool = False) -> Graph:
        """The rdflib graph of the CONSTRUCT query ``name`` with ?entity bound to ``iri``."""
        bindings = {"entity": iri} if iri else None
        graph = Graph()
        bind_all(graph)
        for triple in self.service.store.query(self.text(name), include_inferred=include_inferred, bindings=bindings):
            graph.add((_rdflib(triple.subject), _rdflib(triple.predicate), _rdflib(triple.object)))
        return graph


@lru_cache(maxsize=64)
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _rdflib(term):
    """An rdflib term from a pyoxigraph term (by duck typing: this module does not import the engine)."""
    kind = type(term).__name__
    if kind == "NamedNode":
        return URIRef(term.value)
    if kind == "BlankNode":
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


# --- grouping -------------------------------------------------------------------------------------


def group_values(pairs) -> list[tuple[Term, list[Term]]]:
    """[(property, value)] grouped by property, in first-seen order."""
    grouped: dict[str, tuple[Term, list[Term]]] = {}
    for prop, value in pairs:
        grouped.setdefault(prop.value, (prop, []))[1].append(value)
    return list(grouped.values())


@dataclass
class SourceRef:
    """A passage or footnote a fact cites: link, locator and text."""

    term: Term
    locator: str
    text: str = ""
    section: Term | None = None

    @property
    def is_footnote(self) -> bool:
        return self.locator.startswith("footnote-")

    @property
    def number(self) -> str:
        return self.locator.removeprefix("footnote-")


@dataclass
class FactCard:
    """One fact as the pages list it."""

    term: Term
    role: Term | None = None
    classes: list = field(default_factory=list)
    labels: dict = field(default_factory=dict)
    dates: list = field(default_factory=list)
    date_text: list = field(default_factory=list)
    quotes: list = field(default_factory=list)
    passages: list = field(default_factory=list)
    footnotes: list = field(default_factory=list)
    roles: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    marked: dict = field(default_factory=dict)
    also: list = field(default_factory=list)  # other facts stating the same claim (merged into this card)

    @property
    def sort_key(self) -> tuple:
        """Cards sort by their earliest date (undated last), then by English label."""
        first = min((d[1].value for d in self.dates), default="9999")
        return (first, self.labels.get("en", ""), self.term.value)


def source_refs(describer: Describer, rows: list[dict]) -> dict[str, SourceRef]:
    """Source IRI -> SourceRef from the rows of entity-fact-sources."""
    refs = {}
    for row in rows:
        iri = row["source"]["value"]
        locator = row.get("locator", {}).get("value") or iri.rsplit("/", 1)[-1]
        refs[iri] = SourceRef(describer.iri(iri), locator, row.get("text", {}).get("value", ""), describer.term(row.get("section")))
    return refs


def fact_cards(describer: Describer, rows: list[dict], refs: dict[str, SourceRef]) -> list[FactCard]:
    """Fact cards from rows of (fact, role, property, value), sorted by first date then English label."""
    cards: dict[str, FactCard] = {}
    pairs: dict[str, list] = {}
    for row in rows:
        iri = row["fact"]["value"]
        card = cards.get(iri)
        if card is None:
            card = cards[iri] = FactCard(describer.term(row["fact"]), describer.term(row.get("role")))
            pairs[iri] = []
        _add_to_card(describer, card, pairs[iri], row["property"]["value"], row["value"], refs)
    for iri, card in cards.items():
        card.roles = group_values(pairs[iri])
    return sorted(cards.values(), key=lambda c: c.sort_key)


def _add_to_card(describer: Describer, card: FactCard, pairs: list, prop: str, cell: dict, refs: dict) -> None:
    value = describer.term(cell)
    if prop == RDF_TYPE:
        card.classes.append(value)
    elif prop == RDFS_LABEL:
        card.labels.setdefault("zh" if value.lang.startswith("zh") else value.lang or "und", value.value)
    elif prop == str(RAKG.quote):
        card.quotes.append(value.value)
    elif prop == str(RAKG.note):
        card.notes.append(value)
    elif prop in DATE_TEXTS:
        card.date_text.append(value.value)
    elif prop in DATE_PROPERTIES:
        card.dates.append((describer.iri(prop), value))
    elif prop in SOURCE_PROPERTIES:
        ref = refs.get(value.value) or SourceRef(value, value.value.rsplit("/", 1)[-1])
        (card.footnotes if ref.is_footnote else card.passages).append(ref)
    else:
        pairs.append((describer.iri(prop), value))


# --- marking quotes in a passage --------------------------------------------------------------------


def mark_quotes(text: str, quotes: list[str]) -> list[tuple[str, bool]]:
    """The text cut into (segment, is_quoted) pieces; a quote matches ignoring blanks and Unicode form.

    >>> mark_quotes("ab cd ef", ["cdef"])
    [('ab ', False), ('cd ef', True)]
    """
    chars, positions = [], []
    for index, char in enumerate(text):
        for folded in unicodedata.normalize("NFC", char):
            if not folded.isspace():
                chars.append(folded)
                positions.append(index)
    compact = "".join(chars)
    marked = [False] * len(text)
    for quote in quotes:
        needle = re.sub(r"\s+", "", unicodedata.normalize("NFC", quote))
        start = compact.find(needle) if needle else -1
        while start >= 0:
            for i in range(positions[start], positions[start + len(needle) - 1] + 1):
                marked[i] = True
            start = compact.find(needle, start + len(needle))
    pieces: list[tuple[str, bool]] = []
    for char, flag in zip(text, marked):
        if pieces and pieces[-1][1] == flag:
            pieces[-1] = (pieces[-1][0] + char, flag)
        else:
            pieces.append((char, flag))
    return pieces
