"""Deterministic synthetic graphs shaped like the chapter graph: ``python -m bench.generate --size 1M [--seed 1]``.

The output (N-Quads, bench/data/synthetic-<size>-seed<seed>.nq) has the real ontology and shapes, entities of every
kind (world.py), the chapter's sources (sections, passages whose text holds the facts' quotes, footnotes with
their references), facts of every class the named queries read — memberships, partner statuses, treaty
actions, diplomatic relations, a state succession, occurrences and participations, utterances, stances,
policy shifts, position holdings, establishments, deals, trade data sets, ranks, commodity shares, period
definitions, assessments, discrepancies — each with labels, rakg:quote, rakg:statedIn and often
rakg:citesFootnote, background facts with dcterms:source, and graph/inferred (inferred.py).  A fixed core
(the trade table, Russia's statuses, accession and succession, ASEAN's members, the first summits) is
written at every size; the rest is drawn from a seeded generator, in batches of about 6 000 quads, until
the size is reached.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rdflib import Graph, URIRef

from .facts import FactBuilders, rdf
from .inferred import Deriver, Vocabulary, ontology_inferences
from .text import Names, Writer, day, lit, t
from .world import World

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
FACTS_PER_BATCH = 80


def parse_size(text: str) -> int:
    """'100k' -> 100000, '1M' -> 1000000, '250000' -> 250000."""
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1].lower(), 1)
    return int(float(text[:-1] if factor > 1 else text) * factor)


class Generator(FactBuilders):
    """Writes one synthetic dataset; ``run`` returns the number of quads written."""

    def __init__(self, path: Path, target: int, seed: int):
        self.target, self.names = target, Names(seed)
        self.rng = self.names.rng
        self.writer = Writer(path)
        self.quad = self.writer.quad
        self.ontology = Graph()
        for file in sorted((ROOT / "ontology").glob("*.ttl")):
            self.ontology.parse(file)
        self.deriver = Deriver(self.writer, Vocabulary(self.ontology))
        self.world = World(self.names, self.writer, self.deriver)
        self.batch, self.count, self.footnotes = 0, 0, 0
        self.passages: list[tuple[str, list[str]]] = []
        self.batch_facts: list[str] = []
        self.builders = {self.membership: 8, self.partner: 2, self.action: 10, self.relation: 3, self.participation: 10,
                         self.utterance: 6, self.stance: 8, self.shift: 2, self.holding: 4, self.establishment: 2,
                         self.deal: 6, self.rank: 1, self.share: 1, self.period: 1, self.assessment: 14}

    def run(self) -> int:
        for file in sorted((ROOT / "ontology").glob("*.ttl")):
            self.graph_files([file], f"ontology/{file.stem}")
        self.graph_files(sorted((ROOT / "ontology" / "shapes").glob("*.ttl")), "ontology/shapes")
        ontology_inferences(self.ontology, ROOT / "ontology" / "rules", self.quad)
        self.world.write_anchors()
        self.quad(t("src:chapter4"), t("rdf:type"), t("rakg:Chapter"), t("graph:data/sources/chapter"))
        self.section(passages=10, footnotes=25)
        self.core()
        self.close_section()
        builders, weights = list(self.builders), list(self.builders.values())
        while self.writer.count < self.target:
            events = self.world.grow()
            self.section(passages=8, footnotes=5)
            for event in events:
                self.occurrence(event)
            if self.batch % 4 == 0:
                self.dataset(f"syn-trade-{self.batch}", self.world.pick("state", 0.5).node, self.world.pick("state").node, None)
            for builder in self.rng.choices(builders, weights, k=FACTS_PER_BATCH):
                if self.writer.count >= self.target:
                    break
                builder()
            for _ in range(3):
                claims = self.rng.sample(self.batch_facts, 2)
                self.fact("rakg:Discrepancy", [(t("rakg:claim"), c) for c in claims], prefix="discrepancy", quoted=False,
                          literals=[(t("rakg:discrepancyKind"), self.rng.choice(rdf( "DateDiscrepancy", "NameDiscrepancy", "FigureDiscrepancy"))),
                                    (t("rdfs:comment"), lit("The two claims disagree.", lang="en"))])
            self.close_section()
        self.deriver.finish()
        self.writer.close()
        return self.writer.count

    def graph_files(self, paths, name: str) -> None:
        """Files merged into one named graph, in the build's canonical N-Quads (sorted, stable blank node labels)."""
        from server.canonical import canonical_nquads

        graph = Graph()
        for path in paths:
            graph.parse(path)
        for line in canonical_nquads({URIRef(t(f"graph:{name}")[1:-1]): graph}).splitlines():
            self.writer.line(line)

    # --- sources ------------------------------------------------------------------

    def section(self, passages: int, footnotes: int) -> None:
        """A section of the chapter with passages (text written at close) and footnotes called from them."""
        self.batch += 1
        g, node = t("graph:data/sources/chapter"), t(f"src:s{self.batch}")
        for p, o in ((t("rdf:type"), t("rakg:Section")), (t("rdfs:label"), lit(f"Section {self.batch}: {self.names.english(3)}", lang="en")),
                     (t("rdfs:label"), lit(self.names.chinese(4, 8), lang="zh-Hant")), (t("rakg:locator"), lit(f"s{self.batch}")),
                     (t("rakg:inChapter"), t("src:chapter4")), (t("rakg:startLine"), lit(str(self.batch * 40), datatype="xsd:integer"))):
            self.quad(node, p, o, g)
        self.passages = [(t(f"src:s{self.batch}-p{j}"), []) for j in range(1, passages + 1)]
        for j, (passage, _) in enumerate(self.passages, 1):
            for p, o in ((t("rdf:type"), t("rakg:Passage")), (t("rdfs:label"), lit(f"Passage s{self.batch}-p{j}", lang="en")),
                         (t("rakg:inSection"), node), (t("rakg:locator"), lit(f"s{self.batch}-p{j}")),
                         (t("rakg:ordinal"), lit(str(j), datatype="xsd:integer"))):
                self.quad(passage, p, o, g)
        references = t("graph:data/sources/footnotes")
        for _ in range(footnotes):
            self.footnotes += 1
            n, note = self.footnotes, t(f"src:footnote-{self.footnotes}")
            for p, o in ((t("rdf:type"), t("rakg:Footnote")), (t("rdfs:label"), lit(f"Footnote {n}", lang="en")),
                         (t("rdfs:label"), lit(f"註 {n}", lang="zh-Hant")), (t("rakg:calledFrom"), self.rng.choice(self.passages)[0]),
                         (t("rakg:inChapter"), t("src:chapter4")), (t("rakg:ordinal"), lit(str(n), datatype="xsd:integer")),
                         (t("rakg:text"), lit(f"{self.names.english(4)}, p.{self.rng.randint(1, 300)}."))):
                self.quad(note, p, o, g)
            for p, o in ((t("dcterms:title"), lit(self.names.english(5), lang="en")), (t("rakg:container"), lit(self.names.english(2))),
                         (t("dcterms:date"), day(self.names.date(1980, 2007)[:7]))):
                self.quad(note, p, o, references)

    def close_section(self) -> None:
        """Write each passage's text: the quotes of the facts stated in it, so every quote occurs in its passage."""
        for passage, quotes in self.passages:
            text = "，".join(quotes) + "。" if quotes else self.names.quote() + "。"
            self.quad(passage, t("rakg:text"), lit(text), t("graph:data/sources/chapter"))
        self.batch_facts = []

    # --- facts ---------------------------------------------------------------------

    def fact(self, cls, links, dates=None, literals=(), en="", prefix="fact", slug="", background=False, quoted=True, footnote=0) -> str:
        """Write one fact (labels, links, dates, quote, passage, footnote) and its derivations; return its node."""
        self.count += 1
        dates = {p: d for p, d in (dates or {}).items() if d}
        local = cls.split(":")[1]
        node = t(f"{prefix}:{slug or f's{self.batch}-{local.lower()}-{self.count}'}")
        g = t("graph:data/background/asean-and-tac") if background else t(f"graph:data/chapter/part-{self.batch % 12:02d}")
        q = self.quad
        q(node, t("rdf:type"), t(cls), g)
        q(node, t("rdfs:label"), lit(en or f"{local} {self.count}", lang="en"), g)
        q(node, t("rdfs:label"), lit(self.names.chinese(8, 16), lang="zh-Hant"), g)
        for p, o in list(links) + list(literals):
            q(node, p, o, g)
        for p, text in dates.items():
            q(node, t(p), day(text), g)
        provenance = []
        if background:
            q(node, t("rdf:type"), t("rakg:BackgroundFact"), g)
            q(node, t("dcterms:source"), lit(f"{self.names.english(3)} (reference work)"), g)
        elif quoted:
            passage, quotes = self.rng.choice(self.passages)
            quotes.append(self.names.quote())
            q(node, t("rakg:quote"), lit(quotes[-1]), g)
            provenance.append((t("rakg:statedIn"), passage))
            if footnote or self.rng.random() < 0.5:
                n = footnote or (22 if self.rng.random() < 0.02 else self.rng.randint(1, self.footnotes))
                provenance.append((t("rakg:citesFootnote"), t(f"src:footnote-{n}")))
            for p, o in provenance:
                q(node, p, o, g)
            self.batch_facts.append(node)
        self.deriver.fact(node, t(cls), list(links) + list(literals) + provenance, {t(p): d for p, d in dates.items()}, background)
        return node

def ensure(size: str, seed: int = 1) -> Path:
    """The synthetic dataset of ``size`` ('100k', '1M' …), generated unless a file newer than the generator exists."""
    path = DATA / f"synthetic-{size}-seed{seed}.nq"
    here = Path(__file__).parent
    sources = [here / f"{name}.py" for name in ("generate", "facts", "world", "inferred", "text")] + sorted((ROOT / "ontology").rglob("*"))
    if not path.exists() or path.stat().st_mtime < max(p.stat().st_mtime for p in sources):
        DATA.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        quads = Generator(path.with_suffix(".tmp"), parse_size(size), seed).run()
        path.with_suffix(".tmp").rename(path)
        print(f"generated {path} ({quads} quads, {time.perf_counter() - started:.1f} s)", flush=True)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="100k", help="number of quads, e.g. 100k, 1M, 10M")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    ensure(args.size, args.seed)


if __name__ == "__main__":
    main()
