"""The query page in a real browser: Debian's chromium driven by playwright over the live server.

Nothing is skipped: without playwright or /usr/bin/chromium these tests fail and say what to install.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
QUERIES = Path(__file__).resolve().parent.parent / "queries"
TIMEOUT = 30_000


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install playwright (the tests drive Debian's chromium, no browser download)")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the browser tests")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server, tmp_path):
    """A fresh page; fails the test on any script error or Content-Security-Policy violation."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server, accept_downloads=True)
    context.set_default_timeout(TIMEOUT)
    tab = context.new_page()
    problems = []
    tab.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    tab.on("console", lambda message: problems.append(f"console: {message.text}") if "Content Security Policy" in message.text else None)
    yield tab
    tab.screenshot(path=str(tmp_path / "last.png"))
    context.close()
    assert problems == []


def run_example(page, slug: str, run: int = 1) -> None:
    """Click an example of the gallery, press Run and wait for the run to finish."""
    page.locator(f'#gallery .example[data-slug="{slug}"]').click()
    page.locator("#run").click()
    page.wait_for_selector(f'#status[data-run="{run}"]')


def test_gallery_lists_the_named_queries(page, live_server):
    page.goto("/")
    page.wait_for_selector("#gallery .example")
    slugs = page.locator("#gallery .example").evaluate_all("els => els.map(e => e.dataset.slug)")
    expected = [q["slug"] for q in requests.get(f"{live_server}/api/queries", timeout=30).json()]
    assert slugs == expected
    assert {"trade-table", "timeline"} <= set(slugs)
    page.locator("#gallery-filter").fill("trade")
    assert 0 < page.locator("#gallery .example").count() < len(expected)


def test_trade_table_runs_and_charts_figure_2(page, tmp_path):
    page.goto("/")
    run_example(page, "trade-table")
    assert page.locator("#status").get_attribute("data-state") == "done"
    # trade-table.rq asks for #defaultView:BarChart, so the chart shows first.
    assert page.locator('button[data-view="bar"]').get_attribute("aria-pressed") == "true"
    page.locator('button[data-view="table"]').click()
    assert page.locator(".result-table tbody tr").count() == 10
    assert page.locator("#status").get_attribute("data-rows") == "10"
    assert page.locator("#truncated").is_hidden()

    page.locator('button[data-view="bar"]').click()
    bars = page.locator("svg.chart rect.bar")
    years = set(bars.evaluate_all("els => els.map(e => e.dataset.x)"))
    assert years == {str(year) for year in range(1996, 2006)}
    series = set(bars.evaluate_all("els => els.map(e => e.dataset.series)"))
    assert {"total", "exports", "imports"} <= series
    assert bars.count() == 10 * len(series)
    assert page.locator("svg.chart .legend text").count() == len(series)
    assert page.locator("svg.chart .axis-label").count() == 2
    page.locator("#view").screenshot(path=str(tmp_path / "bars.png"))

    page.locator('button[data-view="line"]').click()
    assert page.locator("svg.chart polyline.line").count() == len(series)
    points = set(page.locator("svg.chart circle.point").evaluate_all("els => els.map(e => e.dataset.x)"))
    assert points == years


def test_default_view_comment_picks_the_chart(page):
    query = "#defaultView:LineChart\n" + (QUERIES / "trade-table.rq").read_text(encoding="utf-8")
    page.goto("/#query=" + quote(query))
    page.wait_for_selector('#status[data-run="1"]')
    assert page.locator('button[data-view="line"]').get_attribute("aria-pressed") == "true"
    assert page.locator("svg.chart polyline.line").count() >= 3


def test_timeline_example_shows_marks(page):
    page.goto("/")
    run_example(page, "timeline")
    rows = int(page.locator("#status").get_attribute("data-rows"))
    assert rows > 10
    # Rows whose date the chapter gives only as a span have no ?date, only ?earliest/?latest (issue 15): no mark.
    expected = json.loads((QUERIES / "timeline.srj").read_text(encoding="utf-8"))["results"]["bindings"]
    dated = sum(1 for row in expected if "date" in row)
    assert len(expected) == rows and 10 < dated <= rows
    page.locator('button[data-view="timeline"]').click()
    assert page.locator("svg.timeline .tl-mark").count() == dated
    assert page.locator("svg.timeline .tl-label").count() == dated
    assert page.locator("svg.timeline .tick-label").count() > 3


def test_clicking_an_iri_opens_the_entity_page(page):
    page.goto("/")
    run_example(page, "asean-members")
    link = page.locator('.result-table a.iri[href^="/id/state/"]').first
    href = link.get_attribute("href")
    assert link.locator("xpath=following-sibling::span[contains(@class, 'cell-label')]").count() >= 1, "label beside the IRI"
    link.click()
    page.wait_for_url("**" + href)
    title = page.locator("h1")
    assert title.locator('[lang="en"]').count() == 1 and title.locator('[lang="zh-Hant"]').count() == 1
    assert page.locator("article.fact").count() > 0


def test_graph_view_draws_linked_nodes(page):
    page.goto("/")
    run_example(page, "asean-members")
    page.locator('button[data-view="graph"]').click()
    assert page.locator("svg.graph a.node").count() > 3
    assert page.locator("svg.graph line.edge").count() > 0


@pytest.mark.parametrize("text, iri", [("東盟", "/id/organization/asean"), ("普京", "/id/person/vladimir-putin")])
def test_search_box_finds_labels_in_chinese(page, text, iri):
    page.goto("/")
    page.locator("#site-search").fill(text)
    hit = page.locator(f'#site-search-results a[href="{iri}"]')
    hit.wait_for()
    hit.click()
    page.wait_for_url("**" + iri)
    assert page.locator("h1 [lang='zh-Hant']").count() == 1


def test_shared_link_loads_and_runs(page, live_server):
    # The named query asks for the bar chart (#defaultView); drop that line to see the table.
    query = (QUERIES / "trade-table.rq").read_text(encoding="utf-8").replace("#defaultView:BarChart\n", "")
    page.goto("/#query=" + quote(query))
    page.wait_for_selector('#status[data-run="1"]')
    assert page.locator(".result-table tbody tr").count() == 10
    assert page.locator("#query").input_value() == query
    page.goto("/?query=" + quote(query))
    page.wait_for_selector('#status[data-run="1"]')
    assert page.locator(".result-table tbody tr").count() == 10
    page.locator("#copy-link").click()
    link = page.locator("#share-link").input_value()
    assert link.startswith(f"{live_server}/#query=")


def test_errors_are_shown_readably(page):
    page.goto("/")
    page.locator("#query").fill("SELECT * WHERE { ?s ?p }")
    page.locator("#run").click()
    page.wait_for_selector('#status[data-run="1"]')
    error = page.locator("#error")
    assert error.is_visible()
    assert "400 Bad Request" in error.inner_text() and "line 1" in error.inner_text()


def test_prefix_button_inserts_a_declaration(page):
    page.goto("/")
    page.locator("#format-prefixes").click()
    page.locator('.prefix[data-prefix="wd"]').click()
    assert "PREFIX wd: <http://www.wikidata.org/entity/>" in page.locator("#query").input_value()


def test_inferred_toggle_and_downloads(page):
    page.goto("/")
    run_example(page, "trade-table")
    page.locator("#inferred").check()
    page.locator("#run").click()
    page.wait_for_selector('#status[data-run="2"]')
    assert "inferred=true" in page.url
    with page.expect_download() as download:
        page.locator('[data-download="csv"]').click()
    assert Path(download.value.path()).read_text(encoding="utf-8").startswith("year,total,exports,imports,balance")
    with page.expect_download() as download:
        page.locator('[data-download="json"]').click()
    assert len(json.loads(Path(download.value.path()).read_text(encoding="utf-8"))["results"]["bindings"]) == 10


def test_truncated_results_are_flagged(browser, server_factory, tmp_path):
    base = server_factory("--max-rows", "4")
    context = browser.new_context(base_url=base)
    context.set_default_timeout(TIMEOUT)
    tab = context.new_page()
    try:
        tab.goto("/")
        run_example(tab, "trade-table")
        tab.locator('button[data-view="table"]').click()
        assert tab.locator(".result-table tbody tr").count() == 4
        flag = tab.locator("#truncated")
        assert flag.is_visible() and "Truncated" in flag.inner_text() and "limit=4" in flag.inner_text()
    finally:
        tab.screenshot(path=str(tmp_path / "truncated.png"))
        context.close()


def test_unsafe_iris_are_not_links(page):
    page.goto("/")
    page.locator("#query").fill('SELECT ?x WHERE { BIND (IRI("javascript:alert(1)") AS ?x) }')
    page.locator("#run").click()
    page.wait_for_selector('#status[data-run="1"]')
    assert page.locator(".result-table td code.iri").count() == 1
    assert page.locator('.result-table a[href^="javascript"]').count() == 0
