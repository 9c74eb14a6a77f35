"""The named queries of ``queries/``: loading, running, and their expected results.

Each query is ``queries/<slug>.rq`` with ``#+ key: value`` header lines (title,
title_zh, description, description_zh, tags, source) and its expected result
beside it as ``<slug>.srj`` (SPARQL JSON results).  Row order counts only when
the query has ORDER BY.  ``queries/checks/*-violation.rq`` must return no rows;
``queries/stats/*.rq`` feed ``rakg stats``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import BadGateway, NotFound, QueryError
from .settings import Settings

HEADER = re.compile(r"^#\+\s*(\w+)\s*:\s*(.*)$")


@dataclass
class NamedQuery:
    slug: str
    path: Path
    text: str
    meta: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.meta.get("title", self.slug)

    @property
    def tags(self) -> list[str]:
        return [t.strip() for t in self.meta.get("tags", "").split(",") if t.strip()]

    @property
    def ordered(self) -> bool:
        return re.search(r"\bORDER\s+BY\b", self.text, re.IGNORECASE) is not None

    @property
    def expected_path(self) -> Path:
        return self.path.with_suffix(".srj")


def read_query(path: Path) -> NamedQuery:
    """Read one .rq file with its header."""
    text = path.read_text(encoding="utf-8")
    meta = {}
    for line in text.splitlines():
        match = HEADER.match(line)
        if match:
            meta[match.group(1)] = match.group(2).strip()
        elif line.strip() and not line.startswith("#"):
            break
    return NamedQuery(path.stem, path, text, meta)


def load_catalog(folder: Path) -> list[NamedQuery]:
    """The named queries directly in ``folder``, sorted by slug."""
    return [read_query(p) for p in sorted(folder.glob("*.rq"))]


def find(folder: Path, slug: str) -> NamedQuery:
    """The named query ``slug``; raises NotFound."""
    path = folder / f"{slug}.rq"
    if not path.exists():
        raise NotFound(f"no named query {slug!r}", where=str(folder))
    return read_query(path)


def resolve_query(folder: Path, query: str):
    """(named query or None, SPARQL text) for a slug of ``folder``, a .rq path, or SPARQL text."""
    if re.fullmatch(r"[a-z0-9-]+", query):
        named = find(folder, query)
        return named, named.text
    path = Path(query)
    if path.suffix == ".rq" and path.exists():
        named = read_query(path)
        return named, named.text
    return None, query


# `rakg query --format`: for solutions (SELECT, ASK), then for graphs (CONSTRUCT, DESCRIBE); the first is the default.
OUTPUT_FORMATS = {"results": ("table", "json", "csv"), "graph": ("turtle", "ntriples", "rdfxml", "jsonld", "nquads", "trig")}


def query_output(store, query: str, fmt: str | None = None, include_inferred: bool = False, service_map: dict | None = None) -> str:
    """What `rakg query` prints: a table (the default), SPARQL JSON (the .srj of named queries) or CSV for SELECT
    and ASK; Turtle (the default) or another graph format of OUTPUT_FORMATS for CONSTRUCT and DESCRIBE.  A SERVICE
    clause calling an endpoint of ``service_map`` (ENDPOINT → URL, the setting service_map) calls its URL instead.

    Raises QueryError for a query that cannot be run or a format that cannot show its result; BadGateway when a
    SERVICE endpoint fails or cannot be reached.

    >>> from server.store import GraphStore
    >>> store = GraphStore.from_text('<http://e/a> <http://e/b> "c" .', "ntriples")
    >>> print(query_output(store, "CONSTRUCT WHERE { ?s ?p ?o }"), query_output(store, "SELECT ?o { ?s ?p ?o }"), sep="")
    <http://e/a> <http://e/b> "c" .
    o
    -
    c
    (1 row)
    """
    from . import syntax
    from .protocol import FORM_KIND, query_form, refuse_update
    from .answers import serialize
    from .store import QUERY_PREFIXES

    refuse_update(query)
    kind = FORM_KIND[query_form(query)]
    fmt = fmt or OUTPUT_FORMATS[kind][0]
    if fmt not in OUTPUT_FORMATS[kind]:
        raise QueryError(f"format {fmt} cannot show the result of {'a CONSTRUCT or DESCRIBE' if kind == 'graph' else 'a SELECT or ASK'} "
                         f"query; use {', '.join(OUTPUT_FORMATS[kind])}", where="--format")
    services = list(syntax.analyze(query, QUERY_PREFIXES).services) if syntax.mentions_service(query) else []
    mapped = [s for s in services if s.endpoint in (service_map or {})]
    text = syntax.route(query, mapped, lambda endpoint: service_map[endpoint]) if mapped else query
    try:
        result = store.query(text, include_inferred=include_inferred)
        if kind == "graph":
            return serialize(result, fmt, max_rows=1 << 62).body.decode("utf-8")
        return {"json": dumps, "csv": format_csv, "table": format_table}[fmt](results_json(result))
    except (OSError, RuntimeError, SyntaxError, ValueError) as error:  # the engine's HTTP client, or a remote answer it cannot read
        if not services:
            raise
        called = ", ".join(sorted({f"<{s.endpoint}>" + (f" (sent to {service_map[s.endpoint]})" if s in mapped else "") for s in services}))
        raise BadGateway(f"the SERVICE endpoint {called} failed or could not be reached: {error}", where="SERVICE") from None


def format_table(result: dict) -> str:
    """A plain-text table of a SPARQL JSON result (IRIs shortened with the project prefixes)."""
    from .namespaces import PREFIXES

    if "boolean" in result:
        return "true" if result["boolean"] else "false"

    def short(cell: dict | None) -> str:
        if cell is None:
            return ""
        value = cell["value"]
        if cell["type"] == "uri":
            for prefix, namespace in PREFIXES.items():
                if value.startswith(str(namespace)) and len(value) > len(str(namespace)):
                    return f"{prefix}:{value[len(str(namespace)):]}"
        return value

    names = result["head"]["vars"]
    rows = [[short(r.get(n)) for n in names] for r in result["results"]["bindings"]]
    widths = [max([len(n)] + [len(r[i]) for r in rows]) for i, n in enumerate(names)]
    lines = [" | ".join(n.ljust(w) for n, w in zip(names, widths)), "-+-".join("-" * w for w in widths)]
    lines += [" | ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(line.rstrip() for line in lines)


def format_csv(result: dict) -> str:
    """A SPARQL JSON result as CSV (values only, as in the SPARQL 1.1 CSV format)."""
    import csv
    import io

    if "boolean" in result:
        return "_askResult\r\n" + ("true" if result["boolean"] else "false") + "\r\n"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    names = result["head"]["vars"]
    writer.writerow(names)
    for row in result["results"]["bindings"]:
        writer.writerow([row[n]["value"] if n in row else "" for n in names])
    return buffer.getvalue()


def results_json(solutions) -> dict:
    """SPARQL 1.1 JSON results of a pyoxigraph SELECT or ASK result."""
    if isinstance(solutions, bool) or type(solutions).__name__ == "QueryBoolean":
        return {"head": {}, "boolean": bool(solutions)}
    variables = [v.value for v in solutions.variables]
    rows = []
    for solution in solutions:
        row = {}
        for name in variables:
            term = solution[name]
            if term is not None:
                row[name] = term_json(term)
        rows.append(row)
    return {"head": {"vars": variables}, "results": {"bindings": rows}}


def term_json(term) -> dict:
    kind = type(term).__name__
    if kind == "NamedNode":
        return {"type": "uri", "value": term.value}
    if kind == "BlankNode":
        return {"type": "bnode", "value": term.value}
    out = {"type": "literal", "value": term.value}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        out["datatype"] = term.datatype.value
    return out


def same_results(expected: dict, actual: dict, ordered: bool) -> bool:
    """Compare two SPARQL JSON results; rows as a multiset unless ``ordered``. Blank node labels are ignored."""
    if "boolean" in expected or "boolean" in actual:
        return expected.get("boolean") == actual.get("boolean")
    if expected["head"]["vars"] != actual["head"]["vars"]:
        return False

    def rows(result):
        out = [json.dumps({k: (v if v["type"] != "bnode" else {"type": "bnode"}) for k, v in sorted(r.items())}, ensure_ascii=False, sort_keys=True) for r in result["results"]["bindings"]]
        return out if ordered else sorted(out)

    return rows(expected) == rows(actual)


def dumps(result: dict) -> str:
    """The canonical text of an expected-result file."""
    return json.dumps(result, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def stats_table(settings: Settings) -> str:
    """The `rakg stats` report: for each query in queries/stats, one line per row: count, then what."""
    from .namespaces import PREFIXES
    from .releases import open_built_store

    store = open_built_store(settings)
    lines = []
    for query in load_catalog(settings.root_path / "queries" / "stats"):
        lines.append(f"{query.title}:")
        result = results_json(store.query(query.text))
        for row in result["results"]["bindings"]:
            count, what = (row[v]["value"] for v in result["head"]["vars"])
            for prefix, namespace in PREFIXES.items():
                what = what.replace(str(namespace), f"{prefix}:") if what.startswith(str(namespace)) else what
            lines.append(f"  {int(count):>6}  {what}")
    return "\n".join(lines)
