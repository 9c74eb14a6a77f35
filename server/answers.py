"""A query's answer in the format asked for: the engine's result written by the engine, cut at ``max_rows`` rows and
``max_bytes`` bytes after the last whole row, and flagged when cut.

>>> from server.store import GraphStore
>>> store = GraphStore.from_text('<http://e/a> <http://e/b> "c" .', "ntriples")
>>> query = "SELECT ?o { ?s ?p ?o }"
>>> answer = serialize(store.query(query), "tsv", max_rows=10)
>>> answer.body.decode().split(), answer.rows, answer.truncated
(['?o', '"c"'], 1, False)
>>> answer = serialize(store.query(query), "json", max_rows=0)
>>> answer.rows, answer.truncated, answer.limit
(0, True, 'limit=0')
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass

from .store import convert_solutions, result_kind, solutions_bytes, write_graph, write_solutions


@dataclass
class Answer:
    """A serialized query result."""

    body: bytes
    format: str
    rows: int
    truncated: bool
    seconds: float = 0.0  # the engine's time for the query and its serialization (set by web/jobs.execute)
    inline: bool = False  # run in the request thread, not in a query worker (set by executor.QueryPool.run)
    federated: bool = False  # its query called SERVICE endpoints: never cached, never run inline (set by web/jobs.execute)
    limit: str = ""  # the limit that cut it: 'limit=N' (rows) or 'bytes=N', empty when whole
    plan: object = None  # what the query's run taught (web/jobs.Plan), for the memo of cheap queries


def serialize(result, fmt: str, max_rows: int, max_bytes: int = 0) -> Answer:
    """Serialize a query result in format ``fmt`` (a key of protocol.MEDIA_TYPES), cutting it at ``max_rows`` rows
    and, when ``max_bytes`` is set, at the last whole row within that many bytes (``Answer.limit`` says which cut).

    Solutions are written by the engine (Rust): first as TSV, where every solution is one line (newlines in
    literals are escaped), so that the rows are counted and cut without a Python object per term; a TSV answer
    is sent as it is, other formats are parsed back from it and written by the engine again (and cut again, by
    the same proportion, if the other format is longer than ``max_bytes``).
    """
    kind = result_kind(result)
    if kind == "boolean":
        return Answer(_boolean(bool(result), fmt), fmt, 1, False)
    if kind == "graph":
        triples = list(itertools.islice(result, max_rows + 1))
        limit = f"limit={max_rows}" if len(triples) > max_rows else ""
        triples = triples[:max_rows]
        body = write_graph(triples, fmt)
        while max_bytes and len(body) > max_bytes:
            triples, limit = triples[: int(len(triples) * max_bytes / len(body) * 0.9)], f"bytes={max_bytes}"
            body = write_graph(triples, fmt)
        return Answer(body, fmt, len(triples), bool(limit), limit=limit)
    lines = _LineLimit(max_rows + 1, max_bytes)  # the header line and max_rows solutions
    try:
        write_solutions(result, lines, "tsv")
    except _LineLimit.Full:
        pass
    tsv = lines.text()
    rows, limit = tsv.count(b"\n") - 1, lines.cut
    body = tsv if fmt == "tsv" else convert_solutions(tsv, "tsv", fmt)
    while max_bytes and len(body) > max_bytes and rows > 0:
        rows, limit = int(rows * max_bytes / len(body) * 0.9), f"bytes={max_bytes}"
        tsv = _first_lines(tsv, rows + 1)
        body = tsv if fmt == "tsv" else convert_solutions(tsv, "tsv", fmt)
    if limit and fmt == "json":
        body = body[:-1] + b',"truncated":true}'
    elif limit and fmt == "xml":
        body = body.replace(b"</head>", b'<link href="urn:rakg:truncated"/></head>', 1)
    return Answer(body, fmt, rows, bool(limit), limit=limit)


def serialize_whole(result, fmt: str, rows: int) -> Answer:
    """Serialize a result known to fit the limits (a run of the same job gave ``rows`` rows, uncut) in format
    ``fmt``, by the engine in one call: what :func:`serialize` gives (the same bytes for solutions) without its TSV
    pass, and without the GIL, so that two such answers are written at once on two cores."""
    kind = result_kind(result)
    if kind == "boolean":
        return Answer(_boolean(bool(result), fmt), fmt, 1, False)
    if kind == "graph":
        return Answer(write_graph(list(result), fmt), fmt, rows, False)
    return Answer(solutions_bytes(result, fmt), fmt, rows, False)


def _first_lines(data: bytes, count: int) -> bytes:
    """The first ``count`` lines of ``data`` (a line ends at b'\\n' only: TSV escapes other breaks inside values)."""
    end = -1
    for _ in range(count):
        end = data.find(b"\n", end + 1)
        if end < 0:
            return data
    return data[: end + 1]


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
