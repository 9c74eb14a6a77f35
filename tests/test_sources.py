"""data/sources/chapter.ttl is generated from the chapter and must be up to date."""

from rdflib import Graph
from rdflib.compare import isomorphic

from server.build.sources import build_sources_graph


def test_generated_source_description_is_up_to_date(root):
    committed = Graph().parse(root / "data/sources/chapter.ttl")
    fresh = build_sources_graph(root / "data/sources/chapter4-russia-asean.txt")
    assert isomorphic(committed, fresh), "data/sources/chapter.ttl is stale: run `rakg sources`"


def test_every_footnote_has_its_printed_reference(sources):
    from server.namespaces import RAKG, SRC

    data = sources.data()
    described = {s for s in data.subjects() if str(s).startswith(str(SRC["footnote-"]))}
    assert len(described) == 69
    curated = sources.graphs["data/sources/footnotes.ttl"]
    missing = [n for n in range(1, 70) if len(set(curated.predicate_objects(SRC[f"footnote-{n}"]))) == 0]
    assert missing == []
    assert all((SRC[f"footnote-{n}"], RAKG.text, None) in data for n in range(1, 70))
