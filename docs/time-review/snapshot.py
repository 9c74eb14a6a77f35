"""Snapshot of every fact's time properties and of the discrepancy list (issue 15).

Usage (from the repository root):
    .venv/bin/python docs/time-review/snapshot.py before   # writes before.tsv and before-discrepancies.tsv
    .venv/bin/python docs/time-review/snapshot.py after    # writes after.tsv and after-discrepancies.tsv

A fact is any node with rakg:statedIn, or typed rakg:BackgroundFact, in data/chapter/ and data/background/.
One row per fact; each date-role column holds `value^^datatype` (several joined by " | ").
"""

import sys
from pathlib import Path

import rdflib
from rdflib.namespace import RDF, RDFS, XSD

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
RAKG = rdflib.Namespace("https://w3id.org/rakg/ontology#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")

DATE_ROLES = [
    "date", "earliestDate", "latestDate",
    "startDate", "earliestStart", "latestStart",
    "endDate", "earliestEnd", "latestEnd",
    "asOf", "earliestAsOf", "latestAsOf",
    "reportedOn", "deliveryDate", "earliestDelivery", "latestDelivery", "refYear",
]
TEXTS = ["dateText", "startText", "endText", "deliveryText"]


def short(graph, term):
    if isinstance(term, rdflib.Literal):
        if term.datatype:
            return f"{term}^^{graph.qname(term.datatype)}"
        return str(term)
    try:
        return graph.qname(term)
    except Exception:
        return str(term)


def cell(values):
    return " | ".join(sorted(v.replace("\t", " ").replace("\n", " ") for v in values))


def load():
    graph = rdflib.Graph()
    files = {}
    prefixes = set()
    for folder in ("chapter", "background", "entities", "sources"):
        for path in sorted((ROOT / "data" / folder).glob("*.ttl")):
            part = rdflib.Graph().parse(path)
            for s in part.subjects(unique=True):
                files.setdefault(s, path.name)
            graph += part
            prefixes.update((p, n) for p, n in part.namespaces() if p and not p.startswith("ns"))
    for prefix, ns in sorted(prefixes):
        graph.namespace_manager.bind(prefix, ns, override=True, replace=True)
    return graph, files


def facts(graph):
    nodes = set(graph.subjects(RAKG.statedIn, None)) | set(graph.subjects(RDF.type, RAKG.BackgroundFact))
    return sorted(nodes, key=str)


def write(stage):
    graph, files = load()
    rows = []
    header = ["fact", "class", "file"] + DATE_ROLES + TEXTS + ["dateSource", "quote"]
    for node in facts(graph):
        classes = [short(graph, c) for c in graph.objects(node, RDF.type)]
        row = [short(graph, node), cell(classes), files.get(node, "")]
        row += [cell(short(graph, v) for v in graph.objects(node, RAKG[role])) for role in DATE_ROLES]
        row += [cell(str(v) for v in graph.objects(node, RAKG[t])) for t in TEXTS]
        row += [cell(short(graph, v) for v in graph.objects(node, RAKG.dateSource))]
        row += [cell(str(v) for v in graph.objects(node, RAKG.quote))]
        rows.append(row)
    (HERE / f"{stage}.tsv").write_text(
        "\n".join("\t".join(r) for r in [header] + rows) + "\n", encoding="utf-8")

    drows = [["discrepancy", "kind", "claims", "comment"]]
    for node in sorted(graph.subjects(RDF.type, RAKG.Discrepancy), key=str):
        if (node, rdflib.OWL.deprecated, rdflib.Literal(True)) in graph:
            continue
        drows.append([
            short(graph, node),
            cell(short(graph, k) for k in graph.objects(node, RAKG.discrepancyKind)),
            cell(short(graph, c) for c in graph.objects(node, RAKG.claim)),
            cell(str(c) for c in graph.objects(node, RDFS.comment)),
        ])
    (HERE / f"{stage}-discrepancies.tsv").write_text(
        "\n".join("\t".join(r) for r in drows) + "\n", encoding="utf-8")
    print(f"{stage}: {len(rows)} facts, {len(drows) - 1} discrepancies")


if __name__ == "__main__":
    write(sys.argv[1] if len(sys.argv) > 1 else "before")
