"""The canonical serializations: Turtle for every source file, sorted N-Quads for every build.

Every Turtle file in the repository is written by :func:`canonical_turtle`, so a reformatted file differs from the
committed one only if its triples differ; every build's dump is :func:`canonical_nquads` (sorted lines, blank
nodes labelled from their content), so building twice gives the same bytes.

>>> from rdflib import Graph, Literal, URIRef
>>> g = Graph(); _ = g.add((URIRef("https://w3id.org/rakg/id/state/russia"), URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal("Russia", lang="en")))
>>> canonical_turtle(g).splitlines()[-3:]
['state:russia', '    rdfs:label "Russia"@en ;', '.']
>>> print(canonical_nquads({URIRef("https://w3id.org/rakg/graph/x"): g}), end="")
<https://w3id.org/rakg/id/state/russia> <http://www.w3.org/2000/01/rdf-schema#label> "Russia"@en <https://w3id.org/rakg/graph/x> .
"""

from __future__ import annotations

import hashlib
import re

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import XSD

from .namespaces import bind_all

XSD_STRING = str(XSD.string)


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


def canonical_nquads(graphs) -> str:
    """Sorted N-Quads with content-derived blank node labels.

    ``graphs`` maps graph IRIs to rdflib graphs; an rdflib Dataset is accepted too.
    """
    if isinstance(graphs, Dataset):
        graphs = {c.identifier: c for c in graphs.graphs() if isinstance(c.identifier, URIRef)}
    return nquads_text(quad_lines(graphs))


def nquads_text(lines: set[str]) -> str:
    return "\n".join(sorted(lines)) + "\n"


def quad_lines(graphs: dict) -> set[str]:
    """The N-Quads lines of rdflib graphs (graph IRI -> graph), blank nodes labelled from their content."""
    lines = set()
    for name, graph in graphs.items():
        labels = {}
        for triple in graph:
            terms = []
            for term in triple:
                if isinstance(term, BNode):
                    if term not in labels:
                        labels[term] = "_:b" + skolem_id(graph, term)
                    terms.append(labels[term])
                else:
                    terms.append(_n3(term))
            lines.add(f"{' '.join(terms)} <{name}> .")
    return lines


def _n3(term) -> str:
    """N-Triples form of an rdflib IRI or literal (one line, escaped)."""
    if not isinstance(term, Literal):
        return f"<{term}>"
    return literal_n3(str(term), term.language, term.datatype)


def literal_n3(text: str, language: str | None, datatype) -> str:
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    if language:
        return f'"{text}"@{language}'
    if datatype and str(datatype) != XSD_STRING:
        return f'"{text}"^^<{datatype}>'
    return f'"{text}"'
