"""Machine information, per-query summaries, the printed tables and the results files."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import shutil
import subprocess
from pathlib import Path

from .measure import summary

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def machine() -> dict:
    """Cores, CPU model, memory, OS, Python and the versions of everything measured."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), platform.processor())
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    oxigraph = shutil.which("oxigraph", path=str(Path(os.sys.executable).parent)) or "oxigraph"
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    server_code = hashlib.sha256(b"".join(p.read_bytes() for p in sorted((ROOT / "server").rglob("*.py")))).hexdigest()[:16]
    return {
        "cores": os.cpu_count(), "cpu_model": model, "memory_gb": round(memory / 2**20, 1), "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": {name: importlib.metadata.version(name) for name in ("pyoxigraph", "oxigraph", "flask", "uvloop", "httptools", "rdflib")
                     + tuple(n for n in ("rdflib-endpoint", "uvicorn") if importlib.util.find_spec(n.replace("-", "_")))},
        "oxigraph_cli": subprocess.run([oxigraph, "--version"], capture_output=True, text=True).stdout.strip(),
        "wrk": (wrk.stdout or wrk.stderr).splitlines()[0] if (wrk.stdout or wrk.stderr) else "",
        "server_code_sha256": server_code, "load_average": os.getloadavg(),
    }


def summarize(entry: dict) -> None:
    """Replace the raw per-round samples of one query by summaries and ratios (ours / oxigraph; cold: rdflib / ours)."""
    for mode, servers in entry.get("latency", {}).items():
        for name, rounds in servers.items():
            samples = [s for r in rounds if r for s in r["samples_s"]]
            servers[name] = {**summary(samples), "statuses": _merge([r["statuses"] for r in rounds if r])} if samples else None
        if servers.get("ours") and servers.get("oxigraph"):
            servers["ratio"] = round(servers["ours"]["median_ms"] / servers["oxigraph"]["median_ms"], 3)
        if servers.get("ours") and servers.get("rdflib"):
            servers["rdflib_over_ours"] = round(servers["rdflib"]["median_ms"] / servers["ours"]["median_ms"], 2)
    for mode, servers in entry.get("throughput", {}).items():
        for name, rounds in servers.items():
            requests = sum(r["requests"] - r["status"] for r in rounds)
            seconds = sum(r["duration_us"] for r in rounds) / 1e6
            servers[name] = {"ok_per_s": round(requests / seconds, 2), "errors": sum(r["status"] + r["timeout"] + r["read"] for r in rounds),
                             "p50_ms_per_round": [round(r["p50_us"] / 1000, 3) for r in rounds], "rounds": rounds}
        if servers.get("ours") and servers.get("oxigraph") and servers["oxigraph"]["ok_per_s"]:
            servers["ratio"] = round(servers["ours"]["ok_per_s"] / servers["oxigraph"]["ok_per_s"], 3)


def _merge(statuses: list[dict]) -> dict:
    out: dict = {}
    for counts in statuses:
        for status, n in counts.items():
            out[status] = out.get(status, 0) + n
    return out


def geomean(values) -> float | None:
    values = [v for v in values if v]
    return round(math.exp(sum(math.log(v) for v in values) / len(values)), 3) if values else None


def overall(queries: dict) -> dict:
    """Geometric means over the queries both servers answered: latency ratios per mode, throughput ratios per mode;
    with rdflib-endpoint: min and geometric mean of rdflib / ours (cold), the queries at 10× or more, the ones not timed."""
    out = {}
    for kind in ("latency", "throughput"):
        for mode in ("cold", "warm", "revalidate"):
            ratios = [q[kind][mode].get("ratio") for q in queries.values() if mode in q.get(kind, {})]
            if any(ratios):
                out[f"{kind}_{mode}_ratio_geomean"] = geomean(ratios)
                out[f"{kind}_{mode}_queries"] = sum(1 for r in ratios if r)
    for mode in ("cold", "warm"):
        for name in ("ours", "oxigraph"):
            medians = [q["latency"][mode][name]["median_ms"] for q in queries.values() if (q.get("latency", {}).get(mode) or {}).get(name)]
            if medians:
                out[f"{name}_{mode}_median_ms_geomean"] = geomean(medians)
    ratios = [q["latency"]["cold"]["rdflib_over_ours"] for q in queries.values() if "rdflib_over_ours" in q.get("latency", {}).get("cold", {})]
    if ratios:
        out.update(rdflib_over_ours_min=min(ratios), rdflib_over_ours_geomean=geomean(ratios), rdflib_over_ours_queries=len(ratios),
                   rdflib_10x_queries=sum(1 for r in ratios if r >= 10))
    if any("rdflib" in q["check"] for q in queries.values()):
        out["rdflib_not_timed"] = {slug: rdflib_note(q) for slug, q in queries.items() if rdflib_note(q)}
    return out


def first_runs(queries: dict) -> dict | None:
    """rdflib / ours on the first request of each query (the row check): one sample per server, and on ours it
    always runs in a query worker, since the query is new to the server; the timed cold requests come after
    it, when ours may run the query inline (see bench/README.md)."""
    ratios = [q["check"]["rdflib"]["seconds"] / q["check"]["ours"]["seconds"] for q in queries.values()
              if q.get("rdflib_rows_match") and q["check"]["rdflib"].get("status") == q["check"]["ours"].get("status") == 200]
    if not ratios:
        return None
    return {"min": round(min(ratios), 2), "geomean": geomean(ratios), "queries": len(ratios), "at_10x": sum(1 for r in ratios if r >= 10)}


def rdflib_note(q: dict) -> str | None:
    """Why rdflib-endpoint has no ratio for a query (None when it has one, or was not run)."""
    ours, peer = q["check"]["ours"], q["check"].get("rdflib")
    if peer is None or "rdflib_over_ours" in q.get("latency", {}).get("cold", {}):
        return None
    if peer["status"] != 200:
        return f"{peer['status']} after {peer['seconds']:.1f} s" if "seconds" in peer else str(peer["status"])
    if not q.get("rdflib_rows_match"):
        return f"rows {peer['rows']}, ours {ours.get('rows', ours['status'])}"
    return "ours and oxigraph not timed" if not q["rows_match"] else "failed while timed"


def _cell(value, width: int, digits: int = 2) -> str:
    if value is None:
        return "-".rjust(width)
    return (f"{value:.{digits}f}" if isinstance(value, float) else str(value)).rjust(width)


def table(size: str, result: dict) -> str:
    """The printed table of one size: rows, latency medians and p99 (ms), throughput (req/s), ratios ours/oxigraph;
    with rdflib-endpoint also its cold median and rdflib/ours after the cold columns."""
    peer = "rdflib" in result["servers"]
    lines = [f"== {size}: {result['data']['quads']} quads, {result['storage']} storage ==",
             f"{'query':34} {'rows':>6} | {'cold ours':>9} {'oxi':>8} {'ratio':>6} | " + (f"{'rdflib':>9} {'×':>6} | " if peer else "") + f"{'p99 ours':>8} {'oxi':>8} | "
             f"{'warm ours':>9} {'oxi':>8} {'ratio':>6} | {'304':>6} | {'thr cold':>8} {'oxi':>7} {'ratio':>6} | {'thr warm':>8} {'oxi':>7} {'ratio':>6}"]
    for slug, q in result["queries"].items():
        lat, thr = q.get("latency", {}), q.get("throughput", {})

        def get(kind, mode, name, key):
            return ((kind.get(mode) or {}).get(name) or {}).get(key)

        rows = f"{q['check']['ours'].get('rows', q['check']['ours'].get('status'))}{'*' if q['check']['ours'].get('truncated') else ''}"
        ours, oxi = (q["check"][name] for name in ("ours", "oxigraph"))
        note = "" if q["rows_match"] else (f"  rows differ: oxigraph {oxi['rows']}" if "rows" in ours and "rows" in oxi else
                                           f"  not timed: ours {ours.get('rows', ours['status'])}, oxigraph {oxi.get('rows', oxi['status'])}")
        note += f"  rdflib: {rdflib_note(q)}" if rdflib_note(q) and q["rows_match"] else ""
        third = f"{_cell(get(lat, 'cold', 'rdflib', 'median_ms'), 9)} {_cell((lat.get('cold') or {}).get('rdflib_over_ours'), 6, 1)} | " if peer else ""
        lines.append(f"{slug[:34]:34} {rows!s:>6} | {_cell(get(lat, 'cold', 'ours', 'median_ms'), 9)} {_cell(get(lat, 'cold', 'oxigraph', 'median_ms'), 8)} "
                     f"{_cell((lat.get('cold') or {}).get('ratio'), 6)} | {third}{_cell(get(lat, 'cold', 'ours', 'p99_ms'), 8)} {_cell(get(lat, 'cold', 'oxigraph', 'p99_ms'), 8)} | "
                     f"{_cell(get(lat, 'warm', 'ours', 'median_ms'), 9)} {_cell(get(lat, 'warm', 'oxigraph', 'median_ms'), 8)} {_cell((lat.get('warm') or {}).get('ratio'), 6)} | "
                     f"{_cell(get(lat, 'revalidate', 'ours', 'median_ms'), 6)} | {_cell(get(thr, 'cold', 'ours', 'ok_per_s'), 8, 1)} {_cell(get(thr, 'cold', 'oxigraph', 'ok_per_s'), 7, 1)} "
                     f"{_cell((thr.get('cold') or {}).get('ratio'), 6)} | {_cell(get(thr, 'warm', 'ours', 'ok_per_s'), 8, 1)} {_cell(get(thr, 'warm', 'oxigraph', 'ok_per_s'), 7, 1)} "
                     f"{_cell((thr.get('warm') or {}).get('ratio'), 6)}{note}")
    o = result.get("overall", {})
    lines.append("overall (geometric means of ours/oxigraph): "
                 f"cold median {o.get('latency_cold_ratio_geomean')} ({o.get('latency_cold_queries')} queries), "
                 f"warm median {o.get('latency_warm_ratio_geomean')}, throughput cold {o.get('throughput_cold_ratio_geomean')}, "
                 f"warm {o.get('throughput_warm_ratio_geomean')}"
                 + (f"; rdflib/ours: min {o.get('rdflib_over_ours_min')}, geomean {o.get('rdflib_over_ours_geomean')}, "
                    f"{o.get('rdflib_10x_queries', 0)} of {o.get('rdflib_over_ours_queries', 0)} queries ≥ 10×"
                    f" ({len(o.get('rdflib_not_timed', {}))} not timed on rdflib)" if peer else ""))
    first = first_runs(result["queries"]) if peer else None
    if first:
        lines.append(f"first request of each query (one sample each; ours in a query worker): rdflib/ours min {first['min']}, "
                     f"geomean {first['geomean']}, {first['at_10x']} of {first['queries']} queries ≥ 10×")
    for name in ("ours", "oxigraph") + (("rdflib",) if peer else ()):
        facts = result["servers"].get(name, {})
        lines.append(f"{name}: ready in {facts.get('ready_s')} s, {facts.get('processes')} processes, RSS after load {facts.get('rss_after_load_mb')} MB, "
                     f"peak {facts.get('peak_rss_mb')} MB" + (f", store {facts['store_mb']} MB" if "store_mb" in facts else "")
                     + "".join(f", {step} {facts[step]}" for step in ("prepare", "load", "restarts") if step in facts))
    return "\n".join(lines)


def write(results: dict, stamp: str, final: bool) -> Path:
    """Write the results as results/<stamp>.tmp while running, results/<stamp>.json and latest.json at the end."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results, indent=1, ensure_ascii=False)
    if not final:
        path = RESULTS / f"{stamp}.tmp"
        path.write_text(text, encoding="utf-8")
        return path
    path = RESULTS / f"{stamp}.json"
    path.write_text(text, encoding="utf-8")
    (RESULTS / "latest.json").write_text(text, encoding="utf-8")
    (RESULTS / f"{stamp}.tmp").unlink(missing_ok=True)
    return path


def main(argv: list[str] | None = None) -> None:
    """Print the tables of a results file: `python -m bench.report [bench/results/latest.json]`."""
    import sys

    paths = (argv if argv is not None else sys.argv[1:]) or [str(RESULTS / "latest.json")]
    for path in paths:
        results = json.loads(Path(path).read_text(encoding="utf-8"))
        print(f"{path}: {results.get('command')}, started {results.get('started')}")
        for size, result in results.get("sizes", {}).items():
            print(table(size, result))


if __name__ == "__main__":
    main()
