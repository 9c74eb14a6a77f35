"""The running service's state: settings, query pool, in-process store, catalog, label index, and the service/VoID descriptions."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from flask import Response
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, XSD

from .. import protocol
from ..canonical import canonical_turtle
from ..catalog import load_catalog, results_json
from ..errors import ConfigError, NotAcceptable, RakgError
from ..namespaces import BASE, FACT_KINDS, GRAPH, INFERRED_GRAPH, PREFIXES, SD, VOID, bind_all
from ..settings import Settings
from ..store import GraphStore, open_store, prepare_disk_store
from .executor import QueryPool, query_memory
from .fairness import Accounts
from .federation import FederationProxy
from .jobs import StoreSpec, Wall

LICENSE = URIRef("https://creativecommons.org/licenses/by/4.0/")


def fold(text: str) -> str:
    """Fold text for label search: NFC (compatibility ideographs become unified), case and blanks ignored.

    >>> fold("東 協") == fold("東協") and fold("ASEAN") == fold("asean")
    True
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


@dataclass
class LabelIndex:
    """Every rdfs:label and skos:altLabel, folded, for search in any language and any character form."""

    entries: list[tuple[str, str, str, str]] = field(default_factory=list)  # (folded, iri, label, lang)
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # iri -> {lang: label}

    @classmethod
    def from_store(cls, store: GraphStore, query_text: str) -> LabelIndex:
        index = cls()
        for row in results_json(store.query(query_text))["results"]["bindings"]:
            iri, label, lang = row["entity"]["value"], row["label"]["value"], row["label"].get("xml:lang", "")
            index.entries.append((fold(label), iri, label, lang))
            if row["preferred"]["value"] == "true":
                index.names.setdefault(iri, {})[lang] = label
        return index

    def search(self, text: str, limit: int = 20) -> list[dict]:
        """Resources whose label contains ``text``, best first: entities before claims (facts, observations,
        discrepancies..., whose labels are sentences), then by how the label matches (the whole label, a whole word,
        the start of a word, anywhere), then shorter labels first.

        >>> index = LabelIndex([(fold(l), i, l, "en") for i, l in (
        ...     (BASE + "id/fact/x", "Putin visits Hanoi"), (BASE + "id/event/y", "Putin's first visit"),
        ...     (BASE + "id/person/z", "Vladimir Putin"))])
        >>> [hit["iri"].rsplit("/", 1)[-1] for hit in index.search("putin")]
        ['z', 'y', 'x']
        """
        needle = fold(text)
        ranked = {}
        for folded, iri, label, lang in self.entries:
            if needle in folded:
                key = (iri.startswith(CLAIM_PATHS), _match_rank(needle, folded, label), len(label))
                if iri not in ranked or key < ranked[iri][0]:
                    ranked[iri] = (key, label, lang)
        hits = sorted(ranked.items(), key=lambda item: (item[1][0], item[0]))[:limit]
        return [{"iri": iri, "matched": label, "lang": lang, "labels": self.names.get(iri, {})} for iri, (_, label, lang) in hits]


CLAIM_PATHS = tuple(f"{BASE}id/{kind}/" for kind in FACT_KINDS)


def _match_rank(needle: str, folded: str, label: str) -> int:
    """0: the whole label; 1: a whole word of it; 2: the start of the label or of a word; 3: elsewhere."""
    if folded == needle:
        return 0
    words = [fold(w) for w in re.split(r"[^\w]+", unicodedata.normalize("NFKC", label)) if w]
    if needle in words:
        return 1
    if folded.startswith(needle) or any(w.startswith(needle) for w in words):
        return 2
    return 3


class ResultCache:
    """Query results of this worker process, least recently used first out, bounded by entries and bytes."""

    def __init__(self, entries: int, max_bytes: int):
        self.entries, self.max_bytes, self.bytes = entries, max_bytes, 0
        self.items: OrderedDict[str, tuple] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key: str, value: tuple) -> None:
        size = len(value[0])
        if self.entries <= 0 or size > self.max_bytes:
            return
        with self.lock:
            if key in self.items:
                return
            self.items[key] = value
            self.bytes += size
            while len(self.items) > self.entries or self.bytes > self.max_bytes:
                _, old = self.items.popitem(last=False)
                self.bytes -= len(old[0])


class Service:
    """Everything a request needs, made once by create_app."""

    def __init__(self, settings: Settings, files: list[Path], build_dir: Path | None):
        self.settings = settings
        self.files = files
        self.build_dir = build_dir
        external = settings.store.startswith(("http://", "https://"))
        if settings.store != "memory" and not external:
            prepare_disk_store(Path(settings.store), files)
        spec = StoreSpec(files=tuple(str(f) for f in files), location=None if settings.store == "memory" else settings.store)
        self.store = open_store(spec)
        if external and settings.allowed_services:
            raise ConfigError("service_allowlist cannot be used with an external store: its engine, not ours, would make "
                              "the SERVICE calls", where="store")
        # The proxy gives up a little before the query's own limit, so that a slow endpoint is a 504, not a killed worker.
        self.federation = (FederationProxy(settings.allowed_services, settings.service_targets, settings.query_timeout * 0.8,
                                           settings.max_request_bytes) if settings.allowed_services else None)
        # Over an external store the workers must reach it, and its engine runs the queries: no wall (and no SERVICE).
        wall = Wall("off" if external else settings.network_isolation, tuple(settings.allowed_services),
                    self.federation and self.federation.path)
        self.accounts = Accounts(settings.client_budget, settings.max_client_queries)
        queries = settings.root_path / "queries"
        self.catalog = load_catalog(queries)
        # The queries over the whole store run before the fork: reading an in-memory store writes to its pages, so
        # a scan after the fork would give this process a private copy of them.
        self.labels = LabelIndex.from_store(self.store, (queries / "service" / "labels.rq").read_text(encoding="utf-8"))
        self.prefixes = {prefix: str(ns) for prefix, ns in PREFIXES.items()}
        self.cache = ResultCache(settings.cache_entries, settings.cache_bytes)
        self.content_hash = _content_hash(files, settings.store)
        self.descriptions = {"service": self._service_description(), "void": self._void(queries / "service")}
        # Forks the query workers' zygote: no thread may have started in this process before.
        self.pool = QueryPool(spec, self.store, size=max(1, settings.workers), timeout=settings.query_timeout,
                              memory=query_memory(settings), inline_seconds=settings.inline_seconds, wall=wall,
                              accounts=self.accounts, retire_bytes=settings.worker_retire_mb << 20)
        if self.federation:
            self.federation.start()

    def close(self) -> None:
        self.pool.close()
        if self.federation:
            self.federation.close()

    # --- descriptions ---------------------------------------------------------

    def _service_description(self) -> Graph:
        g = Graph()
        bind_all(g)
        service, dataset, default = URIRef(BASE + "sparql"), BNode("dataset"), BNode("default")
        g.add((service, RDF.type, SD.Service))
        g.add((service, SD.endpoint, service))
        g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
        for key in protocol.MEDIA_TYPES:
            g.add((service, SD.resultFormat, URIRef(_format_iri(key))))
        g.add((service, SD.defaultDataset, dataset))
        g.add((dataset, RDF.type, SD.Dataset))
        g.add((dataset, SD.defaultGraph, default))
        g.add((default, RDF.type, SD.Graph))
        g.add((default, RDFS.comment, Literal(
            "The default graph is the union of the asserted named graphs (ontology, chapter facts, entities, sources, "
            "background, Wikidata links); graph/inferred is added with the request parameter inferred=true.", lang="en")))
        g.add((service, RDFS.comment, Literal(
            f"Read-only. Limits: {self.settings.query_timeout:g} s per query (503 beyond), {self.settings.max_rows} result rows "
            f"(cut beyond, with header X-Result-Truncated), {self.settings.max_request_bytes} request bytes (413 beyond). "
            "SERVICE only to: " + (", ".join(self.settings.allowed_services) or "no endpoint") + ".", lang="en")))
        for graph in self.store.asserted_graphs() + [INFERRED_GRAPH]:
            named = BNode()
            g.add((dataset, SD.namedGraph, named))
            g.add((named, SD.name, URIRef(str(graph.value) if hasattr(graph, "value") else str(graph))))
        return g

    def _void(self, folder: Path) -> Graph:
        g = Graph()
        bind_all(g)
        dataset = URIRef(BASE + "dataset")
        g.add((dataset, RDF.type, VOID.Dataset))
        g.add((dataset, RDFS.label, Literal("Russia–ASEAN Knowledge Graph", lang="en")))
        g.add((dataset, RDFS.label, Literal("俄羅斯與東協關係知識圖譜", lang="zh-Hant")))
        g.add((dataset, DCTERMS.license, LICENSE))
        g.add((dataset, DCTERMS.source, URIRef(BASE + "source/chapter4")))
        g.add((dataset, VOID.sparqlEndpoint, URIRef(BASE + "sparql")))
        g.add((dataset, VOID.uriSpace, Literal(BASE + "id/")))
        for name in ("graph.nq", "graph.ttl", "graph.jsonld"):
            g.add((dataset, VOID.dataDump, URIRef(BASE + "data/" + name)))
        counts = results_json(self.store.query((folder / "void-counts.rq").read_text(encoding="utf-8")))
        for row in counts["results"]["bindings"]:
            g.add((dataset, VOID[row["property"]["value"]], Literal(int(row["count"]["value"]), datatype=XSD.integer)))
        graphs = results_json(self.store.query((folder / "graph-sizes.rq").read_text(encoding="utf-8")))
        for row in graphs["results"]["bindings"]:
            subset = URIRef(row["graph"]["value"])
            g.add((dataset, VOID.subset, subset))
            g.add((subset, RDF.type, VOID.Dataset))
            g.add((subset, VOID.triples, Literal(int(row["triples"]["value"]), datatype=XSD.integer)))
        links = results_json(self.store.query((folder / "wikidata-links.rq").read_text(encoding="utf-8")))["results"]["bindings"]
        if links:
            linkset = URIRef(BASE + "dataset/wikidata-links")
            g.add((dataset, VOID.subset, linkset))
            g.add((linkset, RDF.type, VOID.Linkset))
            g.add((linkset, VOID.linkPredicate, URIRef("http://www.w3.org/2004/02/skos/core#exactMatch")))
            g.add((linkset, VOID.target, URIRef("http://www.wikidata.org/")))
            g.add((linkset, VOID.triples, Literal(int(links[0]["count"]["value"]), datatype=XSD.integer)))
        return g

    def description_response(self, name: str, accept: str | None, fmt: str | None) -> Response:
        """The service description or VoID in the negotiated RDF format (Turtle by default)."""
        key = protocol.negotiate("construct", accept, fmt)
        graph = self.descriptions[name]
        # A description is one graph: as N-Quads it is its N-Triples, as TriG its Turtle (both valid documents).
        key_of_graph = {"nquads": "ntriples", "trig": "turtle"}.get(key, key)
        body = canonical_turtle(graph) if key_of_graph == "turtle" else graph.serialize(format=_RDFLIB_FORMAT[key_of_graph])
        return Response(body, content_type=protocol.content_type(key))

    def download_response(self, key: str) -> Response:
        """The whole dataset in a format that keeps the named graphs (N-Quads, TriG) or merged (Turtle, JSON-LD)."""
        if self.build_dir is not None and key == "nquads":
            return Response((self.build_dir / "graph.nq").read_bytes(), content_type=protocol.content_type(key))
        if self.build_dir is not None and key == "turtle":
            return Response((self.build_dir / "graph.ttl").read_bytes(), content_type=protocol.content_type(key))
        formats = {"nquads": "nquads", "trig": "trig", "turtle": "turtle", "jsonld": "jsonld"}
        if key not in formats:
            raise NotAcceptable(f"no download in format {key}")
        try:
            return Response(self.store.dump_format(key), content_type=protocol.content_type(key))
        except ValueError as exc:
            raise RakgError(f"cannot produce the download: {exc}") from exc


_RDFLIB_FORMAT = {"ntriples": "nt", "rdfxml": "xml", "jsonld": "json-ld"}


def _format_iri(key: str) -> str:
    return {
        "json": "http://www.w3.org/ns/formats/SPARQL_Results_JSON",
        "xml": "http://www.w3.org/ns/formats/SPARQL_Results_XML",
        "csv": "http://www.w3.org/ns/formats/SPARQL_Results_CSV",
        "tsv": "http://www.w3.org/ns/formats/SPARQL_Results_TSV",
        "turtle": "http://www.w3.org/ns/formats/Turtle",
        "ntriples": "http://www.w3.org/ns/formats/N-Triples",
        "rdfxml": "http://www.w3.org/ns/formats/RDF_XML",
        "jsonld": "http://www.w3.org/ns/formats/JSON-LD",
        "nquads": "http://www.w3.org/ns/formats/N-Quads",
        "trig": "http://www.w3.org/ns/formats/TriG",
    }[key]


def _content_hash(files: list[Path], store: str) -> str:
    """Identity of the served data: the build's content hash, or the served files' names, sizes and times
    (and the store's location, which for an external store is all we know)."""
    manifest = files[0].parent / "manifest.json" if files else None
    if manifest is not None and manifest.exists():
        return json.loads(manifest.read_text(encoding="utf-8"))["content_hash"] + store
    identity = store + "\n" + "\n".join(f"{f.resolve()} {f.stat().st_size} {f.stat().st_mtime_ns}" for f in files)
    return hashlib.sha256(identity.encode()).hexdigest()


def graph_iri_for_file(path: Path) -> URIRef:
    """Named graph of a served file that carries no graph of its own."""
    return GRAPH["served/" + path.name]
