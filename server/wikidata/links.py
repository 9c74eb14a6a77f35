"""The checks of the Wikidata links we keep (data/links/wikidata.ttl) against the reference list of verified and
known-wrong QIDs (data/links/qids-reference.json).
"""

from __future__ import annotations

import json
from pathlib import Path

from rdflib.namespace import DCTERMS, RDFS, SKOS

from ..namespaces import RAKG
from .client import qid_of


def load_reference(root: Path) -> dict:
    """The reference list of QIDs: ``entities`` (each with its ``status``) and ``known_wrong`` look-alikes."""
    return json.loads((root / "data/links/qids-reference.json").read_text(encoding="utf-8"))


def link_problems(graph, reference: dict) -> list[str]:
    """Problems of the Wikidata links of an rdflib graph: two entities linked to one item, a link to a QID the
    reference list knows to be wrong, a link without its record (rakg:WikidataLink with rakg:verifiedBy and
    dcterms:source), or a record claiming the reference list for a QID the list does not verify."""
    known_wrong = {w["qid"]: w for w in reference["known_wrong"] if "qid" in w}
    verified = {e["qid"] for e in reference["entities"] if e["status"] == "verified"}
    problems, by_item = [], {}
    for entity, item in sorted(graph.subject_objects(SKOS.exactMatch)):
        qid = qid_of(str(item))
        if not qid:
            continue
        by_item.setdefault(qid, []).append(str(entity))
        records = [r for r in graph.subjects(RAKG.linkedEntity, entity) if (r, RAKG.wikidataItem, item) in graph]
        if qid in known_wrong:
            # a known-wrong look-alike is fine only for the thing it really is (Q7825 is wrong for the African Union,
            # right for the WTO): its record or the entity's labels must name that thing
            really = known_wrong[qid]["is"].casefold()
            names = [str(o) for r in records for o in graph.objects(r, DCTERMS.source)] + [str(o) for o in graph.objects(entity, RDFS.label)]
            if not any(really in name.casefold() for name in names):
                problems.append(f"{entity} is linked to {qid}, which is {known_wrong[qid]['is']}, not {known_wrong[qid]['is_not']}")
        if not any((r, RAKG.verifiedBy, None) in graph and (r, DCTERMS.source, None) in graph for r in records):
            problems.append(f"{entity} → {qid} has no rakg:WikidataLink record with rakg:verifiedBy and dcterms:source")
        if any((r, RAKG.verifiedBy, RAKG.ReferenceListVerification) in graph for r in records) and qid not in verified:
            problems.append(f"{entity} → {qid} claims the reference list, which does not verify {qid}")
    problems += [f"{qid} is linked from {len(entities)} entities: {', '.join(entities)}" for qid, entities in sorted(by_item.items()) if len(entities) > 1]
    return problems
