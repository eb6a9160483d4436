"""``rescue-tui recover``: the whole recovery from a shell on a loop disk, and its refusals that write nothing.

The machine is the loop host (:mod:`tests.integration.loophost`): an ext4
filesystem on a whole disk and a real GNU tar backup of it. The plan is made
with ``rescue-tui plan --targets live``; every test checks that it maps onto
the loop device made here and nothing else before it runs ``recover``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.loophost import UUID, tar_backup, whole_disk_layout

pytestmark = pytest.mark.root


def cli(*argv: str, stdin: int | None = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rescue_tui", *argv], stdin=stdin, capture_output=True, text=True, check=False
    )


def disk_hash(device: str) -> str:
    with open(device, "rb") as disk:
        return hashlib.sha256(disk.read()).hexdigest()


def plan_for(tmp_path: Path, loop_disk: str) -> Path:
    """The loop host's plan onto the disks present, checked to write nowhere but ``loop_disk``."""
    plan = tmp_path / "plan.json"
    layout = whole_disk_layout(tmp_path / "loophost.json")
    made = cli("plan", "--layout", str(layout), "--targets", "live", "--target-root", str(tmp_path / "target"),
               "-o", str(plan))  # fmt: skip
    assert made.returncode == 0, made.stderr
    disks = [d["path"] for d in json.loads(plan.read_text())["disks"]]
    assert disks == [loop_disk], f"the plan would write {disks}: stop before anything is touched"
    return plan


def recover(
    tmp_path: Path, plan: Path, *extra: str, stdin: int | None = subprocess.DEVNULL
) -> subprocess.CompletedProcess[str]:
    return cli("recover", str(plan), "--target-root", str(tmp_path / "target"), "--journal-dir",
               str(tmp_path / "journal"), "--no-bootloader", *extra, stdin=stdin)  # fmt: skip


def test_recover_rebuilds_restores_verifies_and_finalizes_in_one_command(tmp_path: Path, loop_disk: str) -> None:
    archive = tar_backup(tmp_path)
    plan = plan_for(tmp_path, loop_disk)
    done = recover(tmp_path, plan, "--backend", f"tar:{archive}", "--yes")
    assert done.returncode == 0, done.stderr
    target = tmp_path / "target"
    assert (target / "root" / "hello.txt").read_text() == "restored by the console\n"
    blkid = subprocess.run(["blkid", "-o", "value", "-s", "UUID", loop_disk], capture_output=True, text=True)
    assert blkid.stdout.strip() == UUID  # the filesystem was made again with its own UUID
    stages = [line.split(":")[0] for line in done.stderr.splitlines() if line.startswith("== ")]
    assert stages == ["== apply", "== mount", "== restore", "== done"], done.stderr
    assert "ok    reachable" in done.stdout  # the backup was checked before apply
    assert f"recovered loophost into {target}: restored from tar:{archive}" in done.stdout
    reports = [Path(line.removeprefix("report: ")) for line in done.stdout.splitlines() if line.startswith("report: ")]
    assert reports and all(p.is_file() and p.is_relative_to(target) for p in reports)
    report = json.loads(next(p for p in reports if p.suffix == ".json").read_text())
    assert report["restore"]["verified"] is True and report["restore"]["backend"] == f"tar:{archive}"
    assert (tmp_path / "journal" / "recovery-plan.json").is_file()  # for --resume from a shell


def test_a_backup_that_fails_its_preflight_stops_recover_before_the_disk_is_touched(
    tmp_path: Path, loop_disk: str
) -> None:
    with open(loop_disk, "r+b") as disk:
        disk.write(os.urandom(1 << 20))  # something to destroy
    before = disk_hash(loop_disk)
    plan = plan_for(tmp_path, loop_disk)
    broken = tmp_path / "broken.tar"
    broken.write_bytes(b"not a tar archive" * 1000)
    done = recover(tmp_path, plan, "--backend", f"tar:{broken}", "--yes")
    assert done.returncode != 0
    assert done.stderr.startswith("rescue-tui: preflight: ") and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) <= 2, done.stderr
    assert disk_hash(loop_disk) == before
    assert not list((tmp_path / "journal").glob("apply-*.jsonl"))


def test_recover_without_a_terminal_and_without_yes_is_refused_and_writes_nothing(
    tmp_path: Path, loop_disk: str
) -> None:
    with open(loop_disk, "r+b") as disk:
        disk.write(os.urandom(1 << 20))
    before = disk_hash(loop_disk)
    archive = tar_backup(tmp_path)
    plan = plan_for(tmp_path, loop_disk)
    done = recover(tmp_path, plan, "--backend", f"tar:{archive}")
    assert done.returncode == 2, done.stderr
    assert "rescue-tui: not confirmed: no terminal to ask on" in done.stderr
    assert loop_disk in done.stderr  # the disks it would have wiped were shown
    assert disk_hash(loop_disk) == before
    assert not (tmp_path / "target").exists() or not any((tmp_path / "target").iterdir())
