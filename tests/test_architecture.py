"""The architecture of server/ (issue 17): imports run one way, and each engine has one door.

server/ is three parts on shared ground, with the command line on top of everything:

- the shared ground, the modules of server/ itself (settings, namespaces, errors, store, answers, protocol, syntax,
  catalog, releases, canonical, outbound), imports none of the parts;
- the parts, server/build/, server/web/ and server/wikidata/, import the shared ground and themselves, never each
  other (so the web service and the Wikidata tools never import the build, and the build never the web service);
- nothing imports server/cli.py;
- no cycle among the modules of server/;
- pyoxigraph is imported by server/store.py only, owlready2 by server/build/reasoning.py only (STYLE.md).

The imports are read with ``ast``, not run: every ``import`` and ``from … import`` of a module, at its top or inside
a function, relative ones resolved against the module's package.  A failure names each edge that breaks a rule as
``file:line importer → imported``.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("server.build", "server.web", "server.wikidata")
ENGINES = {"pyoxigraph": "server.store", "owlready2": "server.build.reasoning"}


class Edge(NamedTuple):
    """``importer`` imports ``imported`` (a module of server/, or the top-level name of any other) at ``where``."""

    importer: str
    imported: str
    where: str

    def __str__(self) -> str:
        return f"{self.where} {self.importer} → {self.imported}"


def module_map(root: Path, package: str = "server") -> dict[str, Path]:
    """Dotted module name → file, for every module of ``package`` under ``root`` (a package is its __init__.py)."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def import_edges(root: Path, modules: dict[str, Path]) -> list[Edge]:
    """Every import of every module: to the module of ``modules`` it names (the longest that matches), else to the
    top-level name of the package imported (``rdflib``, ``pyoxigraph``…)."""
    edges = []
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        where = path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                targets = [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                edges.append(Edge(name, _resolve(target, modules), f"{where}:{node.lineno}"))
    return sorted(set(edges))


def _resolve(target: str, modules: dict[str, Path]) -> str:
    parts = target.split(".")
    for end in range(len(parts), 0, -1):
        if ".".join(parts[:end]) in modules:
            return ".".join(parts[:end])
    return parts[0]


def part_of(module: str) -> str | None:
    """The part (server.build, server.web, server.wikidata) a module belongs to, None for the ground and the CLI."""
    return next((part for part in PARTS if module == part or module.startswith(part + ".")), None)


def forbidden(edges: list[Edge], modules: dict[str, Path]) -> list[str]:
    """The edges that break a rule of the module docstring, each with the rule it breaks."""
    found = []
    for edge in edges:
        if edge.importer == edge.imported:
            continue
        if edge.imported in ENGINES and edge.importer != ENGINES[edge.imported]:
            found.append(f"{edge}: only {ENGINES[edge.imported]} imports {edge.imported}")
        if edge.imported not in modules:
            continue
        if edge.imported == "server.cli":
            found.append(f"{edge}: nothing imports the command line")
        source, target = part_of(edge.importer), part_of(edge.imported)
        if target and source != target and edge.importer != "server.cli":
            found.append(f"{edge}: " + (f"{source} imports only the shared ground and itself" if source
                                         else "the shared ground imports none of the parts"))
    return found


def cycles(edges: list[Edge], modules: dict[str, Path]) -> list[list[Edge]]:
    """The import cycles among ``modules``: for each strongly connected set of modules, one cycle through it."""
    graph: dict[str, dict[str, Edge]] = {name: {} for name in modules}
    for edge in edges:
        if edge.imported in modules and edge.importer != edge.imported:
            graph[edge.importer].setdefault(edge.imported, edge)
    found = []
    for component in _strongly_connected(graph):
        if len(component) > 1:
            found.append(_cycle_through(graph, component))
    return found


def _strongly_connected(graph: dict[str, dict[str, Edge]]) -> list[set[str]]:
    """Tarjan's algorithm, iterative."""
    index, low, on_stack, stack, components, counter = {}, {}, set(), [], [], 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    components.append(component)
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return components


def _cycle_through(graph: dict[str, dict[str, Edge]], component: set[str]) -> list[Edge]:
    """The edges of a shortest cycle from the first module of ``component`` back to itself (breadth first)."""
    start = min(component)
    paths = {start: []}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child, edge in sorted(graph[node].items()):
            if child == start:
                return paths[node] + [edge]
            if child in component and child not in paths:
                paths[child] = paths[node] + [edge]
                queue.append(child)
    raise AssertionError(f"no cycle through {start}")  # a component of more than one module always has one


def problems(root: Path) -> list[str]:
    """Every broken rule of the tree under ``root``, one line each."""
    modules = module_map(root)
    edges = import_edges(root, modules)
    found = forbidden(edges, modules)
    for cycle in cycles(edges, modules):
        found.append("import cycle: " + "; ".join(str(edge) for edge in cycle))
    return found


def test_server_imports_run_one_way_without_a_cycle():
    found = problems(ROOT)
    assert not found, "\n".join(found)


def test_the_checker_sees_every_module_and_resolves_relative_imports():
    modules = module_map(ROOT)
    assert {"server", "server.cli", "server.store", "server.build", "server.build.pipeline", "server.web",
            "server.web.front", "server.wikidata", "server.wikidata.crosscheck"} <= set(modules)
    edges = {(e.importer, e.imported) for e in import_edges(ROOT, modules)}
    assert ("server.web.api", "server.protocol") in edges  # from .. import protocol
    assert ("server.web.api", "server.web.jobs") in edges  # from .jobs import Job
    assert ("server.store", "pyoxigraph") in edges
    assert ("server.build.reasoning", "owlready2") in edges
    assert any(importer == "server.cli" and part_of(imported) == "server.build" for importer, imported in edges)


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_a_forbidden_edge_or_a_cycle_is_named(tmp_path):
    root = _tree(tmp_path, {
        "server/__init__.py": "",
        "server/cli.py": "from .build import pipeline\nfrom .web import serve\n",
        "server/store.py": "import pyoxigraph\n",
        "server/catalog.py": "from .store import GraphStore\n",
        "server/settings.py": "def load():\n    from .web.serve import Supervisor\n",
        "server/build/__init__.py": "",
        "server/build/pipeline.py": "from ..catalog import run\nfrom . import rules\nfrom .. import cli\n",
        "server/build/rules.py": "from .pipeline import current\n",
        "server/build/reasoning.py": "import owlready2\n",
        "server/web/__init__.py": "",
        "server/web/serve.py": "from ..build.pipeline import build\nfrom pyoxigraph import Store\nfrom . import front\n",
        "server/web/front.py": "from .. import store\n",
        "server/wikidata/__init__.py": "",
        "server/wikidata/client.py": "from ..web import front\nimport owlready2\n",
    })
    assert sorted(problems(root)) == sorted([
        "server/build/pipeline.py:3 server.build.pipeline → server.cli: nothing imports the command line",
        "server/settings.py:2 server.settings → server.web.serve: the shared ground imports none of the parts",
        "server/web/serve.py:1 server.web.serve → server.build.pipeline: server.web imports only the shared ground and itself",
        "server/web/serve.py:2 server.web.serve → pyoxigraph: only server.store imports pyoxigraph",
        "server/wikidata/client.py:1 server.wikidata.client → server.web.front: server.wikidata imports only the shared ground and itself",
        "server/wikidata/client.py:2 server.wikidata.client → owlready2: only server.build.reasoning imports owlready2",
        "import cycle: server/build/pipeline.py:2 server.build.pipeline → server.build.rules; "
        "server/build/rules.py:1 server.build.rules → server.build.pipeline",  # one cycle per tangle: cli is in it too
    ])


def test_a_clean_tree_has_no_problem(tmp_path):
    root = _tree(tmp_path, {
        "server/__init__.py": "",
        "server/cli.py": "from .build import pipeline\n",
        "server/store.py": "import pyoxigraph\n",
        "server/build/__init__.py": "",
        "server/build/pipeline.py": "from ..store import GraphStore\nfrom .rules import derive\n",
        "server/build/rules.py": "from .. import store\n",
    })
    assert problems(root) == []


def test_the_supervisor_of_rakg_serve_loads_no_engine_and_no_build_library():
    """`rakg serve`'s supervisor lives as long as the server and holds no data: the build check runs in a forked
    child (cli._build_if_stale_in_child), so the supervisor never loads rdflib, pySHACL, owlready2, pyoxigraph or
    Flask (with them it held some 40 MB for the server's whole life)."""
    import subprocess
    import sys

    heavy = "rdflib pyshacl owlready2 pyoxigraph flask lark werkzeug".split()
    code = ("import sys, server.cli, server.web.serve; "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(heavy)!r}))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]", f"the supervisor loads {loaded}"
