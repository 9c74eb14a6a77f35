"""The build benchmark: ``rakg build --timings`` on the chapter (with and without ``--no-dl-check``), and the rules +
HermiT on a synthetic graph.

``python -m bench.reasoning [--size 100k] [--limit 600] [--max-gb 8]`` builds the chapter into bench/data/build
(the repository's build/ is left alone), then runs the project's reasoning on the asserted part of the
synthetic graph: ``server.build.rules.derive`` (the rules to a fixpoint) and ``server.build.reasoning.check_consistency``
(HermiT through owlready2, in Java).  Each runs in a worker process whose whole tree (Java included) is
watched: it is stopped beyond ``--limit`` seconds or ``--max-gb`` of resident memory.  The derived graph is
compared, rule by rule, with the one the generator wrote.  Results go to bench/results/reasoning-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from . import generate, report, servers

ROOT = Path(__file__).resolve().parent.parent
INFERRED = "<https://w3id.org/rakg/graph/inferred>"


def chapter_build(*options: str) -> dict:
    """``rakg build --timings [options]`` into bench/data/build: seconds per step, quads, wall time and peak RSS."""
    env = {**os.environ, "RAKG_BUILD_DIR": str(ROOT / "bench" / "data" / "build")}
    started = time.monotonic()
    process = subprocess.Popen([str(servers.BIN / "rakg"), "build", "--timings", *options], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    steps = {m.group(2): float(m.group(1)) for m in re.finditer(r"^\s+([\d.]+) s\s+(.+)$", output, flags=re.MULTILINE)}
    quads = re.search(r"\((\d+) quads", output)
    return {"exit_code": os.waitstatus_to_exitcode(status), "steps_s": steps, "quads": int(quads.group(1)) if quads else None,
            "wall_s": round(time.monotonic() - started, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def split(path: Path) -> tuple[str, str, Counter]:
    """The ontology and the data (asserted graphs, shapes left out) as N-Triples, and the generator's derivations per rule."""
    ontology, data, rules = [], [], Counter()
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            head, graph = line.rstrip()[:-1].rstrip().rsplit(" ", 1)
            if graph == INFERRED:
                if "ontology#derivedBy>" in head:
                    rules[head.rsplit("/", 1)[1].rstrip(">")] += 1
            elif "/graph/ontology/shapes>" in graph:
                continue
            else:
                (ontology if "/graph/ontology/" in graph else data).append(head + " .\n")
    return "".join(ontology), "".join(data), rules


def worker(path: str) -> None:
    """Derive, then check consistency; one JSON line after each."""
    import resource

    from rdflib import Graph

    from server.build.reasoning import check_consistency
    from server.build.rules import derive
    from server.store import GraphStore

    ontology_nt, data_nt, _ = split(Path(path))
    ontology, data = Graph().parse(data=ontology_nt, format="nt"), Graph().parse(data=data_nt, format="nt")
    started = time.perf_counter()
    inferred = derive(GraphStore.from_graphs(ontology, data), ROOT / "ontology" / "rules")
    derived_by = Counter(s.object.value.rsplit("/", 1)[1] for s in inferred.statements if s.predicate.value.endswith("#derivedBy"))
    print(json.dumps({"step": "rules", "seconds": round(time.perf_counter() - started, 2), "asserted_triples": len(ontology) + len(data),
                      "inferred_triples": len(inferred.statements), "derivations_by_rule": dict(derived_by),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}), flush=True)
    started = time.perf_counter()
    try:
        check_consistency(ontology, data)
        outcome = "consistent"
    except Exception as error:  # Inconsistent, or HermiT failing: reported, not raised
        outcome = f"{type(error).__name__}: {str(error)[:500]}"
    print(json.dumps({"step": "hermit", "seconds": round(time.perf_counter() - started, 2), "outcome": outcome}), flush=True)


def watched(path: Path, limit: float, max_mb: float) -> list[dict]:
    """Run the worker; sample its tree's RSS every second; stop it beyond ``limit`` seconds per step or ``max_mb``."""
    process = subprocess.Popen([sys.executable, "-m", "bench.reasoning", "--worker", str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                               text=True, start_new_session=True)
    steps, peak, step_started = [], 0.0, time.monotonic()
    while process.poll() is None:
        if select.select([process.stdout], [], [], 1)[0]:
            line = process.stdout.readline()
            if line:
                steps.append({**json.loads(line), "peak_tree_rss_mb": peak})
                step_started, peak = time.monotonic(), 0.0
            continue
        peak = max(peak, servers.memory_mb(process.pid, "VmRSS"))
        if time.monotonic() - step_started > limit or peak > max_mb:
            os.killpg(process.pid, 9)
            steps.append({"step": "rules" if not steps else "hermit", "stopped": f"after {time.monotonic() - step_started:.0f} s at {peak:.0f} MB",
                          "limit_s": limit, "limit_mb": max_mb})
    steps += [json.loads(line) for line in process.stdout.read().splitlines() if line.strip()]
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--limit", type=float, default=600, help="seconds allowed per step")
    parser.add_argument("--max-gb", type=float, default=8)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    results = {"machine": report.machine(), "chapter_build": chapter_build(), "chapter_build_no_dl_check": chapter_build("--no-dl-check")}
    print(json.dumps({key: results[key] for key in ("chapter_build", "chapter_build_no_dl_check")}, indent=1), flush=True)
    path = generate.ensure(args.size)
    results["synthetic"] = {"size": args.size, "file": str(path.relative_to(ROOT)), "generator_derivations_by_rule": dict(split(path)[2]),
                            "steps": watched(path, args.limit, args.max_gb * 1024)}
    print(json.dumps(results["synthetic"], indent=1), flush=True)
    report.RESULTS.mkdir(parents=True, exist_ok=True)
    out = report.RESULTS / f"reasoning-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
