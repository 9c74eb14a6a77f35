"""The query engine: the only module that imports pyoxigraph.

Verbs: :func:`load` (fill a store from files), :meth:`GraphStore.query`,
:meth:`GraphStore.update` (always refused: the service is read-only) and
:meth:`GraphStore.dump_format`.  The default graph of a query is the union of the
asserted named graphs; ``include_inferred`` adds ``graph/inferred``.

>>> s = GraphStore.from_text('<https://w3id.org/rakg/id/state/russia> <http://www.w3.org/2000/01/rdf-schema#label> "Russia"@en <https://w3id.org/rakg/graph/x> .', "nquads")
>>> [row["l"].value for row in s.query("SELECT ?l WHERE { ?s ?p ?l }")]
['Russia']
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
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


class GraphStore:
    """A read-only SPARQL store over one dataset."""

    def __init__(self, store: ox.Store):
        self._store = store
        self.inferred = ox.NamedNode(str(INFERRED_GRAPH))
        self._copied = 0  # quads of the asserted graphs copied into the default graph (materialize_default_graph)

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
        the list; so do on-disk stores, which are opened read-only (:func:`open_store` copies in memory only).
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


@dataclass
class Answer:
    """A serialized query result."""

    body: bytes
    format: str
    rows: int
    truncated: bool
    seconds: float = 0.0  # the engine's time for the query and its serialization (set by executor.execute)
    inline: bool = False  # run in the request thread, not in a query worker (set by executor.QueryPool.run)
    federated: bool = False  # its query called SERVICE endpoints: never cached, never run inline (set by executor.execute)
    limit: str = ""  # the limit that cut it: 'limit=N' (rows) or 'bytes=N', empty when whole
    plan: object = None  # what the query's run taught (executor.Plan), for the memo of cheap queries


GRAPH_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "jsonld": ox.RdfFormat.JSON_LD,
    "nquads": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
}
SOLUTION_FORMATS = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML, "csv": ox.QueryResultsFormat.CSV}


def serialize(result, fmt: str, max_rows: int, max_bytes: int = 0) -> Answer:
    """Serialize a query result in format ``fmt`` (a key of protocol.MEDIA_TYPES), cutting it at ``max_rows`` rows
    and, when ``max_bytes`` is set, at the last whole row within that many bytes (``Answer.limit`` says which cut).

    Solutions are written by the engine (Rust): first as TSV, where every solution is one line (newlines in
    literals are escaped), so that the rows are counted and cut without a Python object per term; a TSV answer
    is sent as it is, other formats are parsed back from it and written by the engine again (and cut again, by
    the same proportion, if the other format is longer than ``max_bytes``).
    """
    if isinstance(result, ox.QueryBoolean):
        return Answer(_boolean(bool(result), fmt), fmt, 1, False)
    if not isinstance(result, ox.QuerySolutions):
        triples = list(itertools.islice(result, max_rows + 1))
        limit = f"limit={max_rows}" if len(triples) > max_rows else ""
        triples = triples[:max_rows]
        body = _graph(triples, fmt)
        while max_bytes and len(body) > max_bytes:
            triples, limit = triples[: int(len(triples) * max_bytes / len(body) * 0.9)], f"bytes={max_bytes}"
            body = _graph(triples, fmt)
        return Answer(body, fmt, len(triples), bool(limit), limit=limit)
    lines = _LineLimit(max_rows + 1, max_bytes)  # the header line and max_rows solutions
    try:
        result.serialize(lines, format=ox.QueryResultsFormat.TSV)
    except _LineLimit.Full:
        pass
    tsv = lines.text()
    rows, limit = tsv.count(b"\n") - 1, lines.cut
    body = tsv if fmt == "tsv" else _solutions(tsv, fmt)
    while max_bytes and len(body) > max_bytes and rows > 0:
        rows, limit = int(rows * max_bytes / len(body) * 0.9), f"bytes={max_bytes}"
        tsv = _first_lines(tsv, rows + 1)
        body = tsv if fmt == "tsv" else _solutions(tsv, fmt)
    if limit and fmt == "json":
        body = body[:-1] + b',"truncated":true}'
    elif limit and fmt == "xml":
        body = body.replace(b"</head>", b'<link href="urn:rakg:truncated"/></head>', 1)
    return Answer(body, fmt, rows, bool(limit), limit=limit)


def _graph(triples: list, fmt: str) -> bytes:
    if fmt in ("nquads", "trig"):
        triples = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
    return ox.serialize(triples, format=GRAPH_FORMATS[fmt], prefixes=used_prefixes(triples) if fmt in ("turtle", "trig") else None)


def _solutions(tsv: bytes, fmt: str) -> bytes:
    return ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV).serialize(format=SOLUTION_FORMATS[fmt])


def _first_lines(data: bytes, count: int) -> bytes:
    """The first ``count`` lines of ``data`` (a line ends at b'\\n' only: TSV escapes other breaks inside values)."""
    end = -1
    for _ in range(count):
        end = data.find(b"\n", end + 1)
        if end < 0:
            return data
    return data[: end + 1]


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


class _LineLimit:
    """A binary writer that keeps what is written to it until it holds more than ``limit`` lines or ``max_bytes``
    bytes, then stops the writing with ``Full``; :meth:`text` is what was written, cut after the last line within
    both (``cut`` says which limit cut it: 'limit=N' for rows, 'bytes=N')."""

    class Full(Exception):
        pass

    def __init__(self, limit: int, max_bytes: int = 0):
        self.limit, self.max_bytes, self.lines, self.size, self.chunks, self.cut = limit, max_bytes, 0, 0, [], ""

    def write(self, chunk: bytes) -> int:
        self.chunks.append(bytes(chunk))
        self.lines += self.chunks[-1].count(b"\n")
        self.size += len(chunk)
        if self.lines > self.limit:
            self.cut = f"limit={self.limit - 1}"
        elif self.max_bytes and self.size > self.max_bytes:
            self.cut = f"bytes={self.max_bytes}"
        if self.cut:
            raise self.Full
        return len(chunk)

    def flush(self) -> None:
        pass

    def text(self) -> bytes:
        data = b"".join(self.chunks)
        if not self.cut:
            return data
        if self.cut.startswith("bytes"):
            return data[: data.rfind(b"\n", 0, self.max_bytes) + 1]
        return _first_lines(data, self.limit)


def _boolean(value: bool, fmt: str) -> bytes:
    if fmt == "xml":
        return ('<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
                f"<boolean>{'true' if value else 'false'}</boolean></sparql>").encode()
    if fmt in ("csv", "tsv"):
        return (("_askResult\r\n" if fmt == "csv" else "?_askResult\n") + ("true" if value else "false") + "\n").encode()
    return json.dumps({"head": {}, "boolean": value}).encode()


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
    store._store.flush()
    store._store.optimize()
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


def load_into(endpoint: str, nquads: str, timeout: float = 600.0) -> int:
    """Replace each named graph of an external store (Graph Store Protocol PUT ?graph=) with the graphs of an N-Quads text;
    returns the number of graphs sent.

    Raises DataError naming the graph when the store refuses it.
    """
    import urllib.error
    import urllib.parse
    import urllib.request

    graphs: dict[str, list[str]] = {}
    for line in nquads.splitlines():
        head, _, graph = line.rstrip(" .").rpartition(" <")
        graphs.setdefault(graph.rstrip(">"), []).append(head + " .")
    for graph, lines in graphs.items():
        url = f"{endpoint}?{urllib.parse.urlencode({'graph': graph})}"
        request = urllib.request.Request(url, data="\n".join(lines).encode("utf-8"), method="PUT",
                                         headers={"Content-Type": "application/n-triples"})
        try:
            with urllib.request.urlopen(request, timeout=timeout):
                pass
        except urllib.error.URLError as error:
            raise DataError(f"the store refused graph <{graph}>: {error}", where=endpoint) from error
    return len(graphs)


def open_store(spec):
    """Open the store an executor.StoreSpec describes: an external endpoint, an on-disk store read-only,
    or files loaded into memory."""
    if spec.location and spec.location.startswith(("http://", "https://")):
        return RemoteStore(spec.location)
    if spec.location:
        return GraphStore(ox.Store.read_only(spec.location))
    store = load([Path(f) for f in spec.files])
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
