"""The docs are true: the README's commands exist and its outputs are what the code prints; the README lists every
command, docs/operations.md every setting, docs/reasoning.md every rule; every relative link of every Markdown file
leads somewhere."""

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
OPERATIONS = (ROOT / "docs/operations.md").read_text(encoding="utf-8")
REASONING = (ROOT / "docs/reasoning.md").read_text(encoding="utf-8")
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
        assert f"| `{setting.name}` |" in OPERATIONS, f"docs/operations.md's settings table lacks {setting.name}"


@pytest.mark.parametrize("command,expected", list(_sessions("rakg explain")), ids=lambda v: v if isinstance(v, str) and v.startswith("rakg") else "")
def test_readme_explain_outputs_are_real(command, expected, settings):
    from server.build.rules import explain
    from server.releases import open_built_store
    from server.namespaces import PREFIXES

    prefix, _, local = shlex.split(command)[2].partition(":")
    lines = explain(open_built_store(settings), str(PREFIXES[prefix]) + local, ROOT / "queries" / "service")
    assert "\n".join(lines).rstrip() == expected


def test_every_rule_is_in_the_rules_table():
    table = "\n".join(line for line in REASONING.splitlines() if line.startswith("| `"))
    for rule in sorted((ROOT / "ontology/rules").glob("*.rq")):
        assert f"`{rule.stem}`" in table, f"docs/reasoning.md's rules table lacks {rule.stem}"


SKIPPED = {".git", ".venv", "node_modules", "build", "results", ".hypothesis", ".pytest_cache"}
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _markdown_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.md") if not SKIPPED & set(p.relative_to(ROOT).parts) and "egg-info" not in str(p))


def _anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown file: lower case, punctuation but '-' dropped, blanks '-'."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in re.findall(r"^#+ (.*)$", text, re.MULTILINE)}


def relative_links(path: Path) -> list[str]:
    """The relative links of a Markdown file (outside code), as written."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    text = re.sub(r"`[^`\n]*`", "", text)
    return [link for link in LINK.findall(text) if not re.match(r"[a-z][a-z+.-]*:", link)]


def broken_links(paths: list[Path], root: Path) -> list[str]:
    """Each relative link of ``paths`` to a file that does not exist, or to a heading its Markdown file lacks."""
    broken = []
    for path in paths:
        for link in relative_links(path):
            target, _, anchor = link.partition("#")
            file = (path.parent / target).resolve() if target else path
            if not file.exists():
                broken.append(f"{path.relative_to(root)}: {link} (no such file)")
            elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
                broken.append(f"{path.relative_to(root)}: {link} (no such heading)")
    return broken


def test_every_relative_link_of_the_docs_resolves():
    broken = broken_links(_markdown_files(), ROOT)
    assert not broken, "\n".join(broken)


def test_a_broken_link_is_named(tmp_path):
    (tmp_path / "a.md").write_text("# Top part\n[ok](a.md#top-part) [here](#top-part) `[code](c.md)` [web](https://w3.org)\n"
                                   "[gone](b.md) [no heading](a.md#nowhere)\n", encoding="utf-8")
    assert broken_links([tmp_path / "a.md"], tmp_path) == ["a.md: b.md (no such file)", "a.md: a.md#nowhere (no such heading)"]
