"""The date audit (issue 15): every structured date of a fact is the reading, by server/build/dates.py, of the chapter's
own words for it — at exactly the phrase's precision, no finer — or says where it comes from (rakg:dateSource).

For each fact and each time role (date, start, end, asOf, delivery) that carries an exact value or bounds, the audit reads the
role's words (rakg:dateText for date and asOf, rakg:startText, rakg:endText, rakg:deliveryText) and the fact's quotes:

- if the role's own words hold a date expression, the value must be one of their readings (its year may come from
  the context only with rakg:dateSource);
- otherwise a reading of a quote must equal the value, or the fact names the date's origin with rakg:dateSource;
- bounds always come with the role's words, and those words occur in a part of the chapter the fact cites.

An exact value matches an exact reading at the same precision; bounds match a reading's earliest and latest.  A
start may also be the date a 「從 X 起」 names, an end the date a 「至 X」/「X 以前」 names.  Exceptions, each with its
reason, are in tests/date-exceptions.toml, shared with the number test (tests/test_numbers.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.namespace import RDF

from server.build.chapter import normalize
from server.build.dates import find_dates, read_date
from server.build.phrases import PHRASES
from server.namespaces import RAKG, SRC, bind_all

ROOT = Path(__file__).resolve().parent.parent
ROLES = {  # role: (exact value, earliest bound, latest bound, the role's words)
    "date": (RAKG.date, RAKG.earliestDate, RAKG.latestDate, RAKG.dateText),
    "start": (RAKG.startDate, RAKG.earliestStart, RAKG.latestStart, RAKG.startText),
    "end": (RAKG.endDate, RAKG.earliestEnd, RAKG.latestEnd, RAKG.endText),
    "asOf": (RAKG.asOf, RAKG.earliestAsOf, RAKG.latestAsOf, RAKG.dateText),
    "delivery": (RAKG.deliveryDate, RAKG.earliestDelivery, RAKG.latestDelivery, RAKG.deliveryText),
}
ANCHOR_RELATIONS = {"date": ("at", "from", "after-event"), "start": ("at", "from", "after-event"),
                    "end": ("at", "until", "before", "before-event"), "asOf": ("at", "until"), "delivery": ("at", "until")}
CONTEXT_YEARS = 12  # with rakg:dateSource, a relative phrase (翌年, 兩年後, 今年 of a dated source) may count from any year this near


@pytest.fixture(scope="module")
def data(sources):
    graph = sources.data()
    bind_all(graph)
    return graph


def chapter_facts(graph) -> list:
    background = set(graph.subjects(RDF.type, RAKG.BackgroundFact))
    return sorted(f for f in set(graph.subjects(RAKG.statedIn)) if f not in background)


def role_value(graph, fact, role: str) -> tuple[str | None, str | None] | None:
    """(earliest, latest) of a role, as lexical values; an exact value gives the same text twice; None if absent."""
    exact, earliest, latest, _ = ROLES[role]
    value = graph.value(fact, exact)
    if value is not None:
        return str(value), str(value)
    bounds = graph.value(fact, earliest), graph.value(fact, latest)
    if bounds == (None, None):
        return None
    return tuple(str(b) if b is not None else None for b in bounds)  # type: ignore[return-value]


def candidates(readings: list, role: str) -> dict:
    """The values the readings of one text allow for a role -> the reading behind each: each reading's interval, the
    date it names itself where the words make that date the role's value (「從 X 起」 starts at X, 「至 X」 ends at X,
    「X 開始」 happened at X, 「至今」 is attested now), and a range 「X 至 Y」 as the bounds X … Y of one role."""
    allowed = {}
    for i, reading in enumerate(readings):
        allowed.setdefault((reading.earliest, reading.latest), reading)
        if reading.relation in ANCHOR_RELATIONS.get(role, ()):
            allowed.setdefault(reading.anchor, reading)
        following = readings[i + 1] if i + 1 < len(readings) else None
        if reading.relation == "from" and following is not None and following.relation == "until":
            allowed.setdefault((reading.anchor[0], following.anchor[1]), reading)
    return allowed


def audit_role(graph, fact, role: str, value: tuple) -> str | None:
    """Why a role's value is not read from the fact's words, or None when it is."""
    words = [str(t) for t in graph.objects(fact, ROLES[role][3])]
    quotes = [str(q) for q in graph.objects(fact, RAKG.quote)]
    year = int(next(v for v in value if v is not None)[:4])
    has_source = graph.value(fact, RAKG.dateSource) is not None

    def match(texts, context: int | None = None):
        """The reading that gives the value, read against the value's year (or ``context`` for year and now)."""
        for text in texts:
            allowed = candidates(find_dates(text, year=context or year, **({"now": context} if context else {})), role)
            if value in allowed:
                return allowed[value]
        return None

    def verdict(texts) -> str | None:
        found = match(texts)
        if found is not None and (found.year_given or has_source):
            return None
        if found is not None:
            return f"the year of 「{found.text}」 comes from the context: name it with rakg:dateSource"
        if has_source and any(match(texts, y) for y in range(year - CONTEXT_YEARS, year + CONTEXT_YEARS + 1)):
            return None  # 翌年, 兩年後, or the 今年 of a dated source, counted from the year its dateSource gives
        return "no match"

    def shown(texts) -> str:
        return ", ".join(f"「{r.text}」 = {r.earliest}…{r.latest}" for t in texts for r in find_dates(t, year=year))

    own = [w for w in words if find_dates(w)]
    if own:
        result = verdict(own)
        return None if result is None else f"{'not the reading of its own words' if result == 'no match' else result}: {shown(own)}"
    result = verdict(quotes)
    if result is None or (result == "no match" and has_source):
        return None
    if result != "no match":
        return result
    return f"no quote gives it and no rakg:dateSource says where it comes from (quote: {shown(quotes) or 'no date expression'})"


def audit(graph) -> dict[str, list[str]]:
    """Every fact's problems: fact IRI -> lines."""
    problems: dict[str, list[str]] = {}
    for fact in chapter_facts(graph):
        for role, (exact, earliest, latest, text) in ROLES.items():
            value = role_value(graph, fact, role)
            if value is None:
                continue
            shown = value[0] if value[0] == value[1] else f"{value[0] or '…'} … {value[1] or '…'}"
            if value[0] != value[1] and graph.value(fact, text) is None:
                problems.setdefault(str(fact), []).append(f"{role} {shown}: bounds without the chapter's words ({graph.qname(text)})")
            why = audit_role(graph, fact, role, value)
            if why:
                problems.setdefault(str(fact), []).append(f"{role} {shown}: {why}")
        for text in (RAKG.dateText, RAKG.startText, RAKG.endText, RAKG.deliveryText):
            for words in graph.objects(fact, text):
                if not _in_cited_parts(graph, fact, str(words)):
                    problems.setdefault(str(fact), []).append(f"{graph.qname(text)} 「{words}」 is not in a part the fact cites")
    return problems


def _in_cited_parts(graph, fact, words: str) -> bool:
    parts = list(graph.objects(fact, RAKG.statedIn)) + list(graph.objects(fact, RAKG.dateSource))
    texts = [normalize(str(t)) for p in parts for t in graph.objects(p, RAKG.text)]
    texts += [normalize(str(q)) for p in parts for q in graph.objects(p, RAKG.quote)]  # a sibling fact's quote
    return any(normalize(words) in t for t in texts)


def test_every_fact_date_is_read_from_its_words_or_names_its_source(data, exceptions):
    excused = exceptions("date")
    problems = {fact: lines for fact, lines in audit(data).items() if fact not in excused}
    report = "\n".join(f"{data.qname(f)}\n" + "\n".join(f"    {line}" for line in lines) for f, lines in sorted(problems.items()))
    assert not problems, f"{len(problems)} facts whose dates are not at their words' precision:\n{report}"


def test_exceptions_are_reviewed_needed_and_known(data, exceptions):
    facts = {str(f) for f in data.subjects(RAKG.statedIn)}
    for entry in exceptions.entries:
        assert entry.get("test") in ("date", "number"), f"{entry}: test must be 'date' or 'number'"
        assert len(entry.get("reason", "")) >= 20, f"{entry['fact']}: an exception needs a reason (a sentence)"
        assert exceptions.expand(entry["fact"]) in facts, f"{entry['fact']}: no such fact"
    needed = set(audit(data))
    stale = [f for f in exceptions("date") if f not in needed]
    assert not stale, f"date exceptions no longer needed: {stale}"


def test_the_audit_catches_a_date_finer_than_its_phrase():
    from rdflib import Graph

    graph = Graph().parse(data=f"""
        @prefix rakg: <{RAKG}> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> . @prefix src: <{SRC}> .
        <urn:f1> rakg:statedIn src:p ; rakg:quote "70 年代末，當越南入侵柬埔寨" ; rakg:date "1977"^^xsd:gYear .
        <urn:f2> rakg:statedIn src:p ; rakg:quote "70 年代末，當越南入侵柬埔寨" ; rakg:dateText "70 年代末" ;
            rakg:earliestDate "1977"^^xsd:gYear ; rakg:latestDate "1979"^^xsd:gYear .
        <urn:f3> rakg:statedIn src:p ; rakg:quote "於 10 月 1 日正式建立外交關係" ; rakg:startDate "1991-10-01"^^xsd:date .
        <urn:f4> rakg:statedIn src:p ; rakg:quote "於 10 月 1 日正式建立外交關係" ; rakg:startDate "1991-10-01"^^xsd:date ;
            rakg:dateSource src:p .
        src:p rakg:text "70 年代末，當越南入侵柬埔寨；蘇聯與汶萊於 1991 年 10 月 1 日正式建立外交關係" .
    """, format="turtle")
    found = audit(graph)
    assert set(found) == {"urn:f1", "urn:f3"}
    assert "no quote gives it" in found["urn:f1"][0] and "1977…1979" in found["urn:f1"][0]
    assert "rakg:dateSource" in found["urn:f3"][0]


@pytest.mark.parametrize("phrase", PHRASES, ids=lambda p: p.kind)
def test_each_row_of_the_phrase_table_reads_its_examples(phrase):
    for words, expected in phrase.examples:
        reading = find_dates(words, year=1991)[0]
        assert reading.kind == phrase.kind, f"{words!r} read by {reading.kind}, not {phrase.kind}"
        assert reading[:3] == expected, f"{words!r}: {reading[:3]} != {expected}"


@pytest.mark.parametrize("words,expected", [
    ("從 20 世紀 90 年代中期起", ("year", "1994", None)),
    ("80 年代初至 90 年代", ("year", "1980", None)),
    ("1990 年前後", ("year", "1989", "1991")),
    ("2005 年 12 月底前", ("day", None, "2005-12-31")),
    ("今年 3 月", ("month", "2007-03", "2007-03")),
    ("翌年 7 月", ("month", "1993-07", "1993-07")),
    ("隨著近幾年俄羅斯與東協", ("year", "2002", "2007")),
])
def test_phrases_in_context(words, expected):
    assert find_dates(words, year=1992)[0][:3] == expected


def test_read_date_refuses_what_it_cannot_read():
    for words in ("蘇聯解體", "1996 年至 2005 年", "同年"):
        with pytest.raises(ValueError):
            read_date(words)


def test_docs_dates_md_is_the_generated_table_and_the_command_reads_phrases():
    from click.testing import CliRunner

    from server.cli import main

    table = CliRunner().invoke(main, ["dates", "--table"])
    assert table.exit_code == 0 and (ROOT / "docs" / "dates.md").read_text(encoding="utf-8") == table.output, (
        "docs/dates.md is stale: rakg dates --table > docs/dates.md")
    read = CliRunner().invoke(main, ["dates", "同年的 11 月 28 日", "--year", "2004"])
    assert read.output == "同年的11月28日\tday\tat\tday\t2004-11-28\t2004-11-28\n"


def test_literal_forms_of_the_bounds_are_the_readings_forms():
    """Bounds are compared as text: the reading's ISO forms are the lexical forms of xsd:gYear, gYearMonth, date."""
    from rdflib.namespace import XSD

    reading = read_date("2003 年 8 月初")
    assert Literal(reading.earliest, datatype=XSD.date).n3().startswith('"2003-08-01"')
    assert str(Literal(read_date("2002 年底").latest, datatype=XSD.gYearMonth)) == "2002-12"
