"""The `rakg` command: each subcommand is a few lines calling a module function."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import RakgError
from .settings import load_settings

def setting_options(*names):
    """Click options for settings, named and documented from settings.SETTINGS (one definition each)."""
    from .settings import SETTINGS

    def decorate(function):
        for setting in reversed([s for s in SETTINGS if s.name in names]):
            option_type = type(setting.default) if setting.default != "" else str
            function = click.option(f"--{setting.name.replace('_', '-')}", setting.name, type=option_type, default=None,
                                    help=f"{setting.help} [default: {setting.default!r}]")(function)
        return function

    return decorate


def _settings(config_file, options: dict):
    """The settings, with the setting options given on the command line (those left out are None) on top."""
    return load_settings({k: v for k, v in options.items() if v is not None}, config_file=config_file)


config_option = click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False), help="TOML settings file.")
strict_option = click.option("--strict", is_flag=True, help="Fail on warnings too (CI uses this).")


def _fail(error: RakgError) -> None:
    click.echo(f"error: {error}", err=True)
    for problem in getattr(error, "problems", [])[:200]:
        click.echo(f"  {problem}", err=True)
    if len(getattr(error, "problems", [])) > 200:
        click.echo(f"  ... and {len(error.problems) - 200} more", err=True)
    sys.exit(1)


@click.group()
def main() -> None:
    """Russia–ASEAN Knowledge Graph: build, validate, query and serve."""


@main.command()
@config_option
@strict_option
@click.option("--only", "only", multiple=True, type=click.Path(exists=True, path_type=Path), hidden=True)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def validate(config_file, strict, only, paths) -> None:
    """Check quotes, SHACL shapes, the checks of queries/checks and OWL consistency.

    With no PATHS the whole repository is checked.  With PATHS, problems are
    reported for those files only; files outside the repository (such as the
    negative examples of tests/shapes/invalid) are checked together with the
    repository's ontology, entities and sources.
    """
    from . import build as build_module
    from . import reasoning

    settings = load_settings(config_file=config_file)
    only = tuple(only) + tuple(paths)
    try:
        sources = build_module.load_sources(settings.root_path, tolerate=bool(only), extra=tuple(paths))
        for skipped in sources.skipped:
            click.echo(f"  note: skipped {skipped}", err=True)
        hermit = None if only else reasoning.start_consistency_check(sources.ntriples())
        warnings = build_module.validate_sources(sources, strict=strict, only=only)
        if hermit is not None:
            hermit.result()
    except RakgError as error:
        _fail(error)
    for warning in warnings:
        click.echo(f"  {warning}", err=True)
    click.echo(f"valid: {len(sources.graphs)} files, {len(sources.data())} data triples, {len(warnings)} warning(s)")


@main.command()
@config_option
@click.argument("locator")
def passage(config_file, locator) -> None:
    """Print the chapter's passages whose locator starts with LOCATOR (e.g. s1-3, s1-3-p6, footnote-22), or every
    passage and footnote for the chapter's own locator (chapter4, as /source/chapter4)."""
    from .chapter import read_chapter
    from .sources import CHAPTER_IRI

    root = load_settings(config_file=config_file).root_path
    chapter = read_chapter(root / "data/sources/chapter4-russia-asean.txt")
    parts = [(p.locator, p.lines, p.text) for p in chapter.passages]
    parts += [(f"footnote-{f.number}", f.lines, f.text) for f in chapter.footnotes]
    whole = locator == str(CHAPTER_IRI).rsplit("/", 1)[-1]
    matches = [(loc, lines, text) for loc, lines, text in parts if whole or loc == locator or loc.startswith(locator + "-")]
    if not matches:
        _fail(RakgError(f"no passage or footnote matches {locator!r}"))
    for loc, lines, text in matches:
        click.echo(f"[{loc}] (lines {lines[0]}-{lines[-1]})\n{text}\n")


@main.command()
@config_option
@strict_option
@click.option("--timings", is_flag=True, help="Print the seconds each build step took.")
@click.option("--no-dl-check", "no_dl_check", is_flag=True,
              help="Skip the OWL DL consistency check (HermiT), for a quick build while editing; SHACL, the checks and the rules still run.")
@click.option("--into", "into", metavar="URL", help="Also load the built graphs into an external store through its Graph Store Protocol endpoint (e.g. http://127.0.0.1:7878/store).")
def build(config_file, strict, timings, no_dl_check, into) -> None:
    """Validate, reason and write build/current/graph.nq (the last good build survives a failure)."""
    from .build import build as run_build
    from .store import load_into

    settings = load_settings(config_file=config_file)
    try:
        result = run_build(settings.root_path, settings.build_path, strict=strict, dl_check=not no_dl_check)
        click.echo(f"built {result.path} ({result.quads} quads, content hash {result.content_hash[:16]})")
        if into:
            graphs = load_into(into, (result.path / "graph.nq").read_text(encoding="utf-8"))
            click.echo(f"loaded {graphs} named graphs into {into}")
    except RakgError as error:
        _fail(error)
    if timings:
        for step, seconds in result.timings.items():
            click.echo(f"  {seconds:6.2f} s  {step}")


@main.command()
@config_option
def stats(config_file) -> None:
    """Print counts: triples, entities by class, facts by class, footnotes, quotes, discrepancies."""
    from .catalog import stats_table

    settings = load_settings(config_file=config_file)
    try:
        click.echo(stats_table(settings))
    except RakgError as error:
        _fail(error)


@main.command()
@config_option
@setting_options("host", "port", "workers", "threads", "query_timeout", "max_rows", "max_request_bytes", "service_allowlist", "service_map",
                 "client_budget", "max_client_queries", "network_isolation", "cache_entries", "cache_bytes", "inline_seconds", "store",
                 "header_timeout", "body_timeout", "keepalive_timeout", "max_connections", "max_client_connections")
@click.option("--data", "data", multiple=True, type=click.Path(exists=True, dir_okay=False), help="Serve these RDF files instead of the built graph (repeatable; .nq/.trig keep their named graphs).")
def serve(config_file, data, **options) -> None:
    """Serve the SPARQL endpoint, linked-data pages and web UI (builds the graph first if the sources changed)."""
    from .serve import run

    overrides = {k: v for k, v in options.items() if v is not None}
    if data:
        overrides["data"] = ",".join(str(Path(d).resolve()) for d in data)
    try:
        run(load_settings(overrides, config_file=config_file), echo=click.echo)
    except RakgError as error:
        _fail(error)


@main.command()
@config_option
@click.argument("query")
@click.option("--inferred", is_flag=True, help="Include graph/inferred in the default graph.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True, help="Output format.")
@click.option("--update-expected", is_flag=True, help="Write the result as the named query's expected result (queries/<name>.srj).")
def query(config_file, query, inferred, fmt, update_expected) -> None:
    """Run QUERY on the last build: a named query of queries/ (e.g. trade-table), a .rq file, or SPARQL text."""
    from .catalog import dumps, format_csv, format_table, open_built_store, resolve_query, results_json

    settings = load_settings(config_file=config_file)
    try:
        named, text = resolve_query(settings.root_path / "queries", query)
        result = results_json(open_built_store(settings).query(text, include_inferred=inferred))
    except RakgError as error:
        _fail(error)
    if update_expected:
        if named is None:
            _fail(RakgError("--update-expected needs a named query", where=query))
        named.expected_path.write_text(dumps(result), encoding="utf-8")
        click.echo(f"wrote {named.expected_path}")
        return
    click.echo({"json": dumps, "csv": format_csv, "table": format_table}[fmt](result).rstrip("\n"))


@main.command()
@config_option
@click.argument("iri")
@click.option("--depth", default=2, show_default=True, help="How many levels of derived premises to explain.")
def explain(config_file, iri, depth) -> None:
    """Explain a derived statement (an IRI under id/derivation/) or everything derived about a resource:
    the rule, the validity dates and the facts behind it with their quotes. IRIs may use the project prefixes."""
    from .catalog import open_built_store
    from .namespaces import PREFIXES
    from .rules import explain as explain_iri

    settings = load_settings(config_file=config_file)
    prefix, _, local = iri.partition(":")
    if prefix in PREFIXES and not local.startswith("//"):
        iri = str(PREFIXES[prefix]) + local
    try:
        lines = explain_iri(open_built_store(settings), iri, settings.root_path / "queries" / "service", depth)
    except RakgError as error:
        _fail(error)
    click.echo("\n".join(lines).rstrip())


@main.command()
@config_option
def sources(config_file) -> None:
    """Regenerate data/sources/chapter.ttl from the chapter text."""
    from .rdfio import canonical_turtle
    from .sources import build_sources_graph

    root = load_settings(config_file=config_file).root_path
    graph = build_sources_graph(root / "data/sources/chapter4-russia-asean.txt")
    (root / "data/sources/chapter.ttl").write_text(canonical_turtle(graph), encoding="utf-8")
    click.echo(f"wrote data/sources/chapter.ttl ({len(graph)} triples)")


@main.command()
@config_option
@click.option("--check", is_flag=True, help="Only report files that are not in canonical form; exit 1 if any.")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def fmt(config_file, check, paths) -> None:
    """Rewrite Turtle files in canonical form (all of ontology/ and data/ by default)."""
    from .rdfio import canonical_turtle, parse_file

    root = load_settings(config_file=config_file).root_path
    folders = [p for p in paths if p.is_dir()] or ([] if paths else [root / "ontology", root / "data"])
    targets = sorted({p for p in paths if p.is_file()} | {t for d in folders for t in d.rglob("*.ttl")})
    different = []
    for path in targets:
        try:
            text = canonical_turtle(parse_file(path))
        except RakgError as error:
            _fail(error)
        if path.read_text(encoding="utf-8") != text:
            different.append(path)
            if not check:
                path.write_text(text, encoding="utf-8")
    for path in different:
        click.echo(f"{'not canonical' if check else 'reformatted'}: {path}")
    if check and different:
        sys.exit(1)


# --- Wikidata (server/wikidata.py) ---------------------------------------------------------------------------


@main.command()
@config_option
@setting_options("service_map")
@click.option("--entity", "entities", multiple=True, help="Only this entity (IRI or prefixed name, e.g. person:suharto); repeatable.")
@click.option("--kind", "kinds", multiple=True, help="Only entities of this kind (state, person, organization, …); repeatable.")
@click.option("--limit", default=5, show_default=True, help="Candidates asked for per label.")
@click.option("--delay", default=0.5, show_default=True, help="Seconds between two API requests (be polite to Wikidata).")
@click.option("--api", default="https://www.wikidata.org/w/api.php", show_default=True, help="The wbsearchentities API.")
@click.option("--sparql", default=None, help="SPARQL endpoint for the type check [default: Wikidata's, or its service_map target].")
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, help="Review file [default: build/link-candidates.tsv].")
def link(config_file, entities, kinds, limit, delay, api, sparql, out, **options) -> None:
    """Look up unlinked entities on Wikidata (label search in zh/en/ru, type check) and write ranked candidates for review."""
    from . import wikidata
    from .catalog import open_built_store
    from .namespaces import PREFIXES

    settings = _settings(config_file, options)
    only = tuple(str(PREFIXES[e.split(":", 1)[0]]) + e.split(":", 1)[1] if e.split(":", 1)[0] in PREFIXES else e for e in entities)
    out = out or settings.build_path / "link-candidates.tsv"
    try:
        found = wikidata.reconcile(open_built_store(settings), settings.root_path, api, wikidata.wikidata_sparql_url(settings, sparql),
                                   only=only, kinds=kinds, limit=limit, delay=delay)
    except RakgError as error:
        _fail(error)
    wikidata.write_candidates(found, out)
    click.echo(f"wrote {out} ({len(found)} candidates for {len({c.entity for c in found})} entities); nothing is linked until reviewed")


@main.command()
@config_option
@setting_options("service_map")
@click.option("--sparql", default=None, help="Wikidata SPARQL endpoint [default: Wikidata's, or its service_map target].")
@click.option("--out", "out", type=click.Path(path_type=Path), default=None, help="RDF report (N-Quads, graph/wikidata-crosscheck) [default: build/wikidata-crosscheck.nq].")
@click.option("--all", "everything", is_flag=True, help="Also list the claims whose entities have no Wikidata link.")
def crosscheck(config_file, sparql, out, everything, **options) -> None:
    """Compare the chapter's dated claims with Wikidata's statements: agrees / differs / Wikidata silent."""
    from . import wikidata
    from .catalog import open_built_store

    settings = _settings(config_file, options)
    url = wikidata.wikidata_sparql_url(settings, sparql)
    out = out or settings.build_path / "wikidata-crosscheck.nq"
    try:
        claims = wikidata.crosscheck(open_built_store(settings), url)
    except RakgError as error:
        _fail(error)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(wikidata.crosscheck_nquads(claims, url), encoding="utf-8")
    click.echo(wikidata.crosscheck_table(claims, everything))
    click.echo(f"wrote {out}")


@main.command()
@config_option
@setting_options("service_map")
@click.option("--sparql", default=None, help="Wikidata SPARQL endpoint [default: Wikidata's, or its service_map target].")
def quickstatements(config_file, sparql, **options) -> None:
    """Print QuickStatements for the chapter's facts that Wikidata lacks (the cross-check's silent cases), for review."""
    from . import wikidata
    from .catalog import open_built_store

    settings = _settings(config_file, options)
    try:
        claims = wikidata.crosscheck(open_built_store(settings), wikidata.wikidata_sparql_url(settings, sparql))
    except RakgError as error:
        _fail(error)
    for line in wikidata.quickstatements(claims):
        click.echo(line)


if __name__ == "__main__":  # pragma: no cover
    main()
