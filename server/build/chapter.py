"""Read the source chapter: its sections, paragraphs (passages) and footnotes.

The chapter was extracted from a PDF.  Body lines are interleaved with footnote
blocks at every page break; a paragraph ends on a line with trailing blanks;
a footnote block starts after a line of 40+ blanks and ends where the next page
starts (a line opening with one blank).  Compatibility ideographs such as
U+F90F are kept in the stored text and folded by :func:`normalize`.

>>> normalize("俄\\uf90f斯 與 東協")
'俄羅斯與東協'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

CHINESE_NUMERALS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
UPPER_NUMERALS = {"壹": 1, "貳": 2, "參": 3, "肆": 4}

# Heading kinds, outermost first, and the pattern that recognises each.
HEADING_PATTERNS = (
    ("section", re.compile(r"^第([一二三四五])節")),
    ("part", re.compile(r"^([壹貳參肆])、")),
    ("chapter-numeral", re.compile(r"^([一二三四五六])、")),
    ("paren-numeral", re.compile(r"^（([一二三四五六])）")),
    ("paren-arabic", re.compile(r"^（(\d)）")),
)
MAX_HEADING_LENGTH = 40
# A line with trailing blanks ends its paragraph unless it stops mid-phrase in a
# Latin or Cyrillic name ("（Heng", "Lavrov; Sergey", "Igor S.", "Official Meeting,").
CONTINUES = re.compile(r"([A-Za-z\u0400-\u04ff'’;,(（-]|\b[A-Z]\.)$")
FOOTNOTE_SEPARATOR = re.compile(r"^ {40,}$")
FOOTNOTE_START = re.compile(r"^(\d{1,2})(?![\d.,/年月])\s*(\S.*)$")
# A figure label left inside a footnote block by the PDF extraction.
STRAY_FIGURE_LABELS = frozenset({"貿易總額"})


def normalize(text: str) -> str:
    """Fold text for comparison: Unicode NFC (compatibility ideographs become unified) and no whitespace.

    >>> normalize("1976\\n年 俄\\uf90f斯") == normalize("1976年俄羅斯")
    True
    """
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


def clean(text: str) -> str:
    """Return display text: NFC, runs of whitespace collapsed, blanks between CJK characters removed.

    >>> clean("建 立 東 南 亞 「 和 平 」 (Zone of Peace)")
    '建立東南亞「和平」 (Zone of Peace)'
    """
    text = unicodedata.normalize("NFC", text)
    text = re.sub(r"\s+", " ", text).strip()
    cjk = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef—－]"
    for _ in range(2):
        text = re.sub(rf"(?<={cjk}) (?={cjk})", "", text)
    return text


@dataclass
class Section:
    locator: str
    kind: str
    number: int
    heading: str
    line: int
    parent: str | None


class _Lines:
    """Text made of lines of the chapter's file (``raw``), read as one cleaned string."""

    raw: list[str]

    @property
    def text(self) -> str:
        return clean(" ".join(self.raw))


@dataclass
class Passage(_Lines):
    locator: str
    section: str
    number: int
    lines: list[int] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    is_heading: bool = False


@dataclass
class Footnote(_Lines):
    number: int
    lines: list[int] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    called_from: str | None = None


@dataclass
class Chapter:
    title: str
    sections: list[Section]
    passages: list[Passage]
    footnotes: list[Footnote]
    stray_lines: list[tuple[int, str]]

    def body_text(self) -> str:
        return "".join(normalize(p.text) for p in self.passages)

    def find(self, quote: str) -> list[str]:
        """Return the locators of passages and footnotes whose text contains ``quote`` (normalised)."""
        needle = normalize(quote)
        found = [p.locator for p in self.passages if needle in normalize(p.text)]
        found += [f"footnote-{f.number}" for f in self.footnotes if needle in normalize(f.text)]
        return found


def _heading_kind(text: str):
    stripped = text.strip()
    if len(stripped) > MAX_HEADING_LENGTH or re.search(r"[A-Za-z]", stripped):
        return None
    for kind, pattern in HEADING_PATTERNS:
        match = pattern.match(stripped)
        if match:
            numeral = match.group(1)
            number = CHINESE_NUMERALS.get(numeral) or UPPER_NUMERALS.get(numeral) or int(numeral)
            return kind, number
    return None


class _Reader:
    """Walks the lines once, keeping the section stack and the open paragraph."""

    def __init__(self) -> None:
        self.sections: list[Section] = []
        self.passages: list[Passage] = []
        self.footnotes: list[Footnote] = []
        self.stray: list[tuple[int, str]] = []
        self.stack: list[Section] = []
        self.counts: dict[str, int] = {}
        self.open: Passage | None = None
        self.title = ""

    @property
    def current(self) -> str:
        return self.stack[-1].locator if self.stack else "s0"

    def body_line(self, number: int, line: str) -> None:
        if not self.title:
            self.title = clean(line)
            return
        if self.open is None:
            self.open = Passage(locator="", section="", number=0)
        self.open.lines.append(number)
        self.open.raw.append(line)
        if line != line.rstrip() and not CONTINUES.search(line.rstrip()):
            self.close_paragraph()

    def close_paragraph(self) -> None:
        passage, self.open = self.open, None
        if passage is None or not passage.text:
            return
        heading = _heading_kind(passage.text)
        if heading:
            self.push_section(heading, passage)
            passage.is_heading = True
            passage.section = self.current
            passage.locator = f"{self.current}-h"
        else:
            section = self.current
            self.counts[section] = self.counts.get(section, 0) + 1
            passage.section, passage.number = section, self.counts[section]
            passage.locator = f"{section}-p{passage.number}"
        self.passages.append(passage)

    def push_section(self, heading, passage: Passage) -> None:
        kind, number = heading
        while self.stack and self._depth(kind) <= self._depth(self.stack[-1].kind):
            self.stack.pop()
        parent = self.stack[-1].locator if self.stack else None
        locator = f"{parent}-{number}" if parent else f"s{number}"
        section = Section(locator, kind, number, passage.text, passage.lines[0], parent)
        self.stack.append(section)
        self.sections.append(section)

    @staticmethod
    def _depth(kind: str) -> int:
        return [k for k, _ in HEADING_PATTERNS].index(kind)

    def footnote_line(self, number: int, line: str) -> None:
        match = FOOTNOTE_START.match(line.strip())
        expected = len(self.footnotes) + 1
        if match and int(match.group(1)) == expected:
            self.footnotes.append(Footnote(expected))
            line = match.group(2)
        elif normalize(line) in STRAY_FIGURE_LABELS or not self.footnotes:
            self.stray.append((number, line.strip()))
            return
        self.footnotes[-1].lines.append(number)
        self.footnotes[-1].raw.append(line)


def read_chapter(path: Path) -> Chapter:
    """Parse the chapter file into sections, passages and footnotes.

    Raises ValueError when the footnotes are not numbered 1..N without gaps.
    """
    reader = _Reader()
    in_footnotes = False
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if FOOTNOTE_SEPARATOR.match(line):
            in_footnotes = True
            continue
        if not line.strip():
            continue
        if in_footnotes and line.startswith(" ") and not line.startswith("  "):
            in_footnotes = False
        if in_footnotes:
            reader.footnote_line(number, line)
        else:
            reader.body_line(number, line)
    reader.close_paragraph()
    _link_footnote_calls(reader.passages, reader.footnotes)
    return Chapter(reader.title, reader.sections, reader.passages, reader.footnotes, reader.stray)


def _link_footnote_calls(passages: list[Passage], footnotes: list[Footnote]) -> None:
    """Find each footnote's call mark in the body, in order, and record its passage.

    A call mark is the footnote number right after closing punctuation (。」）”) or a Chinese
    character, as in "大加抨擊。1" or "旅遊展覽會等48"; marks are searched in order, each after the last.
    """
    position = (0, 0)
    texts = [p.text for p in passages]
    for footnote in footnotes:
        mark = re.compile(
            rf"(?:(?<=[。」）)”])\s?|(?<=[\u4e00-\u9fff])){footnote.number}(?![\d年月日億萬架艘%個國.])"
        )
        for index in range(position[0], len(texts)):
            start = position[1] if index == position[0] else 0
            match = mark.search(texts[index], start)
            if match:
                footnote.called_from = passages[index].locator
                position = (index, match.end())
                break
