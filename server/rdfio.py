"""Reading and writing RDF files: the one canonical Turtle serializer and a parser with located errors.

Every Turtle file in the repository is written by :func:`canonical_turtle`, so a
reformatted file differs from the committed one only if its triples differ.

>>> from rdflib import Graph, Literal, URIRef
>>> g = Graph(); _ = g.add((URIRef("https://w3id.org/rakg/id/state/russia"), URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal("Russia", lang="en")))
>>> canonical_turtle(g).splitlines()[-3:]
['state:russia', '    rdfs:label "Russia"@en ;', '.']
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from rdflib import BNode, Graph

from .errors import DataError
from .namespaces import bind_all

RDF_FORMATS = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".nq": "nquads",
    ".trig": "trig",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
    ".jsonld": "json-ld",
    ".json": "json-ld",
}


def _content_hash(graph: Graph, node: BNode, seen: frozenset) -> str:
    parts = []
    for p, o in sorted(graph.predicate_objects(node)):
        obj = _content_hash(graph, o, seen | {node}) if isinstance(o, BNode) and o not in seen else o.n3()
        parts.append(f"{p.n3()} {obj}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def skolem_id(graph: Graph, node: BNode, seen: frozenset = frozenset()) -> str:
    """A blank node identifier derived from the node's content and its first incoming edge, so identical
    inputs give identical output and identical sub-structures under different parents stay distinct."""
    incoming = []
    for subject, predicate in graph.subject_predicates(node):
        if isinstance(subject, BNode):
            parent = "cycle" if subject in seen else skolem_id(graph, subject, seen | {node})
        else:
            parent = subject.n3()
        incoming.append(f"{parent} {predicate.n3()}")
    key = (min(incoming) if incoming else "") + "|" + _content_hash(graph, node, frozenset({node}))
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _stable_labels(graph: Graph) -> dict:
    """Content-derived labels for every blank node; nodes that are indistinguishable get numbered suffixes,
    so relabelling never merges two nodes."""
    nodes = {t for triple in graph for t in triple if isinstance(t, BNode)}
    groups = {}
    for node in nodes:
        groups.setdefault(skolem_id(graph, node), []).append(node)
    labels = {}
    for key, members in groups.items():
        for index, node in enumerate(sorted(members)):
            labels[node] = BNode(f"b{key}" + (f"x{index}" if index else ""))
    return labels


def canonical_turtle(graph: Graph) -> str:
    """Serialise a graph as sorted, prefixed Turtle (rdflib's longturtle), the project's one format.

    Blank nodes are relabelled from their content first, so their order is stable.
    """
    out = Graph()
    bind_all(out)
    labels = _stable_labels(graph)

    def relabel(term):
        return labels.get(term, term)

    for s, p, o in graph:
        out.add((relabel(s), p, relabel(o)))
    text = out.serialize(format="longturtle")
    used = {m for m in re.findall(r"(?<![\w<\"])([A-Za-z][\w-]*):", text.split("\n\n", 1)[-1])}
    lines = [
        line
        for line in text.splitlines()
        if not line.startswith("PREFIX ") or line.split()[1].rstrip(":") in used
    ]
    return "\n".join(lines).strip() + "\n"


def parse_file(path: Path, graph: Graph | None = None, fmt: str | None = None) -> Graph:
    """Parse one RDF file into ``graph`` (a new Graph by default).

    Raises DataError naming the file, and the line when the parser reports one.
    """
    graph = graph if graph is not None else Graph()
    fmt = fmt or RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DataError(f"unknown RDF file type {path.suffix!r}", where=str(path))
    try:
        graph.parse(path, format=fmt)
    except Exception as exc:  # rdflib raises many parser-specific types
        raise DataError(f"cannot parse: {_first_line(exc)}", where=f"{path}{_line_of(exc)}") from exc
    return graph


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _line_of(exc: Exception) -> str:
    match = re.search(r"line (\d+)", str(exc))
    return f":{match.group(1)}" if match else ""
