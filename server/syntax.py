"""A SPARQL query read the way the engine reads it: how deep it nests and which endpoints its SERVICE clauses call.

The checks that guard the engine (the SERVICE allow-list, the nesting limits) must not be fooled by text that a
pattern reads one way and the engine another: in ``FILTER(1<2)SERVICE:x#>`` a pattern sees one IRI where the
engine sees a comparison, a SERVICE clause and a comment.  So they work on a real parse, by the grammar of
``sparql.lark`` (the W3C SPARQL 1.1 query grammar; an LALR parser whose lexer, like the engine's parser, decides
what a ``<`` is by what may come next).

Parsing costs about a microsecond per character, so :func:`check` parses only when the answer could matter: when
the text holds the letters "service" anywhere (a SERVICE keyword cannot be spelt otherwise: the engine decodes
``\\u`` escapes only inside IRIs and strings), or is long (comment lines aside) or has many brackets (a short
text with few brackets cannot nest deeply).

>>> [s.endpoint for s in check("PREFIX w: <https://q.org/> SELECT * { SERVICE SILENT w:sparql { ?s ?p ?o } }", {}, allowed=["https://q.org/sparql"])]
['https://q.org/sparql']
>>> check("PREFIX : <http://127.0.0.1:9/> SELECT * { FILTER(1<2)SERVICE:x#>\\n{ ?a ?b ?c } }", {})
Traceback (most recent call last):
...
server.errors.Forbidden: SERVICE <http://127.0.0.1:9/x> is not allowed; allowed endpoints: none: federation is switched off
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from .errors import Forbidden, QueryError
from .protocol import unknown_prefix, without_comment_lines

MAX_NESTING = 100  # brackets inside brackets
MAX_DEPTH = 1000  # levels of the query's algebra: brackets, and every link of a chain (UNION, OPTIONAL, MINUS, operators, path steps)
MAX_LINKS = 4 * MAX_DEPTH  # chain links in one pair of brackets: the parse stops there, whatever the rest holds
QUICK_LENGTH = 2000  # a text this short, with at most MAX_NESTING brackets, cannot exceed either limit
BRACKETS = {"LPAR": 1, "LBRACE": 1, "LSQB": 1, "TRIPLE_OPEN": 1, "REIFIED_OPEN": 1, "ANNOTATION_OPEN": 1,
            "RPAR": -1, "RBRACE": -1, "RSQB": -1, "TRIPLE_CLOSE": -1, "REIFIED_CLOSE": -1, "ANNOTATION_CLOSE": -1}
LINKS = ("OR", "AND", "ADDITIVE", "MULTIPLICATIVE", "SIGNED_INTEGER", "SIGNED_DECIMAL", "SIGNED_DOUBLE", "UNION", "OPTIONAL",
         "MINUS", "VBAR", "SLASH")
# Rules whose operands the engine nests one inside the other (a chain of n operands is n - 1 levels deep).
CHAINS = {"group_or_union_graph_pattern", "conditional_or_expression", "conditional_and_expression", "additive_expression",
          "multiplicative_expression", "path", "path_sequence"}
NESTING_PATTERNS = {"optional_graph_pattern", "minus_graph_pattern", "lateral_graph_pattern", "filter", "bind"}
_UCHAR = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
_LOCAL_ESCAPE = re.compile(r"\\(.)")
_parser = None
_parser_lock = threading.Lock()
_links = threading.local()  # for the parse running in this thread: chain links in each open pair of brackets


class _TooDeep(Exception):
    """Raised from the lexer at the first bracket beyond MAX_NESTING, or the first chain link beyond MAX_LINKS in
    one pair of brackets, so that a text of 100 000 '(' or '+' costs no more than one of a few hundred."""

    def __init__(self, token, message: str):
        super().__init__(message)
        self.token, self.message = token, message


def _count_bracket(token):
    if BRACKETS[token.type] > 0:
        _links.open.append(0)
        if len(_links.open) > MAX_NESTING + 1:
            raise _TooDeep(token, f"the query nests brackets more than {MAX_NESTING} levels deep; at most {MAX_NESTING} are allowed")
    elif len(_links.open) > 1:
        _links.open.pop()
    return token


def _count_link(token):
    _links.open[-1] += 1
    if _links.open[-1] > MAX_LINKS:
        raise _TooDeep(token, f"the query chains more than {MAX_LINKS} operators, UNION, OPTIONAL, MINUS or path steps in one "
                       f"pair of brackets; its algebra may be at most {MAX_DEPTH} levels deep")
    return token


@dataclass(frozen=True)
class Service:
    """A SERVICE clause: the endpoint it calls (an IRI, or '?name' for a variable), the span of its target in the
    text, and whether it is SILENT."""

    endpoint: str
    start: int
    end: int
    silent: bool


@dataclass(frozen=True)
class Analysis:
    nesting: int
    depth: int
    services: tuple[Service, ...]


def _lark():
    global _parser
    with _parser_lock:
        if _parser is None:
            from lark import Lark

            _parser = Lark(Path(__file__).with_name("sparql.lark").read_text(encoding="utf-8"), parser="lalr", cache=True,
                           lexer="contextual", keep_all_tokens=True, maybe_placeholders=False,
                           lexer_callbacks={**{name: _count_bracket for name in BRACKETS}, **{name: _count_link for name in LINKS}})
        return _parser


def prepare() -> None:
    """Build the parser and compile the lexer of every parser state now (about half a second), so that processes
    forked afterwards (the query workers) share them instead of compiling them on their first queries.  The
    grammar's tables are cached by lark in the temporary folder."""
    lexer = _lark().parser.lexer
    for state_lexer in {id(each): each for each in lexer.lexers.values()}.values():
        state_lexer.scanner  # noqa: B018 - compiled on first access


def mentions_service(query: str) -> bool:
    """Whether the text could hold a SERVICE clause (the letters, in any case, decoded or not).

    >>> mentions_service("SELECT * { ?s ?p 'x' }"), mentions_service("select * { ?s ?p ?o } # Service")
    (False, True)
    """
    if "service" in query.lower():
        return True
    return ("\\u" in query or "\\U" in query) and "service" in _UCHAR.sub(_decode_uchar, query).lower()


def needs_parse(query: str) -> bool:
    """Whether a parse could change what :func:`check` says (see the module's docstring).  The length that counts
    leaves out the lines that are wholly comments (protocol.without_comment_lines; the named queries' headers are
    such lines), which neither nest nor link anything.

    >>> header = "#+ description: " + "x" * QUICK_LENGTH + "\\n"
    >>> needs_parse(header + "SELECT * { ?s ?p ?o }"), needs_parse("SELECT * { ?s ?p '" + "x" * QUICK_LENGTH + "' }")
    (False, True)
    """
    if mentions_service(query) or query.count("(") + query.count("{") + query.count("[") > MAX_NESTING:
        return True
    return len(query) > QUICK_LENGTH and len(without_comment_lines(query)) > QUICK_LENGTH


def analyze(query: str, prefixes: dict[str, str], base: str | None = None) -> Analysis:
    """Parse the query; its bracket nesting, algebra depth and SERVICE clauses (endpoints resolved with the query's
    PREFIX and BASE declarations over ``prefixes`` and ``base``).

    Raises QueryError for text the grammar does not accept, with its line and column, and at the first bracket
    nested deeper than MAX_NESTING or the first chain link beyond MAX_LINKS in one pair of brackets (the parse
    stops there).

    >>> a = analyze("SELECT * { { ?s ?p ?o } UNION { SERVICE ?e { } } }", {})
    >>> a.nesting, a.depth, a.services
    (3, 4, (Service(endpoint='?e', start=40, end=42, silent=False),))
    """
    from lark.exceptions import LarkError, UnexpectedInput

    parser = _lark()
    _links.open = [0]
    try:
        tree = parser.parse(query)
    except _TooDeep as error:
        raise QueryError(error.message, where=f"line {error.token.line}, column {error.token.column}") from None
    except UnexpectedInput as error:
        raise QueryError(f"SPARQL syntax error at line {error.line}, column {error.column}: {_reason(error)}",
                         where=f"line {error.line}, column {error.column}") from None
    except LarkError as error:  # an unexpected end of input is reported without a position
        raise QueryError(f"SPARQL syntax error: {error}") from None
    nesting, depth = _measure(tree)
    return Analysis(nesting, depth, tuple(_services(tree, prefixes, base)))


def check(query: str, prefixes: dict[str, str], base: str | None = None, allowed=()) -> list[Service]:
    """The SERVICE clauses of a query that passes the checks; raises otherwise.

    Raises QueryError (400) beyond MAX_NESTING or MAX_DEPTH, or for a text that must be parsed (see
    :func:`needs_parse`) and that the grammar does not accept; Forbidden (403) for a SERVICE endpoint not in
    ``allowed`` (a variable endpoint never is).  A short text with few brackets and no "service" is not parsed:
    the engine reports its syntax errors in its own words.
    """
    if not needs_parse(query):
        return []
    analysis = analyze(query, prefixes, base)
    if analysis.nesting > MAX_NESTING:
        raise QueryError(f"the query nests brackets {analysis.nesting} levels deep; at most {MAX_NESTING} are allowed")
    if analysis.depth > MAX_DEPTH:
        raise QueryError(f"the query's algebra would be {analysis.depth} levels deep (nested groups, and chains of UNION, "
                         f"OPTIONAL, MINUS, operators or path steps); at most {MAX_DEPTH} are allowed")
    for service in analysis.services:
        if service.endpoint not in allowed:
            listed = ", ".join(allowed) if allowed else "none: federation is switched off"
            raise Forbidden(f"SERVICE <{service.endpoint}> is not allowed; allowed endpoints: {listed}")
    return list(analysis.services)


def route(query: str, services: list[Service], target) -> str:
    """The query with the target of each SERVICE clause replaced by ``<target(endpoint)>``.

    >>> q = "SELECT * { SERVICE <https://q.org/sparql> { ?s ?p ?o } }"
    >>> route(q, check(q, {}, allowed=["https://q.org/sparql"]), lambda e: "http://127.0.0.1:1/federation/0")
    'SELECT * { SERVICE <http://127.0.0.1:1/federation/0> { ?s ?p ?o } }'
    """
    pieces, last = [], 0
    for service in sorted(services, key=lambda s: s.start):
        pieces += [query[last:service.start], f"<{target(service.endpoint)}>"]
        last = service.end
    return "".join(pieces) + query[last:]


def _reason(error) -> str:
    token = getattr(error, "token", None)
    if token is not None:
        found = "the end of the query" if token.type == "$END" else repr(str(token)[:40])
        expected = sorted(getattr(error, "expected", None) or getattr(error, "accepts", None) or [])
        return f"unexpected {found}" + (f"; expected one of {', '.join(expected[:12])}" if expected else "")
    return f"unexpected character {error.char!r}" if hasattr(error, "char") else "unexpected input"


def _measure(tree) -> tuple[int, int]:
    """(bracket nesting, algebra depth) of a parse tree, without recursion (the tree may be deep)."""
    from lark import Tree

    done: dict[int, tuple[int, int]] = {}
    stack = [(tree, False)]
    while stack:
        node, visited = stack.pop()
        if not visited:
            stack.append((node, True))
            stack.extend((child, False) for child in node.children if isinstance(child, Tree))
            continue
        nesting = depth = 0
        for child in node.children:
            if isinstance(child, Tree):
                child_nesting, child_depth = done.pop(id(child))
                nesting, depth = max(nesting, child_nesting), max(depth, child_depth)
        opens = any(BRACKETS.get(getattr(child, "type", ""), 0) > 0 for child in node.children)
        operands = [child for child in node.children if isinstance(child, Tree)]
        links = 0
        if node.data in CHAINS:  # operands are subtrees, or signed numbers ("1 +1 +1" is three operands)
            links = len(operands) + sum(1 for child in node.children if getattr(child, "type", "").startswith("SIGNED_")) - 1
        elif node.data == "group_graph_pattern_sub":
            links = sum(1 for child in operands if child.data in NESTING_PATTERNS)
        done[id(node)] = (nesting + opens, depth + opens + links)
    return done[id(tree)]


def _services(tree, prefixes: dict[str, str], base: str | None):
    declared = dict(prefixes)
    for declaration in tree.children[0].children:
        if declaration.data == "base_decl":
            base = _resolve(_iri_text(_tokens(declaration)[-1]), base)
        else:
            name, iri = _tokens(declaration)[-2:]
            declared[str(name)[:-1]] = _resolve(_iri_text(iri), base)
    for clause in tree.find_data("service_graph_pattern"):
        silent = any(part.type == "SILENT" for part in _tokens(clause))
        target = next(child for child in clause.children[1:] if not (isinstance(child, str) and child.type in ("SERVICE", "SILENT")))
        token = target if isinstance(target, str) else _tokens(target)[-1]
        yield Service(_endpoint(token, declared, base, prefixes), token.start_pos, token.end_pos, silent)


def _tokens(tree) -> list:
    return [child for child in tree.children if isinstance(child, str)]


def _endpoint(token, declared: dict[str, str], base: str | None, predeclared: dict[str, str]) -> str:
    if token.type in ("VAR1", "VAR2"):
        return "?" + str(token)[1:]
    if token.type == "IRIREF":
        return _resolve(_iri_text(token), base)
    prefix, _, local = str(token).partition(":")
    if prefix not in declared:
        raise unknown_prefix(prefix, token.line, token.column, predeclared)
    return declared[prefix] + _LOCAL_ESCAPE.sub(r"\1", local)


def _iri_text(token) -> str:
    return _UCHAR.sub(_decode_uchar, str(token)[1:-1])


def _decode_uchar(match: re.Match) -> str:
    code = int(match.group(1) or match.group(2), 16)
    return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group(0)


def _resolve(iri: str, base: str | None) -> str:
    """An IRI resolved against the base (RFC 3986); an IRI with a scheme is returned as it is."""
    if re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", iri) or not base:
        return iri
    return urljoin(base, iri)
