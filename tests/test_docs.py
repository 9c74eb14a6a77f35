"""The README is true: its commands exist, its outputs are what the code prints, its tables list every command and setting."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

from server.catalog import find, format_table, results_json, stats_table
from server.cli import main
from server.settings import SETTINGS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```\n(\$ .*?)```", README, re.DOTALL)


def _sessions(prefix: str):
    """(command, expected output) for every '$ <prefix> ...' line of the README's console blocks."""
    for block in BLOCKS:
        parts = re.split(r"^\$ ", block, flags=re.MULTILINE)
        for part in parts[1:]:
            command, _, output = part.partition("\n")
            if command.startswith(prefix):
                yield command, output.rstrip("\n")


TEST_COMMAND = "(command -v chromium >/dev/null && command -v wrk >/dev/null || apt-get install -y -q chromium wrk || (apt-get update -q && apt-get install -y -q chromium wrk)) && python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"


def test_the_two_commands_are_in_the_readme_and_ci_runs_the_test_command():
    assert "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/rakg serve" in README
    assert TEST_COMMAND in README
    assert TEST_COMMAND in (ROOT / ".ci/run").read_text(encoding="utf-8")


@pytest.mark.parametrize("command,expected", list(_sessions("rakg query")), ids=lambda v: v if isinstance(v, str) and v.startswith("rakg") else "")
def test_readme_query_outputs_are_real(command, expected, store):
    slug = shlex.split(command)[2]
    actual = format_table(results_json(store.query(find(ROOT / "queries", slug).text)))
    assert actual == expected, f"README output of `{command}` is stale"


def test_readme_stats_output_is_real(settings):
    [(_, expected)] = list(_sessions("rakg stats"))
    actual = stats_table(settings)
    assert actual.startswith(expected), "README `rakg stats` output is stale"


@pytest.mark.parametrize("command,expected", list(_sessions("curl")), ids=lambda v: v[:40] if isinstance(v, str) else "")
def test_readme_curl_outputs_are_real(command, expected, live_server):
    real = command.replace("http://127.0.0.1:8000", live_server)
    result = subprocess.run(real, shell=True, capture_output=True, text=True, timeout=60)
    assert result.stdout.rstrip("\n") == expected


def test_every_cli_command_is_documented():
    for name in main.commands:
        assert f"`rakg {name}" in README, f"README does not document `rakg {name}`"


def test_every_setting_is_documented():
    for setting in SETTINGS:
        assert f"| `{setting.name}` |" in README, f"README settings table lacks {setting.name}"


@pytest.mark.parametrize("command,expected", list(_sessions("rakg explain")), ids=lambda v: v if isinstance(v, str) and v.startswith("rakg") else "")
def test_readme_explain_outputs_are_real(command, expected, settings):
    from server.build.rules import explain
    from server.releases import open_built_store
    from server.namespaces import PREFIXES

    prefix, _, local = shlex.split(command)[2].partition(":")
    lines = explain(open_built_store(settings), str(PREFIXES[prefix]) + local, ROOT / "queries" / "service")
    assert "\n".join(lines).rstrip() == expected


def test_every_rule_is_in_the_readme_table():
    for rule in sorted((ROOT / "ontology/rules").glob("*.rq")):
        assert f"`{rule.stem}`" in README, f"README rules table lacks {rule.stem}"
