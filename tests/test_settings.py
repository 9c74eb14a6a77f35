"""Settings: defaults, TOML file, environment, overrides — in that order."""

import pytest

from server.errors import ConfigError
from server.settings import SETTINGS, load_settings


def test_precedence_is_defaults_file_environment_overrides(tmp_path, monkeypatch):
    config = tmp_path / "rakg.toml"
    config.write_text("port = 9001\nmax_rows = 5\n")
    monkeypatch.setenv("RAKG_PORT", "9002")
    settings = load_settings({"max_rows": 7}, config_file=str(config))
    assert settings.port == 9002 and settings.max_rows == 7
    assert load_settings(config_file=str(config)).max_rows == 5


def test_unknown_or_mistyped_settings_are_refused(monkeypatch):
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings({"prot": 1})
    monkeypatch.setenv("RAKG_PORT", "eighty")
    with pytest.raises(ConfigError, match="port"):
        load_settings()


def test_every_setting_has_help():
    assert all(s.help.endswith(".") and len(s.help) > 20 for s in SETTINGS)
