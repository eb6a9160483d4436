"""The drill bench's source machine: a real Debian on storage its administrator built with the native tools.

Three stages, each paid once where it can be:

1. ``tests/vm/source-debian/build`` makes the system (packages, rescue-tui's runtime) and its
   install script on a medium, cached by recipe;
2. the rescue image, booted with three blank disks and that medium, runs ``make-machine.sh``:
   md RAID1 (metadata 1.0 and 1.2), LVM with a thin pool, LUKS2, ext4, xfs, btrfs subvolumes,
   vfat, swap, GPT and MBR with a logical partition; the disks are cached under the medium's
   directory, keyed by the rescue system's root filesystem (whose tools made them);
3. every run boots those disks (through overlays: the cache is never written), installs the
   rescue-tui of the tree, and runs ``rescue-tui backup --layout-out`` live on the machine, as an
   operator does on the day: the layout and the backup a drill recovers come from the product.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from rescue_tui.drill.machine import ColdDisk, Image, Machine
from rescue_tui.errors import GuestError
from tests.conftest import ROOT
from tests.vm import timings
from tests.vm.timings import record_timing

BUILD = ROOT / "tests" / "vm" / "source-debian" / "build"
BUILD_TIMEOUT = 45 * 60
SERIALS = ("src-a", "src-b", "src-c")
SIZES = ("3G", "3G", "1G")
PASSPHRASE = b"drill-passphrase"
"""The LUKS passphrase: the machine's key file for /secure holds it, and a drill recreates the container with it."""
MAKE_TIMEOUT = 1800.0
BOOT_TIMEOUT = 300.0
BACKUP_TIMEOUT = 1200.0
MOUNTS = ("/", "/boot", "/boot/efi", "/srv", "/home", "/opt/projects", "/secure")
"""What make-machine.sh's fstab mounts."""
BACKUP_DISK = "source-backup"
ARCHIVE = "source.tar.zst"
LAYOUT = "source.json"


@dataclass(frozen=True)
class SourceDisks:
    """The made machine's disks (cached: boot them through overlays) and what making them cost."""

    paths: tuple[Path, ...]
    info: dict[str, Any]


@dataclass(frozen=True)
class RecoverySet:
    """What ``rescue-tui backup --layout-out`` made live on the source machine, copied to the host."""

    layout: Path
    archive: Path
    passphrase: Path
    seconds: dict[str, float]


def source_medium(log: Path, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """The system and its install script on an ext4 medium (built on a cache miss: several minutes); ``extra``
    packages make another machine, cached apart."""
    options = ["--extra", ",".join(extra)] if extra else []
    with log.open("w") as err:
        result = subprocess.run([str(BUILD), "--json", *options], stdout=subprocess.PIPE, stderr=err, text=True,
                                timeout=BUILD_TIMEOUT)  # fmt: skip
    if result.returncode != 0:
        raise GuestError(f"{BUILD} failed ({result.returncode}):\n{log.read_text()[-6000:]}")
    info: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return info


def _rootfs_key(image: Image) -> str:
    return str(json.loads((image.dir / "image.json").read_text())["rootfs_key"])


def source_disks(image: Image, medium: dict[str, Any], workdir: Path) -> SourceDisks:
    """The source machine's disks, made by ``make-machine.sh`` in the rescue guest on a cache miss."""
    dest = Path(medium["dir"]) / f"machine-{_rootfs_key(image)}"
    with (Path(medium["dir"]) / ".machine.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (dest / "machine.json").exists():
            _make_disks(image, Path(medium["medium"]), workdir, dest)
    info = json.loads((dest / "machine.json").read_text())
    return SourceDisks(paths=tuple(dest / f"{serial}.qcow2" for serial in SERIALS), info=info)


def _make_disks(image: Image, medium: Path, workdir: Path, dest: Path) -> None:
    building = workdir / "making"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    disks = []
    for serial, size in zip(SERIALS, SIZES, strict=True):
        path = building / f"{serial}.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), size], check=True)
        disks.append(ColdDisk(path=path, serial=serial))
    started = time.monotonic()
    machine = Machine(image=image, workdir=building / "vm", memory_mb=2048, cold_disks=tuple(disks))
    machine.start()
    try:
        machine.connect_shell(BOOT_TIMEOUT)
        machine.attach_disk(medium, "source-medium")
        machine.push({"passphrase": PASSPHRASE})
        by_id = " ".join(f"/dev/disk/by-id/virtio-{serial}" for serial in SERIALS)
        output = machine.check(
            "chmod 0400 /root/passphrase && mkdir -p /mnt/medium"
            " && mount -o ro /dev/disk/by-id/virtio-source-medium /mnt/medium"
            f" && bash /mnt/medium/make-machine.sh /mnt/medium {by_id} /root/passphrase",
            timeout=MAKE_TIMEOUT,
        )
        (building / "make-machine.log").write_text(output)
    finally:
        machine.kill()  # the script synced and stopped everything; QEMU closes the images as it quits
    seconds = time.monotonic() - started
    staged = building / "out"
    staged.mkdir()
    for disk in disks:
        disk.path.rename(staged / disk.path.name)
    (staged / "machine.json").write_text(json.dumps({"make_seconds": round(seconds, 1), "made_in": str(workdir)}))
    shutil.rmtree(dest, ignore_errors=True)
    staged.rename(dest)


def boot_source(image: Image, disks: SourceDisks, workdir: Path) -> Machine:
    """The source machine booted from (overlays of) its own disks, its test shell answering."""
    workdir.mkdir(parents=True, exist_ok=True)
    overlays = []
    for path in disks.paths:
        overlay = workdir / path.name
        overlay.unlink(missing_ok=True)
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", str(path), "-F", "qcow2", str(overlay)],
                       check=True)  # fmt: skip
        overlays.append(overlay)
    machine = Machine(image=image, workdir=workdir / "vm", boot_disks=tuple(overlays), boot_serials=SERIALS,
                      boot_shell=True)  # fmt: skip
    machine.start()
    try:
        machine.connect_shell(BOOT_TIMEOUT)
        machine.check("timeout 120 systemctl is-system-running --wait || systemctl --failed --no-legend", timeout=150)
        # Up as its administrator left it: every filesystem of its fstab mounted (/secure through the key
        # file crypttab names), the swap on.
        machine.check(
            f"for m in {' '.join(MOUNTS)}; do mountpoint -q $m || {{ echo not mounted: $m; exit 1; }}; done"
            " && swapon --show=NAME --noheadings | grep -q ."
        )
    except BaseException:
        machine.kill()
        raise
    return machine


def install_rescue_tui(machine: Machine, wheels: Path) -> None:
    """The tree's rescue-tui onto the running machine, as its wheel (its runtime is there already)."""
    shutil.rmtree(wheels, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--disable-pip-version-check", "--no-deps",
                    "--no-build-isolation", "-w", str(wheels), str(ROOT)], check=True)  # fmt: skip
    (wheel,) = wheels.glob("rescue_tui-*.whl")
    machine.push({wheel.name: wheel})
    machine.check(f"python3 -m zipfile -e /root/{wheel.name} /usr/local/lib/python3.11/dist-packages")


def back_up_live(machine: Machine, out: Path) -> RecoverySet:
    """``rescue-tui backup --layout-out`` on the running machine, onto a disk of its own; the files on the host."""
    seconds = run_onto_disk(
        machine,
        f"python3 -m rescue_tui backup --backend tar:/backup/{ARCHIVE} --layout-out /backup/{LAYOUT}"
        " --exclude 'backup/*'",
        out,
        timeout=BACKUP_TIMEOUT,
    )
    passphrase = out / "passphrase"
    passphrase.write_bytes(PASSPHRASE + b"\n")
    passphrase.chmod(0o600)
    return RecoverySet(layout=out / LAYOUT, archive=out / ARCHIVE, passphrase=passphrase, seconds={"backup": seconds})


def run_onto_disk(machine: Machine, command: str, out: Path, *, size: str = "3G", timeout: float) -> float:
    """Run ``command`` on the machine with a blank disk of its own mounted at /backup (the machine's storage stays
    as it is), then copy that disk's top-level files into ``out`` on the host; the command's seconds."""
    backup = machine.add_disk(size, serial=BACKUP_DISK, fmt="raw")
    machine.check(f"mkfs.ext4 -q -L backup {backup.device} && mkdir -p /backup && mount {backup.device} /backup")
    started = time.monotonic()
    machine.check(command, timeout=timeout)
    seconds = time.monotonic() - started
    machine.check("umount /backup && sync")
    machine.remove_disk(backup)
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    mount = out.parent / f"{out.name}.mnt"
    mount.mkdir(exist_ok=True)
    subprocess.run(["mount", "-o", "loop,ro", str(backup.path), str(mount)], check=True)
    try:
        for item in mount.iterdir():
            if item.is_file():
                shutil.copy2(item, out / item.name)
    finally:
        subprocess.run(["umount", str(mount)], check=True)
    backup.path.unlink()
    return seconds


@pytest.fixture(scope="session")
def source_recovery_set(rescue_image: Image, tmp_path_factory: pytest.TempPathFactory) -> RecoverySet:
    """The source machine's layout and backup, made live on it by the tree's rescue-tui (one boot per session)."""
    work = tmp_path_factory.mktemp("source")
    started = time.monotonic()
    medium = source_medium(work / "build.log")
    if not medium["cached"]:
        record_timing(f"{timings.CACHE_PREFIX}source system build", medium["seconds"])
    disks = source_disks(rescue_image, medium, work)
    if disks.info.get("made_in") == str(work):
        record_timing(f"{timings.CACHE_PREFIX}source machine disks", disks.info["make_seconds"])
    booted = time.monotonic()
    machine = boot_source(rescue_image, disks, work / "booted")
    try:
        record_timing("source machine: power-on to its test shell", time.monotonic() - booted)
        install_rescue_tui(machine, work / "wheels")
        recovery_set = back_up_live(machine, work / "recovery-set")
    except GuestError as exc:
        raise GuestError(f"{exc}\n{machine.serial_tail()}") from exc
    finally:
        machine.kill()  # overlays, thrown away: the backup disk was unmounted and synced
    record_timing("source machine: rescue-tui backup --layout-out", recovery_set.seconds["backup"])
    record_timing("source machine: whole session fixture", time.monotonic() - started)
    return recovery_set
