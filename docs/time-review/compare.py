"""Compare before.tsv and after.tsv (issue 15): which facts changed their dates, and how.

Usage (from the repository root): .venv/bin/python docs/time-review/compare.py
Prints the counts used in summary.md and writes changes.tsv (one row per changed fact).
"""

import csv
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
from server.build.dates import find_dates  # noqa: E402

ROLES = {"date": ("date", "earliestDate", "latestDate"), "start": ("startDate", "earliestStart", "latestStart"),
         "end": ("endDate", "earliestEnd", "latestEnd"), "asOf": ("asOf", "earliestAsOf", "latestAsOf"),
         "delivery": ("deliveryDate", "earliestDelivery", "latestDelivery")}
TEXT = {"date": "dateText", "start": "startText", "end": "endText", "asOf": "dateText", "delivery": "deliveryText"}


def read(name):
    with open(HERE / name, encoding="utf-8") as handle:
        return {row["fact"]: row for row in csv.DictReader(handle, delimiter="\t")}


def shape(row, role):
    exact, lo, hi = (row.get(p, "") for p in ROLES[role])
    if exact:
        return "exact"
    if lo and hi:
        return "interval"
    if lo:
        return "earliest only"
    if hi:
        return "latest only"
    return "none"


def values(row, role):
    return tuple(row.get(p, "") for p in ROLES[role])


def phrase_kind(row, role):
    text = row.get(TEXT[role], "")
    readings = find_dates(text, year=2000) if text else []
    if not readings:
        return "words without a date (era, 此時, 今後…) or none" if text else "no words (dateSource)"
    r = readings[0]
    kind = r.kind
    if kind == "decade":
        part = r.text.split("年代")[-1] or "whole decade"
        kind = f"decade ({part})"
    return kind + ("" if r.relation == "at" else f", {r.relation}")


CATEGORIES = [
    ("report's publication date moved to rakg:reportedOn", lambda o, n, w: n.get("reportedOn") and not o.get("reportedOn")),
    ("part of a decade (年代初/中期/末/後期) or a whole decade", lambda o, n, w: "年代" in w),
    ("part of a century (世紀初, 21 世紀前)", lambda o, n, w: "世紀" in w),
    ("part of a year (年初/年底/年末)", lambda o, n, w: any(k in w for k in ("年初", "年底", "年末"))),
    ("part of a month (月初/中旬/月底前)", lambda o, n, w: any(k in w for k in ("月初", "旬", "月底"))),
    ("recent years (近年/近幾年/這幾年/近 N 年來)", lambda o, n, w: any(k in w for k in ("近", "這幾年", "過去"))),
    ("before X (以前/之前/前)", lambda o, n, w: any(k in w for k in ("以前", "之前", "前"))),
    ("after/from X (後/之後/起/以來/開始)", lambda o, n, w: any(k in w for k in ("後", "起", "以來", "開始", "來"))),
    ("range X 至 Y (間)", lambda o, n, w: "至" in w),
    ("the thesis's present (目前/至今/今後)", lambda o, n, w: any(k in w for k in ("目前", "至今", "今後", "而今"))),
    ("attestation, not a start (asOf)", lambda o, n, w: any(n.get(p) for p in ROLES["asOf"]) and not any(o.get(p) for p in ROLES["asOf"])),
    ("era or context words (此時期, 獨立初期, 當時 …) with a sibling's date", lambda o, n, w: bool(w)),
    ("other (dateSource only)", lambda o, n, w: True),
]


def category(old, new):
    words = " ".join(new.get(t, "") for t in ("dateText", "startText", "endText", "deliveryText")).replace(" ", "")
    for name, test in CATEGORIES:
        if test(old, new, words):
            return name


def main():
    before, after = read("before.tsv"), read("after.tsv")
    changes, by_kind, transitions = [], Counter(), Counter()
    for fact, new in after.items():
        old = before.get(fact)
        for role in ROLES:
            if old is None:
                if shape(new, role) != "none":
                    transitions[("new fact", shape(new, role))] += 1
                continue
            if values(old, role) == values(new, role):
                continue
            transition = (shape(old, role), shape(new, role))
            transitions[transition] += 1
            kind = phrase_kind(new, role) if shape(new, role) != "none" else "date removed"
            by_kind[kind] += 1
            changes.append([fact, role, " / ".join(values(old, role)), " / ".join(values(new, role)), kind,
                            new.get(TEXT[role], "")])
    reported = [f for f, r in after.items() if r.get("reportedOn")]
    sourced = [f for f, r in after.items() if r.get("dateSource")]
    facts_changed = len({c[0] for c in changes})
    with open(HERE / "changes.tsv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["fact", "role", "before (exact / earliest / latest)", "after (exact / earliest / latest)",
                         "phrase kind", "words"])
        writer.writerows(sorted(changes))
    print(f"facts before {len(before)}, after {len(after)}, new {len(set(after) - set(before))}, "
          f"gone {len(set(before) - set(after))}")
    print(f"facts whose dates changed: {facts_changed} ({len(changes)} roles)")
    print("role transitions (before -> after):")
    for (a, b), n in sorted(transitions.items(), key=lambda x: -x[1]):
        print(f"  {n:4d}  {a} -> {b}")
    print("changed roles by the phrase that now dates them:")
    for kind, n in by_kind.most_common():
        print(f"  {n:4d}  {kind}")
    per_fact = Counter()
    changed_facts = {c[0] for c in changes}
    for fact in changed_facts:
        if fact in before:
            per_fact[category(before[fact], after[fact])] += 1
    print("changed facts by the phrase type that dates them now:")
    for name, _ in CATEGORIES:
        if per_fact[name]:
            print(f"  {per_fact[name]:4d}  {name}")
    print(f"facts with rakg:reportedOn: {len(reported)}; with rakg:dateSource: {len(sourced)}")


if __name__ == "__main__":
    main()
