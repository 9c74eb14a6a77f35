"""The SPARQL 1.1 Protocol: one media-type table, content negotiation, and request checks.

Pure Python (no engine, no Flask) so that it runs in the query worker processes too.

>>> negotiate("select", "application/sparql-results+xml;q=0.9, text/csv", None)
'csv'
>>> negotiate("construct", "*/*", None)
'turtle'
>>> query_form("PREFIX ex: <http://e/> # c\\n ASK { ?s ?p ?o }")
'ask'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import Forbidden, NotAcceptable, QueryError

# format key -> (media type, kind); the first of each kind is its default.
MEDIA_TYPES = {
    "json": ("application/sparql-results+json", "results"),
    "xml": ("application/sparql-results+xml", "results"),
    "csv": ("text/csv", "results"),
    "tsv": ("text/tab-separated-values", "results"),
    "turtle": ("text/turtle", "graph"),
    "ntriples": ("application/n-triples", "graph"),
    "rdfxml": ("application/rdf+xml", "graph"),
    "jsonld": ("application/ld+json", "graph"),
    "nquads": ("application/n-quads", "graph"),
    "trig": ("application/trig", "graph"),
}
# Other names clients use for the same formats (Accept values and ?format= values).
ALIASES = {
    "application/json": "json",
    "application/sparql-results+json": "json",
    "application/xml": "xml",
    "text/xml": "xml",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "ttl": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "nt": "ntriples",
    "n-triples": "ntriples",
    "application/rdf+xml": "rdfxml",
    "rdf": "rdfxml",
    "application/ld+json": "jsonld",
    "json-ld": "jsonld",
    "application/n-quads": "nquads",
    "nq": "nquads",
    "application/trig": "trig",
}
FORM_KIND = {"select": "results", "ask": "results", "construct": "graph", "describe": "graph"}
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")

_COMMENT_OR_STRING = re.compile(
    r"'''.*?'''|\"\"\".*?\"\"\"|'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\"|<[^<>\"{}|^`\\\s]*>|#[^\n]*", re.DOTALL
)


def _strip(query: str) -> str:
    """The query with comments and string literals blanked (same length, so offsets still match); IRIs kept."""
    return _COMMENT_OR_STRING.sub(lambda m: m.group(0) if m.group(0).startswith("<") else " " * len(m.group(0)), query)


def _body(query: str) -> str:
    """The query after its prologue (BASE and PREFIX declarations)."""
    text = _strip(query)
    prologue = re.compile(r"\s*(BASE\s*<[^>]*>|PREFIX\s+[\w.-]*:\s*<[^>]*>)", re.IGNORECASE)
    position = 0
    while True:
        match = prologue.match(text, position)
        if not match:
            return text[position:].lstrip()
        position = match.end()


def query_form(query: str) -> str:
    """'select', 'ask', 'construct', 'describe' or 'update'.

    Raises QueryError when the text starts with neither a query nor an update keyword.
    """
    word = re.match(r"[A-Za-z]*", _body(query)).group(0).upper()
    if word.lower() in FORM_KIND:
        return word.lower()
    if word in UPDATE_KEYWORDS:
        return "update"
    raise QueryError(f"the request is not a SPARQL query: expected SELECT, ASK, CONSTRUCT or DESCRIBE, found {word or 'nothing'!r}", where="line 1")


def refuse_update(query: str) -> None:
    """Raises Forbidden for SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, ADD, MOVE, COPY)."""
    if query_form(query) == "update":
        raise Forbidden("this endpoint is read-only: SPARQL Update (INSERT, DELETE, LOAD, CLEAR, DROP, CREATE, ADD, MOVE, COPY) is refused")


SERVICE_CLAUSE = re.compile(r"\bSERVICE\s+(?:SILENT\s+)?(<[^>]*>|[?$]\w+|[\w.-]*:[\w.-]*)", re.IGNORECASE)


def _service_targets(query: str, prefixes: dict[str, str]):
    """(start, end, endpoint) of every SERVICE target in the query; a variable endpoint is '?var'."""
    text = _strip(query)
    if "service" not in text.lower():
        return
    declared = dict(prefixes)
    declared.update({m.group(1): m.group(2) for m in re.finditer(r"PREFIX\s+([\w.-]*):\s*<([^>]*)>", text, re.IGNORECASE)})
    for match in SERVICE_CLAUSE.finditer(text):
        target = match.group(1)
        if target.startswith("<"):
            endpoint = target[1:-1]
        elif target[0] in "?$":
            endpoint = "?" + target[1:]
        else:
            prefix, _, local = target.partition(":")
            endpoint = declared.get(prefix, f"{prefix}:") + local
        yield match.start(1), match.end(1), endpoint


def service_endpoints(query: str, prefixes: dict[str, str]) -> list[str]:
    """Every endpoint a SERVICE clause names; a variable endpoint is returned as '?var'.

    >>> service_endpoints("PREFIX w: <https://q.org/> SELECT * { SERVICE SILENT w:sparql { ?s ?p ?o } }", {})
    ['https://q.org/sparql']
    """
    return [endpoint for _, _, endpoint in _service_targets(query, prefixes)]


def route_services(query: str, allowed: list[str], prefixes: dict[str, str], proxy_base: str) -> str:
    """The query with every SERVICE target (all on the allow-list; check_services first) replaced by this
    server's federation proxy for that endpoint, so that every outgoing request goes through one client
    with a User-Agent, a timeout and Retry-After handling.

    >>> route_services("SELECT * { SERVICE <https://q.org/sparql> { ?s ?p ?o } }", ["https://q.org/sparql"], {}, "http://127.0.0.1:8000")
    'SELECT * { SERVICE <http://127.0.0.1:8000/federation/0> { ?s ?p ?o } }'
    """
    pieces, last = [], 0
    for start, end, endpoint in _service_targets(query, prefixes):
        pieces += [query[last:start], f"<{proxy_base}/federation/{allowed.index(endpoint)}>"]
        last = end
    return "".join(pieces) + query[last:]


def check_services(query: str, allowed: list[str], prefixes: dict[str, str]) -> None:
    """Raises Forbidden if the query calls a SERVICE not on the allow-list (a variable SERVICE never is)."""
    for endpoint in service_endpoints(query, prefixes):
        if endpoint not in allowed:
            listed = ", ".join(allowed) if allowed else "none: federation is switched off"
            raise Forbidden(f"SERVICE <{endpoint}> is not allowed; allowed endpoints: {listed}")


@dataclass(frozen=True)
class MediaRange:
    type: str
    q: float


def parse_accept(header: str | None) -> list[MediaRange]:
    """Media ranges of an Accept header, best first (stable for equal q)."""
    ranges = []
    for index, part in enumerate((header or "*/*").split(",")):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for field in fields[1:]:
            if field.lower().startswith("q="):
                try:
                    q = float(field[2:])
                except ValueError:
                    q = 0.0
        ranges.append((-q, index, MediaRange(fields[0].lower(), q)))
    return [r for _, _, r in sorted(ranges) if r.q > 0]


def negotiate(form: str, accept: str | None, fmt: str | None) -> str:
    """The format key for a query form, from a ``format`` parameter or the Accept header.

    Raises NotAcceptable when nothing acceptable can be produced.
    """
    kind = FORM_KIND[form]
    candidates = [key for key, (_, k) in MEDIA_TYPES.items() if k == kind]
    if fmt:
        key = ALIASES.get(fmt.lower(), fmt.lower())
        if key in candidates:
            return key
        raise NotAcceptable(f"format {fmt!r} cannot express {'an' if form == 'ask' else 'a'} {form.upper()} result; use one of {', '.join(candidates)}")
    for media_range in parse_accept(accept):
        if media_range.type in ("*/*", "application/*", "text/*"):
            prefix = media_range.type.split("/")[0]
            for key in candidates:
                if prefix == "*" or MEDIA_TYPES[key][0].startswith(prefix + "/"):
                    return key
            continue
        key = ALIASES.get(media_range.type)
        if key in candidates:
            return key
    offered = ", ".join(MEDIA_TYPES[k][0] for k in candidates)
    raise NotAcceptable(f"cannot produce {accept!r} for {'an' if form == 'ask' else 'a'} {form.upper()} query; available: {offered}")


def content_type(key: str) -> str:
    """The Content-Type header for a format key: exact types for SPARQL results, charset for text."""
    media_type = MEDIA_TYPES[key][0]
    if key in ("csv", "tsv", "turtle", "ntriples", "nquads", "trig"):
        return f"{media_type}; charset=utf-8"
    return media_type
