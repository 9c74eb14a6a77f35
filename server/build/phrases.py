"""The phrase table of issue 15: the kinds of date phrase the chapter uses and the words around them, in one place.

A phrase such as 「70 年代末」 or 「2002 年底」 names no single day, month or year; it names an interval. Each row of
:data:`PHRASES` is one kind of phrase: a compiled pattern, the rule that turns a match into its interval, an English
description and worked examples (docs/dates.md is generated from this table by `rakg dates --table`; tests/test_dates.py
checks it).
:data:`RELATIONS` are the words around a phrase that make it one-sided (「以前」, 「起」, 「至」…) or widen it (「前後」).

A row's rule reads a match against a :class:`Context` (the year the passage is about, the year 今年 means) and
gives ``(precision, earliest, latest, year_given[, relation])``, the bounds ISO values at ``precision``;
server/build/dates.py reads a text with the table.

The thesis was written in 2007: 今年, 目前, 至今 and 近年 count from :data:`THESIS_YEAR` unless told otherwise.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass
from typing import Callable

THESIS_YEAR = 2007
RECENT_YEARS = 5  # 近年 / 近幾年 / 這幾年: the five years before the thesis (2002–2007), a convention


# ---- points and intervals: (year, month, day) with None for the parts a precision lacks -----------------------------

def _iso(precision: str, y: int, m: int = 1, d: int = 1) -> str:
    return {"year": f"{y:04d}", "month": f"{y:04d}-{m:02d}", "day": f"{y:04d}-{m:02d}-{d:02d}"}[precision]


def ymd(value: str) -> tuple[int, int, int]:
    parts = [int(p) for p in value.split("-")]
    return (parts + [1, 1])[:3]  # type: ignore[return-value]


def shift(precision: str, value: str, steps: int) -> str:
    """``value`` moved by ``steps`` years, months or days."""
    y, m, d = ymd(value)
    if precision == "year":
        return _iso("year", y + steps)
    if precision == "month":
        months = y * 12 + (m - 1) + steps
        return _iso("month", months // 12, months % 12 + 1)
    return (datetime.date(y, m, d) + datetime.timedelta(days=steps)).isoformat()


# ---- the phrase table ---------------------------------------------------------------------------------------------

_NOT_A_COUNTRY = r"(?![國共俄華東美日蘇印越泰菲馬緬寮柬汶新])"  # 「年中」 and 「年代中」, but not 「2005 年中俄」
YEAR = (r"(?:(?P<year>\d{4}|[5-9]\d)年(?!代)(?:的)?|"
        r"(?P<rel>今年|去年|前年|翌年|隔年|次年|同年|該年|當年)(?:的)?)")
MONTH = r"(?P<month>1[0-2]|0?[1-9]|元)月(?:份)?"
EN_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
EN_MONTH = r"(?P<mon>(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*)\.?"
DECADE_PARTS = {None: (0, 9), "初": (0, 3), "初期": (0, 3), "前期": (0, 4), "前半": (0, 4), "前半期": (0, 4),
                "中": (4, 6), "中期": (4, 6), "中葉": (4, 6), "後期": (5, 9), "後半": (5, 9), "後半期": (5, 9),
                "末": (7, 9), "末期": (7, 9)}
CENTURY_PARTS = {None: (1, 100), "初": (1, 10), "初期": (1, 10), "前半": (1, 50), "前半期": (1, 50), "上半葉": (1, 50),
                 "中": (41, 60), "中期": (41, 60), "中葉": (41, 60), "後半": (51, 100), "後半期": (51, 100),
                 "下半葉": (51, 100), "末": (91, 100), "末期": (91, 100)}
YEAR_PARTS = {"初": (1, 3), "中": (5, 8), "底": (10, 12), "末": (10, 12), "上半年": (1, 6), "下半年": (7, 12)}
MONTH_PARTS = {"初": (1, 10), "上旬": (1, 10), "中": (11, 20), "中旬": (11, 20), "底": (21, 31), "末": (21, 31),
               "下旬": (21, 31)}
SEASONS = {"春": (3, 5), "夏": (6, 8), "秋": (9, 11), "冬": (12, 14)}
PRESENT = "目前|而今|如今|現今|當前|(?<!表)現在"
RECENT = "近年來|近年|近幾年來|近幾年|這幾年來|這幾年|過去幾年|最近幾年"
CHINESE_NUMBERS = {"一": 1, "兩": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


@dataclass(frozen=True)
class Context:
    """What a phrase is read against: the year the passage is about (``year``; also the last year named earlier in
    the same text) and the year 今年 means (``now``)."""

    year: int | None = None
    now: int = THESIS_YEAR
    month: int | None = None
    from_text: bool = False


def _year(match: re.Match, context: Context) -> tuple[int | None, bool]:
    """The year of a match and whether the words gave it."""
    groups = match.groupdict()
    if groups.get("year"):
        y = int(groups["year"])
        return (1900 + y if y < 100 else y), True
    relative = groups.get("rel")
    if relative in ("今年", "去年", "前年"):
        return context.now - {"今年": 0, "去年": 1, "前年": 2}[relative], True
    if context.year is None:
        return None, False
    offset = 1 if relative in ("翌年", "隔年", "次年") else 0
    return context.year + offset, context.from_text


def _month(match: re.Match, context: Context) -> int | None:
    text = match.groupdict().get("month")
    return (1 if text == "元" else int(text)) if text else context.month


Rule = Callable[[re.Match, Context], tuple]  # -> (precision, earliest, latest, year_given), or a list of them


def _decade(m: re.Match, c: Context) -> tuple:
    digits = m["decade"]
    start = int(digits) if len(digits) == 4 else (int(m["century"] or 20) - 1) * 100 + int(digits)
    return "year", *(_iso("year", start + n) for n in DECADE_PARTS[m["part"]]), True


def _century(m: re.Match, c: Context) -> tuple:
    return "year", *(_iso("year", (int(m["century"]) - 1) * 100 + n) for n in CENTURY_PARTS[m["part"]]), True


def _months_of_year(parts: dict, key: str) -> Rule:
    def rule(m: re.Match, c: Context) -> tuple:
        y, given = _year(m, c)
        if y is None:
            return "month", None, None, False
        first, last = parts[m[key]]
        (y1, m1), (y2, m2) = divmod(first - 1, 12), divmod(last - 1, 12)
        return "month", _iso("month", y + y1, m1 + 1), _iso("month", y + y2, m2 + 1), given
    return rule


def _month_part(m: re.Match, c: Context) -> tuple:
    y, given = _year(m, c)
    month = _month(m, c)
    if y is None or month is None:
        return "day", None, None, False
    first, last = MONTH_PARTS[m["part"]]
    return "day", _iso("day", y, month, first), _iso("day", y, month, min(last, calendar.monthrange(y, month)[1])), given


def _point(precision: str) -> Rule:
    def rule(m: re.Match, c: Context) -> tuple:
        y, given = _year(m, c)
        month = _month(m, c) if precision != "year" else 1
        if y is None or month is None:
            return precision, None, None, False
        value = _iso(precision, y, month, int(m["day"]) if precision == "day" else 1)
        return precision, value, value, given
    return rule


def _range(unit: str) -> Rule:
    """「25 至 30 日」, 「11 至 12 月」: two readings, the first from, the second until."""
    def rule(m: re.Match, c: Context) -> list:
        y, given = _year(m, c)
        month = _month(m, c) if unit == "day" else None
        if y is None or (unit == "day" and month is None):
            return [(unit, None, None, False, "from"), (unit, None, None, False, "until")]
        ends = [_iso(unit, y, month, int(n)) if unit == "day" else _iso(unit, y, int(n)) for n in (m["a"], m["b"])]
        return [(unit, ends[0], ends[0], given, "from"), (unit, ends[1], ends[1], given, "until")]
    return rule


def _english(precision: str) -> Rule:
    """A date printed in English; 「5-6, June 1997」 is two days."""
    def rule(m: re.Match, c: Context) -> tuple | list:
        groups = m.groupdict()
        y, month = int(m["year"]), EN_MONTHS.index(m["mon"][:3].lower()) + 1
        if precision == "month":
            return "month", _iso("month", y, month), _iso("month", y, month), True
        first = _iso("day", y, month, int(m["day"]))
        if not groups.get("day2"):
            return "day", first, first, True
        last = _iso("day", y, month, int(m["day2"]))
        return [("day", first, first, True, "from"), ("day", last, last, True, "until")]
    return rule


def _bare_year(m: re.Match, c: Context) -> tuple | list:
    first = m["year"]
    if not m["year2"]:
        return "year", first, first, True
    second = m["year2"] if len(m["year2"]) == 4 else first[:2] + m["year2"]
    return [("year", first, first, True, "from"), ("year", second, second, True, "until")]


def _relative_years(m: re.Match, c: Context) -> tuple:
    if c.year is None:
        return "year", None, None, False
    n = int(m["n"]) if m["n"].isdigit() else CHINESE_NUMBERS[m["n"]]
    value = _iso("year", c.year + (n if m["dir"] in ("後", "以後", "之後") else -n))
    return "year", value, value, c.from_text


def _recent_n_years(m: re.Match, c: Context) -> tuple:
    n = int(m["n"]) if m["n"].isdigit() else CHINESE_NUMBERS[m["n"]]
    slack = 1 if m["near"] == "近" else 0
    return "year", _iso("year", c.now - n - slack), _iso("year", c.now - n + slack), True, "from"


@dataclass(frozen=True)
class Phrase:
    """One row of the phrase table."""

    kind: str
    pattern: re.Pattern
    rule: Rule
    description: str
    examples: tuple = ()


def _row(kind: str, pattern: str, rule: Rule, description: str, *examples: tuple) -> Phrase:
    return Phrase(kind, re.compile(pattern), rule, description, examples)


PHRASES: tuple[Phrase, ...] = (
    _row("decade", r"(?:(?P<century>\d{1,2})世紀)?(?P<decade>\d{4}|\d0)年代(?P<part>初期|初|前半期|前半|前期|中期|中葉|中"
         + _NOT_A_COUNTRY + r"|後半期|後半|後期|末期|末)?", _decade,
         "A decade or a part of one (two digits are the 20th century): whole 0–9, 初/初期 0–3, 前期/前半 0–4, "
         "中/中期/中葉 4–6, 後期/後半 5–9, 末/末期 7–9.",
         ("90 年代", ("year", "1990", "1999")), ("20 世紀 90 年代中期", ("year", "1994", "1996")),
         ("80 年代初", ("year", "1980", "1983")), ("80 年代後期", ("year", "1985", "1989")),
         ("70 年代末", ("year", "1977", "1979"))),
    _row("century", r"(?P<century>\d{1,2})世紀(?P<part>初期|初|前半期|前半|上半葉|中期|中葉|後半期|後半|下半葉|末期|末)?",
         _century,
         "A century, counted strictly (the 21st is 2001–2100), or a part of one: 初 its first ten years, 前半 1–50, "
         "中/中葉 41–60, 後半 51–100, 末 91–100.",
         ("21 世紀初", ("year", "2001", "2010")), ("20 世紀後半期", ("year", "1951", "2000"))),
    _row("year-part", YEAR + r"(?:年)?(?P<part>初|中" + _NOT_A_COUNTRY + r"|底|末|上半年|下半年)",
         _months_of_year(YEAR_PARTS, "part"),
         "Part of a year: 年初 January–March, 年中 May–August, 年底/年末 October–December, 上半年 January–June, "
         "下半年 July–December.",
         ("2002 年底", ("month", "2002-10", "2002-12")), ("1991 年年底", ("month", "1991-10", "1991-12")),
         ("2001 年初", ("month", "2001-01", "2001-03"))),
    _row("season", YEAR + r"?(?P<season>春|夏|秋|冬)(?:季|天)", _months_of_year(SEASONS, "season"),
         "A season: 春 March–May, 夏 June–August, 秋 September–November, 冬 December–February of the next year.",
         ("2003 年冬季", ("month", "2003-12", "2004-02"))),
    _row("month-part", YEAR + r"?" + MONTH + r"(?P<part>上旬|中旬|下旬|初|中" + _NOT_A_COUNTRY + r"|底|末)", _month_part,
         "Part of a month: 月初/上旬 days 1–10, 月中/中旬 11–20, 月底/月末/下旬 21 to the last day.",
         ("2005 年 12 月中旬", ("day", "2005-12-11", "2005-12-20")), ("2003 年 8 月初", ("day", "2003-08-01", "2003-08-10"))),
    _row("day-range", YEAR + r"?(?:" + MONTH + r")?(?P<a>\d{1,2})日?(?:至|到|－|-|~)(?P<b>\d{1,2})日", _range("day"),
         "Two days of one month (「25 至 30 日」): two readings, the first from, the second until (the example shows the first).",
         ("1997 年 6 月 5 日至 6 日", ("day", "1997-06-05", None))),
    _row("month-range", YEAR + r"?(?P<a>1[0-2]|0?[1-9])月?(?:至|到|－|-)(?P<b>1[0-2]|0?[1-9])月", _range("month"),
         "Two months of one year (「11 至 12 月」): two readings, the first from, the second until.",
         ("2004 年 11 至 12 月", ("month", "2004-11", None))),
    _row("day", YEAR + r"?(?:" + MONTH + r")?(?P<day>[12]\d|3[01]|0?[1-9])日", _point("day"),
         "A day; a missing year or month comes from the text before it or the context.",
         ("1991 年 10 月 1 日", ("day", "1991-10-01", "1991-10-01"))),
    _row("month", YEAR + r"?" + MONTH, _point("month"), "A month (元月 is January).",
         ("1987 年 3 月", ("month", "1987-03", "1987-03")), ("90 年元月", ("month", "1990-01", "1990-01"))),
    _row("year", YEAR, _point("year"),
         "A year (two digits 50–99 are 1950–1999); 今年/去年/前年 count back from the thesis's year (2007) or the quoted "
         "source's, 同年/該年/當年 are the year the passage is about, 翌年/隔年/次年 the next.",
         ("1969 年", ("year", "1969", "1969")), ("今年", ("year", "2007", "2007")), ("前年", ("year", "2005", "2005"))),
    _row("years-later", r"(?P<n>[1-4]?\d|[兩二三四五六七八九十])年(?P<dir>以後|之後|後|以前|之前|前)(?!後)", _relative_years,
         "N years after or before the year the passage is about (「兩年後」).", ),
    _row("recent-n-years", r"(?P<near>近|過去)(?P<n>[1-4]?\d|[兩二三四五六七八九十])年(?:來|以來|間)?", _recent_n_years,
         "The last N years (過去兩年來: from 2005; 近 10 年來, about ten: 1996–1998), counted back from the thesis's year "
         "(or the quoted source's): a span from then to now, so its start is that year (近 N 年 ± 1, as 前後).",
         ("過去兩年來", ("year", "2005", None)), ("近 10 年來", ("year", "1996", None))),
    _row("from-now", r"今後|從今以後|從現在起", lambda m, c: ("year", str(c.now), str(c.now), True, "from"),
         "From now on (今後): from the thesis's year (2007).", ("今後", ("year", "2007", None))),
    _row("present", PRESENT, lambda m, c: ("year", str(c.now), str(c.now), True),
         "The thesis's present (目前, 而今, 現在): 2007 at year precision, unless the quoted source is dated.",
         ("目前", ("year", "2007", "2007"))),
    _row("until-now", r"至今|迄今", lambda m, c: ("year", str(c.now), str(c.now), True, "until"),
         "Until now (至今): up to the thesis's year.", ("至今", ("year", None, "2007"))),
    _row("recent-years", RECENT, lambda m, c: ("year", str(c.now - RECENT_YEARS), str(c.now), True),
         "Recent years (近年, 近幾年, 這幾年, 過去幾年): a convention, the five years before the thesis, 2002–2007.",
         ("近年來", ("year", "2002", "2007"))),
    _row("english-day", r"(?P<day>[12]\d|3[01]|0?[1-9])(?:\s?-\s?(?P<day2>[12]\d|3[01]|0?[1-9]))?,?\s?" + EN_MONTH
         + r",?\s?(?P<year>(?:19|20)\d\d)", _english("day"),
         "A day printed in English, day first (footnotes): 「13 December 2005」, 「5-6, June 1997」 (two days).",
         ("Kuala Lumpur, 13 December 2005", ("day", "2005-12-13", "2005-12-13"))),
    _row("english-day-month-first", EN_MONTH + r"\s?(?P<day>[12]\d|3[01]|0?[1-9]),\s?(?P<year>(?:19|20)\d\d)",
         _english("day"), "A day printed in English, month first: 「Nov. 29, 2004」, 「May 15, 2007」.",
         ("Nov. 29, 2004", ("day", "2004-11-29", "2004-11-29"))),
    _row("english-month", EN_MONTH + r",?\s?(?P<year>(?:19|20)\d\d)", _english("month"),
         "A month printed in English: 「June 1994」.", ("June. 1994", ("month", "1994-06", "1994-06"))),
    _row("english-year", r"(?<![\d./\-:=_a-zA-Z])(?P<year>(?:19|20)\d\d)(?:\s?[-–]\s?(?P<year2>(?:19|20)\d\d|\d\d))?(?![\d/年%萬億千百元美架艘套輛噸人名個多餘件項倍]|\.\d)",
         _bare_year, "A year printed without 年 (footnotes: 「(Singapore, 2006)」; 「1986-93」 is two years).",
         ("(Singapore, 2006)", ("year", "2006", "2006"))),
)


# ---- relations: the words around a phrase ------------------------------------------------------------------------

RELATIONS = (
    ("around", re.compile(r"^(?:前後|左右)"), "suffix",
     "X 前後 / X 左右: X widened by one unit of its precision on each side (1990 年前後 → 1989–1991)."),
    ("from", re.compile(r"^(?:起|以來|開始|以後|之後|後(?![期半]))"), "suffix",
     "X 起 / 以來 / 開始 / 以後 / 之後 / 後: from X on; a date is not before X (earliest only); a start is X itself."),
    ("before", re.compile(r"^(?:以前|之前|前(?![往來去進夕]))"), "suffix",
     "X 以前 / 之前 / 前: before X; latest = the unit before X (1990 年以前 → ≤ 1989); 「年底前」, 「月底前」 mean by "
     "the end (latest = the end of X)."),
    ("after-event", re.compile(r"^[^，。；：、,.;:\d]{1,15}?(?:之後|以後|(?<![最然隨其落])後(?![來期半者續]))"), "suffix",
     "X <event> 之後 / 後: after an event of X (「2004 年「別斯蘭人質事件」之後」): earliest = the start of X, as X 起."),
    ("before-event", re.compile(r"^[^，。；：、,.;:\d]{1,15}?(?:之前|以前)"), "suffix",
     "X <event> 之前 / 以前: before an event of X (「早在 1967 年東協成立之前」): latest = the end of X, since the event may "
     "fall late in it."),
    ("from", re.compile(r"(?:從|自從|自|由)$"), "prefix", "從 / 自 / 由 X: from X on (as X 起)."),
    ("until", re.compile(r"(?:(?<!降)至|(?<!達)到|直至|直到|迄)$"), "prefix",
     "至 / 到 / 直至 X: until X; latest = the end of X (an end is X itself)."),
    ("from", re.compile(r"^(?:至|到|－|-|~)\d"), "suffix", "X 至 Y: X starts the range (Y is read with 至, until)."),
)
BY_THE_END = ("底", "末")
CARRIES = {"year", "month", "day", "year-part", "month-part", "season", "day-range", "month-range", "english-day",
           "english-day-month-first", "english-month"}  # kinds that name the year (and month) later phrases take
