"""What a drill plugs into its VM: blank disks like the layout's, and the backup on a read-only disk.

The blank disks carry the layout's serials and sizes, so the unattended
recovery's automatic mapping is the one it would make on the real machine.
The backup (the archive or repository, its sidecar files, the layout and any
password file) goes onto an ext4 image made with ``mke2fs -d``, mounted
read-only by the rescue system as ``rescue.backupdisk=`` says: nothing on the
host is mounted, and the guest cannot write to the host's backup.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rescue_tui.command import run
from rescue_tui.drill.machine import ColdDisk, Image
from rescue_tui.errors import BadInputError, GuestError
from rescue_tui.layout.model import Disk, Layout
from rescue_tui.restore.model import BackendSpec

BACKUP_SERIAL = "drill-backup"
"""The backup disk's serial: ``/dev/disk/by-id/virtio-drill-backup`` in the guest."""
GUEST_BACKUP = "/mnt/backup"
"""Where the rescue system mounts ``rescue.backupdisk=`` (``rescue_tui.boot.cmdline.BACKUP_MOUNT``)."""
SERIAL_BYTES = 20
"""virtio-blk passes at most 20 bytes of serial number."""
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,200}")
"""A file name that goes onto a kernel command line as it is."""
_SERIAL_UNSAFE = re.compile(r"[^A-Za-z0-9._:-]")


@dataclass(frozen=True)
class TargetDisk:
    """One blank disk of the drill: the layout's disk it stands for, and where QEMU finds it."""

    source: str
    """The layout's disk id."""
    serial: str
    size: int
    path: Path

    def cold(self) -> ColdDisk:
        return ColdDisk(path=self.path, serial=self.serial)


def guest_serial(disk: Disk) -> str:
    """The serial the drill's disk gets: the layout's (as virtio can carry it), else the disk's name."""
    serial = _SERIAL_UNSAFE.sub("_", disk.serial or disk.name)
    return serial[:SERIAL_BYTES]


def disk_serials(layout: Layout) -> list[str]:
    """The serials of the drill's disks, in the layout's order; BadInputError when virtio cannot tell them apart."""
    serials = [guest_serial(disk) for disk in layout.of_type(Disk)]
    if len(set(serials)) != len(serials) or BACKUP_SERIAL in serials:
        raise BadInputError(f"the layout's disk serials are not unique in {SERIAL_BYTES} characters: {serials}")
    return serials


def blank_disks(layout: Layout, where: Path, sizes: Mapping[str, int] | None = None) -> list[TargetDisk]:
    """A sparse qcow2 disk per layout disk, with its serial (as far as virtio allows) and its size, or the size
    ``sizes`` gives its id."""
    serials = disk_serials(layout)
    sizes = sizes or {}
    where.mkdir(parents=True, exist_ok=True)
    disks = []
    for index, (disk, serial) in enumerate(zip(layout.of_type(Disk), serials, strict=True), 1):
        path = where / f"disk{index}.qcow2"
        path.unlink(missing_ok=True)
        size = sizes.get(disk.id, disk.size)
        run(["qemu-img", "create", "-q", "-f", "qcow2", str(path), str(size)], error=GuestError)
        disks.append(TargetDisk(source=disk.id, serial=serial, size=size, path=path))
    return disks


def guest_spec(spec: BackendSpec) -> str:
    """The spec as the guest reaches the backup: the same kind and snapshot, under ``/mnt/backup``."""
    name = Path(spec.path).name
    selector = "" if spec.selector is None else ("::" if spec.kind == "borg" else "#") + spec.selector
    return f"{spec.kind}:{GUEST_BACKUP}/{name}{selector}"


def backup_set(path: Path) -> list[Path]:
    """The backup at ``path`` (an archive, a repository or tree) and its sidecar files (``NAME.*`` beside it)."""
    siblings = sorted(p for p in path.parent.iterdir() if p.name.startswith(path.name + ".") and p.is_file())
    return [path, *siblings]


def backup_medium(files: dict[str, Path], image: Path) -> Path:
    """An ext4 image (label ``backup``) holding ``files`` (guest name -> host file or tree), a quarter larger."""
    staging = image.with_suffix(".d")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        for name, source in files.items():
            _place(source, staging / name)
        size = _tree_bytes(staging)
        mib = size * 5 // 4 // (1 << 20) + 32
        image.unlink(missing_ok=True)
        run(["mke2fs", "-q", "-F", "-t", "ext4", "-L", "backup", "-d", str(staging), str(image), f"{mib}M"],
            error=GuestError, timeout=3600)  # fmt: skip
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return image


def _place(source: Path, dest: Path) -> None:
    """Hard-link (same filesystem) or copy a file or tree: the staging area is thrown away."""
    if source.is_dir():
        shutil.copytree(source, dest, symlinks=True, copy_function=_link_or_copy)
    else:
        _link_or_copy(str(source), str(dest))


def _link_or_copy(source: str, dest: str) -> None:
    try:
        os.link(source, dest)
    except OSError:
        run(["cp", "--sparse=always", "--preserve=mode,timestamps", source, dest], error=GuestError, timeout=3600)


def _tree_bytes(root: Path) -> int:
    total = 0
    for folder, _dirs, names in os.walk(root):
        for name in names:
            total += os.lstat(os.path.join(folder, name)).st_size
    return total


def ensure_image(iso: Path, where: Path) -> Image:
    """The rescue image to boot: the ISO, with its kernel and initrd beside it (taken out of it when missing)."""
    beside = Image(iso=iso, key="given")
    if beside.kernel.is_file() and beside.initrd.is_file():
        return beside
    where.mkdir(parents=True, exist_ok=True)
    image = Image(iso=where / iso.name, key="given")
    image.iso.unlink(missing_ok=True)
    image.iso.symlink_to(iso.resolve())
    for inside, out in (("/live/vmlinuz", image.kernel), ("/live/initrd.img", image.initrd)):
        out.unlink(missing_ok=True)
        run(["xorriso", "-osirrox", "on", "-indev", str(iso), "-extract", inside, str(out)],
            error=BadInputError, timeout=300)  # fmt: skip
    return image
