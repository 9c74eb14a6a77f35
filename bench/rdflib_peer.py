"""rdflib-endpoint, the Python peer: ``python -m bench.rdflib_peer FILE.nq --port P``.

Served exactly as rdflib-endpoint's own CLI serves a file (``rdflib_endpoint/__main__.py``: ``SparqlEndpoint`` in
``uvicorn.run``, one process, rdflib's SPARQL engine over its in-memory store); only the dataset differs.  The CLI
loads files into ``Dataset(default_union=True)``, whose default graph would include graph/inferred.  Here every
named graph is kept as is and the triples of every named graph except graph/inferred are also copied into the
default graph of a ``Dataset(default_union=False)``, so that the default graph answers like ours (the union of the
asserted graphs) and ``GRAPH graph:inferred {…}`` still works.  rdflib-endpoint ignores ``default-graph-uri`` and
``named-graph-uri``, so the harness sends it only the query, with the PREFIX lines it uses.
"""

from __future__ import annotations

import argparse
import time

import uvicorn
from rdflib import Dataset, URIRef
from rdflib_endpoint import SparqlEndpoint

INFERRED = URIRef("https://w3id.org/rakg/graph/inferred")


def dataset(path: str) -> Dataset:
    """The named graphs of an N-Quads file, and the asserted ones (all but graph/inferred) copied into the default graph."""
    data = Dataset(default_union=False)
    data.parse(path, format="nquads")
    default = data.default_graph
    for graph in list(data.graphs()):
        if graph.identifier not in (default.identifier, INFERRED):
            default.addN((s, p, o, default) for s, p, o in graph)
    return data


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", help="N-Quads file")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    started = time.monotonic()
    data = dataset(args.file)
    print(f"loaded {len(data.default_graph)} default-graph triples and {len(list(data.graphs())) - 1} named graphs "
          f"in {time.monotonic() - started:.1f} s", flush=True)
    uvicorn.run(SparqlEndpoint(graph=data, path="/sparql"), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
