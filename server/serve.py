"""Running the production server: gunicorn with the app factory, after building the graph if needed."""

from __future__ import annotations

from pathlib import Path

from gunicorn.app.base import BaseApplication

from .build import build, is_stale
from .settings import Settings


class _Gunicorn(BaseApplication):
    def __init__(self, overrides: dict, options: dict):
        self.overrides = overrides
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from . import create_app

        return create_app(self.overrides)


def run(settings: Settings, overrides: dict, echo=print) -> None:
    """Build if there is no current build (or the sources changed), then serve until interrupted.

    Raises the build's errors when a needed build fails.
    """
    if not settings.data_files and is_stale(settings.root_path, settings.build_path):
        echo("building the graph first (sources changed or no build yet) ...")
        result = build(settings.root_path, settings.build_path)
        echo(f"built {result.path} ({result.quads} quads)")
    if settings.store != "memory" and not settings.store.startswith(("http://", "https://")):
        from .build import current_build
        from .store import prepare_disk_store

        files = settings.data_files or [current_build(settings.build_path) / "graph.nq"]
        echo(f"preparing the on-disk store in {settings.store} ...")
        prepare_disk_store(Path(settings.store), files)
    options = {
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        "threads": settings.threads,
        "worker_class": "gthread",
        # Query time limits are enforced per query by the query workers; the gunicorn
        # timeout only guards against a stuck request thread.
        "timeout": int(settings.query_timeout * 2 + 30),
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
    }
    echo(f"serving on http://{settings.host}:{settings.port}/ (SPARQL endpoint: /sparql)")
    _Gunicorn(overrides, options).run()
