"""The HTML and linked-data routes: the home page, entity pages with content negotiation, sources."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from .. import protocol
from ..catalog import results_json
from ..errors import NotAcceptable, NotFound, QueryError
from ..namespaces import BASE, PREFIXES
from .describe import Describer, html_lang
from .factgroups import fact_index, group_cards, period_of
from .linkeddata import RDF_FORMAT_LINKS, choose_format, derived, entity_context, graph_context, ontology_context, rdf_response, source_context
from .service import fold
from .webcache import finish

pages = Blueprint("pages", __name__)


@pages.record_once
def _jinja_whitespace(state) -> None:
    state.app.jinja_env.trim_blocks = True
    state.app.jinja_env.lstrip_blocks = True


ONTOLOGY_IRI = BASE + "ontology"
MAX_LABEL_IRIS = 2000
SUGGEST_CUTOFF = 0.7  # how alike an unknown slug and a resource's slug or label must be to be suggested
OTHER_KIND_CUTOFF = 0.75  # the same, for a resource of another kind
MAX_SUGGESTIONS = 8
CJK = re.compile(r"[\u3000-\u9fff\uf900-\ufaff\uff00-\uffef]")
NEGOTIATED = {"pages.entity", "pages.source", "pages.ontology", "pages.other"}


def _service():
    return current_app.extensions["rakg"]


def _describer() -> Describer:
    return Describer(_service())


@pages.app_template_filter("text_lang")
def text_lang(text: str) -> str:
    """'zh-Hant' for text with Chinese characters, else 'en' (for lang attributes of quoted text)."""
    return "zh-Hant" if CJK.search(text or "") else "en"


@pages.app_template_filter("html_lang")
def _html_lang(tag: str) -> str:
    return html_lang(tag or "")


@pages.after_request
def _vary(response: Response) -> Response:
    if request.endpoint in NEGOTIATED:
        response.vary.add("Accept")
    return response


@pages.after_app_request
def _etag_and_gzip(response: Response) -> Response:
    """ETags, 304s and gzip for this blueprint's answers and the static files (see webcache)."""
    if request.endpoint == "static" or (request.endpoint or "").startswith("pages."):
        return finish(response, request, static=request.endpoint == "static")
    return response


# --- the query page and its JSON helpers -------------------------------------------------------------


@pages.route("/")
def home():
    """The query UI: editor, example gallery, result views, label search."""
    prefixes = sorted((p, str(ns)) for p, ns in PREFIXES.items())
    return render_template("index.html", prefixes=prefixes, query=request.args.get("query", ""))


@pages.route("/api/labels", methods=["GET", "POST"])
def labels():
    """{iri: {lang: label}} for the IRIs given as repeated ``iri`` parameters (or a JSON list in a POST body)."""
    iris = request.values.getlist("iri")
    if request.is_json:
        body = request.get_json(silent=True)
        iris += [i for i in (body if isinstance(body, list) else []) if isinstance(i, str)]
    if not iris:
        raise QueryError("give one or more IRIs: /api/labels?iri=https://w3id.org/rakg/id/state/russia")
    if len(iris) > MAX_LABEL_IRIS:
        raise QueryError(f"at most {MAX_LABEL_IRIS} IRIs per request; {len(iris)} were given")
    names = _service().labels.names
    return jsonify({iri: names.get(iri, {}) for iri in iris})


@pages.route("/api/prefixes")
def prefixes():
    """The prefixes every query may use without declaring them: {prefix: namespace}."""
    return jsonify({p: str(ns) for p, ns in PREFIXES.items()})


@pages.route("/timeline")
def timeline():
    """The timeline of every dated event (the service query timeline-events, drawn by vis-timeline)."""
    return render_template("timeline.html", query=_describer().text("timeline-events"))


@pages.route("/api/timeline")
def timeline_events():
    """The rows of the service query timeline-events as SPARQL JSON results."""
    return jsonify(results_json(_service().store.query(_describer().text("timeline-events"))))


@pages.route("/api/facts")
def facts_fragment():
    """The fact cards of one group of an entity page (``iri``, ``kind`` a class IRI, ``period`` a decade such as
    1990s or 'undated') as an HTML fragment: the page loads a group when the reader opens it."""
    iri, kind, period = _iri_param(), request.args.get("kind", ""), request.args.get("period", "")
    describer = _describer()
    index = fact_index(describer, iri)
    chosen = {f for f, item in index.items() if min(item["classes"], default="") == kind and period_of(item["dates"]) == period}
    if not chosen:
        raise NotFound(f"no facts of kind {kind!r} and period {period!r} about {iri}", where=request.full_path)
    return render_template("_facts.html", cards=group_cards(describer, iri, chosen), iri=iri)


@pages.route("/api/derived")
def derived_fragment():
    """The derived statements about ``iri`` with their rules and premises, as an HTML fragment (loaded on demand)."""
    return render_template("_derived.html", derived=derived(_describer(), _iri_param()))


def _iri_param() -> str:
    """The ``iri`` parameter of a fragment route: an IRI under the base; raises QueryError (400) otherwise."""
    iri = request.args.get("iri", "")
    if not (iri.startswith(BASE) and protocol.is_iri_path(iri[len(BASE):])):
        raise QueryError(f"give the iri of a resource under {BASE}, e.g. iri={BASE}id/state/russia", where="iri")
    return iri


@pages.route("/api/terms")
def terms():
    """The ontology's classes, properties and named values for the editor's completion:
    [{iri, short, kind: class|property|value, labels: {lang: label}}]."""
    kinds = {"classes": "class", "object": "property", "datatype": "property", "annotation": "property", "values": "value"}
    out = []
    for group in _ontology()["groups"]:
        for term in group["terms"]:
            out.append({"iri": term["term"].value, "short": term["term"].short, "kind": kinds[group["key"]], "labels": term["term"].labels})
    return jsonify(out)


def _ontology() -> dict:
    """The ontology page's context, made once per process (the data does not change while the server runs)."""
    cache = current_app.extensions.setdefault("rakg-pages", {})
    if "ontology" not in cache:
        cache["ontology"] = ontology_context(_describer())
    return cache["ontology"]


@pages.route("/search")
def search_page():
    """Label search as an HTML page (the site's search form without JavaScript)."""
    term = request.args.get("q", "").strip()
    hits = _hits(_service().labels.search(term, limit=200))[:50] if term else []
    return render_template("search.html", q=term, hits=hits)


def _hits(results: list[dict]) -> list[dict]:
    """Search results for the templates, in the order given (LabelIndex.search ranks entities before facts)."""
    describer = _describer()
    return [{"term": describer.iri(r["iri"]), "matched": r["matched"], "lang": html_lang(r["lang"])} for r in results]


def _suggestions(iri: str) -> list[dict]:
    """Resources close to an unknown IRI, closest first: of its kind (same path), those whose slug or a label is
    spelled much like its slug (difflib ratio >= SUGGEST_CUTOFF) or has a label made of words of it; of other
    kinds, those with a label spelled even more like it (OTHER_KIND_CUTOFF)."""
    names = _service().labels.names
    parent, wanted = iri.rsplit("/", 1)
    wanted = wanted.lower()
    words = {fold(w) for w in re.split(r"[-_/\s]+", wanted) if len(w) > 2 and not w.isdigit()}
    scores: dict[str, float] = {}
    for candidate, labels in names.items():
        same_kind = candidate.startswith(parent + "/")
        score = max([_similar(fold(wanted), fold(label)) for label in labels.values()], default=0.0)
        if same_kind:
            score = max(score, _similar(wanted, candidate.rsplit("/", 1)[-1].lower()))
            if any(_words(label) and _words(label) <= words for label in labels.values()):
                score = max(score, 0.9)
        if score >= (SUGGEST_CUTOFF if same_kind else OTHER_KIND_CUTOFF):
            scores[candidate] = score
    best = sorted(scores, key=lambda c: (-scores[c], c))[:MAX_SUGGESTIONS]
    return _hits([{"iri": c, "matched": _name(names[c]), "lang": ""} for c in best])


def _similar(a: str, b: str) -> float:
    """difflib's ratio of two strings, skipped (0) when its cheap upper bounds are already below the cutoff."""
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < SUGGEST_CUTOFF or matcher.quick_ratio() < SUGGEST_CUTOFF:
        return 0.0
    return matcher.ratio()


def _words(text: str) -> set[str]:
    return {fold(w) for w in re.split(r"[^\w]+", text) if w}


def _name(labels: dict) -> str:
    return labels.get("en") or next(iter(labels.values()), "")


# --- linked data -------------------------------------------------------------------------------------


def _negotiate() -> str | None:
    """The chosen view ('html' or an RDF format key), or None when nothing acceptable (decided after the 404 check)."""
    try:
        return choose_format(request.headers.get("Accept"), request.args.get("format"))
    except NotAcceptable:
        return None


def _unknown(iri: str, fmt: str | None, slug: str):
    if fmt == "html":
        page = render_template("notfound.html", iri=iri, suggestions=_suggestions(iri), q=" ".join(re.split(r"[-_/]+", slug)))
        return page, 404
    raise NotFound(f"no resource {iri} in this graph", where=request.path)


def _rdf_or_page(fmt: str | None, iri: str, template: str, context: dict):
    if fmt is None:
        choose_format(request.headers.get("Accept"), request.args.get("format"))  # raises the 406
    if fmt == "html":
        return render_template(template, formats=RDF_FORMAT_LINKS, path=request.path, **context)
    inferred = _flag("inferred") or context.get("inferred_only", False)
    graph = _describer().graph("entity-description", iri, include_inferred=inferred)
    return rdf_response(graph, fmt)


def _flag(name: str) -> bool:
    return protocol.flag(name, request.args.get(name))


@pages.route("/id/<kind>/<path:slug>")
def entity(kind: str, slug: str):
    """An entity, fact or derivation: HTML for browsers, its RDF description (Turtle by default) for other clients."""
    iri = f"{BASE}id/{kind}/{slug}"
    fmt = _negotiate()
    context = entity_context(_describer(), iri) if re.fullmatch(r"[a-z][a-z0-9-]*", kind) else None
    if context is None:
        return _unknown(iri, fmt, slug)
    return _rdf_or_page(fmt, iri, "entity.html", {**context, "kind": kind})


@pages.route("/source/<locator>")
def source(locator: str):
    """A chapter, section, passage or footnote of the source: its text and the facts that cite it; RDF by negotiation."""
    iri = f"{BASE}source/{locator}"
    fmt = _negotiate()
    context = source_context(_describer(), iri)
    if context is None:
        return _unknown(iri, fmt, locator)
    return _rdf_or_page(fmt, iri, "source.html", context)


@pages.route("/ontology")
@pages.route("/ontology/")
def ontology():
    """The ontology: every class, property and named value as HTML, or the ontology graph as RDF."""
    fmt = _negotiate()
    if fmt is None:
        choose_format(request.headers.get("Accept"), request.args.get("format"))
    if fmt == "html":
        return render_template("ontology.html", formats=RDF_FORMAT_LINKS, path=request.path, iri=ONTOLOGY_IRI, **_ontology())
    return rdf_response(_describer().graph("ontology-graph"), fmt)


@pages.route("/<path:rest>")
def other(rest: str):
    """Any other IRI under the base that the graph mentions (shapes, named graphs...): a generic page or its RDF."""
    iri = BASE + rest
    fmt = _negotiate()
    describer = _describer()
    context = entity_context(describer, iri) or graph_context(describer, iri)
    if context is None:
        return _unknown(iri, fmt, rest)
    return _rdf_or_page(fmt, iri, "entity.html", {**context, "kind": rest.split("/", 1)[0]})
