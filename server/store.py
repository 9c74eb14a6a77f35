"""The query engine: the only module that imports pyoxigraph.

Verbs: :func:`load` (fill a store from files), :meth:`GraphStore.query`,
:meth:`GraphStore.update` (always refused: the service is read-only) and
:meth:`GraphStore.dump_format`.  The default graph of a query is the union of the
asserted named graphs; ``include_inferred`` adds ``graph/inferred``.  Results are
written by the engine (:func:`write_solutions`, :func:`write_graph`), which
server/answers.py uses to cut them at their limits; :class:`RemoteStore` has the same
verbs over an external SPARQL endpoint.

>>> s = GraphStore.from_text('<https://w3id.org/rakg/id/state/russia> <http://www.w3.org/2000/01/rdf-schema#label> "Russia"@en <https://w3id.org/rakg/graph/x> .', "nquads")
>>> [row["l"].value for row in s.query("SELECT ?l WHERE { ?s ?p ?l }")]
['Russia']
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from .errors import DataError, Forbidden, NotAcceptable, QueryError
from .namespaces import INFERRED_GRAPH, PREFIXES
from .protocol import query_form, undeclared_prefix, unknown_prefix

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
PARSE_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES, "nquads": ox.RdfFormat.N_QUADS,
                 "trig": ox.RdfFormat.TRIG, "xml": ox.RdfFormat.RDF_XML, "json-ld": ox.RdfFormat.JSON_LD}
TEXT_FORMATS = {"nquads": ox.RdfFormat.N_QUADS, "turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES}
QUERY_PREFIXES = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
DEFAULT_COPY = "DEFAULT_COPY"  # in an on-disk store's folder: how many quads materialize_default_graph copied


class GraphStore:
    """A read-only SPARQL store over one dataset."""

    def __init__(self, store: ox.Store, copied: int = 0):
        self._store = store
        self.inferred = ox.NamedNode(str(INFERRED_GRAPH))
        self._copied = copied  # quads of the asserted graphs copied into the default graph (materialize_default_graph)

    @classmethod
    def from_text(cls, text: str, fmt: str) -> GraphStore:
        store = ox.Store()
        store.load(text.encode("utf-8"), format=TEXT_FORMATS[fmt])
        return cls(store)

    @classmethod
    def from_graphs(cls, *graphs) -> GraphStore:
        """A store holding the triples of rdflib graphs (in its default graph)."""
        return cls.from_text("".join(graph.serialize(format="nt") for graph in graphs), "ntriples")

    def asserted_graphs(self) -> list:
        return [g for g in self._store.named_graphs() if g != self.inferred]

    def default_graph(self, include_inferred: bool = False) -> list:
        graphs = [ox.DefaultGraph()] if self._copied else self.asserted_graphs() + [ox.DefaultGraph()]
        if include_inferred:
            graphs.append(self.inferred)
        return graphs

    def materialize_default_graph(self) -> None:
        """Copy the asserted named graphs into the store's (empty) default graph, so that a query's default graph is
        one graph, not a list of graphs that the engine scans one by one (2–10× faster on the named queries:
        ``python -m bench.engine``, modes 'graphs' and 'copy').  The copy is hidden: dumps and counts leave it
        out, and GRAPH ?g never sees the default graph.  A store whose data has a default graph of its own keeps
        the list.  An on-disk store is copied when it is prepared (:func:`prepare_disk_store`), since it is then
        opened read-only.
        """
        if next(self._store.quads_for_pattern(None, None, None, ox.DefaultGraph()), None) is not None:
            return  # already copied, or the data has a default graph of its own
        before = len(self._store)
        for graph in self.asserted_graphs():
            if isinstance(graph, ox.NamedNode):
                self._store.update(f"ADD <{graph.value}> TO DEFAULT")
            else:
                self._store.extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
                                   for q in self._store.quads_for_pattern(None, None, None, graph))
        self._copied = len(self._store) - before

    def _quads(self):
        """Every quad of the data (without the hidden copy of the default graph)."""
        if not self._copied:
            return iter(self._store)
        return (q for q in self._store if not isinstance(q.graph_name, ox.DefaultGraph))

    def query(self, sparql: str, include_inferred: bool = False, default_graph_uris=(), named_graph_uris=(), bindings=None,
              base_iri: str | None = None, prefixes: dict[str, str] | None = None):
        """Run a SPARQL query; the project prefixes (or ``prefixes``) are predeclared, and relative IRIs resolve against ``base_iri``
        (the endpoint gives the request's URL, as the SPARQL Protocol says) or a BASE of the query.

        ``bindings`` maps variable names to IRIs substituted before evaluation
        (e.g. ``{"entity": "https://w3id.org/rakg/id/state/russia"}``).
        Raises QueryError (with line and column where the parser gives them) for a syntax error, naming the
        first prefix that is not declared when there is one before the error.
        """
        options = {"prefixes": QUERY_PREFIXES if prefixes is None else prefixes, "base_iri": base_iri}
        if bindings:
            options["substitutions"] = {ox.Variable(k): ox.NamedNode(v) for k, v in bindings.items()}
        if default_graph_uris:
            options["default_graph"] = [ox.NamedNode(u) for u in default_graph_uris]
        else:
            options["default_graph"] = self.default_graph(include_inferred)
        if named_graph_uris:
            options["named_graphs"] = [ox.NamedNode(u) for u in named_graph_uris]
        try:
            return self._store.query(sparql, **options)
        except SyntaxError as exc:
            raise syntax_error(sparql, str(exc)) from exc
        except ValueError as exc:
            raise QueryError(f"invalid request: {exc}") from exc

    def update(self, sparql: str) -> None:
        """Refuse: this service is read-only.

        Raises Forbidden always.
        """
        raise Forbidden("this endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, ADD, MOVE, COPY) is not accepted")

    def statements(self, predicate: str | None = None) -> list:
        """The statements of the default graph (with ``predicate`` only, when given) as engine quads; used by the
        reasoner, whose store holds everything in its default graph, never by requests."""
        return list(self._store.quads_for_pattern(None, None if predicate is None else ox.NamedNode(predicate), None, ox.DefaultGraph()))

    def add(self, statements) -> None:
        """Add statements made by :func:`statement` (quads in the default graph); used by the reasoner."""
        self._store.extend(statements)

    def dump_format(self, key: str) -> bytes:
        """The whole store as bytes in a format of protocol.MEDIA_TYPES; graph-only formats merge the named graphs."""
        if key in ("nquads", "trig"):
            if not self._copied:
                return self._store.dump(format=GRAPH_FORMATS[key])
            return ox.serialize(self._quads(), format=GRAPH_FORMATS[key])
        triples = (ox.Triple(q.subject, q.predicate, q.object) for q in self._quads())
        return ox.serialize(triples, format=GRAPH_FORMATS[key], prefixes=QUERY_PREFIXES if key == "turtle" else None)

    def __len__(self) -> int:
        return len(self._store) - self._copied


GRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
}
SOLUTION_FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML, "csv": ox.QueryResultsFormat.CSV,
                    "tsv": ox.QueryResultsFormat.TSV}


def result_kind(result) -> str:
    """What a query gave: 'boolean' (ASK), 'solutions' (SELECT) or 'graph' (CONSTRUCT, DESCRIBE: its triples)."""
    if isinstance(result, ox.QueryBoolean):
        return "boolean"
    return "solutions" if isinstance(result, ox.QuerySolutions) else "graph"


def write_solutions(solutions, out, fmt: str) -> None:
    """Write SELECT solutions in a format of SOLUTION_FORMATS to ``out`` (a binary writer), as the engine does."""
    solutions.serialize(out, format=SOLUTION_FORMATS[fmt])


def solutions_bytes(solutions, fmt: str) -> bytes:
    """SELECT solutions in a format of SOLUTION_FORMATS, written by the engine in one call (it releases the GIL)."""
    return solutions.serialize(format=SOLUTION_FORMATS[fmt])


def convert_solutions(data: bytes, source: str, fmt: str) -> bytes:
    """Solutions written in format ``source`` rewritten in format ``fmt`` (both of SOLUTION_FORMATS), by the engine."""
    return ox.parse_query_results(data, format=SOLUTION_FORMATS[source]).serialize(format=SOLUTION_FORMATS[fmt])


def write_graph(triples: list, fmt: str) -> bytes:
    """Triples in a format of GRAPH_FORMATS (in the default graph for N-Quads and TriG; Turtle and TriG declare the
    project prefixes they use)."""
    if fmt in ("nquads", "trig"):
        triples = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
    return ox.serialize(triples, format=GRAPH_FORMATS[fmt], prefixes=used_prefixes(triples) if fmt in ("turtle", "trig") else None)


_PREFIX_OF_NAMESPACE = {namespace: prefix for prefix, namespace in QUERY_PREFIXES.items()}


def used_prefixes(statements) -> dict[str, str]:
    """The project prefixes that name the namespace (the IRI up to its last '/' or '#') of an IRI or datatype of the
    statements, so that a Turtle answer declares those it uses rather than all of them."""
    used = {}
    for statement in statements:
        for term in (statement.subject, statement.predicate, statement.object):
            if isinstance(term, ox.Literal) and not term.language and term.datatype.value != XSD_STRING:
                term = term.datatype
            if isinstance(term, ox.NamedNode):
                value = term.value
                prefix = _PREFIX_OF_NAMESPACE.get(value[:max(value.rfind("/"), value.rfind("#")) + 1])
                if prefix is not None:
                    used[prefix] = QUERY_PREFIXES[prefix]
    return used


def turtle_of_nquads(nquads: str) -> bytes:
    """The union of the graphs of a sorted N-Quads text as Turtle, in the same (deterministic) order."""
    triples = (ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(nquads.encode("utf-8"), format=ox.RdfFormat.N_QUADS))
    return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=QUERY_PREFIXES)


def iri(value: str):
    """An IRI as an engine term."""
    return ox.NamedNode(value)


def literal(value: str, datatype: str):
    """A typed literal as an engine term."""
    return ox.Literal(value, datatype=ox.NamedNode(datatype))


def statement(subject, predicate, obj):
    """A statement of engine terms in the default graph (a hashable quad)."""
    return ox.Quad(subject, predicate, obj)


def is_literal(term) -> bool:
    return isinstance(term, ox.Literal)


def is_blank(term) -> bool:
    return isinstance(term, ox.BlankNode)


def to_rdflib(term):
    """The rdflib term of an engine term (rdflib is imported on first use: query workers never need it)."""
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value == XSD_STRING:
        return Literal(term.value)
    return Literal(term.value, datatype=URIRef(term.datatype.value))


def syntax_error(query: str, message: str) -> QueryError:
    """The error for the engine's syntax error ``message`` on ``query``: an unknown prefix where the query uses one
    before the place the engine stopped at (the engine's own words for it list the characters a name may hold),
    else the engine's message with its line and column.

    >>> syntax_error("SELECT * { ?s foo:bar ?o }", "error at 1:22: expected one of Prefix not found, ['%']").where
    'line 1, column 15'
    """
    import re

    match = re.search(r"(\d+):(\d+)", message)
    stopped = (int(match.group(1)), int(match.group(2))) if match else None
    unknown = undeclared_prefix(query, QUERY_PREFIXES)
    if unknown is not None and (stopped is None or unknown[1:] <= stopped):
        return unknown_prefix(*unknown, QUERY_PREFIXES)
    return QueryError(f"SPARQL syntax error: {message}", where=f"line {stopped[0]}, column {stopped[1]}" if stopped else None)


def typed_literals(path: Path, fmt: str):
    """The (lexical form, datatype IRI) of every literal object of an RDF file (``fmt``: a key of PARSE_FORMATS), read
    by the engine's parser, which is strict about syntax, IRIs and language tags and gives exact positions.

    Raises SyntaxError (with line and column) at the first syntax error, OSError when the file cannot be read.
    """
    for quad in ox.parse(path=path, format=PARSE_FORMATS[fmt], base_iri=path.resolve().as_uri()):
        if isinstance(quad.object, ox.Literal):
            yield quad.object.value, quad.object.datatype.value


def prepare_disk_store(directory: Path, files: list[Path]) -> None:
    """Fill an on-disk store at ``directory`` from ``files`` unless it already holds exactly those files
    (same paths, sizes and modification times, recorded in ``directory/SOURCES``).

    Raises DataError when a file cannot be loaded.
    """
    identity = "\n".join(f"{f.resolve()} {f.stat().st_size} {f.stat().st_mtime_ns}" for f in files)
    marker = directory / "SOURCES"
    if marker.exists() and marker.read_text(encoding="utf-8") == identity:
        return
    if directory.exists():
        import shutil

        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    store = load(files, directory)
    store.materialize_default_graph()
    store._store.flush()
    store._store.optimize()
    (directory / DEFAULT_COPY).write_text(str(store._copied), encoding="ascii")
    del store
    marker.write_text(identity, encoding="utf-8")


class RemoteStore:
    """The same verbs as GraphStore over an external SPARQL 1.1 endpoint (Oxigraph server, Fuseki, Virtuoso, QLever…).

    The default graph is the union of the endpoint's named graphs other than graph/inferred, sent as
    default-graph-uri parameters, exactly as the embedded store computes it.
    """

    def __init__(self, endpoint: str, timeout: float = 60.0):
        self.endpoint, self.timeout = endpoint, timeout
        self.inferred = ox.NamedNode(str(INFERRED_GRAPH))
        rows = self._request("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "application/sparql-results+json", [], [])
        self.graphs = [row["g"] for row in ox.parse_query_results(rows, format=ox.QueryResultsFormat.JSON)]

    def asserted_graphs(self) -> list:
        return [g for g in self.graphs if g != self.inferred]

    def query(self, sparql: str, include_inferred: bool = False, default_graph_uris=(), named_graph_uris=(), bindings=None,
              base_iri: str | None = None, prefixes: dict[str, str] | None = None):
        """Run the query remotely (with PREFIX lines for the project prefixes, or ``prefixes``); returns pyoxigraph
        results, so serialization is the same as for the embedded store.

        Raises QueryError with the endpoint's message when it refuses the query.
        """
        declared = QUERY_PREFIXES if prefixes is None else prefixes
        prologue = (f"BASE <{base_iri}>\n" if base_iri else "") + "".join(f"PREFIX {p}: <{n}>\n" for p, n in declared.items())
        text = prologue + sparql + "".join(f"\nVALUES ?{k} {{ <{v}> }}" for k, v in (bindings or {}).items())
        defaults = list(default_graph_uris) or [g.value for g in self.asserted_graphs()] + ([self.inferred.value] if include_inferred else [])
        if query_form(sparql) in ("select", "ask"):
            body = self._request(text, "application/sparql-results+json", defaults, list(named_graph_uris))
            return ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        body = self._request(text, "application/n-triples", defaults, list(named_graph_uris))
        return list(ox.parse(body, format=ox.RdfFormat.N_TRIPLES))

    def _request(self, query: str, accept: str, defaults: list, named: list) -> bytes:
        import urllib.error
        import urllib.parse
        import urllib.request

        fields = [("query", query)] + [("default-graph-uri", g) for g in defaults] + [("named-graph-uri", g) for g in named]
        request = urllib.request.Request(self.endpoint, data=urllib.parse.urlencode(fields).encode(), method="POST",
                                         headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            raise QueryError(f"the store refused the query: {error.read().decode(errors='replace')[:500]}", where=self.endpoint) from error
        except urllib.error.URLError as error:
            raise DataError(f"cannot reach the store: {error.reason}", where=self.endpoint) from error

    def dump_format(self, key: str) -> bytes:
        raise NotAcceptable("whole-dataset downloads come from the store itself when the service runs over an external store")

    def __len__(self) -> int:
        rows = self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(next(iter(rows))["n"].value)


def open_store(spec):
    """Open the store a web/jobs.StoreSpec describes: an external endpoint, an on-disk store read-only,
    or files loaded into memory."""
    if spec.location and spec.location.startswith(("http://", "https://")):
        return RemoteStore(spec.location)
    if spec.location:
        copy = Path(spec.location) / DEFAULT_COPY  # absent in a store prepared before the copy: the list form
        return GraphStore(ox.Store.read_only(spec.location), int(copy.read_text(encoding="ascii")) if copy.exists() else 0)
    return open_files(spec.files)


def open_files(paths) -> GraphStore:
    """RDF files loaded into memory, with the asserted graphs copied into the default graph (materialize_default_graph).

    Raises DataError naming the file when a file cannot be read.
    """
    store = load([Path(p) for p in paths])
    store.materialize_default_graph()
    return store


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
