"""The facts of an entity page, readable: grouped by kind (the fact's class) and period (the decade of its first
date), the same claim stated in several passages merged into one card, and only some groups drawn at first —
the others come from the fragment route ``/api/facts`` when the reader opens them.

>>> period_of(["1991-10-01", "1977"]), period_of([])
('1970s', 'undated')
>>> period_label("1990s"), period_label("undated")
('1990s · 90 年代', 'Undated · 無日期')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..namespaces import RAKG
from .describe import INFERRED, SOURCE_PROPERTIES, Describer, FactCard, SourceRef, Term, fact_cards

INLINE_CLAIMS = 8  # cards drawn in the first view of a page; the rest load on demand


@dataclass
class FactGroup:
    """The facts of one kind and one period on an entity page."""

    kind: Term
    period: str
    facts: list[str] = field(default_factory=list)  # fact IRIs, in first-date order
    claims: int = 0  # cards after merging
    cards: list[FactCard] = field(default_factory=list)  # filled for the groups drawn in the first view

    @property
    def label(self) -> str:
        return period_label(self.period)


def period_of(dates: list[str]) -> str:
    """The decade of the earliest date ('1990s'), or 'undated'."""
    years = [int(m.group(1)) for d in dates if (m := re.match(r"(-?\d{4})", d))]
    return f"{min(years) // 10 * 10}s" if years else "undated"


def period_label(period: str) -> str:
    """A period's heading in English and Chinese."""
    if period == "undated":
        return "Undated · 無日期"
    return f"{period} · {period[2:4]} 年代"


def fact_index(d: Describer, iri: str) -> dict[str, dict]:
    """fact IRI -> {classes, dates, label} for every fact in which ``iri`` fills a role (one cheap query)."""
    index: dict[str, dict] = {}
    for row in d.rows("entity-fact-index", iri):
        item = index.setdefault(row["fact"]["value"], {"classes": set(), "dates": set(), "label": ""})
        if "class" in row:
            item["classes"].add(row["class"]["value"])
        if "date" in row:
            item["dates"].add(row["date"]["value"])
        if "label" in row:
            item["label"] = row["label"]["value"]
    return index


def claim_key(classes, label: str, fact: str) -> tuple:
    """Facts of the same classes with the same English label state the same claim (a fact without a label is its own)."""
    return (tuple(sorted(classes)), label or fact)


def group_facts(d: Describer, index: dict[str, dict]) -> list[tuple[Term, list[FactGroup]]]:
    """The facts by kind (largest kind first) and by period (in time order, undated last)."""
    groups: dict[tuple[str, str], FactGroup] = {}
    claims: dict[tuple[str, str], set] = {}
    for fact, item in sorted(index.items(), key=lambda kv: (min(kv[1]["dates"], default="9999"), kv[0])):
        kind = min(item["classes"], default="")
        group = groups.setdefault((kind, period_of(item["dates"])), FactGroup(d.iri(kind), period_of(item["dates"])))
        group.facts.append(fact)
        claims.setdefault((kind, group.period), set()).add(claim_key(item["classes"], item["label"], fact))
        group.claims = len(claims[(kind, group.period)])
    kinds: dict[str, list[FactGroup]] = {}
    for (kind, _), group in groups.items():
        kinds.setdefault(kind, []).append(group)
    ordered = sorted(kinds.values(), key=lambda gs: (-sum(g.claims for g in gs), gs[0].kind.name))
    return [(gs[0].kind, sorted(gs, key=lambda g: (g.period == "undated", g.period))) for gs in ordered]


def merge_cards(cards: list[FactCard]) -> list[FactCard]:
    """One card per claim: the passages, footnotes and quotes of the facts that state the same claim are added to
    the first card, and the other facts are listed in its ``also``."""
    merged: dict[tuple, FactCard] = {}
    for card in cards:
        key = claim_key((c.value for c in card.classes), card.labels.get("en", ""), card.term.value)
        first = merged.setdefault(key, card)
        if first is card:
            continue
        first.also.append(card.term)
        for name in ("passages", "footnotes"):
            known = {ref.term.value for ref in getattr(first, name)}
            getattr(first, name).extend(ref for ref in getattr(card, name) if ref.term.value not in known)
        first.quotes.extend(q for q in card.quotes if q not in first.quotes)
        first.dates.extend(dt for dt in card.dates if dt[1].value not in {x[1].value for x in first.dates})
    return list(merged.values())


def group_cards(d: Describer, iri: str, facts: set[str]) -> list[FactCard]:
    """The merged cards of the given facts about ``iri``, in first-date order (a few small queries per fact, so
    that a group costs what it shows, not what the entity has)."""
    rows, refs = [], {}
    for fact in sorted(facts):
        statements = [r for r in d.rows("entity-statements", fact) if r["graph"]["value"] != INFERRED]
        roles = sorted(r["property"]["value"] for r in statements if r["value"]["value"] == iri)
        role = {"type": "uri", "value": roles[0]} if roles else None
        fact_cell = {"type": "uri", "value": fact}
        rows += [{"fact": fact_cell, "role": role, "property": r["property"], "value": r["value"]} for r in statements]
        for row in statements:
            if row["property"]["value"] in SOURCE_PROPERTIES and row["value"]["value"] not in refs:
                refs[row["value"]["value"]] = source_ref(d, row["value"]["value"])
    return merge_cards(fact_cards(d, rows, refs))


def source_ref(d: Describer, source: str) -> SourceRef:
    """A passage or footnote with its locator, text and section, from its own statements."""
    values = {r["property"]["value"]: r["value"] for r in d.rows("entity-statements", source) if r["graph"]["value"] != INFERRED}
    locator = values.get(str(RAKG.locator), {}).get("value") or source.rsplit("/", 1)[-1]
    return SourceRef(d.iri(source), locator, values.get(str(RAKG.text), {}).get("value", ""), d.term(values.get(str(RAKG.inSection))))


def first_view(d: Describer, iri: str, grouped: list[tuple[Term, list[FactGroup]]]) -> None:
    """Fill the cards of the groups drawn in the first view: every group while the page has at most INLINE_CLAIMS
    claims, else the small groups that fit in that budget, in page order."""
    budget = INLINE_CLAIMS
    chosen = []
    for _, groups in grouped:
        for group in groups:
            if group.claims <= budget:
                chosen.append(group)
                budget -= group.claims
    if not chosen:
        return
    cards = group_cards(d, iri, {f for g in chosen for f in g.facts})
    by_fact = {card.term.value: card for card in cards}
    for group in chosen:
        group.cards = [by_fact[f] for f in group.facts if f in by_fact]
