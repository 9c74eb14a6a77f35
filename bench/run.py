"""Benchmark our SPARQL endpoint against ``oxigraph serve``: ``python -m bench.run [--sizes chapter,100k,1M] [--quick]``.

For each data size both servers are started on the same data with the same storage kind, every named query
is checked (both must answer the same number of rows), then timed on both, alternating the servers
(A B A B) so that machine drift cancels: sequential latency after warm-up (cold, warm and revalidate) and
throughput with 4 connections (wrk; cold and warm).  The table is printed per size and everything goes to
bench/results/<timestamp>.json and bench/results/latest.json.  bench/README.md explains the columns.
With ``--rdflib`` rdflib-endpoint (the Python peer, bench/rdflib_peer.py) is checked too and timed cold only, with
``--rdflib-requests`` requests per query, in the same rounds (A B C A B C).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import engine, generate, measure, report, servers

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"


def dataset(size: str, seed: int) -> Path:
    """The data file of a size: a snapshot of the last good build for 'chapter', else the synthetic graph."""
    if size != "chapter":
        return generate.ensure(size, seed)
    DATA.mkdir(parents=True, exist_ok=True)
    target = DATA / "chapter.nq"
    shutil.copyfile(ROOT / "build" / "current" / "graph.nq", target)
    return target


def with_default_copy(path: Path) -> Path:
    """The same N-Quads plus every quad of the asserted graphs again in the default graph: the layout our server
    builds in memory (server/store.py, GraphStore.materialize_default_graph), given to oxigraph as a file, so that
    both engines answer a query's default graph from one graph (the way an oxigraph user would load this dataset;
    ``--union-default-graph`` would also put graph/inferred in it).  Written once next to the data."""
    target = path.with_name(path.stem + "-default-copy.nq")
    if target.exists() and target.stat().st_mtime >= path.stat().st_mtime:
        return target
    inferred = "<https://w3id.org/rakg/graph/inferred> ."
    with open(path, encoding="utf-8") as source, open(target.with_suffix(".tmp"), "w", encoding="utf-8") as out:
        for line in source:
            out.write(line)
            text = line.rstrip()
            if text and not text.endswith(inferred):
                out.write(text[:-1].rstrip().rsplit(" ", 1)[0] + " .\n")
    target.with_suffix(".tmp").replace(target)
    return target


def graphs_of(path: Path) -> tuple[int, list[str]]:
    """Number of quads and the named graphs of an N-Quads file (the graph is the last term of each line)."""
    quads, graphs = 0, set()
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                quads += 1
                graphs.add(line.rstrip()[:-1].rstrip().rsplit(" ", 1)[1][1:-1])
    return quads, sorted(graphs)


def prefixes() -> dict:
    """The prefixes our server predeclares, for the servers that need PREFIX lines."""
    from server.namespaces import PREFIXES

    return {p: str(ns) for p, ns in PREFIXES.items()}


def endpoints(ours, oxigraph, graphs: list[str]) -> list[measure.Endpoint]:
    """Ours as its users query it; oxigraph over the same layout (with_default_copy), with the PREFIX lines a query uses
    and no graph parameters: its default graph is already what ours is."""
    return [measure.Endpoint("ours", ours.port, ours.path, [], None, graphs),
            measure.Endpoint("oxigraph", oxigraph.port, oxigraph.path, [], prefixes(), graphs, named_graphs=False)]


@dataclass
class Peer:
    """rdflib-endpoint and its endpoint (PREFIX lines, no graph parameters).  It has no time limit, and its event loop
    stays busy with a query until the query ends, so after a request that failed or outlasted QUERY_TIMEOUT it is
    restarted (keeping the facts of its first start, with the number of restarts)."""

    data: Path
    log_dir: Path
    server: servers.Server
    endpoint: measure.Endpoint

    @classmethod
    def start(cls, data: Path, log_dir: Path, graphs: list[str]) -> "Peer":
        server = servers.start_rdflib(data, log_dir)
        return cls(data, log_dir, server, measure.Endpoint("rdflib", server.port, server.path, [], prefixes(), graphs, named_graphs=False))

    def restart(self) -> None:
        servers.stop(self.server, grace=1)
        facts = {**self.server.facts, "restarts": self.server.facts.get("restarts", 0) + 1}
        self.server = servers.start_rdflib(self.data, self.log_dir)
        self.server.facts, self.endpoint.port = facts, self.server.port

    def check(self, text: str) -> dict:
        """The first run of a query, within QUERY_TIMEOUT."""
        result = measure.check(self.endpoint, text, servers.QUERY_TIMEOUT)
        if result["status"] in ("timeout", "error"):
            self.restart()
        return result

    def latency(self, text: str, requests: int, cap: float, warmup: int) -> dict:
        """Cold latency; a request that fails or outlasts QUERY_TIMEOUT ends the round (its samples are lost)."""
        try:
            return measure.latency(self.endpoint, text, "cold", requests, cap, warmup, servers.QUERY_TIMEOUT)
        except OSError as error:
            self.restart()
            return {"samples_s": [], "statuses": {"timeout" if isinstance(error, TimeoutError) else "error": 1}}


def bench_size(size: str, args, queries: dict, log_dir: Path) -> dict:
    data = dataset(size, args.seed)
    quads, graphs = graphs_of(data)
    disk = args.storage == "disk"
    result = {"data": {"file": str(data.relative_to(ROOT)), "quads": quads, "graphs": len(graphs), "mb": round(data.stat().st_size / 2**20, 1)},
              "storage": args.storage, "servers": {}, "queries": {}}
    print(f"\n== {size}: {quads} quads in {len(graphs)} graphs, {args.storage} storage ==", flush=True)
    stores = {name: DATA / f"store-{name}-{size}" for name in ("ours", "oxigraph")} if disk else {}
    for path in stores.values():
        shutil.rmtree(path, ignore_errors=True)  # the preparation is part of what is measured
    started, peer = [servers.start_ours(data, log_dir, stores.get("ours"))], None
    try:
        peer_data = with_default_copy(data)
        started.append(servers.start_oxigraph(peer_data, log_dir, stores.get("oxigraph")))
        started.append(servers.start_oxigraph(peer_data, log_dir, stores.get("oxigraph"), limit=True))
        peer = Peer.start(data, log_dir, graphs) if args.rdflib else None
        for server in started + ([peer.server] if peer else []):
            print(f"  {server.name} ready: {server.facts}", flush=True)
        pair, limited = endpoints(*started[:2], graphs), endpoints(started[0], started[2], graphs)
        for slug, text in queries.items():
            result["queries"][slug] = entry = time_query(pair, limited, started, text, args, peer)
            report.summarize(entry)
            print(f"  {slug:34} {progress(entry)}", flush=True)
    finally:
        for server in started + ([peer.server] if peer else []):
            servers.stop(server)
            result["servers"][server.name] = server.facts
    result["overall"] = report.overall(result["queries"])
    if args.engine:
        result["engine"] = engine.profile(data, [ROOT / "queries" / f"{slug}.rq" for slug in queries], servers.QUERY_TIMEOUT)
        print(engine.table(result["engine"]), flush=True)
    return result


def rows_match(ours: dict, other: dict) -> bool:
    """Whether another server answered the rows of ours (a cut answer of ours matches any longer one)."""
    return ours["status"] == other["status"] == 200 and (
        ours["rows"] == other["rows"] or bool(ours.get("truncated") and other["rows"] > ours["rows"]))


def time_query(pair, limited, started, text: str, args, peer: Peer | None = None) -> dict:
    """Row check (on the servers with the time limit), then per mode and round: latency and throughput of A then B,
    and with ``peer`` the cold latency of rdflib-endpoint (C) when it answered the rows of ours."""
    check = {e.name: measure.check(e, text) for e in limited}
    entry = {"check": check, "latency": {}, "throughput": {}, "load_average_1min": os.getloadavg()[0]}
    if any(c["status"] != 200 for c in check.values()):
        for server in started:  # a query stopped at the limit may leave work behind (ours restarts a query worker)
            servers.wait_idle(server.process.pid)
    if peer:
        check["rdflib"] = peer.check(text)
        entry["rdflib_rows_match"] = rows_match(check["ours"], check["rdflib"])
    entry["rows_match"] = rows_match(check["ours"], check["oxigraph"])
    if not entry["rows_match"]:
        return entry
    third = peer if entry.get("rdflib_rows_match") else None
    if args.once:  # the check was the cold run; one more request fills the cache, the next is timed warm
        entry["latency"]["cold"] = {name: [{"samples_s": [check[name]["seconds"]], "statuses": {"200": 1}}]
                                    for name in [e.name for e in pair] + (["rdflib"] if third else [])}
        entry["latency"]["warm"] = {e.name: [measure.latency(e, text, "warm", 1, float("inf"), warmup=1)] for e in pair}
        return entry
    slow = max(check[e.name]["seconds"] for e in pair) > 1  # the check was the warm-up; few samples fit the cap anyway
    window = args.duration / args.rounds
    for mode in ("cold", "warm", "revalidate"):
        timed = [(e, s) for e, s in zip(pair, started) if mode != "revalidate" or check[e.name]["etag"]]
        entry["latency"][mode] = {e.name: [] for e, _ in timed}
        # wrk only when a request fits the window many times over; else it would count the few that finish in time
        entry["throughput"][mode] = {e.name: [] for e, _ in timed} if mode != "revalidate" and window and not slow else {}
        for _ in range(args.rounds):
            for endpoint, server in timed:
                warmup = {"cold": 0, "warm": 1, "revalidate": 1}[mode] if slow else 3
                entry["latency"][mode][endpoint.name].append(
                    measure.latency(endpoint, text, mode, -(-args.requests // args.rounds), args.max_seconds / args.rounds, warmup))
                if entry["throughput"][mode]:
                    entry["throughput"][mode][endpoint.name].append(measure.throughput(endpoint, text, mode, window))
                    servers.wait_idle(server.process.pid)
            if third and mode == "cold":
                entry["latency"]["cold"].setdefault("rdflib", []).append(third.latency(
                    text, -(-args.rdflib_requests // args.rounds), args.max_seconds / args.rounds, 0 if check["rdflib"]["seconds"] > 1 else 3))
        for kind in ("latency", "throughput"):
            if not entry[kind][mode]:
                del entry[kind][mode]
    return entry


def progress(entry: dict) -> str:
    check = entry["check"]
    if not entry["rows_match"]:
        return f"SKIPPED: ours {check['ours']}, oxigraph {check['oxigraph']}" + (f", rdflib {check['rdflib']}" if "rdflib" in check else "")
    cold = entry["latency"]["cold"]
    peer = ""
    if "rdflib" in check:
        peer = (f", rdflib {cold['rdflib']['median_ms']:.2f} ms, {cold['rdflib_over_ours']}× ours" if cold.get("rdflib_over_ours")
                else f", rdflib not timed: {report.rdflib_note(entry)}")
    return (f"rows {check['ours']['rows']:>6}  cold median ours {cold['ours']['median_ms']:.2f} ms, oxigraph "
            f"{cold['oxigraph']['median_ms']:.2f} ms, ratio {cold.get('ratio')}{peer}  (load {entry['load_average_1min']:.1f})")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="chapter,100k,1M", help="comma-separated: chapter, 100k, 1M, 10M (any NNk/NNM)")
    parser.add_argument("--storage", choices=["memory", "disk"], default="memory", help="both servers in memory, or both on disk")
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per query, server and mode")
    parser.add_argument("--max-seconds", type=float, default=30, help="cap on the sequential requests of one query, server and mode")
    parser.add_argument("--duration", type=float, default=10, help="seconds of wrk per query, server and mode (0: no throughput)")
    parser.add_argument("--rounds", type=int, default=2, help="A B alternations; requests and duration are split between them")
    parser.add_argument("--once", action="store_true", help="one cold and one warm request per query (the 10 M check)")
    parser.add_argument("--quick", action="store_true", help="20 requests, 2 s of wrk, 10 s cap: a smoke test")
    parser.add_argument("--engine", action="store_true", help="also time the queries in-process per default-graph form (bench/engine.py)")
    parser.add_argument("--rdflib", action="store_true", help="also rdflib-endpoint (the bench extra): checked, and timed cold only")
    parser.add_argument("--rdflib-requests", type=int, default=10, help="sequential cold requests per query on rdflib-endpoint (split between the rounds)")
    parser.add_argument("--queries", default="", help="comma-separated slugs (default: every named query)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic data")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))  # so that the servers are stopped too
    if args.quick:
        args.requests, args.duration, args.max_seconds = 20, 2, 10
    queries, federated = measure.named_queries(ROOT / "queries")
    if args.queries:
        queries = {slug: queries[slug] for slug in args.queries.split(",")}
    stamp = time.strftime("%Y%m%d-%H%M%S")
    results = {"started": stamp, "command": " ".join([Path(sys.executable).name, "-m", "bench.run", *sys.argv[1:]]),
               "settings": {k: v for k, v in vars(args).items()}, "machine": report.machine(), "federated_not_timed": federated, "sizes": {}}
    logs = DATA / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for size in args.sizes.split(","):
        results["sizes"][size] = bench_size(size, args, queries, logs)
        print(report.table(size, results["sizes"][size]), flush=True)
        report.write(results, stamp, final=False)
    results["machine"]["load_average_end"] = report.machine()["load_average"]
    print(f"\nwrote {report.write(results, stamp, final=True)}")


if __name__ == "__main__":
    main()
