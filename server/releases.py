"""The layout of the build folder: one folder per release, and ``current``, the link to the last good one.

``build/releases/<the first 16 hex digits of the content hash>/`` holds ``graph.nq`` (the canonical N-Quads dump),
``graph.ttl`` (its union as Turtle) and ``manifest.json`` (the content hash, the sources' hash and counts).  The
build (server/build/pipeline.py) writes a release into a staging folder and switches ``current`` to it only when
every step succeeded; the server, the command line and the Wikidata tools read ``current``.  A killed build's
staging folder and temporary files carry its process id, so the next build can tell them from a running one's.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from .errors import RakgError
from .settings import Settings
from .store import GraphStore, open_files, turtle_of_nquads

STAGING, TEMPORARY_LINK, TEMPORARY_FILE = ".staging-", ".current-", ".manifest-"  # each followed by the builder's pid


def current_build(build_dir: Path) -> Path | None:
    """The folder of the last good build, or None."""
    link = build_dir / "current"
    return link.resolve() if (link / "graph.nq").exists() else None


def current_manifest(build_dir: Path) -> dict | None:
    """The manifest of the last good build; None when there is no build or its manifest cannot be read."""
    current = current_build(build_dir)
    if current is None:
        return None
    try:
        return json.loads((current / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def open_built_store(settings: Settings) -> GraphStore:
    """The last good build as a store; raises RakgError when there is none."""
    current = current_build(settings.build_path)
    if current is None:
        raise RakgError("no build found: run `rakg build` first", where=str(settings.build_path))
    return open_files([current / "graph.nq"])


def publish(build_dir: Path, content_hash: str, nquads: str, manifest: dict) -> Path:
    """Write a release (``nquads``, its Turtle and ``manifest``) and make it current; return its folder.

    A release with the same content is reused: only its manifest is replaced (it records the sources' hash).
    """
    releases = build_dir / "releases"
    target = releases / content_hash[:16]
    manifest_text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    if target.exists():
        _replace_text(target / "manifest.json", manifest_text)
    else:
        staging = releases / f"{STAGING}{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        (staging / "graph.nq").write_text(nquads, encoding="utf-8")
        (staging / "graph.ttl").write_bytes(turtle_of_nquads(nquads))
        (staging / "manifest.json").write_text(manifest_text, encoding="utf-8")
        staging.rename(target)
    temporary_link = build_dir / f"{TEMPORARY_LINK}{os.getpid()}"
    temporary_link.unlink(missing_ok=True)
    temporary_link.symlink_to(target.relative_to(build_dir))
    os.replace(temporary_link, build_dir / "current")
    return target


def _replace_text(path: Path, text: str) -> None:
    """Write ``path`` whole or not at all (a temporary file renamed over it)."""
    temporary = path.with_name(f"{TEMPORARY_FILE}{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def remove_leftovers(build_dir: Path) -> list[Path]:
    """Remove the staging folders, temporary links and files of builds that were killed (whose process no longer
    runs); return them.  Those of a build still running are kept."""
    releases = build_dir / "releases"
    removed = []
    for path in [*build_dir.glob(f"{TEMPORARY_LINK}*"), *releases.glob(f"{STAGING}*"), *releases.glob(f"*/{TEMPORARY_FILE}*")]:
        pid = path.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or _running(int(pid)):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        pass
    return True
