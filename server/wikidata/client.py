"""Requests to Wikidata (its SPARQL service and its wbsearchentities API) and the reading of their answers and of ours.

Every request goes out with outbound.USER_AGENT, a time limit and one Retry-After wait (SPARQL through
outbound.forward, the API through outbound.get_json).  Where Wikidata is reached is configurable: the
``service_map`` setting (``https://query.wikidata.org/sparql=<URL>``) or ``--sparql`` send the SPARQL queries to a
mirror or to the tests' stand-in; ``--api`` does the same for the API.
"""

from __future__ import annotations

import json
import urllib.parse

from ..errors import RakgError
from ..namespaces import WD
from ..outbound import forward, get_json

WIKIDATA_SPARQL = "https://query.wikidata.org/sparql"
WIKIDATA_API = "https://www.wikidata.org/w/api.php"
WIKIBASE_PREFIXES = """PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
PREFIX p: <http://www.wikidata.org/prop/>
PREFIX ps: <http://www.wikidata.org/prop/statement/>
PREFIX pq: <http://www.wikidata.org/prop/qualifier/>
PREFIX pqv: <http://www.wikidata.org/prop/qualifier/value/>
PREFIX wikibase: <http://wikiba.se/ontology#>
PREFIX schema: <http://schema.org/>
"""


def wikidata_sparql_url(settings, override: str | None = None) -> str:
    """Where the Wikidata SPARQL queries go: ``override``, else the service_map entry, else Wikidata itself."""
    if override:
        return override
    mapped = dict(pair.split("=", 1) for pair in settings.service_map.split(",") if "=" in pair)
    return mapped.get(WIKIDATA_SPARQL, WIKIDATA_SPARQL).strip()


def sparql_rows(url: str, query: str, timeout: float = 60.0) -> list[dict]:
    """The bindings of a SELECT sent to a SPARQL endpoint (POST form, JSON results); raises RakgError on an error reply."""
    reply = forward(url, query, "application/sparql-results+json", timeout)
    if reply.status != 200:
        raise RakgError(f"{url} answered {reply.status}: {reply.body[:300].decode('utf-8', 'replace')}", where="Wikidata SPARQL")
    return json.loads(reply.body)["results"]["bindings"]


def search(api: str, text: str, language: str, limit: int, timeout: float = 30.0) -> list[dict]:
    """The hits (id, label, description, match) of a label search of the wbsearchentities API, best first."""
    params = {"action": "wbsearchentities", "format": "json", "language": language, "uselang": language, "type": "item",
              "limit": str(limit), "search": text}
    return get_json(f"{api}?{urllib.parse.urlencode(params)}", timeout).get("search", [])


def store_rows(store, query: str) -> list[dict]:
    """The bindings of a SELECT on our own store, in the shape of sparql_rows."""
    from ..catalog import results_json

    return results_json(store.query(query))["results"]["bindings"]


def binding(row: dict, name: str) -> str:
    """The value of a variable of a result row, '' when unbound."""
    return row[name]["value"] if name in row else ""


def qid_of(iri: str) -> str:
    """The QID of a Wikidata entity IRI, '' for any other IRI.

    >>> qid_of("http://www.wikidata.org/entity/Q7768"), qid_of("https://w3id.org/rakg/id/state/vietnam")
    ('Q7768', '')
    """
    return iri.rsplit("/", 1)[-1] if iri.startswith(str(WD)) else ""
