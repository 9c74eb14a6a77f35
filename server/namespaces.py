"""The base IRI and every namespace the project uses.

No other module spells out an IRI: import the namespace from here.

>>> str(RAKG.Membership)
'https://w3id.org/rakg/ontology#Membership'
>>> str(entity_iri("state", "russia"))
'https://w3id.org/rakg/id/state/russia'
"""

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, TIME, XSD

BASE = "https://w3id.org/rakg/"

RAKG = Namespace(BASE + "ontology#")
ID = Namespace(BASE + "id/")
SRC = Namespace(BASE + "source/")
SHAPE = Namespace(BASE + "shape/")
GRAPH = Namespace(BASE + "graph/")
QUERY = Namespace(BASE + "query/")
RULE = Namespace(BASE + "rule/")

ORG = Namespace("http://www.w3.org/ns/org#")
QB = Namespace("http://purl.org/linked-data/cube#")
SDMX_ATTRIBUTE = Namespace("http://purl.org/linked-data/sdmx/2009/attribute#")
SCHEMA = Namespace("https://schema.org/")
SH = Namespace("http://www.w3.org/ns/shacl#")
VOID = Namespace("http://rdfs.org/ns/void#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
WD = Namespace("http://www.wikidata.org/entity/")
WDT = Namespace("http://www.wikidata.org/prop/direct/")

# The kinds of individual, each with its own folder under id/ and Turtle prefix.
ENTITY_KINDS = (
    "state",
    "organization",
    "forum",
    "body",
    "document",
    "person",
    "position",
    "company",
    "place",
    "event",
    "idea",
    "period",
    "equipment",
    "group",
    "concept",
)
FACT_KINDS = ("fact", "observation", "discrepancy", "dataset", "derivation")

PREFIXES = {
    "rakg": RAKG,
    "src": SRC,
    "shape": SHAPE,
    "graph": GRAPH,
    "query": QUERY,
    "rule": RULE,
    **{kind: Namespace(f"{BASE}id/{kind}/") for kind in ENTITY_KINDS + FACT_KINDS},
    "org": ORG,
    "qb": QB,
    "sdmx-attribute": SDMX_ATTRIBUTE,
    "schema": SCHEMA,
    "sh": SH,
    "void": VOID,
    "sd": SD,
    "wd": WD,
    "wdt": WDT,
    "rdf": RDF,
    "rdfs": RDFS,
    "owl": OWL,
    "xsd": XSD,
    "skos": SKOS,
    "dcterms": DCTERMS,
    "prov": PROV,
    "time": TIME,
}

# Named graphs that do not come from a single source file.
INFERRED_GRAPH = GRAPH["inferred"]
WIKIDATA_GRAPH = GRAPH["wikidata"]


def entity_iri(kind: str, slug: str) -> URIRef:
    """Return the IRI of an individual of ``kind`` with ``slug``.

    Raises ValueError for an unknown kind.

    >>> entity_iri("person", "sergey-lavrov")
    rdflib.term.URIRef('https://w3id.org/rakg/id/person/sergey-lavrov')
    """
    if kind not in ENTITY_KINDS + FACT_KINDS:
        raise ValueError(f"unknown kind {kind!r}; expected one of {ENTITY_KINDS + FACT_KINDS}")
    return URIRef(f"{BASE}id/{kind}/{slug}")


def graph_for(relative_path: str) -> URIRef:
    """Return the named graph IRI for a source file given relative to the repository.

    >>> graph_for("data/chapter/s1-1-suspicion-1967-1975.ttl")
    rdflib.term.URIRef('https://w3id.org/rakg/graph/data/chapter/s1-1-suspicion-1967-1975')
    """
    stem = relative_path.rsplit(".", 1)[0]
    return GRAPH[stem]


def bind_all(graph) -> None:
    """Bind every project prefix on an rdflib graph, replacing any clashing binding."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
