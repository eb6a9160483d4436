"""``rescue-tui apply`` refuses before writing: bad plan files, absent or changed disks, no confirmation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rescue_tui.plan.codec import plan_to_json
from tests.conftest import ROOT
from tests.unit.plan.conftest import plan_for


def apply(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rescue_tui", "apply", *args],
        capture_output=True, text=True, cwd=ROOT, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    path.write_text(plan_to_json(plan_for("uefi-gpt-lvm")))
    return path


def test_a_corrupt_plan_is_refused_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text('{"format_version": 1, "steps": [}')
    result = apply(str(bad), "--journal-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"rescue-tui: {bad}:1:33: not valid JSON: Expecting value"]


def test_a_plan_with_an_unknown_step_is_refused(plan_file: Path, tmp_path: Path) -> None:
    document = json.loads(plan_file.read_text())
    document["steps"][1]["kind"] = "dd-everything"
    bad = tmp_path / "plan.json"
    bad.write_text(json.dumps(document))
    result = apply(str(bad), "--journal-dir", str(tmp_path))
    assert result.returncode == 2
    assert "$.steps[1].kind: unknown step kind 'dd-everything'" in result.stderr


def test_a_plan_for_disks_that_are_not_here_is_refused_and_leaves_no_journal(plan_file: Path, tmp_path: Path) -> None:
    result = apply(str(plan_file), "--yes", "--journal-dir", str(tmp_path))
    assert result.returncode == 2
    assert "rescue-tui: /dev/vdb: not present (the plan maps nvme0n1 onto it)" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("hostname", ["", "web\x1b[2J"])
def test_a_plan_whose_host_name_cannot_be_typed_is_refused(plan_file: Path, tmp_path: Path, hostname: str) -> None:
    document = json.loads(plan_file.read_text())
    document["hostname"] = hostname
    bad = tmp_path / "plan.json"
    bad.write_text(json.dumps(document))
    result = apply(str(bad), "--journal-dir", str(tmp_path))
    assert result.returncode == 2
    assert "$.hostname:" in result.stderr and "\x1b" not in result.stderr
    assert list(tmp_path.iterdir()) == [bad]
