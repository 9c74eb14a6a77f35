"""Reading the source files: a parser whose errors name file, line and column and say what is wrong in words.

:func:`parse_file` reads a file twice: with pyoxigraph's parser first, which is strict (IRIs, language tags) and
gives exact lines and columns, and whose errors are put in words here; then with rdflib, for the graph that SHACL
and the rules use (pyoxigraph's terms are not used: it lowercases language tags, zh-Hant to zh-hant).  The strict
parser is reached through store.typed_literals: store.py stays the only module that imports the engine.
"""

from __future__ import annotations

import re
from pathlib import Path

from rdflib import Graph

from ..errors import DataError
from .lexical import problem

RDF_FORMATS = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".nq": "nquads",
    ".trig": "trig",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
    ".jsonld": "json-ld",
    ".json": "json-ld",
}


class ParseErrors(DataError):
    """Several parse errors at once; ``problems`` holds each, a DataError naming file, line and column."""

    def __init__(self, problems: list[DataError]):
        super().__init__(f"{len(problems)} parse errors")
        self.problems = problems


def raise_all(problems: list[DataError]) -> None:
    """Raise the one problem, or ParseErrors for several; nothing when there is none."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ParseErrors(problems)


def parse_file(path: Path, graph: Graph | None = None, fmt: str | None = None, name: str | None = None) -> Graph:
    """Parse one RDF file into ``graph`` (a new Graph by default).

    The file is first read by the strict parser (pyoxigraph: syntax, IRIs and language tags as the standards say
    them, exact positions) and its typed literals are checked (server/build/lexical.py); then rdflib reads it.
    Raises DataError whose ``where`` is ``name`` (by default the path), line and column, and whose message says
    what is wrong in words; ParseErrors when there are several (every ill-typed literal is reported).
    """
    graph = graph if graph is not None else Graph()
    name = name or str(path)
    fmt = fmt or RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DataError(f"unknown RDF file type {path.suffix!r}", where=name)
    raise_all(check_file(path, fmt, name))
    try:
        graph.parse(path, format=fmt)
    except Exception as exc:  # rdflib raises many parser-specific types
        raise DataError(f"rdflib cannot read it: {_first_line(exc)}", where=f"{name}{_line_of(exc)}") from exc
    return graph


def check_file(path: Path, fmt: str, name: str) -> list[DataError]:
    """The syntax error of one file (the parser stops at the first), or else its every ill-typed literal, located."""
    from ..store import typed_literals  # the engine's strict parser

    bad = {}
    try:
        for value, datatype in typed_literals(path, fmt):
            if (value, datatype) not in bad:
                bad[(value, datatype)] = problem(value, datatype)
    except SyntaxError as error:
        return [_syntax_error(error, path, name)]
    except OSError as error:
        return [DataError(f"cannot read it: {error.strerror}", where=name)]
    return _locate({key: reason for key, reason in bad.items() if reason}, path, name)


def _syntax_error(error: SyntaxError, path: Path, name: str) -> DataError:
    reason = re.sub(r"^Parser error (at line \d+ (column \d+|between columns \d+ and \d+)|between line .*? column \d+): ", "",
                    error.msg)
    line, column = error.lineno or 1, error.offset or 1
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    text = lines[line - 1] if line <= len(lines) else ""
    end = error.end_offset if error.end_lineno == line and (error.end_offset or 0) > column else column + 1
    return DataError(in_words(reason, text[column - 1:end - 1], text, column), where=f"{name}:{line}:{column}")


_EXPECTED = {"RDF object": "an object (an IRI, a prefixed name, a literal or a blank node)",
             "subject or graph name": "a subject (an IRI, a prefixed name or a blank node)",
             "predicate": "a predicate (an IRI, a prefixed name or 'a')"}


def in_words(reason: str, found: str, line: str, column: int) -> str:
    """The parser's ``reason`` for an error at ``column`` (from 1) of ``line``, where it ``found`` some text, as a
    person would say it.

    >>> in_words("Invalid IRI code point ' '", "<http://bad iri>", "ex:a ex:b <http://bad iri> .", 11)
    'the IRI <http://bad iri> contains a space, which an IRI cannot hold (write it as %20)'
    >>> in_words("Unexpected character 'U'", "_", 'ex:a ex:b "x"@en_US .', 17)
    "bad language tag @en_US: '_' cannot be part of it (a tag is letters and digits joined by hyphens, like en, zh-Hant or en-US)"
    """
    for tag in re.finditer(r"(?<=[\"'])@([^\s,;)\]]*)", line):
        if tag.start() < column <= tag.end() + 1:
            why = f"{line[column - 1]!r} cannot be part of it" if reason.startswith("Unexpected character") else reason
            return (f"bad language tag @{tag.group(1).rstrip('.')}: {why[0].lower()}{why[1:]} (a tag is letters and digits"
                    " joined by hyphens, like en, zh-Hant or en-US)")
    if match := re.fullmatch(r"Invalid IRI code point '(.+)'", reason):
        character = match.group(1)
        what = "a space" if character == " " else repr(character)
        encoded = "".join(f"%{byte:02X}" for byte in character.encode())
        return f"the IRI {found} contains {what}, which an IRI cannot hold (write it as {encoded})"
    if match := re.fullmatch(r"The prefix (.+) has not been declared", reason):
        return f"the prefix {match.group(1)} is not declared: add @prefix {match.group(1)} <...> . before its first use"
    if match := re.fullmatch(r"(.+) is not a valid (RDF object|subject or graph name|predicate)", reason, re.DOTALL):
        return f"expected {_EXPECTED[match.group(2)]} but found '{match.group(1)}'"
    if reason == "A dot is expected at the end of statements":
        return f"expected '.' to end the statement before {found} (is a '.' missing at the end of the line before?)"
    if reason == "Unexpected end of file":
        return "the file ends before what begins here is closed (a closing quote, '>', ']' or ')' is missing)"
    if reason == "Unexpected end":
        return "the file ends in the middle of a statement (a final '.' is missing?)"
    return reason[0].lower() + reason[1:]


def _locate(bad: dict, path: Path, name: str) -> list[DataError]:
    """A located DataError for each place where a bad literal ((text, datatype) -> reason) is written in the file."""
    if not bad:
        return []
    source = path.read_text(encoding="utf-8")
    found = []
    for (text, datatype), reason in bad.items():
        local = re.split(r"[#/]", datatype)[-1]
        written = re.compile(r"(\"\"\"|'''|\"|')" + re.escape(text) + r"\1\s*\^\^\s*(<" + re.escape(datatype) + r">|[\w.-]*:"
                             + re.escape(local) + r"\b)")
        places = [_line_column(source, match.start()) for match in written.finditer(source)]
        found += [(place, reason) for place in places] or [((0, 0), f"{reason} (written with escapes: search for it)")]
    return [DataError(reason, where=f"{name}:{line}:{column}" if line else name) for (line, column), reason in sorted(found)]


def _line_column(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _line_of(exc: Exception) -> str:
    match = re.search(r"line (\d+)", str(exc))
    return f":{match.group(1)}" if match else ""
