"""Describe the source chapter in RDF: the chapter, its sections, passages and footnotes.

``data/sources/chapter.ttl`` is generated from the chapter text by :func:`chapter_graph`
(``rakg sources`` rewrites it; a test checks it is up to date).  The footnotes'
bibliographic details are curated by hand in ``data/sources/footnotes.ttl``.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from ..namespaces import RAKG, SRC
from .chapter import Chapter, read_chapter

CHAPTER_IRI = SRC["chapter4"]
CHAPTER_TITLE_EN = "Chapter 4: Russia and ASEAN"

# English titles of the chapter's headed sections, by locator.
SECTION_TITLES_EN = {
    "s1": "Section 1: The development of Soviet–ASEAN relations",
    "s1-1": "Period 1: Mutual suspicion and hostility (ASEAN's founding to the early 1970s)",
    "s1-2": "Period 2: Confrontation and conflict (mid to late 1970s)",
    "s1-3": "Period 3: International détente and adjustment (early 1980s to the 1990s)",
    "s1-4": "Period 4: Full diplomatic relations and normalisation (1990s to the dissolution of the USSR)",
    "s2": "Section 2: Russia–ASEAN relations",
    "s2-1": "Part 1: Political relations",
    "s2-1-1": "Political dialogue mechanisms built before the 21st century",
    "s2-1-2": "Towards a comprehensive partnership in the early 21st century",
    "s2-2": "Part 2: Economic and trade relations",
    "s2-2-1": "Bilateral trade and investment cooperation",
    "s2-2-1-1": "Bilateral trade volume",
    "s2-2-1-2": "Bilateral investment cooperation",
    "s2-2-1-2-1": "Energy cooperation",
    "s2-2-1-2-2": "Other cooperation",
    "s2-2-2": "Russia's main measures to develop economic cooperation with ASEAN",
    "s2-2-2-1": "All-round relations as the basis of economic cooperation",
    "s2-2-2-2": "Joint working groups for trade, investment and science",
    "s2-2-2-3": "Human resources, tourism and education",
    "s2-3": "Part 3: Military and security relations",
    "s2-3-1": "Arms trade and military-security cooperation",
    "s2-3-2": "Counter-terrorism cooperation",
    "s2-3-2-1": "Counter-terrorism cooperation with the Philippines",
    "s2-3-2-2": "Counter-terrorism cooperation with Singapore",
    "s2-3-2-3": "Counter-terrorism cooperation with Brunei",
    "s3": "Section 3: Conclusion",
}


def passage_iri(locator: str) -> URIRef:
    """IRI of a passage or section by its locator.

    >>> passage_iri("s1-3-p6")
    rdflib.term.URIRef('https://w3id.org/rakg/source/s1-3-p6')
    """
    return SRC[locator]


def footnote_iri(number: int) -> URIRef:
    """IRI of footnote ``number``.

    >>> footnote_iri(22)
    rdflib.term.URIRef('https://w3id.org/rakg/source/footnote-22')
    """
    return SRC[f"footnote-{number}"]


def chapter_graph(chapter: Chapter) -> Graph:
    """Return the RDF description of a parsed chapter."""
    graph = Graph()
    add = graph.add
    add((CHAPTER_IRI, RDF.type, RAKG.Chapter))
    add((CHAPTER_IRI, RDFS.label, Literal(CHAPTER_TITLE_EN, lang="en")))
    add((CHAPTER_IRI, RDFS.label, Literal(chapter.title, lang="zh-Hant")))
    add((CHAPTER_IRI, DCTERMS.language, Literal("zh-Hant")))
    for section in chapter.sections:
        iri = passage_iri(section.locator)
        add((iri, RDF.type, RAKG.Section))
        add((iri, RDFS.label, Literal(SECTION_TITLES_EN[section.locator], lang="en")))
        add((iri, RDFS.label, Literal(section.heading, lang="zh-Hant")))
        add((iri, RAKG.heading, Literal(section.heading)))
        add((iri, RAKG.locator, Literal(section.locator)))
        add((iri, RAKG.startLine, Literal(section.line)))
        add((iri, RAKG.inChapter, CHAPTER_IRI))
        if section.parent:
            add((iri, RAKG.parentSection, passage_iri(section.parent)))
    for passage in chapter.passages:
        iri = passage_iri(passage.locator)
        _add_part(graph, iri, RAKG.Passage, (f"Passage {passage.locator}", f"段落 {passage.locator}"), passage.text, passage.lines)
        graph.add((iri, RAKG.locator, Literal(passage.locator)))
        graph.add((iri, RAKG.inSection, _section_of(passage.section)))
        if passage.number:
            graph.add((iri, RAKG.ordinal, Literal(passage.number)))
    for footnote in chapter.footnotes:
        iri = footnote_iri(footnote.number)
        _add_part(graph, iri, RAKG.Footnote, (f"Footnote {footnote.number}", f"註 {footnote.number}"), footnote.text, footnote.lines)
        graph.add((iri, RAKG.ordinal, Literal(footnote.number)))
        graph.add((iri, RAKG.inChapter, CHAPTER_IRI))
        if footnote.called_from:
            graph.add((iri, RAKG.calledFrom, passage_iri(footnote.called_from)))
    return graph


def _add_part(graph: Graph, iri: URIRef, kind: URIRef, labels: tuple[str, str], text: str, lines: list[int]) -> None:
    """The triples every passage and footnote has: type, labels, text and line range."""
    graph.add((iri, RDF.type, kind))
    graph.add((iri, RDFS.label, Literal(labels[0], lang="en")))
    graph.add((iri, RDFS.label, Literal(labels[1], lang="zh-Hant")))
    graph.add((iri, RAKG.text, Literal(text)))
    graph.add((iri, RAKG.startLine, Literal(lines[0])))
    graph.add((iri, RAKG.endLine, Literal(lines[-1])))


def _section_of(locator: str) -> URIRef:
    # The introduction before 第一節 has no heading of its own.
    return passage_iri(locator) if locator != "s0" else SRC["s0"]


def intro_section(graph: Graph) -> None:
    """Add the headingless introduction as section s0."""
    iri = SRC["s0"]
    graph.add((iri, RDF.type, RAKG.Section))
    graph.add((iri, RDFS.label, Literal("Introduction", lang="en")))
    graph.add((iri, RDFS.label, Literal("前言", lang="zh-Hant")))
    graph.add((iri, RAKG.locator, Literal("s0")))
    graph.add((iri, RAKG.inChapter, CHAPTER_IRI))
    graph.add((iri, RAKG.startLine, Literal(3, datatype=XSD.integer)))


def build_sources_graph(chapter_path: Path) -> Graph:
    """Read the chapter file and return its full source description."""
    graph = chapter_graph(read_chapter(chapter_path))
    intro_section(graph)
    return graph
