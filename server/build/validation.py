"""Validation of the source files: SHACL shapes (pyshacl), the quote check and the checks of queries/checks.

Each problem names its focus node, path, shape, message, severity and the file
that defines the focus node.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyshacl import validate as shacl_validate
from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF

from ..catalog import load_catalog, results_json
from ..namespaces import RAKG, SH, bind_all
from .chapter import normalize


@dataclass(frozen=True)
class Problem:
    focus: str
    path: str
    shape: str
    message: str
    severity: str
    file: str
    value: str = ""

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        path = f" {self.path}" if self.path else ""
        value = f" (value {self.value})" if self.value else ""
        return f"{where}{self.severity}: <{self.focus}>{path}{value}: {self.message} [shape {self.shape}]"


def _short(graph: Graph, node) -> str:
    if isinstance(node, URIRef):
        try:
            return graph.namespace_manager.normalizeUri(node)
        except Exception:  # rdflib raises when no prefix applies
            return str(node)
    return str(node) if node is not None else ""


def _shape_name(shapes: Graph, shape) -> str:
    """Name a shape; a blank property shape is named <Class>-<property> after its node shape and path."""
    if isinstance(shape, BNode):
        parent = next(shapes.subjects(SH.property, shape), None)
        path = shapes.value(shape, SH.path)
        if parent is not None:
            return f"{_short(shapes, parent).removesuffix('Shape')}-{_short(shapes, path).split(':')[-1]}"
        parent = next(shapes.subjects(SH.sparql, shape), None)
        return _short(shapes, parent) if parent is not None else "(anonymous shape)"
    return _short(shapes, shape)


def run_shacl(graph: Graph, shapes: Graph, file_of=lambda node: "") -> list[Problem]:
    """Validate ``graph`` against ``shapes``.  ``graph`` holds the data with the ontology merged in, so that sh:class
    sees both the class hierarchy and the typed code lists (rakg:GuestRole a rakg:ParticipationRole).

    Returns one Problem per result (violations and warnings); empty means it conforms.
    """
    bind_all(shapes)
    # Without inference pySHACL changes nothing in the data graph: it is validated in place instead of copied first.
    _, report, _ = shacl_validate(graph, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True, inplace=True)
    bind_all(report)
    problems = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        severity = report.value(result, SH.resultSeverity)
        problems.append(
            Problem(
                focus=str(focus),
                path=_short(report, report.value(result, SH.resultPath)),
                shape=_shape_name(shapes, report.value(result, SH.sourceShape)),
                message=str(report.value(result, SH.resultMessage)),
                severity="warning" if severity != SH.Violation else "violation",
                file=file_of(focus),
                value=str(report.value(result, SH.value) or ""),
            )
        )
    return sorted(problems, key=lambda p: (p.file, p.focus, p.path, p.message))


def check_quotes(graph: Graph, file_of=lambda node: "") -> list[Problem]:
    """Every quote of a fact must occur, after NFC and whitespace removal, in a part of the chapter the fact cites.

    The parts are the passages and footnotes named by rakg:statedIn (their rakg:text).
    """
    problems = []
    for fact, quote in graph.subject_objects(RAKG.quote):
        texts = [normalize(str(t)) for part in graph.objects(fact, RAKG.statedIn) for t in graph.objects(part, RAKG.text)]
        if not any(normalize(str(quote)) in text for text in texts):
            cited = ", ".join(sorted(_short(graph, p) for p in graph.objects(fact, RAKG.statedIn))) or "no passage"
            problems.append(
                Problem(
                    focus=str(fact),
                    path="rakg:quote",
                    shape="quote-check",
                    message=f"quote not found in the cited passage ({cited}): {str(quote)[:60]!r}",
                    severity="violation",
                    file=file_of(fact),
                )
            )
    return sorted(problems, key=lambda p: (p.file, p.focus))


def load_shapes(shape_dir: Path) -> Graph:
    """Read every shapes file of ``shape_dir``."""
    from .parsing import parse_file

    shapes = Graph()
    for path in sorted(shape_dir.glob("*.ttl")):
        parse_file(path, shapes)
    return shapes


def run_checks(store, folder: Path, file_of=lambda node: "") -> list:
    """Run every ``*-violation.rq`` and ``*-warning.rq`` of ``folder``; each row becomes a problem naming the check."""
    problems = []
    for query in load_catalog(folder):
        severity = query.slug.rsplit("-", 1)[-1]
        if severity not in ("violation", "warning"):
            continue
        result = results_json(store.query(query.text))
        for row in result["results"]["bindings"]:
            values = [row[v]["value"] for v in result["head"]["vars"] if v in row]
            focus = values[0] if values else ""
            problems.append(
                Problem(focus=focus, path="", shape=f"queries/checks/{query.slug}.rq", message=f"{query.title}: {' | '.join(values)}",
                        severity=severity, file=file_of(focus))
            )
    return problems
