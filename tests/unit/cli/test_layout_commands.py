"""The CLI contract: exit codes, one line per problem on stderr, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.unit.layout.conftest import MINIMAL


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rescue_tui", *args], capture_output=True, text=True, cwd=ROOT, timeout=60
    )


def test_validate_accepts_a_valid_file() -> None:
    result = run("layout", "validate", str(MINIMAL))
    assert result.returncode == 0
    assert "valid (13 items" in result.stdout


def test_validate_reports_each_problem_on_one_line_and_exits_2(tmp_path: Path) -> None:
    document = json.loads(MINIMAL.read_text())
    document["items"][10]["uuid"] = "nope"
    document["items"][5]["path"] = "/"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    result = run("layout", "validate", str(path))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"rescue-tui: {path}: $.items[") for line in lines)
    assert "Traceback" not in result.stderr


def test_broken_json_exits_2_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{ nope")
    result = run("layout", "validate", str(path))
    assert (result.returncode, result.stderr.count("\n")) == (2, 1)
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{ nope")
    assert "Traceback" in run("--debug", "layout", "validate", str(path)).stderr


def test_show_prints_the_tree() -> None:
    result = run("layout", "show", str(MINIMAL))
    assert result.returncode == 0
    assert "VG sys" in result.stdout


def test_schema_prints_the_committed_schema() -> None:
    result = run("layout", "schema")
    assert result.stdout == (ROOT / "layouts" / "schema" / "layout.schema.json").read_text()


def test_a_usage_error_exits_2_in_one_line() -> None:
    result = run("layout", "frobnicate")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
