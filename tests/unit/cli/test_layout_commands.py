"""The CLI contract: exit codes, one line per problem on stderr, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("hostname", ["", " ", "web\x1b[2J01", "-web", "a b", "x" * 254])
def test_a_host_name_that_cannot_be_typed_to_confirm_is_refused(tmp_path: Path, hostname: str) -> None:
    document = json.loads((ROOT / "layouts/examples/raid1-lvm.json").read_text())
    document["machine"]["hostname"] = hostname
    path = tmp_path / "layout.json"
    path.write_text(json.dumps(document))
    for command in ("validate", "show"):
        result = subprocess.run(
            [sys.executable, "-m", "rescue_tui", "layout", command, str(path)],
            capture_output=True, text=True, cwd=ROOT, timeout=120,
        )  # fmt: skip
        assert result.returncode == 2, result.stdout + result.stderr
        assert "$.machine.hostname" in result.stderr and "\x1b" not in result.stderr + result.stdout


def test_control_characters_in_a_layout_never_reach_the_terminal_raw(tmp_path: Path) -> None:
    document = json.loads((ROOT / "layouts/examples/raid1-lvm.json").read_text())
    disk = next(i for i in document["items"] if i["type"] == "disk")
    disk["model"] = "evil\x1b]0;pwned\x07\x1b[2J\rdisk\x9b"
    path = tmp_path / "layout.json"
    path.write_text(json.dumps(document))
    result = subprocess.run(
        [sys.executable, "-m", "rescue_tui", "layout", "show", str(path)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert not any(c in result.stdout for c in "\x1b\x07\r\x9b"), repr(result.stdout)
    assert "evil\\x1b]0;pwned\\x07\\x1b[2J\\x0ddisk\\x9b" in result.stdout
