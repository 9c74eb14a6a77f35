"""The web UI and the linked-data pages, through a real `rakg serve` (the live_server fixture)."""

from __future__ import annotations

import re
import warnings
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDFS

ROOT = Path(__file__).resolve().parent.parent
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
RUSSIA = URIRef("https://w3id.org/rakg/id/state/russia")
ASEAN = URIRef("https://w3id.org/rakg/id/organization/asean")
RAKG = "https://w3id.org/rakg/ontology#"


class Page(HTMLParser):
    """The parts of an HTML page the tests look at: scripts, styles, links, ids and the visible text."""

    def __init__(self, text: str):
        super().__init__()
        self.scripts, self.inline_scripts, self.style_attributes, self.style_elements = [], [], [], 0
        self.links, self.ids, self.stylesheets, self.text = [], {}, [], []
        self._in_script = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs:
            self.style_attributes.append(tag)
        if "id" in attrs:
            self.ids[attrs["id"]] = tag
        if tag == "script":
            self._in_script = True
            self.scripts.append(attrs.get("src"))
        elif tag == "style":
            self.style_elements += 1
        elif tag == "a" and "href" in attrs:
            self.links.append(attrs["href"])
        elif tag == "link" and attrs.get("rel") == "stylesheet":
            self.stylesheets.append(attrs.get("href"))

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline_scripts.append(data)
        self.text.append(data)

    @property
    def plain(self) -> str:
        return re.sub(r"\s+", " ", "".join(self.text))


def parse_rdf(text: str, fmt: str) -> Graph:
    """Parse RDF with rdflib, whose JSON-LD parser warns about its own deprecated ConjunctiveGraph."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return Graph().parse(data=text, format=fmt)


def get_page(base: str, path: str, status: int = 200) -> tuple[requests.Response, Page]:
    response = requests.get(base + path, headers=HTML, timeout=60)
    assert response.status_code == status, f"{path}: {response.status_code} {response.text[:300]}"
    assert response.headers["Content-Type"].startswith("text/html")
    page = Page(response.text)
    assert_csp_clean(response, page)
    return response, page


def assert_csp_clean(response: requests.Response, page: Page) -> None:
    """The page obeys the Content-Security-Policy: no inline script or style, only local resources."""
    csp = response.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "style-src 'self'" in csp
    assert page.inline_scripts == [], "inline <script> content"
    assert None not in page.scripts, "a <script> without src"
    assert page.style_attributes == [], f"style attributes on {page.style_attributes}"
    assert page.style_elements == 0, "<style> element"
    for src in page.scripts + page.stylesheets:
        assert src.startswith("/static/"), f"{src} is not served by this server"


# --- the query page ------------------------------------------------------------------------------------


def test_home_page_is_html_with_csp_and_no_inline_script(live_server):
    response, page = get_page(live_server, "/")
    assert {"query", "gallery", "run", "inferred", "results", "site-search"} <= set(page.ids)
    assert "/static/app.js" in page.scripts
    assert 'data-prefix="rakg"' in response.text and 'data-ns="https://w3id.org/rakg/ontology#"' in response.text
    for src in page.scripts + page.stylesheets:
        assert requests.get(live_server + src, timeout=30).status_code == 200


def test_home_page_loads_a_query_given_in_the_url(live_server):
    _, page = get_page(live_server, "/?query=" + requests.utils.quote("SELECT ?x WHERE { ?x a rakg:SovereignState }"))
    assert "SELECT ?x WHERE { ?x a rakg:SovereignState }" in page.plain


def test_static_files_have_their_types(live_server):
    for name, kind in (("app.js", "javascript"), ("app.css", "text/css"), ("icon.svg", "image/svg+xml")):
        response = requests.get(f"{live_server}/static/{name}", timeout=30)
        assert response.status_code == 200 and kind in response.headers["Content-Type"]
    assert "innerHTML" not in "".join(p.read_text(encoding="utf-8") for p in (ROOT / "server" / "web" / "static").glob("*.js"))


def test_labels_api(live_server):
    response = requests.get(f"{live_server}/api/labels", params={"iri": [str(RUSSIA), str(ASEAN), "https://example.org/x"]}, timeout=30)
    assert response.status_code == 200
    labels = response.json()
    assert labels[str(RUSSIA)]["en"] == "Russia"
    assert labels[str(RUSSIA)]["zh-hant"] == "俄羅斯"
    assert labels[str(ASEAN)]["zh-hant"] == "東協"
    assert labels["https://example.org/x"] == {}
    posted = requests.post(f"{live_server}/api/labels", json=[str(RUSSIA)], timeout=30)
    assert posted.json() == {str(RUSSIA): labels[str(RUSSIA)]}
    missing = requests.get(f"{live_server}/api/labels", timeout=30)
    assert missing.status_code == 400 and set(missing.json()) == {"status", "error", "message", "where"}


def test_prefixes_api(live_server):
    prefixes = requests.get(f"{live_server}/api/prefixes", timeout=30).json()
    assert prefixes["rakg"] == RAKG and prefixes["state"] == "https://w3id.org/rakg/id/state/"


def test_search_page_finds_labels_in_either_language(live_server):
    _, page = get_page(live_server, "/search?q=" + requests.utils.quote("東盟"))
    assert "/id/organization/asean" in page.links
    _, page = get_page(live_server, "/search?q=Putin")
    assert "/id/person/vladimir-putin" in page.links


# --- entity pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path, english, chinese", [
    ("/id/state/russia", "Russia", "俄羅斯"),
    ("/id/organization/asean", "Association of Southeast Asian Nations", "東協"),
])
def test_entity_page_shows_labels_facts_quotes_and_passages(live_server, path, english, chinese):
    response, page = get_page(live_server, path)
    assert english in page.plain and chinese in page.plain
    assert 'lang="zh-Hant"' in response.text
    assert '<blockquote class="quote"' in response.text, "the first view shows some fact cards"
    fragments = "".join(get_page(live_server, src)[0].text for src in fragment_sources(response.text)[:15])
    links = Page(response.text + fragments).links
    passages = [link for link in links if re.fullmatch(r"/source/s[\d-]+-(p\d+|h)", link)]
    footnotes = [link for link in links if re.fullmatch(r"/source/footnote-\d+", link)]
    assert passages and footnotes
    assert any(link.startswith("/ontology#") for link in page.links), "classes link to the ontology"
    assert {"facts", "derived"} <= set(page.ids)
    assert response.headers["Vary"] == "Accept, Accept-Encoding"


def fragment_sources(html: str) -> list[str]:
    """The fragment routes of the groups an entity page loads on demand."""
    return [unescape(src) for src in re.findall(r'<details class="[^"]*" data-src="([^"]+)"', html)]


def test_entity_page_groups_facts_by_kind_and_period_and_merges_claims(live_server):
    response, page = get_page(live_server, "/id/state/russia")
    index = requests.post(f"{live_server}/sparql", data={"query": FACTS_OF_RUSSIA}, headers={"Accept": "application/sparql-results+json"},
                          timeout=60).json()["results"]["bindings"]
    facts = {row["fact"]["value"] for row in index}
    assert len(facts) > 400
    assert f"{len(facts)} facts name this resource" in page.plain
    assert len(response.text) < 150_000 and response.text.count('<article class="fact"') <= 8, "the first view draws few cards"
    summaries = re.findall(r"<summary>(\d{4}s · \d\d 年代|Undated · 無日期) <span class=\"count\">(\d+)</span>", response.text)
    claims = sum(int(n) for _, n in summaries)
    assert f'相關史實</span> <span class="count">{claims}</span>' in response.text
    assert claims < len(facts), "claims stated in several passages are merged"
    cards, merged = 0, []
    for src in fragment_sources(response.text):
        fragment = get_page(live_server, src)[0].text
        cards += fragment.count('<article class="fact"')
        merged += re.findall(r'<p class="also">.*?</p>', fragment)
    assert cards == claims, "every group's fragment draws as many cards as its summary counts"
    assert merged and all("/id/fact/" in m for m in merged), "a merged card links the other facts stating its claim"


FACTS_OF_RUSSIA = """SELECT DISTINCT ?fact WHERE { ?fact ?role state:russia . ?fact a/rdfs:subClassOf* rakg:Fact . }"""


def test_pages_fragments_and_static_files_have_etags_and_gzip(live_server):
    for path in ("/id/state/russia", "/ontology", "/static/vendor/cytoscape.js", "/static/app.css", "/api/terms"):
        plain = requests.get(live_server + path, headers={**HTML, "Accept-Encoding": "identity"}, timeout=60)
        zipped = requests.get(live_server + path, headers={**HTML, "Accept-Encoding": "gzip"}, timeout=60)
        assert zipped.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain.headers, path
        assert zipped.content == plain.content and "Accept-Encoding" in zipped.headers["Vary"], path
        etag = zipped.headers["ETag"]
        assert etag != plain.headers["ETag"], "each coding is its own representation"
        again = requests.get(live_server + path, headers={**HTML, "Accept-Encoding": "gzip", "If-None-Match": etag}, timeout=60)
        assert again.status_code == 304 and again.content == b"", path
    russia = requests.get(f"{live_server}/id/state/russia", headers={**HTML, "Accept-Encoding": "gzip"}, stream=True, timeout=60)
    assert len(russia.raw.read(decode_content=False)) < 30_000, "Russia's page is a few tens of KB on the wire"


def test_fragment_routes_refuse_bad_parameters(live_server):
    for path in ("/api/facts?iri=nowhere&period=1990s", "/api/derived?iri=javascript:alert(1)", "/api/derived", "/api/facts?iri=%00"):
        response = requests.get(live_server + path, timeout=60)
        assert response.status_code == 400 and set(response.json()) == {"status", "error", "message", "where"}, path
    missing = requests.get(f"{live_server}/api/facts", params={"iri": str(RUSSIA), "kind": RAKG + "Membership", "period": "1870s"}, timeout=60)
    assert missing.status_code == 404


def test_links_on_an_entity_page_resolve(live_server):
    _, page = get_page(live_server, "/id/organization/asean")
    local = sorted({link.split("#")[0] for link in page.links if link.startswith(("/id/", "/source/", "/ontology"))})
    assert len(local) > 10
    for link in local[:: max(1, len(local) // 40)]:
        assert requests.get(live_server + link, headers=HTML, timeout=60).status_code == 200, link


def test_fact_page_shows_roles_quote_passage_and_footnote(live_server):
    _, page = get_page(live_server, "/id/organization/asean")
    fact = next(link for link in page.links if link.startswith("/id/fact/"))
    response, fact_page = get_page(live_server, fact)
    assert '<blockquote class="quote"' in response.text
    assert '<p class="passage-text"' in response.text and "<mark>" in response.text, "the passage with the quote marked"
    assert "/id/organization/asean" in fact_page.links


def test_fact_page_shows_its_discrepancies(live_server):
    query = (ROOT / "queries" / "discrepancies.rq").read_text(encoding="utf-8")
    result = requests.post(f"{live_server}/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"}, timeout=60).json()
    rows = result["results"]["bindings"]
    assert rows, "the graph has no discrepancy"
    claim, discrepancy = rows[0]["claim"]["value"], rows[0]["discrepancy"]["value"]
    _, page = get_page(live_server, claim.removeprefix("https://w3id.org/rakg"))
    assert discrepancy.removeprefix("https://w3id.org/rakg") in page.links
    assert "Discrepancies" in page.plain


@pytest.mark.parametrize("accept, fmt", [
    ("text/turtle", "turtle"),
    ("application/ld+json", "json-ld"),
    ("application/n-triples", "nt"),
    ("application/rdf+xml", "xml"),
])
def test_entity_rdf_by_content_negotiation(live_server, accept, fmt):
    response = requests.get(f"{live_server}/id/state/russia", headers={"Accept": accept}, timeout=60)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith(accept)
    assert response.headers["Vary"] == "Accept, Accept-Encoding"
    graph = parse_rdf(response.text, fmt)
    assert (RUSSIA, RDFS.label, Literal("Russia", lang="en")) in graph
    assert any(str(o).startswith(RAKG) for o in graph.objects(RUSSIA, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")))
    facts = set(graph.subjects(None, RUSSIA))
    assert facts and any((fact, URIRef(RAKG + "quote"), None) in graph for fact in facts), "the facts that mention it, with their triples"


def test_entity_rdf_is_turtle_by_default_and_by_format_parameter(live_server):
    for kwargs in ({"headers": {"Accept": "*/*"}}, {"params": {"format": "ttl"}, "headers": HTML}):
        response = requests.get(f"{live_server}/id/state/russia", timeout=60, **kwargs)
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/turtle")
        assert (RUSSIA, RDFS.label, Literal("俄羅斯", lang="zh-hant")) in parse_rdf(response.text, "turtle")
    jsonld = requests.get(f"{live_server}/id/organization/asean", params={"format": "jsonld"}, timeout=60)
    assert jsonld.headers["Content-Type"].startswith("application/ld+json")


def test_unacceptable_format_is_406(live_server):
    response = requests.get(f"{live_server}/id/state/russia", headers={"Accept": "image/png"}, timeout=60)
    assert response.status_code == 406
    assert set(response.json()) == {"status", "error", "message", "where"}
    assert requests.get(f"{live_server}/id/state/russia", params={"format": "png"}, timeout=60).status_code == 406


def test_unknown_iri_is_404_html_with_suggestions_for_browsers(live_server):
    response, page = get_page(live_server, "/id/state/nowhere", status=404)
    assert "Unknown IRI" in page.plain and "https://w3id.org/rakg/id/state/nowhere" in page.plain
    assert "suggestions" in response.text
    _, page = get_page(live_server, "/id/state/russia-nowhere", status=404)
    assert "/id/state/russia" in page.links, "label-search suggestions from the slug's words"


@pytest.mark.parametrize("path, expected", [
    ("/id/event/2004-11-tac-acession-ceremony", ["/id/event/2004-11-tac-accession-ceremony"]),
    ("/id/person/putin-vladimir", ["/id/person/vladimir-putin"]),
    ("/id/event/1991-07-asean-meeting", ["/id/event/1991-07-24th-asean-ministerial-meeting"]),
    ("/id/state/nowhere", []),
])
def test_unknown_iri_suggests_only_close_matches(live_server, path, expected):
    response, _ = get_page(live_server, path, status=404)
    suggestions = response.text.split('class="suggestions"', 1)[1]
    assert sorted(set(Page(suggestions).links) - {"/data/graph.nq", "/data/graph.ttl", "/data/graph.jsonld", "https://creativecommons.org/licenses/by/4.0/"}) == expected


def test_search_ranks_an_exact_entity_first_and_entities_before_facts(live_server):
    hits = requests.get(f"{live_server}/api/search", params={"q": "Putin", "limit": 60}, timeout=30).json()
    assert hits[0]["iri"] == "https://w3id.org/rakg/id/person/vladimir-putin"
    claims = [h["iri"].split("/")[5] in ("fact", "observation", "discrepancy", "dataset", "derivation") for h in hits]
    assert any(claims) and claims == sorted(claims)
    assert requests.get(f"{live_server}/api/search", params={"q": "東協"}, timeout=30).json()[0]["iri"].endswith("/organization/asean")
    _, page = get_page(live_server, "/search?q=Putin")
    assert page.links.index("/id/person/vladimir-putin") < min(page.links.index(l) for l in page.links if l.startswith("/id/fact/"))


def test_unknown_iri_is_404_json_for_other_clients(live_server):
    for path in ("/id/state/nowhere", "/id/nokind/x", "/source/s9-9-p99"):
        response = requests.get(live_server + path, headers={"Accept": "application/json"}, timeout=60)
        assert response.status_code == 404, path
        body = response.json()
        assert body["status"] == 404 and body["error"] == "Not Found" and "message" in body


# --- ontology and sources ----------------------------------------------------------------------------------


def test_ontology_page_lists_terms_with_chinese_labels(live_server):
    response, page = get_page(live_server, "/ontology")
    assert page.ids.get("Membership") == "section"
    section = response.text.split('id="Membership"', 1)[1].split("</section>", 1)[0]
    assert "成員資格" in section and "membership" in section
    assert "wikidata.org/entity/P463" in section
    assert {"participant", "Fact", "GuestRole"} <= set(page.ids)
    turtle = requests.get(f"{live_server}/ontology", headers={"Accept": "text/turtle"}, timeout=60)
    graph = parse_rdf(turtle.text, "turtle")
    assert (URIRef(RAKG + "Membership"), RDFS.label, Literal("成員資格", lang="zh-hant")) in graph


def test_passage_page_shows_text_and_citing_facts(live_server):
    _, page = get_page(live_server, "/source/s1-4-p5")
    assert "蘇聯與汶萊（Brunei）於 10 月 1 日正式建立外交關係" in page.plain
    assert any(link.startswith("/id/fact/") for link in page.links)
    assert "/source/s1-4" in page.links and "/source/footnote-13" in page.links
    assert "365" in page.plain, "line numbers"


def test_footnote_page_shows_the_reference(live_server):
    _, page = get_page(live_server, "/source/footnote-22")
    assert "BBC Monitoring Former Soviet Union" in page.plain
    assert "Russia signs up to ASEAN’s friendship treaty" in page.plain
    assert "2004-11-29" in page.plain
    assert any(link.startswith("/id/fact/") for link in page.links)


def test_section_and_chapter_pages_list_their_parts(live_server):
    _, page = get_page(live_server, "/source/s1-4")
    assert "/source/s1-4-p5" in page.links
    _, page = get_page(live_server, "/source/chapter4")
    assert "/source/s1" in page.links and "/source/footnote-22" in page.links
    rdf = requests.get(f"{live_server}/source/footnote-22", headers={"Accept": "application/n-triples"}, timeout=60)
    assert "BBC Monitoring Former Soviet Union" in rdf.text


def test_other_iris_under_the_base_resolve(live_server):
    _, page = get_page(live_server, "/graph/ontology/rakg")
    assert "triples" in page.plain


def test_derived_statements_are_marked_and_explained(live_server):
    response, page = get_page(live_server, "/id/state/russia")
    section = response.text.split('id="derived"', 1)[1].split("</section>", 1)[0]
    count = int(re.search(r'<span class="count">(\d+)</span>', section).group(1))
    assert "graph/inferred" in section and count > 10 and "derived-row" not in section, "many derived statements load on demand"
    derived = get_page(live_server, fragment_sources(section)[0])[0].text
    assert derived.count('class="derived-row"') == count
    explanations = [link for link in Page(derived).links if link.startswith("/id/derivation/")]
    assert explanations, "derived statements link to their rakg:Derivation"
    _, explanation = get_page(live_server, explanations[0])
    assert "/id/state/russia" in explanation.links and any(link.startswith("/rule/") for link in explanation.links)
    rdf = parse_rdf(requests.get(live_server + explanations[0], headers={"Accept": "text/turtle"}, timeout=60).text, "turtle")
    assert (None, URIRef(RAKG + "derivedBy"), None) in rdf


def test_passage_command_prints_the_chapter_as_its_page_lists_it(live_server, runner):
    from server.cli import main

    result = runner.invoke(main, ["passage", "chapter4"])
    assert result.exit_code == 0, result.output
    printed = re.findall(r"^\[([\w-]+)\] \(lines", result.output, re.MULTILINE)
    _, page = get_page(live_server, "/source/chapter4")
    listed = {link.removeprefix("/source/") for link in page.links if re.fullmatch(r"/source/(s[\d-]+-(p\d+|h)|footnote-\d+)", link)}
    assert listed and listed <= set(printed)
    assert any(p.startswith("footnote-") for p in printed) and len(printed) == len(set(printed))


def test_font_covers_the_project_text():
    """Every CJK character of the project's text is in a unicode-range of the vendored font (else: cd web && npm ci &&
    npm run build, which keeps the slices the text needs)."""
    css = (ROOT / "server" / "web" / "static" / "fonts" / "noto-sans-tc.css").read_text(encoding="utf-8")
    ranges = []
    for face in re.findall(r"@font-face\s*{[^}]*}", css):
        assert (ROOT / "server" / "web" / "static" / "fonts" / re.search(r"url\(([^)]+)\)", face).group(1)).exists()
        for part in re.search(r"unicode-range:\s*([^;]+);", face).group(1).split(","):
            first, _, last = part.strip().removeprefix("U+").partition("-")
            ranges.append((int(first, 16), int(last or first, 16)))
    text = set()
    for folder, pattern in (("data", "**/*.ttl"), ("queries", "**/*.rq"), ("server/web/templates", "*.html"), ("server/web/static", "*.js")):
        for path in (ROOT / folder).glob(pattern):
            text |= {ord(c) for c in path.read_text(encoding="utf-8") if 0x3400 <= ord(c) <= 0x9FFF or 0xF900 <= ord(c) <= 0xFAFF}
    missing = sorted(chr(c) for c in text if not any(a <= c <= b for a, b in ranges))
    assert len(text) > 1000 and missing == [], f"characters outside the vendored font: {''.join(missing[:50])}"
    assert (ROOT / "server" / "web" / "static" / "fonts" / "OFL.txt").read_text(encoding="utf-8").count("SIL Open Font License") >= 1
    for bundle in ("codemirror.js", "cytoscape.js", "vis-timeline.js", "vis-timeline.css"):
        assert (ROOT / "server" / "web" / "static" / "vendor" / f"{bundle}.LICENSES.txt").stat().st_size > 1000, bundle


def test_the_ui_queries_compare_language_tags_with_langmatches(live_server):
    """The engine lowercases language tags, so LANG(?l) = "zh-Hant" matches nothing: the UI's own queries (the
    service queries behind the pages, the editor's starter query) use LANGMATCHES, and the editor's help says why."""
    sources = [p.read_text(encoding="utf-8") for p in (ROOT / "queries" / "service").glob("*.rq")]
    sources.append((ROOT / "server" / "web" / "static" / "app.js").read_text(encoding="utf-8"))
    for text in sources:
        assert not re.search(r"LANG\(\?\w+\)\s*=", text)
    _, page = get_page(live_server, "/")
    assert 'LANG(?l) = "zh-Hant" matches nothing' in page.plain and 'LANGMATCHES(LANG(?l), "zh-Hant")' in page.plain


def test_terms_api_lists_the_ontology_for_completion(live_server):
    terms = {t["short"]: t for t in requests.get(f"{live_server}/api/terms", timeout=30).json()}
    assert terms["rakg:Membership"]["kind"] == "class" and terms["rakg:Membership"]["labels"]["zh-hant"] == "成員資格"
    assert terms["rakg:buyer"]["kind"] == "property"
    assert {t["kind"] for t in terms.values()} == {"class", "property", "value"}
