"""server/syntax.py: the parse that the SERVICE allow-list and the nesting limits rest on, checked against the
engine itself (pyoxigraph, in this process, calling a listening socket on 127.0.0.1)."""

from __future__ import annotations

import glob
import time
from pathlib import Path

import pytest

from server import syntax
from server.errors import Forbidden, QueryError
from server.store import QUERY_PREFIXES, GraphStore

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def engine():
    return GraphStore.from_text("<http://e/s> <http://e/p> <http://e/o> .", "ntriples")


def refused(query: str, allowed=()) -> bool:
    try:
        syntax.check(query, QUERY_PREFIXES, allowed=allowed)
    except (Forbidden, QueryError):
        return True
    return False


def test_every_service_the_engine_would_call_is_found_by_the_parse(engine, listening_socket, service_hiding_queries):
    """Differential test over 1 200 SERVICE-hiding queries: each one that makes the engine connect to the listening
    socket when run unchecked must be refused by the check (with an empty allow-list)."""
    trap = listening_socket()
    queries = service_hiding_queries(trap.url)
    assert len(queries) >= 1000
    called = missed = 0
    for query in queries:
        before = len(trap.connections)
        try:
            result = engine.query(query)
            if not isinstance(result, bool):
                list(result)
        except Exception:  # noqa: BLE001 - a syntax error or a failed call; the socket tells which
            pass
        if _late(trap, before):
            called += 1
            missed += not refused(query)
            assert refused(query), f"the engine called the socket, the check let it through: {query!r}"
    print(f"FIGURE service variants: {len(queries)} generated, {called} made the engine call out unchecked, {missed} missed")
    assert called >= len(queries) // 4, "the generator should produce mostly real SERVICE calls"


def _late(trap, before: int) -> bool:
    """Whether the listener recorded a connection after the first ``before`` (it records one once its first bytes
    arrive, so wait a little for the listener's thread)."""
    deadline = time.monotonic() + 0.05
    while time.monotonic() < deadline:
        if len(trap.connections) > before:
            return True
        time.sleep(0.005)
    return False


def test_the_bypass_of_the_text_check_is_read_as_a_service_clause():
    query = "PREFIX : <http://127.0.0.1:9/> SELECT * { FILTER(1<2)SERVICE:x#>\n{ ?a ?b ?c } }"
    assert [s.endpoint for s in syntax.analyze(query, {}).services] == ["http://127.0.0.1:9/x"]
    with pytest.raises(Forbidden, match="SERVICE <http://127.0.0.1:9/x> is not allowed"):
        syntax.check(query, {})


@pytest.mark.parametrize("query, endpoint", [
    ("SELECT * { SERVICE <http://127.0.0.1\\u003a9/> { } }", "http://127.0.0.1:9/"),  # an escape in an IRI
    ("BASE <http://a/b/> SELECT * { SERVICE <../c> { } }", "http://a/c"),
    ("BASE <http://a/b/> PREFIX x: <y/> SELECT * { SERVICE x:z { } }", "http://a/b/y/z"),
    ("PREFIX x: <http://a/> PREFIX x: <http://b/> SELECT * { SERVICE x:z\\.q { } }", "http://b/z.q"),
    ("PREFIX : <http://a/> SELECT * { SERVICE SILENT:x { } }", "http://a/x"),  # the engine reads SILENT first
    ("PREFIX ex: <http://a/> SELECT * { SERVICEex:x { } }", "http://a/x"),
    ("SELECT * { SERVICE ?endpoint { } }", "?endpoint"),
])
def test_service_targets_are_read_as_the_engine_reads_them(query, endpoint):
    assert [s.endpoint for s in syntax.analyze(query, {}).services] == [endpoint]


def test_the_engine_resolves_targets_as_the_parse_does(engine, listening_socket):
    trap = listening_socket()
    host, port = "127.0.0.1", trap.port
    for query in (f"BASE <http://{host}:{port}/a/b> SELECT * {{ SERVICE SILENT <../x> {{ }} }}",
                  f"PREFIX p: <http://{host}:{port}/> SELECT * {{ SERVICE SILENT p:q\\.r {{ }} }}"):
        before = len(trap.connections)
        list(engine.query(query))
        assert _late(trap, before), query
        request_line = trap.connections[-1].split(b"\r\n", 1)[0].decode()
        (service,) = syntax.analyze(query, {}).services
        assert request_line.split()[1] == "/" + service.endpoint.split("/", 3)[3], (request_line, service)


def test_every_named_query_and_rule_parses():
    texts = [Path(p) for p in glob.glob(str(ROOT / "queries" / "**" / "*.rq"), recursive=True)]
    texts += [Path(p) for p in glob.glob(str(ROOT / "ontology" / "rules" / "*.rq"))]
    assert len(texts) > 60
    for path in texts:
        syntax.analyze(path.read_text(encoding="utf-8"), QUERY_PREFIXES)


@pytest.mark.parametrize("query", [
    "SELECT * { << ?s ?p ?o >> ?q ?r }", "SELECT * { ?s ?p <<( ?a ?b ?c )>> }", "SELECT * { ?s ?p ?o ~ ?r {| ?q ?r |} }",
    "VERSION '1.2' SELECT * {}", "SELECT * { ?s ?p 'a'@en--ltr }", "SELECT * { LATERAL { ?s ?p ?o } }",
    "SELECT * { ?s ?p ?o FILTER(?s<?o&&?p>?o) }", "SELECT * { FILTER(1 <2)#>\n }", "SELECT (COUNT(DISTINCT *) AS ?n) {}",
    "SELECT (GROUP_CONCAT(?x; SEPARATOR=', ') AS ?l) { ?s ?p ?x } GROUP BY ?s HAVING (COUNT(*) > 1) ORDER BY DESC(?l)",
    "SELECT * { ?s ^<p:p>/(<p:q>|!(a|^<p:r>))* ?o FILTER NOT EXISTS { ?o ?p 1.5e3 } } VALUES (?s ?o) { (UNDEF 1) }",
    "ASK { ?s ?p -1 , +2.0 , 'x'^^<p:t> FILTER(?p IN (1, 2) && ?s NOT IN ()) }", "DESCRIBE <p:a> ?b", "CONSTRUCT WHERE { ?s ?p ?o }",
])
def test_the_grammar_accepts_what_the_engine_accepts(engine, query):
    engine.query(query)  # the engine takes it
    syntax.analyze(query, {"": "http://e/"})


@pytest.mark.parametrize("kind, build, limit", [
    ("nested groups", lambda n: "SELECT * " + "{" * n + "}" * n, syntax.MAX_NESTING),
    ("nested brackets", lambda n: "SELECT * { FILTER(" + "(" * n + "1" + ")" * n + ") }", syntax.MAX_NESTING),
    ("a UNION chain", lambda n: "SELECT * { " + " UNION ".join(["{ }"] * n) + " }", syntax.MAX_DEPTH),
    ("an OPTIONAL chain", lambda n: "SELECT * { " + " ".join(["OPTIONAL { }"] * n) + " }", syntax.MAX_DEPTH),
    ("a + chain", lambda n: "SELECT (" + "+".join(["1"] * n) + " AS ?x) {}", syntax.MAX_DEPTH),
    ("a || chain", lambda n: "SELECT * { FILTER(" + "||".join(["true"] * n) + ") }", syntax.MAX_DEPTH),
    ("a path sequence", lambda n: "SELECT * { ?s " + "/".join(["<p>"] * n) + " ?o }", syntax.MAX_DEPTH),
])
def test_the_limits_are_measured_on_the_parse(kind, build, limit):
    """Just under a limit passes, just over is a 400 that names it; a '<' that hides brackets from a pattern hides
    nothing from the parse (the second bypass of issue 16)."""
    syntax.check(build(limit - 2), {})
    with pytest.raises(QueryError, match=f"at most {limit}"):
        syntax.check(build(limit + 5), {})


def test_brackets_behind_a_less_than_sign_count():
    hidden = "SELECT * { FILTER(1<" + "(" * 5000 + "1" + ")" * 5000 + ") } #>"
    with pytest.raises(QueryError, match="at most 100"):
        syntax.check(hidden, {})
    unbalanced = "SELECT * { FILTER(1<" + "(" * 100000 + " #>"  # the form: stopped at the 101st bracket
    with pytest.raises(QueryError, match="at most 100"):
        syntax.check(unbalanced, {})


def test_the_engine_survives_everything_the_limits_let_through(engine):
    """The largest queries the limits accept do not overflow the engine's stack (a crash would end this process)."""
    for query in ("SELECT * " + "{" * 99 + " UNION ".join(["{ }"] * 900) + "}" * 99,
                  "SELECT * { FILTER(" + "(" * 98 + "||".join(["true"] * 900) + ")" * 98 + ") }",
                  "SELECT * " + "{" * 99 + " ".join(["MINUS { }"] * 900) + "}" * 99):
        syntax.check(query, {})
        result = engine.query(query)
        list(result) if not isinstance(result, bool) else None


def test_only_text_that_could_matter_is_parsed():
    short = "SELECT * { ?s ?p ?o } ORDER BY"  # a syntax error the engine reports in its own words
    assert syntax.check(short, {}) == []
    for text in (short + " # service", short + " " * syntax.QUICK_LENGTH, short + "#" + "(" * 101):
        with pytest.raises(QueryError, match="syntax error at line 1"):
            syntax.check(text, {})
