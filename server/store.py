"""The query engine: the only module that imports pyoxigraph.

Verbs: :func:`load` (fill a store from files), :meth:`GraphStore.query`,
:meth:`GraphStore.update` (always refused: the service is read-only) and
:meth:`GraphStore.dump`.  The default graph of a query is the union of the
asserted named graphs; ``include_inferred`` adds ``graph/inferred``.

>>> s = GraphStore.from_text('<https://w3id.org/rakg/id/state/russia> <http://www.w3.org/2000/01/rdf-schema#label> "Russia"@en <https://w3id.org/rakg/graph/x> .', "nquads")
>>> [row["l"].value for row in s.query("SELECT ?l WHERE { ?s ?p ?l }")]
['Russia']
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from .errors import DataError, Forbidden, QueryError
from .namespaces import INFERRED_GRAPH, PREFIXES

FORMATS = {
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".ttl": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
}
TEXT_FORMATS = {"nquads": ox.RdfFormat.N_QUADS, "turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES}
QUERY_PREFIXES = {prefix: str(ns) for prefix, ns in PREFIXES.items()}


class GraphStore:
    """A read-only SPARQL store over one dataset."""

    def __init__(self, store: ox.Store):
        self._store = store
        self.inferred = ox.NamedNode(str(INFERRED_GRAPH))

    @classmethod
    def from_text(cls, text: str, fmt: str) -> GraphStore:
        store = ox.Store()
        store.load(text.encode("utf-8"), format=TEXT_FORMATS[fmt])
        return cls(store)

    def asserted_graphs(self) -> list:
        return [g for g in self._store.named_graphs() if g != self.inferred]

    def default_graph(self, include_inferred: bool = False) -> list:
        graphs = self.asserted_graphs() + [ox.DefaultGraph()]
        if include_inferred:
            graphs.append(self.inferred)
        return graphs

    def query(self, sparql: str, include_inferred: bool = False, default_graph_uris=(), named_graph_uris=()):
        """Run a SPARQL query; the project prefixes are predeclared.

        Raises QueryError (with line and column where the parser gives them) for a syntax error.
        """
        options = {"prefixes": QUERY_PREFIXES}
        if default_graph_uris:
            options["default_graph"] = [ox.NamedNode(u) for u in default_graph_uris]
        else:
            options["default_graph"] = self.default_graph(include_inferred)
        if named_graph_uris:
            options["named_graphs"] = [ox.NamedNode(u) for u in named_graph_uris]
        try:
            return self._store.query(sparql, **options)
        except SyntaxError as exc:
            raise QueryError(f"SPARQL syntax error: {exc}", where=_position(str(exc))) from exc
        except ValueError as exc:
            raise QueryError(f"invalid request: {exc}") from exc

    def update(self, sparql: str) -> None:
        """Refuse: this service is read-only.

        Raises Forbidden always.
        """
        raise Forbidden("this endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, ADD, MOVE, COPY) is not accepted")

    def add_triples(self, triples, graph: str | None = None) -> None:
        """Add rdflib triples to ``graph`` (the default graph when None); used by the reasoner, never by requests."""
        target = ox.NamedNode(graph) if graph else ox.DefaultGraph()
        for s, p, o in triples:
            self._store.add(ox.Quad(_term(s), _term(p), _term(o), target))

    def dump(self, fmt: ox.RdfFormat = ox.RdfFormat.N_QUADS) -> bytes:
        return self._store.dump(format=fmt)

    def __len__(self) -> int:
        return len(self._store)


def _term(term):
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"not an RDF term: {term!r}")


def _position(message: str) -> str | None:
    import re

    match = re.search(r"(\d+):(\d+)", message)
    return f"line {match.group(1)}, column {match.group(2)}" if match else None


def load(paths: list[Path], directory: Path | None = None) -> GraphStore:
    """A store filled from RDF files (N-Quads and TriG keep their named graphs; other formats go into a graph named after the file).

    ``directory`` makes an on-disk store there; otherwise the store lives in memory.
    Raises DataError naming the file when a file cannot be read.
    """
    store = ox.Store(str(directory)) if directory else ox.Store()
    for path in paths:
        fmt = FORMATS.get(path.suffix.lower())
        if fmt is None:
            raise DataError(f"unknown RDF file type {path.suffix!r}", where=str(path))
        graph = None if fmt in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG) else ox.NamedNode(path.resolve().as_uri())
        try:
            store.bulk_load(path=str(path), format=fmt, to_graph=graph) if graph else store.bulk_load(path=str(path), format=fmt)
        except (SyntaxError, ValueError, OSError) as exc:
            raise DataError(f"cannot load: {exc}", where=str(path)) from exc
    return GraphStore(store)
