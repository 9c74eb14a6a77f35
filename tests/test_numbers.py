"""The number test (issue 15): every number with a unit that a quote gives (萬／億美元, 架, 艘, 套, 輛, %, 人次, 噸, 國 …)
is in the structure.

A number phrase of a fact's quote is carried when the fact, a node it points to, or another fact of the same passage
whose quote holds the same phrase has a numeric literal with the same significant digits (「1.5 億美元」 = 150000000,
「3600 萬美元」 = 36000000, 「16 國」 = 16, 「百分之三十」 = 30).  「一個」, 「一項」, 「一國」 (the article "a") and
「兩國」 (the two states of a bilateral relation) are words, not counts.  Exceptions, each with its reason, are the
``number`` entries of tests/date-exceptions.toml.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, XSD

from server.build.chapter import normalize
from server.namespaces import RAKG, bind_all


DIGITS = "零〇一二兩三四五六七八九"
DIGIT_VALUES = {"零": 0, "〇": 0, "一": 1, "二": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
SMALL = {"十": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
NUMBER = rf"(?:\d[\d,]*(?:\.\d+)?|[{DIGITS}十])(?:\d[\d,]*(?:\.\d+)?|[{DIGITS}十百佰千仟萬億])*[多餘]?"
UNIT = r"(?:[萬億千百仟佰]*(?:美元|盧布|元)|架|艘|套|輛|人次|噸|國|個|枚|部|名|人|項|倍|桶|公里|海里|海哩|%|％)"
PHRASE = re.compile(rf"(?<![第\d.])(?P<number>{NUMBER})(?:(?:至|到|－|-|~)(?P<second>{NUMBER}))?(?P<unit>{UNIT})"
                    rf"|百分之(?P<percent>{NUMBER})")
WORDS = re.compile(r"^(?:一(?:個|項|國)|兩國)$")
NUMERIC = {XSD.integer, XSD.decimal, XSD.double, XSD.float, XSD.int, XSD.long, XSD.nonNegativeInteger, XSD.positiveInteger}


def value_of(text: str) -> Decimal:
    """A number written in digits, Chinese numerals or both, with 萬 and 億.

    >>> [str(value_of(t)) for t in ("1.5億", "3600萬", "7仟6佰60萬", "2億5千萬", "十二", "五十萬", "1億多")]
    ['150000000.0', '36000000', '76600000', '250000000', '12', '500000', '100000000']
    """
    text = text.replace(",", "").rstrip("多餘")
    total = Decimal(0)
    for big, factor in (("億", 10**8), ("萬", 10**4)):
        if big in text:
            head, text = text.split(big, 1)
            total += _section(head) * factor
    return total + _section(text)


def _section(text: str) -> Decimal:
    total, number = Decimal(0), None
    for token in re.findall(r"\d+(?:\.\d+)?|.", text):
        if token[0].isdigit():
            number = Decimal(token)
        elif token in DIGITS:
            number = Decimal(DIGIT_VALUES[token])
        elif token in SMALL:
            total += (number if number is not None else 1) * SMALL[token]
            number = None
    return total + (number or 0)


def significant(value) -> str:
    """The significant digits of a number: 150000000 and 1.5 are both '15'."""
    digits = format(Decimal(str(value)).normalize(), "f").replace(".", "").replace("-", "").strip("0")
    return digits or "0"


def number_phrases(quote: str) -> list[tuple[str, set[str]]]:
    """(phrase, significant digits of each number in it) for every number with a unit in ``quote``."""
    found = []
    for match in PHRASE.finditer(normalize(quote)):
        if WORDS.match(match.group()) or match.group().startswith(("一個", "一項")):
            continue
        numbers = [match[g] for g in ("number", "second", "percent") if match[g]]
        found.append((match.group(), {significant(value_of(n)) for n in numbers}))
    return found


def carried(graph, node, depth: int = 1) -> set[str]:
    """Significant digits of the numeric literals of ``node`` and of the nodes it points to (not its sources)."""
    digits = set()
    for predicate, value in graph.predicate_objects(node):
        if isinstance(value, Literal) and value.datatype in NUMERIC:
            digits.add(significant(value.toPython()))
        elif depth and isinstance(value, URIRef) and predicate not in (RDF.type, RAKG.statedIn, RAKG.citesFootnote, RAKG.dateSource):
            digits |= carried(graph, value, depth - 1)
    return digits


def chapter_facts(graph) -> list:
    background = set(graph.subjects(RDF.type, RAKG.BackgroundFact))
    return sorted(f for f in set(graph.subjects(RAKG.statedIn)) if f not in background)


def audit_numbers(graph) -> dict[str, list[str]]:
    facts = chapter_facts(graph)
    by_passage: dict = {}
    for fact in facts:
        for passage in graph.objects(fact, RAKG.statedIn):
            by_passage.setdefault(passage, []).append(fact)
    problems: dict[str, list[str]] = {}
    for fact in facts:
        for quote in graph.objects(fact, RAKG.quote):
            for phrase, numbers in number_phrases(str(quote)):
                siblings = {f for p in graph.objects(fact, RAKG.statedIn) for f in by_passage[p]
                            if any(phrase in normalize(str(q)) for q in graph.objects(f, RAKG.quote))}
                held = set().union(*(carried(graph, f) for f in siblings | {fact}))
                missing = numbers - held
                if missing:
                    problems.setdefault(str(fact), []).append(f"「{phrase}」: no number with the digits {sorted(missing)}")
    return problems


@pytest.fixture(scope="module")
def data(sources):
    graph = sources.data()
    bind_all(graph)
    return graph


def test_every_number_with_a_unit_in_a_quote_is_in_the_structure(data, exceptions):
    excused = exceptions("number")
    problems = {fact: lines for fact, lines in audit_numbers(data).items() if fact not in excused}
    report = "\n".join(f"{data.qname(URIRef(f))}\n" + "\n".join(f"    {line}" for line in lines) for f, lines in sorted(problems.items()))
    assert not problems, f"{len(problems)} facts whose quotes give numbers the structure lacks:\n{report}"


def test_number_exceptions_are_still_needed(data, exceptions):
    stale = [f for f in exceptions("number") if f not in audit_numbers(data)]
    assert not stale, f"number exceptions no longer needed: {stale}"


@pytest.mark.parametrize("quote,expected", [
    ("新加坡淡馬錫控股公司與俄羅斯 Troika Dialog 設立總值 1.5 億美元的基金", [("1.5億美元", {"15"})]),
    ("雙方在會議中，16 國領袖通過了一項確立「東亞共同體」的宣言", [("16國", {"16"})]),
    ("系統總值爲 2 億 5 千萬到 3 億美元", [("2億5千萬到3億美元", {"25", "3"})]),
    ("貿易增長速度達到了百分之三十至百分之四十", [("百分之三十", {"3"}), ("百分之四十", {"4"})]),
    ("作為一個大國，兩國將採取第 24 屆", []),
])
def test_number_phrases(quote, expected):
    assert number_phrases(quote) == expected


def test_a_fund_without_its_amount_is_caught():
    from rdflib import Graph

    graph = Graph().parse(data=f"""
        @prefix rakg: <{RAKG}> . @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <urn:fund> rakg:statedIn <urn:p> ; rakg:quote "設立總值 1.5 億美元的基金" ; rakg:currency "USD" .
        <urn:deal> rakg:statedIn <urn:p> ; rakg:quote "出售 18 架蘇-30" ; rakg:quantity 18 .
    """, format="turtle")
    assert set(audit_numbers(graph)) == {"urn:fund"}
