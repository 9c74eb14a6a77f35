"""Build the dataset: parse every source file, validate, check consistency, reason, write.

Stops at the first failing step (after parsing, with every parse error of every file).  The output goes to a new
folder under ``build/releases/`` and ``build/current`` is switched to it only when every step succeeded, so a failed
build never replaces the last good one.  A killed build leaves no process (its children end with it:
server/build/children.py) and its staging folder is removed by the next build.  The manifest records a hash of the
sources' bytes, which :func:`is_stale` compares.
"""

from __future__ import annotations

import hashlib
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rdflib import BNode, Graph, URIRef

from ..canonical import literal_n3, nquads_text, quad_lines
from ..errors import DataError, RakgError, ValidationFailed
from ..namespaces import GRAPH, INFERRED_GRAPH, RAKG, graph_for
from ..releases import current_build, current_manifest, publish, remove_leftovers
from ..settings import Settings
from ..store import GraphStore, is_blank, is_literal
from . import reasoning
from .children import Forked
from .parsing import parse_file, raise_all
from .rules import Inferred, derive
from .validation import Problem, check_quotes, load_shapes, run_checks, run_shacl

SOURCE_GLOBS = ("ontology/*.ttl", "ontology/rules/*.ttl", "data/**/*.ttl")
SHAPES_DIR = "ontology/shapes"
CHECKS_DIR = "queries/checks"
RULES_DIR = "ontology/rules"


@dataclass
class Sources:
    """The parsed source files, one graph per file, keyed by path relative to the root."""

    root: Path
    graphs: dict[str, Graph] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    def union(self, prefix: str = "") -> Graph:
        merged = Graph()
        for name, graph in self.graphs.items():
            if name.startswith(prefix):
                merged += graph
        return merged

    @cached_property
    def _ontology(self) -> Graph:
        return self.union("ontology/")

    @cached_property
    def _data(self) -> Graph:
        merged = Graph()
        for name, graph in self.graphs.items():
            if not name.startswith("ontology/"):
                merged += graph
        return merged

    def ontology(self) -> Graph:
        """The ontology files merged (computed once; do not modify)."""
        return self._ontology

    def data(self) -> Graph:
        """Everything but the ontology: data/ files and any extra files (computed once; do not modify)."""
        return self._data

    @cached_property
    def _ntriples(self) -> str:
        return "".join(graph.serialize(format="nt") for graph in self.graphs.values())

    def ntriples(self) -> str:
        """Every file's triples as one N-Triples text, for the engine and HermiT (computed once; merging the rdflib
        graphs instead would cost half a second)."""
        return self._ntriples

    def file_of(self, node) -> str:
        """The source file that describes ``node`` (as a subject), or ''."""
        node = node if isinstance(node, (URIRef, BNode)) else URIRef(str(node))
        for name, graph in self.graphs.items():
            if (node, None, None) in graph:
                return name
        return ""


def source_paths(root: Path) -> list[Path]:
    """Every source file, sorted, except shapes (which validate but are not data)."""
    paths = {p for pattern in SOURCE_GLOBS for p in root.glob(pattern)}
    return sorted(paths)


def load_sources(root: Path, tolerate: bool = False, extra: tuple = ()) -> Sources:
    """Parse every source file, plus ``extra`` files (e.g. a negative example to check against the graph).

    Raises DataError naming the file, line and column of the parse error, or ParseErrors listing every parse error
    of every file; unless ``tolerate``: then the unparseable repository files are listed in ``skipped``.
    """
    sources = Sources(root)
    problems = []
    for path in extra:
        sources.graphs[_relative(path, root)] = parse_file(path, name=_relative(path, root))
    for path in source_paths(root):
        name = path.relative_to(root).as_posix()
        if name in sources.graphs:
            continue
        try:
            sources.graphs[name] = parse_file(path, name=name)
        except DataError as error:
            problems += getattr(error, "problems", [error])
    if not tolerate:
        raise_all(problems)
    sources.skipped = [str(problem) for problem in problems]
    return sources


def _relative(path: Path, root: Path) -> str:
    path = path.resolve()
    return path.relative_to(root.resolve()).as_posix() if path.is_relative_to(root.resolve()) else str(path)


def asserted_store(sources: Sources) -> GraphStore:
    """The ontology and data in one pyoxigraph store, for the checks and the rules."""
    return GraphStore.from_text(sources.ntriples(), "ntriples")


def validate_sources(sources: Sources, strict: bool = False, only: tuple = (), store: GraphStore | None = None) -> list[Problem]:
    """Run the quote check, the SHACL shapes and the checks of queries/checks; return warnings, raise on violations.

    ``only`` limits the report to problems in those files (paths relative to the root).
    Raises ValidationFailed listing every violation (and, when ``strict``, every warning).
    """
    merged = sources.union()  # data and ontology: one copy serves the quote check and pySHACL
    problems = check_quotes(merged, sources.file_of)
    problems += run_shacl(merged, load_shapes(sources.root / SHAPES_DIR), sources.file_of)
    problems += run_checks(store or asserted_store(sources), sources.root / CHECKS_DIR, sources.file_of)
    if only:
        wanted = {_relative(Path(o), sources.root) for o in only}
        problems = [p for p in problems if p.file in wanted]
    failing = [p for p in problems if p.severity == "violation" or strict]
    if failing:
        raise ValidationFailed(f"{len(failing)} problem(s) in the graph", problems=failing)
    return problems


@dataclass
class BuildResult:
    path: Path
    content_hash: str
    quads: int
    warnings: list[Problem]
    counts: dict
    timings: dict = field(default_factory=dict)


def build(root: Path, build_dir: Path, strict: bool = False, dl_check: bool = True) -> BuildResult:
    """Parse, validate, check OWL consistency (unless not ``dl_check``), reason and write the dataset, after
    removing what killed builds left in ``build_dir``.

    Raises DataError, ValidationFailed or reasoning.Inconsistent; the last good build is untouched.
    """
    timings = Timings()
    remove_leftovers(build_dir)
    with timings("parse"):
        inputs = sources_hash(root)  # before reading: a file changed during the build makes the next start rebuild
        sources = load_sources(root)
        store = asserted_store(sources)
    # Independent work shares the two cores: validation in a forked child (started first, while this process has
    # no other thread), HermiT in a spawned one, the rules and the N-Quads lines of the output here.  Validation
    # decides the build before anything is published.  (Dividing the shapes between two validating children was
    # tried: on two cores it gained nothing measurable.)  Both children end with this process (server/build/children.py)
    # and are stopped when a step here fails.
    with ExitStack() as children:
        with timings("validate (quotes, SHACL, checks) in parallel with rules and output lines"):
            validation = Forked(validate_sources, sources, strict, (), store)
            children.callback(validation.stop)
            hermit = reasoning.start_consistency_check(sources.ntriples()) if dl_check else None
            if hermit is not None:
                children.callback(hermit.stop)
            inferred = derive(store, root / RULES_DIR)
            graphs = {graph_for(name): graph for name, graph in sources.graphs.items()}
            graphs[GRAPH["ontology/shapes"]] = load_shapes(root / SHAPES_DIR)
            lines = quad_lines(graphs) | _inferred_lines(inferred)
        with timings("validate (remaining wait)"):
            warnings = validation.result()
        if hermit is not None:
            with timings("HermiT consistency (parallel process, remaining wait)"):
                hermit.result()
    with timings("write"):
        result = _publish(lines, graphs, build_dir, warnings, inputs)
    result.timings = timings.seconds
    return result


class Timings:
    """Wall-clock seconds per build step, for `rakg build --timings` and the benchmarks."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, step: str):
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[step] = round(time.perf_counter() - started, 2)


def _inferred_lines(inferred: Inferred) -> set[str]:
    """The N-Quads lines of graph/inferred, written from the reasoner's engine terms (no rdflib term per triple);
    through rdflib when a derived triple holds a blank node, whose label depends on the whole graph."""
    if any(is_blank(term) for s, p, o, _ in inferred.statements for term in (s, o)):
        return quad_lines({INFERRED_GRAPH: inferred.graph()})
    name = f"<{INFERRED_GRAPH}> ."
    lines = {f"{_engine_n3(s)} {_engine_n3(p)} {_engine_n3(o)} {name}" for s, p, o, _ in inferred.statements}
    return lines | quad_lines({INFERRED_GRAPH: inferred.rules})


def _engine_n3(term) -> str:
    """N-Triples form of an engine IRI or literal, the same text as canonical.quad_lines gives for the rdflib term."""
    if not is_literal(term):
        return str(term)
    return literal_n3(term.value, term.language, term.datatype.value)


def _counts(graphs: dict, lines: set[str]) -> dict:
    inferred_suffix = f"<{INFERRED_GRAPH}> ."
    inferred = sum(1 for line in lines if line.endswith(inferred_suffix))
    facts = set()
    for graph in graphs.values():
        facts.update(graph.subjects(RAKG.statedIn))
    return {
        "quads": len(lines),
        "graphs": sorted([str(name) for name, graph in graphs.items() if len(graph)] + ([str(INFERRED_GRAPH)] if inferred else [])),
        "inferred": inferred,
        "facts": len(facts),
    }


def _publish(lines: set[str], graphs: dict, build_dir: Path, warnings: list[Problem], inputs: str) -> BuildResult:
    """Write the build (N-Quads ``lines`` of the source ``graphs`` and graph/inferred) as a release and make it
    current (server/releases.py); the manifest records ``inputs`` (the sources' hash) for :func:`is_stale`."""
    nquads = nquads_text(lines)
    digest = hashlib.sha256(nquads.encode()).hexdigest()
    counts = _counts(graphs, lines)
    target = publish(build_dir, digest, nquads, {"content_hash": digest, "sources_hash": inputs, **counts})
    return BuildResult(target, digest, counts["quads"], warnings, counts)


def sources_hash(root: Path) -> str:
    """SHA-256 over the name and bytes of every file the build reads (sources, shapes, rules, checks).

    >>> sources_hash(Path("/nowhere")) == hashlib.sha256().hexdigest()  # no files
    True
    """
    digest = hashlib.sha256()
    for path in input_paths(root):
        data = path.read_bytes()
        digest.update(f"{path.relative_to(root).as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def input_paths(root: Path) -> list[Path]:
    """Every file the build reads, sorted: the source files, the shapes, the rules and the checks."""
    extra = [*(root / SHAPES_DIR).glob("*.ttl"), *(root / RULES_DIR).glob("*.rq"), *(root / CHECKS_DIR).glob("*.rq")]
    return sorted(set(source_paths(root)) | set(extra))


def is_stale(root: Path, build_dir: Path) -> bool:
    """True unless the last good build was made from sources with exactly these bytes (a file touched but not
    changed does not make it stale; a build made before sources were hashed does)."""
    manifest = current_manifest(build_dir)
    return manifest is None or manifest.get("sources_hash") != sources_hash(root)


def build_if_stale(settings: Settings, echo=print) -> None:
    """Build when the sources changed since the last good build (:func:`is_stale`), saying so with ``echo``; when
    that build fails, say why and keep the last good build.

    Raises the build's error when there is no last good build to keep.
    """
    if not is_stale(settings.root_path, settings.build_path):
        return
    echo("building the graph first (the sources changed since the last good build, or there is none) ...")
    try:
        result = build(settings.root_path, settings.build_path)
    except RakgError as error:
        last = current_build(settings.build_path)
        if last is None:
            raise
        echo(f"the build failed, so the last good build {last.name} is served: {error}")
        return
    echo(f"built {result.path} ({result.quads} quads)")
