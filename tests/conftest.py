"""Shared fixtures: the repository built once per session, the CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from server.build import build, load_sources
from server.catalog import open_built_store
from server.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The repository built into a temporary build folder (strict: warnings fail too)."""
    build_dir = tmp_path_factory.mktemp("build")
    result = build(ROOT, build_dir, strict=True)
    return result, build_dir


@pytest.fixture(scope="session")
def settings(built):
    _, build_dir = built
    return load_settings({"build_dir": str(build_dir)})


@pytest.fixture(scope="session")
def store(settings):
    return open_built_store(settings)


@pytest.fixture(scope="session")
def sources():
    return load_sources(ROOT)


@pytest.fixture
def runner(settings, monkeypatch):
    monkeypatch.setenv("RAKG_BUILD_DIR", settings.build_dir)
    return CliRunner()
