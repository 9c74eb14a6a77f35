"""QuickStatements (`rakg quickstatements`): what the chapter states and Wikidata lacks, as lines for a person to review
and upload.
"""

from __future__ import annotations

from .crosscheck import Claim


def _qs_time(value: str, precision: int) -> str:
    year, month, day = (value.split("-") + ["00", "00"])[:3]
    if precision <= 9:
        month = day = "00"
    elif precision == 10:
        day = "00"
    return f"+{year}-{month}-{day[:2]}T00:00:00Z/{precision}"


def quickstatements(claims: list[Claim]) -> list[str]:
    """QuickStatements (v1, tab-separated) for what the chapter states and Wikidata lacks (the silent cases):
    the statement with the chapter's dates as qualifiers, referenced with S854 (reference URL: the fact's IRI)
    and S1683 (quotation: the chapter's words, zh-hant).  For a person to review before uploading."""
    lines, seen = [], set()
    for c in (c for c in claims if c.outcome == "wikidata-silent"):
        parts = [c.subject_item, c.property, c.object_item]
        for qualifier, (value, precision) in sorted(c.dates.items()):
            if qualifier in ("P580", "P582", "P585"):
                parts += [qualifier, _qs_time(value, precision)]
        parts += ["S854", f'"{c.fact}"']
        if c.quote:
            parts += ["S1683", 'zh-hant:"' + c.quote.replace('"', "'").replace("\t", " ").replace("\n", " ") + '"']
        line = "\t".join(parts)
        if line not in seen:
            seen.add(line)
            lines.append(line)
    return lines
