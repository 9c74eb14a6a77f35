"""Is a literal's text valid for its XSD datatype, and if not, why, in a person's words.

The parsers do not say: pyoxigraph keeps a literal's text as written without checking it, and rdflib checks some
datatypes but not others (not ``xsd:gYear`` or ``xsd:gYearMonth``, the dates this project uses most) and rewrites
some bad values (``"maybe"^^xsd:boolean`` becomes false).  So the source files' literals are checked here, on
the text as written (XSD 1.1 lexical forms; datatypes not listed here are not checked).

>>> problem("1991-13", XSD + "gYearMonth")
'"1991-13" is not a valid xsd:gYearMonth: the month must be 01 to 12'
>>> problem("1991-02-29", XSD + "date")
'"1991-02-29" is not a valid xsd:date: February 1991 has 28 days'
>>> problem("x", XSD + "integer")
'"x" is not a valid xsd:integer: write digits with an optional sign, e.g. 42 or -7'
>>> problem("1991-07", XSD + "gYearMonth") is None
True
"""

from __future__ import annotations

import calendar
import re

XSD = "http://www.w3.org/2001/XMLSchema#"
_TZ = r"(Z|(?P<tzsign>[+-])(?P<tzhour>\d\d):(?P<tzminute>\d\d))?"
_YEAR = r"(?P<year>-?([1-9]\d{4,}|\d{4}))"
_TIME = r"(?P<hour>\d\d):(?P<minute>\d\d):(?P<second>\d\d(\.\d+)?)"
_NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)"
_DOUBLE = (_NUMBER + r"([eE][+-]?\d+)?|[+-]?INF|NaN", "a number with an optional exponent, e.g. 2.5, 1.5e3, INF or NaN")

# datatype: (pattern of the whole text, how to write it)
FORMS = {
    "integer": (r"[+-]?\d+", "digits with an optional sign, e.g. 42 or -7"),
    "decimal": (_NUMBER, "a number with an optional fraction, e.g. 3.25"),
    "double": _DOUBLE,
    "float": _DOUBLE,
    "boolean": (r"true|false|1|0", "true, false, 1 or 0"),
    "date": (rf"{_YEAR}-(?P<month>\d\d)-(?P<day>\d\d){_TZ}", "YYYY-MM-DD, e.g. 1991-07-22"),
    "dateTime": (rf"{_YEAR}-(?P<month>\d\d)-(?P<day>\d\d)T{_TIME}{_TZ}", "YYYY-MM-DDThh:mm:ss, e.g. 1991-07-22T09:30:00"),
    "time": (rf"{_TIME}{_TZ}", "hh:mm:ss, e.g. 09:30:00"),
    "gYear": (rf"{_YEAR}{_TZ}", "YYYY, e.g. 1991"),
    "gYearMonth": (rf"{_YEAR}-(?P<month>\d\d){_TZ}", "YYYY-MM, e.g. 1991-07"),
    "gMonthDay": (rf"--(?P<month>\d\d)-(?P<day>\d\d){_TZ}", "--MM-DD, e.g. --07-22"),
    "gMonth": (rf"--(?P<month>\d\d){_TZ}", "--MM, e.g. --07"),
    "gDay": (rf"---(?P<day>\d\d){_TZ}", "---DD, e.g. ---22"),
    "duration": (r"-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?", "PnYnMnDTnHnMnS, e.g. P1Y6M or PT2H"),
}
# integer datatypes with bounds: (lowest, highest), None for no bound
BOUNDS = {
    "nonNegativeInteger": (0, None), "positiveInteger": (1, None), "nonPositiveInteger": (None, 0), "negativeInteger": (None, -1),
    "long": (-2**63, 2**63 - 1), "int": (-2**31, 2**31 - 1), "short": (-2**15, 2**15 - 1), "byte": (-128, 127),
    "unsignedLong": (0, 2**64 - 1), "unsignedInt": (0, 2**32 - 1), "unsignedShort": (0, 2**16 - 1), "unsignedByte": (0, 255),
}


def problem(text: str, datatype: str) -> str | None:
    """Why ``text`` is not a valid literal of ``datatype`` (an IRI), or None when it is (or the datatype is not
    checked here)."""
    name = datatype[len(XSD):] if datatype.startswith(XSD) else None
    if name not in FORMS and name not in BOUNDS:
        return None
    pattern, form = FORMS.get(name, FORMS["integer"])
    match = re.fullmatch(pattern, text)
    if match is None:
        reason = "remove the spaces around it" if text != text.strip() and re.fullmatch(pattern, text.strip()) else f"write {form}"
    else:
        reason = _out_of_range(match.groupdict(), name) or (_out_of_bounds(int(text), name) if name in BOUNDS else None)
    return reason and f'"{text}" is not a valid xsd:{name}: {reason}'


def _out_of_range(parts: dict, name: str) -> str | None:
    """Why the fields of a date or time are out of range (month 13, 30 February, 25 o'clock), or None."""
    number = {key: float(value) if key == "second" else int(value) for key, value in parts.items() if value and key != "tzsign"}
    if not 1 <= number.get("month", 1) <= 12:
        return "the month must be 01 to 12"
    if "day" in number and "month" not in number and not 1 <= number["day"] <= 31:
        return "the day must be 01 to 31"
    if "day" in number and "month" in number:
        month, year = number["month"], number.get("year")
        days = 29 if month == 2 and (year is None or calendar.isleap(year)) else calendar.mdays[month]  # --02-29 exists
        if not 1 <= number["day"] <= days:
            return f"{calendar.month_name[month]}{'' if year is None else f' {year}'} has {days} days"
    if number.get("hour", 0) > 23 and not (number["hour"] == 24 and number["minute"] == number["second"] == 0):
        return "the hour must be 00 to 23 (or the time 24:00:00)"
    if number.get("minute", 0) > 59 or number.get("second", 0) >= 60:
        return "minutes and seconds must be 00 to 59"
    if number.get("tzhour", 0) * 60 + number.get("tzminute", 0) > 14 * 60 or number.get("tzminute", 0) > 59:
        return "the time zone must be between -14:00 and +14:00"
    return None


def _out_of_bounds(value: int, name: str) -> str | None:
    low, high = BOUNDS[name]
    if (low is None or value >= low) and (high is None or value <= high):
        return None
    if high is None:
        return f"the value must be {low} or more"
    return f"the value must be {high} or less" if low is None else f"the value must be {low} to {high}"
