"""Reconciliation: ranked Wikidata candidates for the entities without a link (`rakg link`), for a person to review.

A label search in each language the entity has a label in, then one SPARQL query that checks each candidate's type
against the Wikidata class our class maps to.  Nothing here writes a link.
"""

from __future__ import annotations

import csv
import time
from dataclasses import dataclass
from pathlib import Path

from ..namespaces import BASE
from .client import WIKIBASE_PREFIXES, WIKIDATA_API, WIKIDATA_SPARQL, qid_of, search, sparql_rows, store_rows
from .links import load_reference

SEARCH_LANGUAGES = {"en": "en", "zh-hant": "zh", "zh": "zh", "ru": "ru"}

UNLINKED = """
SELECT ?entity ?label ?expected WHERE {
  VALUES ?top { rakg:Agent rakg:Place rakg:Document rakg:Idea rakg:Topic rakg:EquipmentType rakg:Period rakg:Event rakg:CountryGroup rakg:Position }
  ?entity a ?class . ?class rdfs:subClassOf* ?top .
  FILTER (STRSTARTS(STR(?entity), "https://w3id.org/rakg/id/"))
  FILTER NOT EXISTS { ?entity skos:exactMatch ?item FILTER STRSTARTS(STR(?item), STR(wd:)) }
  FILTER NOT EXISTS { ?entity owl:deprecated true }
  ?entity rdfs:label ?label .
  OPTIONAL { GRAPH graph:inferred { ?entity wdt:P31 ?expected } }
}
"""
LINKED = "SELECT ?entity ?item WHERE { ?entity skos:exactMatch ?item FILTER STRSTARTS(STR(?item), STR(wd:)) }"
TYPE_CHECK = WIKIBASE_PREFIXES + """SELECT ?item ?type WHERE {
  VALUES ?item { %s }
  VALUES ?type { %s }
  ?item wdt:P31/wdt:P279* ?type .
}"""
CANDIDATE_COLUMNS = ("entity", "label_searched", "language", "candidate_qid", "candidate_label", "description", "type_check", "score")


@dataclass
class Candidate:
    entity: str
    label_searched: str
    language: str
    candidate_qid: str
    candidate_label: str
    description: str
    type_check: str = ""
    score: float = 0.0
    rank: int = 1
    match_type: str = ""

    def row(self) -> list[str]:
        return [self.entity, self.label_searched, self.language, self.candidate_qid, self.candidate_label, self.description,
                self.type_check, f"{self.score:.2f}"]


def unlinked_entities(store, only: tuple = (), kinds: tuple = ()) -> dict[str, dict]:
    """IRI → {"labels": [(text, lang)], "expected": {QID}} for every entity without a Wikidata link."""
    found: dict[str, dict] = {}
    for row in store_rows(store, UNLINKED):
        iri = row["entity"]["value"]
        kind = iri[len(BASE + "id/"):].split("/", 1)[0]
        if (only and iri not in only) or (kinds and kind not in kinds):
            continue
        entry = found.setdefault(iri, {"labels": [], "expected": set()})
        label = (row["label"]["value"], row["label"].get("xml:lang", "").lower())
        if label not in entry["labels"]:
            entry["labels"].append(label)
        if "expected" in row:
            entry["expected"].add(qid_of(row["expected"]["value"]))
    return found


def reconcile(store, root: Path, api: str = WIKIDATA_API, sparql: str = WIKIDATA_SPARQL, only: tuple = (), kinds: tuple = (),
              limit: int = 5, delay: float = 0.5, timeout: float = 30.0) -> list[Candidate]:
    """Ranked Wikidata candidates for every unlinked entity (or those of ``only`` / ``kinds``): a label search
    in each language the entity has a label in, then a type check (instance of, transitively, the Wikidata class
    our class maps to) in one SPARQL query.  Known-wrong QIDs of the reference list and items already linked to
    another entity are flagged and scored down."""
    reference = load_reference(root)
    known_wrong = {w["qid"]: w for w in reference["known_wrong"] if "qid" in w}
    linked = {qid_of(r["item"]["value"]): r["entity"]["value"] for r in store_rows(store, LINKED)}
    entities = unlinked_entities(store, only, kinds)
    candidates: list[Candidate] = []
    for iri, entry in sorted(entities.items()):
        for text, lang in entry["labels"]:
            language = SEARCH_LANGUAGES.get(lang)
            if language is None:
                continue
            if candidates and delay:
                time.sleep(delay)
            for rank, hit in enumerate(search(api, text, language, limit, timeout), start=1):
                candidates.append(Candidate(iri, text, language, hit["id"], hit.get("label", ""), hit.get("description", ""),
                                            rank=rank, match_type=hit.get("match", {}).get("type", "")))
    expected = {iri: entry["expected"] for iri, entry in entities.items()}
    types = type_check(sparql, {c.candidate_qid for c in candidates}, set().union(*expected.values()) if expected else set(), timeout)
    for c in candidates:
        wanted = expected.get(c.entity, set())
        c.score = 0.3 / c.rank + (0.5 if c.candidate_label.casefold() == c.label_searched.casefold() else 0.2 if c.match_type == "alias" else 0.0)
        if c.candidate_qid in known_wrong:
            c.type_check, c.score = f"known wrong: {c.candidate_qid} is {known_wrong[c.candidate_qid]['is']}", 0.0
            continue
        if not wanted:
            c.type_check = "no expected type"
        elif types.get(c.candidate_qid, set()) & wanted:
            c.type_check, c.score = "instance of " + ", ".join(sorted(types[c.candidate_qid] & wanted)), c.score + 1.0
        else:
            c.type_check, c.score = "not an instance of " + ", ".join(sorted(wanted)), c.score - 1.0
        if c.candidate_qid in linked:
            c.type_check += f"; already linked to {linked[c.candidate_qid]}"
            c.score -= 1.0
    candidates.sort(key=lambda c: (c.entity, -c.score, c.candidate_qid, c.language))
    return candidates


def type_check(sparql: str, qids: set[str], classes: set[str], timeout: float = 60.0) -> dict[str, set[str]]:
    """QID → the classes of ``classes`` it is an instance of (wdt:P31/wdt:P279*)."""
    qids, classes = sorted(q for q in qids if q), sorted(c for c in classes if c)
    if not qids or not classes:
        return {}
    query = TYPE_CHECK % (" ".join(f"wd:{q}" for q in qids), " ".join(f"wd:{c}" for c in classes))
    found: dict[str, set[str]] = {}
    for row in sparql_rows(sparql, query, timeout):
        found.setdefault(qid_of(row["item"]["value"]), set()).add(qid_of(row["type"]["value"]))
    return found


def write_candidates(candidates: list[Candidate], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(CANDIDATE_COLUMNS)
        writer.writerows(c.row() for c in candidates)
