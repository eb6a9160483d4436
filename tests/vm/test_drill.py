"""``rescue-tui drill`` on the command line, as an operator runs it on a backup server: the whole drill.

The machine is ``vm-raid`` (``raid1-lvm``: BIOS, two disks, md RAID1, LVM) with its backup
(``target-debian``: a bootable Debian, the machine's own fstab) on the host. The drill makes
blank disks like the layout's, boots our image unattended with the backup on a read-only disk,
captures the recovered disks, powers off and boots them alone to the login prompt; the report
says pass, with the time by phase. Then the disks it recovered, kept, go back under the same
medium with ``rescue.unattended``: that boot refuses (the disks already hold the layout's
storage) and writes nothing, as when an operator leaves the medium in after a recovery.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rescue_tui.drill.machine import ColdDisk, Image, Machine
from rescue_tui.drill.media import BACKUP_SERIAL
from rescue_tui.drill.report import PHASES
from rescue_tui.drill.run import CONSOLE
from tests.conftest import ROOT
from tests.vm.console import SerialConsole
from tests.vm.target import TargetArchive
from tests.vm.test_apply_roundtrip import LAYOUTS
from tests.vm.test_unattended import REFUSED, WAITING, keep, unchanged
from tests.vm.timings import record_timing

pytestmark = pytest.mark.vm

LAYOUT = LAYOUTS / "raid1-lvm.json"
DRILL_TIMEOUT = 3600


@dataclass(frozen=True)
class Drilled:
    result: subprocess.CompletedProcess[str]
    report: dict[str, Any]
    directory: Path


@pytest.fixture(scope="module")
def drilled(rescue_image: Image, target_archive: TargetArchive, tmp_path_factory: pytest.TempPathFactory) -> Drilled:
    directory = tmp_path_factory.mktemp("drill") / "report"
    result = subprocess.run(
        [sys.executable, "-m", "rescue_tui", "drill", "--layout", str(LAYOUT),
         "--backend", f"tar:{target_archive.backups}/vm-raid.tar.zst", "--iso", str(rescue_image.iso),
         "--report", str(directory), "--keep-disks", "--json"],
        capture_output=True, text=True, cwd=ROOT, timeout=DRILL_TIMEOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    report = json.loads(result.stdout) if result.stdout.startswith("{") else {}
    for phase, seconds in report.get("phases", {}).items():
        record_timing(f"bios drill: {phase}", seconds)
    return Drilled(result=result, report=report, directory=directory)


def test_a_drill_recovers_the_machine_boots_it_and_reports_every_check_passed(drilled: Drilled) -> None:
    result, report = drilled.result, drilled.report
    assert result.returncode == 0, f"{result.stderr[-3000:]}\n{result.stdout[-3000:]}"
    assert report["result"] == "pass" and report["stopped"] is None
    checks = {check["name"]: check for check in report["checks"]}
    assert set(checks) == {"restore verified", "identity kept", "first boot"}
    assert all(check["ok"] and not check["differences"] for check in checks.values()), checks
    assert (
        checks["restore verified"]["detail"].startswith("restored ")
        and "verified (" in checks["restore verified"]["detail"]
    )
    assert "login:" in checks["first boot"]["detail"]
    assert list(report["phases"]) == list(PHASES)
    assert report["recovery_seconds"] == pytest.approx(sum(report["phases"].values()), abs=1)
    assert (drilled.directory / "drill.txt").read_text().startswith("drill of vm-raid")
    assert "[" in result.stderr and "first boot:" in result.stderr  # progress went to the terminal


def test_the_medium_left_in_after_the_drill_refuses_to_recover_again_and_writes_nothing(
    drilled: Drilled, fresh_machine: Callable[..., Machine], tmp_path: Path
) -> None:
    assert drilled.result.returncode == 0, "the drill did not pass: nothing to boot again"
    disks = sorted((drilled.directory / "disks").glob("disk*.qcow2"))
    backup = drilled.directory / "disks" / "backup.img"
    serials = ("ORIG-SDA", "ORIG-SDB")  # the layout's, as the drill gave them
    before = keep(disks, tmp_path / "before")
    vm = fresh_machine(
        "bios",
        append=f"{CONSOLE} rescue.unattended "
        f"rescue.backupdisk=/dev/disk/by-id/virtio-{BACKUP_SERIAL} rescue.layout=/mnt/backup/layout.json "
        "rescue.backend=tar:/mnt/backup/vm-raid.tar.zst",
        cold_disks=(
            *(ColdDisk(path=p, serial=s) for p, s in zip(disks, serials, strict=True)),
            ColdDisk(path=backup, serial=BACKUP_SERIAL, fmt="raw", read_only=True),
        ),
    )
    shown = SerialConsole(vm, offset=0).wait_lines(WAITING, timeout=600)
    assert REFUSED in shown and "the disks already hold vm-raid's storage" in shown, shown
    assert "boot from disk" in shown, shown
    vm.qmp.execute("stop")
    assert unchanged(disks, before)
