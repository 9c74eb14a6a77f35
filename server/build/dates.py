"""The chapter's date phrases read as intervals, with the phrase table of server/build/phrases.py.

A :class:`Reading` is ``(precision, earliest, latest, …)``: the two bounds are ISO values at ``precision`` (year
``1977``, month ``1977-10``, day ``1977-10-01``); an exact phrase has ``earliest == latest``; a one-sided one has
``None`` on its open side.  Facts write an exact reading as ``rakg:date`` (or startDate, endDate, asOf) and any other
as the bound pair ``rakg:earliestDate``/``rakg:latestDate`` (…Start, …End, …AsOf).

The thesis was written in 2007: 今年, 目前, 至今 and 近年 count from :data:`THESIS_YEAR` unless told otherwise.

    >>> read_date("70 年代末")[:3]
    ('year', '1977', '1979')
    >>> [r.text for r in find_dates("從 1991 年起，俄羅斯外長每年出席；1992 年 7 月，東協允許…")]
    ['1991年', '1992年7月']
"""

from __future__ import annotations

import re
import unicodedata
from typing import NamedTuple

from .phrases import BY_THE_END, CARRIES, PHRASES, RELATIONS, THESIS_YEAR, Context, Phrase, shift, ymd


class Reading(NamedTuple):
    """What a date phrase means: ``precision`` ('year', 'month' or 'day') of the two bounds, ``earliest`` and
    ``latest`` (ISO text, ``None`` on an open side), the table row (``kind``), the words read (``text``, NFC, no
    blanks), the ``relation`` to the date named (at, from, until, before, around), the interval of that date itself
    (``anchor``) and whether the words give the year (False when it came from the context year)."""

    precision: str
    earliest: str | None
    latest: str | None
    kind: str = ""
    text: str = ""
    relation: str = "at"
    anchor: tuple = (None, None)
    year_given: bool = True


def normalize(text: str) -> str:
    """NFC (the chapter's compatibility ideographs become the usual ones), blanks dropped except between two
    Latin letters or digits (「1991 年 10 月」 → 「1991年10月」, 「13 December 2005」 stays).

    >>> normalize("1991 年 10 月 1 日, 13 December 2005")
    '1991年10月1日,13 December 2005'
    """
    text = unicodedata.normalize("NFC", text)
    return re.sub(r"\s+", lambda m: " " if _latin(text, m.start() - 1) and _latin(text, m.end()) else "", text).strip()


def _latin(text: str, i: int) -> bool:
    return 0 <= i < len(text) and text[i].isascii() and text[i].isalnum()


def find_dates(text: str, year: int | None = None, now: int = THESIS_YEAR) -> list[Reading]:
    """Every date expression of ``text``, in order, as :class:`Reading`\\ s.

    ``year`` is the year the passage is about (for 同年, 翌年, 「10 月 1 日」 without a year; a year named earlier in
    the same text takes its place), ``now`` the year 今年 and 目前 mean.  An expression whose year cannot be known
    has ``None`` bounds and ``year_given`` False.  Never raises.

    >>> [(r.text, r.relation, r.earliest, r.latest) for r in find_dates("自 2001 年起至 2005 年")]
    [('2001年', 'from', '2001', None), ('2005年', 'until', None, '2005')]
    >>> [(r.earliest, r.year_given) for r in find_dates("同年的 11 月 28 日", year=2004)]
    [('2004-11-28', False)]
    """
    text = normalize(text)
    matches = []
    for priority, phrase in enumerate(PHRASES):
        for match in phrase.pattern.finditer(text):
            if match.end() > match.start():
                matches.append((match.start(), -(match.end() - match.start()), priority, phrase, match))
    matches.sort(key=lambda m: m[:3])
    readings, taken_until = [], 0
    context = Context(year=year, now=now)
    for start, _, _, phrase, match in matches:
        if start < taken_until:
            continue
        taken_until = match.end()
        results = phrase.rule(match, context)
        for result in results if isinstance(results, list) else [results]:
            reading = _relate(text, match, phrase, *result)
            readings.append(reading)
            context = _carry(context, reading, phrase)
    return readings


def _carry(context: Context, reading: Reading, phrase: Phrase) -> Context:
    """The context for the next expression: the year (and month) just named, when the words named them."""
    if reading.anchor[0] is None or not reading.year_given or phrase.kind not in CARRIES:
        return context
    y, m, _ = ymd(reading.anchor[0])
    month = m if reading.precision in ("month", "day") and phrase.kind not in ("year-part", "season") else None
    return Context(year=y, now=context.now, month=month, from_text=True)


def _relate(text: str, match: re.Match, phrase: Phrase, precision: str, earliest, latest, given: bool,
            relation: str = "at") -> Reading:
    before, after = text[:match.start()], text[match.end():]
    if relation == "at":
        for name, pattern, side, _ in RELATIONS:
            if pattern.search(after if side == "suffix" else before):
                relation = name
                break
    anchor = (earliest, latest)
    if earliest is not None or latest is not None:
        earliest, latest = _interval(relation, precision, earliest, latest, match.group().endswith(BY_THE_END))
    return Reading(precision, earliest, latest, phrase.kind, match.group(), relation, anchor, given)


def _interval(relation: str, precision: str, earliest, latest, by_the_end: bool) -> tuple:
    if relation in ("from", "after-event"):
        return earliest, None
    if relation == "before-event":
        return None, latest
    if relation == "until":
        return None, latest
    if relation == "before":
        return None, latest if by_the_end or earliest is None else shift(precision, earliest, -1)
    if relation == "around":
        return shift(precision, earliest, -1), shift(precision, latest, 1)
    return earliest, latest


def read_date(phrase: str, year: int | None = None, now: int = THESIS_YEAR) -> Reading:
    """Read one date phrase: ``(precision, earliest, latest, …)``.

    Raises ValueError when ``phrase`` holds no date expression or more than one, or needs a ``year`` it was not given.

    >>> read_date("90 年代中期")[:3]
    ('year', '1994', '1996')
    >>> read_date("2002 年底")[:3]
    ('month', '2002-10', '2002-12')
    >>> read_date("1990 年以前")[:3]
    ('year', None, '1989')
    >>> read_date("10 月 1 日", year=1991)[:3]
    ('day', '1991-10-01', '1991-10-01')
    """
    readings = find_dates(phrase, year=year, now=now)
    if len(readings) != 1:
        raise ValueError(f"{phrase!r} holds {len(readings)} date expressions, not one")
    if readings[0].anchor == (None, None):
        raise ValueError(f"{phrase!r} needs the year the passage is about")
    return readings[0]
