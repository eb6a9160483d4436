"""What we know about each disk that is present now (a possible recovery target)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DEVICE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:+!-]{0,63}")
"""A kernel block device name ('sda', 'nvme0n1', 'cciss!c0d0'): never a path, never '.' or '..'."""
DEVICE_PATH = re.compile(r"/dev/[A-Za-z0-9][A-Za-z0-9_.:+!-]{0,63}(/[A-Za-z0-9][A-Za-z0-9_.:+!-]{0,63})*")
"""A device node under /dev, without '..' or empty components."""


def device_name_problem(name: object) -> str | None:
    """Why ``name`` is not a kernel device name (None when it is one)."""
    if not isinstance(name, str) or not DEVICE_NAME.fullmatch(name) or ".." in name:
        return f"{name!r} is not a device name (letters, digits and _.:+!- only, such as 'sdb' or 'nvme0n1')"
    return None


def device_path_problem(path: object) -> str | None:
    """Why ``path`` is not a device node under /dev (None when it is one)."""
    if not isinstance(path, str) or not DEVICE_PATH.fullmatch(path) or "/../" in f"{path}/":
        return f"{path!r} is not a device node under /dev (such as '/dev/sdb')"
    return None


@dataclass(frozen=True, kw_only=True)
class TargetDisk:
    """One disk present now, with what makes it safe or unsafe to overwrite."""

    name: str
    """Kernel name, such as 'vdb' or 'nvme1n1'."""
    path: str
    """Device node, such as '/dev/vdb'."""
    size: int
    """Size in bytes."""
    logical_sector_size: int = 512
    physical_sector_size: int = 512
    model: str | None = None
    serial: str | None = None
    wwn: str | None = None
    by_path: str | None = None
    transport: str | None = None
    rotational: bool | None = None
    removable: bool = False
    read_only: bool = False
    partitions: tuple[str, ...] = ()
    """Kernel names of its partitions."""
    holders: tuple[str, ...] = ()
    """Kernel names of active devices built on it or its partitions (md, dm)."""
    mounts: tuple[str, ...] = ()
    """Mount points (and '[SWAP]') on it or its partitions."""
    rescue_medium: bool = False
    """True when the running rescue system was booted from this disk."""
    system_disk: bool = False
    """True when it holds the running system's root filesystem."""
    signatures: tuple[str, ...] = field(default=())
    """What is on it now (partition table, filesystem, md, LVM, LUKS signatures)."""

    def refusal(self) -> str | None:
        """Why this disk must never be a target, or None when it may be."""
        if self.rescue_medium:
            return "holds the running rescue system"
        if self.system_disk:
            return "holds the running system's root filesystem"
        if self.mounts:
            return f"in use: mounted ({', '.join(self.mounts)})"
        if self.holders:
            return f"in use: active holders ({', '.join(self.holders)})"
        if self.read_only:
            return "read-only"
        return None


@dataclass(frozen=True, kw_only=True)
class Inventory:
    """The disks present now, and where that knowledge came from."""

    disks: tuple[TargetDisk, ...]
    source: str
    """'live' or the path of a simulated inventory file."""

    def by_name(self) -> dict[str, TargetDisk]:
        """Disks keyed by kernel name; '/dev/' prefixes are accepted by ``find``."""
        return {d.name: d for d in self.disks}

    def find(self, name: str) -> TargetDisk | None:
        """The disk called ``name``, ``/dev/name`` or by its by-path/serial."""
        bare = name.removeprefix("/dev/")
        for disk in self.disks:
            if bare in (disk.name, disk.by_path, disk.serial) or name == disk.path:
                return disk
        return None
