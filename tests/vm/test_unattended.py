"""Unattended recovery from the kernel command line, where it must refuse: a disk that holds data.

The machine powers on with its disks and the backup disk plugged in and the
rescue image booted with ``rescue.unattended``, the backup named by
``rescue.backend=`` on the disk ``rescue.backupdisk=`` names (the layout file
lies beside the archive: ``rescue.layout=``). Then nothing is typed. A target
holding a filesystem that ``rescue.wipe=`` does not name: it stops before
writing, says why on the serial console, and the disks are untouched.

The unattended recovery that works, and the second boot of the same medium
that refuses, are ``rescue-tui drill``'s (``test_drill``).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from rescue_tui.drill.machine import ColdDisk, Machine
from rescue_tui.drill.run import CONSOLE
from tests.vm.console import SerialConsole
from tests.vm.target import TargetArchive
from tests.vm.test_apply_roundtrip import LAYOUTS

pytestmark = pytest.mark.vm

SIZES = ("1536M", "1536M")
"""raid1-lvm's two disks, as the drills make them."""
OPTIONS = (
    "rescue.unattended rescue.backupdisk=/dev/disk/by-id/virtio-backup "
    "rescue.layout=/mnt/backup/layout.json rescue.backend=tar:/mnt/backup/vm-raid.tar.zst"
)
REFUSED = "Unattended recovery stopped before writing anything:"
WAITING = "Press Enter for the recovery console."


def backup_disk(archive: TargetArchive, workdir: Path) -> Path:
    """A copy of the backup medium with the layout beside the archive (debugfs: no mount on the host)."""
    workdir.mkdir(parents=True, exist_ok=True)
    copy = workdir / "backup.img"
    subprocess.run(["cp", "--sparse=always", str(archive.medium), str(copy)], check=True)
    layout = LAYOUTS / "raid1-lvm.json"
    subprocess.run(["debugfs", "-w", "-R", f"write {layout} layout.json", str(copy)], check=True, capture_output=True)
    return copy


def blank_disks(workdir: Path) -> list[ColdDisk]:
    workdir.mkdir(parents=True, exist_ok=True)
    disks = []
    for index, size in enumerate(SIZES, 1):
        path = workdir / f"disk{index}.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), size], check=True)
        disks.append(ColdDisk(path=path, serial=f"disk{index}"))
    return disks


def keep(paths: list[Path], where: Path) -> list[Path]:
    """Copies of the disk images as they are now (sparse), to compare with later."""
    where.mkdir(parents=True, exist_ok=True)
    copies = [where / path.name for path in paths]
    for path, copy in zip(paths, copies, strict=True):
        subprocess.run(["cp", "--sparse=always", str(path), str(copy)], check=True)
    return copies


def unchanged(paths: list[Path], kept: list[Path]) -> bool:
    """Every disk holds what its copy holds (``qemu-img compare``: guest-visible content, any format)."""
    for path, copy in zip(paths, kept, strict=True):
        done = subprocess.run(["qemu-img", "compare", "-U", str(copy), str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            return False
    return True


def test_an_unattended_boot_onto_a_disk_holding_data_stops_before_writing(
    fresh_machine: Callable[..., Machine], target_archive: TargetArchive, tmp_path: Path
) -> None:
    disks = blank_disks(tmp_path / "disks")
    used = tmp_path / "disks" / "disk2.raw"  # an old filesystem on the second disk
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", str(used), SIZES[1]], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-L", "olddata", str(used)], check=True)
    disks[1] = ColdDisk(path=used, serial="disk2", fmt="raw")
    before = keep([d.path for d in disks], tmp_path / "before")
    backup = ColdDisk(path=backup_disk(target_archive, tmp_path / "backup"), serial="backup", fmt="raw", read_only=True)
    vm = fresh_machine("bios", append=f"{CONSOLE} {OPTIONS} rescue.wipe=disk1", cold_disks=(*disks, backup))
    console = SerialConsole(vm, offset=0)
    shown = console.wait_lines(WAITING, timeout=600)
    assert REFUSED in shown, shown
    assert "(disk2) holds ext4: name it in rescue.wipe= to let it be wiped" in shown, shown
    vm.qmp.execute("stop")
    assert unchanged([d.path for d in disks], before)
    shutil.rmtree(tmp_path / "backup", ignore_errors=True)
