"""The web service: the Flask application factory over the last good release."""

from __future__ import annotations

from pathlib import Path


def create_app(overrides: dict | None = None):
    """Build the WSGI app: read settings, open the store (the last good build, or the files of the `data` setting),
    start the query workers, register the blueprints and error handlers.

    Raises ConfigError when there is nothing to serve.
    """
    from flask import Flask

    from .api import FastPath, api
    from ..releases import current_build
    from ..errors import ConfigError
    from .pages import pages
    from .replies import register_error_handlers
    from .service import Service
    from ..settings import load_settings

    settings = load_settings(overrides)
    build_dir = None
    if settings.data_files:
        files = settings.data_files
    else:
        build_dir = current_build(settings.build_path)
        external = settings.store.startswith(("http://", "https://"))
        if build_dir is None and not external:
            raise ConfigError("nothing to serve: run `rakg build` first, or give RDF files with --data", where=str(settings.build_path))
        files = [build_dir / "graph.nq"] if build_dir else []
    app = Flask(__name__, static_folder=str(Path(__file__).parent / "static"), static_url_path="/static")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.json.ensure_ascii = False
    app.extensions["rakg"] = service = Service(settings, files, build_dir)
    app.register_blueprint(api)
    app.register_blueprint(pages)
    register_error_handlers(app)
    app.wsgi_app = FastPath(app.wsgi_app, service)
    return app
