"""Nothing in the chapter is skipped: every passage and every sentence is quoted by some fact."""

from __future__ import annotations

import re

import pytest
from rdflib.namespace import RDF

from server.build.chapter import normalize
from server.namespaces import RAKG

# Sentences that only announce the chapter's own structure ("…分別說明之", "…簡要列述如下").
STRUCTURAL = {
    "s0-p5": ["第三節為小結。"],
    "s2-p3": ["這些政策可經由雙方的政治、經貿以及軍事合作三方面關係分別說明之。"],
    "s2-2-1-2-1-p3": ["僅就俄羅斯與東協國家在能源方面的雙邊和多邊合作，簡要列述如下："],
    "s2-3-2-p4": ["以下僅就俄羅斯與部份東協國家的反恐合作略述分析之。"],
    "s2-2-1-1-p17": ["資料來源："],
}
WINDOW = 8


def _shingles(text: str) -> set[str]:
    return {text[i : i + WINDOW] for i in range(max(1, len(text) - WINDOW + 1))}


@pytest.fixture(scope="module")
def passages(sources):
    data = sources.data()
    quotes = {}
    for fact, quote in data.subject_objects(RAKG.quote):
        for part in data.objects(fact, RAKG.statedIn):
            quotes.setdefault(part, set()).update(_shingles(normalize(str(quote))))
    return [(str(data.value(p, RAKG.locator)), str(data.value(p, RAKG.text)), quotes.get(p, set())) for p in data.subjects(RDF.type, RAKG.Passage)]


def test_every_sentence_of_every_paragraph_is_quoted_by_a_fact(passages):
    missing = []
    for locator, text, shingles in passages:
        if locator.endswith("-h"):
            continue  # headings: bare titles, or period definitions checked below
        for sentence in re.split(r"(?<=[。！？；])", text):
            sentence = re.sub(r"^\d+\s*", "", sentence.strip())
            folded = normalize(sentence)
            if len(folded) < 6 or sentence in STRUCTURAL.get(locator, []):
                continue
            if not _shingles(folded) & shingles:
                missing.append(f"{locator}: {sentence}")
    assert missing == [], "sentences no fact quotes:\n" + "\n".join(missing)


def test_the_period_headings_are_encoded(passages):
    by_locator = {locator: shingles for locator, _, shingles in passages}
    assert all(by_locator[f"s1-{n}-h"] for n in range(1, 5))
