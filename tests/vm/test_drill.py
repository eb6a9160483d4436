"""``rescue-tui drill`` on the command line, as an operator runs it on a backup server: the whole drill.

The machine is the bench's source machine (``tests/vm/source.py``): a Debian on storage its
administrator made with the native tools (md RAID1 with metadata 1.0 and 1.2, LVM with a thin
pool, LUKS2, ext4, xfs, btrfs subvolumes, vfat, swap, GPT and MBR with a logical partition),
booted from its own disks, where the tree's ``rescue-tui backup --layout-out`` made the layout and
the backup live. The drill makes blank disks with the layout's serials, the RAID pair bigger and
the MBR disk smaller than the machine's (``--disk``: the resize policy grows the RAID members and
shrinks the LUKS and btrfs partitions; onto disks of the same sizes every other VM recovery, and
``bench/drill.py``, recover), boots our image unattended with
the backup on a read-only disk, captures the recovered disks, powers off and boots them alone to
the login prompt, where its probe says the boot mounted the whole fstab and the operator's ready
command answered; the report says pass, with the time by phase. Then the disks it recovered, kept,
go back under the same medium with ``rescue.unattended``: that boot refuses (the disks already hold
the layout's storage) and writes nothing, as when an operator leaves the medium in after a
recovery; in that boot the test then changes the swap's UUID on those disks, and the drill's
identity check names it. And a drill of a backup that lost a file its checksum list names fails
before writing a disk, naming the file.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rescue_tui.drill.machine import ColdDisk, Image, Machine
from rescue_tui.drill.media import BACKUP_SERIAL, TargetDisk, guest_serial
from rescue_tui.drill.report import PHASES, DrillReport
from rescue_tui.drill.run import CONSOLE, check_identity, expected_layout
from rescue_tui.layout.codec import parse_layout
from rescue_tui.layout.model import BtrfsSubvolume, Disk, Layout, Luks, LvmLv, MdArray, Swap
from tests.conftest import ROOT
from tests.vm.console import SerialConsole
from tests.vm.source import MOUNTS, PASSPHRASE, RecoverySet
from tests.vm.test_unattended import REFUSED, WAITING, keep, unchanged
from tests.vm.timings import record_timing

pytestmark = pytest.mark.vm

BROKEN = "00000017-1111-4222-8333-0000000000ff"
"""The swap UUID the test gives the recovered disks, breaking the layout's."""
DRILL_TIMEOUT = 3600


@dataclass(frozen=True)
class Drilled:
    result: subprocess.CompletedProcess[str]
    report: dict[str, Any]
    directory: Path


SIZES = {"vda": 4 << 30, "vdb": 4 << 30, "vdc": 768 << 20}
"""The drill's disks: the machine's are 3 GiB, 3 GiB and 1 GiB."""
READY = "grep -qx source /etc/hostname && findmnt -n /secure >/dev/null && test -d /opt/projects"
"""The operator's own proof the machine is up: its name, and the filesystem behind LUKS and a key file."""


def drill(image: Image, recovery_set: RecoverySet, archive: Path, directory: Path) -> Drilled:
    """``rescue-tui drill`` of the source machine from a tar archive onto disks of other sizes, as an operator
    types it (disks kept)."""
    sizes = [arg for name, size in SIZES.items() for arg in ("--disk", f"{name}={size}")]
    result = subprocess.run(
        [sys.executable, "-m", "rescue_tui", "drill", "--layout", str(recovery_set.layout),
         "--backend", f"tar:{archive}", "--passphrase-file", str(recovery_set.passphrase),
         "--iso", str(image.iso), "--report", str(directory), "--keep-disks", "--json", "--ready-command", READY,
         *sizes],
        capture_output=True, text=True, cwd=ROOT, timeout=DRILL_TIMEOUT, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    report = json.loads(result.stdout) if result.stdout.startswith("{") else {}
    return Drilled(result=result, report=report, directory=directory)


@pytest.fixture(scope="module")
def drilled(rescue_image: Image, source_recovery_set: RecoverySet, tmp_path_factory: pytest.TempPathFactory) -> Drilled:
    done = drill(rescue_image, source_recovery_set, source_recovery_set.archive,
                 tmp_path_factory.mktemp("drill") / "report")  # fmt: skip
    for phase, seconds in done.report.get("phases", {}).items():
        record_timing(f"bios drill: {phase}", seconds)
    return done


def test_a_drill_recovers_the_machine_boots_it_and_reports_every_check_passed(
    drilled: Drilled, source_recovery_set: RecoverySet
) -> None:
    result, report = drilled.result, drilled.report
    assert result.returncode == 0, f"{result.stderr[-3000:]}\n{result.stdout[-3000:]}"
    assert report["result"] == "pass" and report["stopped"] is None
    checks = {check["name"]: check for check in report["checks"]}
    assert list(checks) == ["restore verified", "identity kept", "first boot", "fstab mounted", "ready command"]
    assert all(check["ok"] and not check["differences"] for check in checks.values()), checks
    assert (
        checks["restore verified"]["detail"].startswith("restored ")
        and "verified (" in checks["restore verified"]["detail"]
    )
    assert checks["first boot"]["detail"] == "the recovered system's login prompt on ttyS0 ('source login:')"
    assert checks["fstab mounted"]["detail"].startswith(f"{len(MOUNTS)} filesystem(s) mounted and 1 swap(s) on")
    assert checks["ready command"]["detail"].startswith(f"{READY!r} succeeded")
    assert list(report["phases"]) == list(PHASES)
    assert {name: disk["drilled"] for name, disk in report["disks"].items()} == SIZES
    assert {disk["layout"] for disk in report["disks"].values()} == {3 << 30, 1 << 30}
    assert report["recovery_seconds"] == pytest.approx(sum(report["phases"].values()), abs=1)
    assert (drilled.directory / "drill.txt").read_text().startswith("drill of source")
    assert "[" in result.stderr and "first boot:" in result.stderr  # progress went to the terminal
    # What the drill recovered is the machine's storage, captured live: every kind the bench built.
    layout = source_layout(source_recovery_set)
    assert sorted(md.metadata for md in layout.of_type(MdArray)) == ["1.0", "1.2"]
    assert {lv.segment_type for lv in layout.of_type(LvmLv)} >= {"thin-pool", "thin"}
    assert len(layout.of_type(Luks)) == 1 and len(layout.of_type(Swap)) == 1
    assert len(layout.of_type(BtrfsSubvolume)) == 2


def source_layout(recovery_set: RecoverySet) -> Layout:
    return parse_layout(recovery_set.layout.read_text(), where=str(recovery_set.layout))


def test_the_medium_left_in_after_the_drill_refuses_to_recover_again_and_writes_nothing(
    drilled: Drilled, source_recovery_set: RecoverySet, fresh_machine: Callable[..., Machine], tmp_path: Path
) -> None:
    assert drilled.result.returncode == 0, "the drill did not pass: nothing to boot again"
    layout = source_layout(source_recovery_set)
    serials = [guest_serial(disk) for disk in layout.of_type(Disk)]
    disks = [drilled.directory / "disks" / f"disk{index}.qcow2" for index in range(1, len(serials) + 1)]
    backup = drilled.directory / "disks" / "backup.img"
    before = keep(disks, tmp_path / "before")
    vm = fresh_machine(
        "bios",
        append=f"{CONSOLE} rescue.unattended "
        f"rescue.backupdisk=/dev/disk/by-id/virtio-{BACKUP_SERIAL} rescue.layout=/mnt/backup/layout.json "
        f"rescue.backend=tar:/mnt/backup/{source_recovery_set.archive.name}",
        cold_disks=(
            *(ColdDisk(path=p, serial=s) for p, s in zip(disks, serials, strict=True)),
            ColdDisk(path=backup, serial=BACKUP_SERIAL, fmt="raw", read_only=True),
        ),
    )
    shown = SerialConsole(vm, offset=0).wait_lines(WAITING, timeout=600)
    assert REFUSED in shown and "the disks already hold source's storage" in shown, shown
    assert "boot from disk" in shown, shown
    vm.qmp.execute("stop")
    assert unchanged(disks, before)

    # Then one identity field broken on what the drill recovered: the drill's identity check names it.
    vm.qmp.execute("cont")
    vm.check("mdadm --assemble --scan --config=partitions")  # the rescue system assembles nothing by itself
    (luks,) = layout.of_type(Luks)
    vm.check(
        f"printf %s {PASSPHRASE.decode()} | cryptsetup open --key-file=- /dev/disk/by-uuid/{luks.uuid} {luks.name}"
    )
    (swap,) = layout.of_type(Swap)
    swap_lv = next(lv for lv in layout.of_type(LvmLv) if lv.id == swap.device)
    vm.check(f"vgchange -ay >/dev/null && udevadm settle && swaplabel -U {BROKEN} {swap_lv.path}")
    targets = [TargetDisk(source=disk.id, serial=serial, size=SIZES[disk.name], path=path)
               for disk, serial, path in zip(layout.of_type(Disk), serials, disks, strict=True)]  # fmt: skip
    report = DrillReport(layout=str(source_recovery_set.layout), hostname="source", backend="tar",
                         firmware="bios", image="")  # fmt: skip
    expected, mapped = expected_layout(layout, targets)
    check_identity(vm, expected, mapped, report, lambda line: None)
    (identity,) = report.checks
    assert identity.name == "identity kept" and not identity.ok and report.result == "fail"
    assert identity.differences == (
        f"swap {swap.uuid}: missing on the targets (want {swap.label!r})",
        f"swap {BROKEN}: on the targets but not in the layout ({swap.label!r})",
    ), identity.differences


def without_one_file(archive: Path, lost: str, out: Path) -> Path:
    """A copy of the zstd tar ``archive`` without member ``./lost`` (its bytes cut out; the rest as it was), with
    the original's checksum list and a ``.sha256`` of its own: a backup that lost a file, consistent otherwise."""
    plain = out / "plain.tar"
    with plain.open("wb") as handle:
        subprocess.run(["zstd", "-dcq", str(archive)], stdout=handle, check=True)
    with tarfile.open(plain) as tar:
        members = tar.getmembers()
    at = next(i for i, m in enumerate(members) if m.name == f"./{lost}")
    cut = out / "cut.tar"
    with plain.open("rb") as source, cut.open("wb") as copy:
        copy.write(source.read(members[at].offset))  # up to its headers (a pax header included)
        source.seek(members[at + 1].offset)
        shutil.copyfileobj(source, copy)
    lossy = out / archive.name
    subprocess.run(["zstd", "-q", "-T0", "--rm", str(cut), "-o", str(lossy)], check=True)
    plain.unlink()
    shutil.copyfile(f"{archive}.files.jsonl", f"{lossy}.files.jsonl")
    digest = hashlib.sha256(lossy.read_bytes()).hexdigest()
    Path(f"{lossy}.sha256").write_text(f"{digest}  {lossy.name}\n")
    return lossy


def test_a_drill_of_a_backup_that_lost_a_file_fails_naming_it_and_writes_no_disk(
    rescue_image: Image, source_recovery_set: RecoverySet, tmp_path: Path
) -> None:
    lossy = without_one_file(source_recovery_set.archive, "etc/hostname", tmp_path)
    done = drill(rescue_image, source_recovery_set, lossy, tmp_path / "report")
    assert done.result.returncode == 1, f"{done.result.stderr[-3000:]}\n{done.result.stdout[-3000:]}"
    report = done.report
    assert report["result"] == "fail" and report["checks"] == [], report
    stopped = report["stopped"]
    assert stopped.startswith("Unattended recovery stopped before writing anything:"), stopped
    assert "complete" in stopped and "first etc/hostname" in stopped, stopped
    assert list(report["phases"]) == ["boot to console"], report["phases"]
    for disk in sorted((done.directory / "disks").glob("disk*.qcow2")):  # still blank: nothing allocated
        mapped = json.loads(subprocess.run(["qemu-img", "map", "--output=json", str(disk)], capture_output=True,
                                           text=True, check=True).stdout)  # fmt: skip
        assert all(not extent["data"] for extent in mapped), f"{disk.name}: written: {mapped}"
