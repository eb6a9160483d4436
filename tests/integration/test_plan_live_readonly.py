"""``rescue-tui plan --targets live`` reads the disks present and writes nothing: every byte is unchanged."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA, ROOT
from tests.integration.conftest import Loops, sh

LAYOUT = DATA / "layouts" / "good" / "two-small-disks.json"
MiB = 1024 * 1024

pytestmark = pytest.mark.root


def sha256(device: str) -> str:
    digest = hashlib.sha256()
    with open(device, "rb") as handle:
        while chunk := handle.read(4 * MiB):
            digest.update(chunk)
    return digest.hexdigest()


def plan(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "rescue_tui", "plan", "--layout", str(LAYOUT), "--targets", "live", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)


@pytest.fixture
def disks(loops: Loops) -> list[str]:
    """Three loop disks holding real data: ext4, xfs and a GPT table with a partition."""
    ext4, xfs, gpt = loops.disk("a", 320 * MiB), loops.disk("b", 320 * MiB), loops.disk("c", 320 * MiB)
    sh("mkfs.ext4", "-q", "-L", "old-root", ext4)
    sh("mkfs.xfs", "-q", "-f", "-L", "old-data", xfs)
    sh("sfdisk", "--quiet", gpt, stdin="label: gpt\nsize=100MiB, type=linux\n")
    loops.settle()
    return [ext4, xfs, gpt]


def test_planning_against_live_disks_changes_no_byte(disks: list[str], tmp_path: Path) -> None:
    before = {d: sha256(d) for d in disks}
    out = tmp_path / "plan.json"
    result = plan("--map", f"sda={disks[0]}", "--map", f"sdb={disks[1]}", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert {d: sha256(d) for d in disks} == before
    saved = json.loads(out.read_text())
    assert [d["path"] for d in saved["disks"]] == disks[:2]
    assert saved["steps"][0]["kind"] == "wipe-disk"
    assert "ext4" in saved["steps"][0]["found"]


def test_a_mounted_disk_is_refused_and_still_nothing_is_written(disks: list[str], loops: Loops) -> None:
    loops.mount(disks[0])
    before = {d: sha256(d) for d in disks[1:]}
    result = plan("--map", f"sda={disks[0]}", "--map", f"sdb={disks[1]}")
    assert result.returncode == 2
    name = Path(disks[0]).name
    assert f"--map sda={disks[0]}: {name}: in use: mounted (" in result.stderr
    assert "Traceback" not in result.stderr
    assert {d: sha256(d) for d in disks[1:]} == before
