"""Reading and writing RDF files: the one canonical Turtle serializer and a parser with located errors.

Every Turtle file in the repository is written by :func:`canonical_turtle`, so a
reformatted file differs from the committed one only if its triples differ.

>>> from rdflib import Graph, Literal, URIRef
>>> g = Graph(); _ = g.add((URIRef("https://w3id.org/rakg/id/state/russia"), URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal("Russia", lang="en")))
>>> print(canonical_turtle(g).splitlines()[-3])
    rdfs:label "Russia"@en ;
"""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Graph

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


def canonical_turtle(graph: Graph) -> str:
    """Serialise a graph as sorted, prefixed Turtle (rdflib's longturtle), the project's one format."""
    out = Graph()
    bind_all(out)
    for triple in graph:
        out.add(triple)
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
