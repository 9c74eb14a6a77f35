"""Engine time alone: the named queries in-process in pyoxigraph, with three ways to form the default graph.

- ``graphs``: the asserted named graphs given as a list (what our server does, and oxigraph with default-graph-uri);
- ``copy``: the asserted triples also loaded into the store's default graph (same answers, one graph to scan);
- ``union``: the union of all graphs (``oxigraph serve --union-default-graph``; it includes graph/inferred, so some
  answers differ — the rows are reported).

Each mode runs in a worker process that is killed when a query passes the time limit (pyoxigraph cannot be
interrupted).  ``python -m bench.engine FILE [--timeout 30]`` prints a table; ``bench.run --engine`` stores it.
"""

from __future__ import annotations

import argparse
import json
import select
import subprocess
import sys
import time
from pathlib import Path

MODES = ("graphs", "copy", "union")


def worker(data: str, mode: str) -> None:
    """Load the store, then answer one query name per stdin line with a JSON line: rows and best-of-3 milliseconds."""
    import pyoxigraph as ox

    from server.store import QUERY_PREFIXES, GraphStore

    store = ox.Store()
    store.bulk_load(path=data, format=ox.RdfFormat.N_QUADS)
    graphs = GraphStore(store)  # the server's two forms: the list of asserted graphs, or their copy in the default graph
    options = {"graphs": {"default_graph": graphs.default_graph()}, "copy": {}, "union": {"use_default_graph_as_union": True}}[mode]
    if mode == "copy":
        graphs.materialize_default_graph()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        path = Path(line.strip())
        times, rows = [], 0
        while len(times) < 3 and sum(times) < 2:
            started = time.perf_counter()
            rows = len(list(store.query(path.read_text(encoding="utf-8"), prefixes=QUERY_PREFIXES, **options)))
            times.append(time.perf_counter() - started)
        print(json.dumps({"slug": path.stem, "rows": rows, "ms": round(min(times) * 1000, 3)}), flush=True)


def profile(data: Path, queries: list[Path], timeout: float = 30) -> dict:
    """{slug: {mode: {"rows", "ms"} or {"timeout": seconds}}} for every mode."""
    out: dict = {q.stem: {} for q in queries}
    for mode in MODES:
        todo = list(queries)
        while todo:
            process = subprocess.Popen([sys.executable, "-m", "bench.engine", str(data), "--worker", mode], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent)
            process.stdout.readline()
            while todo:
                query = todo.pop(0)
                process.stdin.write(f"{query}\n")
                process.stdin.flush()
                if select.select([process.stdout], [], [], timeout)[0]:
                    answer = json.loads(process.stdout.readline())
                    out[query.stem][mode] = {"rows": answer["rows"], "ms": answer["ms"]}
                else:
                    out[query.stem][mode] = {"timeout": timeout}
                    process.kill()
                    break
            process.kill()
            process.wait()
    return out


def table(results: dict) -> str:
    lines = [f"{'query':34} " + " ".join(f"{m + ' ms':>12} {'rows':>6}" for m in MODES)]
    for slug, modes in results.items():
        cells = []
        for mode in MODES:
            r = modes.get(mode, {})
            cells.append(f"{'>' + str(r['timeout']) + ' s' if 'timeout' in r else r.get('ms', '-'):>12} {r.get('rows', '-'):>6}")
        lines.append(f"{slug[:34]:34} " + " ".join(cells))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data")
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.data, args.worker)
        return
    from .measure import named_queries

    folder = Path(__file__).resolve().parent.parent / "queries"
    print(table(profile(Path(args.data), [folder / f"{slug}.rq" for slug in named_queries(folder)[0]], args.timeout)))


if __name__ == "__main__":
    main()
